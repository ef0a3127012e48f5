#!/usr/bin/env bash
# What the api's middleware costs a request: `GET /healthz` (no database, no body to speak of, so
# the rest is the stack every request goes through) under `wrk -t1 -c64` for 10 s, kept-alive,
# with the api's own CPU time (user + system, /proc/<pid>/stat) per request. For an A/B of a
# change to the stack, alternate binaries: `bench/request-overhead.sh default A B A B`.
# LOG: `default` (the api's own default log level, as deployed) or a RUST_LOG value such as
# `warn` (request spans are then skipped).
# Usage: bench/request-overhead.sh LOG BIN...
set -euo pipefail
cd "$(dirname "$0")/.."
log="$1"; shift
export PGOPTIONS="-c client_min_messages=warning"
db=blw_bench_overhead
url="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
port=18085
ticks=$(getconf CLK_TCK)
command -v wrk >/dev/null || { echo "request-overhead: needs wrk (apt-get install wrk)" >&2; exit 1; }
api=""
cleanup() {
  [ -n "$api" ] && kill "$api" 2>/dev/null && wait "$api" 2>/dev/null
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"
}
trap cleanup EXIT
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

echo "| log | binary | requests/s | api CPU per request |"
echo "|---|---|---:|---:|"
for bin in "$@"; do
  if [ "$log" = default ]; then
    env -u RUST_LOG DATABASE_URL="$url" PORT="$port" "$bin" >>/tmp/request-overhead-api.log 2>&1 &
  else
    DATABASE_URL="$url" PORT="$port" RUST_LOG="$log" "$bin" >>/tmp/request-overhead-api.log 2>&1 &
  fi
  api=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
  before=$(cpu_ticks "$api")
  out=$(wrk -t1 -c64 -d10s "http://127.0.0.1:$port/healthz")
  after=$(cpu_ticks "$api")
  requests=$(awk '/requests in/ { print $1 }' <<<"$out")
  rate=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
  non_2xx=$(awk '/Non-2xx/ { print " (" $NF " non-2xx)" }' <<<"$out")
  per_request=$(awk -v t=$((after - before)) -v hz="$ticks" -v n="$requests" 'BEGIN { printf "%.1f µs", t / hz / n * 1e6 }')
  echo "| $log | \`$bin\` | $rate$non_2xx | $per_request |"
  kill "$api"; wait "$api" 2>/dev/null || true; api=""
done
