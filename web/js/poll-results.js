// Live poll results, shared by the participant page, the presenter view and the admin console:
// horizontal bars per response, the audience's share beside the national weighted share. Bars are
// updated in place so they glide (CSS transitions) as votes arrive.
import { el, integer, pct0, pct1 } from "./common.js";

/** Follows a poll's results stream; `onResults(results, kind)` with kind snapshot | update | closed;
 *  `onLost()` when the connection drops (EventSource reconnects by itself; a snapshot follows). */
export function followResults(slug, onResults, onDeleted, onLost) {
  const source = new EventSource(`/api/polls/${encodeURIComponent(slug)}/results/stream`);
  source.addEventListener("error", () => onLost?.());
  const handle = (kind) => (event) => {
    const data = JSON.parse(event.data);
    if (data.deleted) {
      source.close();
      onDeleted?.();
      return;
    }
    // After `closed` the server ends the stream; EventSource reconnects by itself and then hears
    // of a reopening (update) or a deletion, so the screen follows the admin's later moves too.
    onResults(data, kind);
  };
  source.addEventListener("snapshot", handle("snapshot"));
  source.addEventListener("update", handle("update"));
  source.addEventListener("closed", handle("closed"));
  return source;
}

const ANNOUNCE_EVERY_MS = 10_000;

/** Renders (first call) or updates (later calls) the results of every question into `container`. */
export class ResultsView {
  /** `questions`: the poll's questions (for each one's battery prefix, which tells apart
   *  an importance and a performance question with the same text). */
  constructor(container, { questions = [], present = false, showGroups = false } = {}) {
    this.container = container;
    this.prefixes = new Map(questions.map((q) => [q.var_name, q.battery_prefix]));
    this.present = present;
    this.showGroups = showGroups;
    this.cards = new Map(); // var_name → { card, rows: [{ audience, national, label }] }
    this.live = el("span", { class: "live", "aria-hidden": "true" });
    this.summary = el("p", { class: "results-summary" });
    // Screen readers hear the count now and then, not at every vote (votes can come 50 a second).
    this.announcer = el("p", { class: "visually-hidden", role: "status" });
    container.replaceChildren(el("div", { class: "results-head" }, this.live, this.summary), this.announcer);
  }

  /** One pulse of the live dot per update, not more than one at a time (Web Animations: no
   *  forced layout, and nothing queued up when votes pour in). */
  pulse() {
    if (this.pulsing && this.pulsing.playState === "running") return;
    this.pulsing = this.live.animate(
      [{ boxShadow: "0 0 0 0 rgba(0, 163, 108, 0.7)" }, { boxShadow: "0 0 0 12px rgba(0, 163, 108, 0)" }],
      { duration: 900, easing: "ease-out" },
    );
  }

  /** Copies the summary into the live region at most every 10 s (and always when it closes). */
  announce() {
    const due = !this.lastResults.is_open || !this.announcedAt || Date.now() - this.announcedAt >= ANNOUNCE_EVERY_MS;
    if (due) {
      this.announcedAt = Date.now();
      this.announcer.textContent = this.summary.textContent;
      return;
    }
    clearTimeout(this.announceTimer);
    this.announceTimer = setTimeout(() => this.announce(), ANNOUNCE_EVERY_MS - (Date.now() - this.announcedAt));
  }

  /** The stream dropped: an open poll's numbers may be behind until the next snapshot. */
  lost() {
    if (!this.lastResults?.is_open) return; // a closed poll's stream ends on purpose
    this.live.classList.add("stale");
    this.summary.textContent = `Reconnecting… · ${integer(this.lastResults.respondents)} responses so far`;
    this.announcer.textContent = this.summary.textContent;
  }

  update(results) {
    this.lastResults = results;
    this.live.classList.remove("stale");
    const state = results.is_open ? "Live" : "Final results";
    this.summary.textContent = `${state} · ${integer(results.respondents)} ${results.respondents === 1 ? "response" : "responses"}`;
    this.announce();
    this.live.classList.toggle("closed", !results.is_open);
    this.pulse();
    results.questions.forEach((question, index) => {
      this.updateQuestion(question, index, results.questions.length);
    });
  }

