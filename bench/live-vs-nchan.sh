#!/usr/bin/env bash
# Live results side by side with nginx + nchan on the same machine (issue 36): is the api's fan-out
# as good as the best existing one, doing the same work? For each watcher count, alternating:
#   1. the api (a fresh release process, its default settings): N watchers of a poll's results
#      stream, votes open loop (1,000/s at up to 1,000 watchers, 200/s up to 10,000, 300/s above,
#      as bench/live-polls.sh), each a new participant on a new connection (bench/poll-load --kv);
#   2. nginx + nchan (a fresh one, bench/nchan/start.sh, 2 workers): N EventSource subscribers of
#      one channel, messages published open loop at the frames/s per watcher the api delivered in
#      the run just before, each frame as long as the api's median frame (bench/poll-load's
#      nchan-load, FRAME_BYTES).
# The servers, PostgreSQL and the drivers share the machine. Prints a Markdown section for
# BENCHMARKS.md: both rows per watcher count (latency p50 / p99 / max, deliveries per CPU-second,
# peak RSS, lost / unfinished) and the ratios the issue's goals are set in; each run's key=value
# line goes to stderr.
# Usage: bench/live-vs-nchan.sh [watcher counts, default "1000 10000 15000 hog"] [seconds, default 30]
# ("hog": the api at 1,000 watchers and 1,000 votes/s, quiet and then beside a busy loop.)
# Env: API_BIN (the api to measure; default ./target/release/api, built here when API_BIN is
# unset), NCHAN_WORKERS (2), NCHAN_REUSEPORT=1 (a listening socket per nginx worker; default one
# shared socket, as the issue's measurement), VOTE_RATE (votes/s at every watcher count).
set -euo pipefail
cd "$(dirname "$0")/.."
counts="${1:-1000 10000 15000 hog}"
seconds="${2:-30}"
api_port=18150
nchan_port=19480
workers="${NCHAN_WORKERS:-2}"

# setup.sh's messages go to stderr: stdout is the Markdown section.
(source scripts/setup.sh; ensure_nchan) >&2
if [ -z "${API_BIN:-}" ]; then cargo build --release -q -p api; fi
export API_BIN="${API_BIN:-./target/release/api}"
cargo build --release -q -p poll-load
source bench/lib.sh
source bench/nchan/measure.sh
bench_setup blw_bench_nchan "$api_port" /tmp/live-vs-nchan-api.log
ticks=$(getconf CLK_TCK)

nchan_prefix=""
stop_nchan() {
  if [ -n "$nchan_prefix" ]; then bench/nchan/stop.sh "$nchan_prefix" >&2 || true; fi
  nchan_prefix=""
}
bench_on_exit() { stop_nchan; }

field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }

vote_rate() { # watchers → votes/s
  if [ -n "${VOTE_RATE:-}" ]; then echo "$VOTE_RATE"
  elif [ "$1" -le 1000 ]; then echo 1000
  elif [ "$1" -le 10000 ]; then echo 200
  else echo 300
  fi
}

# The runs set `result` (a key=value line, or "failed=1") rather than print it: a server started
# in a command substitution's subshell would be out of the exit trap's reach.
api_run() { # watchers, votes/s
  bench_start_api
  if ! result=$(BASE_URL="http://127.0.0.1:$api_port" API_PIDS="$api_pid" CLK_TCK="$ticks" \
    ./target/release/poll-load --kv --watchers "$1" --rate "$2" --seconds "$seconds"); then
    echo "live-vs-nchan: the api run at $1 watchers failed" >&2
    result="server=api failed=1"
  fi
  bench_stop_api
}

nchan_run() { # subscribers, messages/s, frame bytes
  local started master pids
  started=$(bench/nchan/start.sh "$nchan_port" "$workers")
  read -r master nchan_prefix <<<"$started"
  pids=$(nginx_pids "$master")
  if ! result=$(NCHAN_URL="http://127.0.0.1:$nchan_port" SUBSCRIBERS="$1" RATE="$2" SECONDS="$seconds" \
    FRAME_BYTES="$3" SERVER_PIDS="$pids" CLK_TCK="$ticks" ./target/release/nchan-load); then
    echo "live-vs-nchan: the nchan run at $1 subscribers failed" >&2
    result="server=nchan failed=1"
  fi
  # A worker that died and was replaced took its CPU time with it.
  if [ "$(nginx_pids "$master")" != "$pids" ]; then
    echo "live-vs-nchan: nginx's processes changed during the run ($pids → $(nginx_pids "$master"))" >&2
    result="$result workers_changed=1"
  fi
  stop_nchan
}

