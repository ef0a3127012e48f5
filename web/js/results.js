// A frozen results page (/results/<key>): a poll's public results as a presenter froze them, with
// when. It reads the copy once: nothing on it moves.
import { api, el, showError } from "./common.js";
import { ResultsView } from "./poll-results.js";

const key = decodeURIComponent(location.pathname.split("/").filter(Boolean).at(-1) ?? "");
const dom = {
  title: document.getElementById("results-title"),
  frozen: document.getElementById("results-frozen"),
  status: document.getElementById("results-status"),
  results: document.getElementById("poll-results"),
};

const when = (at) =>
  new Date(at).toLocaleString("en-US", { dateStyle: "long", timeStyle: "short", timeZoneName: "short" });

async function show() {
  try {
    const frozen = (await api(`/api/frozen-results/${encodeURIComponent(key)}`)).data;
    document.title = `${frozen.title} — results — Bright Line Watch`;
    dom.title.textContent = frozen.title;
    dom.frozen.replaceChildren(
      "Results as of ",
      el("time", { datetime: frozen.frozen_at }, when(frozen.frozen_at)),
      ": frozen by the presenter; later answers are not included.",
    );
    const view = new ResultsView(dom.results, { questions: frozen.questions, controls: false });
    // A frozen copy is final whatever the poll was then.
    view.update({ ...frozen.results, is_open: false });
  } catch (error) {
    showError(dom.status, error);
  }
}

show();