  updateQuestion(question, index, total) {
    let entry = this.cards.get(question.var_name);
    if (!entry) {
      entry = this.buildQuestion(question, index, total);
      this.cards.set(question.var_name, entry);
      this.container.append(entry.card);
    }
    question.responses.forEach((_response, i) => {
      const row = entry.rows[i];
      const share = question.overall.shares[i] ?? 0;
      row.audience.style.transform = `scaleX(${share.toFixed(4)})`;
      row.audienceValue.textContent = `${pct0(share)} (${integer(question.overall.counts[i] ?? 0)})`;
      row.audienceValue.title = `${pct1(share)} of this audience`;
      if (question.national) {
        const national = question.national.shares[i] ?? 0;
        row.national.style.transform = `scaleX(${national.toFixed(4)})`;
        row.nationalValue.textContent = pct0(national);
      }
    });
    entry.count.textContent = `${integer(question.overall.n)} ${question.overall.n === 1 ? "answer" : "answers"}`;
    if (entry.groups) entry.groups.replaceChildren(...(question.groups.length ? [groupTable(question)] : []));
  }

  buildQuestion(question, index, total) {
    const nationalLabel = question.national
      ? `US adults, BLW wave ${question.national.wave} (weighted, n = ${integer(question.national.n)})`
      : null;
    const rows = question.responses.map((response) => {
      const audience = el("div", { class: "bar audience" });
      const national = el("div", { class: "bar national" });
      const audienceValue = el("span", { class: "value" });
      const nationalValue = el("span", { class: "value national-value" });
      const block = el(
        "div",
        { class: "response-row" },
        el("div", { class: "response-label" }, response.response),
        el(
          "div",
          { class: "bar-line" },
          el("span", { class: "series" }, "This audience"),
          el("div", { class: "track" }, audience),
          audienceValue,
        ),
        question.national
          ? el(
              "div",
              { class: "bar-line" },
              el("span", { class: "series" }, "US adults"),
              el("div", { class: "track" }, national),
              nationalValue,
            )
          : null,
      );
      return { block, audience, national, audienceValue, nationalValue };
    });
    const count = el("span", { class: "count" });
    const groups = this.showGroups ? el("div", { class: "group-results" }) : null;
    const card = el(
      "section",
      { class: "panel result-card", dataset: { question: question.var_name, index: String(index) } },
      this.present ? el("p", { class: "progress" }, `Question ${index + 1} of ${total}`) : null,
      this.prefixes.get(question.var_name)
        ? el("p", { class: "result-prefix" }, this.prefixes.get(question.var_name))
        : null,
      el("h3", {}, question.text),
      el(
        "p",
        { class: "legend-line" },
        el("span", { class: "key audience" }),
        "This audience · ",
        count,
        nationalLabel
          ? [el("span", { class: "key national" }), nationalLabel]
          : el("span", { class: "note" }, " · no national figure for this question"),
      ),
      rows.map((r) => r.block),
      groups,
    );
    return { card, rows, count, groups };
  }
}

function groupTable(question) {
  return el(
    "table",
    {},
    el("caption", {}, "This audience by group (count and share)"),
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        el("th", { scope: "col" }, "Group"),
        el("th", { scope: "col", class: "num" }, "n"),
        question.responses.map((r) => el("th", { scope: "col", class: "num" }, r.response)),
      ),
    ),
    el(
      "tbody",
      {},
      question.groups.map((g) =>
        el(
          "tr",
          {},
          el("th", { scope: "row" }, g.group),
          el("td", { class: "num" }, integer(g.n)),
          g.shares.map((share, i) => el("td", { class: "num" }, `${pct1(share)} (${integer(g.counts[i])})`)),
        ),
      ),
    ),
  );
}
