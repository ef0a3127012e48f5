// The dashboard's charts (Observable Plot, vendored), each with its legend, data table, and
// CSV / PNG / SVG downloads built from the very rows the chart and the table show.
import {
  ALL,
  SMALL_N,
  download,
  el,
  groupStyle,
  integer,
  legendItem,
  pct0,
  pct1,
  pctNumber,
  responseColors,
  symbolPath,
  toCsv,
} from "./common.js";

/** A table row's estimate columns: weighted %, 95% CI low and high, n, n_eff. */
function estimateCells(d) {
  return [pctNumber(d.p), pctNumber(d.share.ci_low), pctNumber(d.share.ci_high), String(d.n), d.n_eff.toFixed(1)];
}

const INK = "#1b1f24";
const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif";

const colorOf = (row) => groupStyle(row.group, row.groupIndex).color;
const symbolOf = (row) => groupStyle(row.group, row.groupIndex).symbol;

/** The text a tooltip shows for one estimate. */
function estimateText(label, share, n, nEff) {
  const ci =
    share.ci_low == null ? "CI not defined (one respondent)" : `95% CI ${pct1(share.ci_low)} – ${pct1(share.ci_high)}`;
  return `${label}: ${pct1(share.p)} weighted\n${ci}\nn = ${integer(n)}, n_eff = ${nEff.toFixed(1)}${n < SMALL_N ? "\nFewer than 100 respondents" : ""}`;
}

/** Distribution of responses per group for one wave: bars with CI whiskers, one row per group. */
export function distributionChart(cells, responses, width) {
  const groups = cells.map((cell) => cell.group ?? ALL);
  const rows = cells.flatMap((cell, groupIndex) =>
    cell.responses.map((share, responseIndex) => ({
      group: cell.group ?? ALL,
      groupIndex,
      response: share.response,
      responseIndex,
      p: share.p,
      lo: share.ci_low ?? share.p,
      hi: share.ci_high ?? share.p,
      share,
      n: cell.n,
      n_eff: cell.n_eff,
      small: cell.n < SMALL_N,
    })),
  );
  const svg = Plot.plot({
    width,
    height: Math.max(160, responses.length * (groups.length * 24 + 18) + 50),
    marginLeft: Math.min(220, 12 + 7 * Math.max(...responses.map((r) => r.length))),
    marginRight: 48,
    style: { fontFamily: FONT, fontSize: "13px", color: INK, background: "white" },
    x: {
      domain: [0, Math.min(1, Math.ceil((d3.max(rows, (d) => d.hi) + 0.04) * 10) / 10)],
      tickFormat: "%",
      label: "Weighted % of respondents →",
      grid: true,
      labelAnchor: "left",
    },
    y: { domain: groups, axis: null },
    fy: { domain: responses, label: null, axis: "left", padding: 0.25 },
    marks: [
      Plot.barX(rows, {
        fy: "response",
        y: "group",
        x: "p",
        fill: colorOf,
        fillOpacity: (d) => (d.small ? 0.25 : 0.85),
        stroke: colorOf,
        strokeWidth: 1,
      }),
      Plot.ruleY(rows, { fy: "response", y: "group", x1: "lo", x2: "hi", stroke: INK, strokeWidth: 1.5 }),
      Plot.tickX(rows, { fy: "response", y: "group", x: "lo", stroke: INK, inset: 5 }),
      Plot.tickX(rows, { fy: "response", y: "group", x: "hi", stroke: INK, inset: 5 }),
      Plot.dot(rows, {
        fy: "response",
        y: "group",
        x: "p",
        symbol: symbolOf,
        fill: (d) => (d.small ? "white" : colorOf(d)),
        stroke: colorOf,
        strokeWidth: 1.5,
        r: 4.5,
      }),
      Plot.text(rows, {
        fy: "response",
        y: "group",
        x: "hi",
        text: (d) => pct0(d.p),
        dx: 6,
        textAnchor: "start",
        fill: INK,
      }),
      Plot.tip(
        rows,
        Plot.pointerY({
          fy: "response",
          y: "group",
          x: "p",
          title: (d) => `${d.group} — ${d.response}\n${estimateText("Share", d.share, d.n, d.n_eff)}`,
        }),
      ),
    ],
  });
  const table = {
    caption: "Weighted share of each response per group, with 95% confidence interval",
    header: ["Group", "Response", "Weighted %", "95% CI low", "95% CI high", "n", "n_eff"],
    numeric: [false, false, true, true, true, true, true],
    rows: rows.map((d) => [d.group, d.response, ...estimateCells(d)]),
    small: rows.map((d) => d.small),
  };
  return { svg, table, groups, small: rows.some((d) => d.small) };
}

