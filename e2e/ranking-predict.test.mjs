// Rankings and guesses of the nation's answer in headless Chromium. A phone ranks the catalog's
// principles by dragging with a finger (touch events), another participant by keyboard only; a
// top-k ranking is chosen by tapping. Phones guess a national share with the slider or by typing
// a number. The projector shows the room's order (and its guesses) while voting, and when the
// presenter closes voting, the nation beside it: the nation's order with the item whose places
// differ most, the survey's estimate with the gap in words; every such slide fits every projector
// size. The builder makes one of each kind, and editing the poll (even once it has answers) keeps
// what they rank and guess.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  apiJson,
  apiLogin,
  browserSuite,
  consoleLogIn,
  postBallot,
  screenshot,
  seriousA11yViolations,
} from "./harness.mjs";
import { PROJECTORS, assertSlideFits, presenterAndAudience, seen } from "./slide.mjs";

const suite = browserSuite("rank-predict", (stack) => stack.createAccount("host@example.org", "admin", "Ada Admin"));
const { page, phone, problems } = suite;
const FOLLOW = { timeout: 5_000 };
const BOUNDED = { timeout: 240_000 };
const PRINCIPLES = ["imp_judicial_ind", "imp_free_speech", "imp_election_fraud", "imp_concede_defeat", "imp_districts"];

/** A presenter-paced poll made through the api, opened on its first question. */
async function pacedPoll(request, definition) {
  const created = await request("/api/admin/polls", "POST", { pacing: "presenter", ...definition });
  assert.equal(created.status, 201, await created.clone().text());
  const poll = await created.json();
  assert.equal((await request(`/api/admin/polls/${poll.id}`, "PATCH", { is_open: true })).status, 200);
  assert.equal(
    (await request(`/api/admin/polls/${poll.id}/current`, "PUT", { position: 0, voting_open: true })).status,
    200,
  );
  return poll;
}

/** Drags with a finger (real touch events, so pointer events of type touch) from one point to another. */
async function touchDrag(screen, from, to, steps = 14) {
  const cdp = await screen.context().newCDPSession(screen);
  const point = (x, y) => [{ x: Math.round(x), y: Math.round(y) }];
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: point(from.x, from.y) });
  for (let i = 1; i <= steps; i += 1) {
    const y = from.y + ((to.y - from.y) * i) / steps;
    await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: point(from.x, y) });
  }
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  await cdp.detach();
}

const centre = (box) => ({ x: box.x + box.width / 2, y: box.y + box.height / 2 });
/** The items of a ranking on a phone, in the order shown. */
const shownOrder = (card) => card.locator(".rank-list .rank-item .rank-text").allTextContents();

/** Presses Tab until the focused element's name (its aria-label, else its text) is `name`. */
async function tabTo(screen, name, limit = 60) {
  for (let i = 0; i < limit; i += 1) {
    await screen.keyboard.press("Tab");
    const focused = await screen.evaluate(
      () => document.activeElement?.getAttribute("aria-label") ?? document.activeElement?.textContent,
    );
    if (focused === name) return;
  }
  assert.fail(`Tab never reached “${name}”`);
}

/** Every projector size: the slide fits, readably. */
async function fitsEveryProjector(audience, name, ready) {
  for (const [width, height] of PROJECTORS) {
    await audience.setViewportSize({ width, height });
    await ready.waitFor(FOLLOW);
    await audience.waitForTimeout(900);
    await screenshot(audience, `${name}-${width}x${height}`);
    await assertSlideFits(audience);
  }
  await audience.setViewportSize({ width: 1280, height: 720 });
}

