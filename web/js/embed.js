// One chart on a page of its own, to be framed by other sites (/embed/{chart}?q=&wave=&split=&theme=):
// the chart, its title, caption, source line and a "Get the data" link; no navigation. It reads
// public survey data only and sends no cookies. It tells the framing page its height (see
// embed-resize.js) and redraws for the width it is given.
import { POOLED, principlesViews, questionViews } from "./chart-views.js";
import { chartLegend, chartTexts, describeChart } from "./charts.js";
import { api, apiDefaults, el, onWidthChange, showError, toCsv } from "./common.js";

apiDefaults.credentials = "omit";
const CHARTS = ["diverging", "distribution", "trend", "gap", "principles"];
const SPLITS = ["none", "party", "ideology"];
const THEMES = ["light", "dark", "auto"];
/** The reader's setting, which theme=auto follows (also when it changes). */
const darkReader = matchMedia("(prefers-color-scheme: dark)");
const dom = {
  main: document.getElementById("embed"),
  title: document.getElementById("embed-title"),
  question: document.getElementById("embed-question"),
  legend: document.getElementById("embed-legend"),
  chart: document.getElementById("embed-chart"),
  texts: document.getElementById("embed-texts"),
  source: document.getElementById("embed-source"),
  status: document.getElementById("embed-status"),
};

/** The state in the address, or the first thing wrong with it. */
function readState() {
  const chart = decodeURIComponent(location.pathname.split("/")[2] ?? "");
  const params = new URLSearchParams(location.search);
  const wave = params.get("wave");
  const state = {
    chart,
    q: params.get("q"),
    wave: wave == null || wave === "" ? null : wave === POOLED ? POOLED : Number(wave),
    split: params.get("split") ?? "none",
    theme: params.get("theme") ?? "auto",
  };
  const problems = [];
  if (!CHARTS.includes(chart)) problems.push(`chart must be one of ${CHARTS.join(", ")}`);
  if (chart !== "principles" && !state.q) problems.push("q (the question) is required");
  if (state.wave !== null && state.wave !== POOLED && !(Number.isInteger(state.wave) && state.wave > 0))
    problems.push(`wave must be a wave number or "all", not "${wave}"`);
  if (!SPLITS.includes(state.split)) problems.push(`split must be one of ${SPLITS.join(", ")}`);
  if (!THEMES.includes(state.theme)) problems.push(`theme must be one of ${THEMES.join(", ")}`);
  return { state, problems };
}

/** Tells the framing page how tall the chart is. */
function postHeight() {
  if (window.parent === window) return;
  window.parent.postMessage({ type: "blw-embed:height", height: document.documentElement.scrollHeight }, "*");
}

function dashboardUrl(state, wave) {
  const params = new URLSearchParams({ view: state.chart === "principles" ? "principles" : "question" });
  if (state.q) params.set("q", state.q);
  if (wave != null) params.set("wave", String(wave));
  params.set("split", state.split);
  return `${location.origin}/?${params}`;
}

async function build(state) {
  // The chart is drawn at the width it is shown at (main's content box), never scaled down.
  const style = getComputedStyle(dom.main);
  const width = Math.max(240, dom.main.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight));
  if (state.chart === "principles") {
    const waves = (await api("/api/surveys/waves")).data.map((w) => w.number);
    const result = await principlesViews(state, waves, width, (q) =>
      window.open(dashboardUrl({ ...state, q, chart: "question" }, result.wave), "_blank", "noopener"),
    );
    return {
      ...result,
      question: null,
      missing: `${result.waveName} asked no principle's importance and performance both.`,
    };
  }
  const question = (await api(`/api/questions/${encodeURIComponent(state.q)}`)).data;
  const result = await questionViews(question, state, width, state.chart);
  const reason = result.asked.length
    ? `This question has no ${state.chart} chart: its responses are categories, not a scale.`
    : "No wave has valid answers to this question yet.";
  return { ...result, missing: reason };
}

let drawn = 0;
async function render() {
  const id = ++drawn;
  const { state, problems } = readState();
  document.documentElement.dataset.theme =
    state.theme === "auto" || !THEMES.includes(state.theme) ? (darkReader.matches ? "dark" : "light") : state.theme;
  if (problems.length) {
    showError(dom.status, new Error(`This chart's address is not valid: ${problems.join("; ")}.`));
    dom.main.removeAttribute("aria-busy");
    postHeight();
    return;
  }
  try {
    const result = await build(state);
    if (id !== drawn) return;
    const view = result.views[0];
    if (!view) throw new Error(result.missing);
    document.title = `${view.title} — Bright Line Watch`;
    dom.title.textContent = view.title;
    dom.question.replaceChildren(
      ...(result.question
        ? [
            result.question.battery_prefix ? el("span", { class: "prefix" }, result.question.battery_prefix) : null,
            el("strong", {}, result.question.text),
          ]
        : ["Each point is a principle: the share rating it important against the share saying the US meets it."]),
    );
    describeChart(view.chart, "embed-view", view.title);
    dom.legend.replaceChildren(chartLegend(view.chart));
    dom.chart.replaceChildren(view.chart.svg, view.chart.readout ?? "");
    dom.texts.replaceChildren(...chartTexts("embed-view", view.caption, view.chart));
    const csv = URL.createObjectURL(
      new Blob([toCsv(view.chart.table.header, view.chart.table.rows)], { type: "text/csv" }),
    );
    dom.source.replaceChildren(
      `Source: ${view.source}. `,
      el("a", { href: csv, download: `${view.filename}.csv`, "data-get-data": "" }, "Get the data"),
      " · ",
      el("a", { href: dashboardUrl(state, state.wave), target: "_blank", rel: "noopener" }, "Explore in the dashboard"),
    );
    dom.status.replaceChildren(...result.notes.map((n) => el("p", { class: "note" }, n)));
  } catch (error) {
    if (id === drawn) showError(dom.status, error);
  } finally {
    if (id === drawn) dom.main.removeAttribute("aria-busy");
    postHeight();
  }
}

darkReader.addEventListener("change", () => readState().state.theme === "auto" && render());
window.addEventListener("message", (event) => {
  if (event.data?.type === "blw-embed:measure") postHeight();
});
new ResizeObserver(postHeight).observe(document.body);
// Drawn for the width the frame gives: draw again when it changes enough to matter.
onWidthChange(dom.main, 24, render);
render();
