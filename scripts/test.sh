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

cargo build --workspace --tests --quiet
bash scripts/cli-smoke-test.sh
cargo test --workspace "$@"
