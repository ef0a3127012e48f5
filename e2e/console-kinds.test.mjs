// The console for the presenter's own questions in headless Chromium: the builder with every kind
// of question and a split by a choice question, editing (only the wording once the poll has
// answers), pacing a presenter-paced poll, duplicating, resetting with confirmation, archiving,
// and hiding a word.
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

const suite = browserSuite("kinds", (stack) => {
  stack.createAccount("host@example.org", "admin", "Ada Admin");
  stack.createAccount("reader@example.org", "analyst", "Andy Analyst");
});
const { page, problems } = suite;
// A fresh api (migrating on start) per test, then a browser session: bounded, with room to spare.
const LIMIT = { timeout: 240_000 };

/** A page logged into the console as the admin. */
async function adminPage() {
  const admin = await page();
  await consoleLogIn(admin, suite.stack.baseURL, "host@example.org");
  return admin;
}

/** Takes the console's expected refusals (4xx the page asked for on purpose) out of a page's problems. */
function expectRefusals(pageProblems, from, statuses) {
  const refusals = pageProblems.splice(from);
  assert.deepEqual(
    refusals,
    statuses.map((status) => `console: Failed to load resource: the server responded with a status of ${status}`),
  );
}

/** No value left unformatted on the page ("undefined", "null", "NaN"). */
async function assertNoRawValues(page) {
  assert.doesNotMatch(await page.textContent("main"), /\b(undefined|null|NaN)\b/);
}

/** A poll made through the api as the admin, opened, answered by `ballots` ([token, answers]), closed. */
async function answeredPoll(definition, ballots) {
  const { request } = await apiLogin(suite.stack.baseURL, "host@example.org");
  const created = await request("/api/admin/polls", "POST", definition);
  assert.equal(created.status, 201, await created.clone().text());
  const poll = await created.json();
  assert.equal((await request(`/api/admin/polls/${poll.id}`, "PATCH", { is_open: true })).status, 200);
  for (const [token, answers] of ballots) {
    const response = await postBallot(suite.stack.baseURL, poll.slug, token, answers);
    assert.equal(response.status, 201, await response.text());
  }
  return { poll, request };
}

