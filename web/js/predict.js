// "Predict the nation": the participant's guess (a slider and a typed number kept in step, and a
// name when the presenter lists the closest guesses) and the results on every screen — the
// guesses' histogram in bins of 10 points, the room's mean guess with its 95% CI and, once voting
// closes (the reveal), the survey's estimate with its CI, the gap in plain words, each group's
// guess and the closest guesses.
import { el, groupPlural, groupShape, integer } from "./common.js";

/** Groups the survey knows, as a sentence names them ("Republicans"); others by their label. */
const NATIONAL_GROUPS = new Set([
  "Democrat",
  "Republican",
  "Independent or Other",
  "Independent",
  "Liberal",
  "Moderate",
  "Conservative",
]);
const capitalize = (text) => text.charAt(0).toUpperCase() + text.slice(1);
const quoted = (labels) => labels.map((l) => `“${l}”`).join(" or ");
const MAX_NAME = 40;

/** Who the target is about: "Republicans" or "US adults". */
export function targetPeople(target) {
  return target.group ? capitalize(groupPlural(target.group)) : "US adults";
}

/** "Republicans, BLW wave 23": the target in a few words. */
export function targetLine(target) {
  return `${targetPeople(target)}${target.group ? " nationally" : ""}, Bright Line Watch survey wave ${target.wave} (weighted)`;
}

/**
 * The participant's guess: `{ content, answer, describedBy }` as the other kinds' inputs. The
 * slider and the number box say the same (either moves the other); the guess counts once the
 * participant has set one, a typed number only when it is a whole number from 0 to 100.
 */
export function predictInput(question) {
  const target = question.target;
  const id = (part) => `${question.var_name}-${part}`;
  let guess = null;
  const shown = el("output", { class: "predict-shown", id: id("shown"), for: `${id("range")} ${id("percent")}` }, "–");
  const range = el("input", {
    type: "range",
    id: id("range"),
    min: "0",
    max: "100",
    step: "1",
    value: "50",
    class: "predict-range untouched",
    "aria-describedby": id("target"),
    "aria-valuetext": "not set yet",
  });
  const number = el("input", {
    type: "number",
    id: id("percent"),
    min: "0",
    max: "100",
    step: "1",
    inputmode: "numeric",
    enterkeyhint: "done",
    class: "predict-number",
    "aria-describedby": `${id("target")} ${id("problem")}`,
  });
  const problem = el("p", { class: "field-error", id: id("problem"), role: "alert" });
  const set = (value) => {
    guess = value;
    range.classList.toggle("untouched", value == null);
    shown.textContent = value == null ? "–" : `${value}%`;
    range.setAttribute("aria-valuetext", value == null ? "not set yet" : `${value} percent`);
  };
  range.addEventListener("input", () => {
    set(Number(range.value));
    number.value = range.value;
    problem.textContent = "";
  });
  number.addEventListener("input", () => {
    const text = number.value.trim();
    const value = Number(text);
    if (text !== "" && Number.isInteger(value) && value >= 0 && value <= 100) {
      range.value = String(value);
      set(value);
      problem.textContent = "";
    } else {
      set(null);
      // Said once the participant has typed something that is not a guess (an empty box is just unset).
      problem.textContent = text === "" && number.validity.valid ? "" : "A guess is a whole number from 0 to 100.";
    }
  });
  // Enter in the number box would send the form before the guess is read: it only confirms it.
  number.addEventListener("keydown", (event) => {
    if (event.key === "Enter") event.preventDefault();
  });
  const name = target?.show_closest
    ? el("input", {
        type: "text",
        id: id("name"),
        maxlength: String(MAX_NAME),
        autocomplete: "nickname",
        enterkeyhint: "done",
        "aria-describedby": id("name-hint"),
      })
    : null;
  const about = target
    ? [
        el(
          "p",
          { class: "predict-target", id: id("target") },
          `Guess the share of ${target.group ? `${groupPlural(target.group)} nationally` : "US adults"} who answered ${quoted(target.responses)}`,
          question.text.includes(target.question) ? "." : [" to: ", el("q", {}, target.question)],
          el("span", { class: "predict-source" }, ` Bright Line Watch survey, wave ${target.wave}.`),
        ),
      ]
    : [];
  const content = [
    ...about,
    el(
      "div",
      { class: "predict-slider" },
      el("label", { for: id("range"), class: "visually-hidden" }, "Your guess, in percent (slider)"),
      el("span", { class: "predict-end", "aria-hidden": "true" }, "0%"),
      range,
      el("span", { class: "predict-end", "aria-hidden": "true" }, "100%"),
    ),
    el(
      "div",
      { class: "predict-readout" },
      el("label", { for: id("percent") }, "Your guess"),
      number,
      el("span", { class: "predict-unit", "aria-hidden": "true" }, "%"),
      shown,
    ),
    problem,
    name
      ? el(
          "div",
          { class: "word-field predict-name" },
          el("label", { for: id("name") }, "Your name (optional)"),
          name,
          el(
            "p",
            { class: "hint", id: id("name-hint") },
            `If your guess is among the closest, the room sees it with this name (up to ${MAX_NAME} characters).`,
          ),
        )
      : null,
  ];
  return {
    content,
    describedBy: target ? id("target") : null,
    answer: () => {
      if (guess == null) return null;
      const answer = { var_name: question.var_name, percent: guess };
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing exactly those characters
      const given = name?.value.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
      if (given) answer.display_name = given.slice(0, MAX_NAME);
      return answer;
    },
  };
}

