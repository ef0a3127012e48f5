// Live poll results, shared by the participant page, the presenter view and the admin console, for
// every kind of question: a catalog question's bars beside the national weighted shares, a choice
// question's bars per option (and per group of the split), a scale's histogram and mean with its
// CI, a words question's cloud with its ranked list, an open question's approved answers (and a
// presenter's queue), a ranking's order beside the nation's (ranking.js), the room's guesses of
// the nation's answer and, once revealed, the answer (predict.js). Bars are updated in place so
// they glide (CSS transitions) as votes arrive.
import { api, el, groupPlural, groupShape, groupStyle, integer, pct0, pct1 } from "./common.js";
import { applyDelta } from "./live-protocol.js";
import { OpenAnswers } from "./open-answers.js";
import { PredictResults, predictWithheld } from "./predict.js";
import { RankingResults } from "./ranking.js";
import { WordCloud } from "./word-cloud.js";

/** The densest step a slide may take to fit (app.css: 1–5, the type never under its floor). */
const MOST_DENSE = 5;

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

/** Moderates a word of a words question on every public screen (admins): `hide` it or `show` it
 *  again; `allow` a blocked word for this question, or `block` it again. */
export function wordModeration(pollId, onError) {
  return async (varName, word, action) => {
    const question = `/api/admin/polls/${pollId}/questions/${encodeURIComponent(varName)}`;
    const list = action === "hide" || action === "show" ? "hidden-words" : "allowed-words";
    try {
      if (action === "hide" || action === "allow") await api(`${question}/${list}`, { method: "POST", body: { word } });
      else await api(`${question}/${list}/${encodeURIComponent(word)}`, { method: "DELETE" });
    } catch (error) {
      onError(error);
    }
  };
}

/** Follows a poll's results stream (live protocol v2); `onResults(results, kind)` with kind
 *  snapshot | update | closed, always the whole results; `onLost(event)` when the connection drops
 *  (EventSource reconnects by itself, saying with Last-Event-ID what it held; a snapshot follows).
 *  `url`: another stream of the same shape (the console's, which includes hidden questions);
 *  `open(address)`: what reads it (an EventSource unless given; a presenter's stream needs its
 *  link in a header: authorized-event-source.js). */
export function followResults(slug, onResults, onDeleted, onLost, { url, open } = {}) {
  const address = url ?? `/api/polls/${encodeURIComponent(slug)}/results/stream`;
  const openStream = open ?? ((at) => new EventSource(at));
  let source = null;
  // The results this page holds and the frame (event id) they are: a delta applies to it only.
  let held = null;
  let heldId = null;
  // Set when the page stops following (or the poll is gone): nothing connects again.
  let stopped = false;
  let refusals = 0;
  let again = 0;
  const stop = () => {
    stopped = true;
    clearTimeout(again);
    source.close();
  };
  const connect = () => {
    // A new EventSource sends no Last-Event-ID: the frame held goes in the address, so that the
    // server still never sends older counts than the screen shows.
    const resume = heldId ? `${address.includes("?") ? "&" : "?"}last_event_id=${encodeURIComponent(heldId)}` : "";
    const current = openStream(address + resume);
    source = current;
    current.addEventListener("open", () => {
      refusals = 0;
    });
    current.addEventListener("error", (event) => {
      onLost?.(event);
      // A dropped connection is taken up again by EventSource itself, after the server's `retry:`
      // and with Last-Event-ID. One answered with an error status instead (a proxy's 502 while
      // the api restarts, a 503, a 429 for too many streams) ends it for good: only a new one
      // (resuming from the frame held) brings the screen back, after a growing, jittered wait.
      if (current.readyState !== EventSource.CLOSED || stopped) return;
      const ceiling = Math.min(1000 * 2 ** refusals, 30_000);
      refusals += 1;
      again = setTimeout(connect, ceiling / 2 + (Math.random() * ceiling) / 2);
    });
    const whole = (kind) => (event) => {
      const data = JSON.parse(event.data);
      if (data.deleted) {
        stop();
        onDeleted?.();
        return;
      }
      held = data;
      heldId = event.lastEventId || null;
      // After `closed` the server ends the stream; EventSource reconnects by itself and then hears
      // of a reopening or a deletion, so the screen follows the admin's later moves too.
      onResults(structuredClone(held), kind);
    };
    current.addEventListener("snapshot", whole("snapshot"));
    current.addEventListener("closed", whole("closed"));
    current.addEventListener("delta", (event) => {
      const { base, set } = JSON.parse(event.data);
      if (held === null || base !== heldId || !applyDelta(held, set)) {
        // Not the frame this page holds (should not happen: the server sends a snapshot then):
        // start again from a snapshot rather than show anything that drifted.
        held = null;
        current.close();
        connect();
        return;
      }
      heldId = event.lastEventId;
      onResults(structuredClone(held), "update");
    });
  };
  connect();
  return { close: stop };
}