/** Diverging bars for a four-point scale: the two lower responses left of zero, the two upper
 *  right of it, one bar per group, coloured from the negative to the positive end. Whiskers: the
 *  95% CI of the top-two share on the right, of its complement (the bottom two) on the left. */
export function divergingChart(cells, responses, width) {
  const colors = responseColors(responses.length);
  const groups = cells.map((cell) => cell.group ?? ALL);
  const segments = cells.flatMap((cell) => {
    const group = cell.group ?? ALL;
    const [p0, p1, p2, p3] = cell.responses.map((r) => r.p);
    const spans = [
      [-(p0 + p1), -p1],
      [-p1, 0],
      [0, p2],
      [p2, p2 + p3],
    ];
    return cell.responses.map((share, i) => ({
      group,
      response: share.response,
      index: i,
      x1: spans[i][0],
      x2: spans[i][1],
      share,
      n: cell.n,
      n_eff: cell.n_eff,
      small: cell.n < SMALL_N,
    }));
  });
  const whiskers = cells
    .filter((cell) => cell.top2.ci_low != null)
    .flatMap((cell) => [
      { group: cell.group ?? ALL, lo: cell.top2.ci_low, hi: cell.top2.ci_high },
      { group: cell.group ?? ALL, lo: -(1 - cell.top2.ci_high), hi: -(1 - cell.top2.ci_low) },
    ]);
  const reach = Math.min(
    1,
    Math.ceil(
      (d3.max([
        ...segments.map((d) => Math.abs(d.x1)),
        ...segments.map((d) => d.x2),
        ...whiskers.map((d) => Math.max(-d.lo, d.hi)),
      ]) +
        0.05) *
        10,
    ) / 10,
  );
  const inkOn = (i) => (i === 3 ? "white" : "#1b1f24");
  const svg = Plot.plot({
    width,
    height: 60 + groups.length * 44,
    marginLeft: 150,
    marginRight: 20,
    style: { fontFamily: FONT, fontSize: "13px", color: INK, background: "white" },
    x: {
      domain: [-reach, reach],
      tickFormat: (v) => `${Math.round(Math.abs(v) * 100)}%`,
      label: `← ${responses.slice(0, 2).reverse().join(", ")}   ·   ${responses.slice(2).join(", ")} →`,
      labelAnchor: "center",
      grid: true,
    },
    y: { domain: groups, label: null, tickSize: 0 },
    marks: [
      Plot.barX(segments, {
        y: "group",
        x1: "x1",
        x2: "x2",
        fill: (d) => colors[d.index],
        fillOpacity: (d) => (d.small ? 0.45 : 1),
        stroke: "white",
        strokeWidth: 1,
        inset: 0.5,
      }),
      Plot.text(
        segments.filter((d) => d.x2 - d.x1 >= 0.06),
        {
          y: "group",
          x: (d) => (d.x1 + d.x2) / 2,
          text: (d) => pct0(d.share.p),
          fill: (d) => inkOn(d.index),
          fontWeight: 600,
        },
      ),
      Plot.ruleX([0], { stroke: INK, strokeWidth: 1.5 }),
      Plot.ruleY(whiskers, { y: "group", x1: "lo", x2: "hi", stroke: INK, strokeWidth: 1.5, dy: 15 }),
      Plot.tickX(whiskers, { y: "group", x: "lo", stroke: INK, dy: 15, inset: 12 }),
      Plot.tickX(whiskers, { y: "group", x: "hi", stroke: INK, dy: 15, inset: 12 }),
      Plot.tip(
        segments,
        Plot.pointer({
          y: "group",
          x: (d) => (d.x1 + d.x2) / 2,
          title: (d) => `${d.group} — ${d.response}\n${estimateText("Share", d.share, d.n, d.n_eff)}`,
        }),
      ),
    ],
  });
  const table = {
    caption: "Weighted share of each response per group, and of the top two with its 95% confidence interval",
    header: ["Group", ...responses.map((r) => `${r} %`), "Top-2 %", "Top-2 CI low", "Top-2 CI high", "n"],
    numeric: [false, ...responses.map(() => true), true, true, true, true],
    rows: cells.map((cell) => [
      cell.group ?? ALL,
      ...cell.responses.map((r) => pctNumber(r.p)),
      pctNumber(cell.top2.p),
      pctNumber(cell.top2.ci_low),
      pctNumber(cell.top2.ci_high),
      String(cell.n),
    ]),
    small: cells.map((cell) => cell.n < SMALL_N),
  };
  const legend = responses.map((response, i) => ({ label: response, color: colors[i] }));
  return { svg, table, groups, legend, small: cells.some((cell) => cell.n < SMALL_N) };
}