const decimal1 = (x) => (x == null ? "–" : x.toFixed(1));
/** "44.3% (95% CI 40.1–48.6)" from a mean guess in percent. */
const meanText = (m) =>
  m.ci_low == null
    ? `${decimal1(m.mean)}% (n = ${integer(m.n)}: too few for an interval)`
    : `${decimal1(m.mean)}% (95% CI ${decimal1(m.ci_low)}–${decimal1(m.ci_high)})`;
/** A range as a sentence reads it: "4.6–22.4", or "−2.0 to 29.0" when it crosses zero. */
const span = (a, b) => (a < 0 ? `−${decimal1(Math.abs(a))} to ${decimal1(b)}` : `${decimal1(a)}–${decimal1(b)}`);

/** "13.5 points too low (95% CI 4.6–22.4)": a gap in points, its CI turned as its sign reads. */
export function gapPhrase(gap) {
  const size = Math.abs(gap.difference);
  if (size < 0.05) return "right on the nation’s answer";
  const low = gap.difference < 0;
  const amount = `${decimal1(size)} ${size === 1 ? "point" : "points"} too ${low ? "low" : "high"}`;
  if (gap.ci_low == null) return `${amount} (too few guesses for an interval)`;
  const [a, b] = low ? [-gap.ci_high, -gap.ci_low] : [gap.ci_low, gap.ci_high];
  const real = gap.ci_low > 0 || gap.ci_high < 0;
  return `${amount} (95% CI ${span(a, b)})${real ? "" : ", within the margin of error"}`;
}

/** "The room guesses 13.5 points too low (95% CI 4.6–22.4)." */
export function gapSentence(gap) {
  return Math.abs(gap.difference) < 0.05
    ? "The room’s mean guess is right on the nation’s answer."
    : `The room guesses ${gapPhrase(gap)}.`;
}

/** Who a group of the poll's split is, in a sentence: "Democrats in this room". */
const groupWho = (group) =>
  NATIONAL_GROUPS.has(group) ? `${capitalize(groupPlural(group))} in this room` : `“${group}” in this room`;

/** Whether the public is kept from the nation's answer to the question at `index` now: always
 *  while the question takes answers (the room guesses unanchored). */
export const predictWithheld = (results, index) =>
  Boolean(results) &&
  (results.pacing === "presenter" ? results.voting_open && results.current_question === index : results.is_open);

