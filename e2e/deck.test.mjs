// A reveal.js deck running a live poll, in headless Chromium: the demo deck
// (integrations/revealjs/demo, reveal.js from npm as package.json pins it) served from another
// origin than the api, driving a presenter-paced poll with a presenter link made in the console:
// phones follow its three poll slides, R and H reveal and hide, a revoked or expired link stops
// the deck with a message on screen, and with the server gone the slides show the national copy
// the deck kept when it loaded (from GET /api/presenter/poll), then the live results again once
// the server is back; a closed poll's voting refused (409) and said on screen; reveal.js's speaker
// view showing a hidden question's results (the embed's presenter variant, the link passed by
// postMessage) while the projected slide and the public embed never do.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { extname, join, normalize } from "node:path";
import { after, before, test } from "node:test";
import { ROOT, apiJson, apiLogin, browserSuite, consoleLogIn, screenshot, seriousA11yViolations } from "./harness.mjs";

const suite = browserSuite("deck", (stack) => {
  stack.createAccount("host@example.org", "admin", "Ada Admin");
  stack.createAccount("reader@example.org", "analyst", "Ana Analyst");
});
const { page, phone, problems } = suite;
const FOLLOW = { timeout: 10_000 };
const BOUNDED = { timeout: 180_000 };
const TITLE = "Is democracy holding?";

