# shellcheck shell=bash
# What the benchmarks share (source it): a fresh database dropped at exit, an admin account, and
# the release api started and stopped with its default settings.
# Usage: bench_setup <database> <port> <api log>; then bench_start_api, bench_stop_api. Sets url,
# port, password, api_pid; exports the admin's e-mail and password as ADMIN_EMAIL/ADMIN_PASSWORD.
# API_BIN: the api binary (default ./target/release/api). A script that starts more than the api
# defines bench_on_exit to stop it; the exit trap calls it first.

export PGOPTIONS="-c client_min_messages=warning"

bench_setup() {
  db="$1"; port="$2"; api_log="$3"
  url="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
  api_pid=""
  # One socket per browser and per vote in flight; the api raises its own limit at start-up.
  ulimit -n "$(ulimit -Hn)"
  trap 'if declare -F bench_on_exit >/dev/null; then bench_on_exit; fi; bench_stop_api; psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"
  password="bench-password-$$"
  DATABASE_URL="$url" BLW_PASSWORD="$password" RUST_LOG=error \
    "${API_BIN:-./target/release/api}" accounts create --email bench@example.org --name Bench --role admin >/dev/null
  export ADMIN_EMAIL=bench@example.org ADMIN_PASSWORD="$password"
}

bench_start_api() {
  DATABASE_URL="$url" PORT="$port" "${API_BIN:-./target/release/api}" >>"$api_log" 2>&1 &
  api_pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return; sleep 0.2; done
  echo "bench: the api did not answer on port $port (see $api_log)" >&2
  return 1
}

bench_stop_api() {
  if [ -n "$api_pid" ]; then kill "$api_pid" 2>/dev/null; wait "$api_pid" 2>/dev/null || true; fi
  api_pid=""
}
