// The survey dashboard in headless Chromium against the real api and a fresh database.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import { apiJson, browserSuite, screenshot, seriousA11yViolations, watch } from "./harness.mjs";

// One browser for the file; a fresh database and api process for every test.
const suite = browserSuite("dashboard");

const QUESTION = "perf_concede_defeat";
const pct = (p) => (p == null ? "" : (p * 100).toFixed(1));
const groupName = (group) => group ?? "All respondents";

async function tableRows(page, selector) {
  return page.$$eval(`${selector} tbody tr`, (rows) =>
    rows.map((row) => [...row.cells].map((cell) => cell.textContent.trim())),
  );
}

/** The distribution table's rows as the api gives them for one wave and split. */
function expectedDistribution(proportions, wave) {
  return proportions.cells
    .filter((c) => c.wave === wave)
    .flatMap((cell) =>
      cell.responses.map((r) => [
        groupName(cell.group),
        r.response,
        pct(r.p),
        pct(r.ci_low),
        pct(r.ci_high),
        String(cell.n),
        cell.n_eff.toFixed(1),
      ]),
    );
}

function parseCsv(text) {
  return text
    .trim()
    .split(/\r\n/)
    .map((line) => line.split(","));
}

test("a chosen question, wave and split show the api's numbers, and the URL round-trips", async () => {
  const context = await suite.browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const problems = watch(page);
  await page.goto(`${suite.stack.baseURL}/`);
  await page.waitForSelector("#distribution tbody tr");
  assert.match(page.url(), /view=question&q=perf_/, "the default question is written into the URL");

  // Pick by searching, as a reader would, then the split and an earlier wave.
  await page.fill("#question-search", "concede defeat");
  await page.selectOption("#question", QUESTION);
  await page.waitForFunction((q) => new URL(location.href).searchParams.get("q") === q, QUESTION);
  await page.check("input[name=split][value=party]", { force: true });
  await page.waitForFunction(() => document.querySelector("#distribution tbody th")?.textContent === "Democrat");
  const all = await apiJson(suite.stack.baseURL, `/api/surveys/questions/${QUESTION}/proportions?split=party`);
  const waves = [...new Set(all.cells.map((c) => c.wave).filter((w) => w != null))];
  assert.ok(waves.length >= 2, "the question is asked in several waves");
  const wave = waves[0];
  await page.selectOption("#wave", String(wave));
  await page.waitForFunction(
    (w) => document.querySelector("#distribution-title")?.textContent.includes(`wave ${w}`),
    wave,
  );

  const params = new URL(page.url()).searchParams;
  assert.deepEqual(
    [params.get("view"), params.get("q"), params.get("wave"), params.get("split")],
    ["question", QUESTION, String(wave), "party"],
  );

  // The table under the distribution equals the api's numbers for that wave alone.
  const oneWave = await apiJson(
    suite.stack.baseURL,
    `/api/surveys/questions/${QUESTION}/proportions?wave=${wave}&split=party`,
  );
  const shown = await tableRows(page, "#distribution");
  assert.deepEqual(shown, expectedDistribution(oneWave, wave));
  assert.ok(shown.length >= 16, "4 groups × 4 responses");

  // The diverging overview's table: each response's share and the top two with its CI.
  const expectedDiverging = oneWave.cells
    .filter((c) => c.wave === wave)
    .map((c) => [
      groupName(c.group),
      ...c.responses.map((r) => pct(r.p)),
      pct(c.top2.p),
      pct(c.top2.ci_low),
      pct(c.top2.ci_high),
      String(c.n),
    ]);
  assert.deepEqual(await tableRows(page, "#diverging"), expectedDiverging);
  assert.equal(await page.locator("#diverging g[data-mark=bar] rect").count(), 16, "4 groups × 4 responses");

  // The top-2 table: one row per wave and group.
  const trend = await tableRows(page, "#trend");
  const expectedTrend = all.cells
    .filter((c) => c.wave != null)
    .map((c) => [
      String(c.wave),
      groupName(c.group),
      pct(c.top2.p),
      pct(c.top2.ci_low),
      pct(c.top2.ci_high),
      String(c.n),
      c.n_eff.toFixed(1),
    ]);
  assert.deepEqual(trend, expectedTrend);

  // The question text and its battery prefix are above the chart.
  const question = await apiJson(suite.stack.baseURL, `/api/questions/${QUESTION}`);
  const text = await page.textContent("#distribution .question-text");
  assert.ok(text.includes(question.text) && text.includes(question.battery_prefix), text);

  // CSV: exactly the rows of the table.
  const [csvDownload] = await Promise.all([
    page.waitForEvent("download"),
    page.click("#distribution [data-download=csv]"),
  ]);
  assert.equal(csvDownload.suggestedFilename(), `${QUESTION}-wave${wave}-party.csv`);
  const csv = parseCsv(await readFile(await csvDownload.path(), "utf8"));
  assert.deepEqual(csv[0], ["Group", "Response", "Weighted %", "95% CI low", "95% CI high", "n", "n_eff"]);
  assert.deepEqual(csv.slice(1), shown);
  // PNG and SVG: real images of the chart.
  const [pngDownload] = await Promise.all([
    page.waitForEvent("download"),
    page.click("#distribution [data-download=png]"),
  ]);
  const png = await readFile(await pngDownload.path());
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.ok(png.length > 10_000, `PNG of ${png.length} bytes`);
  const [svgDownload] = await Promise.all([page.waitForEvent("download"), page.click("#trend [data-download=svg]")]);
  const svg = await readFile(await svgDownload.path(), "utf8");
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.ok(svg.includes("Top-2 share over waves") && svg.includes("Democrat"));

  assert.deepEqual(await seriousA11yViolations(page), []);

  // Pointing at the first bar (Democrat, first response) shows its %, CI, n and n_eff.
  await page.hover("#distribution g[data-mark=dot] path >> nth=0");
  const tip = page.locator("#distribution g[data-mark=tip]");
  await page.waitForFunction(() =>
    document.querySelector("#distribution g[data-mark=tip]")?.textContent.includes("n_eff"),
  );
  const tipText = (await tip.textContent()).replace(/\s+/g, " ");
  const [democrat] = oneWave.cells;
  const firstShare = democrat.responses[0];
  for (const part of [
    "Democrat",
    firstShare.response,
    `${pct(firstShare.p)}%`,
    `95% CI ${pct(firstShare.ci_low)}% – ${pct(firstShare.ci_high)}%`,
    `n = ${democrat.n}`,
    `n_eff = ${democrat.n_eff.toFixed(1)}`,
  ]) {
    assert.ok(tipText.includes(part), `tooltip "${tipText}" lacks "${part}"`);
  }
  await screenshot(page, "dashboard-question");

  // The same URL in a new tab shows the same view.
  const shared = await context.newPage();
  const sharedProblems = watch(shared);
  await shared.goto(page.url());
  await shared.waitForSelector("#distribution tbody tr");
  assert.deepEqual(await tableRows(shared, "#distribution"), shown);
  assert.equal(await shared.inputValue("#question"), QUESTION);
  assert.equal(await shared.inputValue("#wave"), String(wave));
  assert.equal(await shared.isChecked("input[name=split][value=party]"), true);

  // Back undoes the wave choice: the latest wave again, still split by party.
  await page.goBack();
  await page.waitForFunction(
    (w) => !document.querySelector("#distribution-title")?.textContent.includes(`wave ${w}`),
    wave,
  );
  assert.equal(new URL(page.url()).searchParams.get("wave"), null);
  assert.equal(await page.inputValue("#wave"), String(waves[waves.length - 1]));
  assert.equal(await page.isChecked("input[name=split][value=party]"), true);

  // All waves pooled: the api's pooled cells (wave null), and wave=all in the URL.
  await page.selectOption("#wave", "all");
  await page.waitForFunction(() =>
    document.querySelector("#distribution-title")?.textContent.includes("all waves pooled"),
  );
  assert.equal(new URL(page.url()).searchParams.get("wave"), "all");
  assert.deepEqual(await tableRows(page, "#distribution"), expectedDistribution(all, null));

  assert.deepEqual([...problems, ...sharedProblems], []);
  await context.close();
});