/** Top-2 share over waves per group: lines with CI bands, shapes at each wave, labels at the ends. */
export function trendChart(cells, width) {
  const perWave = cells.filter((cell) => cell.wave != null);
  const groupNames = [...new Set(perWave.map((cell) => cell.group ?? ALL))];
  const rows = perWave.map((cell) => {
    const group = cell.group ?? ALL;
    return {
      wave: cell.wave,
      group,
      groupIndex: groupNames.indexOf(group),
      p: cell.top2.p,
      lo: cell.top2.ci_low ?? cell.top2.p,
      hi: cell.top2.ci_high ?? cell.top2.p,
      share: cell.top2,
      n: cell.n,
      n_eff: cell.n_eff,
      small: cell.n < SMALL_N,
    };
  });
  const waves = [...new Set(rows.map((d) => d.wave))].sort((a, b) => a - b);
  const height = 360;
  const margin = { top: 24, bottom: 40 };
  const labels = endLabels(rows, (height - margin.top - margin.bottom) / 16);
  const svg = Plot.plot({
    width,
    height,
    marginLeft: 44,
    marginTop: margin.top,
    marginRight: width < 600 ? 120 : 215,
    marginBottom: margin.bottom,
    style: { fontFamily: FONT, fontSize: "13px", color: INK, background: "white" },
    x: {
      label: "Wave →",
      tickFormat: "d",
      ticks: waves.length > 12 ? undefined : waves,
      domain: waves.length === 1 ? [waves[0] - 1, waves[0] + 1] : d3.extent(waves),
      labelAnchor: "right",
    },
    y: { domain: [0, 1], tickFormat: "%", label: "↑ Top-2 share (weighted %)", grid: true },
    marks: [
      Plot.areaY(rows, { x: "wave", y1: "lo", y2: "hi", z: "group", fill: colorOf, fillOpacity: 0.14 }),
      Plot.lineY(rows, { x: "wave", y: "p", z: "group", stroke: colorOf, strokeWidth: 2 }),
      Plot.dot(rows, {
        x: "wave",
        y: "p",
        symbol: symbolOf,
        fill: (d) => (d.small ? "white" : colorOf(d)),
        stroke: colorOf,
        strokeWidth: 1.5,
        r: 4,
      }),
      Plot.text(labels, {
        x: "wave",
        y: "labelY",
        text: (d) => `${d.group} ${pct0(d.p)}`,
        dx: 8,
        textAnchor: "start",
        fill: colorOf,
        fontWeight: 600,
        lineWidth: width < 600 ? 7 : 14,
      }),
      Plot.tip(
        rows,
        Plot.pointer({
          x: "wave",
          y: "p",
          title: (d) => `${d.group}, wave ${d.wave}\n${estimateText("Top-2 share", d.share, d.n, d.n_eff)}`,
        }),
      ),
    ],
  });
  const table = {
    caption: "Top-2 share per wave and group, with 95% confidence interval",
    header: ["Wave", "Group", "Top-2 weighted %", "95% CI low", "95% CI high", "n", "n_eff"],
    numeric: [true, false, true, true, true, true, true],
    rows: rows.map((d) => [String(d.wave), d.group, ...estimateCells(d)]),
    small: rows.map((d) => d.small),
  };
  return { svg, table, groups: groupNames, small: rows.some((d) => d.small) };
}

