// Gaps and changes on the dashboard, and charts embedded in another site's page, in headless
// Chromium against the real api and a fresh database.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { test } from "node:test";
import { apiJson, browserSuite, screenshot, seriousA11yViolations, watch } from "./harness.mjs";

const suite = browserSuite("embeds");

const QUESTION = "perf_judicial_ind";
const pct = (p) => (p == null ? "" : (p * 100).toFixed(1));
const pts = (d) => (d * 100).toFixed(1);

async function tableRows(frameOrPage, selector) {
  return frameOrPage.$$eval(`${selector} tbody tr`, (rows) =>
    rows.map((row) => [...row.cells].map((cell) => cell.textContent.trim())),
  );
}

/** A page on another origin (another port, and "localhost" against the api's 127.0.0.1): `html` at `/`. */
async function otherSite(html) {
  const server = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end(html);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() };
}

test("the gap view and the changes show the api's numbers, with captions and keyboard access", async () => {
  const context = await suite.browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const problems = watch(page);
  await page.goto(`${suite.stack.baseURL}/?view=question&q=${QUESTION}&split=party`);
  await page.waitForSelector("#gap tbody tr", { state: "attached" });

  // Gap per wave: the api's Democrat − Republican top-2 estimate, every number of it.
  const waves = (await apiJson(suite.stack.baseURL, "/api/surveys/waves")).map((w) => w.number);
  const expected = [];
  for (const wave of waves) {
    const gaps = await apiJson(suite.stack.baseURL, `/api/surveys/questions/${QUESTION}/gaps?split=party&wave=${wave}`);
    const pair = gaps.pairs.find((p) => p.a === "Democrat" && p.b === "Republican");
    const e = pair.estimates.find((x) => x.measure === "top2");
    expected.push([
      String(wave),
      pct(e.a),
      pct(e.b),
      pts(e.difference),
      pts(e.ci_low),
      pts(e.ci_high),
      e.p_value.toPrecision(3),
      e.p_value < 0.05 ? "yes" : "no",
      String(pair.n_a),
      String(pair.n_b),
    ]);
  }
  assert.deepEqual(await tableRows(page, "#gap"), expected);
  // Significant points are filled, the others hollow.
  const fills = await page.$$eval("#gap svg [role=img][tabindex]", (dots) => dots.map((d) => d.getAttribute("fill")));
  const paper = await page.evaluate(() =>
    getComputedStyle(document.documentElement).getPropertyValue("--paper").trim(),
  );
  assert.deepEqual(
    fills.map((f) => f !== paper),
    expected.map((row) => row[7] === "yes"),
  );

  // Focusing a point (Tab) reads out its difference, CI and p.
  const last = expected[expected.length - 1];
  await page.focus(`#gap svg [data-wave="${last[0]}"]`);
  const readout = await page.textContent("#gap .readout");
  for (const part of [
    `Wave ${last[0]}`,
    "Democrat − Republican",
    "95% CI",
    last[7] === "yes" ? "significant" : "not",
  ]) {
    assert.ok(readout.includes(part), `readout "${readout}" lacks "${part}"`);
  }
  // The caption says it in words, from the same numbers.
  const gaps = await apiJson(suite.stack.baseURL, `/api/surveys/questions/${QUESTION}/gaps?split=party`);
  const top2 = gaps.pairs[0].estimates[0];
  const caption = await page.textContent("#gap .caption");
  const [higher, lower] = top2.difference > 0 ? ["Democrats", "Republicans"] : ["Republicans", "Democrats"];
  const size = Math.round(Math.abs(top2.difference) * 100);
  assert.ok(caption.includes(`${higher} rate this ${size} points higher than ${lower}`), caption);
  assert.ok(caption.includes(top2.p_value < 0.05 ? "is statistically significant" : "is not statistically"), caption);
  // …and the chart's text alternative is that caption plus the key numbers.
  const described = await page.$eval("#gap svg", (svg) =>
    svg
      .getAttribute("aria-describedby")
      .split(" ")
      .map((id) => document.getElementById(id).textContent)
      .join(" "),
  );
  assert.ok(described.includes(caption) && described.includes(`Wave ${waves[0]}:`), described);

  // The distribution at the latest wave: change since the wave before, per group and response.
  const changes = await apiJson(suite.stack.baseURL, `/api/surveys/questions/${QUESTION}/changes?split=party`);
  const rows = await tableRows(page, "#distribution");
  const headers = await page.$$eval("#distribution thead th", (ths) => ths.map((th) => th.textContent));
  assert.deepEqual(headers.slice(7), [
    `Change since wave ${changes.from} (pts)`,
    "Change CI low",
    "Change CI high",
    "Change p",
  ]);
  for (const row of rows) {
    const group = changes.groups.find((g) => (g.group ?? "All respondents") === row[0]);
    const e = group.estimates.find((x) => x.measure === row[1]);
    assert.deepEqual(row.slice(7), [pts(e.difference), pts(e.ci_low), pts(e.ci_high), e.p_value.toPrecision(3)]);
  }
  // Arrows only where the change is significant.
  const arrows = await page.$$eval("#distribution g[data-mark=text] text", (texts) =>
    texts.map((t) => t.textContent).filter((t) => /[▲▼]/.test(t)),
  );
  const significantChanges = changes.groups
    .flatMap((g) => g.estimates.filter((e) => e.measure !== "top2"))
    .filter((e) => e.p_value < 0.05);
  assert.equal(arrows.length, significantChanges.length);

  assert.deepEqual(await seriousA11yViolations(page), []);
  await screenshot(page, "dashboard-gap");
  assert.deepEqual(problems, []);
  await context.close();
});

