// The console's Operations section (/admin/operations): the api fleet's figures for the laptop at
// the back of the hall, read every 2 seconds from the staff endpoint GET /api/admin/operations
// (built from each process's metrics registry). The fleet's figures in large type, each with a
// line of the last 10 minutes this page has seen; a row per api process, stale and not-ready ones
// said in words. Thresholds follow the alert rules (deploy/prometheus/alerts.yml), read against
// the current values: a warning or an alert in words, with a style, never colour alone. The same
// read-only panel for admins and analysts: it changes nothing. Polling stops when the view is left
// or the tab is hidden; only significant changes (a process dropping out, a threshold crossed,
// the figures no longer updating) are said to screen readers, never every refresh.
import { el, integer } from "../common.js";

const ENDPOINT = "/api/admin/operations";
const REFRESH_MS = 2_000;
/** A process whose last report is older than this is marked stale (reports come every 2 s; the
 *  endpoint drops a process silent for 10 s). */
const STALE_SECONDS = 6;
/** How far back the figures' lines go. */
const HISTORY_MS = 10 * 60_000;
const LAG_P99_WARNING_MS = 250;
const QUEUE_WARNING = 0.8;
const POOL_ALERT = 0.95;
const ERROR_RATIO_ALERT = 0.05;

// (+ 0 turns a sum's -0 into 0: "-0" would read as something below zero.)
const number = (value, digits) =>
  (Number(value) + 0).toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
/** Votes per second: one decimal below 100. */
const rate = (n) => (n == null ? "–" : number(n, Math.abs(n) < 100 ? 1 : 0));
const count = (n) => (n == null ? "–" : integer(Math.round(n) + 0));
const ms = (n) => (n == null ? "–" : `${number(n, Math.abs(n) < 10 ? 1 : 0)} ms`);
const seconds = (n) => `${number(n, 1)} s`;
const clock = (date) => date.toLocaleTimeString("en-US", { hour: "numeric", minute: "2-digit", second: "2-digit" });

const isStaleProcess = (p) => p.age_seconds > STALE_SECONDS;
/** A share when both are numbers and the whole is not zero, else null. */
const share = (part, whole) => (part != null && whole ? part / whole : null);

/** What a set of figures (the fleet's or a process's) has crossed: per figure, `{level, text,
 *  said}` ("alert" where the alert rule is critical, "warning" where it is a warning; `said`, the
 *  sentence announcing it). */
function levels(figures) {
  const found = {};
  if (figures.lag_p99_ms != null && figures.lag_p99_ms > LAG_P99_WARNING_MS)
    found.lag_p99_ms = {
      level: "warning",
      text: `Warning: over ${LAG_P99_WARNING_MS} ms`,
      said: `Vote → screen lag p99 is over ${LAG_P99_WARNING_MS} ms.`,
    };
  if ((share(figures.queue_depth, figures.queue_capacity) ?? 0) > QUEUE_WARNING)
    found.queue_depth = {
      level: "warning",
      text: `Warning: over ${QUEUE_WARNING * 100}% full`,
      said: `The ballot queue is over ${QUEUE_WARNING * 100}% full.`,
    };
  if ((share(figures.pool_in_use, figures.pool_max) ?? 0) >= POOL_ALERT)
    found.pool_in_use = { level: "alert", text: "Alert: pool exhausted", said: "The database pool is exhausted." };
  if ((share(figures.errors_last_5m, figures.requests_last_5m) ?? 0) > ERROR_RATIO_ALERT)
    found.errors_last_5m = {
      level: "alert",
      text: `Alert: over ${ERROR_RATIO_ALERT * 100}% of requests`,
      said: `Over ${ERROR_RATIO_ALERT * 100}% of requests failed in the last 5 minutes.`,
    };
  return found;
}

/** The fleet's figures: what each is called, its value, the line under it. */
const FIGURES = [
  { key: "votes_per_second", label: "Votes per second", value: rate, sub: () => "accepted ballots, last 10 s" },
  { key: "watchers", label: "Watchers", value: count, sub: () => "open live-results screens" },
  {
    key: "lag_p50_ms",
    label: "Vote → screen lag, p50",
    value: ms,
    sub: (f) => (f.lag_p50_ms == null ? "no frames in the last minute" : "median, last minute"),
  },
  {
    key: "lag_p99_ms",
    label: "Vote → screen lag, p99",
    value: ms,
    sub: (f) => (f.lag_p99_ms == null ? "no frames in the last minute" : "last minute"),
  },
  {
    key: "queue_depth",
    label: "Ballot queue",
    value: count,
    sub: (f) => `waiting, of ${count(f.queue_capacity)} places`,
  },
  {
    key: "pool_in_use",
    label: "Database pool",
    value: count,
    sub: (f) => `in use, of ${count(f.pool_max)} connections`,
  },
  {
    key: "errors_last_5m",
    label: "Errors, last 5 min",
    value: count,
    sub: (f) => `5xx of ${count(f.requests_last_5m)} requests · ${count(f.refusals_last_5m)} refused (429)`,
  },
];

