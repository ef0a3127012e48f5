// Ballot stuffing in headless Chromium: a burst of ballots from one client shows in the console's
// activity panel (clients with the most ballots, and how many browsers among them); an admin voids
// it after confirming, and the poll's results drop those ballots; analysts see the clients but
// cannot void. And a browser answers once: a participant who clears the page's storage (a new
// client token) is told that their first answers stand, and counted once.
import assert from "node:assert/strict";
import { test } from "node:test";
import { apiJson, apiLogin, browserSuite, consoleLogIn, postBallot, seriousA11yViolations } from "./harness.mjs";

const suite = browserSuite("voids", (stack) => {
  stack.createAccount("host@example.org", "admin", "Ada Admin");
  stack.createAccount("reader@example.org", "analyst", "Andy Analyst");
});
const { page, phone, problems } = suite;
// A fresh api (migrating on start) per test, then a browser session: bounded, with room to spare.
const LIMIT = { timeout: 240_000 };

const QUESTION = { kind: "choice", text: "Coffee or tea?", options: ["Coffee", "Tea"], max_choices: 1 };

/** An all-at-once poll of one choice question (its key is q1), created and opened as the admin. */
async function openPoll(title) {
  const { request } = await apiLogin(suite.stack.baseURL, "host@example.org");
  const created = await request("/api/admin/polls", "POST", { title, description: "", questions: [QUESTION] });
  assert.equal(created.status, 201, await created.clone().text());
  const poll = await created.json();
  assert.equal((await request(`/api/admin/polls/${poll.id}`, "PATCH", { is_open: true })).status, 200);
  return { poll, request };
}

/** Waits until the poll's public results count `expected` respondents (totals follow a change
 *  through the database's notifications, so not necessarily by the time the api has answered). */
