#!/usr/bin/env bash
# Benchmark for the foundation issue: `migrate fresh` of everything (release build, local data
# folder) beside `psql \copy` of the same survey CSV into a plain table, on the same machine.
# Prints a Markdown section for BENCHMARKS.md. Usage: bench/migrate-fresh.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
db="blw_bench_fresh"
url="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
psql_db() { PGOPTIONS="-c client_min_messages=warning" psql -h 127.0.0.1 -U postgres -d "$db" -q "$@"; }
now_ms() { date +%s%3N; }

cargo build --release -q -p migration
PGOPTIONS="-c client_min_messages=warning" psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
DATABASE_URL="$url" ./target/release/migration up >/dev/null 2>&1 # warm caches once

tmp=$(mktemp -d); trap 'rm -rf "$tmp"; psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
gunzip -c data/s3/db/schemas/surveys/blw-public-waves.csv.gz > "$tmp/waves.csv"
# The same cells in long form (caseid, var_name, raw_value): the rows surveys.responses holds.
python3 - "$tmp/waves.csv" "$tmp/cells.csv" <<'PY'
import csv, sys
extra = {"caseid", "wave", "weight", "pid3_t", "pid3lean", "democracy_importance"}
with open(sys.argv[1], newline="") as f, open(sys.argv[2], "w", newline="") as out:
    r = csv.reader(f); header = next(r); w = csv.writer(out)
    for row in r:
        for name, value in zip(header, row):
            if name not in extra and value != "":
                w.writerow([row[0], name, value])
PY
columns=$(head -n1 "$tmp/waves.csv" | tr ',' '\n' | sed 's/.*/"&" text/' | paste -sd, -)

fresh=(); survey=(); copy_wide=(); copy_cells=()
for _ in $(seq 1 "$runs"); do
  t0=$(now_ms); DATABASE_URL="$url" ./target/release/migration fresh >/dev/null 2>&1; t1=$(now_ms)
  fresh+=($((t1 - t0)))
  # The survey load alone: back to before the surveys data migration, then apply just that one.
  # `down` goes back in the migrator's order (which `status` lists), not in the versions' order.
  steps=$(DATABASE_URL="$url" ./target/release/migration status 2>/dev/null | grep -A100 "m20261125_000003_surveys_data'" | grep -c Applied)
  DATABASE_URL="$url" ./target/release/migration down -n "$steps" >/dev/null 2>&1
  psql_db -c "VACUUM FULL surveys.responses, surveys.respondents"
  t0=$(now_ms); DATABASE_URL="$url" ./target/release/migration up -n 1 >/dev/null 2>&1; t1=$(now_ms)
  survey+=($((t1 - t0)))
  psql_db -c "DROP TABLE IF EXISTS plain_waves; CREATE TABLE plain_waves ($columns)"
  t0=$(now_ms); psql_db -c "\\copy plain_waves FROM '$tmp/waves.csv' CSV HEADER"; t1=$(now_ms)
  copy_wide+=($((t1 - t0)))
  psql_db -c "DROP TABLE IF EXISTS plain_cells; CREATE TABLE plain_cells (caseid bigint, var_name text, raw_value text)"
  t0=$(now_ms); psql_db -c "\\copy plain_cells FROM '$tmp/cells.csv' CSV"; t1=$(now_ms)
  copy_cells+=($((t1 - t0)))
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mf=$(median "${fresh[@]}"); ms=$(median "${survey[@]}"); mw=$(median "${copy_wide[@]}"); mc=$(median "${copy_cells[@]}")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }

cat <<MD
### migrate fresh vs psql \\copy ($(date -u +%Y-%m-%d), $(nproc) cores, PostgreSQL $(psql -h 127.0.0.1 -U postgres -Atc 'SHOW server_version'))

Command: \`bench/migrate-fresh.sh $runs\` — median of $runs runs, wall clock of whole processes.

| what | median ms | all runs (ms) |
|---|---:|---|
| \`migration fresh\` (drop all, $(DATABASE_URL="$url" ./target/release/migration status 2>/dev/null | grep -c "^Migration ") migrations, 77 questions, 10,450 respondents, 270,808 responses) | $mf | ${fresh[*]} |
| the survey load alone (\`migration up -n 1\` of the surveys data migration, process start included) | $ms | ${survey[*]} |
| \`psql \\copy\` of the survey CSV as is (10,450 rows × 69 text columns, plain table) | $mw | ${copy_wide[*]} |
| \`psql \\copy\` of its 270,808 non-blank cells (caseid, var_name, raw_value; plain table) | $mc | ${copy_cells[*]} |

survey load / \\copy of the cells: $(ratio "$ms" "$mc")×; fresh / \\copy of the cells: $(ratio "$mf" "$mc")×; fresh / \\copy of the CSV as is: $(ratio "$mf" "$mw")×.
MD
