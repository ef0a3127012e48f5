#!/usr/bin/env bash
# Idempotent set-up of a Debian machine for this repo: a running PostgreSQL reachable as
# postgres@127.0.0.1:5432 without a password (the local default), and a Rust toolchain.
# Sourced by serve.sh and test.sh; safe to run again.
set -euo pipefail

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pg_ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

ensure_postgres() {
  if ! command -v pg_isready >/dev/null 2>&1; then
    echo "setup: installing PostgreSQL"
    apt_install postgresql postgresql-client
    # A fresh cluster asks TCP clients for a password; this dev default trusts loopback only.
    local hba
    hba=$(ls /etc/postgresql/*/main/pg_hba.conf | head -n1)
    as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  if ! pg_ready; then
    echo "setup: starting PostgreSQL"
    local version
    version=$(ls /etc/postgresql | sort -V | tail -n1)
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
  fi
  pg_ready || { echo "setup: PostgreSQL is not reachable on 127.0.0.1:5432" >&2; exit 1; }
}

ensure_rust() {
  if ! command -v cargo >/dev/null 2>&1; then
    [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
  fi
  command -v cargo >/dev/null 2>&1 || {
    echo "setup: cargo not found; install Rust (rustup) first" >&2
    exit 1
  }
  if ! command -v cc >/dev/null 2>&1; then apt_install build-essential; fi
}

# Browser tests only (test.sh): Debian's Chromium, and the npm packages package-lock.json pins
# (the vendored chart libraries' sources, playwright-core, axe-core).
ensure_chromium() {
  if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
    echo "setup: installing chromium"
    apt_install chromium chromium-driver
  fi
}

ensure_haproxy() {
  command -v haproxy >/dev/null 2>&1 || { echo "setup: installing haproxy"; apt_install haproxy; }
}

# bench/live-vs-nchan.sh only: nginx with the nchan pub/sub module, the live-results peer. Debian
# enables the module for the system nginx (/etc/nginx/modules-enabled); bench/nchan/start.sh loads
# it by its path instead and never starts the system service.
ensure_nchan() {
  if ! command -v nginx >/dev/null 2>&1 || [ ! -f /usr/lib/nginx/modules/ngx_nchan_module.so ]; then
    echo "setup: installing nginx and nchan"
    apt_install nginx-light libnginx-mod-nchan
  fi
}

# The report tests read the handout back as text (pdftotext, from poppler-utils).
ensure_pdftotext() {
  command -v pdftotext >/dev/null 2>&1 || { echo "setup: installing poppler-utils"; apt_install poppler-utils; }
}

ensure_node_modules() {
  command -v npm >/dev/null 2>&1 || { echo "setup: installing Node.js"; apt_install nodejs npm; }
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "setup: installing npm packages"
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

ensure_postgres
ensure_rust
