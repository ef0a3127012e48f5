#!/usr/bin/env bash
# A fleet behind a real load balancer, faulted during a live event. Three api processes (release
# build), each in its own network namespace with its own address (veth pairs on a bridge, made
# here and removed on exit), HAProxy in front with deploy/haproxy.cfg as shipped, PostgreSQL on
# the host (reached through a relay: it listens on loopback only). Migrations run first as a
# deploy step; the processes run with MIGRATE_ON_START=false.
#
# An audience through HAProxy (bench/poll-load's fleet-audience: WATCHERS screens, RATE votes/s
# for VOTE_SECONDS, each vote a new connection, phones that retry with the same client_token, screens
# that reconnect with Last-Event-ID) while this script, in turn:
#   1. SIGKILLs one process and restarts it 5 s later;
#   2. restarts all three, one at a time (SIGTERM, wait for its exit and its readiness, next);
#   3. cuts one process's network to PostgreSQL for 10 s (a DROP rule in its namespace).
# Checks: the audience's (see fleet-audience.rs: no acknowledged vote lost or counted twice,
# every vote acknowledged after retries, no screen saw a total go down, every last total = stored,
# reconnects after a SIGTERM spread over a second), each stopped process exited 0 after SIGTERM,
# and HAProxy logged no 5xx during the rolling restart. Measured and printed, not checked
# (performance goals are benchmarks: BENCHMARKS.md): vote → event latency outside the fault
# windows, screens back after a SIGTERM, and where the CPU went. FAULTS=0: the audience alone.
#
# Needs root (network namespaces); installs HAProxy and iptables if missing. Bounded: ~2 minutes after the
# build. Usage: scripts/fleet-test.sh   (WATCHERS, RATE, VOTE_SECONDS to change the audience)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "fleet: needs root for network namespaces"; exit 1; }
for tool in haproxy iptables; do
  command -v "$tool" >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$tool" >/dev/null
done

export WATCHERS="${WATCHERS:-3000}" RATE="${RATE:-1000}" VOTE_SECONDS="${VOTE_SECONDS:-60}"
run=$(mktemp -d /tmp/blw-fleet.XXXXXX)
db="blw_fleet_$$"
bridge=blwfleet0
host_ip=10.77.0.1     # HAProxy's address as the processes see it
pg_ip=10.77.0.2       # the PostgreSQL relay
proxy=127.0.0.1:18300
# shellcheck source=scripts/lib/check.sh
source scripts/lib/check.sh fleet # check NAME COMMAND..., check_finish; $passed, $failed
ns() { echo "blwfleet$1"; }
api_ip() { echo "10.77.0.1$1"; }
declare -A pids
cleanup() {
  local status=$?
  set +e
  for i in 1 2 3; do [ -n "${pids[$i]:-}" ] && kill -9 "${pids[$i]}" 2>/dev/null; done
  [ -n "${haproxy_pid:-}" ] && kill "$haproxy_pid" 2>/dev/null
  [ -n "${relay_pid:-}" ] && kill "$relay_pid" 2>/dev/null
  [ -n "${driver_pid:-}" ] && kill "$driver_pid" 2>/dev/null
  [ -n "${top_pid:-}" ] && kill "$top_pid" 2>/dev/null
  wait 2>/dev/null
  for i in 1 2 3; do ip netns del "$(ns "$i")" 2>/dev/null; done
  ip link del "$bridge" 2>/dev/null
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
  if [ "$failed" -gt 0 ] || [ "$status" -ne 0 ]; then echo "fleet: logs kept in $run"; else rm -rf "$run"; fi
}
trap cleanup EXIT
trap 'exit 143' TERM INT
ulimit -n "$(ulimit -Hn)"

cargo build --release -q -p api -p migration -p poll-load
bin=target/release

# --- the network: a bridge on the host, a namespace per process -------------------------------
ip link del "$bridge" 2>/dev/null || true
ip link add "$bridge" type bridge
ip addr add "$host_ip/24" dev "$bridge"
ip addr add "$pg_ip/24" dev "$bridge"
ip link set "$bridge" up
for i in 1 2 3; do
  ip netns del "$(ns "$i")" 2>/dev/null || true
  ip link del "vfleet$i" 2>/dev/null || true
  ip netns add "$(ns "$i")"
  ip link add "vfleet$i" type veth peer name eth0 netns "$(ns "$i")"
  ip link set "vfleet$i" master "$bridge" up
  ip -n "$(ns "$i")" addr add "$(api_ip "$i")/24" dev eth0
  ip -n "$(ns "$i")" link set eth0 up
  ip -n "$(ns "$i")" link set lo up
done
"$bin/fleet-audience" relay "$pg_ip:5432" 127.0.0.1:5432 &
relay_pid=$!

# --- the database, migrated as a deploy step ---------------------------------------------------
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
export PGOPTIONS="-c client_min_messages=warning"
host_url="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
DATABASE_URL="$host_url" RUST_LOG=error "$bin/migration" up >"$run/migration.log" 2>&1
password="fleet-password-$$"
DATABASE_URL="$host_url" BLW_PASSWORD="$password" RUST_LOG=error MIGRATE_ON_START=false \
  "$bin/api" accounts create --email fleet@example.org --name Fleet --role admin >/dev/null

