// A frozen results page (/results/<key>): a poll's public results as a presenter froze them, saying
// when, with a line to cite it by. It reads the copy once: nothing on it moves (later answers, a
// reset or deleting the poll leave it as it is), and questions hidden then stay hidden.
import { api, el, showError } from "./common.js";
import { ResultsView } from "./poll-results.js";

const key = decodeURIComponent(location.pathname.split("/").filter(Boolean).at(-1) ?? "");
const dom = {
  title: document.getElementById("results-title"),
  frozen: document.getElementById("results-frozen"),
  status: document.getElementById("results-status"),
  results: document.getElementById("poll-results"),
  cite: document.getElementById("results-cite"),
};

/** "December 7, 2026 at 8:40 PM EST": the reader's time zone, named. */
const when = (at) =>
  new Date(at).toLocaleString("en-US", {
    year: "numeric",
    month: "long",
    day: "numeric",
    hour: "numeric",
    minute: "2-digit",
    timeZoneName: "short",
  });

async function show() {
  try {
    const frozen = (await api(`/api/frozen-results/${encodeURIComponent(key)}`)).data;
    const at = when(frozen.frozen_at);
    document.title = `${frozen.title} — results as of ${at} — Bright Line Watch`;
    dom.title.textContent = frozen.title;
    dom.frozen.replaceChildren(
      el("span", { class: "frozen-badge" }, "Frozen"),
      " Results as of ",
      el("time", { datetime: frozen.frozen_at }, at),
      ", when the presenter froze them: later answers are not included.",
    );
    const view = new ResultsView(dom.results, { questions: frozen.questions, controls: false });
    // A frozen copy is final (the api froze it as the public reads it once the voting is over).
    view.update(frozen.results);
    view.summary.textContent = `Frozen · ${view.summary.textContent.replace(/^Final results · /, "")}`;
    // A question hidden then stays hidden here: no presenter will reveal it on this page.
    for (const note of dom.results.querySelectorAll(".hidden-note"))
      note.textContent = "Its results were hidden from the audience when these were frozen.";
    const address = `${location.origin}/results/${frozen.key}`;
    dom.cite.replaceChildren(
      el("h2", {}, "Cite these results"),
      el(
        "p",
        {},
        `Bright Line Watch, “${frozen.title}”, live poll results as of ${at}. `,
        el("a", { href: address }, address),
      ),
    );
    dom.cite.hidden = false;
  } catch (error) {
    showError(
      dom.status,
      error.status === 404 ? new Error("No frozen results at this address: check the link you were given.") : error,
    );
  }
}

show();