/** A row of the strip under the histogram: who, the CI as a bar and the mark, the numbers. */
function stripRow(label, kind, shape = null) {
  const ci = el("div", { class: "mean-ci" });
  const mark = el("div", { class: `mean-mark${kind === "nation" ? " nation-mark" : ""}` }, shape);
  const value = el("span", { class: "value" });
  const row = el(
    "div",
    { class: `mean-row predict-${kind}` },
    el("span", { class: "series" }, label),
    el("div", { class: "mean-track" }, ci, mark),
    value,
  );
  return { row, ci, mark, value };
}

/** Places a mean (or a share ×100) and its CI on the 0–100 axis. */
function place(row, estimate, text) {
  row.mark.hidden = !estimate;
  row.ci.hidden = estimate?.ci_low == null;
  if (!estimate) {
    row.value.textContent = "–";
    return;
  }
  const at = (x) => `${Math.min(100, Math.max(0, x)).toFixed(2)}%`;
  row.mark.style.left = at(estimate.mean);
  if (estimate.ci_low != null) {
    row.ci.style.left = at(estimate.ci_low);
    row.ci.style.right = `calc(100% - ${at(estimate.ci_high)})`;
  }
  row.value.textContent = text;
}

/** The guesses in bins of 10 points (the last, 90–100, takes 100 too). */
function bins(counts) {
  const out = Array.from({ length: 10 }, () => 0);
  counts.forEach((count, percent) => {
    out[Math.min(9, Math.floor(percent / 10))] += count;
  });
  return out;
}

/**
 * A predict question's results, kept up to date: the histogram, the strip of means (the room,
 * its groups, the nation once revealed), the gap and the groups in words, the closest guesses,
 * and a table of the bins for screen readers. Drawn again (by the results view) when the nation's
 * answer arrives, which is the reveal.
 */
export class PredictResults {
  /** `withheld`: the public does not see the nation's answer yet (voting is open). */
  constructor(question, { withheld = false } = {}) {
    const target = question.target;
    this.count = el("span", { class: "count" });
    this.meanText = el("span", { class: "mean-text" });
    const nation = question.nation;
    this.legend = [
      this.count,
      " · ",
      this.meanText,
      !nation && withheld ? " · the nation's answer appears when voting closes" : "",
    ];
    this.columns = Array.from({ length: 10 }, (_, i) => {
      const bar = el("div", { class: "hist-bar" });
      const value = el("span", { class: "hist-value" });
      return {
        node: el(
          "div",
          { class: "hist-col" },
          value,
          el("div", { class: "hist-track" }, bar),
          el("span", { class: "hist-point" }, String(i * 10)),
        ),
        bar,
        value,
        cells: [el("th", { scope: "row" }, i === 9 ? "90–100" : `${i * 10}–${i * 10 + 9}`), el("td", { class: "num" })],
      };
    });
    this.truth = nation ? el("div", { class: "predict-truth" }) : null;
    this.room = stripRow("This room’s mean guess", "room");
    this.nationRow = nation ? stripRow(targetPeople(target) + (target.group ? " nationally" : ""), "nation") : null;
    this.groupStrip = el("div", { class: "means predict-group-means" });
    this.groupRows = [];
    this.groupKey = null;
    this.gap = el("p", { class: "predict-gap" });
    this.groups = el("ul", { class: "predict-groups" });
    this.closest = el("div", { class: "predict-closest" });
    this.node = el(
      "div",
      { class: "result-body scale-body predict-body", style: "--points: 10" },
      el(
        "p",
        { class: "predict-about" },
        `Guessing: ${targetLine(target)}${nation ? `, n = ${integer(nation.n)}` : ""}`,
      ),
      el(
        "div",
        { class: "histogram", "aria-hidden": "true" },
        this.columns.map((c) => c.node),
        this.truth,
      ),
      el(
        "div",
        { class: "hist-ends", "aria-hidden": "true" },
        el("span", {}, "Guesses, in bins of 10 points"),
        el("span", {}, "100%"),
      ),
      el("div", { class: "means" }, this.room.row, this.nationRow?.row),
      this.groupStrip,
      this.gap,
      this.groups,
      this.closest,
    );
    this.tableMean = el("td", {});
    this.table = el(
      "table",
      {},
      el("caption", {}, "Guesses in bins of 10 points"),
      el(
        "thead",
        {},
        el("tr", {}, el("th", { scope: "col" }, "Guess (%)"), el("th", { scope: "col", class: "num" }, "Guesses")),
      ),
      el(
        "tbody",
        {},
        this.columns.map((c) => el("tr", {}, c.cells)),
        el("tr", {}, el("th", { scope: "row" }, "Mean guess"), this.tableMean),
      ),
    );
    this.extra = [el("div", { class: "visually-hidden" }, this.table)];
  }