test("an embedded chart renders inside another site's page, sizes its iframe and passes axe", async () => {
  const embedOrigin = suite.stack.baseURL.replace("127.0.0.1", "localhost");
  const src = `${embedOrigin}/embed/gap?q=${QUESTION}&split=party&theme=light`;
  const site = await otherSite(`<!doctype html><html lang="en"><head><title>A newsroom</title></head><body>
    <h1>Story</h1><p>Some text before the chart.</p>
    <iframe id="chart" src="${src}" title="Partisan gap" width="100%" height="150" style="border:0;width:100%"></iframe>
    <script src="${embedOrigin}/js/embed-resize.js" async></script>
    <iframe id="dashboard" src="${embedOrigin}/" title="Dashboard" width="400" height="200"></iframe>
    </body></html>`);
  try {
    const context = await suite.browser.newContext({ viewport: { width: 700, height: 900 } });
    const page = await context.newPage();
    const problems = watch(page).filter((p) => !p.includes("chrome-error"));
    const requests = [];
    page.on("request", (request) => {
      if (request.url().startsWith(embedOrigin)) requests.push(request);
    });
    await page.goto(site.url);
    const frame = page.frame({ url: (u) => u.href.startsWith(`${embedOrigin}/embed/`) });
    assert.ok(frame, "the chart's frame loaded");
    await frame.waitForSelector("#embed-chart svg");
    assert.match(await frame.textContent("#embed-title"), /Partisan gap/);
    assert.match(await frame.textContent("#embed-source"), /Bright Line Watch, waves [\d, ]+, weighted; n = [\d,]+/);
    assert.equal(await frame.getAttribute("[data-get-data]", "download"), `${QUESTION}-gap-party.csv`);
    // No navigation, no admin links.
    assert.equal(await frame.locator("nav, a[href*='admin']").count(), 0);

    // The resize script set the iframe's height to the chart page's own (from 150).
    await page.waitForFunction(() => document.getElementById("chart").getBoundingClientRect().height > 300);
    const contentHeight = await frame.evaluate(() => document.documentElement.scrollHeight);
    const frameHeight = await page.$eval("#chart", (f) => f.getBoundingClientRect().height);
    assert.ok(Math.abs(frameHeight - contentHeight) <= 2, `iframe ${frameHeight}px, content ${contentHeight}px`);
    // A narrower frame: the chart is redrawn for it.
    await page.$eval("#chart", (f) => {
      f.style.width = "360px";
    });
    await frame.waitForFunction(() => Number(document.querySelector("#embed-chart svg").getAttribute("width")) <= 360);

    // The dashboard itself refuses to be framed: its frame never shows the page.
    const dashboard = page.frame({ url: (u) => u.href === `${embedOrigin}/` });
    assert.equal(dashboard ? await dashboard.locator("#main").count() : 0, 0);

    // axe-core inside the embedded page.
    const axeFrame = await frame.evaluate(() => document.readyState);
    assert.equal(axeFrame, "complete");
    assert.deepEqual(await seriousA11yViolations(frame), []);

    // Only public data was asked for, and never with a cookie.
    const paths = requests.map((r) => new URL(r.url()).pathname);
    const allowed = /^\/(embed\/gap|js\/[\w-]+\.js|css\/app\.css|vendor\/[\w.]+\.js|api\/(surveys|questions)\/.*)$/;
    assert.deepEqual(
      paths.filter((p) => !allowed.test(p) && p !== "/"),
      [],
    );
    for (const request of requests) assert.equal((await request.allHeaders()).cookie, undefined, request.url());
    await screenshot(page, "embed-in-another-site");
    assert.deepEqual(problems, []);
    await context.close();
  } finally {
    site.close();
  }
});