/** The table's columns: a header, and a cell's content for a process. */
const COLUMNS = [
  ["Votes/s", (p) => rate(p.votes_per_second)],
  ["Watchers", (p) => count(p.watchers)],
  ["Lag p50", (p) => ms(p.lag_p50_ms)],
  ["Lag p99", (p, crossed) => [ms(p.lag_p99_ms), levelNote(crossed.lag_p99_ms)]],
  ["Queue", (p, crossed) => [`${count(p.queue_depth)} of ${count(p.queue_capacity)}`, levelNote(crossed.queue_depth)]],
  ["Pool", (p, crossed) => [`${count(p.pool_in_use)} of ${count(p.pool_max)}`, levelNote(crossed.pool_in_use)]],
  [
    "Errors (5\u00a0min)",
    (p, crossed) => [`${count(p.errors_last_5m)} of ${count(p.requests_last_5m)}`, levelNote(crossed.errors_last_5m)],
  ],
  ["Refused (5\u00a0min)", (p) => count(p.refusals_last_5m)],
];

const levelNote = (crossed) => (crossed ? el("span", { class: `level ${crossed.level}` }, crossed.text) : null);

/** A line of `points` ({t, v}, v null for a gap) from the first of them (10 minutes ago at most)
 *  to `now`, from 0 to the highest value seen; drawn for the eye only (the figure above it is
 *  the value). */
function sparkline(points, now) {
  const width = 120;
  const height = 28;
  const top = Math.max(0, ...points.map((p) => p.v ?? 0));
  const from = Math.max(now - HISTORY_MS, points[0]?.t ?? now);
  const span = Math.max(now - from, REFRESH_MS);
  let d = "";
  let drawing = false;
  for (const { t, v } of points) {
    if (v == null) {
      drawing = false;
      continue;
    }
    const x = width - ((now - t) / span) * width;
    const y = height - 1 - (top > 0 ? (v / top) * (height - 2) : 0);
    d += `${drawing ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)}`;
    drawing = true;
  }
  return el(
    "svg",
    {
      class: "sparkline",
      viewBox: `0 0 ${width} ${height}`,
      preserveAspectRatio: "none",
      "aria-hidden": "true",
      focusable: "false",
    },
    d ? el("path", { d }) : null,
  );
}

/**
 * Draws the Operations view into `view` and starts reading the endpoint every 2 seconds.
 * `onSessionEnd()` is called (and polling stops) when the api answers 401. Returns `{stop()}`,
 * which the console calls when it leaves the view.
 */
