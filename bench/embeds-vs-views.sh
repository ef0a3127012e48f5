#!/usr/bin/env bash
# Live embeds vs audience views (issue 35): "1,000 live embeds of one question cost no more than
# 1,000 audience views". 1,000 simulated browsers open the per-question embed a deck frames
# (/embed/polls/{slug}/q1), or the projector's audience view (/polls/{slug}?present=1), making the
# requests the page makes (bench/poll-load's embed-load reads them from the page: HTML, scripts,
# modules, stylesheet, API calls, then the results stream, held) while votes arrive open loop;
# the api's CPU time (/proc/<pid>/stat utime + stime) and RSS are read around each step. A run
# with no screens at all gives the votes' own cost, which the per-delivery figures leave out.
# Each round is a fresh release api (the same database, its default settings) on loopback, with
# PostgreSQL and the driver on the same cores; the rounds go baseline, views, embeds, embeds,
# views, so that drift shows.
# Prints a Markdown section for BENCHMARKS.md.
# Usage: bench/embeds-vs-views.sh [clients, default 1000] [votes/s, default 100] [seconds, default 30]
set -euo pipefail
cd "$(dirname "$0")/.."
clients="${1:-1000}"; rate="${2:-100}"; seconds="${3:-30}"
cargo build --release -q -p api -p poll-load
source bench/lib.sh
bench_setup blw_bench_embeds 18086 /tmp/embeds-vs-views-api.log

round() { # page → one line of key=value figures
  bench_start_api
  BASE_URL="http://127.0.0.1:$port" API_PID="$api_pid" \
    PAGE="$1" CLIENTS="$clients" RATE="$rate" SECONDS="$seconds" CLK_TCK="$(getconf CLK_TCK)" \
    ./target/release/embed-load
  bench_stop_api
}
field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }

baseline=$(round none)
rounds=("$(round audience)" "$(round embed)" "$(round embed)" "$(round audience)")
base_cpu=$(field "$baseline" vote_cpu_ms)
base_votes=$(field "$baseline" votes_2xx)

rows=""
embed_us=(); view_us=(); embed_open=(); view_open=(); embed_rss=(); view_rss=()
for line in "${rounds[@]}"; do
  page=$(field "$line" page)
  label=$([ "$page" = embed ] && echo "embed \`/embed/polls/{slug}/q1\`" || echo "audience view \`/polls/{slug}?present=1\`")
  # The votes cost the same with or without screens: their cost per vote (the baseline's) comes off.
  per_delivery=$(awk -v cpu="$(field "$line" vote_cpu_ms)" -v votes="$(field "$line" votes_2xx)" \
    -v base_cpu="$base_cpu" -v base_votes="$base_votes" -v deliveries="$(field "$line" deliveries)" \
    'BEGIN { printf "%.2f", (cpu - base_cpu * votes / base_votes) * 1000 / deliveries }')
  open_each=$(awk -v ms="$(field "$line" open_cpu_ms)" -v n="$clients" 'BEGIN { printf "%.3f", ms / n }')
  rss_each=$(awk -v a="$(field "$line" rss_start_mb)" -v b="$(field "$line" rss_holding_mb)" -v n="$clients" \
    'BEGIN { printf "%.1f", (b - a) * 1024 / n }')
  if [ "$page" = embed ]; then
    embed_us+=("$per_delivery"); embed_open+=("$open_each"); embed_rss+=("$rss_each")
  else
    view_us+=("$per_delivery"); view_open+=("$open_each"); view_rss+=("$rss_each")
  fi
  rows+=$(awk -v label="$label" -v base_cpu="$base_cpu" -v base_votes="$base_votes" -v us="$per_delivery" \
    -v requests="$(field "$line" requests_per_client)" -v bytes="$(field "$line" opened_bytes_per_client)" \
    -v open_s="$(field "$line" open_seconds)" -v open_cpu="$(field "$line" open_cpu_ms)" \
    -v rss0="$(field "$line" rss_start_mb)" -v rss="$(field "$line" rss_holding_mb)" -v peak="$(field "$line" rss_peak_mb)" \
    -v votes="$(field "$line" votes_2xx)" -v deliveries="$(field "$line" deliveries)" \
    -v dbytes="$(field "$line" delivered_bytes)" -v cpu="$(field "$line" vote_cpu_ms)" \
    -v failed="$(field "$line" failed_browsers)" -v refused="$(field "$line" refused)" -v clients="$clients" \
    'BEGIN {
      screens = cpu - base_cpu * votes / base_votes
      printf "| %s | %d | %.0f KB | %.1f s | %.0f ms (%.2f ms each) | %.0f → %.0f MB (%.0f KB each); peak %.0f MB | %d | %d (%.0f B each) | %.0f ms | %.0f ms = **%.2f µs per delivery** | %d | %s |\n",
        label, requests, bytes / 1024, open_s, open_cpu, open_cpu / clients, rss0, rss, (rss - rss0) * 1024 / clients, peak,
        votes, deliveries, dbytes / deliveries, cpu, screens, us, failed, refused
    }')$'\n'
