#!/usr/bin/env bash
# Audience Q&A at audience scale (issue 34): 1,000 phones upvoting 10 questions, open loop at
# 500 votes/s (each vote a new connection, each phone its own address and device cookie), with
# 1,000 screens following the poll's stream; in the same run and on the same api, ballots at the
# same rate and watchers (bench/poll-load) as the reference a vote for a question is held to.
# The release api with its default settings, PostgreSQL and the drivers share the machine.
# Prints a Markdown section for BENCHMARKS.md. Usage: bench/audience-qa.sh [rate] [phones] [watchers]
set -euo pipefail
cd "$(dirname "$0")/.."
rate="${1:-500}"; phones="${2:-1000}"; watchers="${3:-1000}"
export PGOPTIONS="-c client_min_messages=warning"
db=blw_bench_qa
url="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
port=18084
ulimit -n "$(ulimit -Hn)"
api_pid=""
cleanup() {
  [ -n "$api_pid" ] && kill "$api_pid" 2>/dev/null; wait 2>/dev/null || true
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"
}
trap cleanup EXIT
cargo build --release -q -p api -p poll-load
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"
password="bench-password-$$"
DATABASE_URL="$url" BLW_PASSWORD="$password" RUST_LOG=error \
  ./target/release/api accounts create --email bench@example.org --name Bench --role admin >/dev/null
DATABASE_URL="$url" PORT="$port" ./target/release/api >>/tmp/audience-qa-api.log 2>&1 &
api_pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
export BASE_URL="http://127.0.0.1:$port" ADMIN_EMAIL=bench@example.org ADMIN_PASSWORD="$password"
seconds=$(( phones * 10 / rate ))
qa=$(PHONES="$phones" QUESTIONS=10 RATE="$rate" WATCHERS="$watchers" ./target/release/qa-load)
ballots=$(WATCH_URL="$BASE_URL" ./target/release/poll-load --watchers "$watchers" --rate "$rate" --seconds "$seconds")

cat <<MD
### Audience Q&A: upvotes at audience scale ($(date -u +%Y-%m-%d), $(nproc) cores; api, PostgreSQL and the drivers share them)

Command: \`bench/audience-qa.sh $rate $phones $watchers\` (drivers: \`bench/poll-load\`'s \`qa-load\` and
\`poll-load\`; release build, the api's default settings). Latency is from a vote being sent to
the first frame on a screen whose `total_votes` counts it; "lost" is checked three ways: stored votes = 2xx
replies = what every screen's last frame counts.

| load | screens | votes answered | non-2xx | reply p50 / p99 | vote → every screen p50 / p99 / max | totals |
|---|---:|---:|---:|---:|---:|---|
$qa

Reference, same api, same run — ballots at the same rate ($rate/s, new connection each, $watchers watchers):

| scenario | watchers | votes answered | non-2xx | reply p50 / p99 | vote → event p50 / p99 / max | frame bytes | totals | api RSS |
|---|---:|---:|---:|---:|---:|---:|---|---:|
$ballots
MD
