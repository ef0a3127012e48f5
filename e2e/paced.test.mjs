// Presenter-paced polls with the presenter's own questions, in headless Chromium: a presenter moves
// through choice, scale, words and catalog questions with the keyboard while two phones follow and
// answer; the word cloud and a word hidden from it; every kind of question on a projector-sized
// slide without scrolling; axe on the new views.
import assert from "node:assert/strict";
import { test } from "node:test";
import { apiJson, apiLogin, browserSuite, consoleLogIn, screenshot, seriousA11yViolations } from "./harness.mjs";

const suite = browserSuite("paced", (stack) => stack.createAccount("host@example.org", "admin", "Ada Admin"));
const { page, phone, problems } = suite;
/** How long a phone may take to follow the presenter: the stream's latency, with room for a slow machine. */
const FOLLOW = { timeout: 5_000 };
/** No test here should take longer than this, even on a slow machine. */
const BOUNDED = { timeout: 180_000 };

/** A browser page logged in as the admin (through the console's form, as a presenter would). */
async function adminPage(options) {
  const admin = await page(options);
  await consoleLogIn(admin, suite.stack.baseURL, "host@example.org");
  return admin;
}

const QUESTIONS = {
  choice: {
    kind: "choice",
    text: "Which of these worries you most about the next election?",
    options: ["Foreign interference", "Voter suppression", "Fraud", "Violence at polling places", "Something else"],
    max_choices: 1,
  },
  several: {
    kind: "choice",
    text: "Which two of these would you protect first?",
    options: ["Courts", "Free press", "Fair elections", "Civil service", "Protest rights", "Term limits"],
    max_choices: 2,
  },
  scale: {
    kind: "scale",
    text: "How hopeful are you about American democracy?",
    min: 1,
    max: 5,
    min_label: "Not at all",
    max_label: "Very",
  },
  ten: {
    kind: "scale",
    text: "How likely is a peaceful transfer of power in 2029?",
    min: 0,
    max: 10,
    min_label: "Not at all likely",
    max_label: "Certain",
  },
  words: { kind: "words", text: "One word for democracy today?" },
  party: { kind: "catalog", var_name: "pid3", response_indices: [0, 1, 2, 3, 4] },
  judicial: { kind: "catalog", var_name: "perf_judicial_ind" },
};

/** A presenter-paced poll of `questions` (keys of QUESTIONS), opened and put on its waiting screen. */
async function pacedPoll(keys, { split_by = null, title = "Paced talk" } = {}) {
  const { request } = await apiLogin(suite.stack.baseURL, "host@example.org");
  const created = await request("/api/admin/polls", "POST", {
    title,
    description: "",
    pacing: "presenter",
    questions: keys.map((key) => QUESTIONS[key]),
    ...(split_by ? { split_by } : {}),
  });
  assert.equal(created.status, 201, await created.clone().text());
  const poll = await created.json();
  assert.equal(poll.pacing, "presenter");
  assert.equal((await request(`/api/admin/polls/${poll.id}`, "PATCH", { is_open: true })).status, 200);
  const waiting = await request(`/api/admin/polls/${poll.id}/current`, "PUT", { position: null, voting_open: false });
  assert.equal(waiting.status, 200, await waiting.clone().text());
  return { ...poll, request, keys };
}

/** The answer a participant gives to a question, as the api takes it. */
function answerFor(question, i) {
  const kind = question.kind ?? "catalog";
  if (kind === "words")
    return { var_name: question.var_name, words: [["freedom", "fragile", "resilient", "polarized"][i % 4], "hope"] };
  if (kind === "scale")
    return {
      var_name: question.var_name,
      value: question.scale.min + ((i * 7) % (question.scale.max - question.scale.min + 1)),
    };
  if (kind === "choice" && question.max_choices > 1)
    return {
      var_name: question.var_name,
      response_indices: [i % question.responses.length, (i + 2) % question.responses.length],
    };
  // Catalog questions: the room rates the courts far better than the nation does.
  const indices = question.var_name === "perf_judicial_ind" ? [3, 3, 2, 3, 1] : [0, 0, 1, 2, 4];
  return { var_name: question.var_name, response_index: indices[i % 5] % question.responses.length };
}

