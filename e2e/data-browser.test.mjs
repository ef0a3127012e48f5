// The console's Data section in headless Chromium against the real api and a fresh database
// (the survey data migrated in): an analyst follows a respondent to their answers in three clicks;
// sorting, filters and paging show the rows the api gives for the same query; the CSV link gives
// the whole view on screen (every page of it, the page shown among them), or says why not when the
// view is larger than one file holds. Accessible throughout (axe), with the back button working.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import { apiLogin, browserSuite, consoleLogIn, screenshot, seriousA11yViolations } from "./harness.mjs";

const suite = browserSuite("data", (stack) => {
  stack.createAccount("host@example.org", "admin", "Ada Admin");
  stack.createAccount("reader@example.org", "analyst", "Andy Analyst");
});
const { page, problems } = suite;
// A fresh api (migrating on start) per test, then a browser session: bounded, with room to spare.
const LIMIT = { timeout: 240_000 };

/** The Data api as the analyst, outside the browser, to compare the page with (one session per
 *  test: users.sessions counts them). */
const analystRequests = new WeakMap();
async function dataApi(path, params = {}) {
  if (!analystRequests.has(suite.stack))
    analystRequests.set(suite.stack, (await apiLogin(suite.stack.baseURL, "reader@example.org")).request);
  const request = analystRequests.get(suite.stack);
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    for (const v of [value].flat()) query.append(name, String(v));
  }
  const response = await request(`/api/admin/data${path ? `/${path}` : ""}${query.size ? `?${query}` : ""}`, "GET");
  assert.equal(response.status, 200, await response.clone().text());
  return response.json();
}

/** A page logged into the console as the analyst (read-only staff). */
async function analystPage() {
  const analyst = await page();
  await consoleLogIn(analyst, suite.stack.baseURL, "reader@example.org");
  return analyst;
}

/** Does `action` and waits for the Data view it leads to to be drawn (a new one, not the last). */
async function andWait(on, action) {
  await on.evaluate(() => {
    for (const section of document.querySelectorAll("section.data-browser")) section.dataset.stale = "1";
  });
  await action();
  await on.waitForSelector("section.data-browser:not([data-stale])");
}

/** The grid's rows as `{column: text}`, the text as seen (screen-reader-only words left out), null
 *  for a value shown as null. */
function gridRows(on) {
  return on.$$eval(".data-grid tbody tr", (rows) =>
    rows.map((row) =>
      Object.fromEntries(
        [...row.querySelectorAll("[data-column]")].map((cell) => {
          if (cell.querySelector(".null")) return [cell.dataset.column, null];
          const copy = cell.cloneNode(true);
          for (const hidden of copy.querySelectorAll(".visually-hidden")) hidden.remove();
          // A long value shows its start; the whole of it is in the element after its summary.
          const whole = copy.querySelector("details.long-value > :not(summary)");
          return [cell.dataset.column, (whole ?? copy).textContent];
        }),
      ),
    ),
  );
}

/** The api's rows as the grid shows them. */
const asShown = (rows) =>
  rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([name, value]) => [
        name,
        value == null ? null : typeof value === "object" ? JSON.stringify(value) : String(value),
      ]),
    ),
  );

