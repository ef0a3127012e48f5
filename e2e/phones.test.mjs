// Charts and pages on phones, measured in headless Chromium against the real api: at 320–430 px
// wide no two chart labels overlap, none is cut off by its chart or the chart's box, none is
// smaller than 11 px, and every label reads at 4.5:1 or better on what is actually behind it (a
// bar's colour, as painted, for a label inside a bar) in the light and the dark theme; a label
// left out for want of room keeps its number in the tooltip and the table; and no page scrolls
// sideways on a 390 px phone.
import assert from "node:assert/strict";
import { test } from "node:test";
import { apiLogin, browserSuite, postBallot, screenshot } from "./harness.mjs";

const suite = browserSuite("phones", (stack) => stack.createAccount("host@example.org", "admin", "Ada Admin"));
const WIDTHS = [320, 360, 390, 430];
const QUESTION = "perf_judicial_ind";
/** Every chart kind an embed shows, with the view that gives it the most labels. */
const EMBEDS = {
  diverging: `q=${QUESTION}&split=party`,
  distribution: `q=${QUESTION}&split=party`,
  "distribution-nominal": "q=pid7&split=none",
  trend: `q=${QUESTION}&split=ideology`,
  gap: `q=${QUESTION}&split=party`,
  principles: "split=none",
};
const DASHBOARD = [`/?view=question&q=${QUESTION}&split=party`, "/?view=principles&split=none"];
/** A label must read at this contrast at least (WCAG AA for text). */
const MIN_CONTRAST = 4.5;
/** No chart text smaller than this, in CSS px as shown. */
const MIN_FONT = 11;