  update(question) {
    const counts = bins(question.guesses?.counts ?? []);
    const tallest = Math.max(0, ...counts);
    counts.forEach((count, i) => {
      const column = this.columns[i];
      column.bar.style.transform = `scaleY(${tallest ? (count / tallest).toFixed(4) : 0})`;
      column.value.textContent = integer(count);
      column.cells[1].textContent = integer(count);
    });
    const n = question.guesses?.n ?? 0;
    this.count.textContent = `${integer(n)} ${n === 1 ? "guess" : "guesses"}`;
    const mean = question.mean;
    this.meanText.textContent = mean ? `mean ${meanText(mean)}` : "no guesses yet";
    this.tableMean.textContent = mean ? meanText(mean) : "no guesses yet";
    place(
      this.room,
      mean,
      mean
        ? `${decimal1(mean.mean)}%${mean.ci_low == null ? "" : ` (${decimal1(mean.ci_low)}–${decimal1(mean.ci_high)})`}`
        : "",
    );
    const nation = question.nation;
    if (this.nationRow && nation) {
      const share = nation.share;
      place(
        this.nationRow,
        { mean: share.p * 100, ci_low: share.ci_low == null ? null : share.ci_low * 100, ci_high: share.ci_high * 100 },
        `${decimal1(share.p * 100)}%${share.ci_low == null ? "" : ` (${decimal1(share.ci_low * 100)}–${decimal1(share.ci_high * 100)})`}`,
      );
      this.truth.style.left = `${(share.p * 100).toFixed(2)}%`;
    }
    // The groups of the poll's split: a mean on the strip each, and a sentence.
    const groups = question.groups ?? [];
    const key = groups.map((g) => g.group).join("\n");
    if (key !== this.groupKey) {
      this.groupKey = key;
      this.groupRows = groups.map((g, i) => stripRow(groupWho(g.group), "group", groupShape(g.group, i)));
      this.groupStrip.replaceChildren(...this.groupRows.map((r) => r.row));
    }
    groups.forEach((g, i) => {
      const m = g.mean;
      place(this.groupRows[i], m, `${decimal1(m.mean)}%`);
    });
    this.gap.textContent = nation && question.gap ? gapSentence(question.gap) : "";
    this.gap.hidden = !this.gap.textContent;
    this.groups.replaceChildren(
      ...groups.map((g) =>
        el("li", {}, `${groupWho(g.group)} guess ${meanText(g.mean)}${g.gap ? `: ${gapPhrase(g.gap)}` : ""}.`),
      ),
    );
    this.groups.hidden = groups.length === 0;
    const closest = question.closest ?? [];
    this.closest.hidden = closest.length === 0;
    this.closest.replaceChildren(
      ...(closest.length
        ? [
            el("p", { class: "predict-closest-title" }, "Closest guesses"),
            el(
              "ol",
              {},
              closest.map((c) =>
                el("li", {}, el("span", { class: "predict-name" }, c.display_name), ` ${integer(c.percent)}%`),
              ),
            ),
          ]
        : []),
    );
  }
}
