#!/usr/bin/env bash
# Benchmark (issue 4): a synthetic survey 100× the BLW file — every respondent copied 99 times
# with new caseids, so 1,045,000 respondents and 27.1 million responses — then one question's
# cells computed through the api, cold, with the api process's resident memory.
# Prints a Markdown section for BENCHMARKS.md. Usage: [KEEP_DB=1] bench/survey-large.sh [copies]
set -euo pipefail
cd "$(dirname "$0")/.."
copies="${1:-99}"
export PGOPTIONS="-c client_min_messages=warning"
db=blw_bench_large
url="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
port=18081
cleanup() {
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null
  [ -n "${KEEP_DB:-}" ] || psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"
}
trap cleanup EXIT

cargo build --release -q -p api -p migration --bins
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"
DATABASE_URL="$url" ./target/release/migration up >/dev/null 2>&1
t0=$(date +%s)
psql -h 127.0.0.1 -U postgres -d "$db" -q <<SQL
SET maintenance_work_mem = '1GB';
BEGIN;
ALTER TABLE surveys.responses DROP CONSTRAINT responses_caseid_fkey, DROP CONSTRAINT responses_var_name_fkey,
  DROP CONSTRAINT responses_pkey;
DROP INDEX surveys.responses_var_name_idx;
INSERT INTO surveys.respondents (caseid, wave, weight, extra_columns)
  SELECT caseid + k * 10000000000, wave, weight, extra_columns FROM surveys.respondents, generate_series(1, $copies) k;
INSERT INTO surveys.responses (caseid, var_name, raw_value, response_index)
  SELECT caseid + k * 10000000000, var_name, raw_value, response_index FROM surveys.responses, generate_series(1, $copies) k;
ALTER TABLE surveys.responses ADD PRIMARY KEY (caseid, var_name);
CREATE INDEX responses_var_name_idx ON surveys.responses (var_name);
ALTER TABLE surveys.responses ADD CONSTRAINT responses_caseid_fkey FOREIGN KEY (caseid) REFERENCES surveys.respondents (caseid),
  ADD CONSTRAINT responses_var_name_fkey FOREIGN KEY (var_name) REFERENCES questions.questions (var_name);
COMMIT;
VACUUM ANALYZE surveys.respondents;
VACUUM ANALYZE surveys.responses;
SQL
build_s=$(( $(date +%s) - t0 ))
respondents=$(psql -h 127.0.0.1 -U postgres -d "$db" -Atc "SELECT count(*) FROM surveys.respondents")
responses=$(psql -h 127.0.0.1 -U postgres -d "$db" -Atc "SELECT count(*) FROM surveys.responses")

DATABASE_URL="$url" PORT=$port MIGRATE_ON_START=false ./target/release/api &
pid=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
timed() { curl -sf -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port$1" | awk '{ printf "%.0f", $1 * 1000 }'; }
rss() { awk -v k="$1" '$1 == k":" { printf "%.0f", $2 / 1024 }' "/proc/$pid/status"; }
a="/api/surveys/questions/perf_judicial_ind/proportions"
b="/api/surveys/questions/imp_free_speech/proportions?split=ideology"
snapshot=$(timed "/api/surveys/waves")
first=$(timed "$a")
second=$(timed "$b")
again=$(timed "$a?wave=14")
current=$(rss VmRSS); peak=$(rss VmHWM)

cat <<MD
### Survey API on a synthetic survey 100× larger ($(date -u +%Y-%m-%d), $(nproc) cores)

Command: \`bench/survey-large.sh $copies\` — $respondents respondents, $responses responses (built in ${build_s} s).
Goal: one question's cells in < 1 s, resident memory < 1 GB.

| request (through HTTP, \`curl\` total time) | ms |
|---|---:|
| first request after start-up (\`/api/surveys/waves\`): waits for the snapshot load (all respondents, pid3, ideo7) | $snapshot |
| one question cold: \`perf_judicial_ind\`, party split, all cells | $first |
| another question, cold (\`imp_free_speech\`, ideology split) | $second |
| first question again, a wave filter (from memory) | $again |

api process resident memory afterwards: $current MB (peak $peak MB).
MD