row() { # watchers, key=value line → a Markdown row
  local line="$2"
  if [ "$(field "$line" failed)" = 1 ]; then
    echo "| $1 | $(field "$line" server) | failed (see stderr) | | | | | | | |"
    return
  fi
  local server load lost
  server=$(field "$line" server)
  if [ "$server" = api ]; then
    load="$(field "$line" rate) votes/s, $(field "$line" votes_2xx) stored = 2xx of $(field "$line" votes_sent)"
    [ "$(field "$line" stored)" = "$(field "$line" votes_2xx)" ] || load="$load, **stored $(field "$line" stored)**"
    lost="$(field "$line" lost) totals ≠ stored / $(field "$line" unfinished)"
  else
    server="nchan-$(field "$line" workers)"
    load="$(field "$line" rate) messages/s, $(field "$line" published) published"
    [ "$(field "$line" publish_failed)" = 0 ] || load="$load, **$(field "$line" publish_failed) failed**"
    lost="$(field "$line" lost) / $(field "$line" unfinished)"
    [ "$(field "$line" deliveries)" = "$(field "$line" expected)" ] ||
      lost="$lost; **$(field "$line" deliveries) of $(field "$line" expected) delivered**"
    [ "$(field "$line" refused)" = 0 ] || lost="$lost; **$(field "$line" refused) refused**"
    [ -z "$(field "$line" workers_changed)" ] || lost="$lost; **workers changed**"
  fi
  printf '| %s | %s | %s | %.0f / %.0f / %.0f ms | %.1f | %s / %s B | %s | %s | %s MB | %s |\n' \
    "$1" "$server" "$load" "$(field "$line" latency_p50_ms)" "$(field "$line" latency_p99_ms)" \
    "$(field "$line" latency_max_ms)" "$(field "$line" frames_per_second)" "$(field "$line" frame_bytes_p50)" \
    "$(field "$line" frame_bytes_max)" "$(field "$line" deliveries)" "$(field "$line" deliveries_per_cpu_second)" \
    "$(field "$line" rss_peak_mb)" "$lost"
}

ratio_row() { # watchers, api line, nchan line → a Markdown row
  awk -v n="$1" -v ap99="$(field "$2" latency_p99_ms)" -v np99="$(field "$3" latency_p99_ms)" \
    -v acpu="$(field "$2" deliveries_per_cpu_second)" -v ncpu="$(field "$3" deliveries_per_cpu_second)" \
    -v arss="$(field "$2" rss_peak_mb)" -v nrss="$(field "$3" rss_peak_mb)" 'BEGIN {
      if (ap99 == "" || np99 == "" || np99 + 0 == 0 || ncpu + 0 == 0) { printf "| %s | — | | — | | |\n", n; exit }
      p = ap99 / np99; c = acpu / ncpu; goal = (n <= 1000) ? 1.5 : 1.0
      printf "| %s | **%.2f** | %s (≤ %.1f) | **%.2f** | %s (≥ 1.0) | %.0f / %.0f MB |\n", n, p, (p <= goal) ? "met" : "missed",
        goal, c, (c >= 1.0) ? "met" : "missed", arss, nrss
    }'
}

# The api with an unrelated CPU hog on the host (issue 36's last goal): 1,000 watchers at 1,000
# votes/s, quiet and then beside a busy loop (a process of its own, not the api's), p99 compared.
hog_check() {
  local quiet hogged hog
  echo "live-vs-nchan: api, 1000 watchers, 1000 votes/s, $seconds s, quiet" >&2
  api_run 1000 1000
  quiet="$result"
  echo "$quiet" >&2
  echo "live-vs-nchan: the same beside a busy loop" >&2
  sh -c 'while :; do :; done' &
  hog=$!
  api_run 1000 1000
  kill "$hog"
  wait "$hog" 2>/dev/null || true
  hogged="$result"
  echo "$hogged" >&2
  rows+="$(row "1000 quiet" "$quiet")"$'\n'"$(row "1000 + CPU hog" "$hogged")"$'\n'
  hog_ratio=$(awk -v q="$(field "$quiet" latency_p99_ms)" -v h="$(field "$hogged" latency_p99_ms)" 'BEGIN {
    if (q == "" || h == "" || q + 0 == 0) { print "—"; exit }
    r = h / q; printf "**%.2f** (%.0f ms hogged / %.0f ms quiet): %s (≤ 2.0)", r, h, q, (r <= 2.0) ? "met" : "missed"
  }')
}

