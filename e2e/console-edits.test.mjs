// The console's guards and second chances in headless Chromium: leaving the builder with unsaved
// work asks first (another section, the back button, closing the tab); a poll with answers is
// reworded in the builder with what is fixed shown disabled; a word the blocklist caught is
// allowed and blocked again; a participant's word at the length limit says so.
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

const suite = browserSuite("edits", (stack) => {
  stack.createAccount("host@example.org", "admin", "Ada Admin");
});
const { page, phone, problems } = suite;
const LIMIT = { timeout: 240_000 };

async function adminPage() {
  const admin = await page();
  await consoleLogIn(admin, suite.stack.baseURL, "host@example.org");
  return admin;
}

/** A poll made through the api, opened, answered by `ballots` ([token, answers]), closed unless `open`. */
async function answeredPoll(definition, ballots, { open = false } = {}) {
  const { request } = await apiLogin(suite.stack.baseURL, "host@example.org");
  const created = await request("/api/admin/polls", "POST", definition);
  assert.equal(created.status, 201, await created.clone().text());
  const poll = await created.json();
  assert.equal((await request(`/api/admin/polls/${poll.id}`, "PATCH", { is_open: true })).status, 200);
  for (const [token, answers] of ballots) {
    const response = await postBallot(suite.stack.baseURL, poll.slug, token, answers);
    assert.equal(response.status, 201, await response.text());
  }
  if (!open) assert.equal((await request(`/api/admin/polls/${poll.id}`, "PATCH", { is_open: false })).status, 200);
  return { poll, request };
}

/** The console's own "leave without saving?" dialog, once it is open. */
const leaveDialog = (admin) => admin.locator("dialog.confirm-dialog");

test("leaving the builder with unsaved changes asks first: another section, back, closing the tab", LIMIT, async () => {
  const admin = await adminPage();
  // Nothing typed: leaving asks nothing.
  await admin.click("a[data-section=new]");
  await admin.waitForSelector("#poll-title");
  await admin.click("a[data-section=accounts]");
  await admin.waitForURL(/\/admin\/accounts$/);
  assert.equal(await leaveDialog(admin).count(), 0);

  // A half-built poll: another section asks; staying keeps everything as it was.
  await admin.click("a[data-section=new]");
  await admin.waitForSelector("#poll-title");
  await admin.fill("#poll-title", "Half-built");
  await admin.click("#add-words");
  await admin.locator("li[data-kind=words]").getByLabel("Question text").fill("One word?");
  await admin.click("a[data-section=polls]");
  await leaveDialog(admin).waitFor();
  assert.match(await leaveDialog(admin).textContent(), /changes that are not saved/);
  assert.deepEqual(await seriousA11yViolations(admin), []);
  await screenshot(admin, "console-leave-unsaved");
  await leaveDialog(admin).getByRole("button", { name: "Stay" }).click();
  await leaveDialog(admin).waitFor({ state: "detached" });
  assert.match(admin.url(), /\/admin\/polls\/new$/);
  assert.equal(await admin.inputValue("#poll-title"), "Half-built");

  // The back button: asked too; staying gives the builder its address back, the work intact.
  await admin.goBack();
  await leaveDialog(admin).waitFor();
  await leaveDialog(admin).getByRole("button", { name: "Stay" }).click();
  await admin.waitForURL(/\/admin\/polls\/new$/);
  assert.equal(await admin.inputValue("#poll-title"), "Half-built");
  assert.equal(await admin.locator("li[data-kind=words] input[type=text]").inputValue(), "One word?");

  // Closing the tab (or leaving the console): the browser's own question.
  const asked = admin.waitForEvent("dialog");
  await admin.close({ runBeforeUnload: true });
  const dialog = await asked;
  assert.equal(dialog.type(), "beforeunload");
  await dialog.dismiss();
  assert.equal(admin.isClosed(), false, "dismissed: the tab stays");

  // Leaving on purpose: the work goes, the section opens.
  await admin.click("a[data-section=polls]");
  await leaveDialog(admin).getByRole("button", { name: "Leave" }).click();
  await admin.waitForURL(/\/admin$/);

  // Saved work is not unsaved: creating, then cancelling an edit that changed nothing, ask nothing.
  await admin.click("a[data-section=new]");
  await admin.fill("#poll-title", "Saved at once");
  await admin.click("#add-words");
  await admin.locator("li[data-kind=words]").getByLabel("Question text").fill("One word?");
  await admin.click("button[type=submit]");
  await admin.waitForURL(/\/admin\/polls\/\d+$/);
  await admin.click("#edit-poll");
  await admin.waitForURL(/\/edit$/);
  await admin.waitForSelector("li[data-kind=words]");
  await admin.click("a.button:has-text('Cancel')");
  await admin.waitForURL(/\/admin\/polls\/\d+$/);
  assert.equal(await leaveDialog(admin).count(), 0);
  // (A question would keep the tab open: Playwright dismisses dialogs nobody waits for.)
  const closed = admin.waitForEvent("close", { timeout: 10_000 });
  await admin.close({ runBeforeUnload: true });
  await closed;
  assert.equal(admin.isClosed(), true, "nothing unsaved: the tab closes without a question");
  assert.deepEqual(problems.flat(), []);
});

