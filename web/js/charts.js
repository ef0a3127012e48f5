// The dashboard's charts (Observable Plot, vendored), each with its legend, data table, and
// CSV / PNG / SVG downloads built from the very rows the chart and the table show.
import {
  ALL,
  SMALL_N,
  cssColor,
  download,
  el,
  groupStyle,
  integer,
  legendItem,
  pct0,
  pct1,
  pctNumber,
  pText,
  points1,
  responseColors,
  significant,
  symbolPath,
  toCsv,
} from "./common.js";

/** A table row's estimate columns: weighted %, 95% CI low and high, n, n_eff. */
function estimateCells(d) {
  return [pctNumber(d.p), pctNumber(d.share.ci_low), pctNumber(d.share.ci_high), String(d.n), d.n_eff.toFixed(1)];
}

/** The page's ink and paper (a dark embed has light ink on dark paper), read when a chart is drawn. */
function palette() {
  return { ink: cssColor("--ink", "#1b1f24"), paper: cssColor("--paper", "#ffffff") };
}
const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif";
/** The charts' type size; no chart text is smaller than MIN_FONT px (charts are drawn at the width
 *  they are shown at, never scaled down). */
const FONT_SIZE = 13;
const MIN_FONT = 11;
/** Below this width a chart puts its row names above its bars, not in a left margin. */
const NARROW = 480;
/** Text on a coloured bar: whichever of these reads better on it. */
const DARK_TEXT = "#1b1f24";
const LIGHT_TEXT = "#ffffff";

let measurer;
/** The width in px of `text` in the charts' font, as the browser will draw it. */
function textWidth(text, size = FONT_SIZE, weight = 400) {
  measurer ??= document.createElement("canvas").getContext("2d");
  measurer.font = `${weight} ${size}px ${FONT}`;
  return measurer.measureText(text).width;
}

/** `text` broken at spaces into lines no wider than `width` px (a longer word keeps a line of its own). */
function wrapLines(text, width, size = FONT_SIZE, weight = 400) {
  const lines = [];
  for (const word of text.split(" ")) {
    const last = lines.length ? `${lines[lines.length - 1]} ${word}` : null;
    if (last != null && textWidth(last, size, weight) <= width) lines[lines.length - 1] = last;
    else lines.push(word);
  }
  return lines;
}

/** The height in px of `lines` lines of text at `size` and `lineHeight` (em), with room for descenders. */
const textHeight = (lines, size = FONT_SIZE, lineHeight = 1) => size * (1.2 + (lines - 1) * lineHeight);