export function operationsView({ view, onSessionEnd }) {
  document.title = "Operations — BLW admin";
  const announcer = el("div", { class: "visually-hidden", id: "ops-announcer", "aria-live": "polite" });
  const summary = el("p", { class: "ops-summary", id: "ops-summary" }, "Reading the fleet's figures…");
  const updated = el("p", { class: "ops-updated", id: "ops-updated" });
  const pause = el(
    "button",
    { type: "button", class: "secondary small", id: "ops-pause", "aria-pressed": "false" },
    "Pause updates",
  );
  const cards = new Map();
  const figureList = el(
    "dl",
    { class: "ops-figures", id: "ops-fleet" },
    FIGURES.map((figure) => {
      const value = el("span", { class: "figure-number" }, "–");
      const line = el("span", { class: "figure-line" });
      const sub = el("dd", { class: "figure-sub" });
      const level = el("dd", { class: "figure-level" });
      const card = el(
        "div",
        { class: "figure", dataset: { figure: figure.key } },
        el("dt", {}, figure.label),
        el("dd", { class: "figure-value" }, value, line),
        sub,
        level,
      );
      cards.set(figure.key, { card, value, line, sub, level });
      return card;
    }),
  );
  const tableBody = el("tbody", {});
  const empty = el("p", { class: "empty", hidden: true }, "No process has reported in the last 10 seconds.");
  const tableWrap = el(
    "div",
    { class: "table-wrap", role: "region", "aria-labelledby": "ops-processes-title", tabindex: "0" },
    el(
      "table",
      { class: "ops-processes", "aria-labelledby": "ops-processes-title" },
      el(
        "thead",
        {},
        el(
          "tr",
          {},
          el("th", { scope: "col" }, "Process"),
          el("th", { scope: "col" }, "State"),
          COLUMNS.map(([name]) => el("th", { scope: "col", class: "num" }, name)),
        ),
      ),
      tableBody,
    ),
  );
  view.replaceChildren(
    el(
      "section",
      { class: "panel operations", "aria-labelledby": "ops-title" },
      el(
        "div",
        { class: "ops-head" },
        el("h2", { id: "ops-title" }, "Operations"),
        el("div", { class: "actions" }, updated, pause),
      ),
      el(
        "p",
        { class: "note" },
        `The api processes' own figures, refreshed every ${REFRESH_MS / 1000} seconds. Read-only. Warnings and alerts follow the alert rules: vote → screen lag p99 over ${LAG_P99_WARNING_MS} ms, the ballot queue over ${QUEUE_WARNING * 100}% full, the database pool exhausted, over ${ERROR_RATIO_ALERT * 100}% of requests failing.`,
      ),
      announcer,
      el("h3", { id: "ops-fleet-title" }, "Fleet"),
      summary,
      figureList,
      el("p", { class: "note" }, "The line under each figure: the last 10 minutes this page has seen."),
      el("h3", { id: "ops-processes-title" }, "Processes"),
      tableWrap,
      empty,
    ),
  );

  let stopped = false;
  let paused = false;
  let timer = null;
  let inFlight = false;
  let immediate = true; // the next read now, not in 2 seconds
  let failing = null; // the message of the last failed read, while reads fail
  let lastData = null;
  /** Per fleet figure, its values over the last 10 minutes. */
  const history = new Map(FIGURES.map((figure) => [figure.key, []]));
  /** What the last read said, to announce only what changed: per process its state, and the
   *  fleet's crossed thresholds. */
  let known = null;

  const announce = (messages) => {
    if (messages.length) announcer.replaceChildren(el("p", {}, messages.join(" ")));
  };

  const showUpdated = () => {
    const parts = [];
    if (lastData?.generated_at) parts.push(`Figures of ${clock(new Date(lastData.generated_at))}`);
    if (paused) parts.push("paused");
    else if (failing) parts.push(`not updating: ${failing}`);
    updated.textContent = parts.join(" · ");
    updated.classList.toggle("failing", Boolean(failing) && !paused);
  };

  const draw = (data) => {
    const fleet = data.fleet ?? {};
    const processes = [...(data.processes ?? [])].sort((a, b) => String(a.process).localeCompare(String(b.process)));
    const now = Date.now();
    const crossed = levels(fleet);
    for (const figure of FIGURES) {
      const points = history.get(figure.key);
      points.push({ t: now, v: fleet[figure.key] ?? null });
      while (points.length && points[0].t < now - HISTORY_MS) points.shift();
      const { card, value, line, sub, level } = cards.get(figure.key);
      // The unit smaller than the number, so that the number stays large in a narrow card.
      const text = figure.value(fleet[figure.key]);
      const unit = text.match(/ ms$/);
      value.replaceChildren(unit ? text.slice(0, unit.index) : text, unit ? el("span", { class: "unit" }, " ms") : "");
      line.replaceChildren(sparkline(points, now));
      sub.textContent = figure.sub(fleet);
      const found = crossed[figure.key];
      level.textContent = found?.text ?? "";
      card.classList.toggle("warning", found?.level === "warning");
      card.classList.toggle("alert", found?.level === "alert");
    }
    const total = fleet.processes ?? processes.length;
    const ready = fleet.ready_processes ?? processes.filter((p) => p.ready).length;
    const stale = processes.filter(isStaleProcess).length;
    summary.replaceChildren(
      `${integer(total)} ${total === 1 ? "process" : "processes"} reporting, ${integer(ready)} ready`,
      stale ? `, ${integer(stale)} stale` : "",
      ".",
      ...(ready < total ? [" ", el("span", { class: "level warning" }, "Warning: not every process is ready")] : []),
    );
    summary.classList.toggle("warning", ready < total || stale > 0);

    tableBody.replaceChildren(
      ...processes.map((p) => {
        const isStale = isStaleProcess(p);
        const rowCrossed = levels(p);
        return el(
          "tr",
          {
            dataset: { process: p.process },
            class: [isStale ? "stale" : null, p.ready ? null : "not-ready"].filter(Boolean).join(" ") || null,
          },
          el("th", { scope: "row" }, el("code", {}, p.process)),
          el(
            "td",
            { class: "state" },
            el("span", { class: `badge ${p.ready ? "ready" : "not-ready"}` }, p.ready ? "Ready" : "Not ready"),
            isStale ? [" ", el("span", { class: "badge stale" }, "Stale")] : null,
            el("span", { class: "age" }, p.age_seconds == null ? "" : `last report ${seconds(p.age_seconds)} ago`),
          ),
          COLUMNS.map(([, cell]) => el("td", { class: "num" }, cell(p, rowCrossed))),
        );
      }),
    );
    empty.hidden = processes.length > 0;
    tableWrap.hidden = processes.length === 0;

    // Only what changed since the last read is said.
    const state = {
      processes: new Map(processes.map((p) => [p.process, { ready: Boolean(p.ready), stale: isStaleProcess(p) }])),
      crossed,
    };
    if (known) announce(changes(known, state));
    known = state;
  };

  const schedule = () => {
    clearTimeout(timer);
    timer = null;
    if (!stopped && !paused && !document.hidden) timer = setTimeout(tick, immediate ? 0 : REFRESH_MS);
  };

  const tick = async () => {
    timer = null;
    if (stopped || paused || document.hidden || inFlight) return;
    inFlight = true;
    try {
      const response = await fetch(ENDPOINT, {
        headers: { accept: "application/json" },
        credentials: "same-origin",
        signal: AbortSignal.timeout(5_000),
      });
      if (stopped) return;
      if (response.status === 401) {
        stop();
        onSessionEnd?.();
        return;
      }
      const body = await response.json().catch(() => null);
      if (!response.ok) throw new Error(body?.error?.message ?? `the api answered ${response.status}`);
      if (!body) throw new Error("the api's answer was not JSON");
      if (stopped) return;
      if (failing) announce(["The operations figures are updating again."]);
      failing = null;
      lastData = body;
      draw(body);
    } catch (error) {
      if (stopped) return;
      const message =
        error?.name === "TimeoutError" ? "the api did not answer within 5 seconds" : (error?.message ?? String(error));
      if (!failing) announce([`The operations figures stopped updating: ${message}.`]);
      failing = message;
    } finally {
      inFlight = false;
      immediate = false;
      if (!stopped) {
        showUpdated();
        schedule();
      }
    }
  };

  const onVisibility = () => {
    if (document.hidden) {
      clearTimeout(timer);
      timer = null;
    } else {
      immediate = true;
      schedule();
    }
  };

  pause.addEventListener("click", () => {
    paused = !paused;
    pause.setAttribute("aria-pressed", String(paused));
    showUpdated();
    if (paused) {
      clearTimeout(timer);
      timer = null;
    } else {
      immediate = true;
      schedule();
    }
  });

  function stop() {
    stopped = true;
    clearTimeout(timer);
    timer = null;
    document.removeEventListener("visibilitychange", onVisibility);
  }

  document.addEventListener("visibilitychange", onVisibility);
  schedule();
  return { stop };
}

