#!/usr/bin/env bash
# The post-talk report at talk scale (issue 35): target "the report for a 20-question poll with
# 10,000 respondents is ready in under 5 s". A 20-question poll of every kind (catalog questions
# with the nation, choices, scales, words, open answers, rankings, guesses, a hidden question;
# split by party) answered by 10,000 ballots through the public route, then the report ZIP
# (PDF handout + 20 PNG slides + CSV) downloaded as the console does, on a new connection, five
# times; the handout alone and the CSV export beside it (the CSV: what a report adds to).
# The release api with its default settings, PostgreSQL and the driver share the machine.
# Prints a Markdown section for BENCHMARKS.md. Usage: bench/report.sh [respondents] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
respondents="${1:-10000}"; runs="${2:-5}"
cargo build --release -q -p api
source bench/lib.sh
bench_setup blw_bench_report 18097 /tmp/report-bench-api.log
bench_start_api
out=$(BASE_URL="http://127.0.0.1:$port" RESPONDENTS="$respondents" RUNS="$runs" node bench/report-load.mjs)
rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$api_pid/status")
node - "$out" "$rss_kb" "$respondents" "$runs" <<'JS'
const [out, rssKb, respondents, runs] = process.argv.slice(2);
const r = JSON.parse(out);
const stats = (list) => {
  const s = list.map((x) => x.seconds).sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], max: s[s.length - 1], mb: list[0].bytes / 1e6 };
};
const row = (name, list) => {
  const { median, max, mb } = stats(list);
  return `| ${name} | ${median.toFixed(2)} s | ${max.toFixed(2)} s | ${mb.toFixed(2)} MB |`;
};
const report = stats(r.report);
console.log(`### The post-talk report at talk scale (${new Date().toISOString().slice(0, 10)}, ${require("node:os").cpus().length} cores; api, PostgreSQL and the driver share them)

Command: \`bench/report.sh ${respondents} ${runs}\` (driver: \`bench/report-load.mjs\`; release build, the api's default
settings). ${r.questions} questions of every kind, ${r.respondents} participants (${r.refused} ballots refused; seeded in
${r.seedingSeconds.toFixed(1)} s through the public route), each download on a new connection, ${runs} times.

| download | median | max | size |
|---|---:|---:|---:|
${row("report ZIP (handout + 20 slides + CSV)", r.report)}
${row("handout PDF alone", r.handout)}
${row("responses CSV alone", r.csv)}

Target: the report ready in under 5 s — ${report.max < 5 ? "met" : "**missed**"} (slowest of ${runs}: ${report.max.toFixed(2)} s).
api peak RSS: ${(Number(rssKb) / 1024).toFixed(0)} MB.`);
JS