/** A participant's answer to the current question, through the api. */
const postAnswer = (poll, token, answer) =>
  fetch(`${suite.stack.baseURL}/api/polls/${poll.slug}/responses`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ client_token: token, answers: [answer] }),
  });

/** `count` participants answer every question, the presenter moving through them (through the api). */
async function fillRoom(poll, count) {
  for (const [position, question] of poll.questions.entries()) {
    await poll.request(`/api/admin/polls/${poll.id}/current`, "PUT", { position, voting_open: true });
    // The api takes answers to the new question once its announcement has gone round (as the
    // phones hear of it), not as soon as the PUT returns: the first answer waits for that.
    let first = await postAnswer(poll, "room-token-0", answerFor(question, 0));
    for (let tries = 0; first.status === 409 && tries < 40; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      first = await postAnswer(poll, "room-token-0", answerFor(question, 0));
    }
    assert.equal(first.status, 201, await first.text());
    for (let i = 1; i < count; i += 1) {
      const response = await postAnswer(poll, `room-token-${i}`, answerFor(question, i));
      assert.equal(response.status, 201, await response.text());
    }
  }
}

/** What a phone shows: the question it offers, or the screen it is on. */
const visibleQuestion = (participant) =>
  participant.locator("fieldset.question-card:visible").getAttribute("data-question", FOLLOW);

/** Answers the question on a phone's screen: an option or point (or several), or `{ words }`. */
async function answerOnPhone(participant, varName, answer) {
  const card = participant.locator(`fieldset.question-card[data-question="${varName}"]`);
  await card.waitFor(FOLLOW);
  if (answer.words) {
    for (const [i, word] of answer.words.entries()) await card.locator(`input[type=text] >> nth=${i}`).fill(word);
  } else {
    for (const choice of [answer].flat())
      await card.locator("label", { hasText: new RegExp(`^${choice}( \\(.*\\))?$`) }).click();
  }
  await participant.click(".submit-bar button");
  await participant
    .locator(".confirmation", { hasText: "Answer recorded — waiting for the next question" })
    .waitFor(FOLLOW);
}

/** The presenter's slide fits the window: no scrolling, and nothing drawn below its bottom edge. */
async function assertFits(presenter, what) {
  const fit = await presenter.evaluate(() => {
    const shown = (node) => node.getClientRects().length > 0 && !node.closest(".visually-hidden, [hidden]");
    const lowest = Math.max(
      ...[...document.querySelectorAll("main *")].filter(shown).map((node) => node.getBoundingClientRect().bottom),
    );
    const widest = Math.max(
      ...[...document.querySelectorAll("main *")].filter(shown).map((node) => node.getBoundingClientRect().right),
    );
    return {
      scrollHeight: document.documentElement.scrollHeight,
      scrollWidth: document.documentElement.scrollWidth,
      innerHeight,
      innerWidth,
      lowest,
      widest,
    };
  });
  assert.ok(fit.scrollHeight <= fit.innerHeight, `${what}: scrolls (${JSON.stringify(fit)})`);
  assert.ok(fit.scrollWidth <= fit.innerWidth, `${what}: scrolls sideways (${JSON.stringify(fit)})`);
  assert.ok(fit.lowest <= fit.innerHeight + 0.5, `${what}: drawn below the window (${JSON.stringify(fit)})`);
  assert.ok(fit.widest <= fit.innerWidth + 0.5, `${what}: drawn right of the window (${JSON.stringify(fit)})`);
}

