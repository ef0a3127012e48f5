#!/usr/bin/env bash
# Starts nginx + nchan (bench/nchan/nginx.conf.template) from a fresh temporary prefix, on
# 127.0.0.1:<port> with <workers> worker processes, and waits until it answers. Prints one line,
# "<master pid> <prefix dir>", for the caller to `read`; bench/nchan/stop.sh <prefix dir> stops it
# and removes the directory. Needs ensure_nchan (scripts/setup.sh) to have run.
# Usage: bench/nchan/start.sh <port 19400–19499> [workers, default 2]
# Env: NCHAN_MODULE (the module's .so, found by default), NCHAN_TMP (parent of the prefix, /tmp),
# NCHAN_REUSEPORT=1 (a listening socket per worker: connections spread evenly over the workers;
# by default, nginx's, the workers take turns at one socket and the split can be uneven).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
port="${1:?usage: start.sh <port> [workers]}"
workers="${2:-2}"

nchan_module() {
  if [ -n "${NCHAN_MODULE:-}" ]; then echo "$NCHAN_MODULE"; return; fi
  # Debian installs it in nginx's modules path and enables it with a one-line load_module conf;
  # that line names it relative to nginx's prefix, so the absolute path is used here.
  local dir
  dir=$(nginx -V 2>&1 | tr ' ' '\n' | sed -n 's/^--modules-path=//p')
  for candidate in "${dir:-/usr/lib/nginx/modules}/ngx_nchan_module.so" /usr/lib/nginx/modules/ngx_nchan_module.so; do
    [ -f "$candidate" ] && { echo "$candidate"; return; }
  done
  echo "start.sh: ngx_nchan_module.so not found (apt-get install libnginx-mod-nchan)" >&2
  exit 1
}

# Each worker may hold every subscriber: its open-file limit is the highest this shell may give
# (a root shell with CAP_SYS_RESOURCE first raises its hard limit; a container's root may not).
nofile=$(ulimit -Hn)
if [ "$nofile" != unlimited ] && [ "$nofile" -lt 100000 ]; then
  ulimit -Hn 100000 2>/dev/null && nofile=100000
fi
[ "$nofile" = unlimited ] && nofile=100000
ulimit -n "$nofile"

prefix=$(mktemp -d "${NCHAN_TMP:-/tmp}/nchan-bench.XXXXXX")
# Workers run as nginx's default unprivileged user when the master is root: they read nothing
# here, the master opens the logs and creates the temporary directories (owned by that user).
chmod 755 "$prefix"
module=$(nchan_module)
listen_options=""
[ "${NCHAN_REUSEPORT:-0}" = 1 ] && listen_options=" reuseport"
# The placeholders are filled in outside comments (the template's header names them).
sed -e "/^[[:space:]]*#/!{s|@PREFIX@|$prefix|g; s|@PORT@|$port|g; s|@WORKERS@|$workers|g; s|@NOFILE@|$nofile|g}" \
  -e "/^[[:space:]]*#/!{s|@NCHAN_MODULE@|$module|g; s|@LISTEN_OPTIONS@|$listen_options|g}" \
  "$here/nginx.conf.template" >"$prefix/nginx.conf"

# Its start-up warnings (worker_connections above the open-file limit, say) are in error.log too.
if ! nginx -q -p "$prefix/" -c "$prefix/nginx.conf" -e "$prefix/error.log" 2>"$prefix/start.log"; then
  cat "$prefix/start.log" >&2
  echo "start.sh: nginx did not start; $prefix/error.log:" >&2
  cat "$prefix/error.log" >&2 || true
  exit 1
fi
for _ in $(seq 1 100); do
  if [ -s "$prefix/nginx.pid" ] && curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; then
    echo "$(cat "$prefix/nginx.pid") $prefix"
    exit 0
  fi
  sleep 0.1
done
echo "start.sh: nginx on 127.0.0.1:$port did not answer; $prefix/error.log:" >&2
cat "$prefix/error.log" >&2 || true
"$here/stop.sh" "$prefix" >&2 || true
exit 1
