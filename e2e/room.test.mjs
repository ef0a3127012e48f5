// What the room sees, in headless Chromium: a presenter's own screen (?screen=presenter) apart
// from the projector's audience view (?present=1), phones following both. A whole paced talk:
// open → the join slide with "N joined" → question 1 with hidden results ("N of M answered") →
// the reveal → a catalog question whose national answers wait for voting to close → a words
// question with a word hidden from the presenter's screen → closed (final results, no invitation).
// The audience view records every text it ever shows: the hidden word must never be among them,
// nor any control.
import assert from "node:assert/strict";
import { test } from "node:test";
import { apiLogin, browserSuite, consoleLogIn, postBallot, screenshot, seriousA11yViolations } from "./harness.mjs";
import { PROJECTORS, assertSlideFits, recordEverything, seen } from "./slide.mjs";

const suite = browserSuite("room", (stack) => stack.createAccount("host@example.org", "admin", "Ada Admin"));
const { page, phone, problems } = suite;
const FOLLOW = { timeout: 5_000 };
const BOUNDED = { timeout: 180_000 };

test(
  "a paced talk: the presenter's screen, the audience view and phones agree from join to close",
  BOUNDED,
  async () => {
    const { request } = await apiLogin(suite.stack.baseURL, "host@example.org");
    const created = await request("/api/admin/polls", "POST", {
      title: "What the room sees",
      pacing: "presenter",
      questions: [
        {
          kind: "choice",
          text: "Which worries you most?",
          options: ["Courts", "Elections", "Press"],
          max_choices: 1,
          results_hidden: true,
          speaker_notes: "Ask the back row first",
        },
        { kind: "catalog", var_name: "pid3", response_indices: [0, 1, 2] },
        { kind: "words", text: "One word for democracy today?" },
      ],
    });
    assert.equal(created.status, 201, await created.clone().text());
    const poll = await created.json();

    // Both windows opened before the poll opens: the presenter's first, then the projector's.
    const presenter = await page({ viewport: { width: 1440, height: 900 } });
    await consoleLogIn(presenter, suite.stack.baseURL, "host@example.org");
    // The speaker notes are written in the builder (and kept there).
    await presenter.goto(`${suite.stack.baseURL}/admin/polls/${poll.id}/edit`);
    const notesBox = presenter.locator("li[data-question=q1] .speaker-notes textarea");
    assert.equal(await notesBox.inputValue(), "Ask the back row first");
    await notesBox.fill("Ask the back row first — NOTE-7F3\nThen the front.");
    await presenter.click("button[type=submit]");
    await presenter.waitForURL(/\/admin\/polls\/\d+$/);
    const saved = await (await request(`/api/admin/polls/${poll.id}`, "GET")).json();
    assert.equal(saved.questions[0].speaker_notes, "Ask the back row first — NOTE-7F3\nThen the front.");
    await presenter.goto(`${suite.stack.baseURL}/polls/${poll.slug}?screen=presenter`);
    const audience = await presenter.context().newPage();
    await audience.setViewportSize({ width: 1280, height: 720 });
    await audience.goto(`${suite.stack.baseURL}/polls/${poll.slug}?present=1`);
    await recordEverything(audience);

    // Opening shows the join slide everywhere: no question is live yet.
    assert.equal((await request(`/api/admin/polls/${poll.id}`, "PATCH", { is_open: true })).status, 200);
    await audience.reload();
    await recordEverything(audience);
    await audience.locator(".join-slide:visible .join-code").waitFor(FOLLOW);
    await audience.locator(".joined-count", { hasText: "0 joined" }).waitFor(FOLLOW);
    assert.equal(await audience.locator(".join-slide svg").count(), 1, "a QR code on the join slide");
    await presenter.reload();
    await presenter.locator(".presenter-join", { hasText: "join slide" }).waitFor(FOLLOW);
    const phones = [await phone(), await phone()];
    for (const participant of phones) {
      await participant.goto(`${suite.stack.baseURL}/polls/${poll.slug}`);
      await participant.locator(".waiting", { hasText: "Waiting for the presenter" }).waitFor(FOLLOW);
    }
    // Each browser counts once, however often it reloads.
    await phones[0].reload();
    await audience.locator(".joined-count", { hasText: "2 joined" }).waitFor(FOLLOW);
    await presenter.locator(".room-counts", { hasText: "2 joined" }).waitFor(FOLLOW);
    assert.deepEqual(await seriousA11yViolations(audience), [], "audience view: join slide");
    await screenshot(audience, "room-join-slide-1280x720");

    // → on the presenter's screen starts question 1 on every screen; its results are hidden: the
    // slide shows its options and counts the answers.
    await presenter.keyboard.press("ArrowRight");
    const q1 = audience.locator(".result-card[data-question=q1]:visible");
    await q1.locator(".hidden-options li", { hasText: "Elections" }).waitFor(FOLLOW);
    await q1.locator(".answered-count", { hasText: "0 of 2 answered" }).waitFor(FOLLOW);
    assert.equal(await audience.locator(".join-corner svg").count(), 1, "latecomers still find the code");
    const cornerQr = await audience.locator(".join-corner svg").boundingBox();
    for (const [i, participant] of phones.entries()) {
      const card = participant.locator("fieldset.question-card[data-question=q1]");
      await card.waitFor(FOLLOW);
      await card.locator("label", { hasText: ["Courts", "Elections"][i] }).click();
      await participant.click(".submit-bar button");
      await participant.locator(".confirmation", { hasText: "Answer recorded" }).waitFor(FOLLOW);
    }
    await q1.locator(".answered-count", { hasText: "2 of 2 answered" }).waitFor(FOLLOW);
    await presenter.locator(".room-counts", { hasText: "2 of 2 answered" }).waitFor(FOLLOW);
    // The presenter reads their notes for the question; the projector never shows them.
    await presenter.locator(".speaker-notes p", { hasText: "NOTE-7F3" }).waitFor(FOLLOW);
    // The QR code keeps its size once answers come.
    assert.deepEqual(await audience.locator(".join-corner svg").boundingBox(), cornerQr);
    await screenshot(audience, "room-hidden-results-1280x720");
    // R reveals: the bars.
    await presenter.keyboard.press("r");
    await audience
      .locator(".result-card[data-question=q1]:visible .count", { hasText: "2 people answered" })
      .waitFor(FOLLOW);

    // The catalog question: no national answer while the room votes; it comes when voting closes.
    await presenter.keyboard.press("ArrowRight");
    const party = audience.locator(".result-card[data-question=pid3]:visible");
    await party.waitFor(FOLLOW);
    await party.locator(".legend-line", { hasText: "appear when voting closes" }).waitFor(FOLLOW);
    assert.equal(await party.locator(".bar.national").count(), 0, "no national bars while voting");
    await phones[0].locator("fieldset.question-card[data-question=pid3] label", { hasText: "Democrat" }).click();
    await phones[0].click(".submit-bar button");
    await phones[0].locator(".confirmation", { hasText: "Answer recorded" }).waitFor(FOLLOW);
    assert.equal(await phones[0].locator(".bar.national").count(), 0, "nor on the phone");
    await presenter.keyboard.press("c");
    await party.locator(".bar.national").first().waitFor(FOLLOW);
    await party.locator(".legend-line", { hasText: "US adults" }).waitFor(FOLLOW);

    // The words question: the presenter hides a word on their own screen; the room never sees it.
    await presenter.keyboard.press("ArrowRight");
    await audience.locator(".result-card[data-question=q3]:visible").waitFor(FOLLOW);
    // Hidden before anyone could see it: moderation is the presenter's, on the presenter's screen.
    await request(`/api/admin/polls/${poll.id}/questions/q3/hidden-words`, "POST", { word: "tyranny" });
    for (const [i, participant] of phones.entries()) {
      const card = participant.locator("fieldset.question-card[data-question=q3]");
      await card.waitFor(FOLLOW);
      await card.locator("input[type=text] >> nth=0").fill(["Tyranny", "Freedom"][i]);
      await participant.click(".submit-bar button");
      await participant.locator(".confirmation", { hasText: "Answer recorded" }).waitFor(FOLLOW);
    }
    const presenterWords = presenter.locator(".result-card[data-question=q3]:visible");
    await presenterWords.locator("tr[data-word=tyranny]").waitFor(FOLLOW);
    await audience
      .locator(".result-card[data-question=q3]:visible svg.word-cloud text[data-word=freedom]")
      .waitFor(FOLLOW);
    await screenshot(presenter, "room-presenter-words");
    await screenshot(audience, "room-audience-words-1280x720");

    // Closing: final results on the slide, no invitation, no QR code.
    assert.equal((await request(`/api/admin/polls/${poll.id}`, "PATCH", { is_open: false })).status, 200);
    await audience.locator(".voting-state", { hasText: "final results" }).waitFor(FOLLOW);
    assert.equal(await audience.locator(".join:visible, svg:not(.word-cloud):visible").count(), 0, "no invitation");
    // ← back to before question 1: the closed poll's last slide, still no invitation.
    await presenter.keyboard.press("Home");
    await presenter.keyboard.press("ArrowLeft");
    await audience.locator(".closed-slide:visible", { hasText: "This poll is closed" }).waitFor(FOLLOW);
    assert.equal(await audience.locator(".join:visible").count(), 0);
    await screenshot(audience, "room-closed-1280x720");

    const { texts, controls } = await seen(audience);
    assert.ok(!texts.some((t) => /tyranny/i.test(t)), "the hidden word never reached the audience view");
    assert.ok(!texts.some((t) => t.includes("NOTE-7F3")), "nor the speaker notes");
    assert.deepEqual(controls, [], "no control was ever on the audience view");
    for (const participant of phones) {
      assert.equal(await participant.locator("text=tyranny").count(), 0, "nor a phone");
    }
    assert.deepEqual(problems.flat(), []);
  },
);

