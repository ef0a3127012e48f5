// Survey dashboard: a question's distribution per group, its top-2 share over waves, and the
// principles scatter. The whole view lives in the URL (?view=&q=&wave=&split=): share a link, get
// the same view; the back button steps through earlier views.
import { api, el, flattenCatalog, onWidthChange, searchCatalog, showError } from "./common.js";
import { POOLED, principlesViews, questionViews } from "./chart-views.js";
import { chartCard } from "./charts.js";

const SPLITS = ["none", "party", "ideology"];
const dom = {
  tabs: [...document.querySelectorAll(".tabs a")],
  search: document.getElementById("question-search"),
  pickerField: document.getElementById("picker-field"),
  question: document.getElementById("question"),
  wave: document.getElementById("wave"),
  split: [...document.querySelectorAll("input[name=split]")],
  status: document.getElementById("status"),
  view: document.getElementById("view"),
};

let catalog = []; // every question, flattened, with its battery and sub-battery
let waves = []; // every wave number, ascending
let renderId = 0;

function readState() {
  const params = new URLSearchParams(location.search);
  const view = params.get("view") === "principles" ? "principles" : "question";
  const split = SPLITS.includes(params.get("split")) ? params.get("split") : "none";
  // A wave number, "all" (every wave pooled), or null (the latest wave).
  const raw = params.get("wave");
  const wave = raw === POOLED ? POOLED : raw && /^\d+$/.test(raw) ? Number(raw) : null;
  return { view, q: params.get("q"), wave, split };
}

function urlFor(state) {
  const params = new URLSearchParams();
  params.set("view", state.view);
  if (state.view === "question" && state.q) params.set("q", state.q);
  if (state.wave != null) params.set("wave", String(state.wave));
  params.set("split", state.split);
  return `?${params}`;
}

/** Every control goes through here: a new history entry, then the view. */
function navigate(change) {
  const state = { ...readState(), ...change };
  history.pushState(null, "", urlFor(state));
  render();
}

function questionLabel(question) {
  return question.short_text
    ? `${question.short_text} (${question.var_name})`
    : `${question.text} (${question.var_name})`;
}

/** The question list, narrowed to the questions containing every word typed in the search box. */
function fillQuestionList(selected) {
  const matches = searchCatalog(catalog, dom.search.value);
  const groups = new Map();
  for (const q of matches) {
    if (!groups.has(q.group)) groups.set(q.group, []);
    groups.get(q.group).push(q);
  }
  const options = [...groups].map(([label, questions]) =>
    el(
      "optgroup",
      { label },
      questions.map((q) => el("option", { value: q.var_name, selected: q.var_name === selected }, questionLabel(q))),
    ),
  );
  if (!matches.length) options.push(el("option", { value: "", disabled: true }, "No question matches the search"));
  // Keep the current question choosable even when the search hides it.
  if (selected && !matches.some((q) => q.var_name === selected)) {
    const current = catalog.find((q) => q.var_name === selected);
    if (current) options.unshift(el("option", { value: current.var_name, selected: true }, questionLabel(current)));
  }
  dom.question.replaceChildren(...options);
}

function fillWaves(available, selected) {
  const options = available
    .slice()
    .reverse()
    .map((w) => el("option", { value: String(w), selected: w === selected }, `Wave ${w}`));
  if (available.length > 1)
    options.push(
      el("option", { value: POOLED, selected: selected === POOLED }, `All waves pooled (${available.join(", ")})`),
    );
  dom.wave.replaceChildren(...options);
}

function syncControls(state) {
  for (const tab of dom.tabs) {
    tab.href = urlFor({ ...state, view: tab.dataset.view });
    if (tab.dataset.view === state.view) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
  }
  dom.pickerField.hidden = state.view !== "question";
  for (const radio of dom.split) radio.checked = radio.value === state.split;
  if (state.view === "question") fillQuestionList(state.q);
}

function questionText(question) {
  return el(
    "p",
    { class: "question-text" },
    question.battery_prefix ? el("span", { class: "prefix" }, question.battery_prefix) : null,
    el("strong", {}, question.text),
  );
}

/** The width a card's chart is shown at, to draw it at (never scaled down): the view less the
 *  card's padding and border (app.css, .chart-card: less padding on phones). */
function chartWidth() {
  const inset = matchMedia("(max-width: 480px)").matches ? 2 * 12 + 2 : 2 * 20 + 2;
  return Math.max(240, Math.min(1120, dom.view.clientWidth - inset));
}

/** The address of a chart's embed page for a view state. */
function embedUrl(chart, state, wave) {
  const params = new URLSearchParams();
  if (state.q && chart !== "principles") params.set("q", state.q);
  if (wave != null) params.set("wave", String(wave));
  params.set("split", state.split);
  return `${location.origin}/embed/${chart}?${params}`;
}