test("a poll with answers is reworded in the builder; what the answers hang on is shown fixed", LIMIT, async () => {
  const { poll, request } = await answeredPoll(
    {
      title: "Brekfast talk",
      questions: [
        { kind: "choice", text: "Cofee or tea?", options: ["Cofee", "Tea", "Mate"] },
        { kind: "scale", text: "How awake are you?", min: 1, max: 5, min_label: "Asleep", max_label: "Wide awak" },
        { kind: "words", text: "One word for mornings?" },
      ],
    },
    [
      [
        "morning-1",
        [
          { var_name: "q1", response_index: 0 },
          { var_name: "q2", value: 2 },
          { var_name: "q3", words: ["coffee"] },
        ],
      ],
      [
        "morning-2",
        [
          { var_name: "q1", response_index: 1 },
          { var_name: "q2", value: 5 },
          { var_name: "q3", words: ["sleep"] },
        ],
      ],
    ],
  );
  const before = await (await request(`/api/admin/polls/${poll.id}/results`, "GET")).json();
  const admin = await adminPage();
  await admin.goto(`${suite.stack.baseURL}/admin/polls/${poll.id}`);
  await admin.waitForSelector(".result-card");
  assert.match(await admin.textContent("#manage-note"), /only its wording can be edited/);
  await admin.click("#edit-poll");
  await admin.waitForURL(/\/edit$/);
  await admin.waitForSelector("li[data-kind=words]");
  assert.match(await admin.textContent("#builder-locked"), /answers from 2 participants/);

  // Fixed: adding, moving and removing questions, options and their number, the scale, the
  // pacing and split; the options people chose keep their labels (read-only).
  for (const selector of [
    "#add-choice",
    "#catalog-search",
    "button[aria-label='Move q1 down']",
    "button[aria-label='Remove q3']",
    "button[aria-label='Remove option 3 of q1']",
    "li[data-kind=choice] button:has-text('+ Add option')",
    "input[name=pacing][value=presenter]",
    "#poll-split",
  ])
    assert.equal(await admin.isDisabled(selector), true, selector);
  const choice = admin.locator("li[data-kind=choice]");
  const scale = admin.locator("li[data-kind=scale]");
  assert.equal(await choice.getByLabel("Answers per participant").isDisabled(), true);
  assert.equal(await scale.getByLabel("Scale", { exact: true }).isDisabled(), true);
  assert.equal(await choice.getByLabel("Option 1", { exact: true }).isEditable(), false, "chosen: fixed");
  assert.equal(await choice.getByLabel("Option 2", { exact: true }).isEditable(), false, "chosen: fixed");
  assert.equal(await choice.getByLabel("Option 3", { exact: true }).isEditable(), true, "nobody chose it");
  assert.match(await choice.textContent(), /Options participants chose keep their labels/);
  assert.deepEqual(await seriousA11yViolations(admin), []);
  await screenshot(admin, "console-builder-wording-only");

  // The wording: the title, the texts, an unchosen option, a scale's end label.
  await admin.fill("#poll-title", "Breakfast talk");
  await choice.getByLabel("Question text").fill("Coffee or tea?");
  await choice.getByLabel("Option 3", { exact: true }).fill("Maté");
  await scale.getByLabel("Label at 5").fill("Wide awake");
  await admin.locator("li[data-kind=words]").getByLabel("Question text").fill("One word for your mornings?");
  await admin.click("button[type=submit]");
  await admin.waitForSelector("text=Changes saved.");
  await admin.waitForSelector(".result-card[data-question=q1] h3:has-text('Coffee or tea?')");
  const saved = await (await request(`/api/admin/polls/${poll.id}`, "GET")).json();
  assert.equal(saved.title, "Breakfast talk");
  assert.equal(saved.respondents, 2);
  assert.deepEqual(
    saved.questions[0].responses.map((r) => r.response),
    ["Cofee", "Tea", "Maté"],
  );
  assert.equal(saved.questions[1].scale.max_label, "Wide awake");
  const after = await (await request(`/api/admin/polls/${poll.id}/results`, "GET")).json();
  assert.deepEqual(
    after.questions.map((q) => q.overall?.counts ?? q.words),
    before.questions.map((q) => q.overall?.counts ?? q.words),
    "every answer kept",
  );
  assert.deepEqual(problems.flat(), []);
});

