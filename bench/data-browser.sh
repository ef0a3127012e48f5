#!/usr/bin/env bash
# The staff data browser on the real data (issue 25): the release api with default settings on a
# freshly migrated database; for each view, 200 requests one after another (curl, a new
# connection each), latency p50 / p99 / max. Prints a Markdown section for BENCHMARKS.md.
# Usage: bench/data-browser.sh [requests per view, default 200]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-200}"
export PGOPTIONS="-c client_min_messages=warning"
db=blw_bench_data
url="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
port=18084
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"; }
trap cleanup EXIT

cargo build --release -q -p api
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"
password="bench-password-$$"
# The api creates and migrates the database (the real survey data from data/s3) on first use.
DATABASE_URL="$url" BLW_PASSWORD="$password" RUST_LOG=error \
  ./target/release/api accounts create --email analyst@example.org --name Analyst --role analyst >/dev/null
DATABASE_URL="$url" PORT="$port" ./target/release/api >/tmp/data-browser-api.log 2>&1 &
pid=$!
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
cookie=$(curl -s -i -X POST "http://127.0.0.1:$port/api/auth/login" -H 'content-type: application/json' \
  -d "{\"email\":\"analyst@example.org\",\"password\":\"$password\"}" | grep -i '^set-cookie' | sed 's/^[^:]*: //; s/;.*//')
caseid=$(psql -h 127.0.0.1 -U postgres -d "$db" -Atc "SELECT caseid FROM surveys.respondents ORDER BY caseid OFFSET 5000 LIMIT 1")

measure() { # label, path after /api/admin/ and query
  local times
  times=$(for _ in $(seq 1 "$n"); do
    curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -b "$cookie" "http://127.0.0.1:$port/api/admin/$2"
  done)
  if echo "$times" | grep -qv '^200 '; then echo "| $1 | \`$2\` | non-200 answers |"; return; fi
  echo "$times" | awk '{print $2 * 1000}' | sort -n | awk -v label="$1" -v path="$2" '
    { t[NR] = $1 } END { p50 = t[int(NR * 0.5 + 0.5)]; p99 = t[int(NR * 0.99 + 0.5)];
      printf "| %s | `%s` | %.1f / %.1f / %.1f ms |\n", label, path, p50, p99, t[NR] }'
}

rows=(
  "$(measure "responses of one respondent, by question" "data/surveys/responses?filter=caseid:eq:$caseid&sort=var_name")"
  "$(measure "one question's responses, sorted by raw value, page 20" "data/surveys/responses?filter=var_name:eq:pid7&sort=raw_value&order=desc&page=20")"
  "$(measure "a range of respondents, sorted by question" "data/surveys/responses?filter=caseid:range:$caseid..&sort=var_name&page_size=200")"
  "$(measure "raw values containing a word, one question" "data/surveys/responses?filter=var_name:eq:pid7&filter=raw_value:contains:strong&sort=raw_value")"
  "$(measure "raw values containing a word, whole table" "data/surveys/responses?filter=raw_value:contains:strong")"
  "$(measure "whole table sorted by an unindexed column, page 3,000" "data/surveys/responses?sort=raw_value&page=3000")"
  "$(measure "the tables and their row counts" "data")"
)
cat <<MD
### Data browser on the real data ($(date -u +%Y-%m-%d), $(nproc) cores; api, PostgreSQL and curl share them)

Command: \`bench/data-browser.sh $n\` (release build, default settings; $n requests per view one
after another, each on a new connection; \`surveys.responses\` holds $(psql -h 127.0.0.1 -U postgres -d "$db" -Atc "SELECT count(*) FROM surveys.responses") rows).

| view | request | p50 / p99 / max |
|---|---|---:|
$(printf '%s\n' "${rows[@]}")
MD
