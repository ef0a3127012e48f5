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

ensure_chromium
ensure_haproxy
ensure_pdftotext
ensure_node_modules

# Formatting and lints are part of the tests: rustfmt.toml, [workspace.lints], biome.json.
echo "test: cargo fmt --check, biome ci, cargo clippy -D warnings"
for component in rustfmt clippy; do
  cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1 || rustup component add "$component"
done
cargo fmt --all --check
npx --no-install biome ci --reporter=summary
cargo clippy --workspace --all-targets --quiet -- -D warnings

cargo build --workspace --all-targets --quiet
bash scripts/cli-smoke-test.sh

# cargo prints one "test result" line per test binary, the last often an empty one: close with
# the whole run's totals instead (cargo's tests, then the browser tests in e2e/).
log=$(mktemp)
e2e_log=$(mktemp)
container_log=$(mktemp)
trap 'rm -f "$log" "$e2e_log" "$container_log"' EXIT
set +e
cargo test --workspace --all-targets --no-fail-fast "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# The browser tests drive the api binary built above (target/debug/api) in headless Chromium.
node --test --test-concurrency=1 --test-reporter=spec e2e/ 2>&1 | tee "$e2e_log"
e2e_status=${PIPESTATUS[0]}
# The OpenAPI document as a contract: valid, and schemathesis finds nothing (anonymous, analyst, admin).
bash scripts/api-contract-test.sh 2>&1 | tee -a "$container_log"
contract_status=${PIPESTATUS[0]}
# The container image, built and run with podman against this PostgreSQL (installs podman if root).
container_status=0
if [ "$(id -u)" -eq 0 ] || command -v podman >/dev/null; then
  bash scripts/container-test.sh 2>&1 | tee -a "$container_log"
  container_status=${PIPESTATUS[0]}
  # The Kubernetes manifests (deploy/k8s), played by podman against this PostgreSQL.
  bash scripts/kube-test.sh 2>&1 | tee -a "$container_log"
  kube_status=${PIPESTATUS[0]}
  [ "$kube_status" -eq 0 ] || container_status=$kube_status
else
  echo "test: container test skipped (needs podman, or root to install it)"
fi
# Metrics: the alert rules' tests, and a real Prometheus scraping two api processes (it installs
# Prometheus where root).
bash scripts/observability-test.sh 2>&1 | tee -a "$container_log"
observability_status=${PIPESTATUS[0]}
# A fleet of three release-build processes in network namespaces behind HAProxy, killed,
# restarted and partitioned under a live audience (root only: network namespaces).
fleet_status=0
if [ "$(id -u)" -eq 0 ]; then
  bash scripts/fleet-test.sh 2>&1 | tee -a "$container_log"
  fleet_status=${PIPESTATUS[0]}
else
  echo "test: fleet test skipped (needs root for network namespaces)"
fi
set -e
passed=$(awk '/^test result:/ { for (i = 1; i <= NF; i++) if ($(i + 1) ~ /^passed/) s += $i } END { print s + 0 }' "$log")
failed=$(awk '/^test result:/ { for (i = 1; i <= NF; i++) if ($(i + 1) ~ /^failed/) s += $i } END { print s + 0 }' "$log")
e2e_passed=$(awk '/^ℹ pass / { s += $3 } END { print s + 0 }' "$e2e_log")
e2e_failed=$(awk '/^ℹ fail / { s += $3 } END { print s + 0 }' "$e2e_log")
# Both scripts close with "<name>: N passed, M failed"; a script that stopped early counts as one failure.
container_passed=$(awk '/^(container|contract|kube|fleet|observability): [0-9]+ passed/ { s += $2 } END { print s + 0 }' "$container_log")
container_failed=$(awk '/^(container|contract|kube|fleet|observability): [0-9]+ passed/ { s += $4 } END { print s + 0 }' "$container_log")
if [ "$container_status" -ne 0 ] || [ "$contract_status" -ne 0 ] || [ "$fleet_status" -ne 0 ] \
  || [ "$observability_status" -ne 0 ]; then
  [ "$container_failed" -gt 0 ] || container_failed=1
fi
echo "browser tests: $e2e_passed passed, $e2e_failed failed"
echo "contract, container and fleet tests: $container_passed passed, $container_failed failed"
echo "tests: $((passed + e2e_passed + container_passed)) passed, $((failed + e2e_failed + container_failed)) failed"
if [ "$status" -ne 0 ]; then exit "$status"; fi
if [ "$e2e_status" -ne 0 ]; then exit "$e2e_status"; fi
if [ "$contract_status" -ne 0 ]; then exit "$contract_status"; fi
if [ "$fleet_status" -ne 0 ]; then exit "$fleet_status"; fi
if [ "$observability_status" -ne 0 ]; then exit "$observability_status"; fi
exit "$container_status"