/** The last point of each group's line, with label positions pushed apart to `gap` (in y units,
 *  shares) so that labels at the line ends never overlap. */
function endLabels(rows, linesPerPlot) {
  const gap = 1 / linesPerPlot;
  const last = [...d3.group(rows, (d) => d.group).values()].map((points) =>
    points.reduce((a, b) => (b.wave > a.wave ? b : a)),
  );
  const sorted = last.map((d) => ({ ...d, labelY: d.p })).sort((a, b) => a.labelY - b.labelY);
  for (let i = 1; i < sorted.length; i += 1) sorted[i].labelY = Math.max(sorted[i].labelY, sorted[i - 1].labelY + gap);
  const overflow = sorted.length ? sorted[sorted.length - 1].labelY - 1 : 0;
  if (overflow > 0)
    sorted.forEach((d) => {
      d.labelY -= overflow;
    });
  return sorted;
}

/** Importance vs performance, one point per principle and group, CI whiskers both ways. */
export function principlesChart(principles, width, onPick) {
  const groupNames = [...new Set(principles.flatMap((p) => p.groups.map((g) => g.group ?? ALL)))];
  const rows = principles.flatMap((principle) =>
    principle.groups.map((g) => {
      const group = g.group ?? ALL;
      return {
        principle,
        label: principle.short_text ?? principle.characteristic,
        group,
        groupIndex: groupNames.indexOf(group),
        imp: { ...g.importance, share: g.importance },
        perf: { ...g.performance, share: g.performance },
        small: g.importance.n < SMALL_N || g.performance.n < SMALL_N,
      };
    }),
  );
  // Labels for every point would pile up: name the principles with the widest and the narrowest
  // gap between importance and performance (everyone only); the tooltip and table name the rest.
  const byGap = groupNames.length === 1 ? [...rows].sort((a, b) => b.imp.p - b.perf.p - (a.imp.p - a.perf.p)) : [];
  const labelled = new Set([...byGap.slice(0, 3), ...byGap.slice(-3)]);
  const low = (key) => Math.max(0, Math.floor((d3.min(rows, (d) => d[key].ci_low ?? d[key].p) - 0.05) * 10) / 10);
  const high = (key) => Math.min(1, Math.ceil((d3.max(rows, (d) => d[key].ci_high ?? d[key].p) + 0.05) * 10) / 10);
  const svg = Plot.plot({
    width,
    height: Math.min(640, Math.max(380, width * 0.62)),
    marginLeft: 44,
    marginRight: 24,
    marginBottom: 44,
    style: { fontFamily: FONT, fontSize: "13px", color: INK, background: "white" },
    x: {
      domain: [low("imp"), high("imp")],
      tickFormat: "%",
      label: "Importance: top-2 share (weighted %) →",
      grid: true,
    },
    y: {
      domain: [low("perf"), high("perf")],
      tickFormat: "%",
      label: "↑ Performance: top-2 share (weighted %)",
      grid: true,
    },
    marks: [
      Plot.line(
        [
          [0, 0],
          [1, 1],
        ],
        { stroke: "#999", strokeDasharray: "4 4", clip: true },
      ),
      // 95% CI whiskers: importance across, performance up and down.
      ...[
        [Plot.ruleY, "x", "imp", "y", "perf"],
        [Plot.ruleX, "y", "perf", "x", "imp"],
      ].map(([rule, along, measure, at, other]) =>
        rule(rows, {
          [at]: (d) => d[other].share.p,
          [`${along}1`]: (d) => d[measure].share.ci_low ?? d[measure].share.p,
          [`${along}2`]: (d) => d[measure].share.ci_high ?? d[measure].share.p,
          stroke: colorOf,
          strokeOpacity: groupNames.length > 1 ? 0.3 : 0.55,
        }),
      ),
      Plot.dot(rows, {
        x: (d) => d.imp.share.p,
        y: (d) => d.perf.share.p,
        symbol: symbolOf,
        fill: (d) => (d.small ? "white" : colorOf(d)),
        stroke: colorOf,
        strokeWidth: 1.5,
        r: 5,
      }),
      Plot.text([...labelled], {
        x: (d) => d.imp.p,
        y: (d) => d.perf.p,
        text: "label",
        dx: -8,
        textAnchor: "end",
        lineWidth: 16,
        fontSize: 11,
        fill: "#333",
        stroke: "white",
        strokeWidth: 3,
        paintOrder: "stroke",
      }),
      Plot.tip(
        rows,
        Plot.pointer({
          x: (d) => d.imp.share.p,
          y: (d) => d.perf.share.p,
          title: (d) =>
            `${d.principle.text}\n${d.group}\n${estimateText("Importance", d.imp.share, d.imp.n, d.imp.n_eff)}\n${estimateText("Performance", d.perf.share, d.perf.n, d.perf.n_eff)}\nClick to open the performance question`,
        }),
      ),
    ],
  });
  // Plot sets `value` to the datum under the pointer: a click opens that principle's question.
  svg.style.cursor = "pointer";
  svg.addEventListener("click", () => {
    if (svg.value) onPick(svg.value.perf.var_name);
  });
  const table = {
    caption: "Top-2 share of importance and performance per principle and group, with 95% confidence intervals",
    header: ["Principle", "Group", "Importance %", "CI low", "CI high", "n", "Performance %", "CI low", "CI high", "n"],
    numeric: [false, false, true, true, true, true, true, true, true, true],
    rows: rows.map((d) => [
      d.label,
      d.group,
      pctNumber(d.imp.share.p),
      pctNumber(d.imp.share.ci_low),
      pctNumber(d.imp.share.ci_high),
      String(d.imp.n),
      pctNumber(d.perf.share.p),
      pctNumber(d.perf.share.ci_low),
      pctNumber(d.perf.share.ci_high),
      String(d.perf.n),
    ]),
    small: rows.map((d) => d.small),
    links: rows.map((d) => d.perf.var_name),
  };
  return { svg, table, groups: groupNames, small: rows.some((d) => d.small) };
}

