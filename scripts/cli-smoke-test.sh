#!/usr/bin/env bash
# The migration CLI from the repo root, as an operator uses it, against a scratch database:
# every sea-orm-cli migrate command, the same through `cargo run -p migration`, and a clear
# non-zero exit on bad input.
set -uo pipefail
cd "$(dirname "$0")/.."
db="blw_cli_smoke_$$"
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
# shellcheck source=scripts/lib/check.sh
source scripts/lib/check.sh cli # check_exit NAME EXPECTED_EXIT COMMAND..., check_finish
cleanup() { psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1; }
trap cleanup EXIT

count() { psql -h 127.0.0.1 -U postgres -d "$db" -Atc "$1" 2>/dev/null; }
expect_count() { # expect_count NAME SQL EXPECTED
  local got; got=$(count "$2")
  if [ "$got" = "$3" ]; then check_pass "$1"; else check_fail "$1 (got '$got', expected '$3')"; fi
}

# How many `down` steps undo the survey data migration and everything after it.
# (versions sort by name, so the survey schema migration sorts after its data migration)
survey_data_steps() { count "SELECT count(*) + 1 FROM seaql_migrations WHERE version > 'm20261125_000003_surveys_schema'"; }

check_exit "sea-orm-cli migrate up (creates the database)" 0 sea-orm-cli migrate up
expect_count "responses loaded" "SELECT count(*) FROM surveys.responses" 270808
check_exit "sea-orm-cli migrate status" 0 sea-orm-cli migrate status
check_exit "sea-orm-cli migrate down -n N (to before the survey data)" 0 sea-orm-cli migrate down -n "$(survey_data_steps)"
expect_count "survey data removed, tables kept" "SELECT count(*) FROM surveys.responses" 0
check_exit "sea-orm-cli migrate refresh" 0 sea-orm-cli migrate refresh
expect_count "refresh reloads" "SELECT count(*) FROM surveys.respondents" 10450
check_exit "sea-orm-cli migrate reset" 0 sea-orm-cli migrate reset
expect_count "reset drops the schemas" "SELECT count(*) FROM pg_namespace WHERE nspname IN ('questions','users','surveys')" 0
check_exit "sea-orm-cli migrate fresh" 0 sea-orm-cli migrate fresh
expect_count "fresh loads everything" "SELECT count(*) FROM questions.questions" 77
check_exit "cargo run -p migration -- status" 0 cargo run -q -p migration -- status
check_exit "cargo run -p migration -- down" 0 cargo run -q -p migration -- down
check_exit "cargo run -p migration -- up" 0 cargo run -q -p migration -- up
check_exit "fresh with an unknown DATA_SOURCE is an error" 1 env DATA_SOURCE=ftp cargo run -q -p migration -- fresh
check_exit "fresh with a missing data folder is an error" 1 env DATA_DIR=/nonexistent cargo run -q -p migration -- fresh
expect_count "a refused fresh drops nothing" "SELECT count(*) FROM surveys.responses" 270808
steps=$(survey_data_steps)
check_exit "down to before the survey data, then up with a missing data folder is an error" 1 \
  bash -c "cargo run -q -p migration -- down -n $steps && DATA_DIR=/nonexistent cargo run -q -p migration -- up"
expect_count "the failed up loaded nothing" "SELECT count(*) FROM surveys.responses" 0
check_exit "generate without a name is an error" 2 cargo run -q -p migration -- generate
check_exit "sources verify (the data folder matches every pin)" 0 cargo run -q -p migration -- sources verify
check_exit "sources pin on a copy of the manifest changes nothing" 0 bash -c \
  "cp data-sources.json /tmp/blw-pin-$$.json && DATA_SOURCES_FILE=/tmp/blw-pin-$$.json cargo run -q -p migration -- sources pin \
   && cmp data-sources.json /tmp/blw-pin-$$.json; rc=\$?; rm -f /tmp/blw-pin-$$.json; exit \$rc"
check_exit "sources verify against a changed folder fails" 1 bash -c \
  "d=\$(mktemp -d) && cp -r data/s3/. \$d && echo '[]' > \$d/db/schemas/users/user-accounts.json \
   && DATA_DIR=\$d cargo run -q -p migration -- sources verify; rc=\$?; rm -rf \$d; exit \$rc"
check_exit "sources with an unknown command is a usage error" 2 cargo run -q -p migration -- sources publish
check_exit "sources pin of an unlisted migration is an error" 1 cargo run -q -p migration -- sources pin no_such_migration

check_finish
