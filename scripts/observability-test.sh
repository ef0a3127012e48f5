#!/usr/bin/env bash
# The api's Prometheus metrics, scraped for real. Checks deploy/prometheus (promtool: the config,
# and the alert rules' unit tests in alerts.test.yml), then runs two api processes
# (target/debug/api) on a fresh database, each with its own metrics listener (METRICS_ADDR), and a
# real Prometheus scraping both with deploy/prometheus/prometheus.yml and alerts.yml as shipped
# (only the intervals shortened to 1 s and the target file pointing at the two processes):
#   - ballots to both processes (a watcher on each) add up in Prometheus to the 2xx answers, the
#     request-duration and vote → frame quantiles of the alert rules have values, both targets up,
#     every rule loads and evaluates;
#   - `promtool check metrics` accepts each process's /metrics (its complaints are printed);
#   - the public listener has no /metrics (404), and the metrics listener serves nothing else.
# That nothing a client sends becomes a label (random paths, slugs, query strings, methods,
# ballots, streams, staff paths), and that the series stay bounded, is the api's own test
# (api/tests/api/metrics.rs): Prometheus and a second process add nothing to it.
#
# Uses the binary as built (`cargo build -p api`; scripts/test.sh builds first): this script
# builds nothing. BLW_API_BIN to use another one. Installs Prometheus (Debian's `prometheus`, with
# promtool) and jq when missing and run as root. Under a minute, bounded: every wait has a limit.
# Idempotent: a fresh database blw_observability_<pid> and free ports per run; databases left by
# runs that were killed are dropped. Usage: scripts/observability-test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${BLW_API_BIN:-target/debug/api}"
db="blw_observability_$$"
url="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
export PGOPTIONS="-c client_min_messages=warning"
# shellcheck source=scripts/lib/check.sh
source scripts/lib/check.sh observability # check NAME COMMAND..., check_finish
info() { echo "observability: info $*"; }

for tool in prometheus promtool jq; do
  if ! command -v "$tool" >/dev/null; then
    if [ "$(id -u)" -eq 0 ]; then
      package=$tool; [ "$tool" = promtool ] && package=prometheus
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$package" >/dev/null
    else
      echo "observability: needs $tool (apt-get install prometheus jq, as root)"; exit 1
    fi
  fi
done

