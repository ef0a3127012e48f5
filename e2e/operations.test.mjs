// The console's Operations section in headless Chromium against the real api and a fresh database:
// the staff endpoint refuses anonymous callers; an analyst sees the same panel as an admin, with
// nothing in it that changes anything; while a driver votes 20 ballots a second the fleet's votes/s
// rises on screen, the process table has the one process, and polling stops when the tab is
// hidden or the view left. With the endpoint's answers staged (page.route): stale and not-ready
// processes and a lag over 250 ms are said in words, and only a significant change (a process
// dropping out, a threshold crossed back, the figures no longer updating) is announced, once.
import assert from "node:assert/strict";
import { test } from "node:test";
import { apiLogin, browserSuite, consoleLogIn, screenshot, seriousA11yViolations } from "./harness.mjs";

const suite = browserSuite("operations", (stack) => {
  stack.createAccount("host@example.org", "admin", "Ada Admin");
  stack.createAccount("reader@example.org", "analyst", "Andy Analyst");
});
const { page, problems } = suite;
// A fresh api (migrating on start) per test, then a browser session: bounded, with room to spare.
const LIMIT = { timeout: 240_000 };
const ENDPOINT = "/api/admin/operations";
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const QUESTION = { kind: "choice", text: "Coffee or tea?", options: ["Coffee", "Tea"], max_choices: 1 };

/** A page logged into the console as `email`, and the times it asked for the operations figures. */
async function consolePage(email) {
  const on = await page();
  await consoleLogIn(on, suite.stack.baseURL, email);
  const reads = [];
  const methods = [];
  on.on("request", (request) => {
    methods.push(`${request.method()} ${new URL(request.url()).pathname}`);
    if (new URL(request.url()).pathname === ENDPOINT) reads.push(Date.now());
  });
  return { on, reads, methods };
}

/** Opens the Operations view from the navigation and waits for its figures. */
async function openOperations(on) {
  await on.click("#admin-nav a[data-section=operations]");
  await on.waitForSelector("#ops-updated:not(:empty)");
  assert.equal(new URL(on.url()).pathname, "/admin/operations");
  assert.equal(await on.getAttribute("#admin-nav a[data-section=operations]", "aria-current"), "page");
  assert.equal(await on.title(), "Operations — BLW admin");
}

/** A fleet figure as shown (`key` as the endpoint names it). */
const figure = (on, key) => on.textContent(`[data-figure="${key}"] .figure-number`);
const asNumber = (text) => Number.parseFloat(text.replaceAll(",", ""));

/** Waits (20 s at most) until the fleet figure `key` shows more than `above`; else fails saying
 *  what the panel shows instead. */
async function waitForFigure(on, key, above) {
  try {
    await on.waitForFunction(
      ([name, floor]) =>
        Number.parseFloat(
          document.querySelector(`[data-figure="${name}"] .figure-number`)?.textContent.replaceAll(",", ""),
        ) > floor,
      [key, above],
      { timeout: 20_000 },
    );
  } catch (error) {
    const shown = await on.textContent(`[data-figure="${key}"] .figure-number`);
    const summary = await on.textContent("#ops-summary");
    const colours = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");
    const log = suite.stack.log
      .join("")
      .replace(colours, "")
      .split("\n")
      .filter((line) => /operations/.test(line))
      .slice(-3);
    assert.fail(`${key} stays at ${shown} (${summary}); ${error.message}; api log: ${log.join(" | ")}`);
  }
}

/** Asserts the page does not read the figures for `ms` (requests already under way aside). */
async function assertNoReads(reads, ms, why) {
  await sleep(300);
  const before = reads.length;
  await sleep(ms);
  assert.equal(reads.length, before, why);
}

/** Waits until the page reads the figures again: a read after the first `before` (by default,
 *  any read from now on; count them before an action whose read may come before this is called). */
async function waitForRead(reads, timeout = 5_000, before = reads.length) {
  const deadline = Date.now() + timeout;
  while (reads.length === before) {
    assert.ok(Date.now() < deadline, "the figures are read again");
    await sleep(100);
  }
}

/** The lines the view's live region said, recorded in the page from now on. */
async function recordAnnouncements(on) {
  await on.evaluate(() => {
    window.announced = [];
    const region = document.getElementById("ops-announcer");
    new MutationObserver(() => window.announced.push(region.textContent)).observe(region, {
      childList: true,
      subtree: true,
      characterData: true,
    });
  });
  return () => on.evaluate(() => window.announced);
}

