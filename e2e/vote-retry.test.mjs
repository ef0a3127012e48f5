// A participant's vote when the network or the server fails, in headless Chromium: a small proxy
// between the browser and the api cuts, refuses or passes each ballot. The page tries a failed
// ballot again by itself (saying so) with the same client token and answers, so the poll counts one
// respondent; a refusal (4xx other than 429) is shown at once and not sent again; after about a
// minute of failures the page says the vote is not in and the participant's tap sends it again.
// The same proxy cuts a results stream and refuses its reconnections: the screen comes back live.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createServer, request } from "node:http";
import { afterEach, test } from "node:test";
import { apiJson, apiLogin, browserSuite, postBallot } from "./harness.mjs";

const suite = browserSuite("vote_retry", (stack) => stack.createAccount("host@example.org", "admin", "Ada Admin"));
const { phone, problems } = suite;
const BALLOT = /^\/api\/polls\/[^/]+\/responses$/;
const STREAM = /^\/api\/polls\/[^/]+\/results\/stream(\?.*)?$/;

/**
 * An HTTP proxy to `target` on a free port. Each ballot POST takes the next step of `plan`:
 * "drop" (the api records it, the browser's connection is then cut without an answer), an object
 * `{ status, body, headers }` answered by the proxy itself, or "forward" (also when `plan` is
 * empty). `ballots` records each ballot POST: when it came, its JSON body and the step it took.
 * Each request for the results stream likewise takes the next step of `streamPlan` (an object
 * answered by the proxy, or "forward"), recorded in `streams` with its Last-Event-ID.
 * Every answer closes its connection, so each request of the page has a connection of its own
 * (Chromium silently sends a request again itself when a reused keep-alive connection drops).
 */
async function ballotProxy(target) {
  const proxy = { plan: [], ballots: [], streamPlan: [], streams: [] };
  const open = new Set();
  /** Cuts the results streams passing through, as a restarting proxy or a lost network would. */
  proxy.cutStreams = () => {
    for (const socket of open) socket.destroy();
  };
  const forward = (req, body, respond) => {
    const upstream = request(`${target}${req.url}`, { method: req.method, headers: req.headers }, respond);
    upstream.on("error", () => req.socket.destroy());
    req.socket.on("close", () => upstream.destroy());
    upstream.end(body);
  };
  const pass = (res) => (answer) => {
    res.writeHead(answer.statusCode, { ...answer.headers, connection: "close" });
    answer.pipe(res);
  };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      if (STREAM.test(req.url)) {
        const step = proxy.streamPlan.shift() ?? "forward";
        const inAddress = new URL(req.url, "http://proxy").searchParams.get("last_event_id");
        proxy.streams.push({ at: Date.now(), step, lastEventId: req.headers["last-event-id"] ?? null, inAddress });
        if (step !== "forward") {
          res.writeHead(step.status, { "content-type": "application/json", connection: "close", ...step.headers });
          return res.end(JSON.stringify(step.body));
        }
        open.add(req.socket);
        req.socket.on("close", () => open.delete(req.socket));
      }
      if (req.method !== "POST" || !BALLOT.test(req.url)) return forward(req, body, pass(res));
      const step = proxy.plan.shift() ?? "forward";
      proxy.ballots.push({ at: Date.now(), body: JSON.parse(body.toString()), step });
      if (step === "forward") return forward(req, body, pass(res));
      if (step === "drop")
        // The ballot arrives and is committed; its answer is lost on the way back.
        return forward(req, body, (answer) => {
          answer.resume();
          answer.on("end", () => req.socket.destroy());
        });
      res.writeHead(step.status, { "content-type": "application/json", connection: "close", ...step.headers });
      res.end(JSON.stringify(step.body));
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  proxy.baseURL = `http://127.0.0.1:${server.address().port}`;
  proxy.close = () => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  };
  return proxy;
}

let proxy = null;
afterEach(async () => {
  await proxy?.close();
  proxy = null;
});

const refusal = (status, code, message, headers = {}) => ({ status, headers, body: { error: { code, message } } });

