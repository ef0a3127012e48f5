// Vote-to-screen latency in a real browser: headless Chromium shows a poll's results on several
// screens (presenter views and participant result pages) while this script votes over HTTP; each
// page timestamps when its response count first reaches each vote. Prints a Markdown section for
// BENCHMARKS.md. Usage: node bench/poll-screen.mjs [screens] [votes] [votes/s]
import { performance } from "node:perf_hooks";
import { apiLogin, launchBrowser, startStack } from "../e2e/harness.mjs";

const [screens = 6, votes = 300, rate = 50] = process.argv.slice(2).map(Number);
const stack = await startStack("bench_screen");
const browser = await launchBrowser();
const now = () => performance.timeOrigin + performance.now();
try {
  stack.createAccount("bench@example.org", "admin");
  const { request } = await apiLogin(stack.baseURL, "bench@example.org");
  const admin = (path, method, body) => request(path, method, body).then((r) => r.json());
  const poll = await admin("/api/admin/polls", "POST", {
    title: "Latency",
    description: "",
    questions: [{ var_name: "perf_concede_defeat" }, { var_name: "pid3" }],
  });
  await admin(`/api/admin/polls/${poll.id}`, "PATCH", { is_open: true });

  // Each screen records (count, time) whenever its summary line changes.
  const pages = [];
  for (let i = 0; i < screens; i += 1) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const url = i % 2 === 0 ? `/polls/${poll.slug}?present=1` : `/polls/${poll.slug}`;
    if (i % 2 === 1)
      await context.addInitScript(
        ([slug]) =>
          localStorage.setItem(`blw-poll:${slug}`, JSON.stringify({ token: "watcher-token-000", voted: true })),
        [poll.slug],
      );
    await page.goto(`${stack.baseURL}${url}`);
    await page.waitForFunction(() => document.querySelector(".results-summary")?.textContent.includes("0 responses"));
    await page.evaluate(() => {
      window.seen = [];
      const summary = document.querySelector(".results-summary");
      new MutationObserver(() => {
        const count = Number(summary.textContent.match(/([\d,]+) respons/)?.[1].replace(/,/g, ""));
        window.seen.push([count, performance.timeOrigin + performance.now()]);
      }).observe(summary, { childList: true, characterData: true, subtree: true });
    });
    pages.push(page);
  }

  const sent = [];
  const committed = [];
  const start = now();
  const inflight = [];
  for (let i = 0; i < votes; i += 1) {
    const due = start + (i * 1000) / rate;
    const wait = due - now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    sent[i] = now();
    inflight.push(
      fetch(`${stack.baseURL}/api/polls/${poll.slug}/responses`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          client_token: `bench-voter-${i}`,
          answers: [
            { var_name: "perf_concede_defeat", response_index: i % 4 },
            { var_name: "pid3", response_index: i % 5 },
          ],
        }),
      }).then(async (response) => {
        if (response.status !== 201) throw new Error(`vote ${i}: ${response.status} ${await response.text()}`);
        committed[i] = now();
      }),
    );
  }
  await Promise.all(inflight);
  // Votes commit in any order: vote i is "on screen" once the count reaches the number of votes
  // committed by then, i.e. the screen first shows a count ≥ (rank of i by commit time) + 1.
  const order = committed.map((t, i) => [t, i]).sort((a, b) => a[0] - b[0]);
  const rank = new Array(votes);
  order.forEach(([, i], r) => {
    rank[i] = r + 1;
  });
  await Promise.all(
    pages.map((page) => page.waitForFunction((n) => window.seen.some(([c]) => c >= n), votes, { timeout: 30_000 })),
  );
  const fromSend = [];
  const fromCommit = [];
  let missing = 0;
  for (const page of pages) {
    const seen = await page.evaluate(() => window.seen);
    for (let i = 0; i < votes; i += 1) {
      const shown = seen.find(([count]) => count >= rank[i]);
      if (!shown) {
        missing += 1;
        continue;
      }
      fromSend.push(shown[1] - sent[i]);
      fromCommit.push(Math.max(0, shown[1] - committed[i]));
    }
  }
  const quantile = (values, q) => {
    const s = [...values].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor(q * s.length))];
  };
  const row = (label, values) =>
    `| ${label} | ${quantile(values, 0.5).toFixed(1)} | ${quantile(values, 0.95).toFixed(1)} | ${quantile(values, 0.99).toFixed(1)} | ${Math.max(...values).toFixed(1)} |`;
  console.log(`### Vote to screen in Chromium (${new Date().toISOString().slice(0, 10)})

Command: \`bench/poll-screen.sh ${screens} ${votes} ${rate}\` — ${screens} Chromium page(s) (a presenter view first, then participant result pages and presenter views in turn) follow one poll while ${votes} votes arrive at ${rate}/s over HTTP; each page timestamps (MutationObserver) when its response count first covers each vote. api (release), PostgreSQL, Chromium and the driver share the machine's cores. Goal: results on screen < 100 ms after a vote.

| latency (ms), ${fromSend.length} vote × screen pairs | p50 | p95 | p99 | max |
|---|---:|---:|---:|---:|
${row(
  "vote sent → committed (201 received)",
  committed.map((t, i) => t - sent[i]),
)}
${row("vote sent → on screen", fromSend)}
${row("vote committed (201 received) → on screen", fromCommit)}

Votes never shown on a screen: ${missing}.`);
} finally {
  await browser.close();
  await stack.stop();
}