/** RFC 4180 CSV (quoted fields may hold commas, quotes and line breaks) to rows of fields. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}

test("an analyst finds a respondent's answers from the respondents table in three clicks", LIMIT, async () => {
  // The respondent the table starts with (the api's default order), and their answers.
  const respondents = await dataApi("surveys/respondents");
  assert.equal(respondents.total, 10_450);
  const caseid = respondents.rows[0].caseid;
  const answers = await dataApi("surveys/responses", { filter: `caseid:eq:${caseid}` });
  assert.ok(answers.total > 0, `respondent ${caseid} has answers`);

  const analyst = await analystPage();
  // 1: the Data section of the navigation: every schema's tables with their row counts.
  await andWait(analyst, () => analyst.click("#admin-nav a[data-section=data]"));
  assert.equal(new URL(analyst.url()).pathname, "/admin/data");
  assert.equal(await analyst.getAttribute("#admin-nav a[data-section=data]", "aria-current"), "page");
  assert.equal(await analyst.title(), "Data — BLW admin");
  const { schemas } = await dataApi("");
  assert.deepEqual(
    schemas.map((s) => s.name),
    ["questions", "users", "surveys", "polls"],
  );
  for (const schema of schemas) {
    for (const table of schema.tables) {
      const row = analyst.locator(`tr[data-table="${schema.name}.${table.name}"]`);
      assert.equal(await row.locator("td.num").textContent(), table.rows.toLocaleString("en-US"));
    }
  }
  assert.deepEqual(await seriousA11yViolations(analyst), []);
  await screenshot(analyst, "data-schemas");

  // 2: surveys.respondents, paged by the server (50 rows of 10,450).
  await andWait(analyst, () => analyst.click('tr[data-table="surveys.respondents"] a'));
  assert.equal(new URL(analyst.url()).pathname, "/admin/data/surveys/respondents");
  assert.equal(await analyst.title(), "surveys.respondents — Data — BLW admin");
  assert.equal(await analyst.textContent("#data-summary"), "Rows 1–50 of 10,450, sorted by caseid ascending.");
  assert.equal(await analyst.textContent(".pager .page-of"), "Page 1 of 209");
  assert.deepEqual(await gridRows(analyst), asShown(respondents.rows));
  assert.equal(await analyst.getAttribute('.data-grid th[data-column="caseid"]', "aria-sort"), "ascending");
  // The wave is a foreign key: a link to its row of surveys.waves.
  const waveLink = analyst.locator('.data-grid tbody tr:first-child [data-column="wave"] a');
  assert.equal(
    await waveLink.getAttribute("href"),
    `/admin/data/surveys/waves?filter=number%3Aeq%3A${respondents.rows[0].wave}`,
  );
  assert.deepEqual(await seriousA11yViolations(analyst), []);
  await screenshot(analyst, "data-respondents");

  // 3: the first row's "responses" link: surveys.responses filtered to this respondent.
  const link = analyst.locator(".data-grid tbody tr:first-child a[data-refers='surveys.responses.caseid']");
  assert.equal(await link.textContent(), `responses with caseid ${caseid}`);
  await andWait(analyst, () => link.click());
  const url = new URL(analyst.url());
  assert.equal(url.pathname, "/admin/data/surveys/responses");
  assert.deepEqual(url.searchParams.getAll("filter"), [`caseid:eq:${caseid}`]);
  assert.equal(await analyst.textContent(".active-filters li[data-filter] > span"), `caseid equals ${caseid}`);
  const shown = Math.min(answers.total, 50);
  assert.equal(
    await analyst.textContent("#data-summary"),
    `Rows 1–${shown} of ${answers.total.toLocaleString("en-US")}, sorted by caseid ascending.`,
  );
  const rows = await gridRows(analyst);
  assert.deepEqual(rows, asShown(answers.rows));
  assert.ok(rows.every((row) => row.caseid === String(caseid)));
  assert.deepEqual(await seriousA11yViolations(analyst), []);
  await screenshot(analyst, "data-responses-of-one");

  // The back button returns to the respondents, the views being URLs.
  await andWait(analyst, () => analyst.goBack());
  assert.equal(new URL(analyst.url()).pathname, "/admin/data/surveys/respondents");
  assert.deepEqual(await gridRows(analyst), asShown(respondents.rows));
  assert.deepEqual(problems.flat(), []);
});

test("sorting by a header, filters and paging show the api's rows; a bad filter says why", LIMIT, async () => {
  const analyst = await analystPage();
  await andWait(analyst, () => analyst.goto(`${suite.stack.baseURL}/admin/data/surveys/responses`));
  assert.equal(await analyst.textContent("#data-summary"), "Rows 1–50 of 270,808, sorted by caseid ascending.");

  // Sorting by raw_value from the keyboard: ascending, then descending; focus stays on the header.
  const sortLink = '.data-grid th[data-column="raw_value"] a.sort';
  await analyst.focus(sortLink);
  await andWait(analyst, () => analyst.keyboard.press("Enter"));
  assert.equal(await analyst.getAttribute('.data-grid th[data-column="raw_value"]', "aria-sort"), "ascending");
  assert.equal(await analyst.getAttribute('.data-grid th[data-column="caseid"]', "aria-sort"), null);
  assert.equal(await analyst.evaluate(() => document.activeElement.dataset.focus), "sort-raw_value");
  const ascending = await dataApi("surveys/responses", { sort: "raw_value", order: "asc" });
  assert.deepEqual(await gridRows(analyst), asShown(ascending.rows));
  await andWait(analyst, () => analyst.keyboard.press("Enter"));
  assert.equal(await analyst.getAttribute('.data-grid th[data-column="raw_value"]', "aria-sort"), "descending");
  const descending = await dataApi("surveys/responses", { sort: "raw_value", order: "desc" });
  assert.deepEqual(await gridRows(analyst), asShown(descending.rows));
  assert.notDeepEqual(descending.rows, ascending.rows);
  assert.match(analyst.url(), /sort=raw_value&order=desc/);

  // A contains filter (case-insensitive) on var_name, through the form: the sort stays.
  await analyst.selectOption("#filter-column", "var_name");
  assert.deepEqual(await analyst.$$eval("#filter-op option", (options) => options.map((o) => o.value)), [
    "eq",
    "contains",
  ]);
  await analyst.selectOption("#filter-op", "contains");
  await analyst.fill("#filter-value", "JUDICIAL");
  await andWait(analyst, () => analyst.click(".filter-form button[type=submit]"));
  const filtered = await dataApi("surveys/responses", {
    sort: "raw_value",
    order: "desc",
    filter: "var_name:contains:JUDICIAL",
  });
  assert.ok(filtered.total > 0 && filtered.total < 270_808, `${filtered.total} rows`);
  assert.deepEqual(await gridRows(analyst), asShown(filtered.rows));
  assert.ok(filtered.rows.every((row) => row.var_name.toLowerCase().includes("judicial")));
  assert.equal(
    await analyst.textContent("#data-summary"),
    `Rows 1–50 of ${filtered.total.toLocaleString("en-US")}, sorted by raw_value descending.`,
  );
  assert.equal(await analyst.textContent(".active-filters li[data-filter] > span"), "var_name contains JUDICIAL");
  // A range on an integer column, offered only the integer's operations.
  await analyst.selectOption("#filter-column", "response_index");
  assert.deepEqual(await analyst.$$eval("#filter-op option", (options) => options.map((o) => o.value)), [
    "eq",
    "range",
  ]);
  await analyst.selectOption("#filter-op", "range");
  await analyst.fill("#filter-lo", "1");
  await analyst.fill("#filter-hi", "2");
  await andWait(analyst, () => analyst.click(".filter-form button[type=submit]"));
  const ranged = await dataApi("surveys/responses", {
    sort: "raw_value",
    order: "desc",
    filter: ["var_name:contains:JUDICIAL", "response_index:range:1..2"],
  });
  assert.ok(ranged.total > 0 && ranged.total < filtered.total, `${ranged.total} rows`);
  assert.deepEqual(await gridRows(analyst), asShown(ranged.rows));
  assert.deepEqual(
    await analyst.$$eval(".active-filters li[data-filter] > span", (spans) => spans.map((s) => s.textContent)),
    ["var_name contains JUDICIAL", "response_index between 1 and 2"],
  );

  // Paging: the next page, then 25 rows a page.
  await andWait(analyst, () => analyst.click('.pager a[rel="next"] >> nth=0'));
  const second = await dataApi("surveys/responses", {
    sort: "raw_value",
    order: "desc",
    filter: ["var_name:contains:JUDICIAL", "response_index:range:1..2"],
    page: 2,
  });
  assert.equal(await analyst.textContent(".pager .page-of >> nth=0"), `Page 2 of ${Math.ceil(ranged.total / 50)}`);
  assert.deepEqual(await gridRows(analyst), asShown(second.rows));
  await andWait(analyst, () => analyst.selectOption("#data-page-size", "25"));
  assert.equal((await gridRows(analyst)).length, 25);
  assert.equal(await analyst.textContent(".pager .page-of >> nth=0"), `Page 1 of ${Math.ceil(ranged.total / 25)}`);

  // Removing the contains filter keeps the range.
  await andWait(analyst, () => analyst.click(".active-filters li[data-filter] button >> nth=0"));
  const rangeOnly = await dataApi("surveys/responses", {
    sort: "raw_value",
    order: "desc",
    filter: "response_index:range:1..2",
    page_size: 25,
  });
  assert.deepEqual(await gridRows(analyst), asShown(rangeOnly.rows));
  assert.deepEqual(await seriousA11yViolations(analyst), []);
  await screenshot(analyst, "data-sorted-filtered");

  // A value the column cannot hold: the api's message in the console's error display, and the
  // filter there to remove.
  const before = problems[0].length;
  await analyst.selectOption("#filter-column", "caseid");
  await analyst.selectOption("#filter-op", "eq");
  await analyst.fill("#filter-value", "abc");
  await andWait(analyst, () => analyst.click(".filter-form button[type=submit]"));
  const refused = await analystRequests.get(suite.stack)(
    `/api/admin/data/surveys/responses?filter=${encodeURIComponent("caseid:eq:abc")}`,
    "GET",
  );
  assert.equal(refused.status, 400);
  const { error } = await refused.json();
  assert.equal(await analyst.textContent("#status .error"), error.message);
  assert.equal(await analyst.locator(".data-grid").count(), 0);
  assert.deepEqual(await seriousA11yViolations(analyst), []);
  assert.deepEqual(problems[0].splice(before), [
    "console: Failed to load resource: the server responded with a status of 400 (Bad Request)",
  ]);
  await andWait(analyst, () => analyst.click('.active-filters li[data-filter="caseid:eq:abc"] button'));
  assert.equal(await analyst.locator("#status .error").count(), 0);
  assert.deepEqual(await gridRows(analyst), asShown(rangeOnly.rows));
  assert.deepEqual(problems.flat(), []);
});

test("the CSV link gives every row of the view on screen, the page shown among them", LIMIT, async () => {
  const analyst = await analystPage();
  // A view larger than one file holds (270,808 rows): no link, and what to do instead.
  await andWait(analyst, () => analyst.goto(`${suite.stack.baseURL}/admin/data/surveys/responses`));
  assert.equal(await analyst.locator("a#data-csv").count(), 0);
  assert.ok(await analyst.isDisabled("button#data-csv"));
  assert.equal(
    await analyst.textContent("#data-csv-note"),
    "A CSV holds at most 100,000 rows and this view has 270,808: add a filter to narrow it.",
  );

  // Page 3 of 25 rows, sorted and filtered (descending puts the null response_index first), of the
  // answers of the first 50 respondents.
  const { rows: respondents } = await dataApi("surveys/respondents");
  const params = {
    page: 3,
    page_size: 25,
    sort: "response_index",
    order: "desc",
    filter: ["var_name:contains:a", `caseid:range:${respondents[0].caseid}..${respondents[49].caseid}`],
  };
  const view = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) for (const v of [value].flat()) view.append(name, String(v));
  await andWait(analyst, () => analyst.goto(`${suite.stack.baseURL}/admin/data/surveys/responses?${view}`));
  const shown = await gridRows(analyst);
  assert.equal(shown.length, 25);
  // The same rows as the api's JSON for the view.
  const json = await dataApi("surveys/responses", params);
  assert.deepEqual(shown, asShown(json.rows));
  assert.ok(json.total > 200, `${json.total} rows: more than a page of any size`);
  assert.equal(await analyst.textContent("#data-csv"), `Download CSV (all ${json.total.toLocaleString("en-US")} rows)`);
  const [download] = await Promise.all([analyst.waitForEvent("download"), analyst.click("#data-csv")]);
  assert.equal(download.suggestedFilename(), "surveys-responses.csv");
  const csv = parseCsv(await readFile(await download.path(), "utf8"));
  const columns = await analyst.$$eval(".data-grid thead th[data-column]", (ths) => ths.map((th) => th.dataset.column));
  assert.deepEqual(csv[0], columns);
  const file = csv.slice(1);
  assert.equal(file.length, json.total);
  // An empty field is a null (every text in this table is non-empty). The page on screen is the
  // file's rows 51–75…
  const asCells = (rows) => rows.map((row) => columns.map((column) => row[column] ?? ""));
  assert.deepEqual(file.slice(50, 75), asCells(shown));
  // …and the file is the view's pages one after another.
  const pages = [];
  for (let number = 1; number <= Math.ceil(json.total / 200); number += 1) {
    pages.push(...(await dataApi("surveys/responses", { ...params, page: number, page_size: 200 })).rows);
  }
  assert.deepEqual(file, asCells(asShown(pages)));
  assert.deepEqual(problems.flat(), []);
});