/** The deck's own origin: a static server of integrations/ and node_modules/reveal.js/ only. */
let deckServer;
let deckOrigin;
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".woff": "font/woff" };
before(async () => {
  deckServer = createServer(async (request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url, "http://deck").pathname));
    const served = path.startsWith("/integrations/") || path.startsWith("/node_modules/reveal.js/");
    try {
      if (!served) throw new Error("not served");
      const body = await readFile(join(ROOT, path));
      response.writeHead(200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream" }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise((resolve) => deckServer.listen(0, "127.0.0.1", resolve));
  deckOrigin = `http://127.0.0.1:${deckServer.address().port}`;
});
after(() => new Promise((resolve) => deckServer.close(resolve)));

/** The demo's poll: presenter-paced, the catalog's judicial independence, a choice whose results
 *  start hidden, a scale; open. */
async function demoPoll(request) {
  const created = await request("/api/admin/polls", "POST", {
    title: TITLE,
    pacing: "presenter",
    questions: [
      { var_name: "perf_judicial_ind" },
      { kind: "choice", text: "Which branch worries you most?", options: ["Courts", "Congress", "President"] },
      { kind: "scale", text: "How worried are you?", min: 1, max: 5, min_label: "Not at all", max_label: "Very" },
    ],
  });
  assert.equal(created.status, 201, await created.clone().text());
  const poll = await created.json();
  const hidden = await request(`/api/admin/polls/${poll.id}/questions/q2`, "PATCH", { results_hidden: true });
  assert.equal(hidden.status, 200, await hidden.clone().text());
  const opened = await request(`/api/admin/polls/${poll.id}`, "PATCH", { is_open: true });
  assert.equal(opened.status, 200);
  return { ...poll, join_code: (await opened.json()).join_code };
}

/** A presenter link made through the api (the first test makes its own in the console). */
async function presenterLink(request, poll, label) {
  const made = await request(`/api/admin/polls/${poll.id}/presenter-links`, "POST", { label });
  assert.equal(made.status, 201, await made.clone().text());
  return made.json();
}

/** The demo deck at 1280×720, from its own origin, driving the poll with `secret`
 *  (`presenterResults`: the plugin's option). Every address it asks for is in `deck.requests`. */
async function openDeck(secret, { presenterResults } = {}) {
  const deck = await page({ viewport: { width: 1280, height: 720 } });
  deck.requests = [];
  deck.context().on("request", (request) => deck.requests.push(request.url()));
  const address = new URL(`${deckOrigin}/integrations/revealjs/demo/index.html`);
  address.searchParams.set("server", suite.stack.baseURL);
  address.searchParams.set("secret", secret);
  if (presenterResults) address.searchParams.set("presenter-results", presenterResults);
  // (reveal.js takes its settings from the address too: no slide transitions in a test)
  address.searchParams.set("transition", "none");
  await deck.goto(address.href);
  await deck.locator(".blw-poll-status", { hasText: /Poll “|is closed/ }).waitFor(FOLLOW);
  return deck;
}
/** The live results on the deck's current slide. */
const slideFrame = (deck) => deck.frameLocator("section.present .blw-poll-frame");
const status = (deck) => deck.locator(".blw-poll-status");
const pollNow = (poll) => apiJson(suite.stack.baseURL, `/api/polls/${poll.slug}`);

/** Waits until the poll stands where the deck put it. */
async function pollAt(poll, position, votingOpen) {
  const deadline = Date.now() + FOLLOW.timeout;
  let now;
  while (Date.now() < deadline) {
    now = await pollNow(poll);
    if (now.current_question === position && now.voting_open === votingOpen) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`the poll is at ${now.current_question} (voting ${now.voting_open}), not ${position} (${votingOpen})`);
}

/** Sets a presenter link's expiry in the past, in the test's database (the api takes 5 minutes at least). */
function expire(linkId) {
  const sql = `UPDATE polls.presenter_links SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 minute' WHERE id = ${Number(linkId)}`;
  execFileSync(
    "psql",
    [
      "-h",
      process.env.PGHOST ?? "127.0.0.1",
      "-p",
      process.env.PGPORT ?? "5432",
      "-U",
      process.env.PGUSER ?? "postgres",
      "-d",
      suite.stack.database,
      "-v",
      "ON_ERROR_STOP=1",
      "-q",
      "-c",
      sql,
    ],
    { stdio: "pipe" },
  );
}

async function answer(participant, varName, response) {
  await participant
    .locator(`fieldset[data-question="${varName}"] label.choice`, { hasText: new RegExp(`^${response}$`) })
    .click();
  await participant.click(".submit-bar button");
  await participant.locator(".confirmation", { hasText: "Answer recorded" }).waitFor(FOLLOW);
}

test(
  "the demo deck paces the poll: phones follow its three poll slides, R and H reveal and hide",
  BOUNDED,
  async () => {
    const { request } = await apiLogin(suite.stack.baseURL, "host@example.org");
    const poll = await demoPoll(request);

    // The presenter link, made in the console: its secret shown once, with a warning.
    const admin = await page();
    await consoleLogIn(admin, suite.stack.baseURL, "host@example.org");
    await admin.goto(`${suite.stack.baseURL}/admin/polls/${poll.id}`);
    await admin.fill("#presenter-link-label", "Demo deck");
    await admin.selectOption("#presenter-link-lifetime", "240");
    await admin.click("#presenter-link-create");
    const secret = await admin.inputValue("#presenter-link-secret");
    assert.match(secret, /^blwp_[0-9a-f]{64}$/);
    assert.match(await admin.textContent(".presenter-link-made"), /shown only this once/);
    const row = admin.locator("#presenter-links tbody tr", { hasText: "Demo deck" });
    assert.match(await row.locator(".link-state").textContent(), /Active/);
    assert.equal(await row.locator(".link-maker").textContent(), "Ada Admin", "who made it, by name");
    assert.equal(await row.locator("td.num").textContent(), "0");
    assert.deepEqual(await seriousA11yViolations(admin), []);
    await screenshot(admin, "console-presenter-link-made");
    await admin.reload();
    await admin.locator("#presenter-links tbody tr", { hasText: "Demo deck" }).waitFor();
    assert.equal(await admin.locator("#presenter-link-secret").count(), 0, "the secret is shown once only");
    assert.ok(!(await admin.content()).includes(secret.slice(5)), "nor anywhere on the page after");

    // Two phones wait for the first question.
    const phones = [await phone(), await phone()];
    for (const participant of phones) {
      await participant.goto(`${suite.stack.baseURL}/polls/${poll.slug}`);
      await participant.locator(".waiting-title", { hasText: "Waiting for the presenter" }).waitFor(FOLLOW);
    }

    // The deck, from another origin; the secret leaves its address bar at once.
    const deck = await openDeck(secret);
    assert.notEqual(new URL(deck.url()).origin, new URL(suite.stack.baseURL).origin);
    assert.ok(!deck.url().includes(secret), "the secret is not left in the address bar");
    assert.equal(await deck.locator("section[data-blw-question]").count(), 3);
    assert.equal((await pollNow(poll)).current_question, null, "the title slide moves nothing");

    // Poll slide 1: question 1 on every phone, its live results (and the join code) on the slide.
    await deck.keyboard.press("ArrowRight");
    await pollAt(poll, 0, true);
    for (const participant of phones)
      await participant.locator('fieldset[data-question="perf_judicial_ind"]').waitFor(FOLLOW);
    const first = slideFrame(deck);
    await first.locator(".voting-state", { hasText: "Question 1 of 3 · voting open" }).waitFor(FOLLOW);
    assert.equal((await first.locator("[data-join-code]").textContent()).replace(/\s/g, ""), poll.join_code);
    await answer(phones[0], "perf_judicial_ind", "Mostly meets");
    await answer(phones[1], "perf_judicial_ind", "Fully meets");
    await first.locator(".result-card:visible .count", { hasText: "2 answers" }).waitFor(FOLLOW);
    assert.deepEqual(await first.locator('.result-card[data-question="perf_judicial_ind"] .value').allTextContents(), [
      "0% (0)",
      "0% (0)",
      "50% (1)",
      "50% (1)",
    ]);
    // The frame is as tall as the results say (they post their height: 1280 wide at 16:9).
    const box = await deck.locator("section.present .blw-poll-frame").boundingBox();
    assert.ok(Math.abs(box.width / box.height - 16 / 9) < 0.05, `the frame is ${box.width}×${box.height}`);
    await screenshot(deck, "deck-poll-slide-1");

    // An ordinary slide closes the voting: the phones say so.
    await deck.keyboard.press("ArrowRight");
    await pollAt(poll, 0, false);

    // Poll slide 2: hidden results: "N of M answered" on the slide, nothing more, until R.
    await deck.keyboard.press("ArrowRight");
    await pollAt(poll, 1, true);
    for (const participant of phones) await participant.locator('fieldset[data-question="q2"]').waitFor(FOLLOW);
    await answer(phones[0], "q2", "Courts");
    const second = slideFrame(deck);
    await second.locator(".answered-count", { hasText: "1 of 2 answered" }).waitFor(FOLLOW);
    const q2 = second.locator('.result-card[data-question="q2"]');
    assert.equal(await q2.locator(".value, .bar").count(), 0, "no numbers while hidden");
    assert.match(await q2.locator(".hidden-note").textContent(), /Results appear when the presenter reveals them/);
    await deck.keyboard.press("r");
    await q2.locator(".value", { hasText: "100% (1)" }).waitFor(FOLLOW);
    await phones[0].locator('.result-card[data-question="q2"] .value', { hasText: "100% (1)" }).waitFor(FOLLOW);
    await status(deck).filter({ hasText: "Revealed the results of question 2" }).waitFor(FOLLOW);
    await screenshot(deck, "deck-poll-slide-2-revealed");
    await deck.keyboard.press("h");
    await q2.locator(".hidden-note").waitFor(FOLLOW);
    assert.equal((await apiJson(suite.stack.baseURL, `/api/polls/${poll.slug}/results`)).questions[1].hidden, true);
    await phones[0].locator('.result-card[data-question="q2"] .hidden-note').waitFor(FOLLOW);

    // Poll slide 3: the phone that has not answered q2 moves on with the deck.
    await deck.keyboard.press("ArrowRight");
    await pollAt(poll, 2, true);
    for (const participant of phones) await participant.locator('fieldset[data-question="q3"]').waitFor(FOLLOW);
    await slideFrame(deck).locator(".voting-state", { hasText: "Question 3 of 3 · voting open" }).waitFor(FOLLOW);
    // Back to slide 2: its question again.
    await deck.keyboard.press("ArrowLeft");
    await pollAt(poll, 1, true);

    // The console counts the link's uses.
    await admin.reload();
    const used = admin.locator("#presenter-links tbody tr", { hasText: "Demo deck" });
    await used.waitFor();
    assert.ok(Number(await used.locator("td.num").textContent()) >= 6, "every move was a use");
    assert.notEqual(await used.locator("td").nth(4).textContent(), "never");
    assert.deepEqual(problems.flat(), []);
  },
);

test("the poll embed alone: one question, light or dark, a phone's card when narrow, sized by its page", async () => {
  const { request } = await apiLogin(suite.stack.baseURL, "host@example.org");
  const poll = await demoPoll(request);
  assert.equal(
    (await request(`/api/admin/polls/${poll.id}/current`, "PUT", { position: 1, voting_open: true })).status,
    200,
  );
  const embed = `${suite.stack.baseURL}/embed/polls/${poll.slug}`;
  const response = await fetch(`${embed}/q2`);
  assert.match(response.headers.get("content-security-policy"), /frame-ancestors \*/);

  const wide = await page({ viewport: { width: 1280, height: 720 } });
  await wide.goto(`${embed}/q2?theme=dark&join=1`);
  await wide.locator(".answered-count", { hasText: "0 of 0 answered" }).waitFor(FOLLOW);
  assert.equal(await wide.locator("html").getAttribute("data-theme"), "dark");
  assert.equal(await wide.locator(".result-card:visible").count(), 1, "one question only");
  assert.equal((await wide.locator("[data-join-code]").textContent()).replace(/\s/g, ""), poll.join_code);
  assert.deepEqual(await seriousA11yViolations(wide), []);
  await screenshot(wide, "embed-poll-hidden-dark");
  // By its place too; a light theme.
  await wide.goto(`${embed}/1?theme=light`);
  await wide.locator('.result-card[data-question="perf_judicial_ind"]').waitFor(FOLLOW);
  assert.equal(await wide.locator("html").getAttribute("data-theme"), "light");
  assert.deepEqual(await seriousA11yViolations(wide), []);
  await screenshot(wide, "embed-poll-light");

  const narrow = await phone();
  await narrow.goto(`${embed}/perf_judicial_ind`);
  await narrow.locator("body.poll-embed-compact .result-card:visible").waitFor(FOLLOW);
  const scroll = await narrow.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scroll <= 360, `a narrow embed does not scroll sideways (${scroll}px)`);
  await narrow.goto(`${embed}/q9`);
  await narrow.locator("#embed-status [role=alert]", { hasText: "has no question “q9”" }).waitFor(FOLLOW);
  assert.deepEqual(problems.flat(), []);
});