test("a presenter moves through a paced poll with the keyboard; two phones follow and answer", BOUNDED, async () => {
  const poll = await pacedPoll(["choice", "several", "scale", "words", "party"]);
  const phones = [await phone(), await phone()];
  for (const participant of phones) {
    await participant.goto(`${suite.stack.baseURL}/polls/${poll.slug}`);
    await participant.locator(".waiting", { hasText: "Waiting for the presenter" }).waitFor(FOLLOW);
  }
  assert.deepEqual(await seriousA11yViolations(phones[0]), []);
  await screenshot(phones[0], "paced-phone-waiting");

  const presenter = await adminPage({ viewport: { width: 1920, height: 1080 } });
  await presenter.goto(`${suite.stack.baseURL}/polls/${poll.slug}?screen=presenter`);
  await presenter.locator(".presenter-join:visible").waitFor(FOLLOW);
  assert.match(await presenter.textContent(".shortcuts"), /PageDown/);

  // → starts the first question: every phone shows it.
  await presenter.keyboard.press("ArrowRight");
  await presenter.locator(".voting-state", { hasText: "Question 1 of 5 · voting open" }).waitFor(FOLLOW);
  for (const participant of phones) assert.equal(await visibleQuestion(participant), "q1");
  assert.deepEqual(await seriousA11yViolations(phones[1]), []);
  await screenshot(phones[1], "paced-phone-choice");
  // The first phone's first try meets a database that is down: it retries by itself, saying so.
  let refusals = 1;
  await phones[0].route("**/responses", (route) =>
    refusals-- > 0
      ? route.fulfill({
          status: 503,
          contentType: "application/json",
          body: JSON.stringify({ error: { code: "unavailable", message: "The database is unavailable." } }),
        })
      : route.continue(),
  );
  const retrying = phones[0].locator(".retrying", { hasText: "Connection trouble — retrying" });
  const answered = answerOnPhone(phones[0], "q1", "Fraud");
  await retrying.waitFor(FOLLOW);
  await answered;
  // The refused request's console line was made on purpose; nothing else may be there.
  problems[0].splice(0, problems[0].length, ...problems[0].filter((line) => !line.includes("503")));
  await answerOnPhone(phones[1], "q1", "Voter suppression");
  const q1 = presenter.locator(".result-card[data-question=q1]");
  await q1.locator(".count", { hasText: "2 people answered" }).waitFor(FOLLOW);
  // The answered phones show the question's results.
  await phones[0].locator(".result-card[data-question=q1] .count", { hasText: "2 people answered" }).waitFor(FOLLOW);
  assert.equal(await phones[0].locator(".result-card:visible").count(), 1, "only the current question's results");

  // PageDown (a clicker) moves on: several choices, no more than two.
  await presenter.keyboard.press("PageDown");
  for (const participant of phones) assert.equal(await visibleQuestion(participant), "q2");
  const boxes = phones[0].locator("fieldset[data-question=q2] input[type=checkbox]");
  await answerOnPhone(phones[1], "q2", ["Courts", "Free press"]);
  await phones[0].locator("fieldset[data-question=q2] label", { hasText: "Courts" }).click();
  await phones[0].locator("fieldset[data-question=q2] label", { hasText: "Fair elections" }).click();
  assert.equal(await boxes.nth(1).isDisabled(), true, "a third choice waits for one to be unticked");
  await screenshot(phones[0], "paced-phone-several");
  await phones[0].click(".submit-bar button");
  await phones[0].locator(".confirmation", { hasText: "Answer recorded" }).waitFor(FOLLOW);
  await presenter.locator(".result-card[data-question=q2] .legend-line", { hasText: "more than 100%" }).waitFor(FOLLOW);

  // Space: the scale.
  await presenter.keyboard.press(" ");
  for (const participant of phones) assert.equal(await visibleQuestion(participant), "q3");
  assert.deepEqual(await seriousA11yViolations(phones[0]), []);
  await screenshot(phones[0], "paced-phone-scale");
  await answerOnPhone(phones[0], "q3", "4");
  await answerOnPhone(phones[1], "q3", "5");
  await presenter.locator(".result-card[data-question=q3] .mean-text", { hasText: "mean 4.5 (95% CI" }).waitFor(FOLLOW);

  // The words question, and a latecomer who lands on it.
  await presenter.keyboard.press("ArrowRight");
  for (const participant of phones) assert.equal(await visibleQuestion(participant), "q4");
  const late = await phone();
  await late.goto(`${suite.stack.baseURL}/polls/${poll.slug}`);
  assert.equal(await visibleQuestion(late), "q4", "a latecomer lands on the current question");
  await answerOnPhone(phones[0], "q4", { words: ["Freedom", "hope"] });
  await answerOnPhone(phones[1], "q4", { words: ["freedom ", "Courts"] });
  await presenter.locator(".result-card[data-question=q4] svg text[data-word=freedom]").waitFor(FOLLOW);

  // The catalog question. "c" closes voting: the phone that has not answered says so, and
  // takes the answer again when voting reopens.
  await presenter.keyboard.press("ArrowRight");
  for (const participant of phones) assert.equal(await visibleQuestion(participant), "pid3");
  await answerOnPhone(phones[0], "pid3", "Democrat");
  await presenter.keyboard.press("c");
  await presenter.locator(".voting-state", { hasText: "voting closed" }).waitFor(FOLLOW);
  await phones[1].locator(".closed-banner", { hasText: "Voting on this question is closed" }).waitFor(FOLLOW);
  await screenshot(phones[1], "paced-phone-voting-closed");
  await presenter.keyboard.press("c");
  await answerOnPhone(phones[1], "pid3", "Republican");
  const party = presenter.locator(".result-card[data-question=pid3]");
  await party.locator(".count", { hasText: "2 answers" }).waitFor(FOLLOW);
  // → on the last question stays there.
  await presenter.keyboard.press("ArrowRight");
  assert.match(await presenter.textContent(".voting-state"), /Question 5 of 5/);

  // ← goes back: the phones show what they answered there, not a form; Home goes to the start.
  await presenter.keyboard.press("ArrowLeft");
  for (const participant of phones) {
    await participant.locator(".result-card[data-question=q4]:visible").waitFor(FOLLOW);
    assert.equal(await participant.locator("fieldset.question-card:visible").count(), 0);
  }
  await presenter.keyboard.press("Home");
  await phones[1].locator(".result-card[data-question=q1]:visible").waitFor(FOLLOW);
  assert.match(await presenter.textContent(".voting-state"), /Question 1 of 5/);

  // The answers are linked by the phone's token: the api counts two participants, not ten.
  const results = await apiJson(suite.stack.baseURL, `/api/polls/${poll.slug}/results`);
  assert.equal(results.respondents, 2, "two participants (the latecomer did not answer)");
  assert.equal(results.current_question, 0);
  assert.deepEqual(problems.flat(), []);
});

