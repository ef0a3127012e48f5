// Lighthouse on every page, against the real api and a fresh database: accessibility, best
// practices and SEO must each score 100 (a page below says which audits failed, and on what);
// performance is printed, not judged (simulated throttling on a shared, busy machine says little).
// Phone-sized pages as Lighthouse emulates a phone; the presenter view as a desktop (a projector).
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as chromeLauncher from "chrome-launcher";
import lighthouse from "lighthouse";
import desktopConfig from "lighthouse/core/config/desktop-config.js";
import { PASSWORD, SCREENSHOTS, startStack } from "./harness.mjs";

const JUDGED = ["accessibility", "best-practices", "seo"];
const CATEGORIES = ["performance", ...JUDGED];
/** One page's audit, within the file's bound (10 pages, a few minutes in all). */
const PAGE_LIMIT = { timeout: 120_000 };

let stack;
let chrome;
let slug;
/** The admin's session cookie, sent by Lighthouse with every request for the pages behind login. */
let cookie;

/** Logs in through the api; the session cookie (`name=value`). */
async function sessionCookie(email) {
  const login = await fetch(`${stack.baseURL}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  assert.equal(login.status, 200, await login.clone().text());
  return login.headers.get("set-cookie")?.split(";")[0] ?? "";
}

/** A request to the api as the logged-in admin. */
function asAdmin(path, method = "GET", body) {
  return fetch(`${stack.baseURL}${path}`, {
    method,
    headers: { cookie, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** Why a category is below 100: its failing audits, with the elements or items they name. */
function failures(lhr, category) {
  return lhr.categories[category].auditRefs
    .filter((ref) => ref.weight > 0)
    .map((ref) => lhr.audits[ref.id])
    .filter((audit) => audit.score !== null && audit.score < 1)
    .map((audit) => {
      const items = (audit.details?.items ?? [])
        .slice(0, 5)
        .map(
          (item) => item.node?.selector ?? item.node?.snippet ?? item.url ?? item.description ?? JSON.stringify(item),
        )
        .filter(Boolean);
      return `${audit.id}: ${audit.title}${audit.displayValue ? ` (${audit.displayValue})` : ""}${items.length ? ` — ${items.join(" | ")}` : ""}`;
    });
}

/** Runs Lighthouse on `path`; asserts 100 in every judged category, prints the scores. */
async function audit(name, path, { loggedIn = false, desktop = false, needs = [] } = {}) {
  const url = `${stack.baseURL}${path}`;
  const result = await lighthouse(
    url,
    {
      port: chrome.port,
      output: "json",
      logLevel: "error",
      onlyCategories: CATEGORIES,
      maxWaitForLoad: 30_000,
      extraHeaders: loggedIn ? { Cookie: cookie } : undefined,
    },
    desktop ? desktopConfig : undefined,
  );
  assert.ok(result?.lhr, `Lighthouse gave no result for ${url}`);
  const { lhr } = result;
  mkdirSync(SCREENSHOTS, { recursive: true });
  writeFileSync(join(SCREENSHOTS, `lighthouse-${name}.json`), result.report);
  assert.equal(lhr.runtimeError, undefined, `${url}: ${lhr.runtimeError?.code} ${lhr.runtimeError?.message}`);
  const scores = Object.fromEntries(CATEGORIES.map((c) => [c, Math.round((lhr.categories[c].score ?? 0) * 100)]));
  console.log(
    `lighthouse ${name} (${path}${loggedIn ? ", logged in" : ""}, ${desktop ? "desktop" : "mobile"}): ${CATEGORIES.map((c) => `${c} ${scores[c]}`).join(", ")}`,
  );
  const below = JUDGED.filter((c) => scores[c] < 100);
  assert.deepEqual(
    below.map((c) => ({ category: c, score: scores[c], failing: failures(lhr, c) })),
    [],
    `${url} scores below 100`,
  );
  // A page that did not load what it meant to (an error page, a login form instead of the view
  // behind it) is no pass: it stayed where it was sent (pages may add their state to the query),
  // and the api requests it is drawn from (`needs`) answered 200.
  assert.equal(new URL(lhr.finalDisplayedUrl).pathname, new URL(url).pathname);
  const answered = new Set(
    lhr.audits["network-requests"].details.items
      .filter((item) => item.statusCode === 200)
      .map((item) => new URL(item.url).pathname),
  );
  for (const api of needs) assert.ok(answered.has(api), `${url}: ${api} did not answer 200`);
}

describe("Lighthouse", { timeout: 900_000 }, () => {
  before(async () => {
    stack = await startStack("lighthouse");
    stack.createAccount("host@example.org", "admin", "Ada Admin");
    cookie = await sessionCookie("host@example.org");
    // An open poll of a catalog question (with the nation's numbers) and a choice question.
    const created = await asAdmin("/api/admin/polls", "POST", {
      title: "Lighthouse check",
      description: "A poll for the page audits.",
      questions: [
        { var_name: "pid3", response_indices: [0, 1, 2, 3, 4] },
        { kind: "choice", text: "Coffee or tea?", options: ["Coffee", "Tea"], max_choices: 1 },
      ],
    });
    assert.equal(created.status, 201, await created.clone().text());
    const poll = await created.json();
    slug = poll.slug;
    assert.equal((await asAdmin(`/api/admin/polls/${poll.id}`, "PATCH", { is_open: true })).status, 200);
    chrome = await chromeLauncher.launch({
      chromePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      chromeFlags: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
  });
  after(async () => {
    await chrome?.kill();
    await stack?.stop();
  });

  test("dashboard", PAGE_LIMIT, () => audit("dashboard", "/"));
  test("participant page of an open poll", PAGE_LIMIT, () =>
    audit("poll", `/polls/${slug}`, { needs: [`/api/polls/${slug}`] }),
  );
  test("audience view", PAGE_LIMIT, () =>
    audit("audience", `/polls/${slug}?present=1`, {
      loggedIn: true,
      desktop: true,
      needs: [`/api/polls/${slug}`, "/api/admin/polls"],
    }),
  );
  test("presenter view", PAGE_LIMIT, () =>
    audit("presenter", `/polls/${slug}?screen=presenter`, {
      loggedIn: true,
      desktop: true,
      needs: [`/api/polls/${slug}`, "/api/admin/polls"],
    }),
  );
  test("join page", PAGE_LIMIT, () => audit("join", "/join"));
  test("embedded chart", PAGE_LIMIT, () => audit("embed", "/embed/trend?q=perf_judicial_ind&split=party"));
  test("console, logged out", PAGE_LIMIT, () => audit("console-login", "/admin"));
  test("console, logged in", PAGE_LIMIT, () =>
    audit("console", "/admin", { loggedIn: true, needs: ["/api/admin/polls"] }),
  );
  test("console's Data view: the tables", PAGE_LIMIT, () =>
    audit("data", "/admin/data", { loggedIn: true, needs: ["/api/admin/data"] }),
  );
  test("console's Data view: a table", PAGE_LIMIT, () =>
    audit("data-table", "/admin/data/surveys/respondents", {
      loggedIn: true,
      needs: ["/api/admin/data/surveys/respondents"],
    }),
  );
});