/** A chart with its heading, question text, legend, note, downloads and data table. */
export function chartCard({ id, title, subtitle, question, chart, filename, tableOpen = true, linkFor }) {
  const legend = el(
    "div",
    { class: "legend", "aria-hidden": "true" },
    chart.legend
      ? chart.legend.map(({ label, color }) =>
          el("span", { class: "legend-item" }, el("span", { class: "swatch", style: `background:${color}` }), label),
        )
      : chart.groups.map((g, i) => legendItem(g, i)),
  );
  // Plot labels each mark's <g> with aria-label, which ARIA forbids on role-less elements; inside
  // an image the names are noise anyway: keep them as data-mark.
  for (const node of chart.svg.querySelectorAll("[aria-label]")) {
    node.dataset.mark = node.getAttribute("aria-label");
    node.removeAttribute("aria-label");
  }
  chart.svg.setAttribute("role", "img");
  chart.svg.setAttribute("aria-label", `${title}. The data table below has the same numbers.`);
  const table = dataTable(chart.table, linkFor);
  const tools = el(
    "div",
    { class: "chart-tools" },
    el(
      "button",
      {
        type: "button",
        class: "secondary small",
        "data-download": "csv",
        onclick: () => download(`${filename}.csv`, toCsv(chart.table.header, chart.table.rows), "text/csv"),
      },
      "Download CSV",
    ),
    el(
      "button",
      {
        type: "button",
        class: "secondary small",
        "data-download": "png",
        onclick: () => downloadPng(chart, title, `${filename}.png`),
      },
      "Download PNG",
    ),
    el(
      "button",
      {
        type: "button",
        class: "secondary small",
        "data-download": "svg",
        onclick: () => download(`${filename}.svg`, exportSvg(chart, title), "image/svg+xml"),
      },
      "Download SVG",
    ),
  );
  return el(
    "section",
    { class: "panel chart-card", id, "aria-labelledby": `${id}-title` },
    el("h2", { id: `${id}-title` }, title, subtitle ? el("small", {}, subtitle) : null),
    question,
    legend,
    el("div", { class: "chart" }, chart.svg),
    chart.small
      ? el(
          "p",
          { class: "note" },
          `Hollow, faded marks and italic table rows: fewer than ${SMALL_N} respondents; read with care.`,
        )
      : null,
    tools,
    el(
      "details",
      { class: "data", open: tableOpen },
      el("summary", {}, `Data table (${chart.table.rows.length} rows)`),
      table,
    ),
  );
}