test(
  "a revoked or expired presenter link stops the deck, which says so; analysts only read the list",
  BOUNDED,
  async () => {
    const { request } = await apiLogin(suite.stack.baseURL, "host@example.org");
    const poll = await demoPoll(request);
    const revoked = await presenterLink(request, poll, "To revoke");
    const expiring = await presenterLink(request, poll, "To expire");

    const deck = await openDeck(revoked.secret);
    await deck.keyboard.press("ArrowRight");
    await pollAt(poll, 0, true);

    // Revoked in the console, in one click.
    const admin = await page();
    await consoleLogIn(admin, suite.stack.baseURL, "host@example.org");
    await admin.goto(`${suite.stack.baseURL}/admin/polls/${poll.id}`);
    await admin.click(`[data-revoke="${revoked.id}"]`);
    await admin
      .locator(`#presenter-links tr[data-link="${revoked.id}"] .link-state`, { hasText: "Revoked" })
      .waitFor(FOLLOW);
    assert.equal(await admin.locator(`[data-revoke="${revoked.id}"]`).count(), 0);

    // The deck's next move is refused: it says so on screen, and the poll stays where it was.
    await deck.keyboard.press("ArrowRight");
    await deck.keyboard.press("ArrowRight");
    const refused = deck.locator(".blw-poll-status[data-kind=error]", { hasText: "no longer works" });
    await refused.waitFor(FOLLOW);
    assert.match(await refused.textContent(), /unknown, expired or revoked/);
    await deck.locator("section.present .blw-poll-notice:visible", { hasText: "no longer works" }).waitFor(FOLLOW);
    await pollAt(poll, 0, true);
    await slideFrame(deck).locator(".answered-count").waitFor(FOLLOW);
    await screenshot(deck, "deck-link-revoked");

    // Another link works until it expires.
    const second = await openDeck(expiring.secret);
    await second.keyboard.press("ArrowRight");
    await second.keyboard.press("ArrowRight");
    await second.keyboard.press("ArrowRight");
    await pollAt(poll, 1, true);
    expire(expiring.id);
    await second.keyboard.press("ArrowRight");
    await second.locator(".blw-poll-status[data-kind=error]", { hasText: "no longer works" }).waitFor(FOLLOW);
    await pollAt(poll, 1, true);
    await second.keyboard.press("r");
    assert.equal((await apiJson(suite.stack.baseURL, `/api/polls/${poll.slug}/results`)).questions[1].hidden, true);
    const expired = await fetch(`${suite.stack.baseURL}/api/presenter/poll`, {
      headers: { authorization: `Bearer ${expiring.secret}` },
    });
    assert.equal(expired.status, 401);
    await admin.reload();
    await admin
      .locator(`#presenter-links tr[data-link="${expiring.id}"] .link-state`, { hasText: "Expired" })
      .waitFor(FOLLOW);

    // An analyst sees the links, and nothing to make, revoke or freeze.
    const reader = await page();
    await consoleLogIn(reader, suite.stack.baseURL, "reader@example.org");
    await reader.goto(`${suite.stack.baseURL}/admin/polls/${poll.id}`);
    await reader.locator("#presenter-links tbody tr").first().waitFor(FOLLOW);
    assert.equal(await reader.locator("#presenter-links tbody tr").count(), 2);
    assert.equal(await reader.locator("#presenter-link-create, [data-revoke], #freeze-results").count(), 0);
    // The refusals of the revoked and the expired link are all the failed requests there were.
    assert.deepEqual(
      problems.flat().filter((p) => !p.includes("status of 401 (Unauthorized)")),
      [],
    );
  },
);

