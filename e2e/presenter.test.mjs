// The presenter's tools in headless Chromium: reveal on cue reaching participants' phones, the
// join code, and the room compared with the nation on a projector-sized presenter view.
import assert from "node:assert/strict";
import { test } from "node:test";
import { apiJson, apiLogin, browserSuite, consoleLogIn, screenshot, seriousA11yViolations } from "./harness.mjs";

const suite = browserSuite("presenter", (stack) => stack.createAccount("host@example.org", "admin", "Ada Admin"));
const { page, phone, problems } = suite;
/** A browser page logged in as the admin (through the console's form, as a presenter would). */
async function adminPage(options) {
  const admin = await page(options);
  await consoleLogIn(admin, suite.stack.baseURL, "host@example.org");
  return admin;
}

/** An open poll (split by party) whose second question's results are hidden. */
async function hiddenPoll() {
  const { request } = await apiLogin(suite.stack.baseURL, "host@example.org");
  const created = await request("/api/admin/polls", "POST", {
    title: "Reveal on cue",
    questions: [
      { var_name: "pid3", response_indices: [0, 1, 2, 3, 4] },
      { var_name: "perf_judicial_ind", results_hidden: true },
    ],
    split_by: "pid3",
  });
  assert.equal(created.status, 201);
  const poll = await created.json();
  const opened = await (await request(`/api/admin/polls/${poll.id}`, "PATCH", { is_open: true })).json();
  return { ...poll, join_code: opened.join_code };
}

async function vote(participant, party, judicial) {
  for (const [varName, response] of [
    ["pid3", party],
    ["perf_judicial_ind", judicial],
  ]) {
    await participant
      .locator(`fieldset[data-question="${varName}"] label.choice`, { hasText: new RegExp(`^${response}$`) })
      .click();
  }
  await participant.click("button[type=submit]");
  await participant.waitForSelector(".confirmation");
}

test("a presenter reveals a question and two participant pages show it", async () => {
  const poll = await hiddenPoll();
  const phones = [await phone(), await phone()];
  for (const [i, participant] of phones.entries()) {
    await participant.goto(`${suite.stack.baseURL}/polls/${poll.slug}`);
    await vote(participant, ["Democrat", "Republican"][i], ["Fully meets", "Does not meet"][i]);
  }
  // Until the reveal, the phones show the first question's results and nothing of the second.
  for (const participant of phones) {
    await participant.waitForSelector(".result-card[data-question=pid3] .value");
    const hidden = participant.locator(".result-card[data-question=perf_judicial_ind]");
    await hidden.locator(".hidden-note").waitFor();
    assert.match(await hidden.textContent(), /Results appear when the presenter reveals them/);
    assert.equal(await hidden.locator(".value, .bar").count(), 0);
  }
  assert.deepEqual(await seriousA11yViolations(phones[0]), []);
  await screenshot(phones[0], "participant-hidden-results");

  // The presenter (an admin) reveals it from the presenter view, while the projector's audience
  // view shows the question's options and how many have answered.
  const presenter = await adminPage({ viewport: { width: 1920, height: 1080 } });
  await presenter.goto(`${suite.stack.baseURL}/polls/${poll.slug}?screen=presenter`);
  await presenter.waitForSelector(".result-card[data-question=perf_judicial_ind]", { state: "attached" });
  const audience = await presenter.context().newPage();
  await audience.goto(`${suite.stack.baseURL}/polls/${poll.slug}?present=1`);
  await audience.locator(".join-slide:visible").waitFor();
  // From the join slide: → question 1, → question 2, on both screens.
  await presenter.keyboard.press("ArrowRight");
  await presenter.keyboard.press("ArrowRight");
  const placeholder = audience.locator(".result-card[data-question=perf_judicial_ind]:visible");
  await placeholder.locator(".answered-count", { hasText: "2 of 2 answered" }).waitFor();
  assert.deepEqual(await placeholder.locator(".hidden-options li").allTextContents(), [
    "Does not meet",
    "Partly meets",
    "Mostly meets",
    "Fully meets",
  ]);
  const card = presenter.locator(".result-card[data-question=perf_judicial_ind]");
  await card.locator(".badge", { hasText: "Hidden from the audience" }).waitFor();
  await card.locator("[data-visibility=reveal]").click();

  // Both phones now show the second question's bars: one Fully meets, one Does not meet.
  for (const participant of phones) {
    const revealed = participant.locator(".result-card[data-question=perf_judicial_ind]");
    await revealed.locator(".value").first().waitFor();
    const values = await revealed.locator(".value:not(.national-value)").allTextContents();
    assert.deepEqual(values, ["50% (1)", "0% (0)", "0% (0)", "50% (1)"]);
  }
  await presenter.locator(".result-card[data-question=perf_judicial_ind] [data-visibility=hide]").waitFor();
  await screenshot(phones[1], "participant-revealed-results");
  assert.deepEqual(problems.flat(), []);
});