run=$(mktemp -d /tmp/blw-observability.XXXXXX)
pids=()
cleanup() {
  local status=$?
  set +e
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for _ in $(seq 1 50); do
    alive=false
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=true; done
    $alive || break
    sleep 0.2
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null; done
  wait 2>/dev/null
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
  if [ "$failed" -gt 0 ] || [ "$status" -ne 0 ]; then echo "observability: logs kept in $run"; else rm -rf "$run"; fi
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# Databases of earlier runs that were killed before their cleanup (their process is gone).
for old in $(psql -h 127.0.0.1 -U postgres -Atc "SELECT datname FROM pg_database WHERE datname ~ '^blw_observability_[0-9]+$'"); do
  kill -0 "${old##*_}" 2>/dev/null || psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $old WITH (FORCE)"
done

# Ports nobody listens on (and not handed out twice here).
taken=" "
pick_port() { # pick_port VAR
  local p
  while :; do
    p=$((20000 + RANDOM % 30000))
    [[ "$taken" == *" $p "* ]] && continue
    [ -z "$(ss -Htln "sport = :$p")" ] || continue
    taken+="$p "; printf -v "$1" %s "$p"; return
  done
}

# --- the shipped Prometheus files ----------------------------------------------------------------
out=$(promtool check config deploy/prometheus/prometheus.yml 2>&1) && rc=0 || rc=$?
check "promtool check config deploy/prometheus/prometheus.yml" test "$rc" -eq 0
[ "$rc" -eq 0 ] || sed 's/^/    /' <<<"$out"
out=$(promtool test rules deploy/prometheus/alerts.test.yml 2>&1) && rc=0 || rc=$?
check "promtool test rules deploy/prometheus/alerts.test.yml" test "$rc" -eq 0
[ "$rc" -eq 0 ] || sed 's/^/    /' <<<"$out"

# --- two api processes, each with a metrics listener ----------------------------------------------
if [ ! -x "$bin" ]; then
  check "the api binary $bin exists (cargo build -p api)" false
  check_finish; exit
fi
psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db"
pick_port port_a; pick_port port_b; pick_port metrics_a; pick_port metrics_b; pick_port port_prom
api_a="http://127.0.0.1:$port_a"; api_b="http://127.0.0.1:$port_b"
start_api() { # start_api NAME PORT METRICS_PORT → pid appended to pids
  DATABASE_URL="$url" HOST=127.0.0.1 PORT="$2" METRICS_ADDR="127.0.0.1:$3" RUST_LOG=warn \
    SHUTDOWN_DRAIN_SECONDS=1 "$bin" >"$run/api-$1.log" 2>&1 &
  pids+=("$!")
}
wait_ready() { # wait_ready BASE PID SECONDS
  local i
  for i in $(seq 1 $(($3 * 4))); do
    curl -sf --max-time 2 "$1/readyz" >/dev/null && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.25
  done
  return 1
}
# The first migrates the fresh database; the second starts once it is ready.
start_api a "$port_a" "$metrics_a"
ready=true; wait_ready "$api_a" "${pids[0]}" 240 || ready=false
check "process a migrates and answers /readyz" $ready
if ! $ready; then tail -n 20 "$run/api-a.log"; check_finish; exit; fi
start_api b "$port_b" "$metrics_b"
ready=true; wait_ready "$api_b" "${pids[1]}" 60 || ready=false
check "process b answers /readyz" $ready
if ! $ready; then tail -n 20 "$run/api-b.log"; check_finish; exit; fi
metrics_up=true
for m in "$metrics_a" "$metrics_b"; do
  curl -sf --max-time 5 -o "$run/metrics-first" "http://127.0.0.1:$m/metrics" && grep -q '^# TYPE ' "$run/metrics-first" \
    || metrics_up=false
done
check "both metrics listeners (METRICS_ADDR) serve /metrics" $metrics_up
if ! $metrics_up; then tail -n 20 "$run/api-a.log"; check_finish; exit; fi

# --- an admin, logged in, and an open poll -------------------------------------------------------
password="observability-password-$$"
DATABASE_URL="$url" BLW_PASSWORD="$password" RUST_LOG=error \
  "$bin" accounts create --email observability@example.org --name Observability --role admin >/dev/null
status=$(curl -s --max-time 10 -o "$run/login.json" -D "$run/login.headers" -w '%{http_code}' \
  -H 'content-type: application/json' \
  -d "{\"email\": \"observability@example.org\", \"password\": \"$password\"}" "$api_a/api/auth/login")
cookie=$(grep -i '^set-cookie:' "$run/login.headers" | head -n 1 | sed -e 's/^[^:]*: *//' -e 's/;.*//' | tr -d '\r')
check "the admin logs in (HTTP $status)" test "$status" = 200 -a -n "$cookie"
curl -s --max-time 10 -o "$run/poll.json" -H "cookie: $cookie" -H 'content-type: application/json' \
  -d '{"title": "Observability", "questions": [{"var_name": "pid3", "response_indices": [0, 1, 2, 3]}, {"var_name": "perf_judicial_ind", "response_indices": [3, 2, 0]}], "split_by": "pid3"}' \
  "$api_a/api/admin/polls"
poll_id=$(jq -r '.id // empty' "$run/poll.json")
slug=$(jq -r '.slug // empty' "$run/poll.json")
status=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -X PATCH -H "cookie: $cookie" \
  -H 'content-type: application/json' -d '{"is_open": true}' "$api_a/api/admin/polls/$poll_id")
check "a poll is created and opened (HTTP $status)" test -n "$slug" -a "$status" = 200
[ -n "$slug" ] || { check_finish; exit; }

# --- Prometheus with the shipped configuration -----------------------------------------------------
prom_dir="$run/prometheus"
mkdir -p "$prom_dir/targets"
sed -e 's/^  scrape_interval: 5s$/  scrape_interval: 1s/' -e 's/^  scrape_timeout: 4s$/  scrape_timeout: 1s/' \
  -e 's/^  evaluation_interval: 5s$/  evaluation_interval: 1s/' deploy/prometheus/prometheus.yml >"$prom_dir/prometheus.yml"
cp deploy/prometheus/alerts.yml "$prom_dir/alerts.yml"
printf '[{"targets": ["127.0.0.1:%s", "127.0.0.1:%s"]}]\n' "$metrics_a" "$metrics_b" >"$prom_dir/targets/blw-api.json"
out=$(promtool check config "$prom_dir/prometheus.yml" 2>&1) && rc=0 || rc=$?
check "the test's copy (1 s intervals) is valid" test "$rc" -eq 0 -a "$(grep -c ': 1s$' "$prom_dir/prometheus.yml")" -eq 3
prometheus --config.file="$prom_dir/prometheus.yml" --storage.tsdb.path="$prom_dir/data" \
  --web.listen-address="127.0.0.1:$port_prom" --log.level=warn >"$run/prometheus.log" 2>&1 &
