#!/usr/bin/env bash
# Builds the container image and runs it for real against this machine's PostgreSQL (podman, as
# ../shared/design/STACK-NOTES.md describes for machines without a registry): the container
# migrates a fresh database, answers /readyz, serves a page and the API, runs as a non-root user,
# and stops cleanly on SIGTERM. scripts/container-image.sh builds the image: it installs podman, runc
# and debootstrap if missing (root only) and makes the debian:bookworm-slim base image locally when
# it cannot be pulled.
#
# The image is built from binaries compiled on this (bookworm) host (BINARIES=prebuilt): no Rust
# image can be pulled here. Default: the debug binaries `cargo test` built; CONTAINER_PROFILE=release
# for the release ones. Usage: scripts/container-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${CONTAINER_PROFILE:-debug}"
image="blw-dataviz:test"
name="blw-container-test-$$"
db="blw_container_test_$$"
port=18099
podman_() { podman --runtime runc --cgroup-manager=cgroupfs "$@"; }
# shellcheck source=scripts/lib/check.sh
source scripts/lib/check.sh container # check NAME COMMAND..., check_finish
cleanup() {
  podman_ rm -f "$name" >/dev/null 2>&1 || true
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf .container-bin
}
trap cleanup EXIT

# --- the image (scripts/container-image.sh: podman, the base image, then the build) ----------
if [ "$profile" = release ]; then cargo build --release -q -p api -p migration; else cargo build -q -p api -p migration; fi
CONTAINER_PROFILE="$profile" bash scripts/container-image.sh "$image"

# --- run it against this machine's PostgreSQL ----------------------------------------------
# Health checks run from systemd timers, which this machine lacks: the test runs the check itself.
podman_ run -d --name "$name" --network=host --no-healthcheck \
  -e DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable" \
  -e HOST=127.0.0.1 -e PORT="$port" -e LOG_FORMAT=json "$image" >/dev/null
base="http://127.0.0.1:$port"
ready=false
for _ in $(seq 1 240); do
  if curl -sf "$base/readyz" >/dev/null; then ready=true; break; fi
  [ "$(podman_ inspect -f '{{.State.Running}}' "$name")" = true ] || break
  sleep 0.5
done
check "the container migrates and answers /readyz" $ready
if ! $ready; then podman_ logs "$name" | tail -n 30; exit 1; fi
check "migrations ran inside (surveys loaded)" \
  test "$(psql -h 127.0.0.1 -U postgres -d "$db" -Atc 'SELECT count(*) FROM surveys.respondents')" = 10450
check "no development accounts in a deployment" \
  test "$(psql -h 127.0.0.1 -U postgres -d "$db" -Atc 'SELECT count(*) FROM users.accounts')" = 0
check "serves the dashboard page" bash -c "curl -sf '$base/' | grep -qi '<!doctype html'"
check "serves the API" bash -c "curl -sf '$base/api/surveys/waves' | grep -q '\"respondents\"'"
check "logs JSON lines" bash -c "podman --runtime runc --cgroup-manager=cgroupfs logs '$name' 2>&1 | grep -q '^{'"
health=$(podman_ image inspect -f '{{index .Config.Healthcheck.Test 3}}' "$image")
check "the image's health check passes" podman_ exec "$name" /bin/bash -c "$health"
uid=$(podman_ exec "$name" id -u)
check "runs as a non-root user (uid $uid)" test "$uid" != 0
# SIGTERM (podman stop), at most 20 s before a SIGKILL: the api must exit by itself, with 0.
started=$(date +%s)
podman_ stop -t 20 "$name" >/dev/null
took=$(( $(date +%s) - started ))
code=$(podman_ inspect -f '{{.State.ExitCode}}' "$name")
check "stops on SIGTERM by itself (exit $code after ${took}s)" test "$code" = 0 -a "$took" -lt 20
check "says it is shutting down" bash -c "podman --runtime runc --cgroup-manager=cgroupfs logs '$name' 2>&1 | grep -q 'shutting down'"

check_finish