/** An open all-at-once poll of one catalog question, made through the api as the admin. */
async function openPoll() {
  const { request: asAdmin } = await apiLogin(suite.stack.baseURL, "host@example.org");
  const created = await asAdmin("/api/admin/polls", "POST", {
    title: "Retry check",
    description: "",
    questions: [{ var_name: "perf_concede_defeat" }],
  });
  assert.equal(created.status, 201, await created.clone().text());
  const poll = await created.json();
  assert.equal((await asAdmin(`/api/admin/polls/${poll.id}`, "PATCH", { is_open: true })).status, 200);
  return poll;
}

/** A phone on the poll through the proxy, its answer chosen; the `.retrying` messages it shows are
 *  recorded (text, role, the live region around them) in `window.retryMessages`. */
async function participant(poll, { clock = false } = {}) {
  const page = await phone();
  if (clock) await page.clock.install();
  await page.addInitScript(() => {
    window.retryMessages = [];
    new MutationObserver((records) => {
      for (const node of records.flatMap((record) => [...record.addedNodes])) {
        if (node.nodeType === Node.ELEMENT_NODE && node.matches(".retrying"))
          window.retryMessages.push({
            text: node.textContent,
            role: node.getAttribute("role"),
            live: node.closest("[aria-live]")?.getAttribute("aria-live") ?? null,
          });
      }
    }).observe(document, { childList: true, subtree: true });
  });
  await page.goto(`${proxy.baseURL}/polls/${poll.slug}`);
  await page.waitForSelector("fieldset.question-card");
  await page.locator("fieldset[data-question=perf_concede_defeat] label.choice", { hasText: /^Fully meets$/ }).click();
  return page;
}

/** This browser's client token for the poll, as the page keeps it. */
const storedToken = (page, poll) =>
  page.evaluate((key) => JSON.parse(localStorage.getItem(key)).token, `blw-poll:${poll.slug}`);

/** The poll's respondents in the database, with their client tokens. */
function respondentTokens(poll) {
  const connection = [
    ...["-h", process.env.PGHOST ?? "127.0.0.1", "-p", process.env.PGPORT ?? "5432"],
    ...["-U", process.env.PGUSER ?? "postgres", "-d", suite.stack.database],
  ];
  const sql = `SELECT client_token FROM polls.respondents WHERE poll_id = ${Number(poll.id)}`;
  const out = execFileSync("psql", [...connection, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql], { encoding: "utf8" });
  return out.split("\n").filter(Boolean);
}

/** Asserts every recorded ballot was this browser's one ballot: same token, same answers. */
function assertOneBallot(token) {
  assert.ok(proxy.ballots.length > 0);
  for (const { body } of proxy.ballots) {
    assert.equal(body.client_token, token, "never a new token");
    assert.deepEqual(body, proxy.ballots[0].body, "the same answers every time");
  }
}

/** Drops the lines the failures made on purpose (the browser logs each refused or cut ballot);
 *  anything else a page logged stays, for the test to find. */
function forgetExpected(lines) {
  const expected = (line) =>
    (line.startsWith("request failed:") && BALLOT.test(new URL(line.split(" ")[2]).pathname)) ||
    /^console: Failed to load resource: (the server responded with a status of (503|429|400|422)\b|net::ERR_EMPTY_RESPONSE$)/.test(
      line,
    );
  const seen = lines.filter(expected);
  lines.splice(0, lines.length, ...lines.filter((line) => !expected(line)));
  return seen;
}