const ANNOUNCE_EVERY_MS = 10_000;

/** A question's kind; results from before kinds existed are catalog questions. */
export const kindOf = (question) => question.kind ?? "catalog";
/** A public placeholder (`{var_name, text, hidden}`) has no numbers; staff results have both. */
const hasNumbers = (question) =>
  "overall" in question || "words" in question || "answers" in question || "items" in question || "guesses" in question;

/** The room so far: browsers that joined the poll or, when more (answers sent through the API
 *  without joining), its respondents. */
export const roomSize = (results) => Math.max(results?.joined ?? 0, results?.respondents ?? 0);

/** Whether the nation's answers to the question at `index` are kept from the public for now
 *  (the server leaves them out; the presenter may choose to show them while voting). */
const nationWithheld = (results, index) =>
  Boolean(results) &&
  !results.national_during_voting &&
  (results.pacing === "presenter" ? results.voting_open && results.current_question === index : results.is_open);
const plural = (n, one, many = `${one}s`) => `${integer(n)} ${n === 1 ? one : many}`;
/** A mean or a bound as the results show it: one decimal. */
const decimal1 = (x) => (x == null ? "–" : x.toFixed(1));

/** What a card shows in words (the question, its options' labels, a scale's end labels). */
const wordingOf = (question) =>
  JSON.stringify([
    question.text,
    (question.responses ?? []).map((r) => r.response),
    question.scale?.min_label,
    question.scale?.max_label,
  ]);