function dataTable({ caption, header, numeric, rows, small, links }, linkFor) {
  return el(
    "div",
    { class: "table-wrap" },
    el(
      "table",
      {},
      el("caption", {}, caption),
      el(
        "thead",
        {},
        el(
          "tr",
          {},
          header.map((h, i) => el("th", { scope: "col", class: numeric[i] ? "num" : null }, h)),
        ),
      ),
      el(
        "tbody",
        {},
        rows.map((row, r) =>
          el(
            "tr",
            { class: small[r] ? "small-n" : null },
            row.map((value, i) => {
              const content = i === 0 && links && linkFor ? el("a", { href: linkFor(links[r]) }, value) : value;
              return i === 0
                ? el("th", { scope: "row", class: numeric[i] ? "num" : null }, content)
                : el("td", { class: numeric[i] ? "num" : null }, value);
            }),
          ),
        ),
      ),
    ),
  );
}

/** A stand-alone SVG: the chart under its title and legend, fonts and background inlined. */
function exportSvg(chart, title) {
  const width = Number(chart.svg.getAttribute("width"));
  const height = Number(chart.svg.getAttribute("height"));
  const header = 56;
  const ns = "http://www.w3.org/2000/svg";
  const node = (tag, attributes, text) => {
    const created = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attributes)) created.setAttribute(k, v);
    if (text) created.textContent = text;
    return created;
  };
  const root = node("svg", {
    xmlns: ns,
    width,
    height: height + header,
    viewBox: `0 0 ${width} ${height + header}`,
    "font-family": FONT,
  });
  root.append(
    node("rect", { width, height: height + header, fill: "white" }),
    node("text", { x: 8, y: 20, "font-size": 16, "font-weight": 700, fill: INK }, title),
  );
  // The legend as on the page: response swatches, or each group's shape in its colour.
  const items = chart.legend ?? chart.groups.map((group, i) => ({ label: group, ...groupStyle(group, i) }));
  let x = 8;
  for (const item of items) {
    const mark = item.symbol
      ? node("path", { d: symbolPath(item.symbol), fill: item.color, transform: `translate(${x + 6},40)` })
      : node("rect", { x, y: 34, width: 12, height: 12, fill: item.color });
    root.append(mark, node("text", { x: x + 16, y: 45, "font-size": 13, fill: INK }, item.label));
    x += 30 + item.label.length * 7.5;
  }
  const body = chart.svg.cloneNode(true);
  for (const tip of body.querySelectorAll("[data-mark='tip']")) tip.remove();
  body.setAttribute("y", header);
  body.setAttribute("x", 0);
  root.append(body);
  return new XMLSerializer().serializeToString(root);
}

async function downloadPng(chart, title, filename) {
  const svgText = exportSvg(chart, title);
  const image = new Image();
  const url = URL.createObjectURL(new Blob([svgText], { type: "image/svg+xml" }));
  try {
    image.src = url;
    await image.decode();
    const scale = 2;
    const canvas = el("canvas", { width: image.naturalWidth * scale, height: image.naturalHeight * scale });
    const context = canvas.getContext("2d");
    context.scale(scale, scale);
    context.drawImage(image, 0, 0);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
    download(filename, blob);
  } finally {
    URL.revokeObjectURL(url);
  }
}