test("embeds send no cookies even where the browser has one, and come in a dark theme", async () => {
  const context = await suite.browser.newContext({ viewport: { width: 800, height: 700 }, colorScheme: "light" });
  // A session cookie for the api's origin, as a logged-in analyst would have.
  const url = new URL(suite.stack.baseURL);
  await context.addCookies([{ name: "session", value: "a-session", domain: url.hostname, path: "/" }]);
  const page = await context.newPage();
  const problems = watch(page);
  const apiRequests = [];
  page.on("request", (request) => {
    if (new URL(request.url()).pathname.startsWith("/api/")) apiRequests.push(request);
  });
  await page.goto(`${suite.stack.baseURL}/embed/trend?q=${QUESTION}&split=party&theme=dark`);
  await page.waitForSelector("#embed-chart svg");
  assert.ok(apiRequests.length > 0);
  for (const request of apiRequests) assert.equal((await request.allHeaders()).cookie, undefined, request.url());

  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(background, "rgb(13, 17, 23)");
  const ink = await page.$eval("#embed-title", (h) => getComputedStyle(h).color);
  assert.equal(ink, "rgb(230, 237, 243)");
  // The chart is drawn on the dark paper too, and its numbers are the api's.
  assert.equal(await page.$eval("#embed-chart svg", (svg) => svg.style.background), "rgb(13, 17, 23)");
  const proportions = await apiJson(suite.stack.baseURL, `/api/surveys/questions/${QUESTION}/proportions?split=party`);
  const rows = await tableRows(page, "body");
  assert.equal(rows.length, 0, "an embed shows no data table; its data is the CSV link");
  const summary = await page.textContent("#embed-view-summary");
  const latest = proportions.cells.filter((c) => c.wave != null && c.group === "Democrat").at(-1);
  assert.ok(
    summary.includes(`Democrat:`) && summary.includes(`${Math.round(latest.top2.p * 100)}% in wave ${latest.wave}`),
    summary,
  );
  assert.deepEqual(await seriousA11yViolations(page), []);
  await screenshot(page, "embed-trend-dark");

  // theme=auto follows the reader's setting.
  await page.emulateMedia({ colorScheme: "dark" });
  await page.goto(`${suite.stack.baseURL}/embed/distribution?q=${QUESTION}&theme=auto`);
  await page.waitForSelector("#embed-chart svg");
  assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), "rgb(13, 17, 23)");

  // A bad address says what is wrong, in the page.
  await page.goto(`${suite.stack.baseURL}/embed/trend?q=${QUESTION}&theme=purple&split=x`);
  const error = await page.textContent("#embed-status [role=alert]");
  assert.ok(error.includes("theme must be one of") && error.includes("split must be one of"), error);
  await page.goto(`${suite.stack.baseURL}/embed/trend?q=imp_nothing`);
  await page.waitForSelector("#embed-status [role=alert]");
  assert.match(await page.textContent("#embed-status"), /no question/);
  assert.deepEqual(
    problems.filter((p) => !p.includes("404")),
    [],
  );
  await context.close();
});