function card(view, question, state, wave, extra = {}) {
  return chartCard({ ...view, question, embedUrl: embedUrl(view.id, state, wave), ...extra });
}

async function renderQuestion(state, id) {
  const question = catalog.find((q) => q.var_name === state.q);
  if (!question) {
    dom.view.replaceChildren();
    showError(
      dom.status,
      new Error(state.q ? `There is no question "${state.q}". Pick one from the list.` : "Pick a question."),
    );
    return;
  }
  const result = await questionViews(question, state, chartWidth());
  if (id !== renderId) return;
  fillWaves(result.asked, result.wave);
  if (!result.asked.length) {
    dom.status.replaceChildren();
    dom.view.replaceChildren(
      el(
        "section",
        { class: "panel" },
        questionText(question),
        el("p", { class: "empty" }, "No wave has valid answers to this question yet."),
      ),
    );
    return;
  }
  dom.status.replaceChildren(...result.notes.map((n) => el("p", { class: "note", role: "status" }, n)));
  dom.view.replaceChildren(
    ...result.views.map((view) => card(view, questionText(question), state, state.wave ?? null)),
  );
}

async function renderPrinciples(state, id) {
  fillWaves(waves, state.wave === POOLED || waves.includes(state.wave) ? state.wave : waves[waves.length - 1]);
  const result = await principlesViews(state, waves, chartWidth(), (q) => navigate({ view: "question", q }));
  if (id !== renderId) return;
  fillWaves(waves, result.wave);
  dom.status.replaceChildren(...result.notes.map((n) => el("p", { class: "note", role: "status" }, n)));
  if (!result.views.length) {
    dom.view.replaceChildren(
      el(
        "section",
        { class: "panel" },
        el(
          "p",
          { class: "empty" },
          `${result.waveName[0].toUpperCase()}${result.waveName.slice(1)} asked no principle's importance and performance both. Pick another wave.`,
        ),
      ),
    );
    return;
  }
  const explanation = el(
    "p",
    { class: "question-text" },
    "Each point is a principle: how many rate it important (top two responses, across) against how many say the US meets it (top two, up). Points below the dashed line: the US falls short of what people think matters. Click a point to open its performance question.",
  );
  dom.view.replaceChildren(
    ...result.views.map((view) =>
      card(view, explanation, state, state.wave ?? null, {
        linkFor: (q) => urlFor({ view: "question", q, wave: result.wave, split: state.split }),
      }),
    ),
  );
}

async function render() {
  const id = ++renderId;
  const state = readState();
  if (state.view === "question" && !state.q && catalog.length) {
    // Open on the first performance question rather than an empty page; keep the URL honest.
    state.q = (catalog.find((q) => q.var_name.startsWith("perf_")) ?? catalog[0]).var_name;
    history.replaceState(null, "", urlFor(state));
  }
  syncControls(state);
  dom.view.setAttribute("aria-busy", "true");
  // Say so when a view takes a moment (a cold server computes a question's cells first).
  const loading = setTimeout(() => {
    if (id === renderId) dom.status.replaceChildren(el("p", { class: "note" }, "Loading…"));
  }, 300);
  try {
    if (state.view === "principles") await renderPrinciples(state, id);
    else await renderQuestion(state, id);
  } catch (error) {
    if (id === renderId) showError(dom.status, error);
  } finally {
    clearTimeout(loading);
    if (id === renderId) dom.view.removeAttribute("aria-busy");
  }
}

function wireControls() {
  dom.search.addEventListener("input", () => fillQuestionList(readState().q));
  dom.search.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    const first = dom.question.querySelector("option:not([disabled])");
    if (first && first.value !== readState().q) navigate({ q: first.value });
  });
  dom.question.addEventListener("change", () => dom.question.value && navigate({ q: dom.question.value }));
  dom.wave.addEventListener("change", () =>
    navigate({ wave: dom.wave.value === POOLED ? POOLED : Number(dom.wave.value) }),
  );
  for (const radio of dom.split) radio.addEventListener("change", () => navigate({ split: radio.value }));
  for (const tab of dom.tabs) {
    tab.addEventListener("click", (event) => {
      event.preventDefault();
      navigate({ view: tab.dataset.view });
    });
  }
  document.getElementById("controls").addEventListener("submit", (event) => event.preventDefault());
  window.addEventListener("popstate", render);
  onWidthChange(dom.view, 40, render);
}

async function start() {
  wireControls();
  try {
    const [batteries, waveList] = await Promise.all([api("/api/batteries"), api("/api/surveys/waves")]);
    catalog = flattenCatalog(batteries.data);
    waves = waveList.data.map((w) => w.number).sort((a, b) => a - b);
  } catch (error) {
    showError(dom.status, error);
    return;
  }
  await render();
}

// The vendored chart libraries are classic deferred scripts: they have run before this module.
start();