rows=""
ratios=""
hog_ratio=""
for watchers in $counts; do
  if [ "$watchers" = hog ]; then
    hog_check
    continue
  fi
  rate=$(vote_rate "$watchers")
  echo "live-vs-nchan: api, $watchers watchers, $rate votes/s, $seconds s" >&2
  api_run "$watchers" "$rate"
  api_line="$result"
  echo "$api_line" >&2
  rows+="$(row "$watchers" "$api_line")"$'\n'
  if [ "$(field "$api_line" failed)" = 1 ] || [ "$(field "$api_line" frame_bytes_p50)" = nan ]; then
    echo "live-vs-nchan: no api figures to set nchan's rate from; nchan at $watchers skipped" >&2
    ratios+="$(ratio_row "$watchers" "" "")"$'\n'
    continue
  fi
  messages=$(field "$api_line" frames_per_second)
  frame=$(field "$api_line" frame_bytes_p50)
  echo "live-vs-nchan: nchan-$workers, $watchers subscribers, $messages messages/s of $frame-byte frames, $seconds s" >&2
  nchan_run "$watchers" "$messages" "$frame"
  echo "$result" >&2
  rows+="$(row "$watchers" "$result")"$'\n'
  ratios+="$(ratio_row "$watchers" "$api_line" "$result")"$'\n'
done

listen=$([ "${NCHAN_REUSEPORT:-0}" = 1 ] && echo "a listening socket per worker (reuseport)" ||
  echo "one listening socket the workers take turns at (nginx's default)")
api_label=$([ "$API_BIN" = ./target/release/api ] && echo "" || echo "API_BIN=$API_BIN ")
cat <<MD
### Live results vs nginx + nchan ($(date -u +%Y-%m-%d), $(nproc) cores; the server, PostgreSQL and the drivers share them)

Command: \`${api_label}bench/live-vs-nchan.sh "$counts" $seconds\` (drivers: \`bench/poll-load\`'s \`poll-load --kv\`
and \`nchan-load\`, release builds; $(nginx -v 2>&1 | sed 's|^nginx version: ||') with nchan, $workers workers, $listen).
Per watcher count the api runs first, then nginx + nchan, each a fresh process, alternating. The api:
watchers of a poll's results stream while votes arrive open loop, each a new participant on a new
connection; latency runs from a vote's due time to the first frame on a watcher's stream that counts
it. nchan: as many EventSource subscribers of one channel, messages published open loop over 4
kept-alive connections at the frames/s per watcher the api delivered in the run before, each frame
as long as the api's median; latency runs from a message's due time to its receipt. Deliveries are
frames received in the measured window (the votes or the publishing, and 500 ms after), counted per
CPU-second of the server's user + system time over that window; the api's CPU includes taking the
ballots. Peak RSS is VmHWM (nginx: master and workers summed, each worker's 40,000-slot connection
table included, ~23 MB idle). Lost / unfinished: for the api, watchers whose last total ≠ stored /
watchers that did not see the poll close; for nchan, messages a subscriber missed / subscribers that
did not see the end message.

| watchers | server | load | latency p50 / p99 / max | frames/s per watcher | frame bytes p50 / max | deliveries | deliveries per CPU-s | peak RSS | lost / unfinished |
|---:|---|---|---:|---:|---:|---:|---:|---:|---|
$rows
| watchers | api p99 / nchan p99 | goal | api / nchan deliveries per CPU-s | goal | peak RSS api / nchan |
|---:|---:|---|---:|---|---:|
$ratios
MD
if [ -n "$hog_ratio" ]; then
  echo
  echo "With a CPU hog on the host (a busy loop, 1,000 watchers, 1,000 votes/s): p99 hogged / quiet $hog_ratio."
fi