test(
  "a word cloud on the presenter view and the phones; a word the presenter hides leaves both phones",
  BOUNDED,
  async () => {
    const poll = await pacedPoll(["words"]);
    await poll.request(`/api/admin/polls/${poll.id}/current`, "PUT", { position: 0, voting_open: true });
    const phones = [await phone(), await phone()];
    const given = [
      ["Freedom", "Tyranny"],
      ["freedom", "hope", "tyranny"],
    ];
    for (const [i, participant] of phones.entries()) {
      await participant.goto(`${suite.stack.baseURL}/polls/${poll.slug}`);
      await answerOnPhone(participant, "q1", { words: given[i] });
    }
    const presenter = await adminPage({ viewport: { width: 1280, height: 900 } });
    await presenter.goto(`${suite.stack.baseURL}/polls/${poll.slug}?screen=presenter`);
    const audience = await presenter.context().newPage();
    await audience.setViewportSize({ width: 1280, height: 720 });
    await audience.goto(`${suite.stack.baseURL}/polls/${poll.slug}?present=1`);
    const cloudWord = (screen, word) =>
      screen.locator(`.result-card[data-question=q1] svg.word-cloud text[data-word="${word}"]`);
    for (const screen of [audience, ...phones]) {
      for (const word of ["freedom", "tyranny", "hope"]) await cloudWord(screen, word).waitFor(FOLLOW);
      // The commonest word is drawn the largest.
      const [freedom, hope] = await Promise.all(
        ["freedom", "hope"].map((w) => cloudWord(screen, w).evaluate((t) => Number(t.getAttribute("font-size")))),
      );
      assert.ok(freedom > hope, `freedom ${freedom}px, hope ${hope}px`);
      // The ranked list says the same to a screen reader.
      const rows = await screen
        .locator(".result-card[data-question=q1] .word-table tbody tr")
        .evaluateAll((trs) => trs.map((tr) => [...tr.cells].slice(0, 3).map((td) => td.textContent)));
      assert.deepEqual(rows, [
        ["1", "freedom", "2"],
        ["2", "tyranny", "2"],
        ["3", "hope", "1"],
      ]);
    }
    await screenshot(phones[0], "paced-phone-word-cloud");
    await screenshot(audience, "paced-present-word-cloud");

    // The presenter hides "tyranny" on their own screen's list; it leaves every public screen,
    // and the projector never showed the list nor its buttons.
    const card = presenter.locator(".result-card[data-question=q1]");
    await card.locator("[data-moderate=hide][aria-label='Hide “tyranny”']").click();
    for (const screen of [audience, ...phones]) {
      await screen
        .locator(".result-card[data-question=q1] .word-table tr[data-word=tyranny]")
        .waitFor({ state: "detached", ...FOLLOW });
      await cloudWord(screen, "tyranny").waitFor({ state: "detached", ...FOLLOW });
    }
    assert.equal(await audience.locator("[data-moderate], button").count(), 0, "no moderation on the projector");
    const publicWords = (await apiJson(suite.stack.baseURL, `/api/polls/${poll.slug}/results`)).questions[0].words;
    assert.deepEqual(
      publicWords.map((w) => w.word),
      ["freedom", "hope"],
    );
    // Staff still see it, marked.
    const staff = await (await poll.request(`/api/admin/polls/${poll.id}/results`, "GET")).json();
    assert.deepEqual(
      staff.questions[0].words.find((w) => w.word === "tyranny"),
      { word: "tyranny", count: 2, moderation: "hidden" },
    );
    await screenshot(presenter, "paced-presenter-word-list");
    await cloudWord(audience, "freedom").waitFor(FOLLOW);
    await screenshot(audience, "paced-present-word-hidden");
    // …and the presenter can bring it back.
    await card.locator("[data-moderate=show][aria-label='Show “tyranny”']").click();
    for (const screen of [audience, ...phones]) await cloudWord(screen, "tyranny").waitFor(FOLLOW);
    assert.deepEqual(problems.flat(), []);
  },
);

