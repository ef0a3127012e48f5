#!/usr/bin/env bash
# Live polls at audience scale (issue 15): the release api with its default settings on loopback,
# PostgreSQL and the driver (bench/poll-load) on the same cores. Scenarios:
#   1. vote ingestion: closed loop, 64 voters, 10 s — kept-alive connections, then a new
#      connection per vote;
#   2. live latency: 1,000 watchers, open loop 1,000 votes/s for 30 s, each on a new connection;
#   3. scale: 10,000 watchers, 200 votes/s for 30 s, with the api's RSS;
#   4. two api processes on one database: votes to one, 1,000 watchers on the other, 1,000 votes/s;
#   5. a presenter-paced poll, each request answering the open question (issue 20): ingestion as
#      in 1 (5a, 5b) and 1,000 watchers as in 2 (5c);
#   6. scale: 15,000 watchers, 300 votes/s for 30 s (issue 22), from 16 loopback source addresses.
# Prints a Markdown section for BENCHMARKS.md.
# Usage: bench/live-polls.sh [seconds for 2–6] [scenarios, default "1 2 3 4 5 6"]
# API_BIN: another api binary to measure (e.g. an earlier commit's, for an A/B on one machine).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
scenario_list="${2:-1 2 3 4 5 6}"
scenarios=" $scenario_list "
wanted() { [[ "$scenarios" == *" $1 "* ]]; }
export PGOPTIONS="-c client_min_messages=warning"
db=blw_bench_live
url="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
port=18082; other=18083
# The driver holds one socket per watcher; the api raises its own limit at start-up.
ulimit -n "$(ulimit -Hn)"
pids=()
stop_apis() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; pids=(); }
cleanup() { stop_apis; psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"; }
trap cleanup EXIT

cargo build --release -q -p api -p poll-load
api_bin="${API_BIN:-./target/release/api}"
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"
password="bench-password-$$"
DATABASE_URL="$url" BLW_PASSWORD="$password" RUST_LOG=error \
  "$api_bin" accounts create --email bench@example.org --name Bench --role admin >/dev/null

start_api() { # port → pid in $started
  DATABASE_URL="$url" PORT="$1" "$api_bin" >>"/tmp/live-polls-api-$1.log" 2>&1 &
  started=$!
  pids+=("$started")
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$1/healthz" >/dev/null && return; sleep 0.2; done
  echo "api on port $1 did not start" >&2; exit 1
}
drive() { # label, driver args… (BASE_URL / WATCH_URL / API_PIDS from the caller)
  local label="$1"; shift
  local row
  row=$(ADMIN_EMAIL=bench@example.org ADMIN_PASSWORD="$password" ./target/release/poll-load "$@")
  echo "${row/#| /| $label: }"
}

rows=()
start_api $port; a=$started
export BASE_URL="http://127.0.0.1:$port" API_PIDS="$a"
if wanted 1; then
  rows+=("$(WATCH_URL=$BASE_URL drive "1. ingestion" --closed 64 --new-connections --seconds 10)")
  rows+=("$(WATCH_URL=$BASE_URL drive "1. ingestion" --closed 64 --seconds 10)")
fi
wanted 2 && rows+=("$(WATCH_URL=$BASE_URL drive "2. live latency" --watchers 1000 --rate 1000 --seconds "$seconds")")
wanted 3 && rows+=("$(WATCH_URL=$BASE_URL drive "3. scale" --watchers 10000 --rate 200 --seconds "$seconds")")
wanted 6 && rows+=("$(WATCH_URL=$BASE_URL drive "6. scale" --watchers 15000 --rate 300 --seconds "$seconds")")
if wanted 5; then
  rows+=("$(WATCH_URL=$BASE_URL drive "5a. paced ingestion" --paced --closed 64 --new-connections --seconds 10)")
  rows+=("$(WATCH_URL=$BASE_URL drive "5b. paced ingestion" --paced --closed 64 --seconds 10)")
  rows+=("$(WATCH_URL=$BASE_URL drive "5c. paced live latency" --paced --watchers 1000 --rate 1000 --seconds "$seconds")")
fi
if wanted 4; then
  start_api $other; b=$started
  rows+=("$(WATCH_URL="http://127.0.0.1:$other" API_PIDS="$a $b" drive "4. two processes" --watchers 1000 --rate 1000 --seconds "$seconds")")
fi

cat <<MD
### Live polls at audience scale ($(date -u +%Y-%m-%d), $(nproc) cores; api, PostgreSQL and the driver share them)

Command: \`bench/live-polls.sh $seconds "$scenario_list"\` (driver: \`bench/poll-load\`; release build, the api's default settings).
Latency is from a vote being sent to the first event on a watcher's stream that counts it; frame
bytes are what a watcher reads per frame after its first snapshot (median / max); RSS is the
api's peak while voting (both processes' sum in 4).

| scenario | watchers | votes answered | non-2xx | reply p50 / p99 | vote → event p50 / p99 / max | frame bytes | totals | api RSS |
|---|---:|---:|---:|---:|---:|---:|---|---:|
$(printf '%s\n' "${rows[@]}")
MD