test("a cut connection, a 503 and a 429 are retried by the page with the same token: one respondent", async () => {
  proxy = await ballotProxy(suite.stack.baseURL);
  const poll = await openPoll();
  const page = await participant(poll);
  proxy.plan.push(
    "drop",
    refusal(503, "unavailable", "the database is unavailable; try again shortly"),
    refusal(429, "too_many_requests", "too many requests; try again in 1 s", { "retry-after": "1" }),
  );
  await page.click(".submit-bar button");
  // One tap: the page goes on by itself until the vote is in.
  await page.locator(".confirmation", { hasText: "Thank you — your answers are in." }).waitFor({ timeout: 20_000 });
  assert.equal(await page.locator(".retrying").count(), 0, "no retry message once the vote is in");

  assert.deepEqual(
    proxy.ballots.map(({ step }) => (typeof step === "string" ? step : step.status)),
    ["drop", 503, 429, "forward"],
  );
  const token = await storedToken(page, poll);
  assertOneBallot(token);
  // Waits that grow (a quarter to half a second, then twice that), and a 429's Retry-After honoured.
  const gaps = proxy.ballots.slice(1).map(({ at }, i) => at - proxy.ballots[i].at);
  assert.ok(gaps[0] >= 200, `first wait ${gaps[0]} ms`);
  assert.ok(gaps[1] >= 450, `second wait ${gaps[1]} ms`);
  assert.ok(gaps[2] >= 1000, `the wait after a 429 with Retry-After: 1 was ${gaps[2]} ms`);

  // Said on screen, in a polite live region, before each try.
  assert.deepEqual(await page.evaluate(() => window.retryMessages), [
    { text: "Connection trouble — retrying your vote (attempt 2)…", role: "status", live: "polite" },
    { text: "Connection trouble — retrying your vote (attempt 3)…", role: "status", live: "polite" },
    { text: "Many votes at once — retrying your vote (attempt 4)…", role: "status", live: "polite" },
  ]);

  // The dropped try had been committed: the retry found it (200), and nothing was counted twice.
  assert.deepEqual(respondentTokens(poll), [token]);
  assert.equal((await apiJson(suite.stack.baseURL, `/api/polls/${poll.slug}/results`)).respondents, 1);
  await page.waitForFunction(() => document.querySelector(".results-summary")?.textContent.includes("1 response"));

  const seen = forgetExpected(problems.at(-1));
  assert.equal(seen.filter((line) => line.startsWith("request failed:")).length, 1, "the page saw the cut");
  assert.deepEqual(problems.flat(), []);
});

test("a refusal (400, 422) is shown at once and not sent again; the participant's tap sends it", async () => {
  proxy = await ballotProxy(suite.stack.baseURL);
  const poll = await openPoll();
  const page = await participant(poll);
  const submit = page.locator(".submit-bar button");
  const refusals = [
    refusal(400, "bad_request", "This ballot was refused."),
    refusal(422, "invalid_field", "That response is not offered."),
  ];
  for (const [i, step] of refusals.entries()) {
    proxy.plan.push(step);
    await submit.click();
    await page.locator(".error[role=alert]", { hasText: step.body.error.message }).waitFor();
    // Longer than the first two waits of a retry together: none comes.
    await page.waitForTimeout(2_000);
    assert.equal(proxy.ballots.length, i + 1, "exactly one POST per tap");
    assert.equal(await submit.textContent(), "Submit");
    assert.equal(await submit.isDisabled(), false, "the participant can try again");
  }
  await submit.click();
  await page.locator(".confirmation", { hasText: "Thank you — your answers are in." }).waitFor();
  assert.deepEqual(await page.evaluate(() => window.retryMessages), [], "a refusal is not retried");
  const token = await storedToken(page, poll);
  assertOneBallot(token);
  assert.equal(proxy.ballots.length, 3);
  assert.deepEqual(respondentTokens(poll), [token]);

  forgetExpected(problems.at(-1));
  assert.deepEqual(problems.flat(), []);
});