/** WCAG relative luminance of a CSS colour. */
function luminance(color) {
  const { r, g, b } = d3.rgb(color);
  const linear = (v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

/** WCAG contrast ratio of two colours (1 to 21). */
export function contrastRatio(a, b) {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (light + 0.05) / (dark + 0.05);
}

/** `color` painted at `opacity` over `paper`: what the reader sees. */
const painted = (color, opacity, paper) => d3.rgb(d3.interpolateRgb(paper, color)(opacity)).formatHex();

/** Dark or white text, whichever reads better on `background`. */
const textOn = (background) =>
  contrastRatio(DARK_TEXT, background) >= contrastRatio(LIGHT_TEXT, background) ? DARK_TEXT : LIGHT_TEXT;

/** A group's colour for text on `paper`: darkened (light paper) or lightened (dark paper) just
 *  enough to read at 4.5:1, so a label keeps its line's hue and stays readable in both themes. */
function readableOn(color, paper) {
  const toward = luminance(paper) > 0.18 ? "#000000" : "#ffffff";
  for (let step = 0; step <= 20; step += 1) {
    const mixed = d3.rgb(d3.interpolateRgb(color, toward)(step / 20)).formatHex();
    if (contrastRatio(mixed, paper) >= 4.6) return mixed;
  }
  return toward;
}

const overlaps = (a, b) => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];

/**
 * A text mark's render transform (Plot's `render` option) for labels beside points: each label
 * goes to the first of its `spots(i)` (offsets in px of its centre from its point) where it stays
 * inside the frame and overlaps no label placed before it; a label with no such spot is left out
 * (the tooltip and the data table keep its numbers). Labels are placed in the data's order, so
 * the most important come first. `size(i)`: the label's `[width, height]` in px; `spots(i,
 * scales)` may use the plot's scales; `avoid(scales)`: boxes `[x1, y1, x2, y2]` (px) that no label
 * may cover, such as the points themselves. The mark must
 * centre its text on its point (textAnchor and lineAnchor "middle", no dx or dy).
 */
function placeLabels(size, spots, avoid = () => []) {
  return (index, scales, values, dimensions, context, next) => {
    const { width, height, marginTop, marginRight, marginBottom, marginLeft } = dimensions;
    const frame = [marginLeft, marginTop, width - marginRight, height - marginBottom];
    const x = Float64Array.from(values.x);
    const y = Float64Array.from(values.y);
    const placed = avoid(scales);
    const kept = [];
    for (const i of index) {
      const [w, h] = size(i);
      for (const [dx, dy] of spots(i, scales)) {
        const box = [x[i] + dx - w / 2, y[i] + dy - h / 2, x[i] + dx + w / 2, y[i] + dy + h / 2];
        const inside = box[0] >= frame[0] && box[1] >= frame[1] && box[2] <= frame[2] && box[3] <= frame[3];
        if (!inside || placed.some((other) => overlaps(other, box))) continue;
        placed.push(box);
        kept.push(i);
        x[i] += dx;
        y[i] += dy;
        break;
      }
    }
    return next(kept, scales, { ...values, x, y }, dimensions, context);
  };
}

/** The bottom margin for an x axis with tick labels and a caption of `lines` under them. */
const axisCaptionMargin = (lines) => 32 + lines.length * 13;
/** How far below the frame an x axis' caption sits (its descenders inside the svg). */
const captionOffset = (marginBottom) => marginBottom - 6;

/** Wave ticks (numbers on a linear x scale over `[first, last]`, `span` px wide) thinned from the
 *  latest back until their labels have room side by side. */
function thinTicks(waves, span) {
  const [first, last] = d3.extent(waves);
  const at = (w) => (last === first ? 0 : ((w - first) / (last - first)) * span);
  const room = Math.max(...waves.map((w) => textWidth(String(w)))) + 10;
  const kept = [];
  for (const wave of [...waves].sort((a, b) => b - a))
    if (!kept.length || at(kept[kept.length - 1]) - at(wave) >= room) kept.push(wave);
  return kept.reverse();
}

const colorOf = (row) => groupStyle(row.group, row.groupIndex).color;
const symbolOf = (row) => groupStyle(row.group, row.groupIndex).symbol;

/** A change's table cells: difference, CI (percentage points) and p. */
function changeCells(change) {
  if (!change) return ["", "", "", ""];
  const pts = (d) => (d * 100).toFixed(1);
  return [pts(change.difference), pts(change.ci_low), pts(change.ci_high), change.p_value?.toPrecision(3) ?? ""];
}

/** A change or gap in a tooltip: "+3.2 points since wave 14 (95% CI −1.0 to +7.4), p = 0.13". */
function changeText(change, from) {
  return `${points1(change.difference)} points since wave ${from} (95% CI ${points1(change.ci_low)} to ${points1(change.ci_high)}), ${pText(change.p_value)}`;
}

/** The text a tooltip shows for one estimate. */
function estimateText(label, share, n, nEff) {
  const ci =
    share.ci_low == null ? "CI not defined (one respondent)" : `95% CI ${pct1(share.ci_low)} – ${pct1(share.ci_high)}`;
  return `${label}: ${pct1(share.p)} weighted\n${ci}\nn = ${integer(n)}, n_eff = ${nEff.toFixed(1)}${n < SMALL_N ? "\nFewer than 100 respondents" : ""}`;
}

/** The arrow beside a share that changed significantly since the earlier wave (none otherwise). */
export function changeArrow(change) {
  if (!significant(change)) return "";
  return change.difference > 0 ? "▲" : "▼";
}

/** Distribution of responses per group for one wave: bars with CI whiskers, one row per group.
 *  With `changes` (`{from, of(group, response)}`), an arrow marks each significant change since
 *  wave `from`, and the table and CSV carry every change with its CI and p. */
export function distributionChart(cells, responses, width, changes = null) {
  const t = palette();
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
      change: changes?.of(cell.group, share.response) ?? null,
    })),
  );
  const label = (d) => `${pct0(d.p)}${changeArrow(d.change) ? ` ${changeArrow(d.change)}` : ""}`;
  // The responses' names beside their bars where they take at most a third of the width; on a
  // phone, above them, in rows of their own at the top of each response's panel.
  const nameWidth = Math.max(...responses.map((r) => textWidth(r)));
  const above = width < NARROW || nameWidth + 14 > width / 3;
  const marginLeft = above ? 14 : Math.ceil(nameWidth) + 14;
  const names = new Map(responses.map((r) => [r, above ? wrapLines(r, width - marginLeft - 4) : [r]]));
  const heads = d3.range(above ? d3.max(names.values(), (lines) => lines.length) : 0).map((i) => ` head ${i}`);
  const caption = wrapLines("Weighted % of respondents →", width - 6);
  const svg = Plot.plot({
    width,
    height: Math.max(160, responses.length * ((groups.length + heads.length) * 24 + 18) + 50 + caption.length * 13),
    marginLeft,
    // Room for the widest label right of its whisker, which can end at the axis' end.
    marginRight: Math.ceil(Math.max(...rows.map((d) => textWidth(label(d))))) + 12,
    marginBottom: axisCaptionMargin(caption),
    style: { fontFamily: FONT, fontSize: `${FONT_SIZE}px`, color: t.ink, background: t.paper },
    x: {
      domain: [0, Math.min(1, Math.ceil((d3.max(rows, (d) => d.hi) + 0.04) * 10) / 10)],
      tickFormat: "%",
      label: caption.join("\n"),
      labelOffset: captionOffset(axisCaptionMargin(caption)),
      grid: true,
      labelAnchor: "left",
    },
    y: { domain: [...heads, ...groups], axis: null },
    fy: { domain: responses, label: null, axis: above ? null : "left", padding: above ? 0.12 : 0.25 },
    marks: [
      above
        ? Plot.text(responses, {
            fy: (r) => r,
            y: () => heads[heads.length - 1],
            text: (r) => names.get(r).join("\n"),
            frameAnchor: "left",
            textAnchor: "start",
            lineAnchor: "bottom",
            dy: 6,
            fill: t.ink,
            fontWeight: 600,
          })
        : null,
      Plot.barX(rows, {
        fy: "response",
        y: "group",
        x: "p",
        fill: colorOf,
        fillOpacity: (d) => (d.small ? 0.25 : 0.85),
        stroke: colorOf,
        strokeWidth: 1,
      }),
      Plot.ruleY(rows, { fy: "response", y: "group", x1: "lo", x2: "hi", stroke: t.ink, strokeWidth: 1.5 }),
      Plot.tickX(rows, { fy: "response", y: "group", x: "lo", stroke: t.ink, inset: 5 }),
      Plot.tickX(rows, { fy: "response", y: "group", x: "hi", stroke: t.ink, inset: 5 }),
      Plot.dot(rows, {
        fy: "response",
        y: "group",
        x: "p",
        symbol: symbolOf,
        fill: (d) => (d.small ? t.paper : colorOf(d)),
        stroke: colorOf,
        strokeWidth: 1.5,
        r: 4.5,
      }),
      Plot.text(rows, {
        fy: "response",
        y: "group",
        x: "hi",
        text: label,
        dx: 6,
        textAnchor: "start",
        fill: t.ink,
      }),
      Plot.tip(
        rows,
        Plot.pointerY({
          fy: "response",
          y: "group",
          x: "p",
          title: (d) =>
            `${d.group} — ${d.response}\n${estimateText("Share", d.share, d.n, d.n_eff)}${d.change ? `\n${changeText(d.change, changes.from)}` : ""}`,
        }),
      ),
    ],
  });
  const since = changes ? ` since wave ${changes.from}` : "";
  const table = {
    caption: `Weighted share of each response per group, with 95% confidence interval${changes ? `, and its change${since} (percentage points; ▲▼ where p < 0.05)` : ""}`,
    header: [
      "Group",
      "Response",
      "Weighted %",
      "95% CI low",
      "95% CI high",
      "n",
      "n_eff",
      ...(changes ? [`Change${since} (pts)`, "Change CI low", "Change CI high", "Change p"] : []),
    ],
    numeric: [false, false, true, true, true, true, true, ...(changes ? [true, true, true, true] : [])],
    rows: rows.map((d) => [d.group, d.response, ...estimateCells(d), ...(changes ? changeCells(d.change) : [])]),
    small: rows.map((d) => d.small),
  };
  const summary = cells
    .map(
      (cell) =>
        `${cell.group ?? ALL}: ${cell.responses.map((r) => `${r.response} ${pct0(r.p)}`).join(", ")} (n = ${integer(cell.n)}).`,
    )
    .join(" ");
  return { svg, table, groups, small: rows.some((d) => d.small), summary };
}