/** Renders (first call) or updates (later calls) the results of every question into `container`. */
export class ResultsView {
  /** `questions`: the poll's questions (for each one's battery prefix, which tells apart
   *  an importance and a performance question with the same text). */
  /** `onVisibility(varName, hidden)`: offer Reveal / Hide per question (admins). */
  /** `onWordModeration(varName, word, action)`: offer Hide / Show per word of a words question, and
   *  Allow / Block again for a blocked one (admins; see `wordModeration`). */
  /** `onAnswerReview(varName, respondentId, review)`: an open question's moderation queue
   *  (admins; see `answerReview`). */
  /** `wordList`: show a words question's ranked list at first (else the cloud, the list a toggle away). */
  /** `controls`: false for the audience view, where nothing is to be pressed. */
  constructor(
    container,
    {
      questions = [],
      present = false,
      showGroups = false,
      onVisibility = null,
      onWordModeration = null,
      onAnswerReview = null,
      wordList = false,
      controls = true,
    } = {},
  ) {
    this.container = container;
    this.controls = controls;
    this.onVisibility = onVisibility;
    this.onWordModeration = onWordModeration;
    this.onAnswerReview = onAnswerReview;
    this.wordList = wordList;
    this.prefixes = new Map(questions.map((q) => [q.var_name, q.battery_prefix]));
    this.definitions = new Map(questions.map((q) => [q.var_name, q]));
    this.present = present;
    this.showGroups = showGroups;
    this.visible = null; // positions of the cards on screen; null: all of them
    this.cards = new Map(); // var_name → { card, mode, … what its kind updates }
    this.live = el("span", { class: "live", "aria-hidden": "true" });
    this.summary = el("p", { class: "results-summary" });
    // Screen readers hear the count now and then, not at every vote (votes can come 50 a second).
    this.announcer = el("p", { class: "visually-hidden", role: "status" });
    this.head = el("div", { class: "results-head" }, this.live, this.summary);
    container.replaceChildren(this.head, this.announcer);
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

  /** Shows only the cards at these 0-based positions (`null`: every card), as one question at a
   *  time (a presenter-paced poll, the presenter view) needs. */
  showOnly(positions) {
    this.visible = positions;
    for (const entry of this.cards.values()) this.applyVisibility(entry);
  }

  applyVisibility(entry) {
    entry.card.hidden = this.visible != null && !this.visible.includes(Number(entry.card.dataset.index));
  }

  /** What is drawn for the question at a position (its card and what its kind updates), if it is. */
  entryAt(position) {
    return [...this.cards.values()].find((entry) => Number(entry.card.dataset.index) === position) ?? null;
  }

  /** The card of the question at a position, if it has been drawn. */
  cardAt(position) {
    return this.entryAt(position)?.card ?? null;
  }

  /** Fits the slide of the question at a position to its box (the projector, an embed): denser
   *  steps until nothing overflows, then an open question's list keeps the newest answers that fit. */
  fitSlide(position) {
    const card = this.cardAt(position);
    if (!card || card.hidden) return;
    let density = Number(card.dataset.density ?? 0);
    const overflows = () =>
      [card, ...card.querySelectorAll(".result-body")].some((box) => box.scrollHeight > box.clientHeight + 1);
    while (density < MOST_DENSE && overflows()) {
      density += 1;
      card.dataset.density = String(density);
    }
    this.entryAt(position)?.answers?.fit(overflows);
  }

  updateQuestion(question, index, total) {
    // A catalog card is drawn with or without the nation's bars: it is drawn again when they come.
    // So are a ranking's and a guess's (the nation's answer to a guess is its reveal).
    const withheld =
      kindOf(question) === "predict"
        ? predictWithheld(this.lastResults, index)
        : nationWithheld(this.lastResults, index);
    const nation = question.national || question.nation ? "+nation" : withheld ? "+withheld" : "";
    const mode = hasNumbers(question) ? (question.hidden ? "shown-to-staff" : `shown${nation}`) : "hidden";
    // An admin may reword a question that has answers (a typo): its card is drawn again.
    const wording = wordingOf(question);
    let entry = this.cards.get(question.var_name);
    if (entry && (entry.mode !== mode || entry.wording !== wording)) {
      const rebuilt = this.build(question, index, total, mode);
      entry.dispose?.();
      entry.card.replaceWith(rebuilt.card);
      entry = rebuilt;
      this.cards.set(question.var_name, entry);
      this.applyVisibility(entry);
    }
    if (!entry) {
      entry = this.build(question, index, total, mode);
      this.cards.set(question.var_name, entry);
      this.applyVisibility(entry);
      this.container.append(entry.card);
    }
    entry.wording = wording;
    if (mode === "hidden") {
      const room = roomSize(this.lastResults);
      entry.count.textContent = `${integer(question.answered ?? 0)} of ${integer(room)} answered`;
      return;
    }
    const kind = kindOf(question);
    if (kind === "choice") this.updateChoice(entry, question);
    else if (kind === "scale") this.updateScale(entry, question);
    else if (kind === "words") this.updateWords(entry, question);
    else if (kind === "open") this.updateOpen(entry, question);
    else if (kind === "ranking" || kind === "predict") entry.view.update(question);
    else this.updateCatalog(entry, question);
    if (entry.groups) entry.groups.replaceChildren(...(question.groups?.length ? [groupTable(question)] : []));
  }

  updateCatalog(entry, question) {
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
    entry.count.textContent = plural(question.overall.n, "answer");
    if (entry.versus && entry.comparison)
      entry.versus.replaceChildren(...versusLines(entry.comparison, this.lastResults?.split_by));
  }

  updateChoice(entry, question) {
    const groups = question.groups ?? [];
    const groupNames = groups.map((g) => g.group).join("\n");
    // A group appears with its first answer: the rows get a line for it.
    if (groupNames !== entry.groupNames) {
      entry.groupNames = groupNames;
      entry.rows = question.responses.map((response) => choiceRow(response, groups));
      // Column heads for the presenter view, where each group is a column of bars (on a phone
      // each bar line says whose it is).
      const heads = el(
        "div",
        { class: "choice-heads", "aria-hidden": "true" },
        el("span", { style: "--col: 1" }),
        el("span", { style: "--col: 2" }, groups.length ? "Everyone" : ""),
        groups.map((g, i) =>
          el("span", { style: `--col: ${i + 3}` }, groupShape(g.group, i), capitalize(groupPlural(g.group))),
        ),
      );
      entry.body.classList.toggle("split", groups.length > 0);
      entry.body.style.setProperty("--groups", String(groups.length));
      entry.body.replaceChildren(heads, ...entry.rows.map((r) => r.block));
      entry.groupLegend.replaceChildren(
        ...groups.map((g, i) => el("span", { class: "legend-item" }, groupShape(g.group, i), g.group)),
      );
    }
    question.responses.forEach((_response, i) => {
      const row = entry.rows[i];
      setBar(row.overall, question.overall.shares[i], question.overall.counts[i]);
      groups.forEach((group, g) => {
        setBar(row.groups[g], group.shares[i], group.counts[i]);
      });
    });
    entry.count.textContent = `${plural(question.overall.n, "person", "people")} answered`;
  }

  updateScale(entry, question) {
    const shares = question.overall.shares;
    const tallest = Math.max(...shares, 0);
    question.responses.forEach((_response, i) => {
      const column = entry.columns[i];
      const share = shares[i] ?? 0;
      column.bar.style.transform = `scaleY(${tallest ? (share / tallest).toFixed(4) : 0})`;
      column.value.textContent = pct0(share);
      column.count.textContent = integer(question.overall.counts[i] ?? 0);
      column.cells[1].textContent = integer(question.overall.counts[i] ?? 0);
      column.cells[2].textContent = pct1(share);
    });
    const { min, max } = question.scale;
    const means = [
      { group: "Everyone", estimate: question.mean, index: -1 },
      ...(question.group_means ?? []).map((m, i) => ({ group: m.group, estimate: m, index: i })),
    ];
    const meanKey = means.map((m) => m.group).join("\n");
    if (meanKey !== entry.meanKey) {
      entry.meanKey = meanKey;
      entry.meanRows = means.map((m) => meanRow(m.group, m.index));
      entry.means.replaceChildren(...entry.meanRows.map((r) => el("div", { class: "mean-row" }, r.cells)));
    }
    means.forEach((m, i) => {
      placeMean(entry.meanRows[i], m.estimate, min, max);
    });
    entry.count.textContent = plural(question.overall.n, "answer");
    entry.meanText.textContent = question.mean ? meanSentence(question.mean) : "no answers yet";
    entry.tableMean.textContent = question.mean ? meanSentence(question.mean) : "no answers yet";
  }

  updateWords(entry, question) {
    entry.cloud.update(question.words);
    entry.count.textContent = `${plural(question.respondents, "person", "people")} · ${plural(question.answers, "word")}`;
  }

  updateOpen(entry, question) {
    entry.answers.update(question);
    entry.count.textContent = `${plural(question.respondents, "answer")} · ${integer(question.approved)} shown`;
  }

  /** A question's card: the placeholder of a hidden one, or its results by kind. */
  build(question, index, total, mode) {
    const kind = kindOf(question);
    const builder =
      mode === "hidden"
        ? this.buildHidden
        : ({
            choice: this.buildChoice,
            scale: this.buildScale,
            words: this.buildWords,
            open: this.buildOpen,
            ranking: this.buildRanking,
            predict: this.buildPredict,
          }[kind] ?? this.buildQuestion);
    const entry = builder.call(this, question, index, total);
    entry.mode = mode;
    entry.card.classList.add(`kind-${mode === "hidden" ? "hidden" : kind}`);
    if (this.onVisibility) {
      const hidden = !mode.startsWith("shown") || mode === "shown-to-staff";
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
      // Own questions may run to 500 characters: longer text, smaller type, so the slide still fits.
      // The presenter view's slide has an h1 above its card; a page has an h2 (the poll's results).
      el(
        this.present ? "h2" : "h3",
        { class: question.text.length > 220 ? "very-long" : question.text.length > 110 ? "long" : null },
        question.text,
      ),
    ];
  }

  /** A card's frame: head, the line saying who answered, the results, then extras. */
  card(question, index, total, legend, body, ...extras) {
    return el(
      "section",
      { class: "panel result-card", dataset: { question: question.var_name, index: String(index) } },
      this.cardHead(question, index, total),
      el("p", { class: "legend-line" }, legend.flat(2)),
      body,
      extras,
    );
  }

  /** A hidden question: its options (what the room is answering) and how many have answered. */
  buildHidden(question, index, total) {
    const definition = this.definitions.get(question.var_name);
    const options = definition?.scale
      ? [
          `${definition.scale.min} ${definition.scale.min_label}`.trim(),
          "…",
          `${definition.scale.max} ${definition.scale.max_label}`.trim(),
        ]
      : (definition?.responses ?? []).map((r) => r.response);
    const count = el("p", { class: "answered-count", role: "status" });
    const card = el(
      "section",
      { class: "panel result-card hidden-results", dataset: { question: question.var_name, index: String(index) } },
      this.cardHead(question, index, total),
      options.length
        ? el(
            "ul",
            { class: `result-body hidden-options${options.length > 6 ? " many" : ""}` },
            options.map((o) => el("li", {}, o)),
          )
        : null,
      count,
      el("p", { class: "hidden-note" }, "Results appear when the presenter reveals them."),
    );
    return { card, rows: [], count };
  }

  /** A catalog question: this audience's bars beside the nation's, and the room against the nation. */
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
        { class: "response-row", style: `--lines: ${question.national ? 2 : 1}` },
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
    const card = this.card(
      question,
      index,
      total,
      [
        el("span", { class: "key audience" }),
        "This audience · ",
        count,
        nationalLabel
          ? [el("span", { class: "key national" }), nationalLabel]
          : el(
              "span",
              { class: "note" },
              nationWithheld(this.lastResults, index)
                ? " · US adults’ answers appear when voting closes"
                : " · no national figure for this question",
            ),
      ],
      el(
        "div",
        { class: "result-body bars" },
        rows.map((r) => r.block),
      ),
      versus,
      groups,
    );
    return { card, rows, count, groups, versus };
  }