test(
  "phones rank by dragging and by keyboard; closing voting puts the nation's order beside the room's on every projector size",
  BOUNDED,
  async () => {
    const { request } = await apiLogin(suite.stack.baseURL, "host@example.org");
    const poll = await pacedPoll(request, {
      title: "What matters most",
      questions: [
        { kind: "ranking", text: "Put these principles in order of importance", item_var_names: PRINCIPLES },
        {
          kind: "ranking",
          text: "Your top two worries?",
          options: ["Courts", "Elections", "Press", "Protest"],
          top_k: 2,
        },
      ],
    });
    const { presenter, audience } = await presenterAndAudience(suite, poll, "host@example.org");
    const slide = audience.locator(".result-card[data-question=q1]:visible");
    await slide.locator(".rank-chart").waitFor(FOLLOW);
    assert.equal(await slide.locator(".rk-nplace").count(), 0, "no nation while the room ranks");

    // A phone ranks with a finger: the fourth item shown is dragged to the top.
    const first = await phone();
    await first.goto(`${suite.stack.baseURL}/polls/${poll.slug}`);
    const card = first.locator("fieldset.question-card[data-question=q1]");
    await card.locator(".rank-item").first().waitFor(FOLLOW);
    const before = await shownOrder(card);
    assert.equal(before.length, PRINCIPLES.length);
    assert.equal(await first.isDisabled(".submit-bar button"), true, "the order shown is not an answer yet");
    const fourth = card.locator(".rank-item").nth(3);
    await fourth.scrollIntoViewIfNeeded();
    const from = centre(await fourth.locator(".rank-handle").boundingBox());
    const top = await card.locator(".rank-item").first().boundingBox();
    await touchDrag(first, from, { x: from.x, y: top.y + 4 });
    const dragged = [before[3], ...before.slice(0, 3), before[4]];
    assert.deepEqual(await shownOrder(card), dragged, "the dragged item is first, the others moved down");
    // Said in the next frame (the live region is cleared first, so the same words are heard twice).
    await card.locator("[role=status]", { hasText: /now 1st of 5/ }).waitFor(FOLLOW);
    // And once more: the (now) first item dragged below the second.
    const again = centre(await card.locator(".rank-item").first().locator(".rank-handle").boundingBox());
    const second = await card.locator(".rank-item").nth(1).boundingBox();
    await touchDrag(first, again, { x: again.x, y: second.y + second.height * 0.8 });
    const mine = [dragged[1], dragged[0], ...dragged.slice(2)];
    assert.deepEqual(await shownOrder(card), mine);
    assert.equal(await first.isDisabled(".submit-bar button"), false);
    assert.deepEqual(await seriousA11yViolations(first), [], "phone: the ranking");
    assert.equal(
      await first.evaluate(() => document.documentElement.scrollWidth <= innerWidth),
      true,
      "no sideways scrolling",
    );
    await screenshot(first, "ranking-phone-dragged");
    await first.click(".submit-bar button");
    await first.locator(".confirmation", { hasText: "Answer recorded" }).waitFor(FOLLOW);

    // Another participant with the keyboard only: "Keep this order" would do; they move the last
    // item up to the top with its ↑ button (Enter, four times).
    const keyboard = await page({ viewport: { width: 1024, height: 900 } });
    await keyboard.goto(`${suite.stack.baseURL}/polls/${poll.slug}`);
    const keyCard = keyboard.locator("fieldset.question-card[data-question=q1]");
    await keyCard.locator(".rank-item").first().waitFor(FOLLOW);
    const shown = await shownOrder(keyCard);
    const last = shown[4];
    // Tab onward to the last item's ↑ (its ↓ is disabled: it is the last).
    await tabTo(keyboard, `Move ${last} up`);
    for (let i = 0; i < 4; i += 1) await keyboard.keyboard.press("Enter");
    assert.deepEqual(await shownOrder(keyCard), [last, ...shown.slice(0, 4)]);
    // At the top its ↑ is disabled: the focus went to its ↓; the move was said.
    assert.equal(
      await keyboard.evaluate(() => document.activeElement?.getAttribute("aria-label")),
      `Move ${last} down`,
    );
    await keyboard.waitForFunction(
      (text) => document.querySelector("fieldset[data-question=q1] [role=status]")?.textContent === text,
      `${last}: now 1st of 5.`,
    );
    await tabTo(keyboard, "Send answer");
    await keyboard.keyboard.press("Enter");
    await keyboard.locator(".confirmation", { hasText: "Answer recorded" }).waitFor(FOLLOW);

    // Three more rankings through the api; the room's order follows on the projector.
    const labels = (await apiJson(suite.stack.baseURL, `/api/polls/${poll.slug}`)).questions[0].responses;
    const indexOf = (label) => labels.find((r) => r.response === label).index;
    for (const [i, order] of [
      [0, 1, 2, 3, 4],
      [4, 3, 2, 1, 0],
      [3, 0, 1, 4, 2],
    ].entries()) {
      assert.equal(
        (await postBallot(suite.stack.baseURL, poll.slug, `ranker-${i}`, [{ var_name: "q1", ranking: order }])).status,
        201,
      );
    }
    await slide.locator(".count", { hasText: "5 people ranked" }).waitFor(FOLLOW);
    const staff = await (await request(`/api/admin/polls/${poll.id}/results`, "GET")).json();
    const ranking = staff.questions[0];
    assert.equal(ranking.items[indexOf(mine[0])].distribution[0] >= 1, true, "the dragged order was sent");
    assert.deepEqual(
      await slide
        .locator(".rk-label")
        .evaluateAll((cells) =>
          cells
            .toSorted((a, b) => Number(a.style.getPropertyValue("--r")) - Number(b.style.getPropertyValue("--r")))
            .map((c) => c.textContent),
        ),
      ranking.room_order.map((i) => labels[i].response),
      "the projector lists the room's order",
    );
    await screenshot(audience, "ranking-audience-voting-1280x720");
    const duringVoting = await seen(audience);

    // The presenter closes voting: the nation's order comes beside the room's, with the sentence.
    await presenter.keyboard.press("c");
    await slide.locator(".rank-chart.with-nation").waitFor(FOLLOW);
    const revealed = await (await request(`/api/admin/polls/${poll.id}/results`, "GET")).json();
    const nation = revealed.questions[0].nation;
    const differs = nation.items.find((i) => i.index === nation.differs_most);
    const ordinal = (n) => `${n}${n === 1 ? "st" : n === 2 ? "nd" : n === 3 ? "rd" : "th"}`;
    const sentence =
      differs.room_place === differs.nation_place
        ? "The room orders the items as the nation does."
        : `The room puts “${labels[differs.index].response}” ${ordinal(differs.room_place)}; the nation ${ordinal(differs.nation_place)}.`;
    await slide.locator(".rank-sentence", { hasText: sentence }).waitFor(FOLLOW);
    assert.equal(await slide.locator(".rk-nplace").count(), PRINCIPLES.length);
    assert.ok(
      !duringVoting.texts.some((t) => /the nation|^\d+% \(\d+–\d+\)$/.test(t.trim())),
      "no national share reached the projector while the room ranked",
    );
    assert.deepEqual(await seriousA11yViolations(audience), [], "audience view: the nation beside the room");
    await presenter.locator(".result-card[data-question=q1]:visible .rank-chart.with-nation").waitFor(FOLLOW);
    assert.deepEqual(await seriousA11yViolations(presenter), [], "presenter view: a ranking");
    await screenshot(presenter, "ranking-presenter");
    await fitsEveryProjector(audience, "ranking-reveal", slide.locator(".rank-sentence"));
    // The phone shows the same, its numbers under each item (no sideways scrolling).
    await first.locator(".result-card[data-question=q1] .rank-sentence", { hasText: sentence }).waitFor(FOLLOW);
    assert.equal(await first.evaluate(() => document.documentElement.scrollWidth <= innerWidth), true);
    await screenshot(first, "ranking-phone-results");

    // A top-2 ranking: tap the first choice, then the second; reorder with ↓.
    await presenter.keyboard.press("ArrowRight");
    const topCard = first.locator("fieldset.question-card[data-question=q2]");
    await topCard.waitFor(FOLLOW);
    await topCard.locator("button.rank-add", { hasText: "Press" }).click();
    await topCard.locator("button.rank-add", { hasText: "Courts" }).click();
    assert.equal(await topCard.locator("button.rank-add", { hasText: "Elections" }).isDisabled(), true, "two chosen");
    assert.equal(await topCard.locator("button.rank-add", { hasText: "Press" }).getAttribute("aria-pressed"), "true");
    assert.deepEqual(await shownOrder(topCard), ["Press", "Courts"]);
    await topCard.getByRole("button", { name: "Move Press down" }).click();
    assert.deepEqual(await shownOrder(topCard), ["Courts", "Press"]);
    assert.deepEqual(await seriousA11yViolations(first), [], "phone: a top-2 ranking");
    await screenshot(first, "ranking-phone-top2");
    await first.click(".submit-bar button");
    await first.locator(".confirmation", { hasText: "Answer recorded" }).waitFor(FOLLOW);
    const top2 = (await (await request(`/api/admin/polls/${poll.id}/results`, "GET")).json()).questions[1];
    assert.deepEqual(
      top2.items.map((i) => [i.label, i.distribution]),
      [
        ["Courts", [1, 0]],
        ["Elections", [0, 0]],
        ["Press", [0, 1]],
        ["Protest", [0, 0]],
      ],
    );
    await audience
      .locator(".result-card[data-question=q2]:visible .count", { hasText: "1 person ranked" })
      .waitFor(FOLLOW);
    assert.deepEqual((await seen(audience)).controls, [], "no control was ever on the audience view");
    assert.deepEqual(problems.flat(), []);
  },
);

