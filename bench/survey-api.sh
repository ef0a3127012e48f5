#!/usr/bin/env bash
# Benchmarks for the survey API (issue 4), on loopback, release build:
#  1. every question × split × cell computed cold from the database (api/examples/survey_cold.rs);
#  2. the proportions endpoint under `wrk -c 64` beside the same bytes served as a static file by
#     the same server (tower-http ServeDir from WEB_DIR).
# Prints a Markdown section for BENCHMARKS.md. Usage: bench/survey-api.sh [seconds per wrk run]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
export PGOPTIONS="-c client_min_messages=warning"
db=blw_bench_api
url="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
port=18080
tmp=$(mktemp -d)
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"; }
trap cleanup EXIT

cargo build --release -q -p api -p migration --bins
cargo build --release -q -p api --example survey_cold
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"
DATABASE_URL="$url" ./target/release/migration up >/dev/null 2>&1

cold=$(DATABASE_URL="$url" ./target/release/examples/survey_cold 5)

DATABASE_URL="$url" PORT=$port WEB_DIR="$tmp" MIGRATE_ON_START=false ./target/release/api &
pid=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
path="/api/surveys/questions/perf_judicial_ind/proportions"
curl -sf "http://127.0.0.1:$port$path" > "$tmp/proportions.json"
bytes=$(wc -c < "$tmp/proportions.json")
rps() { wrk -t2 -c64 -d"${seconds}s" --latency "$1" | tee -a "$tmp/wrk.log" | awk '/Requests\/sec/ {print $2}'; }
p99() { awk '/ 99%/ {print $2}' "$tmp/wrk.log" | tail -n1; }
wrk -t2 -c64 -d2s "http://127.0.0.1:$port$path" >/dev/null # warm-up
api_rps=$(rps "http://127.0.0.1:$port$path"); api_p99=$(p99)
static_rps=$(rps "http://127.0.0.1:$port/proportions.json"); static_p99=$(p99)
ratio=$(awk -v a="$api_rps" -v b="$static_rps" 'BEGIN { printf "%.2f", a / b }')

cat <<MD
### Survey API ($(date -u +%Y-%m-%d), $(nproc) cores)

Command: \`bench/survey-api.sh $seconds\`

Cold computation, every question × split (party, ideology, none) × every cell, from a new snapshot
(\`cargo run --release -p api --example survey_cold\`; goal < 300 ms):

\`\`\`
$cold
\`\`\`

\`wrk -t2 -c64 -d${seconds}s\` on loopback, same server, $bytes-byte body (goal: endpoint ≥ 0.8× static):

| URL | requests/s | p99 latency |
|---|---:|---:|
| \`$path\` | $api_rps | $api_p99 |
| \`/proportions.json\` (the same bytes, static file) | $static_rps | $static_p99 |

endpoint / static = **$ratio**
MD
