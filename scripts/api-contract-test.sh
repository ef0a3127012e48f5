#!/usr/bin/env bash
# The OpenAPI document is the contract: against the api on loopback (a fresh database), it must be
# a valid document (openapi-spec-validator), and schemathesis, with every check, must find no
# failure anonymously, logged in as an analyst and as an admin (fixed seed, bounded examples).
# Data-dependent refusals it cannot know from the schema are listed in schemathesis.toml.
# Installs both tools from PyPI into target/contract-venv once. Usage: scripts/api-contract-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/contract-venv
if ! "$venv/bin/st" --version 2>/dev/null | grep -q "4.32.5" || ! [ -x "$venv/bin/openapi-spec-validator" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check schemathesis==4.32.5 openapi-spec-validator==0.9.0
fi
db="blw_contract_$$"
port=18121
base="http://127.0.0.1:$port"
url="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
password="contract-password-$$"
# shellcheck source=scripts/lib/check.sh
source scripts/lib/check.sh contract # check_pass, check_fail, check_finish
cleanup() {
  [ -n "${api_pid:-}" ] && kill "$api_pid" 2>/dev/null; wait 2>/dev/null || true
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# The workspace as the test command builds it (a build of `-p api` alone would resolve other
# features and rebuild the dependencies).
cargo build -q --workspace --all-targets
DATABASE_URL="$url" PORT="$port" RUST_LOG=warn ./target/debug/api >"target/contract-api.log" 2>&1 &
api_pid=$!
for _ in $(seq 1 120); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.5; done
for role in admin analyst; do
  DATABASE_URL="$url" BLW_PASSWORD="$password" RUST_LOG=error \
    ./target/debug/api accounts create --email "$role@contract.test" --name "Contract $role" --role "$role" >/dev/null
done
cookie() { # the session cookie of $1
  curl -sf -D - -o /dev/null -H 'content-type: application/json' \
    -d "{\"email\":\"$1@contract.test\",\"password\":\"$password\"}" "$base/api/auth/login" |
    tr -d '\r' | awk -F'[:;] *' 'tolower($1) == "set-cookie" { print $2 }'
}
token() { echo "${1#*=}"; } # the session token of a `name=value` cookie
admin_cookie=$(cookie admin)
analyst_cookie=$(cookie analyst)
# An open poll, so the participants' routes have something to answer.
curl -sf -H "cookie: $admin_cookie" -H 'content-type: application/json' \
  -d '{"title":"Contract","questions":[{"var_name":"pid3"},{"var_name":"perf_judicial_ind"}],"split_by":"pid3"}' \
  "$base/api/admin/polls" >/dev/null
curl -sf -X PATCH -H "cookie: $admin_cookie" -H 'content-type: application/json' -d '{"is_open":true}' \
  "$base/api/admin/polls/1" >/dev/null

curl -sf "$base/api/openapi.json" -o target/openapi.json
if "$venv/bin/openapi-spec-validator" target/openapi.json; then check_pass "the OpenAPI document is valid"
else check_fail "the OpenAPI document is invalid"; fi

fuzz() { # fuzz NAME SESSION_TOKEN [st options]
  local name=$1 session=$2; shift 2
  if BLW_SESSION="$session" "$venv/bin/st" run "$base/api/openapi.json" --checks all --seed 20261127 --max-examples "${CONTRACT_EXAMPLES:-25}" \
      --workers 1 --request-timeout 5 --no-color "$@" >"target/contract-$name.log" 2>&1; then
    check_pass "schemathesis $name: $(grep -Eo '[0-9]+ generated' "target/contract-$name.log" | head -1) cases, no failures"
  else
    check_fail "schemathesis $name"; grep -E "^(_{3,}|- ST|    (Received|Documented|Expected)|    curl)" "target/contract-$name.log" | head -60
  fi
}
# Anonymous: a session token that matches no session.
fuzz anonymous "no-such-session"
# Logging out, or changing the admin's own password or role, ends the session being fuzzed with:
# logout is fuzzed anonymously, the account update last.
fuzz analyst "$(token "$analyst_cookie")" --exclude-path /api/auth/logout
fuzz admin "$(token "$admin_cookie")" --exclude-path /api/auth/logout --exclude-operation-id update_account
fuzz admin-accounts "$(token "$admin_cookie")" --include-operation-id update_account
curl -sf "$base/healthz" >/dev/null || check_fail "the api did not survive the fuzzing"

check_finish