test("every kind of question fits a 1280×720 and a 1920×1080 slide without scrolling", BOUNDED, async () => {
  const poll = await pacedPoll(["choice", "several", "scale", "ten", "words", "party", "judicial"], {
    split_by: "pid3",
    title: "Democracy in the United States: a talk to the alumni association",
  });
  await fillRoom(poll, 60);
  await poll.request(`/api/admin/polls/${poll.id}/current`, "PUT", { position: null, voting_open: false });
  const presenter = await adminPage({ viewport: { width: 1920, height: 1080 } });
  await presenter.goto(`${suite.stack.baseURL}/polls/${poll.slug}?present=1`);
  await presenter.locator(".join-slide:visible").waitFor(FOLLOW);
  const names = ["choice", "several", "scale", "scale-0-10", "words", "catalog-party", "catalog-versus"];
  for (const [width, height] of [
    [1920, 1080],
    [1280, 720],
  ]) {
    await presenter.setViewportSize({ width, height });
    await presenter.keyboard.press("Home");
    for (const [position, name] of names.entries()) {
      if (position > 0) await presenter.keyboard.press("ArrowRight");
      const card = presenter.locator(`.result-card[data-index="${position}"]:visible`);
      await card.waitFor(FOLLOW);
      // Settled: bars at their shares, the cloud drawn, the comparison with the nation in.
      if (name === "words") await card.locator("svg text").first().waitFor(FOLLOW);
      if (name === "catalog-versus") await card.locator(".versus .real").first().waitFor(FOLLOW);
      await presenter.waitForTimeout(800);
      await assertFits(presenter, `${name} at ${width}×${height}`);
      // Readable from the back of a hall: nothing on the slide's main side under ~1.1% of its width.
      const smallest = await card.evaluate((node) =>
        Math.min(
          ...[...node.querySelectorAll("h2, h3, .response-label, .value, .versus p, .hist-point, .legend-line")]
            .filter((e) => e.getClientRects().length)
            .map((e) => Number.parseFloat(getComputedStyle(e).fontSize)),
        ),
      );
      assert.ok(smallest >= width * 0.011, `${name} at ${width}×${height}: smallest text ${smallest}px`);
      await screenshot(presenter, `paced-present-${name}-${width}x${height}`);
    }
  }
  // The join slide too.
  await presenter.keyboard.press("Home");
  await presenter.keyboard.press("ArrowLeft");
  await presenter.locator(".join-slide:visible").waitFor(FOLLOW);
  await assertFits(presenter, "join slide at 1280×720");
  await screenshot(presenter, "paced-present-waiting-1280x720");

  // An all-at-once poll's presenter view fits too: five responses with national bars.
  const { request } = poll;
  const created = await request("/api/admin/polls", "POST", {
    title: "All at once",
    questions: [QUESTIONS.party, QUESTIONS.judicial],
    split_by: "pid3",
    // The nation beside the room while it votes (the presenter's choice): the fullest slide.
    national_during_voting: true,
  });
  const whole = await created.json();
  await request(`/api/admin/polls/${whole.id}`, "PATCH", { is_open: true });
  for (let i = 0; i < 40; i += 1) {
    const response = await fetch(`${suite.stack.baseURL}/api/polls/${whole.slug}/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        client_token: `whole-token-${i}`,
        answers: whole.questions.map((q) => answerFor(q, i)),
      }),
    });
    assert.equal(response.status, 201);
  }
  for (const [width, height] of [
    [1920, 1080],
    [1280, 720],
  ]) {
    await presenter.setViewportSize({ width, height });
    await presenter.goto(`${suite.stack.baseURL}/polls/${whole.slug}?present=1`);
    // Its keys listen once the slide is drawn.
    await presenter.locator(".join-slide:visible, .result-card:visible").first().waitFor(FOLLOW);
    for (const position of [0, 1]) {
      // The projector follows the presenter's moves (an all-at-once poll's too).
      await presenter.keyboard.press(position ? "ArrowRight" : "Home");
      const card = presenter.locator(`.result-card[data-index="${position}"]:visible`);
      await card.locator(".versus p").first().waitFor(FOLLOW);
      await presenter.waitForTimeout(800);
      await assertFits(presenter, `all at once, question ${position + 1} at ${width}×${height}`);
      await screenshot(presenter, `present-all-at-once-${position + 1}-${width}x${height}`);
    }
  }
  assert.deepEqual(problems.flat(), []);
});

test("axe finds nothing on the paced phone screens and the presenter's slides", BOUNDED, async () => {
  const poll = await pacedPoll(["choice", "several", "scale", "ten", "words", "party"], { split_by: "pid3" });
  await fillRoom(poll, 6);
  await poll.request(`/api/admin/polls/${poll.id}/current`, "PUT", { position: null, voting_open: false });
  const presenter = await adminPage({ viewport: { width: 1280, height: 720 } });
  await presenter.goto(`${suite.stack.baseURL}/polls/${poll.slug}?present=1`);
  await presenter.locator(".join-slide:visible").waitFor(FOLLOW);
  assert.deepEqual(await seriousA11yViolations(presenter), [], "audience view: join slide");
  const participant = await phone();
  await participant.goto(`${suite.stack.baseURL}/polls/${poll.slug}`);
  await participant.locator(".waiting").waitFor(FOLLOW);
  for (const [position, question] of poll.questions.entries()) {
    await presenter.keyboard.press("ArrowRight");
    await presenter.locator(`.result-card[data-index="${position}"]:visible`).waitFor(FOLLOW);
    await presenter.waitForTimeout(500);
    assert.deepEqual(await seriousA11yViolations(presenter), [], `presenter: ${question.kind} question`);
    await participant.locator(`fieldset.question-card[data-question="${question.var_name}"]`).waitFor(FOLLOW);
    assert.deepEqual(await seriousA11yViolations(participant), [], `phone: ${question.kind} form`);
    // Answered on the phone, it shows that question's results.
    const kind = question.kind ?? "catalog";
    const labels = question.responses.map((r) => r.response);
    await answerOnPhone(
      participant,
      question.var_name,
      kind === "words" ? { words: ["liberty"] } : question.max_choices > 1 ? labels.slice(0, 2) : labels[0],
    );
    await participant.locator(`.result-card[data-question="${question.var_name}"]:visible`).waitFor(FOLLOW);
    await participant.waitForTimeout(500);
    assert.deepEqual(await seriousA11yViolations(participant), [], `phone: ${question.kind} results`);
  }
  // The presenter's own screen on the words question: the ranked list with its Hide buttons.
  await presenter.keyboard.press("Home");
  for (let i = 0; i < 4; i += 1) await presenter.keyboard.press("ArrowRight");
  const own = await presenter.context().newPage();
  await own.goto(`${suite.stack.baseURL}/polls/${poll.slug}?screen=presenter`);
  const words = own.locator(".result-card[data-question=q5]:visible");
  await words.locator("[data-moderate=hide]").first().waitFor(FOLLOW);
  assert.deepEqual(await seriousA11yViolations(own), [], "presenter view: the words as a list");
  assert.deepEqual(problems.flat(), []);
});
