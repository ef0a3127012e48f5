// Live poll results, shared by the participant page, the presenter view and the admin console:
// horizontal bars per response, the audience's share beside the national weighted share. Bars are
// updated in place so they glide (CSS transitions) as votes arrive.
import { api, el, groupPlural, integer, pct0, pct1 } from "./common.js";

/** Hides (`hidden`) or reveals a question's results to the audience (admins); errors go to `onError`. */
export function resultsVisibility(pollId, onError) {
  return async (varName, hidden) => {
    try {
      await api(`/api/admin/polls/${pollId}/questions/${encodeURIComponent(varName)}`, {
        method: "PATCH",
        body: { results_hidden: hidden },
      });
    } catch (error) {
      onError(error);
    }
  };
}

/** Follows a poll's results stream; `onResults(results, kind)` with kind snapshot | update | closed;
 *  `onLost()` when the connection drops (EventSource reconnects by itself; a snapshot follows).
 *  `url`: another stream of the same shape (the console's, which includes hidden questions). */
export function followResults(slug, onResults, onDeleted, onLost, { url } = {}) {
  const source = new EventSource(url ?? `/api/polls/${encodeURIComponent(slug)}/results/stream`);
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
  /** `onVisibility(varName, hidden)`: offer Reveal / Hide per question (admins). */
  constructor(container, { questions = [], present = false, showGroups = false, onVisibility = null } = {}) {
    this.container = container;
    this.onVisibility = onVisibility;
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
    // A public placeholder ({var_name, text, hidden}) has no numbers; staff get numbers and the flag.
    const mode = question.overall ? (question.hidden ? "shown-to-staff" : "shown") : "hidden";
    let entry = this.cards.get(question.var_name);
    if (entry && entry.mode !== mode) {
      const rebuilt = this.build(question, index, total, mode);
      entry.card.replaceWith(rebuilt.card);
      entry = rebuilt;
      this.cards.set(question.var_name, entry);
    }
    if (!entry) {
      entry = this.build(question, index, total, mode);
      this.cards.set(question.var_name, entry);
      this.container.append(entry.card);
    }
    if (mode === "hidden") return;
    // Live updates leave the comparison out between its recomputations (at most once a second):
    // the last one stands until then.
    if ("room_vs_nation" in question) entry.comparison = question.room_vs_nation;
    const comparisons = entry.comparison?.overall.responses ?? [];
    question.responses.forEach((_response, i) => {
      const row = entry.rows[i];
      const share = question.overall.shares[i] ?? 0;
      row.audience.style.transform = `scaleX(${share.toFixed(4)})`;
      row.audienceValue.textContent = `${pct0(share)} (${integer(question.overall.counts[i] ?? 0)})`;
      row.audienceValue.title = `${pct1(share)} of this audience`;
      if (question.national) {
        const national = question.national.shares[i] ?? 0;
        const nation = comparisons[i]?.nation;
        row.national.style.transform = `scaleX(${national.toFixed(4)})`;
        row.nationalValue.textContent = pct0(national);
        row.nationalValue.title =
          nation?.ci_low != null
            ? `${pct1(national)} of US adults (95% CI ${pct1(nation.ci_low)}–${pct1(nation.ci_high)})`
            : "";
        row.nationalCi.textContent =
          nation?.ci_low != null ? `95% CI ${pct0(nation.ci_low)}–${pct0(nation.ci_high)}` : "";
      }
    });
    entry.count.textContent = `${integer(question.overall.n)} ${question.overall.n === 1 ? "answer" : "answers"}`;
    if (entry.versus && entry.comparison)
      entry.versus.replaceChildren(...versusLines(entry.comparison, this.lastResults?.split_by));
    if (entry.groups) entry.groups.replaceChildren(...(question.groups.length ? [groupTable(question)] : []));
  }

  /** A question's card: the placeholder of a hidden one, or its bars. */
  build(question, index, total, mode) {
    const entry =
      mode === "hidden" ? this.buildHidden(question, index, total) : this.buildQuestion(question, index, total);
    entry.mode = mode;
    if (this.onVisibility) {
      const hidden = mode !== "shown";
      entry.card.append(
        el(
          "div",
          { class: "visibility" },
          mode === "shown-to-staff" ? el("span", { class: "badge closed" }, "Hidden from the audience") : null,
          el(
            "button",
            {
              type: "button",
              class: hidden ? "reveal" : "secondary",
              "data-visibility": hidden ? "reveal" : "hide",
              onclick: () => this.onVisibility(question.var_name, !hidden),
            },
            hidden ? "Reveal results" : "Hide results",
          ),
        ),
      );
    }
    return entry;
  }

  /** What every card starts with: its place (presenter view), battery prefix and text. */
  cardHead(question, index, total) {
    const prefix = this.prefixes.get(question.var_name);
    return [
      this.present ? el("p", { class: "progress" }, `Question ${index + 1} of ${total}`) : null,
      prefix ? el("p", { class: "result-prefix" }, prefix) : null,
      el("h3", {}, question.text),
    ];
  }

  buildHidden(question, index, total) {
    const card = el(
      "section",
      { class: "panel result-card hidden-results", dataset: { question: question.var_name, index: String(index) } },
      this.cardHead(question, index, total),
      el(
        "p",
        { class: "hidden-note", role: "status" },
        this.present ? "Results are hidden until revealed." : "Results appear when the presenter reveals them.",
      ),
    );
    return { card, rows: [], count: null };
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
      const nationalCi = el("span", { class: "national-ci" });
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
              nationalCi,
            )
          : null,
      );
      return { block, audience, national, audienceValue, nationalValue, nationalCi };
    });
    const count = el("span", { class: "count" });
    const groups = this.showGroups ? el("div", { class: "group-results" }) : null;
    const versus = question.room_vs_nation ? el("div", { class: "versus", "aria-live": "off" }) : null;
    const card = el(
      "section",
      { class: "panel result-card", dataset: { question: question.var_name, index: String(index) } },
      this.cardHead(question, index, total),
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
      versus,
      groups,
    );
    return { card, rows, count, groups, versus };
  }
}