start_api() { # i: start process i in its namespace
  ip netns exec "$(ns "$1")" env DATABASE_URL="postgres://postgres@$pg_ip:5432/$db?sslmode=disable" \
    HOST="$(api_ip "$1")" PORT=8080 MIGRATE_ON_START=false TRUSTED_PROXIES="$host_ip/32" LOG_FORMAT=json \
    RUST_LOG=warn "$bin/api" >>"$run/api$1.log" 2>&1 &
  pids[$1]=$!
}
wait_ready() { # i
  for _ in $(seq 1 150); do
    curl -sf -o /dev/null "http://$(api_ip "$1"):8080/readyz" && return 0
    sleep 0.1
  done
  echo "fleet: process $1 did not become ready" >&2
  return 1
}
now_ms() { date +%s%3N; }
for i in 1 2 3; do start_api "$i"; done
for i in 1 2 3; do wait_ready "$i"; done

BLW_BIND="$proxy" BLW_API_1="$(api_ip 1):8080" BLW_API_2="$(api_ip 2):8080" BLW_API_3="$(api_ip 3):8080" \
  haproxy -db -f deploy/haproxy.cfg >"$run/haproxy.log" 2>&1 &
haproxy_pid=$!
for _ in $(seq 1 50); do curl -sf -o /dev/null "http://$proxy/readyz" && break; sleep 0.1; done

# --- the audience, and the faults on its timeline -----------------------------------------------
faults="$run/faults.txt"
: >"$faults"
PROXY="$proxy" ADMIN_EMAIL=fleet@example.org ADMIN_PASSWORD="$password" FAULTS_FILE="$faults" \
  "$bin/fleet-audience" >"$run/audience.out" 2>"$run/audience.err" &
driver_pid=$!
# Where the two cores go, sampled every 5 s (printed at the end: a latency miss says why).
top -b -d 5 -w 200 >"$run/top.txt" 2>/dev/null &
top_pid=$!
for _ in $(seq 1 900); do [ -f "$faults.started" ] && break; sleep 0.1; done
[ -f "$faults.started" ] || { echo "fleet: the audience did not start"; cat "$run/audience.err"; exit 1; }
echo "fleet: audience started ($WATCHERS screens, $RATE votes/s for $VOTE_SECONDS s)"

if [ "${FAULTS:-1}" = 0 ]; then
  # The audience alone (FAULTS=0): what the fleet does with nothing going wrong.
  echo "done" >>"$faults"
else
sleep 5
# 1. SIGKILL process 2; back 5 s later.
start=$(now_ms)
kill -9 "${pids[2]}"; wait "${pids[2]}" 2>/dev/null || true
sleep 5
start_api 2; wait_ready 2
echo "window kill $start $(now_ms)" >>"$faults"
sleep 3

# 2. A rolling restart: each process stopped with SIGTERM, back and ready before the next.
exits=()
rolling_from=$(wc -l <"$run/haproxy.log")
for i in 1 2 3; do
  start=$(now_ms)
  echo "sigterm $start" >>"$faults"
  kill -TERM "${pids[$i]}"
  status=0; wait "${pids[$i]}" || status=$?
  exits+=("$status")
  echo "fleet: process $i stopped after SIGTERM in $(( $(now_ms) - start )) ms with status $status"
  start_api "$i"; wait_ready "$i"
  echo "window rolling-$i $start $(now_ms)" >>"$faults"
done
sleep 1
rolling_to=$(wc -l <"$run/haproxy.log")
sleep 1

# 3. Process 3 loses its network to PostgreSQL for 10 s (its packets to the relay silently dropped).
start=$(now_ms)
ip netns exec "$(ns 3)" iptables -A OUTPUT -d "$pg_ip/32" -j DROP
sleep 10
ip netns exec "$(ns 3)" iptables -D OUTPUT -d "$pg_ip/32" -j DROP
echo "window partition $start $(now_ms)" >>"$faults"
echo "done" >>"$faults"
fi

driver_status=0
wait "$driver_pid" || driver_status=$?
driver_pid=
kill "$top_pid" 2>/dev/null || true
# Mean %CPU per program over the samples (200 = both cores).
awk '/^top -/ { samples++ } $1 ~ /^[0-9]+$/ && NF >= 12 { cpu[$12] += $9 }
  END { line = "fleet: mean CPU while the audience ran (% of one core):";
        for (c in cpu) if (cpu[c] / samples >= 2) line = line sprintf(" %s %.0f", c, cpu[c] / samples); print line }' \
  "$run/top.txt"
cat "$run/audience.out"
grep -v "^$" "$run/audience.err" | tail -5 | sed 's/^/fleet-audience: /'
audience_passed=$(awk '/^fleet-audience: [0-9]+ passed/ { print $2 }' "$run/audience.out")
audience_failed=$(awk '/^fleet-audience: [0-9]+ passed/ { print $4 }' "$run/audience.out")
passed=$((passed + ${audience_passed:-0})); failed=$((failed + ${audience_failed:-1}))
[ "$driver_status" -eq 0 ] || [ "${audience_failed:-1}" -gt 0 ] || failed=$((failed + 1))

if [ "${FAULTS:-1}" != 0 ]; then
exited_cleanly() { for s in "${exits[@]}"; do [ "$s" -eq 0 ] || return 1; done; }
check "every process exited 0 after SIGTERM (${exits[*]})" exited_cleanly
# httplog: the status is the 6th field (client, date, frontend, backend/server, timers, status).
rolling_5xx=$(sed -n "$((rolling_from + 1)),${rolling_to}p" "$run/haproxy.log" | awk '$6 ~ /^5[0-9][0-9]$/' | wc -l)
all_5xx=$(awk '$6 ~ /^5[0-9][0-9]$/' "$run/haproxy.log" | wc -l)
check "HAProxy logged no 5xx during the rolling restart ($rolling_5xx; $all_5xx in the whole run)" \
  test "$rolling_5xx" -eq 0
fi
check_finish