test("the principles scatter matches the api and a click opens the question", async () => {
  const context = await suite.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems = watch(page);
  await page.goto(`${suite.stack.baseURL}/?view=principles&split=none`);
  await page.waitForSelector("#principles tbody tr");
  const waves = await apiJson(suite.stack.baseURL, "/api/surveys/waves");
  const latest = Math.max(...waves.map((w) => w.number));
  const principles = await apiJson(suite.stack.baseURL, `/api/surveys/principles?wave=${latest}&split=none`);
  const expected = principles.principles.flatMap((p) =>
    p.groups.map((g) => [
      p.short_text ?? p.characteristic,
      groupName(g.group),
      pct(g.importance.p),
      pct(g.importance.ci_low),
      pct(g.importance.ci_high),
      String(g.importance.n),
      pct(g.performance.p),
      pct(g.performance.ci_low),
      pct(g.performance.ci_high),
      String(g.performance.n),
    ]),
  );
  assert.deepEqual(await tableRows(page, "#principles"), expected);
  assert.ok(expected.length > 10);
  assert.equal(
    await page.locator("#principles svg g[data-mark='dot'] path").count(),
    expected.length,
    "one point per principle and group",
  );
  assert.deepEqual(await seriousA11yViolations(page), []);
  await screenshot(page, "dashboard-principles");

  // Keyboard: the first principle's link in the table opens its performance question.
  const first = principles.principles[0];
  await page.focus("#principles tbody tr:first-child a");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#distribution tbody tr");
  assert.equal(new URL(page.url()).searchParams.get("q"), first.groups[0].performance.var_name);
  assert.deepEqual(problems, []);
  await context.close();
});