test("an admin allows a word the blocklist caught, then blocks it again", LIMIT, async () => {
  const { poll } = await answeredPoll(
    { title: "Vice presidents", questions: [{ kind: "words", text: "A vice president you remember?" }] },
    [
      ["vp-token-1", [{ var_name: "q1", words: ["Dick Cheney", "Biden"] }]],
      ["vp-token-2", [{ var_name: "q1", words: ["dick cheney"] }]],
    ],
    { open: true },
  );
  const publicWords = async () =>
    (await apiJson(suite.stack.baseURL, `/api/polls/${poll.slug}/results`)).questions[0].words.map((w) => w.word);
  assert.deepEqual(await publicWords(), ["biden"]);

  const admin = await adminPage();
  await admin.goto(`${suite.stack.baseURL}/admin/polls/${poll.id}`);
  const card = admin.locator(".result-card[data-question=q1]");
  const row = card.locator("tr[data-word='dick cheney']");
  await row.waitFor();
  assert.match(await row.textContent(), /\(blocked\)/);
  assert.deepEqual(await seriousA11yViolations(admin), []);

  // Allow asks first (it goes up on the projector at once); cancelling changes nothing.
  await row.getByRole("button", { name: "Allow “dick cheney”" }).click();
  const confirm = admin.locator("dialog.confirm-dialog");
  await confirm.waitFor();
  assert.match(await confirm.textContent(), /Show “dick cheney” to the audience\?/);
  await confirm.getByRole("button", { name: "Cancel" }).click();
  assert.deepEqual(await publicWords(), ["biden"]);
  await row.getByRole("button", { name: "Allow “dick cheney”" }).click();
  await confirm.getByRole("button", { name: "Allow" }).click();
  await row.getByRole("button", { name: "Block “dick cheney” again" }).waitFor();
  assert.match(await row.textContent(), /\(allowed\)/);
  assert.equal(await row.locator("s").count(), 0, "shown to the public: not struck through");
  assert.deepEqual(await publicWords(), ["dick cheney", "biden"]);
  await screenshot(admin, "console-words-allowed");

  await row.getByRole("button", { name: "Block “dick cheney” again" }).click();
  await row.getByRole("button", { name: "Allow “dick cheney”" }).waitFor();
  assert.match(await row.textContent(), /\(blocked\)/);
  assert.deepEqual(await publicWords(), ["biden"]);
  assert.deepEqual(problems.flat(), []);
});

test("a participant's word that reaches the length limit says so, in a live region", LIMIT, async () => {
  const { poll } = await answeredPoll(
    { title: "Long words", questions: [{ kind: "words", text: "Describe democracy in a phrase" }] },
    [],
    { open: true },
  );
  const participant = await phone();
  await participant.goto(`${suite.stack.baseURL}/polls/${poll.slug}`);
  const first = participant.getByLabel("Word 1", { exact: true });
  await first.waitFor();
  const limit = participant.locator(".word-limit");
  assert.equal(await limit.getAttribute("aria-live"), "polite");
  assert.equal(await limit.textContent(), "");

  const phrase = "government of the people, by the people, for the people";
  await first.pressSequentially(phrase.slice(0, 39));
  assert.equal(await limit.textContent(), "", "below the limit: nothing to say");
  await first.pressSequentially(phrase.slice(39));
  assert.equal(await first.inputValue(), phrase.slice(0, 40), "the field takes 40 characters");
  assert.equal(
    await limit.textContent(),
    "Word 1 has reached 40 characters, the most a word can have: anything typed beyond that is cut off.",
  );
  assert.match(await first.getAttribute("aria-describedby"), /q1-limit/);
  assert.deepEqual(await seriousA11yViolations(participant), []);
  await screenshot(participant, "poll-word-limit-phone");
  // A paste into the second word that is cut says so too, for both.
  await participant.getByLabel("Word 2 (optional)").fill(phrase);
  assert.match(await limit.textContent(), /^Words 1 and 2 have reached 40 characters/);
  await first.press("End");
  await first.press("Backspace");
  assert.equal(await first.inputValue(), phrase.slice(0, 39));
  await participant.getByLabel("Word 2 (optional)").fill("the people");
  assert.equal(await limit.textContent(), "");

  await participant.click(".submit-bar button");
  await participant.waitForSelector(".confirmation");
  const words = (await apiJson(suite.stack.baseURL, `/api/polls/${poll.slug}/results`)).questions[0].words;
  assert.deepEqual(
    words.map((w) => w.word),
    ["government people people", "people"],
  );
  assert.deepEqual(problems.flat(), []);
});