test(
  "the builder makes a poll of all four kinds split by a choice question; edits it (the wording once answered); pacing",
  LIMIT,
  async () => {
    const admin = await adminPage();
    const { request } = await apiLogin(suite.stack.baseURL, "host@example.org");
    await admin.click("a[href='/admin/polls/new']");
    await admin.waitForSelector("#catalog-search");
    await admin.fill("#poll-title", "Own questions");
    await admin.check("input[name=pacing][value=presenter]");
    // 1: a catalog question; 2: a choice; 3: a scale; 4: words.
    await admin.fill("#catalog-search", "judicial independence");
    await admin.click("button[aria-label='Add perf_judicial_ind']");
    await admin.click("#add-choice");
    const choice = admin.locator("ol.chosen > li[data-kind=choice]");
    // Adding an own question puts the cursor in its text.
    assert.equal(await admin.evaluate(() => document.activeElement.closest("li")?.dataset.kind), "choice");
    await admin.keyboard.type("Which worries you most?");
    await choice.getByLabel("Option 1", { exact: true }).fill("Courts");
    await choice.getByRole("button", { name: "+ Add option" }).click();
    await choice.getByLabel("Option 3", { exact: true }).fill("Elections");
    await admin.click("#add-scale");
    const scale = admin.locator("ol.chosen > li[data-kind=scale]");
    await scale.getByLabel("Question text").fill("How hopeful are you?");
    await scale.getByLabel("Scale", { exact: true }).selectOption("1-7");
    await scale.getByLabel("Label at 1").fill("Not at all");
    await scale.getByLabel("Label at 7").fill("Very");
    await admin.click("#add-words");
    await admin.locator("ol.chosen > li[data-kind=words]").getByLabel("Question text").fill("One word for democracy?");
    // Words third: own questions are keyed by their place, so the scale becomes q4.
    await admin.click("button[aria-label='Move q4 up']");
    const order = () =>
      admin.$$eval("ol.chosen > li", (items) => items.map((i) => `${i.dataset.kind}:${i.dataset.question}`));
    assert.deepEqual(await order(), ["catalog:perf_judicial_ind", "choice:q2", "words:q3", "scale:q4"]);
    // A words question cannot split the results: it is not offered.
    assert.deepEqual(await admin.$$eval("#poll-split option", (options) => options.map((o) => o.value)), [
      "",
      "perf_judicial_ind",
      "q2",
      "q4",
    ]);
    await admin.selectOption("#poll-split", "q2");

    // The second option is empty: the api refuses it (naming questions[1].options[1]), and the
    // console says so next to the options, counting from 1, with the cursor in that option.
    const before = problems[0].length;
    await admin.click("button[type=submit]");
    const optionsError = choice.locator("[id$='-options-error']");
    await admin.waitForFunction((node) => node.textContent !== "", await optionsError.elementHandle());
    assert.match(await optionsError.textContent(), /^Option 2 /);
    assert.equal(await admin.evaluate(() => document.activeElement.id.endsWith("-option-1")), true);
    assert.equal(
      await admin.evaluate(() => document.activeElement.getAttribute("aria-describedby")?.endsWith("-options-error")),
      true,
    );
    expectRefusals(problems[0], before, ["422 (Unprocessable Entity)"]);
    await choice.getByLabel("Option 2", { exact: true }).fill("Parties");
    assert.equal(await optionsError.textContent(), "", "editing the field clears its message");
    assert.deepEqual(await seriousA11yViolations(admin), []);
    await assertNoRawValues(admin);
    await screenshot(admin, "console-builder-kinds");
    await admin.click("button[type=submit]");
    await admin.waitForURL(/\/admin\/polls\/\d+$/);
    const id = admin.url().split("/").pop();
    const saved = await (await request(`/api/admin/polls/${id}`, "GET")).json();
    assert.equal(saved.pacing, "presenter");
    assert.equal(saved.split_by, "q2");
    assert.deepEqual(
      saved.questions.map((q) => `${q.kind}:${q.var_name}`),
      ["catalog:perf_judicial_ind", "choice:q2", "words:q3", "scale:q4"],
    );
    assert.deepEqual(
      saved.questions[1].responses.map((r) => r.response),
      ["Courts", "Parties", "Elections"],
    );
    assert.equal(saved.questions[1].max_choices, 1);
    assert.deepEqual(saved.questions[3].scale, { min: 1, max: 7, min_label: "Not at all", max_label: "Very" });

    // Edit before it opens: the same builder, filled in. The catalog question goes second, so the
    // choice question becomes q1 and the split follows it; the scale becomes 0–10.
    await admin.waitForSelector("#pacing");
    await admin.click("#edit-poll");
    await admin.waitForURL(/\/edit$/);
    await admin.waitForSelector("ol.chosen > li[data-kind=scale]");
    assert.equal(await admin.inputValue("#poll-title"), "Own questions");
    assert.equal(await admin.isChecked("input[name=pacing][value=presenter]"), true);
    assert.equal(await admin.inputValue("#poll-split"), "q2");
    assert.equal(
      await admin.locator("li[data-kind=choice]").getByLabel("Option 2", { exact: true }).inputValue(),
      "Parties",
    );
    await admin.fill("#poll-title", "Own questions, edited");
    await admin.click("button[aria-label='Move perf_judicial_ind down']");
    await admin.locator("li[data-kind=scale]").getByLabel("Scale", { exact: true }).selectOption("0-10");
    assert.deepEqual(await order(), ["choice:q1", "catalog:perf_judicial_ind", "words:q3", "scale:q4"]);
    assert.equal(await admin.inputValue("#poll-split"), "q1");
    await admin.click("button[type=submit]");
    await admin.waitForURL(new RegExp(`/admin/polls/${id}$`));
    await admin.waitForSelector("text=Changes saved.");
    const edited = await (await request(`/api/admin/polls/${id}`, "GET")).json();
    assert.equal(edited.title, "Own questions, edited");
    assert.equal(edited.split_by, "q1");
    assert.deepEqual(
      edited.questions.map((q) => `${q.kind}:${q.var_name}`),
      ["choice:q1", "catalog:perf_judicial_ind", "words:q3", "scale:q4"],
    );
    assert.deepEqual(edited.questions[3].scale, { min: 0, max: 10, min_label: "Not at all", max_label: "Very" });

    // Pacing: opening shows the join slide; the console starts the first question and moves the room.
    assert.equal(await admin.isEnabled("#edit-poll"), true);
    await admin.click("text=Open poll");
    await admin.waitForSelector(".badge.open");
    assert.equal(await admin.isDisabled("#edit-poll"), true, "an open poll cannot be edited");
    const now = () => admin.textContent("#pacing-now");
    assert.match(await now(), /^Join slide: the room sees the join code/);
    assert.equal(await admin.isDisabled("#pacing-previous"), true, "nothing comes before the join slide");
    await admin.click("#pacing-next");
    await admin.waitForFunction(() =>
      document.querySelector("#pacing-now").textContent.startsWith("Showing question 1"),
    );
    assert.match(await now(), /^Showing question 1 of 4: “Which worries you most\?” — voting open/);
    const current = async () => {
      const poll = await (await request(`/api/admin/polls/${id}`, "GET")).json();
      return [poll.current_question, poll.voting_open];
    };
    await admin.click("#pacing-next");
    await admin.waitForFunction(() =>
      document.querySelector("#pacing-now").textContent.startsWith("Showing question 2"),
    );
    assert.deepEqual(await current(), [1, true]);
    await admin.click("#pacing-voting");
    await admin.waitForSelector("#pacing-voting:has-text('Open voting')");
    assert.deepEqual(await current(), [1, false]);
    await admin.click("button[aria-label='Show question 4']");
    await admin.waitForSelector("#pacing li[data-position='3'][aria-current=step]");
    assert.deepEqual(await current(), [3, true]);
    // A move made elsewhere (the presenter view) reaches the console through its live stream.
    await request(`/api/admin/polls/${id}/current`, "PUT", { position: 0, voting_open: true });
    await admin.waitForFunction(() =>
      document.querySelector("#pacing-now").textContent.startsWith("Showing question 1"),
    );
    assert.equal(await admin.isDisabled("#pacing-previous"), false, "before question 1, the join slide");
    assert.deepEqual(await seriousA11yViolations(admin), []);
    await assertNoRawValues(admin);
    await screenshot(admin, "console-poll-paced");

    // An answer arrives: after the close only the wording can be edited, the rest is shown fixed.
    const ballot = await postBallot(suite.stack.baseURL, saved.slug, "kinds-token-1", [
      { var_name: "q1", response_index: 0 },
    ]);
    assert.equal(ballot.status, 201, await ballot.text());
    await admin.click("text=Close poll");
    await admin.waitForSelector(".badge.closed");
    await admin.waitForSelector("#edit-poll:enabled:has-text('Edit wording')");
    assert.match(await admin.textContent("#manage-note"), /only its wording can be edited/);
    await admin.goto(`${suite.stack.baseURL}/admin/polls/${id}/edit`);
    await admin.waitForSelector(".closed-banner");
    assert.equal(await admin.isDisabled("button[aria-label='Move q1 down']"), true);
    assert.equal(await admin.isDisabled("#add-words"), true);
    await admin.fill("#poll-title", "Own questions, reworded");
    await admin.click("button[type=submit]");
    await admin.waitForSelector("text=Changes saved.");
    assert.equal((await (await request(`/api/admin/polls/${id}`, "GET")).json()).title, "Own questions, reworded");
    assert.equal((await (await request(`/api/admin/polls/${id}`, "GET")).json()).respondents, 1);
    assert.deepEqual(problems.flat(), []);
  },
);

