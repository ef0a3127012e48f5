// Shared by every page: the api client, formatting, the palette, small DOM helpers.

/** An api error: the JSON body's `error` with the HTTP status. */
export class ApiError extends Error {
  constructor(status, body, retryAfter = null) {
    const error = body?.error ?? {};
    super(error.message ?? `request failed (${status})`);
    this.status = status;
    /** Seconds to wait, from a 429's Retry-After. */
    this.retryAfter = retryAfter;
    this.code = error.code;
    this.field = error.field ?? error.parameter;
  }
}

/** How the api client sends cookies: embedded charts set "omit" (they read public data only). */
export const apiDefaults = { credentials: "same-origin" };

/** JSON request to the api; throws ApiError with the server's message on any non-2xx. `timeout`
 *  (ms): give up on a request the network swallowed (it rejects with a TimeoutError). */
export async function api(path, { method = "GET", body, timeout } = {}) {
  const init = { method, headers: { accept: "application/json" }, credentials: apiDefaults.credentials };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (timeout) init.signal = AbortSignal.timeout(timeout);
  const response = await fetch(path, init);
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) throw new ApiError(response.status, json, response.headers.get("retry-after"));
  return { status: response.status, data: json };
}

/** `0.4567` → `"45.7%"` (tables, tooltips) or `"46%"` (chart labels). */
export const pct1 = (p) => (p == null ? "–" : `${(p * 100).toFixed(1)}%`);
export const pct0 = (p) => (p == null ? "–" : `${Math.round(p * 100)}%`);
/** A percentage number without the sign, as in tables and CSV. */
export const pctNumber = (p) => (p == null ? "" : (p * 100).toFixed(1));
export const integer = (n) => (n == null ? "–" : Number(n).toLocaleString("en-US"));
/** A difference of shares in percentage points, signed: `-0.1912` → `"−19.1"`. */
export const points1 = (d) => (d == null ? "–" : `${d < 0 ? "−" : d > 0 ? "+" : ""}${Math.abs(d * 100).toFixed(1)}`);
/** A p-value as people read it: "p < 0.001", "p = 0.03". */
export const pText = (p) =>
  p == null ? "p not defined" : p < 0.001 ? "p < 0.001" : `p = ${p.toFixed(p < 0.01 ? 3 : 2)}`;
/** Significant at the 5% level. */
export const significant = (estimate) => estimate?.p_value != null && estimate.p_value < 0.05;

/** Cells with fewer respondents than this are drawn faded and hollow, with a note. */
export const SMALL_N = 100;

/** Okabe–Ito colours and shapes per group (../shared/design/UI.md); "All" when there is no split. */
export const ALL = "All respondents";
const GROUP_STYLE = {
  [ALL]: { color: "#333333", symbol: "diamond" },
  Democrat: { color: "#0072B2", symbol: "circle" },
  Republican: { color: "#D55E00", symbol: "triangle" },
  "Independent or Other": { color: "#009E73", symbol: "square" },
  Independent: { color: "#009E73", symbol: "square" },
  Liberal: { color: "#56B4E9", symbol: "circle" },
  Moderate: { color: "#999999", symbol: "square" },
  Conservative: { color: "#E69F00", symbol: "triangle" },
};
const FALLBACK = [
  { color: "#CC79A7", symbol: "star" },
  { color: "#F0E442", symbol: "cross" },
  { color: "#56B4E9", symbol: "wye" },
];
export function groupStyle(group, index = 0) {
  // "All respondents" is drawn in the page's ink: dark on a light page, light on a dark one.
  if (group === ALL) return { ...GROUP_STYLE[ALL], color: cssColor("--all-respondents", GROUP_STYLE[ALL].color) };
  return GROUP_STYLE[group] ?? FALLBACK[index % FALLBACK.length];
}

/** A colour custom property of the page (themes set them), or `fallback`. */
export function cssColor(name, fallback) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/** Groups as a sentence names them: "Democrat" → "Democrats". */
export function groupPlural(group) {
  return (
    { [ALL]: "all respondents", "Independent or Other": "independents and others", Moderate: "moderates" }[group] ??
    `${group}s`
  );
}

