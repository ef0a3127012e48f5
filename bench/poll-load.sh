#!/usr/bin/env bash
# Live-poll load benchmark (issue 5): the release api on loopback, 1,000 SSE subscribers, 500
# votes/s for 30 s (bench/poll-load), then the most votes/s. Prints a Markdown section for
# BENCHMARKS.md. Usage: bench/poll-load.sh [subscribers] [votes/s] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
subscribers="${1:-1000}"; rate="${2:-500}"; seconds="${3:-30}"
export PGOPTIONS="-c client_min_messages=warning"
db=blw_bench_polls
url="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
port=18082
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"; }
trap cleanup EXIT

cargo build --release -q -p api -p poll-load
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"
password="bench-password-$$"
DATABASE_URL="$url" BLW_PASSWORD="$password" RUST_LOG=error \
  ./target/release/api accounts create --email bench@example.org --name Bench --role admin >/dev/null
DATABASE_URL="$url" PORT=$port RUST_LOG=warn DATABASE_MAX_CONNECTIONS=32 ./target/release/api &
pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
table=$(BASE_URL="http://127.0.0.1:$port" ADMIN_EMAIL=bench@example.org ADMIN_PASSWORD="$password" \
  ./target/release/poll-load "$subscribers" "$rate" "$seconds")
cat <<MD
### Live polls under load ($(date -u +%Y-%m-%d), $(nproc) cores; api, PostgreSQL and the driver share them)

Command: \`bench/poll-load.sh $subscribers $rate $seconds\` (driver: \`bench/poll-load\`). Goal: vote-to-event p99 < 100 ms.

$table
MD