test("every chart has an Embed button whose code frames that chart", async () => {
  const context = await suite.browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const problems = watch(page);
  await page.goto(`${suite.stack.baseURL}/?view=question&q=${QUESTION}&split=ideology&wave=14`);
  await page.waitForSelector("#gap tbody tr", { state: "attached" });
  const cards = await page.$$eval(".chart-card", (cards) => cards.map((c) => c.id));
  assert.deepEqual(cards, ["diverging", "distribution", "trend", "gap"]);
  for (const id of cards) {
    await page.click(`#${id} [data-embed]`);
    const code = await page.inputValue(`#${id} dialog textarea[aria-label="Embed code"]`);
    const src = new URL(code.match(/src="([^"]+)"/)[1].replaceAll("&amp;", "&"));
    assert.equal(src.pathname, `/embed/${id}`);
    assert.deepEqual(
      [src.searchParams.get("q"), src.searchParams.get("wave"), src.searchParams.get("split")],
      [QUESTION, "14", "ideology"],
    );
    assert.ok(code.includes(`${suite.stack.baseURL}/js/embed-resize.js`));
    // The fallback: the chart's PNG, linked to this view, with the caption as its text alternative.
    const fallback = await page.inputValue(`#${id} dialog textarea[aria-label="Fallback code"]`);
    const caption = await page.textContent(`#${id}-caption`);
    assert.match(fallback, new RegExp(`^<a href="[^"]*q=${QUESTION}[^"]*"><img src="${QUESTION}-[\\w-]+\\.png" alt="`));
    assert.ok(fallback.includes(caption.slice(0, 40).replaceAll("&", "&amp;").replaceAll('"', "&quot;")), fallback);
    const [png] = await Promise.all([page.waitForEvent("download"), page.click(`#${id} [data-download=png-fallback]`)]);
    assert.ok(fallback.includes(`src="${png.suggestedFilename()}"`), `${fallback} / ${png.suggestedFilename()}`);
    await page.click(`#${id} dialog button:has-text("Close")`);
  }
  // The embed shows the same chart: the gap view's table rows are the embed's CSV.
  const embed = await context.newPage();
  await embed.goto(`${suite.stack.baseURL}/embed/gap?q=${QUESTION}&split=ideology&wave=14`);
  await embed.waitForSelector("#embed-chart svg");
  assert.match(await embed.textContent("#embed-title"), /Ideological gap/);
  const [download] = await Promise.all([embed.waitForEvent("download"), embed.click("[data-get-data]")]);
  assert.equal(download.suggestedFilename(), `${QUESTION}-gap-ideology.csv`);
  const csv = await readFile(await download.path(), "utf8");
  const dashboardRows = await tableRows(page, "#gap");
  assert.deepEqual(
    csv
      .trim()
      .split(/\r\n/)
      .slice(1)
      .map((l) => l.split(",")),
    dashboardRows,
  );
  // Principles embed too.
  await embed.goto(`${suite.stack.baseURL}/embed/principles?split=none`);
  await embed.waitForSelector("#embed-chart svg");
  assert.match(await embed.textContent("#embed-view-caption"), /on \d+ of \d+ principles/);
  assert.deepEqual(problems, []);
  await context.close();
});