  /** A presenter's choice question: a bar per option, and per group of the split under it. */
  buildChoice(question, index, total) {
    const count = el("span", { class: "count" });
    const body = el("div", { class: "result-body bars choice-bars" });
    const groupLegend = el("span", { class: "group-legend" });
    const several = question.max_choices > 1;
    const card = this.card(
      question,
      index,
      total,
      [
        count,
        several
          ? el(
              "span",
              { class: "note" },
              ` · up to ${question.max_choices} choices each, so the shares add up to more than 100%`,
            )
          : null,
        groupLegend,
      ],
      body,
      this.showGroups ? el("div", { class: "group-results" }) : null,
    );
    const groups = card.querySelector(".group-results");
    return { card, count, body, groupLegend, rows: [], groupNames: null, groups };
  }

  /** A scale question: the histogram over its points, and the mean (per group too) with its CI. */
  buildScale(question, index, total) {
    const { min, max, min_label: minLabel, max_label: maxLabel } = question.scale;
    const count = el("span", { class: "count" });
    const meanText = el("span", { class: "mean-text" });
    const tableMean = el("td", { colspan: "2" });
    const columns = question.responses.map((response) => {
      const bar = el("div", { class: "hist-bar" });
      const value = el("span", { class: "hist-value" });
      const pointCount = el("span", { class: "hist-count" });
      const cells = [
        el("th", { scope: "row" }, response.response),
        el("td", { class: "num" }),
        el("td", { class: "num" }),
      ];
      return {
        node: el(
          "div",
          { class: "hist-col" },
          value,
          el("div", { class: "hist-track" }, bar),
          el("span", { class: "hist-point" }, response.response),
          pointCount,
        ),
        bar,
        value,
        count: pointCount,
        cells,
      };
    });
    const endLabel = (point, label) => (label ? `${point} = ${label}` : "");
    const means = el("div", { class: "means" });
    const plot = el(
      "div",
      { class: "result-body scale-body", style: `--points: ${columns.length}` },
      el(
        "div",
        { class: "histogram", "aria-hidden": "true" },
        columns.map((c) => c.node),
      ),
      el(
        "div",
        { class: "hist-ends", "aria-hidden": "true" },
        el("span", {}, endLabel(min, minLabel)),
        el("span", {}, endLabel(max, maxLabel)),
      ),
      el("div", { class: "mean-caption", "aria-hidden": "true" }, "Mean with its 95% CI"),
      means,
    );
    // The histogram is drawn for the eye; this table says the same to a screen reader. It sits in
    // a visually hidden box: a table ignores the 1px size and the overflow that hide other things,
    // and would widen (or lengthen) the page it is on.
    const table = el(
      "table",
      {},
      el("caption", {}, `Answers from ${endLabel(min, minLabel) || min} to ${endLabel(max, maxLabel) || max}`),
      el(
        "thead",
        {},
        el(
          "tr",
          {},
          el("th", { scope: "col" }, "Point"),
          el("th", { scope: "col", class: "num" }, "Answers"),
          el("th", { scope: "col", class: "num" }, "Share"),
        ),
      ),
      el(
        "tbody",
        {},
        columns.map((c) => el("tr", {}, c.cells)),
        el("tr", {}, el("th", { scope: "row" }, "Mean"), tableMean),
      ),
    );
    const card = this.card(
      question,
      index,
      total,
      [count, " · ", meanText],
      plot,
      el("div", { class: "visually-hidden" }, table),
      this.showGroups ? el("div", { class: "group-results" }) : null,
    );
    const groups = card.querySelector(".group-results");
    return { card, count, meanText, tableMean, columns, means, meanRows: [], meanKey: null, groups };
  }