/** Diverging bars for a four-point scale: the two lower responses left of zero, the two upper
 *  right of it, one bar per group, coloured from the negative to the positive end. Whiskers: the
 *  95% CI of the top-two share on the right, of its complement (the bottom two) on the left. */
export function divergingChart(cells, responses, width) {
  const t = palette();
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
  // On a phone each group's name goes above its bar, which then has the whole width.
  const nameWidth = Math.max(...groups.map((g) => textWidth(g)));
  const above = width < NARROW || nameWidth + 14 > width / 3;
  const marginLeft = above ? 20 : Math.ceil(nameWidth) + 14;
  const marginRight = 20;
  const nameRow = above ? 18 : 0;
  const step = 44 + nameRow;
  const band = step * 0.9; // the y scale's padding is 0.1
  const barMiddle = nameRow / 2; // the bar sits below its name: its middle, from the band's
  const whiskerAt = barMiddle + (band - nameRow) / 2 - 5;
  // The axis caption in two halves, each under its side, wrapped to fit half the width.
  const sides = [
    wrapLines(`← ${responses.slice(0, 2).reverse().join(", ")}`, width / 2 - 8),
    wrapLines(`${responses.slice(2).join(", ")} →`, width / 2 - 8),
  ];
  const marginTop = 20;
  const marginBottom = axisCaptionMargin(sides[0].length > sides[1].length ? sides[0] : sides[1]);
  const labelText = (d) => pct0(d.share.p);
  // Each share inside its bar, in dark or white, whichever reads better on the bar as painted.
  const labelInk = (d) => textOn(painted(colors[d.index], d.small ? 0.45 : 1, t.paper));
  const svg = Plot.plot({
    width,
    height: marginTop + marginBottom + (groups.length + 0.1) * step,
    marginLeft,
    marginRight,
    marginTop,
    marginBottom,
    style: { fontFamily: FONT, fontSize: `${FONT_SIZE}px`, color: t.ink, background: t.paper },
    x: {
      domain: [-reach, reach],
      tickFormat: (v) => `${Math.round(Math.abs(v) * 100)}%`,
      label: null,
      grid: true,
    },
    y: { domain: groups, label: null, tickSize: 0, padding: 0.1, axis: above ? null : "left" },
    marks: [
      Plot.barX(segments, {
        y: "group",
        x1: "x1",
        x2: "x2",
        fill: (d) => colors[d.index],
        fillOpacity: (d) => (d.small ? 0.45 : 1),
        stroke: t.paper,
        strokeWidth: 1,
        inset: 0.5,
        insetTop: nameRow + 0.5,
      }),
      // A share's label only where it fits inside its bar, with room to spare.
      Plot.text(segments, {
        y: "group",
        x: (d) => (d.x1 + d.x2) / 2,
        text: labelText,
        fill: labelInk,
        fontWeight: 600,
        dy: barMiddle,
        render: (index, scales, values, dimensions, context, next) =>
          next(
            index.filter((i) => {
              const d = segments[i];
              return scales.x(d.x2) - scales.x(d.x1) - 1 >= textWidth(labelText(d), FONT_SIZE, 600) + 6;
            }),
            scales,
            values,
            dimensions,
            context,
          ),
      }),
      Plot.ruleX([0], { stroke: t.ink, strokeWidth: 1.5 }),
      Plot.ruleY(whiskers, { y: "group", x1: "lo", x2: "hi", stroke: t.ink, strokeWidth: 1.5, dy: whiskerAt }),
      Plot.tickX(whiskers, { y: "group", x: "lo", stroke: t.ink, dy: whiskerAt, inset: (band - 16) / 2 }),
      Plot.tickX(whiskers, { y: "group", x: "hi", stroke: t.ink, dy: whiskerAt, inset: (band - 16) / 2 }),
      // Over the grid and the zero line, on a halo of the page's colour.
      above
        ? Plot.text(groups, {
            y: (g) => g,
            text: (g) => g,
            frameAnchor: "left",
            textAnchor: "start",
            lineAnchor: "top",
            dy: 1 - band / 2,
            fill: t.ink,
            fontWeight: 600,
            stroke: t.paper,
            strokeWidth: 3,
            paintOrder: "stroke",
          })
        : null,
      ...sides.map((lines, i) =>
        Plot.text([lines.join("\n")], {
          text: (d) => d,
          frameAnchor: i ? "bottom-right" : "bottom-left",
          textAnchor: i ? "end" : "start",
          lineAnchor: "bottom",
          dx: i ? marginRight - 3 : 3 - marginLeft,
          dy: captionOffset(marginBottom),
          fill: t.ink,
        }),
      ),
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
  const summary = cells
    .map(
      (cell) =>
        `${cell.group ?? ALL}: ${pct0(1 - cell.top2.p)} ${responses.slice(0, 2).join(" or ")}, ${pct0(cell.top2.p)} ${responses.slice(2).join(" or ")} (95% CI ${pct0(cell.top2.ci_low)}–${pct0(cell.top2.ci_high)}).`,
    )
    .join(" ");
  return { svg, table, groups, legend, small: cells.some((cell) => cell.n < SMALL_N), summary };
}

/** Top-2 share over waves per group: lines with CI bands, shapes at each wave, labels at the ends. */
export function trendChart(cells, width) {
  const t = palette();
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
  const marginRight = width < 600 ? 112 : 215;
  const marginLeft = Math.ceil(textWidth("100%")) + 12;
  const yCaption = wrapLines("↑ Top-2 share (weighted %)", width - 6);
  const margin = { top: 16 + 13 * yCaption.length, bottom: axisCaptionMargin(["Wave →"]) };
  const height = 360 + margin.top;
  const plotWidth = width - marginLeft - marginRight;
  // Each line's end label ("Democrat 45%"), wrapped to the margin and kept clear of the others.
  const lineHeight = 1.1;
  const labels = endLabels(rows, height - margin.top - margin.bottom, margin.top, (d) =>
    wrapLines(`${d.group} ${pct0(d.p)}`, marginRight - 12, FONT_SIZE, 600),
  );
  const svg = Plot.plot({
    width,
    height,
    marginLeft,
    marginTop: margin.top,
    marginRight,
    marginBottom: margin.bottom,
    style: { fontFamily: FONT, fontSize: `${FONT_SIZE}px`, color: t.ink, background: t.paper },
    x: {
      label: "Wave →",
      labelOffset: captionOffset(margin.bottom),
      tickFormat: "d",
      ticks: waves.length > 12 ? undefined : thinTicks(waves, plotWidth),
      domain: waves.length === 1 ? [waves[0] - 1, waves[0] + 1] : d3.extent(waves),
      labelAnchor: "right",
    },
    y: { domain: [0, 1], tickFormat: "%", label: yCaption.join("\n"), grid: true },
    marks: [
      Plot.areaY(rows, { x: "wave", y1: "lo", y2: "hi", z: "group", fill: colorOf, fillOpacity: 0.14 }),
      Plot.lineY(rows, { x: "wave", y: "p", z: "group", stroke: colorOf, strokeWidth: 2 }),
      Plot.dot(rows, {
        x: "wave",
        y: "p",
        symbol: symbolOf,
        fill: (d) => (d.small ? t.paper : colorOf(d)),
        stroke: colorOf,
        strokeWidth: 1.5,
        r: 4,
      }),
      Plot.text(labels, {
        x: "wave",
        y: "labelY",
        text: (d) => d.lines.join("\n"),
        dx: 8,
        textAnchor: "start",
        lineHeight,
        // The group's hue, darkened or lightened to read on the page.
        fill: (d) => readableOn(colorOf(d), t.paper),
        fontWeight: 600,
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
  const summary = groupNames
    .map((group) => {
      const line = rows.filter((d) => d.group === group);
      const [first, last] = [line[0], line[line.length - 1]];
      return line.length > 1
        ? `${group}: ${pct0(first.p)} in wave ${first.wave}, ${pct0(last.p)} in wave ${last.wave}.`
        : `${group}: ${pct0(first.p)} in wave ${first.wave}.`;
    })
    .join(" ");
  return { svg, table, groups: groupNames, small: rows.some((d) => d.small), summary };
}

/** The gap `a − b` between two groups' top-2 shares per wave, with its 95% CI: filled marks where
 *  it is significant (p < 0.05), hollow where not. Hovering a point or focusing it (Tab) shows its
 *  numbers in `readout`. `points`: `{wave, n_a, n_b, estimate}` per wave, `estimate` as the gaps
 *  endpoint gives it for "top2". */
export function gapChart(points, { a, b }, width) {
  const t = palette();
  const rows = points.map((point) => ({
    ...point,
    d: point.estimate.difference,
    lo: point.estimate.ci_low,
    hi: point.estimate.ci_high,
    significant: significant(point.estimate),
  }));
  const waves = rows.map((d) => d.wave);
  const reach = Math.min(
    1,
    Math.ceil((d3.max(rows, (d) => Math.max(Math.abs(d.lo), Math.abs(d.hi))) + 0.05) * 10) / 10,
  );
  const color = groupStyle(a, 0).color;
  const describe = (d) =>
    `Wave ${d.wave}: ${a} − ${b} = ${points1(d.d)} points (95% CI ${points1(d.lo)} to ${points1(d.hi)}), ${pText(d.estimate.p_value)}; ${d.significant ? "significant" : "not significant"}. n = ${integer(d.n_a)} and ${integer(d.n_b)}.`;
  const [marginLeft, marginRight] = [56, 24];
  const yCaption = wrapLines(`↑ ${a} − ${b}, top-2 share (points)`, width - 6);
  const marginTop = 16 + 13 * yCaption.length;
  const marginBottom = axisCaptionMargin(["Wave →"]);
  const label = (d) => `${points1(d.d)}${d.significant ? " *" : ""}`;
  const labelSize = (d) => [textWidth(label(d), FONT_SIZE, 600), textHeight(1)];
  // Where labels would collide, the latest wave's and the significant ones win; the rest are left
  // to the tooltip, the readout and the table.
  const byPriority = [...rows].sort(
    (x, y) =>
      (y.wave === waves[waves.length - 1]) - (x.wave === waves[waves.length - 1]) ||
      y.significant - x.significant ||
      y.wave - x.wave,
  );
  const svg = Plot.plot({
    width,
    height: 284 + marginTop,
    marginLeft,
    marginRight,
    marginTop,
    marginBottom,
    style: { fontFamily: FONT, fontSize: `${FONT_SIZE}px`, color: t.ink, background: t.paper },
    x: {
      label: "Wave →",
      labelOffset: captionOffset(marginBottom),
      tickFormat: "d",
      ticks: thinTicks(waves, width - marginLeft - marginRight - 48),
      domain: waves.length === 1 ? [waves[0] - 1, waves[0] + 1] : d3.extent(waves),
      inset: 24,
    },
    y: {
      domain: [-reach, reach],
      tickFormat: (v) => `${v > 0 ? "+" : v < 0 ? "−" : ""}${Math.round(Math.abs(v) * 100)}`,
      label: yCaption.join("\n"),
      grid: true,
    },
    marks: [
      Plot.ruleY([0], { stroke: t.ink, strokeWidth: 1.5 }),
      // The 95% CI as a whisker (tickY would make the waves a band scale and drop most of them).
      Plot.ruleX(rows, { x: "wave", y1: "lo", y2: "hi", stroke: color, strokeWidth: 3, strokeLinecap: "round" }),
      Plot.lineY(rows, { x: "wave", y: "d", stroke: color, strokeOpacity: 0.5, strokeDasharray: "3 3" }),
      Plot.dot(rows, {
        x: "wave",
        y: "d",
        r: 6,
        fill: (d) => (d.significant ? color : t.paper),
        stroke: color,
        strokeWidth: 2,
      }),
      // Each gap's number above its whisker, or below it where there is no room above.
      Plot.text(byPriority, {
        x: "wave",
        y: "hi",
        text: label,
        fill: t.ink,
        fontWeight: 600,
        render: placeLabels(
          (i) => labelSize(byPriority[i]),
          (i, scales) => {
            const d = byPriority[i];
            const h = labelSize(d)[1];
            return [
              [0, -(h / 2 + 3)],
              [0, scales.y(d.lo) - scales.y(d.hi) + h / 2 + 3],
            ];
          },
        ),
      }),
      Plot.tip(rows, Plot.pointerX({ x: "wave", y: "d", title: describe })),
    ],
  });
  // Keyboard and screen-reader access to each point: focusable, named by its numbers.
  const readout = el("p", { class: "readout", "aria-live": "polite" }, "Hover over or tab to a point for its numbers.");
  const dots = svg.querySelector("g[aria-label='dot']")?.children ?? [];
  [...dots].forEach((dot, i) => {
    const text = describe(rows[i]);
    dot.setAttribute("tabindex", "0");
    dot.setAttribute("role", "img");
    dot.setAttribute("aria-label", text);
    dot.dataset.wave = String(rows[i].wave);
    dot.addEventListener("focus", () => {
      readout.textContent = text;
    });
  });
  svg.addEventListener("input", () => {
    if (svg.value) readout.textContent = describe(svg.value);
  });
  const pts = (v) => (v * 100).toFixed(1);
  const table = {
    caption: `Gap in the top-2 share, ${a} − ${b}, per wave: percentage points with 95% confidence interval and p-value`,
    header: [
      "Wave",
      `${a} %`,
      `${b} %`,
      "Gap (pts)",
      "95% CI low",
      "95% CI high",
      "p",
      "Significant",
      `n ${a}`,
      `n ${b}`,
    ],
    numeric: [true, true, true, true, true, true, true, false, true, true],
    rows: rows.map((d) => [
      String(d.wave),
      pctNumber(d.estimate.a),
      pctNumber(d.estimate.b),
      pts(d.d),
      pts(d.lo),
      pts(d.hi),
      d.estimate.p_value?.toPrecision(3) ?? "",
      d.significant ? "yes" : "no",
      String(d.n_a),
      String(d.n_b),
    ]),
    small: rows.map((d) => d.n_a < SMALL_N || d.n_b < SMALL_N),
  };
  const legend = [
    { label: "Significant (p < 0.05)", color },
    { label: "Not significant", color: t.paper, outline: color },
  ];
  const summary = rows.map(describe).join(" ");
  return { svg, table, groups: [a, b], legend, small: table.small.some(Boolean), summary, readout };
}

/** The last point of each group's line with its label's `lines(d)` and the label's position
 *  (`labelY`, a share): labels pushed apart so that none overlaps another, kept between the
 *  bottom of the plot (`plotHeight` px for shares 0 to 1) and the top of the svg (`top` px above it). */
function endLabels(rows, plotHeight, top, lines, lineHeight = 1.1) {
  const last = [...d3.group(rows, (d) => d.group).values()].map((points) =>
    points.reduce((a, b) => (b.wave > a.wave ? b : a)),
  );
  const labels = last
    .map((d) => {
      const text = lines(d);
      const h = textHeight(text.length, FONT_SIZE, lineHeight) + 2;
      return { ...d, lines: text, h, py: (1 - d.p) * plotHeight };
    })
    .sort((a, b) => a.py - b.py);
  const clamp = (d) => Math.min(plotHeight - d.h / 2, Math.max(d.h / 2 - top, d.py));
  for (const d of labels) d.py = clamp(d);
  for (let i = 1; i < labels.length; i += 1)
    labels[i].py = Math.max(labels[i].py, labels[i - 1].py + (labels[i - 1].h + labels[i].h) / 2);
  for (let i = labels.length - 1; i >= 0; i -= 1) {
    const below = labels[i + 1];
    labels[i].py = Math.min(clamp(labels[i]), below ? below.py - (below.h + labels[i].h) / 2 : Infinity);
  }
  return labels.map((d) => ({ ...d, labelY: 1 - d.py / plotHeight }));
}

/** Importance vs performance, one point per principle and group, CI whiskers both ways. */
export function principlesChart(principles, width, onPick) {
  const t = palette();
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
  const labelled = [...new Set([...byGap.slice(0, 3), ...byGap.slice(-3)])];
  const low = (key) => Math.max(0, Math.floor((d3.min(rows, (d) => d[key].ci_low ?? d[key].p) - 0.05) * 10) / 10);
  const high = (key) => Math.min(1, Math.ceil((d3.max(rows, (d) => d[key].ci_high ?? d[key].p) + 0.05) * 10) / 10);
  const xCaption = wrapLines("Importance: top-2 share (weighted %) →", width - 6);
  const yCaption = wrapLines("↑ Performance: top-2 share (weighted %)", width - 6);
  const marginTop = 16 + 13 * yCaption.length;
  // A principle's name in lines of at most 16 em, beside its point or else above or below it.
  const labelFont = MIN_FONT;
  const lines = new Map(labelled.map((d) => [d, wrapLines(d.label, Math.min(16 * labelFont, width / 2), labelFont)]));
  const labelSize = (d) => [
    Math.max(...lines.get(d).map((line) => textWidth(line, labelFont))) + 4,
    textHeight(lines.get(d).length, labelFont) + 2,
  ];
  const svg = Plot.plot({
    width,
    height: Math.min(640, Math.max(380, width * 0.62)) + marginTop,
    marginLeft: Math.ceil(textWidth("100%")) + 12,
    marginRight: 24,
    marginTop,
    marginBottom: axisCaptionMargin(xCaption),
    style: { fontFamily: FONT, fontSize: `${FONT_SIZE}px`, color: t.ink, background: t.paper },
    x: {
      domain: [low("imp"), high("imp")],
      tickFormat: "%",
      label: xCaption.join("\n"),
      labelOffset: captionOffset(axisCaptionMargin(xCaption)),
      grid: true,
    },
    y: {
      domain: [low("perf"), high("perf")],
      tickFormat: "%",
      label: yCaption.join("\n"),
      grid: true,
      // The lowest y tick's label clear of the first x tick's, in the corner they share.
      inset: 4,
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
        fill: (d) => (d.small ? t.paper : colorOf(d)),
        stroke: colorOf,
        strokeWidth: 1.5,
        r: 5,
      }),
      Plot.text(labelled, {
        x: (d) => d.imp.p,
        y: (d) => d.perf.p,
        text: (d) => lines.get(d).join("\n"),
        fontSize: labelFont,
        fill: t.ink,
        stroke: t.paper,
        strokeWidth: 3,
        paintOrder: "stroke",
        render: placeLabels(
          (i) => labelSize(labelled[i]),
          (i) => {
            const [w, h] = labelSize(labelled[i]);
            return [
              [-(w / 2 + 8), 0],
              [w / 2 + 8, 0],
              [0, -(h / 2 + 8)],
              [0, h / 2 + 8],
            ];
          },
          // Every point, so that a name never hides one.
          (scales) =>
            rows.map((d) => {
              const [x, y] = [scales.x(d.imp.share.p), scales.y(d.perf.share.p)];
              return [x - 6, y - 6, x + 6, y + 6];
            }),
        ),
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
  const widest = [...rows]
    .filter((d) => d.group === groupNames[groupNames.length - 1])
    .sort((x, y) => y.imp.p - y.perf.p - (x.imp.p - x.perf.p));
  const summary = `${principles.length} principles. ${widest
    .slice(0, 3)
    .map((d) => `${d.label}: ${pct0(d.imp.p)} rate it important, ${pct0(d.perf.p)} say the US meets it`)
    .join(
      "; ",
    )}${widest.length ? ` (the widest gaps${groupNames.length > 1 ? `, ${groupNames[groupNames.length - 1]}` : ""}).` : ""}`;
  return { svg, table, groups: groupNames, small: rows.some((d) => d.small), summary };
}

/** A chart with its heading, question text, legend, plain-language caption, note, downloads,
 *  embed code and data table. `caption`: sentences generated from the numbers; with the chart's
 *  own summary of its key numbers it is the chart's text alternative. */
export function chartCard({
  id,
  title,
  subtitle,
  question,
  chart,
  filename,
  tableOpen = true,
  linkFor,
  caption,
  embedUrl,
}) {
  const legend = chartLegend(chart);
  describeChart(chart, id, title);
  const table = dataTable(chart.table, linkFor);
  const button = (kind, label, onclick) =>
    el("button", { type: "button", class: "secondary small", "data-download": kind, onclick }, label);
  const tools = el(
    "div",
    { class: "chart-tools" },
    button("csv", "Download CSV", () => downloadCsv(chart, filename)),
    button("png", "Download PNG", () => downloadPng(chart, title, `${filename}.png`)),
    button("svg", "Download SVG", () => download(`${filename}.svg`, exportSvg(chart, title), "image/svg+xml")),
    embedUrl ? embedButton(embedUrl, title, chart, filename, caption) : null,
  );
  return el(
    "section",
    { class: "panel chart-card", id, "aria-labelledby": `${id}-title` },
    el("h2", { id: `${id}-title` }, title, subtitle ? el("small", {}, subtitle) : null),
    question,
    legend,
    el("div", { class: "chart" }, chart.svg),
    chart.readout ?? null,
    chartTexts(id, caption, chart),
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

/** The legend above a chart: response swatches, or each group's shape in its colour. */
export function chartLegend(chart) {
  return el(
    "div",
    { class: "legend", "aria-hidden": "true" },
    chart.legend
      ? chart.legend.map(({ label, color, outline }) =>
          el(
            "span",
            { class: "legend-item" },
            el("span", {
              class: "swatch",
              style: `background:${color}${outline ? `;border:2px solid ${outline}` : ""}`,
            }),
            label,
          ),
        )
      : chart.groups.map((g, i) => legendItem(g, i)),
  );
}

/** Names the chart's SVG by its title and describes it by its caption and key numbers. */
export function describeChart(chart, id, title) {
  // Plot labels each mark's <g> with aria-label, which ARIA forbids on role-less elements; inside
  // an image the names are noise anyway: keep them as data-mark (points a chart made focusable
  // carry a role and keep theirs).
  for (const node of chart.svg.querySelectorAll("[aria-label]:not([role])")) {
    node.dataset.mark = node.getAttribute("aria-label");
    node.removeAttribute("aria-label");
  }
  // A chart with focusable points is a group of them; any other is one image.
  chart.svg.setAttribute("role", chart.readout ? "group" : "img");
  chart.svg.setAttribute("aria-label", title);
  chart.svg.setAttribute("aria-describedby", `${id}-caption ${id}-summary`);
}

/** The visible caption and the key numbers for screen readers, the ids `describeChart` points at. */
export function chartTexts(id, caption, chart) {
  return [
    el("p", { class: "caption", id: `${id}-caption` }, caption ?? ""),
    el(
      "p",
      { class: "visually-hidden", id: `${id}-summary` },
      `${chart.summary ?? ""} The data table has every number.`,
    ),
  ];
}

export function downloadCsv(chart, filename) {
  download(`${filename}.csv`, toCsv(chart.table.header, chart.table.rows), "text/csv");
}

/** A read-only code box with a button that copies it (or selects it where the clipboard is closed). */
function codeBox(label, text, status) {
  const box = el("textarea", { readonly: true, rows: 3, "aria-label": label, spellcheck: "false" }, text);
  const copy = el(
    "button",
    {
      type: "button",
      class: "small",
      onclick: async () => {
        box.select();
        try {
          await navigator.clipboard.writeText(text);
          status.textContent = "Copied.";
        } catch {
          status.textContent = "Selected: press Ctrl+C (⌘C) to copy.";
        }
      },
    },
    `Copy ${label.toLowerCase()}`,
  );
  return { box, copy };
}

const attribute = (text) => text.replaceAll("&", "&amp;").replaceAll('"', "&quot;").replaceAll("<", "&lt;");

/** "Embed": the iframe snippet (with the script that sizes it to its content), and for places
 *  without iframes a PNG of the chart with the link and text alternative to put around it. */
function embedButton(embedUrl, title, chart, filename, caption) {
  const origin = new URL(embedUrl).origin;
  const status = el("p", { class: "note", role: "status" });
  const frame = codeBox(
    "Embed code",
    `<iframe src="${attribute(embedUrl)}" title="${attribute(title)}" width="100%" height="520" style="border:0;width:100%" loading="lazy"></iframe>\n<script src="${origin}/js/embed-resize.js" async></script>`,
    status,
  );
  const fallback = codeBox(
    "Fallback code",
    `<a href="${attribute(location.href)}"><img src="${filename}.png" alt="${attribute(`${title}. ${caption ?? ""}`.trim())}" style="max-width:100%"></a>`,
    status,
  );
  const dialog = el(
    "dialog",
    { class: "embed-dialog", "aria-label": `Embed “${title}”` },
    el("h3", {}, "Embed this chart"),
    el(
      "p",
      {},
      "Paste this into any web page. The chart stays up to date and resizes to fit; add ",
      el("code", {}, "&theme=dark"),
      " or ",
      el("code", {}, "&theme=light"),
      " to the address to fix its colours (default: the reader's).",
    ),
    frame.box,
    el(
      "div",
      { class: "chart-tools" },
      frame.copy,
      el("a", { class: "button secondary small", href: embedUrl, target: "_blank", rel: "noopener" }, "Preview"),
    ),
    el(
      "p",
      {},
      "Where iframes are not allowed (e-mail, print, some sites): download the PNG, put it beside your page, and link it to this view with its text alternative:",
    ),
    fallback.box,
    el(
      "div",
      { class: "chart-tools" },
      fallback.copy,
      el(
        "button",
        {
          type: "button",
          class: "secondary small",
          "data-download": "png-fallback",
          onclick: () => downloadPng(chart, title, `${filename}.png`),
        },
        "Download the PNG",
      ),
      el("button", { type: "button", class: "secondary small", onclick: () => dialog.close() }, "Close"),
    ),
    status,
  );
  return [
    el(
      "button",
      { type: "button", class: "secondary small", "data-embed": "", onclick: () => dialog.showModal() },
      "Embed",
    ),
    dialog,
  ];
}

function dataTable({ caption, header, numeric, rows, small, links }, linkFor) {
  return el(
    "div",
    // Focusable: a wide table scrolls sideways, and keyboard users must be able to scroll it.
    { class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption },
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
  const t = palette();
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
    node("rect", { width, height: height + header, fill: t.paper }),
    node("text", { x: 8, y: 20, "font-size": 16, "font-weight": 700, fill: t.ink }, title),
  );
  // The legend as on the page: response swatches, or each group's shape in its colour.
  const items = chart.legend ?? chart.groups.map((group, i) => ({ label: group, ...groupStyle(group, i) }));
  let x = 8;
  for (const item of items) {
    const mark = item.symbol
      ? node("path", { d: symbolPath(item.symbol), fill: item.color, transform: `translate(${x + 6},40)` })
      : node("rect", { x, y: 34, width: 12, height: 12, fill: item.color });
    root.append(mark, node("text", { x: x + 16, y: 45, "font-size": 13, fill: t.ink }, item.label));
    x += 30 + item.label.length * 7.5;
  }
  const body = chart.svg.cloneNode(true);
  for (const tip of body.querySelectorAll("[data-mark='tip']")) tip.remove();
  body.setAttribute("y", header);
  body.setAttribute("x", 0);
  root.append(body);
  return new XMLSerializer().serializeToString(root);
}

export async function downloadPng(chart, title, filename) {
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
