// Frozen results in headless Chromium: an admin freezes a poll's results in the console and gets
// a citable link; its page shows the numbers as they were and when they were frozen, and stays
// the same after more votes, a reset and the poll's deletion. A question hidden then stays hidden.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
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

const suite = browserSuite("frozen-results", (stack) => stack.createAccount("host@example.org", "admin", "Ada Admin"));
const { page, phone, problems } = suite;
const FOLLOW = { timeout: 10_000 };
const TITLE = "Frozen for the record";

/** What the page shows: every text a reader sees in the results, in order. */
const shown = (results) =>
  results.evaluate((node) =>
    [...node.querySelectorAll(".results-summary, .result-card h3, .value, .count, .answered-count, .hidden-note")].map(
      (e) => e.textContent,
    ),
  );

test("results frozen in the console keep their numbers and say when, whatever the poll does next", async () => {
  const { request } = await apiLogin(suite.stack.baseURL, "host@example.org");
  const created = await request("/api/admin/polls", "POST", {
    title: TITLE,
    questions: [
      { var_name: "perf_judicial_ind" },
      { kind: "choice", text: "Which branch worries you most?", options: ["Courts", "Congress", "President"] },
      { kind: "choice", text: "A question kept hidden", options: ["Yes", "No"], results_hidden: true },
    ],
  });
  assert.equal(created.status, 201, await created.clone().text());
  const poll = await created.json();
  assert.equal((await request(`/api/admin/polls/${poll.id}`, "PATCH", { is_open: true })).status, 200);
  const ballot = (token, judicial, branch, kept) =>
    postBallot(suite.stack.baseURL, poll.slug, token, [
      { var_name: "perf_judicial_ind", response_index: judicial },
      { var_name: "q2", response_index: branch },
      { var_name: "q3", response_index: kept },
    ]);
  for (const [i, answers] of [
    [3, 0, 0],
    [2, 0, 1],
    [2, 1, 0],
  ].entries())
    assert.equal((await ballot(`frozen-${i}`, ...answers)).status, 201);

  // Frozen in the console: the citable link, and when.
  const admin = await page();
  await consoleLogIn(admin, suite.stack.baseURL, "host@example.org");
  await admin.goto(`${suite.stack.baseURL}/admin/polls/${poll.id}`);
  await admin.locator(".result-card .count", { hasText: "3 answers" }).first().waitFor(FOLLOW);
  const before = Date.now();
  await admin.click("#freeze-results");
  const link = admin.locator("[data-frozen-link]");
  await link.waitFor(FOLLOW);
  const href = await link.getAttribute("href");
  assert.match(href, /^\/results\/[0-9a-f]{32}$/);
  assert.equal(await link.textContent(), `${suite.stack.baseURL}${href}`);
  assert.match(await admin.textContent("#frozen-links li"), /results as of/);
  await screenshot(admin, "console-frozen-results");

  // The report, in one click: a ZIP named for the poll (its contents are checked in api/tests).
  const [download] = await Promise.all([
    admin.waitForEvent("download"),
    admin.getByRole("link", { name: "Download report" }).click(),
  ]);
  assert.equal(download.suggestedFilename(), `${poll.slug}-report.zip`);
  const zip = await readFile(await download.path());
  assert.equal(zip.subarray(0, 4).toString("latin1"), "PK\x03\x04", "a ZIP");
  assert.ok(zip.includes(Buffer.from(`${poll.slug}-handout.pdf`)), "with the handout");

  // The page: the numbers as they were, and when they were frozen.
  const reader = await phone();
  await reader.goto(`${suite.stack.baseURL}${href}`);
  await reader.locator("#results-title", { hasText: TITLE }).waitFor(FOLLOW);
  const frozen = reader.locator("#results-frozen");
  assert.match(await frozen.textContent(), /Results as of .+, when the presenter froze them/);
  const at = Date.parse(await frozen.locator("time").getAttribute("datetime"));
  assert.ok(Math.abs(at - before) < 60_000, "frozen when the button was pressed");
  const results = reader.locator("#poll-results");
  const judicial = results.locator('.result-card[data-question="perf_judicial_ind"]');
  await judicial.locator(".count", { hasText: "3 answers" }).waitFor(FOLLOW);
  assert.deepEqual(await judicial.locator(".value:not(.national-value)").allTextContents(), [
    "0% (0)",
    "0% (0)",
    "67% (2)",
    "33% (1)",
  ]);
  assert.deepEqual(await results.locator('.result-card[data-question="q2"] .value').allTextContents(), [
    "67% (2)",
    "33% (1)",
    "0% (0)",
  ]);
  // Frozen while the room voted, yet as final: the nation's answers are there.
  assert.equal(await judicial.locator(".national-value").count(), 4, "the nation beside each response");
  const hidden = results.locator('.result-card[data-question="q3"]');
  assert.equal(await hidden.locator(".value, .bar").count(), 0, "a hidden question stays hidden");
  assert.match(await hidden.textContent(), /hidden from the audience when these were frozen/);
  assert.match(
    await reader.textContent("#results-cite"),
    new RegExp(`Bright Line Watch, “${TITLE}”, live poll results as of`),
  );
  assert.deepEqual(await seriousA11yViolations(reader), []);
  await screenshot(reader, "frozen-results-phone");
  const first = await shown(results);

  // More votes, a reset, the poll deleted: the page does not move.
  for (const i of [3, 4]) assert.equal((await ballot(`frozen-${i}`, 0, 2, 1)).status, 201);
  await reader.reload();
  await judicial.locator(".count").waitFor(FOLLOW);
  assert.deepEqual(await shown(results), first, "later votes are not included");
  assert.equal((await request(`/api/admin/polls/${poll.id}`, "PATCH", { is_open: false })).status, 200);
  const reset = await request(`/api/admin/polls/${poll.id}/reset`, "POST", { confirm: TITLE });
  assert.equal(reset.status, 200, await reset.clone().text());
  assert.equal((await apiJson(suite.stack.baseURL, `/api/polls/${poll.slug}/results`)).respondents, 0);
  await reader.reload();
  await judicial.locator(".count").waitFor(FOLLOW);
  assert.deepEqual(await shown(results), first, "a reset leaves it");
  assert.equal((await request(`/api/admin/polls/${poll.id}`, "DELETE")).status, 204);
  await reader.reload();
  await judicial.locator(".count").waitFor(FOLLOW);
  assert.deepEqual(await shown(results), first, "so does deleting the poll");

  // A wrong key says so.
  const stranger = await page();
  await stranger.goto(`${suite.stack.baseURL}/results/${"0".repeat(32)}`);
  await stranger.locator("#results-status [role=alert]", { hasText: "No frozen results at this address" }).waitFor();
  assert.deepEqual(
    problems.flat().filter((p) => !p.includes("status of 404")),
    [],
  );
});
