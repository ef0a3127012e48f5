#!/usr/bin/env bash
# Sets up this machine (PostgreSQL, Rust) and runs the service on http://127.0.0.1:8080 with the
# local defaults: database blw_dataviz on local PostgreSQL (created and migrated on start), data
# from the in-repo bucket copy data/s3/, with the development accounts of
# data/s3/db/schemas/users/user-accounts.json (DEV_ACCOUNTS=true: a developer's machine only).
# Override with environment variables or .env (.env.example).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
export DEV_ACCOUNTS="${DEV_ACCOUNTS:-true}"
exec cargo run --release -p api "$@"