test(
  "phones guess with the slider and by typing; closing voting reveals the nation's answer and the gap, on every projector size",
  BOUNDED,
  async () => {
    const { request } = await apiLogin(suite.stack.baseURL, "host@example.org");
    const poll = await pacedPoll(request, {
      title: "Guess the nation",
      split_by: "q1",
      questions: [
        { kind: "choice", text: "Your party?", options: ["Democrat", "Republican", "Independent or Other"] },
        {
          kind: "predict",
          var_name: "imp_judicial_ind",
          response_indices: [2, 3],
          group: "Republican",
          show_closest: true,
        },
      ],
    });
    // Twelve in the room say their party (and guess below).
    for (let i = 0; i < 12; i += 1) {
      const party = await postBallot(suite.stack.baseURL, poll.slug, `guesser-${i}`, [
        { var_name: "q1", response_index: i % 3 },
      ]);
      assert.equal(party.status, 201);
    }
    await request(`/api/admin/polls/${poll.id}/current`, "PUT", { position: 1, voting_open: true });
    const { presenter, audience } = await presenterAndAudience(suite, poll, "host@example.org");
    const slide = audience.locator(".result-card[data-question=q2]:visible");
    await slide.locator(".predict-body").waitFor(FOLLOW);
    await slide.locator(".legend-line", { hasText: "appears when voting closes" }).waitFor(FOLLOW);

    // The slider: a tap at about a third of it, then → twice; the number box says the same.
    const first = await phone();
    await first.goto(`${suite.stack.baseURL}/polls/${poll.slug}`);
    const card = first.locator("fieldset.question-card[data-question=q2]");
    await card.waitFor(FOLLOW);
    assert.match(
      await card.locator(".predict-target").textContent(),
      /Republicans nationally who answered “Important” or “Essential”/,
    );
    assert.equal(await first.isDisabled(".submit-bar button"), true, "no guess yet");
    const slider = card.locator("input[type=range]");
    const box = await slider.boundingBox();
    await slider.click({ position: { x: box.width / 3, y: box.height / 2 } });
    await slider.press("ArrowRight");
    await slider.press("ArrowRight");
    const slid = Number(await slider.inputValue());
    assert.ok(slid > 20 && slid < 45, `a third of the way along: ${slid}`);
    assert.equal(await card.locator("input[type=number]").inputValue(), String(slid));
    assert.equal(await card.locator("output").textContent(), `${slid}%`);
    await card.getByLabel("Your name (optional)").fill("Ann");
    assert.deepEqual(await seriousA11yViolations(first), [], "phone: a guess");
    await screenshot(first, "predict-phone-slider");
    await first.click(".submit-bar button");
    await first.locator(".confirmation", { hasText: "Answer recorded" }).waitFor(FOLLOW);

    // Typed: the slider follows; a number out of range is refused until corrected.
    const typist = await phone();
    await typist.goto(`${suite.stack.baseURL}/polls/${poll.slug}`);
    const typed = typist.locator("fieldset.question-card[data-question=q2]");
    await typed.locator("input[type=number]").fill("140");
    await typed.locator(".field-error", { hasText: "whole number from 0 to 100" }).waitFor(FOLLOW);
    assert.equal(await typist.isDisabled(".submit-bar button"), true);
    await typed.locator("input[type=number]").fill("57");
    assert.equal(await typed.locator("input[type=range]").inputValue(), "57");
    assert.equal(await typed.locator("output").textContent(), "57%");
    assert.equal(await typed.locator(".field-error").textContent(), "");
    await typist.click(".submit-bar button");
    await typist.locator(".confirmation", { hasText: "Answer recorded" }).waitFor(FOLLOW);

    // The rest of the room guesses through the api (the first twelve, each with their party).
    for (let i = 0; i < 12; i += 1) {
      const guess = await postBallot(suite.stack.baseURL, poll.slug, `guesser-${i}`, [
        { var_name: "q2", percent: 30 + ((i * 7) % 50), display_name: `Guesser ${i}` },
      ]);
      assert.equal(guess.status, 201, await guess.text());
    }
    await slide.locator(".count", { hasText: "14 guesses" }).waitFor(FOLLOW);
    assert.equal(await slide.locator(".predict-truth").count(), 0, "no answer while the room guesses");
    await screenshot(audience, "predict-audience-voting-1280x720");
    const duringVoting = await seen(audience);
    assert.ok(!duringVoting.texts.some((t) => /too (low|high)|Closest/.test(t)), "no reveal while voting");

    // The presenter closes voting: the reveal.
    await presenter.keyboard.press("c");
    await slide.locator(".predict-truth").waitFor(FOLLOW);
    const results = (await (await request(`/api/admin/polls/${poll.id}/results`, "GET")).json()).questions[1];
    const gap = results.gap;
    const size = Math.abs(gap.difference).toFixed(1);
    const gapText = await slide.locator(".predict-gap").textContent();
    assert.match(
      gapText,
      new RegExp(`^The room guesses ${size} points too ${gap.difference < 0 ? "low" : "high"} \\(95% CI `),
    );
    const share = (results.nation.share.p * 100).toFixed(1);
    await slide.locator(".predict-nation .value", { hasText: `${share}%` }).waitFor(FOLLOW);
    assert.match(
      await slide.locator(".predict-groups").textContent(),
      /Democrats in this room guess \d+\.\d% \(95% CI/,
    );
    assert.equal(await slide.locator(".predict-closest li").count(), results.closest.length);
    assert.ok(results.closest.length > 0);
    await slide.locator(".predict-closest", { hasText: results.closest[0].display_name }).waitFor(FOLLOW);
    assert.deepEqual(await seriousA11yViolations(audience), [], "audience view: the reveal");
    assert.deepEqual(await seriousA11yViolations(presenter), [], "presenter view: a guess");
    await screenshot(presenter, "predict-presenter");
    await fitsEveryProjector(audience, "predict-reveal", slide.locator(".predict-gap"));
    // The phones see the reveal too.
    await first.locator(".result-card[data-question=q2] .predict-gap", { hasText: "The room guesses" }).waitFor(FOLLOW);
    await screenshot(first, "predict-phone-reveal");
    assert.deepEqual((await seen(audience)).controls, [], "no control was ever on the audience view");
    assert.deepEqual(problems.flat(), []);
  },
);

test(
  "the builder makes a ranking of principles, a top-k ranking and a guess of the nation; editing keeps them, even once answered",
  BOUNDED,
  async () => {
    const admin = await page();
    await consoleLogIn(admin, suite.stack.baseURL, "host@example.org");
    await admin.click("a[href='/admin/polls/new']");
    await admin.waitForSelector("#catalog-search");
    await admin.fill("#poll-title", "New kinds");

    // 1: a ranking of four importance principles, the nation ordered by "Essential" or "Important".
    await admin.click("#add-ranking");
    const principles = admin.locator("ol.chosen > li[data-question=q1]");
    assert.equal(await admin.evaluate(() => document.activeElement.closest("li")?.dataset.kind), "ranking");
    await admin.keyboard.type("Which matter most?");
    await principles.getByLabel("BLW principles").check();
    for (const varName of PRINCIPLES.slice(0, 4)) await principles.locator(`input[value=${varName}]`).check();
    await principles.locator("fieldset.offered label", { hasText: "Important" }).locator("input").check();
    // 2: own items, top 2.
    await admin.click("#add-ranking");
    const own = admin.locator("ol.chosen > li[data-question=q2]");
    await own.getByLabel("Question text").fill("Your top two worries?");
    for (const [i, item] of ["Courts", "Elections", "Press"].entries())
      await own.getByLabel(`Item ${i + 1}`, { exact: true }).fill(item);
    await own.getByRole("button", { name: "+ Add item" }).click();
    await own.getByLabel("Item 4", { exact: true }).fill("Protest");
    await own.getByLabel("Each participant ranks").selectOption("2");
    // 3: a guess.
    await admin.click("#add-predict");
    const guess = admin.locator("ol.chosen > li[data-question=q3]");
    assert.equal(await admin.evaluate(() => document.activeElement.id.endsWith("-question")), true);
    await guess.getByLabel("Catalog question whose national answer the room guesses").selectOption("imp_judicial_ind");
    await guess.locator("fieldset.offered label", { hasText: "Important" }).locator("input").check();
    await guess.locator("fieldset.offered label", { hasText: "Essential" }).locator("input").check();
    await guess.getByLabel("Among").selectOption("Republican");
    await guess.getByLabel("List the closest guesses by the names participants choose").check();
    assert.match(
      await guess.locator("[id$='-generated']").textContent(),
      /What share of Republicans answer “Important” or “Essential” to: /,
    );
    // Neither kind can split the results.
    assert.deepEqual(await admin.$$eval("#poll-split option", (options) => options.map((o) => o.value)), [""]);
    assert.deepEqual(await seriousA11yViolations(admin), []);
    await screenshot(admin, "builder-ranking-predict");
    await admin.click("button[type=submit]");
    await admin.waitForURL(/\/admin\/polls\/\d+$/);
    const id = admin.url().split("/").at(-1);
    const { request } = await apiLogin(suite.stack.baseURL, "host@example.org");
    const made = await (await request(`/api/admin/polls/${id}`, "GET")).json();
    assert.deepEqual(
      made.questions.map((q) => [q.kind, q.text, q.top_k ?? null, q.responses.length]),
      [
        ["ranking", "Which matter most?", 4, 4],
        ["ranking", "Your top two worries?", 2, 4],
        [
          "predict",
          "What share of Republicans answer “Important” or “Essential” to: The elected branches respect judicial independence.",
          null,
          0,
        ],
      ],
    );
    assert.deepEqual(made.questions[2].target, {
      ...made.questions[2].target,
      var_name: "imp_judicial_ind",
      response_indices: [2, 3],
      group: "Republican",
      show_closest: true,
    });
    const nation = (await (await request(`/api/admin/polls/${id}/results`, "GET")).json()).questions[0].nation;
    assert.deepEqual(
      nation.items.map((i) => i.var_name),
      PRINCIPLES.slice(0, 4),
    );
    assert.deepEqual(nation.responses, ["Important", "Essential"]);

    // Editing: the builder shows what was made; saving it unchanged changes nothing.
    await admin.goto(`${suite.stack.baseURL}/admin/polls/${id}/edit`);
    await admin.waitForSelector("li[data-kind=predict]");
    assert.equal(await principles.getByLabel("BLW principles").isChecked(), true);
    assert.deepEqual(
      (
        await principles.locator(".principle-list input:checked").evaluateAll((boxes) => boxes.map((b) => b.value))
      ).sort(),
      PRINCIPLES.slice(0, 4).sort(),
    );
    assert.equal(await own.getByLabel("Each participant ranks").inputValue(), "2");
    assert.equal(
      await guess.getByLabel("Catalog question whose national answer the room guesses").inputValue(),
      "imp_judicial_ind",
    );
    assert.equal(await guess.getByLabel("Question text (empty: written for you)").inputValue(), "", "the api's text");
    assert.equal(await guess.getByLabel("Among").inputValue(), "Republican");
    await admin.click("button[type=submit]");
    await admin.waitForURL(/\/admin\/polls\/\d+$/);
    const same = await (await request(`/api/admin/polls/${id}`, "GET")).json();
    assert.deepEqual(same.questions, made.questions);

    // Answered, then closed: only the wording may change, and the rest goes back as it was.
    assert.equal((await request(`/api/admin/polls/${id}`, "PATCH", { is_open: true })).status, 200);
    const answered = await postBallot(suite.stack.baseURL, made.slug, "builder-ballot", [
      { var_name: "q1", ranking: [2, 0, 1, 3] },
      { var_name: "q2", ranking: [1, 0] },
      { var_name: "q3", percent: 61, display_name: "Bo" },
    ]);
    assert.equal(answered.status, 201, await answered.text());
    assert.equal((await request(`/api/admin/polls/${id}`, "PATCH", { is_open: false })).status, 200);
    await admin.goto(`${suite.stack.baseURL}/admin/polls/${id}/edit`);
    await admin.waitForSelector("#builder-locked");
    for (const selector of ["#add-ranking", "#add-predict", "li[data-question=q1] input[value=imp_judicial_ind]"])
      assert.equal(await admin.isDisabled(selector), true, selector);
    assert.equal(await own.getByLabel("Each participant ranks").isDisabled(), true);
    assert.equal(await guess.getByLabel("Among").isDisabled(), true);
    await principles.getByLabel("Question text").fill("Which matter most to you?");
    await own.getByLabel("Item 3", { exact: true }).fill("The press");
    await guess.getByLabel("Question text (empty: written for you)").fill("Republicans and the courts: your guess?");
    await admin.click("button[type=submit]");
    await admin.waitForURL(/\/admin\/polls\/\d+$/);
    const reworded = await (await request(`/api/admin/polls/${id}`, "GET")).json();
    assert.deepEqual(
      reworded.questions.map((q) => q.text),
      ["Which matter most to you?", "Your top two worries?", "Republicans and the courts: your guess?"],
    );
    assert.equal(reworded.questions[1].responses[2].response, "The press");
    // The target stays; the text is the presenter's now.
    assert.deepEqual(
      { ...reworded.questions[2].target, text_generated: true },
      { ...made.questions[2].target, text_generated: true },
    );
    assert.equal(made.questions[2].target.text_generated, true);
    assert.equal(reworded.questions[2].target.text_generated, false);
    assert.deepEqual(problems.flat(), []);
  },
);

test(
  "the longest rankings and guesses fit every projector size, readably: ten principles beside the nation, ten 100-character items, a 500-character guess split three ways",
  BOUNDED,
  async () => {
    const { request } = await apiLogin(suite.stack.baseURL, "host@example.org");
    const upTo = (text, length) =>
      text
        .repeat(Math.ceil(length / text.length))
        .slice(0, length)
        .trim()
        .padEnd(length, ".");
    const ten = [
      ...PRINCIPLES,
      "imp_candidates_disclose",
      "imp_contributions",
      "imp_foreign_influence",
      "imp_funds_transparent",
      "imp_participation",
    ];
    const items = Array.from({ length: 10 }, (_, i) =>
      upTo(
        `Item ${i + 1}: keeping ${["courts", "elections", "the press", "protest"][i % 4]} free of partisan capture and `,
        100,
      ),
    );
    const poll = await pacedPoll(request, {
      title: upTo("Democracy in the United States: a talk to the alumni association of a large university, ", 200),
      split_by: "q1",
      questions: [
        { kind: "choice", text: "Your party?", options: ["Democrat", "Republican", "Independent or Other"] },
        {
          kind: "ranking",
          text: upTo("Which of these principles matter most to you, and why? ", 500),
          item_var_names: ten,
        },
        { kind: "ranking", text: upTo("Your three first worries, in order? ", 500), options: items, top_k: 3 },
        {
          kind: "predict",
          var_name: "imp_judicial_ind",
          response_indices: [3],
          text: upTo("What share of Republicans think judicial independence is essential to democracy? ", 500),
          group: "Republican",
          show_closest: true,
        },
      ],
    });
    const tokens = Array.from({ length: 45 }, (_, i) => `stress-token-${i}`);
    const answer = async (position, answerOf) => {
      await request(`/api/admin/polls/${poll.id}/current`, "PUT", { position, voting_open: true });
      for (const [i, token] of tokens.entries()) {
        const sent = await postBallot(suite.stack.baseURL, poll.slug, token, [answerOf(i)]);
        assert.equal(sent.status, 201, await sent.text());
      }
    };
    const order = (i, n) =>
      Array.from({ length: n }, (_, j) => (j * 3 + i) % n).filter((v, j, all) => all.indexOf(v) === j);
    await answer(0, (i) => ({ var_name: "q1", response_index: i % 3 }));
    await answer(1, (i) => ({
      var_name: "q2",
      ranking: [...new Set([...order(i, 10), ...Array.from({ length: 10 }, (_, j) => j)])],
    }));
    await answer(2, (i) => ({ var_name: "q3", ranking: [i % 10, (i + 3) % 10, (i + 7) % 10] }));
    await answer(3, (i) => ({
      var_name: "q4",
      percent: (i * 13) % 101,
      display_name: upTo(`Participant number ${i} from the back row `, 40),
    }));
    await request(`/api/admin/polls/${poll.id}/current`, "PUT", { position: 1, voting_open: false });
    const audience = await page({ viewport: { width: 1280, height: 720 } });
    await audience.goto(`${suite.stack.baseURL}/polls/${poll.slug}?present=1`);
    for (const [position, name, ready] of [
      [1, "stress-ranking-nation", ".result-card[data-question=q2]:visible .rank-sentence"],
      [2, "stress-ranking-top3", ".result-card[data-question=q3]:visible .rank-chart"],
      [3, "stress-predict", ".result-card[data-question=q4]:visible .predict-gap"],
    ]) {
      await request(`/api/admin/polls/${poll.id}/current`, "PUT", { position, voting_open: false });
      await fitsEveryProjector(audience, name, audience.locator(ready));
    }
    assert.deepEqual(problems.flat(), []);
  },
);