test("a join code on the presenter view takes a phone to the poll, a wrong one says so", async () => {
  const poll = await hiddenPoll();
  const presenter = await page({ viewport: { width: 1920, height: 1080 } });
  await presenter.goto(`${suite.stack.baseURL}/polls/${poll.slug}?present=1`);
  await presenter.locator(".join-slide:visible [data-join-code]").waitFor();
  const shown = await presenter.textContent("[data-join-code]");
  assert.equal(shown.replace(/\s/g, ""), poll.join_code);
  assert.match(await presenter.textContent(".join"), new RegExp(`${new URL(suite.stack.baseURL).host}/join`));

  const participant = await phone();
  await participant.goto(`${suite.stack.baseURL}/join`);
  assert.deepEqual(await seriousA11yViolations(participant), []);
  const wrong = String((Number(poll.join_code) + 1) % 1_000_000).padStart(6, "0");
  await participant.fill("#join-code", `${wrong.slice(0, 3)} ${wrong.slice(3)}`);
  await participant.click("#join-form button");
  await participant.waitForSelector("#join-status [role=alert]");
  assert.match(await participant.textContent("#join-status"), new RegExp(`No open poll has the code ${wrong}`));
  await participant.fill("#join-code", `${poll.join_code.slice(0, 3)} ${poll.join_code.slice(3)}`);
  await participant.click("#join-form button");
  await participant.waitForURL(`${suite.stack.baseURL}/polls/${poll.slug}`);
  await participant.waitForSelector("fieldset[data-question=pid3]");
  await screenshot(participant, "join-landed");
  // The short address works typed into the browser too; an unknown one comes back to /join.
  await participant.goto(`${suite.stack.baseURL}/j/${poll.join_code}`);
  assert.equal(participant.url(), `${suite.stack.baseURL}/polls/${poll.slug}`);
  await participant.goto(`${suite.stack.baseURL}/j/${wrong}`);
  await participant.waitForSelector("#join-status [role=alert]");
  assert.equal(await participant.inputValue("#join-code"), wrong);
  // A closed poll frees its code: the audience view invites nobody any more.
  const { request } = await apiLogin(suite.stack.baseURL, "host@example.org");
  await request(`/api/admin/polls/${poll.id}`, "PATCH", { is_open: false });
  await presenter.locator(".closed-slide:visible", { hasText: "This poll is closed" }).waitFor();
  assert.equal(await presenter.locator(".join:visible, [data-join-code]:visible").count(), 0);
  assert.deepEqual(
    problems.flat().filter((p) => !p.includes("404")),
    [],
  );
});