/** "21 points" / "1 point": a difference of shares in whole points. */
const points = (d) => {
  const n = Math.round(Math.abs(d) * 100);
  return `${n} point${n === 1 ? "" : "s"}`;
};
/** A CI of a difference as the sentence reads it (its sign following "more"/"less"). */
function ciOf(comparison) {
  const [lo, hi] =
    comparison.difference >= 0 ? [comparison.ci_low, comparison.ci_high] : [-comparison.ci_high, -comparison.ci_low];
  const [a, b] = [Math.round(lo * 100), Math.round(hi * 100)];
  return a < 0 ? `95% CI −${Math.abs(a)} to ${b}` : `95% CI ${a}–${b}`;
}

/** The real differences of one comparison, in words: who, which response, how much, how sure. */
function differences(comparison, who, whom) {
  return comparison.responses
    .filter((r) => r.verdict === "real")
    .map(
      (r) =>
        `${who} chose “${r.response}” ${points(r.difference)} ${r.difference > 0 ? "more" : "less"} often than ${whom} (${pct0(r.room)} vs ${pct0(r.nation.p)}; ${ciOf(r)}).`,
    );
}

/** "+50 points (95% CI 36–65)": a signed difference, for lists. */
function signedDifference(r) {
  const [a, b] = [Math.round(r.ci_low * 100), Math.round(r.ci_high * 100)];
  const n = (v) => `${v < 0 ? "−" : ""}${Math.abs(v)}`;
  return `“${r.response}” ${r.difference > 0 ? "+" : "−"}${points(r.difference)} (95% CI ${n(a)} to ${n(b)})`;
}

/** The room against the nation in plain words: overall, reweighted, group by group. */
function versusLines(versus, splitBy) {
  const line = (text, kind = "") => el("p", { class: kind }, text);
  if (versus.overall.n_room < 30)
    return [line("Too few answers to compare this room with US adults yet: 30 are needed.", "note")];
  const overall = differences(versus.overall, "This room", "US adults");
  const lines = overall.length
    ? overall.map((t) => line(t, "real"))
    : [line("No response sets this room clearly apart from US adults (p ≥ 0.05 for each).")];
  const reweighted = versus.reweighted;
  if (reweighted && reweighted.n_room >= 30) {
    const mix = splitBy === "ideo7" ? "ideological" : "party";
    const left = reweighted.left_out ? `; ${integer(reweighted.left_out)} in no group left out` : "";
    const real = reweighted.responses.filter((r) => r.verdict === "real");
    lines.push(
      line(
        `Reweighted to the nation's ${mix} mix (effective n = ${reweighted.n_eff.toFixed(0)}${left}): ${
          real.length
            ? `${real.map(signedDifference).join(", ")} against US adults.`
            : "no response sets this room clearly apart."
        }`,
        "reweighted",
      ),
    );
  }
  for (const group of versus.groups) {
    if (group.n_room < 30) continue;
    for (const text of differences(
      group,
      capitalize(groupPlural(group.group)),
      `${groupPlural(group.group)} nationally`,
    ))
      lines.push(line(text, "matched"));
  }
  const small = versus.groups.filter((g) => g.n_room > 0 && g.n_room < 30).map((g) => groupPlural(g.group));
  if (small.length) lines.push(line(`Too few answers to compare ${small.join(", ")} with the nation.`, "note"));
  return lines;
}

const capitalize = (text) => text.charAt(0).toUpperCase() + text.slice(1);

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