test("duplicate, reset after typing the poll's title, archive out of the list", LIMIT, async () => {
  const { poll, request } = await answeredPoll(
    {
      title: "Town hall",
      questions: [
        { kind: "catalog", var_name: "perf_judicial_ind" },
        { kind: "choice", text: "Coffee or tea?", options: ["Coffee", "Tea"], max_choices: 1 },
      ],
    },
    [
      [
        "dup-token-1",
        [
          { var_name: "perf_judicial_ind", response_index: 0 },
          { var_name: "q2", response_index: 1 },
        ],
      ],
      [
        "dup-token-2",
        [
          { var_name: "perf_judicial_ind", response_index: 2 },
          { var_name: "q2", response_index: 0 },
        ],
      ],
    ],
  );
  assert.equal((await request(`/api/admin/polls/${poll.id}`, "PATCH", { is_open: false })).status, 200);
  const admin = await adminPage();
  await admin.goto(`${suite.stack.baseURL}/admin/polls/${poll.id}`);
  await admin.waitForSelector(".result-card");
  assert.equal(await admin.textContent("#edit-poll"), "Edit wording", "a poll with answers: its wording only");

  // Duplicate: the console goes to the copy, closed, without answers, editable.
  await admin.click("#duplicate-poll");
  await admin.waitForURL((url) => /\/admin\/polls\/\d+$/.test(url.pathname) && !url.pathname.endsWith(`/${poll.id}`));
  await admin.waitForSelector("h2:has-text('Town hall (copy)')");
  await admin.waitForSelector("#edit-poll:enabled");
  const copyId = admin.url().split("/").pop();
  const copy = await (await request(`/api/admin/polls/${copyId}`, "GET")).json();
  assert.equal(copy.respondents, 0);
  assert.equal(copy.is_open, false);
  assert.deepEqual(
    copy.questions.map((q) => `${q.kind}:${q.var_name}`),
    ["catalog:perf_judicial_ind", "choice:q2"],
  );

  // Reset: the dialog says how many answers go, and waits for the poll's title (any case).
  await admin.goto(`${suite.stack.baseURL}/admin/polls/${poll.id}`);
  await admin.click("#reset-poll");
  await admin.waitForSelector("dialog #reset-confirm");
  assert.match(await admin.textContent("dialog"), /answers of 2 participants/);
  const confirm = admin.locator("dialog button[value=reset]");
  assert.equal(await confirm.isDisabled(), true);
  await admin.fill("#reset-confirm", copy.title);
  assert.equal(await confirm.isDisabled(), true, "another poll's title does not do");
  assert.deepEqual(await seriousA11yViolations(admin), []);
  await assertNoRawValues(admin);
  await admin.click("dialog button[value=cancel]");
  assert.equal((await (await request(`/api/admin/polls/${poll.id}`, "GET")).json()).respondents, 2);
  await admin.click("#reset-poll");
  await admin.fill("#reset-confirm", "  town HALL ");
  await confirm.click();
  await admin.waitForSelector("text=Deleted the answers of 2 participants.");
  assert.equal((await (await request(`/api/admin/polls/${poll.id}`, "GET")).json()).respondents, 0);
  await admin.waitForSelector("#edit-poll:enabled");

  // Archive: the list hides it until "Show archived polls" is ticked.
  await admin.click("#archive-poll");
  await admin.waitForSelector("#archive-poll:has-text('Unarchive')");
  assert.ok((await (await request(`/api/admin/polls/${poll.id}`, "GET")).json()).archived_at);
  await admin.click("a[href='/admin']:has-text('All polls')");
  await admin.waitForSelector(`tr[data-poll='${copy.slug}']`);
  assert.equal(await admin.locator(`tr[data-poll='${poll.slug}']`).count(), 0);
  await admin.check("#show-archived");
  await admin.waitForSelector(`tr[data-poll='${poll.slug}'] .badge.archived`);
  assert.match(admin.url(), /\?archived=1$/);
  assert.equal(
    await admin.locator(`tr[data-poll='${poll.slug}'] button`, { hasText: "Open" }).isDisabled(),
    true,
    "an archived poll cannot be opened",
  );
  assert.deepEqual(await seriousA11yViolations(admin), []);
  await assertNoRawValues(admin);
  await screenshot(admin, "console-polls-archived");
  assert.deepEqual(problems.flat(), []);
});