test(
  "with the server gone the deck shows its national copy and says the live results are offline",
  BOUNDED,
  async () => {
    const { request } = await apiLogin(suite.stack.baseURL, "host@example.org");
    const poll = await demoPoll(request);
    const link = await presenterLink(request, poll, "Offline");
    const proportions = await apiJson(
      suite.stack.baseURL,
      "/api/surveys/questions/perf_judicial_ind/proportions?split=none",
    );
    const cells = proportions.cells.filter((c) => c.wave != null && c.group == null);
    const latest = cells.reduce((a, b) => (b.wave > a.wave ? b : a));

    const deck = await openDeck(link.secret);
    // The copy was kept when the deck loaded, from the poll the presenter routes gave it (no
    // hidden frame, no survey route across origins).
    const stored = await deck.waitForFunction(
      (server) => localStorage.getItem(`blw-poll:${server}`),
      suite.stack.baseURL,
      FOLLOW,
    );
    const kept = JSON.parse(await stored.jsonValue());
    const copies = Object.fromEntries(kept.copies);
    assert.equal(copies.perf_judicial_ind.national.wave, latest.wave);
    assert.equal(copies.perf_judicial_ind.national.n, latest.n);
    assert.deepEqual(
      copies.perf_judicial_ind.national.responses.map((r) => [r.response, r.p]),
      latest.responses.map((r) => [r.response, r.p]),
    );
    assert.equal(copies.q2.national, null);
    assert.deepEqual(
      deck.requests.filter((url) => /copy=1|\/proportions/.test(url)),
      [],
      "no copy through a frame or the survey routes",
    );
    assert.equal(await deck.locator("iframe.blw-poll-copier").count(), 0);

    await suite.stack.kill();
    await deck.keyboard.press("ArrowRight");
    const offline = deck.locator("section.present .blw-poll-offline:visible");
    await offline.locator(".blw-poll-offline-note", { hasText: "Live results are offline" }).waitFor(FOLLOW);
    assert.equal(
      await offline.locator(".blw-poll-source").textContent(),
      `US adults, Bright Line Watch wave ${latest.wave} (weighted, n = ${latest.n.toLocaleString("en-US")})`,
    );
    assert.deepEqual(
      await offline.locator(".blw-poll-label").allTextContents(),
      latest.responses.map((r) => r.response),
    );
    const shares = await offline.locator(".blw-poll-value").allTextContents();
    assert.deepEqual(
      shares.map((s) => s.split(" ")[0]),
      latest.responses.map((r) => `${Math.round(r.p * 100)}%`),
    );
    await status(deck).filter({ hasText: "Live results are offline" }).waitFor(FOLLOW);
    await screenshot(deck, "deck-offline-national-copy");
    // A question without a national figure: its text, and the same note.
    await deck.keyboard.press("ArrowRight");
    await deck.keyboard.press("ArrowRight");
    const own = deck.locator("section.present .blw-poll-offline:visible");
    await own.locator(".blw-poll-question", { hasText: "Which branch worries you most?" }).waitFor(FOLLOW);
    assert.match(await own.textContent(), /Live results are offline.*when the poll server is back/);

    // The server is back: the live results return and the poll catches up with the deck.
    await suite.stack.launch();
    await status(deck).filter({ hasText: "question 2 of 3, voting open" }).waitFor({ timeout: 20_000 });
    await pollAt(poll, 1, true);
    await slideFrame(deck).locator(".answered-count", { hasText: "of 0 answered" }).waitFor(FOLLOW);
    assert.equal(await deck.locator("section.present .blw-poll-offline:visible").count(), 0);
    assert.deepEqual(
      problems.flat().filter((p) => !/ERR_CONNECTION_REFUSED/.test(p)),
      [],
    );
  },
);