  /** A words question: the cloud, and its ranked list (on screen or for screen readers). */
  buildWords(question, index, total) {
    const count = el("span", { class: "count" });
    const cloud = new WordCloud({
      dark: this.present,
      listShown: this.wordList,
      title: question.text,
      onModerate: this.onWordModeration
        ? (word, action) => this.onWordModeration(question.var_name, word, action)
        : null,
    });
    const card = this.card(
      question,
      index,
      total,
      // The projector shows the cloud and nothing to press (its ranked list stays for screen readers).
      [count, this.controls ? cloud.toggle : null],
      el("div", { class: "result-body words-body" }, cloud.node),
    );
    return { card, count, cloud, dispose: () => cloud.resize.disconnect() };
  }

  /** A ranking: the room's order (and the nation's beside it, for the catalog's principles). */
  buildRanking(question, index, total) {
    const view = new RankingResults(question, { showGroups: this.showGroups });
    const card = this.card(question, index, total, view.legend, view.node, ...view.extra);
    return { card, view, count: view.count, dispose: () => view.dispose() };
  }

  /** A guess of the nation's answer: the guesses, and the answer once revealed. */
  buildPredict(question, index, total) {
    const view = new PredictResults(question, { withheld: predictWithheld(this.lastResults, index) });
    const card = this.card(question, index, total, view.legend, view.node, ...view.extra);
    return { card, view, count: view.count };
  }