pids+=("$!")
prom="http://127.0.0.1:$port_prom"
query() { curl -s --max-time 5 -G "$prom/api/v1/query" --data-urlencode "query=$1"; }
value_of() { query "$1" | jq -r '.data.result[0].value[1] // empty'; }
up=""
for _ in $(seq 1 60); do
  up=$(query 'up{job="blw-api"}' | jq -r '[.data.result[].value[1]] | sort | join(" ")' 2>/dev/null || true)
  [ "$up" = "1 1" ] && break
  sleep 0.5
done
check "Prometheus scrapes both processes: up{job=\"blw-api\"} = 1 for both (got: ${up:-nothing})" test "$up" = "1 1"
[ "$up" = "1 1" ] || { tail -n 20 "$run/prometheus.log"; check_finish; exit; }

# --- ballots to both processes, a watcher on each ------------------------------------------------
watcher_pids=()
for base in "$api_a" "$api_b"; do
  curl -sN --max-time 120 "$base/api/polls/$slug/results/stream" >"$run/stream-${base##*:}.sse" 2>/dev/null &
  pids+=("$!"); watcher_pids+=("$!")
done
sleep 1
# In three rounds 2 s apart: a series appears with its first observation, and rate() counts
# only what comes after a series' first scrape, so the quantiles need more than one burst.
ballots=300
: >"$run/ballots.codes"
for round in 0 1 2; do
  awk -v from=$((round * ballots / 3)) -v to=$(((round + 1) * ballots / 3)) -v a="$api_a" -v b="$api_b" \
    -v slug="$slug" -v run="$$" 'BEGIN {
    for (i = from; i < to; i++) {
      if (i > from) print "next"
      printf "url = \"%s/api/polls/%s/responses\"\n", (i % 2 ? b : a), slug
      print "header = \"content-type: application/json\""
      printf "data = \"{\\\"client_token\\\": \\\"observability-%s-%d\\\", \\\"answers\\\": [{\\\"var_name\\\": \\\"pid3\\\", \\\"response_index\\\": %d}, {\\\"var_name\\\": \\\"perf_judicial_ind\\\", \\\"response_index\\\": %d}]}\"\n", run, i, i % 4, (i % 3 == 0 ? 3 : i % 3 == 1 ? 2 : 0)
      print "output = \"/dev/null\""
      print "write-out = \"%{http_code}\\n\""
      print "max-time = 10"
    }
  }' >"$run/ballots-$round.curl"
  timeout 60 curl --no-progress-meter --parallel --parallel-max 8 -K "$run/ballots-$round.curl" >>"$run/ballots.codes" \
    2>>"$run/curl.err" || true
  [ "$round" = 2 ] || sleep 2
done
answered=$(grep -c '^2' "$run/ballots.codes" || true)
check "the api answers the $ballots ballots with 2xx ($answered; $(sort "$run/ballots.codes" | uniq -c | awk '{ printf "%s%s×%s", sep, $2, $1; sep = ", " }'))" \
  test "$answered" -eq "$ballots"
sleep 3
accepted=""
for _ in $(seq 1 20); do
  accepted=$(value_of 'sum(blw_ballots_total{job="blw-api", outcome="accepted"})')
  [ "$accepted" = "$answered" ] && break
  sleep 0.5
done
check "Prometheus: sum(blw_ballots_total{outcome=\"accepted\"}) = the 2xx answers ($accepted = $answered)" \
  test "$accepted" = "$answered"
info "accepted ballots per process: $(query 'blw_ballots_total{job="blw-api", outcome="accepted"}' \
  | jq -r '[.data.result[] | "\(.metric.instance) \(.value[1])"] | join(", ")')"
# A number (not NaN, not empty), waiting up to 10 s for the scrapes to catch up.
number_of() {
  local v=""
  for _ in $(seq 1 20); do
    v=$(value_of "$1")
    [[ "$v" =~ ^[0-9.e+-]+$ ]] && break
    sleep 0.5
  done
  echo "$v"
}
p99=$(number_of 'histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket{job="blw-api"}[1m])))')
check "Prometheus: request duration p99 over the fleet has a value (${p99:-empty} s)" \
  bash -c '[[ "$1" =~ ^[0-9.e+-]+$ ]]' _ "$p99"
lag=$(number_of 'histogram_quantile(0.99, sum by (le) (rate(blw_live_vote_to_frame_seconds_bucket{job="blw-api"}[1m])))')
check "Prometheus: vote → frame p99 over the fleet has a value (${lag:-empty} s)" \
  bash -c '[[ "$1" =~ ^[0-9.e+-]+$ ]]' _ "$lag"