/** The endpoint's answer, as staff get it, once a process has reported (every 2 s) and every
 *  process reporting is ready (a process's first report may come before it is). */
async function operationsJson(request) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const response = await request(ENDPOINT, "GET");
    assert.equal(response.status, 200, await response.clone().text());
    const body = await response.json();
    if (body.processes.length > 0 && body.fleet.ready_processes === body.processes.length) return body;
    assert.ok(Date.now() < deadline, `a ready process reports within 15 s: ${JSON.stringify(body)}`);
    await sleep(500);
  }
}

/** Waits until the page shows `text` as the fleet's summary. */
const waitForSummary = (on, text) =>
  on.waitForFunction((expected) => document.getElementById("ops-summary")?.textContent === expected, text, {
    timeout: 10_000,
  });

test("the panel refuses anonymous callers and analysts see it read-only", LIMIT, async () => {
  const anonymous = await fetch(`${suite.stack.baseURL}${ENDPOINT}`);
  assert.equal(anonymous.status, 401);
  assert.match(anonymous.headers.get("content-type") ?? "", /^application\/json/);
  const refusal = await anonymous.json();
  assert.equal(typeof refusal.error.message, "string");
  assert.ok(!("processes" in refusal) && !("fleet" in refusal));

  // Analysts and admins read the same figures.
  const { request: asAnalyst } = await apiLogin(suite.stack.baseURL, "reader@example.org");
  const { request: asAdmin } = await apiLogin(suite.stack.baseURL, "host@example.org");
  const read = await operationsJson(asAnalyst);
  assert.equal(read.processes.length, 1);
  assert.equal(read.fleet.processes, 1);
  assert.equal((await asAdmin(ENDPOINT, "GET")).status, 200);

  const { on: analyst, reads, methods } = await consolePage("reader@example.org");
  assert.ok(await analyst.isVisible("#admin-nav a[data-section=operations]"), "analysts have the Operations link");
  await openOperations(analyst);
  await analyst.waitForSelector(".ops-processes tbody tr[data-process]");
  assert.equal(await analyst.locator(".ops-processes tbody tr").count(), 1);
  assert.equal(
    await analyst.textContent(".ops-processes tbody tr th[scope=row]"),
    read.processes[0].process,
    "the row is the process the endpoint names",
  );
  for (const key of ["votes_per_second", "watchers", "queue_depth", "pool_in_use", "errors_last_5m"])
    assert.match(await figure(analyst, key), /^\d[\d,]*(\.\d)?$/, key);
  for (const key of ["lag_p50_ms", "lag_p99_ms"]) assert.match(await figure(analyst, key), /^(–|[\d,.]+ ms)$/, key);
  await waitForSummary(analyst, "1 process reporting, 1 ready.");
  assert.match(await analyst.textContent("#ops-updated"), /^Figures of \d{1,2}:\d\d:\d\d\s[AP]M$/);
  // Read-only: nothing to fill in, and the one button only pauses the page's own refreshing.
  assert.equal(await analyst.locator("#view :is(form, input, select, textarea)").count(), 0);
  assert.deepEqual(await analyst.$$eval("#view button", (buttons) => buttons.map((b) => b.id)), ["ops-pause"]);
  assert.deepEqual(await seriousA11yViolations(analyst), []);
  await screenshot(analyst, "operations-analyst");

  // It reads every 2 seconds; Pause stops that (said on screen), pressing it again reads at once.
  await waitForRead(reads);
  await analyst.click("#ops-pause");
  assert.equal(await analyst.getAttribute("#ops-pause", "aria-pressed"), "true");
  assert.match(await analyst.textContent("#ops-updated"), /· paused$/);
  await assertNoReads(reads, 4_500, "no reads while paused");
  const readsBeforeResuming = reads.length;
  await analyst.click("#ops-pause");
  assert.equal(await analyst.getAttribute("#ops-pause", "aria-pressed"), "false");
  await waitForRead(reads, 1_500, readsBeforeResuming);
  await waitForRead(reads);
  // Everything the page asked of the api since logging in only read.
  assert.deepEqual(
    methods.filter((m) => !m.startsWith("GET ")),
    [],
  );
  assert.ok(methods.includes(`GET ${ENDPOINT}`));
  assert.deepEqual(problems.flat(), []);
});

