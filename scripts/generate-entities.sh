#!/usr/bin/env bash
# Regenerates entity/src/<schema>/ from a migrated database, one PostgreSQL schema at a time
# (sea-orm-cli discovers one schema per run). Usage: scripts/generate-entities.sh [DATABASE_URL] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
url="${1:-${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/blw_dataviz?sslmode=disable}}"
out="${2:-entity/src}"
for schema in questions users surveys polls; do
  rm -rf "${out:?}/$schema"
  sea-orm-cli generate entity --database-url "$url" --database-schema "$schema" \
    --output-dir "$out/$schema" --with-prelude none --date-time-crate chrono --with-serde none >/dev/null
done