test(
  "a 12-option, up-to-3 question split three ways, every text as long as allowed, fits every projector size, readably",
  BOUNDED,
  async () => {
    const { request } = await apiLogin(suite.stack.baseURL, "host@example.org");
    // The longest texts the api takes: a 200-character title, a 500-character question, 100-character options.
    const upTo = (text, length) =>
      text
        .repeat(Math.ceil(length / text.length))
        .slice(0, length)
        .trim()
        .padEnd(length, ".");
    const options = Array.from({ length: 12 }, (_, i) =>
      upTo(
        `Option ${i + 1}: protecting ${["courts", "elections", "the press", "protest"][i % 4]} from partisan capture and `,
        100,
      ),
    );
    const text = upTo(
      "Which three of these would you protect first if the next administration tried to weaken the checks on its power, and why those before the others? ",
      500,
    );
    const created = await request("/api/admin/polls", "POST", {
      title: upTo("Democracy in the United States: a talk to the alumni association of a large university, ", 200),
      pacing: "presenter",
      split_by: "q1",
      questions: [
        { kind: "choice", text: "Where do you stand?", options: ["Left", "Centre", "Right"], max_choices: 1 },
        { kind: "choice", text, options, max_choices: 3 },
      ],
    });
    assert.equal(created.status, 201, await created.clone().text());
    const poll = await created.json();
    await request(`/api/admin/polls/${poll.id}`, "PATCH", { is_open: true });
    await request(`/api/admin/polls/${poll.id}/current`, "PUT", { position: 0, voting_open: true });
    for (let i = 0; i < 45; i += 1) {
      const answer = await postBallot(suite.stack.baseURL, poll.slug, `stress-token-${i}`, [
        { var_name: "q1", response_index: i % 3 },
      ]);
      assert.equal(answer.status, 201);
    }
    await request(`/api/admin/polls/${poll.id}/current`, "PUT", { position: 1, voting_open: true });
    for (let i = 0; i < 45; i += 1) {
      const answer = await postBallot(suite.stack.baseURL, poll.slug, `stress-token-${i}`, [
        { var_name: "q2", response_indices: [i % 12, (i + 5) % 12, (i + 7) % 12] },
      ]);
      assert.equal(answer.status, 201, await answer.text());
    }
    const audience = await page({ viewport: { width: 1280, height: 720 } });
    await audience.goto(`${suite.stack.baseURL}/polls/${poll.slug}?present=1`);
    for (const [width, height] of PROJECTORS) {
      await audience.setViewportSize({ width, height });
      await audience.reload();
      await audience.locator(".result-card[data-question=q2]:visible .choice-heads").waitFor(FOLLOW);
      await audience.waitForTimeout(800);
      await screenshot(audience, `room-stress-${width}x${height}`);
      await assertSlideFits(audience);
    }
    assert.deepEqual(problems.flat(), []);
  },
);