test("on a phone the dashboard fits the screen", async () => {
  const context = await suite.browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  });
  const page = await context.newPage();
  const problems = watch(page);
  await page.goto(`${suite.stack.baseURL}/?view=question&q=${QUESTION}&split=ideology`);
  await page.waitForSelector("#distribution tbody tr");
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  assert.ok(overflow <= 0, `page scrolls sideways by ${overflow}px`);
  assert.equal(await page.locator("#distribution tbody th", { hasText: "Liberal" }).count(), 4);
  await screenshot(page, "dashboard-phone");
  // A nominal question (party) has its distribution only: no "top two" of categories.
  await page.goto(`${suite.stack.baseURL}/?view=question&q=pid3&split=none`);
  await page.waitForSelector("#distribution tbody tr");
  assert.deepEqual([await page.locator("#trend").count(), await page.locator("#diverging").count()], [0, 0]);
  assert.deepEqual(problems, []);
  await context.close();
});

test("the API docs render offline in the browser under the pages' security policy", async () => {
  const context = await suite.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems = watch(page);
  const response = await page.goto(`${suite.stack.baseURL}/docs/`);
  assert.match(response.headers()["content-security-policy"], /script-src 'self'/);
  await page.waitForSelector(".opblock-summary-path");
  const paths = await page.$$eval(".opblock-summary-path", (nodes) =>
    nodes.map((n) => n.textContent.replace(/\u200b/g, "")),
  );
  assert.ok(paths.includes("/api/surveys/questions/{var_name}/proportions"), paths.join(" "));
  assert.ok(paths.includes("/api/polls/{slug}/results/stream"));
  await screenshot(page, "api-docs");
  assert.deepEqual(problems, []);
  await context.close();
});