test("the panel in Chromium shows votes/s rising while a driver votes", LIMIT, async () => {
  const { request } = await apiLogin(suite.stack.baseURL, "host@example.org");
  const created = await request("/api/admin/polls", "POST", {
    title: "Load check",
    description: "",
    questions: [QUESTION],
  });
  assert.equal(created.status, 201, await created.clone().text());
  const poll = await created.json();
  assert.equal((await request(`/api/admin/polls/${poll.id}`, "PATCH", { is_open: true })).status, 200);
  await operationsJson(request);

  const { on: admin, reads } = await consolePage("host@example.org");
  await openOperations(admin);
  await waitForSummary(admin, "1 process reporting, 1 ready.");
  const rows = admin.locator(".ops-processes tbody tr");
  assert.equal(await rows.count(), 1);
  const announcements = await recordAnnouncements(admin);
  assert.equal(asNumber(await figure(admin, "votes_per_second")), 0, "no votes yet");
  assert.equal(asNumber(await figure(admin, "watchers")), 0, "no watchers yet");

  // The driver: 20 ballots a second for 8 seconds, each a participant of its own (its own token)
  // from an address of its own (the api believes the loopback proxy's X-Forwarded-For).
  const statuses = [];
  const driver = (async () => {
    const start = Date.now();
    const sent = [];
    for (let i = 0; i < 160; i += 1) {
      const wait = start + i * 50 - Date.now();
      if (wait > 0) await sleep(wait);
      sent.push(
        fetch(`${suite.stack.baseURL}/api/polls/${poll.slug}/responses`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-forwarded-for": `198.51.100.${(i % 250) + 1}` },
          body: JSON.stringify({
            client_token: `ops-token-${i}`,
            answers: [{ var_name: "q1", response_index: i % 2 }],
          }),
        }).then(async (response) => {
          statuses.push(response.status);
          await response.arrayBuffer();
        }),
      );
    }
    await Promise.all(sent);
  })();
  const watching = new AbortController();
  let drained = Promise.resolve();
  let read;
  try {
    // The fleet's votes/s rises above 0 on screen while the driver votes, and the process's too.
    await waitForFigure(admin, "votes_per_second", 0);
    assert.equal(await rows.count(), 1);
    assert.ok(asNumber(await rows.locator("td").nth(1).textContent()) > 0, "the process's votes/s too");

    // A results screen starts watching the poll (from outside the browser) while the votes go on:
    // the watcher shows, and the votes reaching it give the vote → screen lag.
    const stream = await fetch(`${suite.stack.baseURL}/api/polls/${poll.slug}/results/stream`, {
      headers: { accept: "text/event-stream", "x-forwarded-for": "192.0.2.10" },
      signal: watching.signal,
    });
    assert.equal(stream.status, 200);
    const reader = stream.body.getReader();
    drained = (async () => {
      try {
        for (;;) if ((await reader.read()).done) break;
      } catch {
        // aborted at the end of the test
      }
    })();
    await waitForFigure(admin, "watchers", 0.5);
    await driver;
    assert.equal(statuses.length, 160);
    assert.deepEqual(
      statuses.filter((status) => status !== 201),
      [],
      "every ballot accepted",
    );
    // The endpoint agrees: what is on screen is what staff read. Read now, while the votes are
    // inside the rate's 10 s window (the loop below outlasts it, on purpose).
    const { request: asAnalyst } = await apiLogin(suite.stack.baseURL, "reader@example.org");
    read = await operationsJson(asAnalyst);
    assert.ok(read.fleet.votes_per_second > 0, JSON.stringify(read.fleet));
    // The process keeps reporting once frames carry votes (for 12 s: past the 10 s after which a
    // silent process drops out), and the lag shows.
    for (let i = 0; i < 6; i += 1) {
      await waitForRead(reads);
      assert.equal(await rows.count(), 1, `the process still reports ${i * 2} s after the votes`);
    }
    assert.match(await figure(admin, "lag_p50_ms"), /^[\d,.]+ ms$/, "the vote → screen lag of the frames");
    assert.match(await admin.textContent("#ops-summary"), /^1 process reporting, 1 ready\.$/);
    assert.deepEqual(await seriousA11yViolations(admin), []);
    await screenshot(admin, "operations-voting");
  } finally {
    await driver;
    watching.abort();
    await drained;
  }
  assert.equal(read.processes.length, 1);

  // Only significant changes were said (the numbers changing every 2 s are not): at most the lag
  // crossing its threshold on a loaded debug build.
  for (const line of await announcements())
    assert.match(line, /^$|Vote → screen lag p99 is (over 250 ms|back within bounds)/, line);

  // A hidden tab does not read; shown again, it reads at once.
  await admin.evaluate(() => {
    Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
    document.dispatchEvent(new Event("visibilitychange"));
  });
  await assertNoReads(reads, 4_500, "no reads while the tab is hidden");
  const readsBeforeShowing = reads.length;
  await admin.evaluate(() => {
    delete document.hidden;
    delete document.visibilityState;
    document.dispatchEvent(new Event("visibilitychange"));
  });
  await waitForRead(reads, 1_500, readsBeforeShowing);
  // Leaving the view stops the reads.
  await admin.click("#admin-nav a[data-section=polls]");
  await admin.waitForSelector(`tr[data-poll="${poll.slug}"]`);
  await assertNoReads(reads, 4_500, "no reads once the view is left");
  assert.deepEqual(problems.flat(), []);
});

