#!/usr/bin/env bash
# Sets up this machine and runs every test: the migration CLI from the repo root (sea-orm-cli
# and `cargo run -p migration`), then the whole workspace's tests (each test on a fresh database,
# S3 through an in-process S3-compatible server on loopback).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

SEA_ORM_CLI_VERSION=2.0.4
if ! sea-orm-cli --version 2>/dev/null | grep -q "$SEA_ORM_CLI_VERSION"; then
  echo "test: installing sea-orm-cli $SEA_ORM_CLI_VERSION"
  cargo install sea-orm-cli --version "$SEA_ORM_CLI_VERSION" --locked --quiet
fi

cargo build --workspace --all-targets --quiet
bash scripts/cli-smoke-test.sh

# cargo prints one "test result" line per test binary, the last often an empty one: close with
# the whole run's totals instead.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace --all-targets "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
passed=$(awk '/^test result:/ { for (i = 1; i <= NF; i++) if ($(i + 1) ~ /^passed/) s += $i } END { print s + 0 }' "$log")
failed=$(awk '/^test result:/ { for (i = 1; i <= NF; i++) if ($(i + 1) ~ /^failed/) s += $i } END { print s + 0 }' "$log")
echo "tests: $passed passed, $failed failed"
exit "$status"