test("a question's countdown runs on the slide and the phone, and closes voting at zero", BOUNDED, async () => {
  const { request } = await apiLogin(suite.stack.baseURL, "host@example.org");
  const created = await request("/api/admin/polls", "POST", {
    title: "Against the clock",
    pacing: "presenter",
    questions: [{ kind: "choice", text: "Quick: yes or no?", options: ["Yes", "No"], timer_seconds: 6 }],
  });
  assert.equal(created.status, 201, await created.clone().text());
  const poll = await created.json();
  await request(`/api/admin/polls/${poll.id}`, "PATCH", { is_open: true });
  const audience = await page({ viewport: { width: 1280, height: 720 } });
  await audience.goto(`${suite.stack.baseURL}/polls/${poll.slug}?present=1`);
  await audience.locator(".join-slide:visible").waitFor(FOLLOW);
  const participant = await phone();
  await participant.goto(`${suite.stack.baseURL}/polls/${poll.slug}`);
  await participant.locator(".waiting").waitFor(FOLLOW);

  await request(`/api/admin/polls/${poll.id}/current`, "PUT", { position: 0, voting_open: true });
  for (const screen of [audience, participant]) {
    await screen.locator(".countdown:visible", { hasText: /^0:0[1-6] left$/ }).waitFor(FOLLOW);
  }
  await screenshot(audience, "room-countdown-1280x720");
  await screenshot(participant, "room-countdown-phone");
  // At zero: the phone that did not answer is told voting closed; the slide says so.
  await participant
    .locator(".closed-banner", { hasText: "Voting on this question is closed" })
    .waitFor({ timeout: 15_000 });
  await audience.locator(".voting-state", { hasText: "voting closed" }).waitFor(FOLLOW);
  assert.equal(await audience.locator(".countdown:visible").count(), 0, "no countdown once closed");
  assert.deepEqual(problems.flat(), []);
});