/** Staged answers of the endpoint, in its contract's shape. */
const FRESH = {
  process: "10.0.0.1:8080/101",
  age_seconds: 1.2,
  ready: true,
  votes_per_second: 40.5,
  watchers: 1200,
  lag_p50_ms: 35.2,
  lag_p99_ms: 310,
  queue_depth: 10,
  queue_capacity: 50_000,
  pool_in_use: 3,
  pool_max: 16,
  errors_last_5m: 0,
  requests_last_5m: 5000,
  refusals_last_5m: 2,
};
const SILENT = {
  process: "10.0.0.2:8080/202",
  age_seconds: 7.5,
  ready: false,
  votes_per_second: 0,
  watchers: 0,
  lag_p50_ms: null,
  lag_p99_ms: null,
  queue_depth: 0,
  queue_capacity: 50_000,
  pool_in_use: 0,
  pool_max: 16,
  errors_last_5m: 3,
  requests_last_5m: 20,
  refusals_last_5m: 0,
};
function staged(processes, fleet) {
  const now = Date.now();
  return {
    generated_at: new Date(now).toISOString(),
    processes: processes.map((p) => ({ ...p, reported_at: new Date(now - p.age_seconds * 1000).toISOString() })),
    fleet: {
      processes: processes.length,
      ready_processes: processes.filter((p) => p.ready).length,
      ...Object.fromEntries(
        [
          "votes_per_second",
          "watchers",
          "queue_depth",
          "queue_capacity",
          "pool_in_use",
          "pool_max",
          "errors_last_5m",
          "requests_last_5m",
          "refusals_last_5m",
        ].map((key) => [key, processes.reduce((sum, p) => sum + p[key], 0)]),
      ),
      ...fleet,
    },
  };
}