async function waitForRespondents(slug, expected) {
  const deadline = Date.now() + 10_000;
  let results;
  for (;;) {
    results = await apiJson(suite.stack.baseURL, `/api/polls/${slug}/results`);
    if (results.respondents === expected || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.equal(results.respondents, expected);
  return results;
}

test("an admin voids one client's burst of ballots from the activity panel", LIMIT, async () => {
  const { poll, request } = await openPoll("Burst check");
  // Five ballots from this process: one client (the loopback address), and five browsers, since
  // none of them sends the device cookie the api set on the one before.
  for (let i = 1; i <= 5; i += 1) {
    const response = await postBallot(suite.stack.baseURL, poll.slug, `burst-token-${i}`, [
      { var_name: "q1", response_index: i % 2 },
    ]);
    assert.equal(response.status, 201, await response.clone().text());
    assert.match(response.headers.get("set-cookie") ?? "", /^blw_device=[0-9a-f]{32}\.[0-9a-f]+;.*HttpOnly/i);
  }
  await waitForRespondents(poll.slug, 5);

  const activity = await (await request(`/api/admin/polls/${poll.id}/activity`, "GET")).json();
  assert.equal(activity.clients.length, 1, JSON.stringify(activity.clients));
  const [client] = activity.clients;
  assert.match(client.client, /^[0-9a-f]{16}$/);
  assert.equal(client.ballots, 5);
  assert.equal(client.devices, 5);
  assert.deepEqual(activity.voids, []);

  // The api's guards: analysts cannot void, and a window must be a window.
  const { request: asAnalyst } = await apiLogin(suite.stack.baseURL, "reader@example.org");
  const burst = { client: client.client, from: client.first_at, to: new Date(Date.now() + 60_000).toISOString() };
  assert.equal((await asAnalyst(`/api/admin/polls/${poll.id}/voids`, "POST", burst)).status, 403);
  const backwards = await request(`/api/admin/polls/${poll.id}/voids`, "POST", { ...burst, to: burst.from });
  assert.equal(backwards.status, 422);
  assert.equal((await backwards.json()).error.field, "to");
  const notAClient = await request(`/api/admin/polls/${poll.id}/voids`, "POST", { ...burst, client: "127.0.0.1" });
  assert.equal(notAClient.status, 422);
  assert.equal((await notAClient.json()).error.field, "client");
  await waitForRespondents(poll.slug, 5);

  // An analyst's console lists the clients, without a Void… button.
  const analyst = await page();
  await consoleLogIn(analyst, suite.stack.baseURL, "reader@example.org");
  await analyst.goto(`${suite.stack.baseURL}/admin/polls/${poll.id}`);
  await analyst.waitForSelector(`#poll-activity tr[data-client='${client.client}']`);
  assert.equal(await analyst.locator("#poll-activity button.void-client").count(), 0);
  assert.deepEqual(await seriousA11yViolations(analyst), []);

  // The admin's console: the client with its 5 ballots from 5 browsers, and a Void… button.
  const admin = await page();
  await consoleLogIn(admin, suite.stack.baseURL, "host@example.org");
  await admin.goto(`${suite.stack.baseURL}/admin/polls/${poll.id}`);
  const row = admin.locator(`#poll-activity tr[data-client='${client.client}']`);
  await row.waitFor();
  assert.deepEqual(await row.locator("td.tally").allTextContents(), ["5", "5"]);
  assert.match(await admin.textContent("#poll-activity"), /a hall behind one network is one client too/);
  assert.match(await admin.textContent("#poll-activity"), /No ballots have been voided/);
  // The per-minute table alone has td.num cells: its counts add up to the ballots.
  const perMinute = await admin.$$eval("#poll-activity tbody td.num", (cells) =>
    cells.reduce((sum, cell) => sum + Number(cell.textContent), 0),
  );
  assert.equal(perMinute, 5);
  assert.deepEqual(await seriousA11yViolations(admin), []);

  // Void…: the dialog says what goes; cancel keeps every ballot.
  await row.locator("button.void-client").click();
  await admin.waitForSelector("dialog #void-from");
  assert.match(
    await admin.textContent("dialog h2"),
    new RegExp(`^Void 5 ballots from client ${client.client} between .+ and .+\\?$`),
  );
  const from = await admin.inputValue("#void-from");
  const to = await admin.inputValue("#void-to");
  assert.ok(new Date(to) > new Date(from), `${from} – ${to}`);
  assert.ok(new Date(from) <= new Date(client.first_at), "the window starts at the first ballot");
  assert.ok(new Date(to) > new Date(client.last_at), "and ends after the last (its end is excluded)");
  assert.deepEqual(await seriousA11yViolations(admin), []);
  // A window that ends before it starts cannot be confirmed.
  await admin.fill("#void-to", from);
  assert.equal(await admin.isDisabled("dialog button[value=void]"), true);
  await admin.fill("#void-to", to);
  assert.equal(await admin.isDisabled("dialog button[value=void]"), false);
  await admin.click("dialog button[value=cancel]");
  await admin.waitForSelector("dialog", { state: "detached" });
  await waitForRespondents(poll.slug, 5);

  // Confirmed: the 5 ballots go, the void is listed, the results count nobody.
  await row.locator("button.void-client").click();
  await admin.waitForSelector("dialog #void-from");
  await admin.click("dialog button[value=void]");
  await admin.waitForSelector("#status .confirmation:has-text('Voided 5 ballots')");
  const voided = admin.locator("#poll-activity tr[data-void]");
  await voided.waitFor();
  assert.equal(await voided.count(), 1);
  assert.match(await voided.textContent(), new RegExp(client.client));
  assert.deepEqual(await voided.locator("td.tally").allTextContents(), ["5"]);
  assert.equal(await admin.locator("#poll-activity tr[data-client]").count(), 0, "nothing left to void");
  await waitForRespondents(poll.slug, 0);
  assert.equal((await (await request(`/api/admin/polls/${poll.id}`, "GET")).json()).respondents, 0);
  const after = await (await request(`/api/admin/polls/${poll.id}/activity`, "GET")).json();
  assert.equal(after.voids.length, 1);
  assert.equal(after.voids[0].client, client.client);
  assert.equal(after.voids[0].respondents_removed, 5);
  assert.deepEqual(await seriousA11yViolations(admin), []);

  assert.deepEqual(problems.flat(), []);
});

test("a browser that answered is told its first answers stand, and counted once", LIMIT, async () => {
  const { poll } = await openPoll("Once per browser");
  const participant = await phone();
  await participant.goto(`${suite.stack.baseURL}/polls/${poll.slug}`);
  await participant.waitForSelector("fieldset.question-card");
  await participant.locator("fieldset[data-question=q1] label.choice", { hasText: /^Coffee$/ }).click();
  await participant.click(".submit-bar button");
  await participant.waitForSelector(".confirmation");
  assert.match(await participant.textContent(".confirmation"), /your answers are in/);
  await waitForRespondents(poll.slug, 1);
  const device = (await participant.context().cookies()).find((cookie) => cookie.name === "blw_device");
  assert.ok(device, "the api set a device cookie");
  assert.equal(device.httpOnly, true);

  // A new client token (the page's storage cleared), the same browser: nothing changes.
  await participant.evaluate(() => localStorage.clear());
  await participant.reload();
  await participant.waitForSelector("fieldset.question-card");
  await participant.locator("fieldset[data-question=q1] label.choice", { hasText: /^Tea$/ }).click();
  await participant.click(".submit-bar button");
  await participant.waitForSelector(".confirmation:has-text('already answered')");
  assert.match(
    await participant.textContent(".confirmation"),
    /This browser had already answered: your first answers stand/,
  );
  assert.deepEqual(await seriousA11yViolations(participant), []);
  const results = await waitForRespondents(poll.slug, 1);
  assert.equal(results.respondents, 1);
  // Give a stray second count time to show, then look again.
  await new Promise((resolve) => setTimeout(resolve, 500));
  await waitForRespondents(poll.slug, 1);

  // Another browser behind the same address is another participant.
  const neighbour = await phone();
  await neighbour.goto(`${suite.stack.baseURL}/polls/${poll.slug}`);
  await neighbour.waitForSelector("fieldset.question-card");
  await neighbour.locator("fieldset[data-question=q1] label.choice", { hasText: /^Tea$/ }).click();
  await neighbour.click(".submit-bar button");
  await neighbour.waitForSelector(".confirmation");
  assert.match(await neighbour.textContent(".confirmation"), /your answers are in/);
  await waitForRespondents(poll.slug, 2);

  assert.deepEqual(problems.flat(), []);
});
