#!/usr/bin/env bash
# Vote-to-screen latency in headless Chromium (bench/poll-screen.mjs) against the release api.
# Usage: bench/poll-screen.sh [screens] [votes] [votes/s]; prints a Markdown section for BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
ensure_chromium
ensure_node_modules
cargo build --release -q -p api
API_BINARY=target/release/api RUST_LOG=error node bench/poll-screen.mjs "$@"
