// Open answers in headless Chromium: a phone answers in its own words; the presenter's screen
// queues the answer; approving puts it on the projector, hiding takes it off again. An answer the
// presenter hid or never approved never reaches the audience view or a phone. The room's list of
// the longest answers fits every projector size (the newest that fit, the rest counted).
import assert from "node:assert/strict";
import { test } from "node:test";
import { apiLogin, browserSuite, postBallot, screenshot, seriousA11yViolations } from "./harness.mjs";
import { PROJECTORS, assertSlideFits, presenterAndAudience, seen } from "./slide.mjs";

const suite = browserSuite("open-answers", (stack) => stack.createAccount("host@example.org", "admin", "Ada Admin"));
const { page, phone, problems } = suite;
const FOLLOW = { timeout: 5_000 };
const BOUNDED = { timeout: 180_000 };

/** A presenter-paced poll with one open question, open and taking answers. */
async function openQuestionPoll(request, text) {
  const created = await request("/api/admin/polls", "POST", {
    title: "Ask the room",
    pacing: "presenter",
    questions: [{ kind: "open", text }],
  });
  assert.equal(created.status, 201, await created.clone().text());
  const poll = await created.json();
  assert.equal((await request(`/api/admin/polls/${poll.id}`, "PATCH", { is_open: true })).status, 200);
  const paced = await request(`/api/admin/polls/${poll.id}/current`, "PUT", { position: 0, voting_open: true });
  assert.equal(paced.status, 200);
  return poll;
}

test(
  "a phone's answer waits on the presenter's screen and reaches the projector only once approved",
  BOUNDED,
  async () => {
    const { request } = await apiLogin(suite.stack.baseURL, "host@example.org");
    const poll = await openQuestionPoll(request, "What should change first?");
    const { presenter, audience } = await presenterAndAudience(suite, poll, "host@example.org");
    await audience.locator(".open-empty", { hasText: "once approved" }).waitFor(FOLLOW);

    // A phone answers in its own words; two more answers come through the api.
    const participant = await phone();
    await participant.goto(`${suite.stack.baseURL}/polls/${poll.slug}`);
    const box = participant.locator("fieldset.question-card[data-question=q1] textarea");
    await box.fill("Term limits for judges");
    await participant.click(".submit-bar button");
    await participant.locator(".confirmation", { hasText: "Answer recorded" }).waitFor(FOLLOW);
    for (const [i, text] of ["This is shit", "SECRET-HIDE-ME please"].entries()) {
      assert.equal(
        (await postBallot(suite.stack.baseURL, poll.slug, `open-e2e-${i}`, [{ var_name: "q1", text }])).status,
        201,
      );
    }

    // The presenter's queue: oldest first, the blocklist's catch marked.
    const waiting = presenter.locator(".open-section[data-review=pending] .open-answer");
    await presenter.locator(".open-section[data-review=pending] h4", { hasText: "Waiting (3)" }).waitFor(FOLLOW);
    assert.deepEqual(await waiting.locator(".open-text").allTextContents(), [
      "Term limits for judges",
      "This is shit",
      "SECRET-HIDE-ME please",
    ]);
    assert.equal(await waiting.nth(1).locator(".badge", { hasText: "Blocked word" }).count(), 1);
    assert.deepEqual(await seriousA11yViolations(presenter), [], "presenter view: the queue");

    // Approve: on the projector at once. Hide: off it, and listed as hidden for the presenter.
    const approve = (text) =>
      presenter.locator(".open-answer", { hasText: text }).locator("button[data-review=approved]");
    const hide = (text) => presenter.locator(".open-answer", { hasText: text }).locator("button[data-review=hidden]");
    await approve("Term limits for judges").click();
    await audience.locator(".open-list .open-answer", { hasText: "Term limits for judges" }).waitFor(FOLLOW);
    await hide("SECRET-HIDE-ME").click();
    await presenter
      .locator(".open-section[data-review=hidden] .open-answer", { hasText: "SECRET-HIDE-ME" })
      .waitFor(FOLLOW);
    await hide("Term limits for judges").click();
    await audience.locator(".open-empty", { hasText: "once approved" }).waitFor(FOLLOW);
    await presenter.locator(".open-section[data-review=hidden] h4", { hasText: "Hidden (2)" }).waitFor(FOLLOW);
    await approve("Term limits for judges").click();
    await audience.locator(".open-list .open-answer", { hasText: "Term limits for judges" }).waitFor(FOLLOW);
    await presenter.locator(".open-section[data-review=pending] h4", { hasText: "Waiting (1)" }).waitFor(FOLLOW);
    await screenshot(presenter, "open-answers-presenter");
    await screenshot(audience, "open-answers-audience-1280x720");
    assert.deepEqual(await seriousA11yViolations(audience), [], "audience view: an approved answer");

    // The phone follows the room's list too.
    await participant.locator(".open-list .open-answer", { hasText: "Term limits for judges" }).waitFor(FOLLOW);
    const { texts, controls } = await seen(audience);
    assert.ok(!texts.some((t) => /SECRET-HIDE-ME|shit/i.test(t)), "no hidden or waiting answer reached the projector");
    assert.deepEqual(controls, [], "no control was ever on the audience view");
    assert.equal(await participant.locator("text=SECRET-HIDE-ME").count(), 0, "nor the phone");
    assert.deepEqual(problems.flat(), []);
  },
);

test("the room's list of the longest answers fits every projector size, newest first", BOUNDED, async () => {
  const { request } = await apiLogin(suite.stack.baseURL, "host@example.org");
  const words = "an independent judiciary, free and fair elections, a press that can say what it finds, ";
  const longest = (i) => `Answer ${i}: ${words.repeat(4)}`.slice(0, 279).trim().padEnd(280, ".");
  const question = `What would you change first? ${"Say why, and say what it would cost. ".repeat(14)}`.slice(0, 500);
  const poll = await openQuestionPoll(request, question);
  for (let i = 1; i <= 30; i += 1) {
    const answer = await postBallot(suite.stack.baseURL, poll.slug, `longest-${i}`, [
      { var_name: "q1", text: longest(i) },
    ]);
    assert.equal(answer.status, 201, await answer.text());
  }
  const results = await (await request(`/api/admin/polls/${poll.id}/results`, "GET")).json();
  for (const answer of results.questions[0].answers) {
    const path = `/api/admin/polls/${poll.id}/questions/q1/answers/${answer.respondent_id}/review`;
    assert.equal((await request(path, "PUT", { review: "approved" })).status, 204);
  }
  const audience = await page({ viewport: { width: 1280, height: 720 } });
  await audience.goto(`${suite.stack.baseURL}/polls/${poll.slug}?present=1`);
  for (const [width, height] of PROJECTORS) {
    await audience.setViewportSize({ width, height });
    await audience.reload();
    await audience.locator(".open-list .open-answer").first().waitFor(FOLLOW);
    await audience.waitForTimeout(800);
    await screenshot(audience, `open-answers-longest-${width}x${height}`);
    await assertSlideFits(audience);
    const shown = await audience.locator(".open-list .open-answer:visible").allTextContents();
    assert.ok(shown.length >= 2, `${width}×${height}: ${shown.length} answers shown`);
    assert.ok(shown[0].startsWith("Answer 30:"), `${width}×${height}: the newest first: ${shown[0]}`);
    const more = await audience.locator(".open-more").textContent();
    assert.equal(more, `and ${30 - shown.length} more`, `${width}×${height}: the rest are counted`);
  }
  assert.deepEqual(problems.flat(), []);
});