const phone = (width) =>
  suite.page({ viewport: { width, height: 800 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });

/**
 * Measures every text of every chart (`.chart svg`) on the page; returns what is wrong, one line
 * each: labels that overlap, that stick out of their svg, its box or the screen, that are smaller
 * than `minFont`, or whose contrast with what is painted behind them is below `minContrast`.
 * Runs in the page.
 */
function chartProblems({ minContrast, minFont }) {
  const rgba = (css) => {
    const m = /rgba?\(([^)]+)\)/.exec(css ?? "");
    if (!m) return null;
    const [r, g, b, a = 1] = m[1]
      .split(/[\s,/]+/)
      .filter(Boolean)
      .map(Number);
    return { r, g, b, a };
  };
  const over = (top, alpha, bottom) => ({
    r: top.r * alpha + bottom.r * (1 - alpha),
    g: top.g * alpha + bottom.g * (1 - alpha),
    b: top.b * alpha + bottom.b * (1 - alpha),
  });
  const luminance = ({ r, g, b }) => {
    const c = (v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * c(r) + 0.7152 * c(g) + 0.0722 * c(b);
  };
  const contrast = (a, b) => {
    const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const hex = ({ r, g, b }) => `#${[r, g, b].map((v) => Math.round(v).toString(16).padStart(2, "0")).join("")}`;
  /** The opacity an element is painted with: its own and its ancestors' up to the svg. */
  const opacity = (node, svg) => {
    let o = 1;
    for (let n = node; n && n !== svg.parentNode; n = n.parentNode) o *= Number(getComputedStyle(n).opacity);
    return o;
  };
  /** The page behind the svg: the first opaque background up its ancestors (white at the end). */
  const pageBehind = (svg) => {
    const layers = [];
    for (let n = svg; n && n.nodeType === 1; n = n.parentElement) {
      const c = rgba(getComputedStyle(n).backgroundColor);
      if (c && c.a > 0) layers.push(c);
      if (c && c.a === 1) break;
    }
    return layers.reverse().reduce((bg, c) => over(c, c.a, bg), { r: 255, g: 255, b: 255 });
  };
  const problems = [];
  for (const svg of document.querySelectorAll(".chart svg")) {
    const chart = svg.closest("[id]")?.id ?? "chart";
    const svgBox = svg.getBoundingClientRect();
    const boxOf = svg.closest(".chart").getBoundingClientRect();
    if (svgBox.left < boxOf.left - 0.5 || svgBox.right > boxOf.right + 0.5)
      problems.push(`${chart}: the svg (${svgBox.width}px) is wider than its box (${boxOf.width}px)`);
    const scale = svgBox.width / svg.width.baseVal.value;
    const shapes = [...svg.querySelectorAll("rect, path, circle, ellipse, polygon")];
    const texts = [...svg.querySelectorAll("text")].filter(
      (t) => t.textContent.trim() && !t.closest("[data-mark=tip], [aria-label=tip]") && t.getClientRects().length,
    );
    const paper = pageBehind(svg);
    const boxes = texts.map((t) => ({ t, box: t.getBoundingClientRect(), label: t.textContent.trim() }));
    for (const [i, { t, box, label }] of boxes.entries()) {
      const name = `${chart}: "${label}"`;
      // Cut off: by the svg, by the chart's box, by the screen.
      for (const [what, r] of [
        ["svg", svgBox],
        ["box", boxOf],
        ["screen", { left: 0, top: -Infinity, right: document.documentElement.clientWidth, bottom: Infinity }],
      ]) {
        if (
          box.left < r.left - 0.5 ||
          box.right > r.right + 0.5 ||
          box.top < r.top - 0.5 ||
          box.bottom > r.bottom + 0.5
        )
          problems.push(
            `${name} is cut off by the ${what} (label ${box.left.toFixed(1)}–${box.right.toFixed(1)} × ${box.top.toFixed(1)}–${box.bottom.toFixed(1)}, ${what} ${r.left.toFixed(1)}–${r.right.toFixed(1)} × ${r.top.toFixed(1)}–${r.bottom.toFixed(1)})`,
          );
      }
      // Overlap with any later label.
      for (const other of boxes.slice(i + 1)) {
        const w = Math.min(box.right, other.box.right) - Math.max(box.left, other.box.left);
        const h = Math.min(box.bottom, other.box.bottom) - Math.max(box.top, other.box.top);
        if (w > 0.5 && h > 0.5)
          problems.push(`${name} overlaps "${other.label}" (${w.toFixed(1)} × ${h.toFixed(1)} px)`);
      }
      // Size as shown.
      const size = Number.parseFloat(getComputedStyle(t).fontSize) * scale;
      if (size < minFont - 0.01) problems.push(`${name} is ${size.toFixed(1)}px, under ${minFont}px`);
      // Contrast: the text's colour against everything painted under it (before it, in the svg's
      // paint order) at the centre and four inner points of the label, over the page; a label with
      // a halo (a wide stroke painted first) is on its halo.
      const style = getComputedStyle(t);
      const fill = rgba(style.fill);
      if (!fill) {
        problems.push(`${name} has no plain fill colour (${style.fill})`);
        continue;
      }
      const halo =
        style.stroke !== "none" && Number.parseFloat(style.strokeWidth) >= 2 && /^stroke/.test(style.paintOrder)
          ? rgba(style.stroke)
          : null;
      let worst = null;
      for (const [fx, fy] of [
        [0.5, 0.5],
        [0.25, 0.3],
        [0.75, 0.3],
        [0.25, 0.7],
        [0.75, 0.7],
      ]) {
        const point = new DOMPoint(box.left + fx * box.width, box.top + fy * box.height);
        let bg = paper;
        for (const shape of shapes) {
          if (!(shape.compareDocumentPosition(t) & Node.DOCUMENT_POSITION_FOLLOWING)) continue;
          const s = getComputedStyle(shape);
          const color = rgba(s.fill);
          if (!color || s.display === "none" || s.visibility === "hidden") continue;
          const alpha = color.a * Number(s.fillOpacity) * opacity(shape, svg);
          if (alpha <= 0) continue;
          const local = point.matrixTransform(shape.getScreenCTM().inverse());
          if (shape.isPointInFill(local)) bg = over(color, alpha, bg);
        }
        if (halo) bg = over(halo, halo.a * Number(style.strokeOpacity) * opacity(t, svg), bg);
        const ink = over(fill, fill.a * Number(style.fillOpacity) * opacity(t, svg), bg);
        const ratio = contrast(ink, bg);
        if (!worst || ratio < worst.ratio) worst = { ratio, ink, bg };
      }
      if (worst.ratio < minContrast)
        problems.push(`${name} has contrast ${worst.ratio.toFixed(2)} (${hex(worst.ink)} on ${hex(worst.bg)})`);
    }
  }
  return problems;
}

/** How far the page scrolls sideways (0: not at all). On a phone, content wider than the screen
 *  makes the browser zoom out and widen innerWidth with it: the screen's width is clientWidth. */
const sideways = (page) =>
  page.evaluate(() => {
    const { scrollWidth, clientWidth } = document.documentElement;
    return Math.max(scrollWidth - innerWidth, scrollWidth - clientWidth);
  });

/** Loads `path` on a phone `width` px wide and waits for `ready`; what is wrong with its charts. */
async function measured(page, path, ready = ".chart svg") {
  await page.goto(`${suite.stack.baseURL}${path}`);
  await page.waitForSelector(ready);
  await page.waitForFunction(() => !document.querySelector("[aria-busy=true]"));
  return page.evaluate(chartProblems, { minContrast: MIN_CONTRAST, minFont: MIN_FONT });
}

const slugOf = (path) => path.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "");

test("embedded charts of every kind: labels apart, inside, big enough and readable, both themes", async () => {
  const failures = [];
  for (const width of WIDTHS) {
    const page = await phone(width);
    for (const theme of ["light", "dark"]) {
      for (const [name, query] of Object.entries(EMBEDS)) {
        const path = `/embed/${name.replace(/-.*/, "")}?${query}&theme=${theme}`;
        const problems = await measured(page, path);
        const scroll = width === 390 ? await sideways(page) : 0;
        if (scroll > 0) problems.push(`the page scrolls sideways by ${scroll}px`);
        if (problems.length) {
          failures.push(`${path} at ${width}px:\n  ${problems.join("\n  ")}`);
          await screenshot(page, `phones-${width}-${theme}-${name}`);
        }
      }
    }
  }
  assert.deepEqual(failures, []);
  assert.deepEqual(suite.problems.flat(), []);
});

test("the dashboard's charts on phones: labels apart, inside, big enough and readable", async () => {
  const failures = [];
  for (const width of WIDTHS) {
    const page = await phone(width);
    for (const path of DASHBOARD) {
      const problems = await measured(page, path, ".chart-card .chart svg");
      const scroll = width === 390 ? await sideways(page) : 0;
      if (scroll > 0) problems.push(`the page scrolls sideways by ${scroll}px`);
      if (problems.length) {
        failures.push(`${path} at ${width}px:\n  ${problems.join("\n  ")}`);
        await screenshot(page, `phones-${width}-dashboard-${slugOf(path)}`);
      }
    }
  }
  assert.deepEqual(failures, []);
  assert.deepEqual(suite.problems.flat(), []);
});

test("a share left out of its bar on a phone is still in its tooltip and the table", async () => {
  const page = await phone(320);
  await page.goto(`${suite.stack.baseURL}${DASHBOARD[0]}`);
  await page.waitForSelector("#diverging tbody tr");
  const table = await page.$$eval("#diverging tbody tr", (rows) =>
    rows.map((row) => [...row.cells].map((cell) => cell.textContent.trim())),
  );
  const responses = await page.$$eval("#diverging thead th", (ths) => ths.slice(1, 5).map((th) => th.textContent));
  // The bars whose middle no label covers: each is a share left to the tooltip.
  await page.$eval("#diverging .chart", (chart) => chart.scrollIntoView({ block: "center" }));
  const unlabelled = await page.$$eval("#diverging g[data-mark=bar] rect", (rects) => {
    const labels = [...document.querySelectorAll("#diverging svg text")].map((t) => t.getBoundingClientRect());
    return rects
      .map((rect, i) => {
        const r = rect.getBoundingClientRect();
        const [x, y] = [r.left + r.width / 2, r.top + r.height / 2];
        const labelled = labels.some((l) => l.left <= x && x <= l.right && l.top <= y && y <= l.bottom);
        return { i, x, y, labelled };
      })
      .filter((bar) => !bar.labelled);
  });
  const labels = await page.locator("#diverging g[data-mark=bar] rect").count();
  assert.equal(labels, table.length * 4, "a bar per group and response");
  assert.ok(unlabelled.length > 0, "on a 320 px phone some shares do not fit their bars");
  assert.ok(unlabelled.length < labels, "and the others do");
  for (const bar of unlabelled) {
    const [group, response] = [table[Math.floor(bar.i / 4)], responses[bar.i % 4]];
    // A tap, as on a phone, shows the tooltip of the bar under the finger.
    await page.touchscreen.tap(bar.x, bar.y);
    // Plot draws the tip when it is first needed, after describeChart moved the marks' names.
    const tip = page.locator("#diverging svg > g:is([data-mark=tip], [aria-label=tip])");
    await tip.filter({ hasText: "%" }).waitFor();
    const text = (await tip.textContent()).replace(/\s+/g, " ");
    const share = group[1 + (bar.i % 4)];
    assert.ok(
      text.includes(group[0]) && text.includes(response.replace(/ %$/, "")) && text.includes(`${share}%`),
      `tooltip "${text}" lacks ${group[0]}, ${response}, ${share}%`,
    );
  }
  assert.deepEqual(suite.problems.flat(), []);
});

/** A closed all-at-once poll with a scale, a choice and a catalog question, answered by a few. */
async function answeredPoll() {
  const { request } = await apiLogin(suite.stack.baseURL, "host@example.org");
  const created = await request("/api/admin/polls", "POST", {
    title: "Town hall on democratic norms",
    description: "",
    questions: [
      {
        kind: "scale",
        text: "How likely is a peaceful transfer of power in 2029?",
        min: 0,
        max: 10,
        min_label: "Not at all likely",
        max_label: "Certain beyond any reasonable doubt",
      },
      {
        kind: "choice",
        text: "Which of these worries you most about the next election?",
        options: ["Foreign interference", "Voter suppression", "Violence at polling places", "Something else"],
      },
      { kind: "catalog", var_name: QUESTION },
      { kind: "catalog", var_name: "pid3" },
    ],
    split_by: "pid3",
  });
  assert.equal(created.status, 201, await created.clone().text());
  const poll = await created.json();
  assert.equal((await request(`/api/admin/polls/${poll.id}`, "PATCH", { is_open: true })).status, 200);
  for (let i = 0; i < 9; i += 1) {
    const [scale, choice, catalog, party] = poll.questions.map((q) => q.var_name);
    const response = await postBallot(suite.stack.baseURL, poll.slug, `phone-token-${i}`, [
      { var_name: scale, value: (i * 3) % 11 },
      { var_name: choice, response_index: i % 4 },
      { var_name: catalog, response_index: i % 4 },
      { var_name: party, response_index: i % 3 },
    ]);
    assert.equal(response.status, 201, await response.text());
  }
  assert.equal((await request(`/api/admin/polls/${poll.id}`, "PATCH", { is_open: false })).status, 200);
  return poll;
}

test("no page scrolls sideways on a 390 px phone", async () => {
  const poll = await answeredPoll();
  const page = await phone(390);
  const pages = [
    ["/join", "#join-code"],
    ["/admin", "#email"],
    // The poll's final results, with the scale's histogram, its means and its table for screen readers.
    [`/polls/${poll.slug}`, ".scale-body"],
    ...DASHBOARD.map((path) => [path, ".chart-card .chart svg"]),
    ...Object.entries(EMBEDS).map(([name, query]) => [`/embed/${name.replace(/-.*/, "")}?${query}`, ".chart svg"]),
  ];
  const failures = [];
  for (const [path, ready] of pages) {
    await page.goto(`${suite.stack.baseURL}${path}`);
    await page.waitForSelector(ready);
    if (path.startsWith("/polls/")) {
      // Every question's results are in, and the scale's table has its numbers.
      await page.waitForFunction(() => document.querySelectorAll(".result-card").length === 4);
      await page.waitForFunction(() =>
        /\d/.test(document.querySelector(".scale-body ~ .visually-hidden table td")?.textContent ?? ""),
      );
    }
    const scroll = await sideways(page);
    if (scroll > 0) {
      const widest = await page.evaluate(() =>
        [...document.querySelectorAll("body *")]
          .filter((n) => n.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
          .slice(0, 5)
          .map((n) => `${n.tagName.toLowerCase()}.${n.className} (${Math.round(n.getBoundingClientRect().right)}px)`),
      );
      failures.push(`${path} scrolls sideways by ${scroll}px: ${widest.join(", ")}`);
      await screenshot(page, `phones-scroll-${slugOf(path)}`);
    }
  }
  assert.deepEqual(failures, []);
  assert.deepEqual(suite.problems.flat(), []);
});