test("after about a minute of failures the page says the vote is not in; a tap sends it with the same token", async () => {
  proxy = await ballotProxy(suite.stack.baseURL);
  const poll = await openPoll();
  // The page's clock is Playwright's: the minute passes at once.
  const page = await participant(poll, { clock: true });
  const unavailable = refusal(503, "unavailable", "the database is unavailable; try again shortly");
  proxy.plan.push(...Array.from({ length: 100 }, () => unavailable));
  await page.click(".submit-bar button");
  const error = page.locator(".error[role=alert]");
  const started = Date.now();
  while ((await error.count()) === 0) {
    assert.ok(Date.now() - started < 90_000, `no end to the retries: ${proxy.ballots.length} tries`);
    // A quarter of a second of the page's time at once; the tries themselves take real time.
    await page.clock.runFor(250);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.match(
    await error.textContent(),
    /^Your vote is not in yet \(the database is unavailable; try again shortly\)\. Check your connection, then try again\.$/,
  );
  const tries = proxy.ballots.length;
  // 0.25–0.5 s, 0.5–1, 1–2, 2–4, then 4–8 s each: about ten tries in the minute.
  assert.ok(tries >= 8 && tries <= 20, `${tries} tries`);
  const messages = await page.evaluate(() => window.retryMessages.map((m) => m.text));
  assert.equal(messages.length, tries - 1);
  assert.equal(messages.at(-1), `Connection trouble — retrying your vote (attempt ${tries})…`);
  const submit = page.locator(".submit-bar button");
  assert.equal(await submit.isDisabled(), false);
  assert.equal(await submit.textContent(), "Submit");
  assert.deepEqual(respondentTokens(poll), []);

  proxy.plan.length = 0;
  await submit.click();
  await page.locator(".confirmation", { hasText: "Thank you — your answers are in." }).waitFor();
  const token = await storedToken(page, poll);
  assertOneBallot(token);
  assert.equal(proxy.ballots.length, tries + 1);
  assert.deepEqual(respondentTokens(poll), [token]);

  forgetExpected(problems.at(-1));
  assert.deepEqual(problems.flat(), []);
});

test("a results stream cut, then answered with an error status (503, 502, 429), is opened again", async () => {
  proxy = await ballotProxy(suite.stack.baseURL);
  const poll = await openPoll();
  const vote = async (token) =>
    assert.equal(
      (
        await postBallot(suite.stack.baseURL, poll.slug, token, [
          { var_name: "perf_concede_defeat", response_index: 0 },
        ])
      ).status,
      201,
    );
  await vote("stream-check-voter-1");
  const presenter = await suite.page();
  await presenter.goto(`${proxy.baseURL}/polls/${poll.slug}?present=1`);
  const live = (n) =>
    presenter.waitForFunction(
      (text) => document.querySelector(".results-summary")?.textContent.startsWith(text),
      `Live · ${n} response`,
      { timeout: 20_000 },
    );
  await live(1);

  // The stream is cut; EventSource comes back by itself (after the server's `retry:`, saying with
  // Last-Event-ID what it held) and meets error statuses, on which it gives up for good: the page
  // opens a new one after a growing wait.
  proxy.streamPlan.push(
    refusal(503, "unavailable", "the database is unavailable; try again shortly"),
    refusal(502, "bad_gateway", "no server is available"),
    refusal(429, "too_many_requests", "too many streams", { "retry-after": "1" }),
  );
  proxy.cutStreams();
  await presenter.locator(".live.stale").waitFor();
  await live(1);
  assert.deepEqual(
    proxy.streams.map(({ step }) => (typeof step === "string" ? step : step.status)),
    ["forward", 503, 502, 429, "forward"],
  );
  assert.ok(proxy.streams[1].lastEventId, "EventSource's own reconnection says what the page held");
  for (const opened of proxy.streams.slice(2)) {
    // A new EventSource cannot send the header: the page puts the frame it holds in the address.
    assert.equal(opened.inAddress, proxy.streams[1].lastEventId, "the page's new streams resume from what it held");
  }
  const gaps = proxy.streams.slice(2).map(({ at }, i) => at - proxy.streams[i + 1].at);
  assert.ok(gaps[0] >= 450, `first wait ${gaps[0]} ms`);
  assert.ok(gaps[1] >= 950, `second wait ${gaps[1]} ms`);
  assert.ok(gaps[2] >= 1950, `third wait ${gaps[2]} ms`);

  // Live again: a vote shows without a reload.
  await vote("stream-check-voter-2");
  await live(2);

  // The browser reports each refused stream; nothing else may be there.
  const lines = problems.at(-1);
  lines.splice(
    0,
    lines.length,
    ...lines.filter(
      (line) => !/results\/stream|status of (503|502|429)|net::ERR_INCOMPLETE_CHUNKED_ENCODING$/.test(line),
    ),
  );
  assert.deepEqual(problems.flat(), []);
});