test(
  "stale and not-ready processes and a slow p99 are said in words; a process dropping out is announced once",
  LIMIT,
  async () => {
    const { on: analyst, reads } = await consolePage("reader@example.org");
    let answer = { status: 200, body: staged([FRESH, SILENT], { lag_p50_ms: 35.2, lag_p99_ms: 310 }) };
    await analyst.route(`**${ENDPOINT}`, (route) =>
      route.fulfill({ status: answer.status, contentType: "application/json", body: JSON.stringify(answer.body) }),
    );
    await openOperations(analyst);
    await analyst.waitForSelector(`tr[data-process="${SILENT.process}"]`);
    const announcements = await recordAnnouncements(analyst);

    // The fleet: large figures, the p99 over 250 ms a warning in words.
    assert.equal(await figure(analyst, "votes_per_second"), "40.5");
    assert.equal(await figure(analyst, "watchers"), "1,200");
    assert.equal(await figure(analyst, "lag_p50_ms"), "35 ms");
    assert.equal(await figure(analyst, "lag_p99_ms"), "310 ms");
    const p99 = analyst.locator('[data-figure="lag_p99_ms"]');
    assert.match((await p99.getAttribute("class")) ?? "", /\bwarning\b/);
    assert.equal(await p99.locator(".figure-level").textContent(), "Warning: over 250 ms");
    assert.equal(await analyst.textContent('[data-figure="queue_depth"] .figure-sub'), "waiting, of 100,000 places");
    assert.equal(
      await analyst.textContent('[data-figure="errors_last_5m"] .figure-sub'),
      "5xx of 5,020 requests · 2 refused (429)",
    );
    assert.equal(await analyst.locator('[data-figure="errors_last_5m"] .figure-level').textContent(), "");
    assert.equal(
      await analyst.textContent("#ops-summary"),
      "2 processes reporting, 1 ready, 1 stale. Warning: not every process is ready",
    );
    // The processes: the silent one not ready and stale, in words; the slow one's p99 a warning.
    const silent = analyst.locator(`tr[data-process="${SILENT.process}"]`);
    assert.equal(
      await silent.locator("td.state").textContent(),
      "Not ready Stalelast report 7.5 s ago",
      "badges, then the age on a line of its own",
    );
    assert.match(await silent.locator("td").nth(3).textContent(), /^–$/, "no frames: no lag");
    assert.match(await silent.locator("td").nth(7).textContent(), /^3 of 20Alert: over 5% of requests$/);
    const fresh = analyst.locator(`tr[data-process="${FRESH.process}"]`);
    assert.match(await fresh.locator("td.state").textContent(), /^Readylast report 1\.2 s ago$/);
    assert.equal(await fresh.locator("td").nth(4).textContent(), "310 msWarning: over 250 ms");
    assert.deepEqual(await seriousA11yViolations(analyst), []);
    await screenshot(analyst, "operations-warnings");

    // Refreshes with nothing new say nothing.
    await waitForRead(reads);
    await waitForRead(reads);
    assert.deepEqual(await announcements(), []);

    // The silent process drops out: said once, not again at the next refreshes.
    answer = { status: 200, body: staged([FRESH], { lag_p50_ms: 35.2, lag_p99_ms: 310 }) };
    await analyst.waitForSelector(`tr[data-process="${SILENT.process}"]`, { state: "detached" });
    assert.equal(await analyst.locator(".ops-processes tbody tr").count(), 1);
    assert.equal(await analyst.textContent("#ops-summary"), "1 process reporting, 1 ready.");
    await waitForRead(reads);
    await waitForRead(reads);
    assert.deepEqual(await announcements(), [`Process ${SILENT.process} stopped reporting and dropped out.`]);

    // The lag back under 250 ms: said, and the warning gone.
    answer = { status: 200, body: staged([{ ...FRESH, lag_p99_ms: 120 }], { lag_p50_ms: 35.2, lag_p99_ms: 120 }) };
    await analyst.waitForFunction(() => !document.querySelector('[data-figure="lag_p99_ms"]').matches(".warning"));
    assert.equal(await figure(analyst, "lag_p99_ms"), "120 ms");
    await waitForRead(reads);
    assert.deepEqual((await announcements()).slice(1), ["Vote → screen lag p99 is back within bounds."]);

    // The endpoint failing: the figures stay, marked as not updating, said once; then back.
    const before = problems[0].length;
    answer = { status: 503, body: { error: { code: "unavailable", message: "The database is unavailable" } } };
    await analyst.waitForFunction(() => document.getElementById("ops-updated").textContent.includes("not updating"));
    assert.match(await analyst.textContent("#ops-updated"), /· not updating: The database is unavailable$/);
    assert.equal(await figure(analyst, "votes_per_second"), "40.5");
    await waitForRead(reads);
    answer = { status: 200, body: staged([FRESH], { lag_p50_ms: 35.2, lag_p99_ms: 120 }) };
    await analyst.waitForFunction(() => !document.getElementById("ops-updated").textContent.includes("not updating"));
    assert.deepEqual((await announcements()).slice(2), [
      "The operations figures stopped updating: The database is unavailable.",
      "The operations figures are updating again.",
    ]);
    assert.ok(
      problems[0]
        .splice(before)
        .every((p) => /^console: Failed to load resource: the server responded with a status of 503\b/.test(p)),
    );

    // An ended session: the console's login form, saying so; no more reads.
    answer = { status: 401, body: { error: { code: "unauthorized", message: "Log in first" } } };
    await analyst.waitForSelector("form.login");
    assert.match(await analyst.textContent("form.login"), /Your session has ended/);
    await assertNoReads(reads, 4_500, "no reads once the session has ended");
    assert.ok(
      problems[0]
        .splice(before)
        .every((p) => /^console: Failed to load resource: the server responded with a status of 401\b/.test(p)),
    );
    assert.deepEqual(problems.flat(), []);
  },
);