done
mean() { printf '%s\n' "$@" | awk '{ s += $1; n++ } END { printf "%.2f", s / n }'; }
embed_mean=$(mean "${embed_us[@]}"); view_mean=$(mean "${view_us[@]}")
ratio=$(awk -v e="$embed_mean" -v v="$view_mean" 'BEGIN { printf "%.2f", e / v }')
open_line=$(awk -v e="$(mean "${embed_open[@]}")" -v v="$(mean "${view_open[@]}")" \
  'BEGIN { printf "opening: embed %.2f ms, audience view %.2f ms of api CPU per browser (ratio %.2f)", e, v, e / v }')
rss_line=$(awk -v e="$(mean "${embed_rss[@]}")" -v v="$(mean "${view_rss[@]}")" \
  'BEGIN { printf "memory held: embed %.0f KB, audience view %.0f KB of api RSS per open screen", e, v }')
# How far apart two rounds of the same page are: the noise a difference is to be read against.
spread() { printf '%s\n' "$@" | awk '{ v[n++] = $1; s += $1 } END { lo = hi = v[0]; for (i in v) { if (v[i] < lo) lo = v[i]; if (v[i] > hi) hi = v[i] } printf "%.0f", (hi - lo) * 100 / (s / n) }'; }
noise="rounds of the same page differ by up to $(spread "${embed_us[@]}") % (embeds) and $(spread "${view_us[@]}") % (views)"
verdict=$(awk -v r="$ratio" -v noise="$noise" 'BEGIN {
  if (r <= 1) print "**met** (" noise ")"
  else printf "**missed**: an embed costs %.0f %% more per delivery than an audience view (%s)\n", (r - 1) * 100, noise
}')

cat <<MD
### Live embeds vs audience views ($(date -u +%Y-%m-%d), $(nproc) cores; api, PostgreSQL and the driver share them)

Command: \`bench/embeds-vs-views.sh $clients $rate $seconds\` (driver: \`bench/poll-load\`'s \`embed-load\`;
release build, the api's default settings, a fresh api process per round). $clients browsers open the
page (every request it makes, read from the page: HTML, scripts and modules, stylesheet, API calls;
one kept-alive connection each, gzip as Chromium asks) and hold its results stream on a connection of
its own while votes arrive open loop at $rate/s for $seconds s (each a new participant on a new
connection). CPU is the api's user + system time; "screens" is the CPU while voting less the votes'
own cost (a round with no screens: $base_votes votes in $base_cpu ms); a delivery is one frame
written to one screen's stream.

| page | requests per browser | bytes read to open | open wall | api CPU to open | api RSS before → holding | votes 2xx | deliveries | CPU while voting | screens' CPU | failed browsers | non-2xx while opening |
|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---|
$rows
CPU per delivery, mean of the rounds: embed $embed_mean µs, audience view $view_mean µs; embed / audience
view = **$ratio** — $verdict. Also $open_line; $rss_line.
MD