/** The fleet's figures that can cross a threshold, as a sentence names them once back. */
const FIGURE_NAMES = {
  lag_p99_ms: "Vote → screen lag p99",
  queue_depth: "The ballot queue",
  pool_in_use: "The database pool",
  errors_last_5m: "The share of failed requests",
};

/** The significant changes from one read to the next, as sentences. */
function changes(before, after) {
  const said = [];
  for (const [name, was] of before.processes) {
    const now = after.processes.get(name);
    if (!now) {
      said.push(`Process ${name} stopped reporting and dropped out.`);
      continue;
    }
    if (was.ready && !now.ready) said.push(`Process ${name} is not ready.`);
    if (!was.ready && now.ready) said.push(`Process ${name} is ready again.`);
    if (!was.stale && now.stale) said.push(`Process ${name} has not reported for over ${STALE_SECONDS} seconds.`);
    if (was.stale && !now.stale) said.push(`Process ${name} is reporting again.`);
  }
  for (const name of after.processes.keys()) {
    if (!before.processes.has(name)) said.push(`Process ${name} started reporting.`);
  }
  for (const key of Object.keys(FIGURE_NAMES)) {
    const was = before.crossed[key];
    const now = after.crossed[key];
    if (now && now.level !== was?.level) said.push(now.said);
    if (was && !now) said.push(`${FIGURE_NAMES[key]} is back within bounds.`);
  }
  return said;
}
