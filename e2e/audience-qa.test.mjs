// Audience Q&A in headless Chromium: phones ask and upvote (once each, a second press takes the
// vote back); a question with a blocked word waits for the presenter and never reaches another
// phone or the projector; the presenter hides, marks answered and pins; the projector shows the
// pinned question large with its votes, fitted to the slide, then the talk again once unpinned.
import assert from "node:assert/strict";
import { test } from "node:test";
import { apiLogin, browserSuite, screenshot, seriousA11yViolations } from "./harness.mjs";
import { assertSlideFits, presenterAndAudience, seen } from "./slide.mjs";

const suite = browserSuite("audience-qa", (stack) => stack.createAccount("host@example.org", "admin", "Ada Admin"));
const { phone, problems } = suite;
const FOLLOW = { timeout: 5_000 };
const BOUNDED = { timeout: 180_000 };

test(
  "phones ask and vote, the presenter moderates and pins, the projector shows the pinned question",
  BOUNDED,
  async () => {
    const { request } = await apiLogin(suite.stack.baseURL, "host@example.org");
    const created = await request("/api/admin/polls", "POST", {
      title: "Questions welcome",
      pacing: "presenter",
      qa_mode: "off",
      questions: [{ kind: "choice", text: "Are you here in person?", options: ["Yes", "No"] }],
    });
    assert.equal(created.status, 201, await created.clone().text());
    const poll = await created.json();
    assert.equal((await request(`/api/admin/polls/${poll.id}`, "PATCH", { is_open: true })).status, 200);

    const { presenter, audience } = await presenterAndAudience(suite, poll, "host@example.org");
    await audience.locator(".join-slide:visible .join-code").waitFor(FOLLOW);
    const [ana, ben] = [await phone(), await phone()];
    for (const participant of [ana, ben]) {
      await participant.goto(`${suite.stack.baseURL}/polls/${poll.slug}`);
      await participant.locator(".waiting", { hasText: "Waiting for the presenter" }).waitFor(FOLLOW);
      assert.equal(await participant.locator(".qa-panel:visible").count(), 0, "no questions taken yet");
    }
    // The presenter switches questions on mid-talk: the phones offer them at once.
    await presenter.selectOption("#qa-mode", "post_moderated");
    for (const participant of [ana, ben]) await participant.locator(".qa-panel .qa-empty").waitFor(FOLLOW);

    // Ana asks with her name; Ben sees it and votes, takes the vote back, votes again.
    await ana.fill("#qa-text", "How do courts stay independent when the other branches push back?");
    await ana.fill("#qa-name", "Ana");
    await ana.click(".qa-form button[type=submit]");
    await ana.locator(".qa-status", { hasText: "on the list" }).waitFor(FOLLOW);
    const asked = ben.locator(".qa-item", { hasText: "How do courts stay independent" });
    await asked.locator(".qa-meta", { hasText: "Ana" }).waitFor(FOLLOW);
    const vote = asked.locator("button.qa-vote");
    await vote.click();
    await asked.locator("button.qa-vote[aria-pressed=true] .qa-votes", { hasText: "1" }).waitFor(FOLLOW);
    await vote.click();
    await asked.locator("button.qa-vote[aria-pressed=false] .qa-votes", { hasText: "0" }).waitFor(FOLLOW);
    await vote.press("Enter");
    await asked.locator("button.qa-vote[aria-pressed=true] .qa-votes", { hasText: "1" }).waitFor(FOLLOW);
    await ana.locator(".qa-item .qa-votes", { hasText: "1" }).first().waitFor(FOLLOW);
    assert.deepEqual(await seriousA11yViolations(ben), [], "phone: the Q&A list");

    // Ben's question with a blocked word waits: he is told so, nobody else sees it.
    await ben.fill("#qa-text", "Is this whole shit show fixable?");
    await ben.click(".qa-form button[type=submit]");
    await ben.locator(".qa-status", { hasText: "review it first" }).waitFor(FOLLOW);
    await ben.locator(".qa-waiting", { hasText: "Waiting for the presenter" }).waitFor(FOLLOW);
    const waiting = presenter.locator(".qa-section[data-review=pending] .qa-item", { hasText: "shit show" });
    await waiting.locator(".badge", { hasText: "Blocked word" }).waitFor(FOLLOW);
    await waiting.locator("button[data-action=hide]").click();
    await presenter.locator(".qa-section[data-review=hidden] h3", { hasText: "Hidden (1)" }).waitFor(FOLLOW);
    assert.deepEqual(await seriousA11yViolations(presenter), [], "presenter view: the Q&A queue");

    // Another question (anonymous) for the projector's "next" list.
    await ben.fill("#qa-text", "What about state courts?");
    await ben.click(".qa-form button[type=submit]");
    await presenter.locator(".qa-section[data-review=approved] h3", { hasText: "On the list (2)" }).waitFor(FOLLOW);

    // Pinned: the projector shows it large, with its votes, the next most voted under it, and the
    // slide still fits.
    const listed = presenter.locator(".qa-section[data-review=approved] .qa-item", { hasText: "How do courts" });
    await listed.locator("button[data-action=pin]").click();
    await audience
      .locator(".qa-slide:visible .qa-pinned", { hasText: "How do courts stay independent" })
      .waitFor(FOLLOW);
    await audience.locator(".qa-pinned-meta", { hasText: "Ana · 1 vote" }).waitFor(FOLLOW);
    await audience.locator(".qa-next li", { hasText: "What about state courts?" }).waitFor(FOLLOW);
    assert.doesNotMatch(await audience.locator(".qa-slide").textContent(), /null|undefined/);
    await audience.locator(".voting-state", { hasText: "Audience Q&A" }).waitFor(FOLLOW);
    assert.equal(await audience.locator(".join-corner svg").count(), 1, "latecomers still find the code");
    await audience.waitForTimeout(300);
    await assertSlideFits(audience);
    await screenshot(audience, "audience-qa-pinned-1280x720");
    await screenshot(presenter, "audience-qa-presenter");
    // Another vote moves the projector's count.
    await ana.locator(".qa-item", { hasText: "How do courts" }).locator("button.qa-vote").click();
    await audience.locator(".qa-pinned-meta", { hasText: "Ana · 2 votes" }).waitFor(FOLLOW);
    assert.deepEqual(await seriousA11yViolations(audience), [], "audience view: a pinned question");

    // Answered: every phone says so. Unpinned: the projector goes back to the talk.
    await listed.locator("button[data-action=answered]").click();
    await ana
      .locator(".qa-item", { hasText: "How do courts" })
      .locator(".badge", { hasText: "Answered" })
      .waitFor(FOLLOW);
    await listed.locator("button[data-action=unpin]").click();
    await audience.locator(".join-slide:visible .join-code").waitFor(FOLLOW);
    assert.equal(await audience.locator(".qa-slide:visible").count(), 0);

    const { texts, controls } = await seen(audience);
    assert.ok(!texts.some((t) => /shit/i.test(t)), "the held question never reached the projector");
    assert.deepEqual(controls, [], "no control was ever on the audience view");
    assert.equal(await ana.locator("text=shit show").count(), 0, "nor another phone");
    assert.deepEqual(problems.flat(), []);
  },
);