test("an admin hides a word from the public and shows it again; an analyst only reads", LIMIT, async () => {
  const { poll } = await answeredPoll(
    { title: "Words", questions: [{ kind: "words", text: "One word for democracy today?" }] },
    [
      ["words-token-1", [{ var_name: "q1", words: ["freedom", "ballots"] }]],
      ["words-token-2", [{ var_name: "q1", words: ["Freedom"] }]],
      ["words-token-3", [{ var_name: "q1", words: ["courts"] }]],
    ],
  );
  const publicWords = async () =>
    (await apiJson(suite.stack.baseURL, `/api/polls/${poll.slug}/results`)).questions[0].words.map((w) => w.word);
  assert.ok((await publicWords()).includes("freedom"));

  const admin = await adminPage();
  await admin.goto(`${suite.stack.baseURL}/admin/polls/${poll.id}`);
  const card = admin.locator(".result-card[data-question=q1]");
  await card.locator("tr[data-word=freedom]").waitFor();
  assert.deepEqual(await seriousA11yViolations(admin), []);
  await assertNoRawValues(admin);
  await card.locator("button[aria-label='Hide “freedom”']").click();
  await card.locator("button[aria-label='Show “freedom”']").waitFor();
  assert.match(await card.locator("tr[data-word=freedom]").textContent(), /hidden/);
  assert.deepEqual(await publicWords(), ["ballots", "courts"]);
  await screenshot(admin, "console-words-moderation");

  // The analyst sees every word, the hidden one marked, and no buttons.
  const analyst = await page();
  await consoleLogIn(analyst, suite.stack.baseURL, "reader@example.org");
  await analyst.goto(`${suite.stack.baseURL}/admin/polls/${poll.id}`);
  const seen = analyst.locator(".result-card[data-question=q1] tr[data-word=freedom]");
  await seen.waitFor();
  assert.match(await seen.textContent(), /hidden/);
  await assertNoRawValues(analyst);
  assert.equal(
    await analyst.locator(".result-card button[aria-label^='Hide'], .result-card button[aria-label^='Show']").count(),
    0,
  );
  assert.equal(await analyst.locator("#edit-poll, #reset-poll, #archive-poll, #duplicate-poll").count(), 0);

  await card.locator("button[aria-label='Show “freedom”']").click();
  await card.locator("button[aria-label='Hide “freedom”']").waitFor();
  assert.ok((await publicWords()).includes("freedom"));
  await analyst.waitForFunction(
    () => !/hidden/.test(document.querySelector(".result-card[data-question=q1] tr[data-word=freedom]")?.textContent),
  );
  assert.deepEqual(problems.flat(), []);
});