test("a closed poll: the deck's move to a poll slide is refused with a 409, said on screen", async () => {
  const { request } = await apiLogin(suite.stack.baseURL, "host@example.org");
  const poll = await demoPoll(request);
  const link = await presenterLink(request, poll, "Closed");
  assert.equal((await request(`/api/admin/polls/${poll.id}`, "PATCH", { is_open: false })).status, 200);
  const deck = await openDeck(link.secret);
  await deck.keyboard.press("ArrowRight");
  const refused = status(deck).filter({ hasText: "refused: the poll is closed" });
  await refused.waitFor(FOLLOW);
  assert.equal(await refused.getAttribute("data-kind"), "error");
  const now = await pollNow(poll);
  assert.equal(now.voting_open, false, "no voting opened on a closed poll");
  assert.deepEqual(
    problems.flat().filter((p) => !p.includes("status of 409 (Conflict)")),
    [],
  );
});

test(
  "the presenter's own screen shows a hidden question's results; the projected deck and the public embed never do",
  BOUNDED,
  async () => {
    const { request } = await apiLogin(suite.stack.baseURL, "host@example.org");
    const poll = await demoPoll(request);
    const link = await presenterLink(request, poll, "Speaker view");
    const participant = await phone();
    await participant.goto(`${suite.stack.baseURL}/polls/${poll.slug}`);

    // The projected deck, with the speaker view showing hidden results; on q2 (hidden).
    const deck = await openDeck(link.secret, { presenterResults: "speaker-view" });
    for (let i = 0; i < 3; i++) await deck.keyboard.press("ArrowRight");
    await pollAt(poll, 1, true);
    await answer(participant, "q2", "Congress");
    const projected = slideFrame(deck);
    const numbers = (frame) => frame.locator('.result-card[data-question="q2"]').locator(".value, .bar");
    await projected.locator(".answered-count", { hasText: "1 of 1 answered" }).waitFor(FOLLOW);
    assert.equal(await numbers(projected).count(), 0, "no numbers on the projected slide");
    assert.doesNotMatch(await deck.locator("section.present .blw-poll-frame").getAttribute("src"), /presenter=/);

    // reveal.js's speaker view (S): its copy of the slide shows the results, marked as hidden.
    const [speaker] = await Promise.all([deck.context().waitForEvent("page"), deck.keyboard.press("s")]);
    const speakerSlide = speaker.frameLocator("#current-slide iframe").frameLocator("section.present .blw-poll-frame");
    const staff = speakerSlide.locator('.result-card[data-question="q2"]');
    await staff.locator(".value", { hasText: "100% (1)" }).waitFor(FOLLOW);
    await speakerSlide.locator(".presenter-only", { hasText: "Hidden from the audience" }).waitFor(FOLLOW);
    await screenshot(speaker, "deck-speaker-view-hidden-results");
    // Live: a second answer reaches the speaker view, still nothing on the projected slide.
    const second = await phone();
    await second.goto(`${suite.stack.baseURL}/polls/${poll.slug}`);
    await answer(second, "q2", "Courts");
    await staff.locator(".value", { hasText: "50% (1)" }).first().waitFor(FOLLOW);
    await projected.locator(".answered-count", { hasText: "2 of 2 answered" }).waitFor(FOLLOW);
    assert.equal(await numbers(projected).count(), 0);

    // The secret went into no address the poll server saw (the demo deck's own address, where the
    // test hands it over, is not the server's, and the demo takes it off at once).
    const toServer = deck.requests.filter((url) => url.startsWith(suite.stack.baseURL));
    assert.ok(
      toServer.some((url) => url.includes("presenter=1")),
      "the speaker view's frames were asked for",
    );
    assert.ok(!toServer.some((url) => url.includes(link.secret.slice(5))), "the secret is in no address");
    // The public embed, and the presenter variant outside a deck (no one to give it the link):
    // no numbers either.
    const embed = `${suite.stack.baseURL}/embed/polls/${poll.slug}/q2`;
    const outsider = await page({ viewport: { width: 1280, height: 720 } });
    await outsider.goto(embed);
    await outsider.locator(".answered-count", { hasText: "2 of 2 answered" }).waitFor(FOLLOW);
    assert.equal(await numbers(outsider).count(), 0);
    await outsider.goto(`${embed}?presenter=1`);
    await outsider.locator("#embed-status [role=alert]", { hasText: "presenter link" }).waitFor(FOLLOW);
    assert.equal(await outsider.locator(".result-card").count(), 0, "nothing of the results");

    // Revoked: the speaker view's results go at once (its stream ends), the projected slide stays.
    assert.equal((await request(`/api/admin/polls/${poll.id}/presenter-links/${link.id}`, "DELETE")).status, 204);
    // (the next frame, here a change to another question, or the next heartbeat ends the stream)
    assert.equal(
      (await request(`/api/admin/polls/${poll.id}/questions/q3`, "PATCH", { results_hidden: true })).status,
      200,
    );
    await speakerSlide
      .locator(".join-title", { hasText: "presenter link no longer works" })
      .waitFor({ timeout: 20_000 });
    assert.equal(await staff.count(), 0);
    await projected.locator(".answered-count", { hasText: "2 of 2 answered" }).waitFor(FOLLOW);
    assert.deepEqual(
      problems.flat().filter((p) => !p.includes("status of 401 (Unauthorized)")),
      [],
    );
  },
);