  /** An open question: the approved answers (the room), or the moderation queue (a presenter). */
  buildOpen(question, index, total) {
    const count = el("span", { class: "count" });
    const review = this.onAnswerReview;
    const answers = new OpenAnswers({
      onReview: review ? (respondentId, decision) => review(question.var_name, respondentId, decision) : null,
    });
    const body = el("div", { class: "result-body open-body" }, answers.node);
    const card = this.card(question, index, total, [count], body);
    return { card, count, answers };
  }
}

/** "mean 3.4 (95% CI 3.1–3.7)"; without an interval below two answers. */
function meanSentence(mean) {
  return mean.ci_low == null
    ? `mean ${decimal1(mean.mean)} (${plural(mean.n, "answer")}: too few for an interval)`
    : `mean ${decimal1(mean.mean)} (95% CI ${decimal1(mean.ci_low)}–${decimal1(mean.ci_high)})`;
}

/** One line of a choice question's bars: everyone, or one group (its shape and name). */
function choiceLine(group, groupIndex) {
  const bar = el("div", { class: "bar audience" });
  const value = el("span", { class: "value" });
  if (group != null) bar.style.background = groupStyle(group, groupIndex).color;
  return {
    node: el(
      "div",
      // --col: the line's column when the presenter view sets the groups side by side.
      { class: `bar-line${group != null ? " group-line" : ""}`, style: `--col: ${group != null ? groupIndex + 3 : 2}` },
      el(
        "span",
        { class: "series" },
        group != null ? [groupShape(group, groupIndex), capitalize(groupPlural(group))] : "This audience",
      ),
      el("div", { class: "track" }, bar),
      value,
    ),
    bar,
    value,
  };
}