watchers=$(value_of 'sum(blw_live_watchers{job="blw-api", audience="public"})')
check "Prometheus: blw_live_watchers{audience=\"public\"} counts the 2 watchers (${watchers:-nothing})" test "$watchers" = 2
capacity=$(query 'blw_ballot_queue_capacity{job="blw-api"}' | jq -r '[.data.result[].value[1]] | join(" ")')
check "Prometheus: blw_ballot_queue_capacity is 50000 on both (${capacity:-nothing})" test "$capacity" = "50000 50000"
logins=$(value_of 'sum(blw_logins_total{job="blw-api", outcome="succeeded"})')
check "Prometheus: blw_logins_total{outcome=\"succeeded\"} counts the login (${logins:-nothing})" test "$logins" = 1
ready=$(query 'blw_ready{job="blw-api"}' | jq -r '[.data.result[].value[1]] | join(" ")')
check "Prometheus: blw_ready is 1 on both (${ready:-nothing})" test "$ready" = "1 1"
# Every metric of the contract that this traffic exercises, exported (names, over the fleet).
query 'count by (__name__) ({job="blw-api"})' | jq -r '.data.result[].metric.__name__' | sort >"$run/names"
missing=""
for name in http_server_request_duration_seconds_bucket http_server_active_requests blw_ballots_total \
  blw_ballot_batch_size_bucket blw_ballot_commit_duration_seconds_bucket blw_ballot_queue_depth \
  blw_ballot_queue_capacity blw_live_watchers blw_live_frames_total blw_live_fanout_duration_seconds_bucket \
  blw_live_vote_to_frame_seconds_bucket blw_db_pool_connections blw_db_pool_max_connections \
  blw_survey_snapshot_age_seconds blw_logins_total blw_ready process_resident_memory_bytes process_open_fds \
  process_max_fds process_cpu_seconds_total; do
  grep -qx "$name" "$run/names" || missing+=" $name"
done
check "every metric this traffic exercises is exported${missing:+ (missing:$missing)}" test -z "$missing"
later=""
for name in blw_ballot_queue_full_total blw_live_resumes_total \
  blw_db_listener_reconnects_total blw_limit_refusals_total; do
  grep -qx "$name" "$run/names" || later+=" $name"
done
[ -z "$later" ] || info "not exported before their first event (rate/increase miss that first event):$later"
# Every rule of alerts.yml loaded and evaluated without error.
health=""
for _ in $(seq 1 20); do
  health=$(curl -s --max-time 5 "$prom/api/v1/rules" | jq -r '[.data.groups[].rules[].health] | group_by(.) | map("\(.[0])×\(length)") | join(", ")')
  [ "$health" = "ok×$(grep -c '^      - alert:' deploy/prometheus/alerts.yml)" ] && break
  sleep 0.5
done
check "Prometheus evaluates every alert rule without error ($health)" \
  test "$health" = "ok×$(grep -c '^      - alert:' deploy/prometheus/alerts.yml)"
firing=$(query 'ALERTS{alertstate="firing"}' | jq -r '[.data.result[].metric.alertname] | join(", ")')
info "alerts firing now: ${firing:-none}"
for pid in "${watcher_pids[@]}"; do kill "$pid" 2>/dev/null || true; done

# --- promtool check metrics on each process's /metrics -------------------------------------------
for name in a b; do
  m=$metrics_a; [ "$name" = b ] && m=$metrics_b
  curl -s --max-time 5 "http://127.0.0.1:$m/metrics" >"$run/metrics-$name.txt"
  out=$(promtool check metrics <"$run/metrics-$name.txt" 2>&1) && rc=0 || rc=$?
  check "promtool check metrics accepts process $name's /metrics" test "$rc" -eq 0
  [ -z "$out" ] || sed 's/^/    /' <<<"$out"
done

# --- the public listener has no /metrics; the metrics listener nothing else ----------------------
for base in "$api_a" "$api_b"; do
  status=$(curl -s --max-time 5 -o "$run/public-metrics" -w '%{http_code}' "$base/metrics")
  check "GET $base/metrics is 404, not the metrics (HTTP $status)" \
    bash -c '[ "$1" = 404 ] && ! grep -q "^# TYPE" "$2"' _ "$status" "$run/public-metrics"
done
status=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$metrics_a/api/surveys/waves")
check "the metrics listener serves no API (GET /api/surveys/waves: HTTP $status)" test "$status" != 200

# What the labels are, as exported (for the log).
info "process a's route labels: $(grep -v '^#' "$run/metrics-a.txt" | grep -o 'route="[^"]*"' | sort -u | tr '\n' ' ')"
info "process a's method labels: $(grep -v '^#' "$run/metrics-a.txt" | grep -o 'method="[^"]*"' | sort -u | tr '\n' ' ')"

check_finish