/** Group shapes drawn without d3 (the console does not load it): the same shapes as the charts'. */
const SHAPES = {
  circle: "M4.5,0A4.5,4.5 0 1,1 -4.5,0A4.5,4.5 0 1,1 4.5,0Z",
  triangle: "M0,-5.5L5,3.5L-5,3.5Z",
  square: "M-4,-4H4V4H-4Z",
  diamond: "M0,-5.5L5.5,0L0,5.5L-5.5,0Z",
};
export function groupShape(group, index) {
  const style = groupStyle(group, index);
  return el(
    "svg",
    { class: "group-shape", viewBox: "-6 -6 12 12", "aria-hidden": "true" },
    el("path", { d: SHAPES[style.symbol] ?? SHAPES.circle, fill: style.color }),
  );
}

/** SVG path for a group's shape at the origin, for legends drawn outside Plot. */
export function symbolPath(symbol, size = 64) {
  const type =
    {
      circle: d3.symbolCircle,
      triangle: d3.symbolTriangle,
      square: d3.symbolSquare,
      diamond: d3.symbolDiamond,
      star: d3.symbolStar,
      cross: d3.symbolCross,
      wye: d3.symbolWye,
    }[symbol] ?? d3.symbolCircle;
  return d3.symbol(type, size)();
}

/** A diverging sequence for an ordinal response scale: negative end to positive end, light middle. */
export function responseColors(count) {
  // ColorBrewer PuOr (orange → purple): safe for colour-blind readers, light in the middle.
  if (count >= 3 && count <= 11) return [...d3.schemePuOr[count]].reverse();
  return d3.quantize(d3.interpolatePuOr, Math.max(count, 2)).reverse();
}

/** `el("p", {class: "x"}, "text", child)`: a DOM element. Attributes starting with `on` are listeners. */
export function el(tag, attributes = {}, ...children) {
  const node =
    tag === "svg" || tag === "path"
      ? document.createElementNS("http://www.w3.org/2000/svg", tag)
      : document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value == null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** A small legend: the group's shape in its colour beside its name. */
export function legendItem(group, index) {
  const style = groupStyle(group, index);
  const svg = el(
    "svg",
    { width: 16, height: 16, viewBox: "-8 -8 16 16", "aria-hidden": "true" },
    el("path", { d: symbolPath(style.symbol), fill: style.color }),
  );
  return el("span", { class: "legend-item" }, svg, group);
}

/** Saves text or a blob as a file. */
export function download(filename, content, type = "text/plain") {
  const blob = content instanceof Blob ? content : new Blob([content], { type });
  const url = URL.createObjectURL(blob);
  const link = el("a", { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** RFC 4180 CSV: quotes a field when it holds a comma, quote or newline. */
export function toCsv(header, rows) {
  const field = (value) => {
    const text = value == null ? "" : String(value);
    return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  return `${[header, ...rows].map((row) => row.map(field).join(",")).join("\r\n")}\r\n`;
}

/** Shows an error message in a page's status area (role=alert, so screen readers hear it). */
export function showError(container, error) {
  container.replaceChildren(el("p", { class: "error", role: "alert" }, error?.message ?? String(error)));
}

/** The catalog (`/api/batteries`) as one list: each question with its battery › sub-battery as `group`. */
export function flattenCatalog(batteries) {
  return batteries.flatMap((battery) => {
    const name = humanize(battery.name);
    return [
      ...battery.questions.map((q) => ({ ...q, group: name })),
      ...battery.sub_batteries.flatMap((sub) => sub.questions.map((q) => ({ ...q, group: `${name} › ${sub.name}` }))),
    ];
  });
}

/** `respondent_profile` → `Respondent profile`: data names as labels. */
export const humanize = (name) => (name.charAt(0).toUpperCase() + name.slice(1)).replaceAll("_", " ");

/** The catalog questions that contain every word of a search (text, short text, name, battery). */
export function searchCatalog(questions, search) {
  const words = search.toLowerCase().split(/\s+/).filter(Boolean);
  return questions.filter((q) => {
    const haystack = `${q.text} ${q.short_text ?? ""} ${q.var_name} ${q.group}`.toLowerCase();
    return words.every((w) => haystack.includes(w));
  });
}

/** Calls `redraw` when `element`'s width has changed by more than `threshold` px (after the resizing
 *  settles): charts are drawn for a width, and a rotated phone or a resized frame needs another. */
export function onWidthChange(element, threshold, redraw) {
  let lastWidth = element.clientWidth;
  let timer;
  window.addEventListener("resize", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (Math.abs(element.clientWidth - lastWidth) > threshold) {
        lastWidth = element.clientWidth;
        redraw();
      }
    }, 150);
  });
}
