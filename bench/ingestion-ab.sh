#!/usr/bin/env bash
# Ballot ingestion, two api binaries alternated on one machine (an A/B of a change): for each
# round and binary, a fresh api process on a fresh database, the closed loop of 64 voters for 10 s
# (bench/poll-load, as in bench/live-polls.sh scenario 1: a new connection per vote, then
# kept-alive), with the api's own CPU time (user + system, /proc/<pid>/stat) per ballot answered:
# what the change costs or saves, less at the mercy of what else the machine is doing than the
# rate alone. Prints a Markdown table.
# Usage: bench/ingestion-ab.sh BIN_A BIN_B [rounds, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
bins=("$1" "$2")
rounds="${3:-3}"
export PGOPTIONS="-c client_min_messages=warning"
db=blw_bench_ab
url="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
port=18084
ticks=$(getconf CLK_TCK)
api=""
stop_api() { [ -n "$api" ] && kill "$api" 2>/dev/null && wait "$api" 2>/dev/null; api=""; }
cleanup() { stop_api || true; psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"; }
trap cleanup EXIT
cargo build --release -q -p poll-load
password="bench-password-$$"
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

echo "| round | binary | connections | ballots/s | api CPU per ballot |"
echo "|---:|---|---|---:|---:|"
for round in $(seq 1 "$rounds"); do
  for bin in "${bins[@]}"; do
    psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"
    DATABASE_URL="$url" BLW_PASSWORD="$password" RUST_LOG=error \
      "$bin" accounts create --email bench@example.org --name Bench --role admin >/dev/null
    DATABASE_URL="$url" PORT="$port" "$bin" >>/tmp/ingestion-ab-api.log 2>&1 &
    api=$!
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
    for mode in --new-connections ""; do
      before=$(cpu_ticks "$api")
      # shellcheck disable=SC2086 # the empty mode is no argument
      row=$(BASE_URL="http://127.0.0.1:$port" API_PIDS="$api" ADMIN_EMAIL=bench@example.org \
        ADMIN_PASSWORD="$password" ./target/release/poll-load --closed 64 $mode --seconds 10)
      after=$(cpu_ticks "$api")
      # "| … | 43041 in 10.0 s = **4301/s** | …": the third cell.
      answered=$(awk -F'|' '{ split($4, a, " "); print a[1] }' <<<"$row")
      rate=$(awk -F'|' '{ match($4, /\*\*[0-9]+\/s\*\*/); print substr($4, RSTART + 2, RLENGTH - 4) }' <<<"$row")
      per_ballot=$(awk -v t=$((after - before)) -v hz="$ticks" -v n="$answered" 'BEGIN { printf "%.0f µs", t / hz / n * 1e6 }')
      label="kept-alive"; [ -n "$mode" ] && label="a new one per vote"
      echo "| $round | \`$bin\` | $label | $rate | $per_ballot |"
    done
    stop_api || true
  done
done