function choiceRow(response, groups) {
  const overall = choiceLine(null);
  const lines = groups.map((g, i) => choiceLine(g.group, i));
  return {
    block: el(
      "div",
      { class: "response-row", style: `--lines: ${1 + groups.length}` },
      el("div", { class: "response-label" }, response.response),
      overall.node,
      lines.map((l) => l.node),
    ),
    overall,
    groups: lines,
  };
}

function setBar(line, share = 0, count = 0) {
  line.bar.style.transform = `scaleX(${Math.min(1, share ?? 0).toFixed(4)})`;
  line.value.textContent = `${pct0(share ?? 0)} (${integer(count ?? 0)})`;
}

/** A row of the scale's means: who, the CI as a bar and the mean as a mark, the numbers. */
function meanRow(group, index) {
  const ci = el("div", { class: "mean-ci" });
  const mark = el("div", { class: "mean-mark" }, index < 0 ? null : groupShape(group, index));
  const value = el("span", { class: "value" });
  return {
    cells: [
      el("span", { class: "series" }, index < 0 ? "Everyone" : capitalize(groupPlural(group))),
      el("div", { class: "mean-track" }, ci, mark),
      value,
    ],
    ci,
    mark,
    value,
  };
}

/** Places a mean and its CI over the histogram's columns (point p centred in column p − min). */
function placeMean(row, estimate, min, max) {
  const at = (x) => `${(((x - min + 0.5) / (max - min + 1)) * 100).toFixed(2)}%`;
  row.mark.hidden = !estimate;
  row.ci.hidden = estimate?.ci_low == null;
  if (!estimate) {
    row.value.textContent = "–";
    return;
  }
  row.mark.style.left = at(estimate.mean);
  if (estimate.ci_low != null) {
    row.ci.style.left = at(Math.max(min, estimate.ci_low));
    row.ci.style.right = `calc(100% - ${at(Math.min(max, estimate.ci_high))})`;
  }
  row.value.textContent =
    estimate.ci_low == null
      ? `${decimal1(estimate.mean)} (n = ${integer(estimate.n)})`
      : `${decimal1(estimate.mean)} (${decimal1(estimate.ci_low)}–${decimal1(estimate.ci_high)})`;
  row.value.title = meanSentence(estimate);
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
