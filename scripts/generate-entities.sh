#!/usr/bin/env bash
# Regenerates entity/src/<schema>/ from a migrated database, one PostgreSQL schema at a time
# (sea-orm-cli discovers one schema per run). Usage: scripts/generate-entities.sh [DATABASE_URL] [OUT_DIR]
# Generated outside the repository, then copied: sea-orm-cli formats its output with rustfmt, which
# would otherwise pick up the repository's rustfmt.toml and format differently from a generation
# anywhere else (entity/tests/generated_entities_match.rs compares the two).
set -euo pipefail
cd "$(dirname "$0")/.."
url="${1:-${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/blw_dataviz?sslmode=disable}}"
out="${2:-entity/src}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for schema in questions users surveys polls; do
  (cd "$scratch" && sea-orm-cli generate entity --database-url "$url" --database-schema "$schema" \
    --output-dir "$schema" --with-prelude none --date-time-crate chrono --with-serde none >/dev/null)
  rm -rf "${out:?}/$schema"
  cp -r "$scratch/$schema" "$out/$schema"
done