test("the presenter view compares the room with the nation, readably on a projector", async () => {
  const poll = await hiddenPoll();
  const { request } = await apiLogin(suite.stack.baseURL, "host@example.org");
  await request(`/api/admin/polls/${poll.id}/questions/perf_judicial_ind`, "PATCH", { results_hidden: false });
  // The presenter chose to show the nation's answers while the room still votes.
  const shown = await request(`/api/admin/polls/${poll.id}`, "PATCH", { national_during_voting: true });
  assert.equal(shown.status, 200, await shown.clone().text());
  // A room of 60 that rates judicial independence far better than the country does.
  for (let i = 0; i < 60; i += 1) {
    const response = await fetch(`${suite.stack.baseURL}/api/polls/${poll.slug}/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        client_token: `room-token-${i}`,
        answers: [
          { var_name: "pid3", response_index: [0, 0, 1, 2, 4][i % 5] },
          { var_name: "perf_judicial_ind", response_index: [3, 3, 2, 3, 1][i % 5] },
        ],
      }),
    });
    assert.equal(response.status, 201);
  }
  const results = await apiJson(suite.stack.baseURL, `/api/polls/${poll.slug}/results`);
  const versus = results.questions[1].room_vs_nation;
  const fully = versus.overall.responses.find((r) => r.response === "Fully meets");
  assert.equal(fully.verdict, "real");

  const presenter = await page({ viewport: { width: 1920, height: 1080 } });
  await presenter.goto(`${suite.stack.baseURL}/polls/${poll.slug}?present=1`);
  await presenter.waitForSelector(".result-card[data-question=perf_judicial_ind]", { state: "attached" });
  // The projector follows the presenter's move (made here through the api).
  await request(`/api/admin/polls/${poll.id}/current`, "PUT", { position: 1, voting_open: false });
  const card = presenter.locator(".result-card[data-question=perf_judicial_ind]:visible");
  await card.locator(".versus .real").first().waitFor();
  const words = await card.locator(".versus").textContent();
  const points = Math.round(Math.abs(fully.difference) * 100);
  const lo = Math.round(fully.ci_low * 100);
  const hi = Math.round(fully.ci_high * 100);
  assert.ok(
    words.includes(`This room chose “Fully meets” ${points} points more often than US adults`) &&
      words.includes(`95% CI ${lo}–${hi}`),
    words,
  );
  assert.match(words, /Reweighted to the nation.s party mix \(effective n = \d+; 12 in no group left out\)/);

  // The national share carries its CI beside the bar.
  const ci = await card.locator(".national-ci").first().textContent();
  const nation = versus.overall.responses[0].nation;
  assert.equal(ci, `95% CI ${Math.round(nation.ci_low * 100)}%–${Math.round(nation.ci_high * 100)}%`);
  // Readable from the back of a room: text at least ~1.25% of the screen's width.
  const smallest = await card.evaluate((node) =>
    Math.min(
      ...[...node.querySelectorAll(".versus p, .response-label, .value, h2, h3")].map((e) =>
        Number.parseFloat(getComputedStyle(e).fontSize),
      ),
    ),
  );
  assert.ok(smallest >= 22, `smallest text ${smallest}px on a 1920px projector`);
  assert.deepEqual(await seriousA11yViolations(presenter), []);
  await screenshot(presenter, "presenter-room-vs-nation");
  // The same words on a participant's phone.
  const participant = await phone();
  await participant.goto(`${suite.stack.baseURL}/polls/${poll.slug}`);
  await participant.evaluate((slug) => {
    localStorage.setItem(`blw-poll:${slug}`, JSON.stringify({ token: "seen-results-token", voted: true }));
  }, poll.slug);
  await participant.reload();
  const phoneCard = participant.locator(".result-card[data-question=perf_judicial_ind]");
  await phoneCard.locator(".versus .real").first().waitFor();
  assert.ok((await phoneCard.locator(".versus").textContent()).includes(`${points} points more often than US adults`));
  await screenshot(participant, "participant-room-vs-nation");
  assert.deepEqual(problems.flat(), []);
});

test("the console builds a poll with hidden results, shows them to staff, and reveals them", async () => {
  const admin = await adminPage();
  await admin.click("a[href='/admin/polls/new']");
  await admin.fill("#poll-title", "Hidden from the start");
  await admin.fill("#catalog-search", "judicial independence");
  await admin.click("button[aria-label='Add perf_judicial_ind']");
  await admin.locator("li[data-question=perf_judicial_ind] [data-hide-results]").check();
  await admin.click("button[type=submit]");
  await admin.waitForURL(/\/admin\/polls\/\d+$/);
  const id = admin.url().split("/").pop();
  const { request } = await apiLogin(suite.stack.baseURL, "host@example.org");
  const poll = await (await request(`/api/admin/polls/${id}`, "GET")).json();
  assert.equal(poll.questions[0].results_hidden, true);
  await admin.click("text=Open poll");
  await admin.waitForSelector(".badge.open");
  assert.match(await admin.textContent("[data-join-code]"), /^\d{6}$/);
  const response = await fetch(`${suite.stack.baseURL}/api/polls/${poll.slug}/responses`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      client_token: "console-token-1",
      answers: [{ var_name: "perf_judicial_ind", response_index: 2 }],
    }),
  });
  assert.equal(response.status, 201);

  // Staff see the numbers of a hidden question, marked as hidden; the public does not.
  const card = admin.locator(".result-card[data-question=perf_judicial_ind]");
  await card.locator(".badge", { hasText: "Hidden from the audience" }).waitFor();
  await admin.waitForFunction(() =>
    [...document.querySelectorAll(".result-card .value")].some((v) => v.textContent === "100% (1)"),
  );
  const before = await apiJson(suite.stack.baseURL, `/api/polls/${poll.slug}/results`);
  assert.deepEqual(Object.keys(before.questions[0]).sort(), ["answered", "hidden", "text", "var_name"]);
  assert.equal(before.questions[0].answered, 1);
  await card.locator("[data-visibility=reveal]").click();
  await admin.locator(".result-card[data-question=perf_judicial_ind] [data-visibility=hide]").waitFor();
  const after = await apiJson(suite.stack.baseURL, `/api/polls/${poll.slug}/results`);
  assert.equal(after.questions[0].hidden, false);
  assert.deepEqual(after.questions[0].overall.counts, [0, 0, 1, 0]);
  assert.deepEqual(problems.flat(), []);
});
