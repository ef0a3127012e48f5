// The participant's side of each kind of question: a fieldset to answer it with, and the answer it
// holds in the shape the api takes (`response_index`, `response_indices`, `value`, `words`,
// `text`, `ranking` or `percent`). Rankings and guesses of the nation's answer have their own
// files (ranking.js, predict.js).
import { el } from "./common.js";
import { predictInput } from "./predict.js";
import { rankingInput } from "./ranking.js";

/**
 * A question as a form fieldset. Returns `{ node, answer }`: `answer()` is the api's answer object,
 * or null while the question is not answered. Changes bubble as `change`/`input` events.
 */
export function questionInput(question, { index, total }) {
  const kind = question.kind ?? "catalog";
  const build =
    { scale: scaleInput, words: wordsInput, open: openInput, ranking: rankingInput, predict: predictInput }[kind] ??
    (kind === "choice" && question.max_choices > 1 ? severalChoices : oneChoice);
  const { content, answer, describedBy } = build(question);
  const node = el(
    "fieldset",
    {
      class: `panel question-card kind-${kind}`,
      dataset: { question: question.var_name },
      "aria-describedby": describedBy,
    },
    el(
      "legend",
      {},
      el("span", { class: "visually-hidden" }, total > 1 ? `Question ${index + 1} of ${total}: ` : ""),
      question.text,
    ),
    content,
  );
  return { node, answer };
}

const inputName = (question) => question.var_name;
const checkedValue = (inputs) => {
  const input = inputs.find((i) => i.checked);
  return input ? Number(input.value) : null;
};

/** A catalog question, or a choice question with one answer: radio buttons. */
function oneChoice(question) {
  const radios = question.responses.map((response) =>
    el("input", { type: "radio", name: inputName(question), value: String(response.index), required: true }),
  );
  const content = question.responses.map((response, i) =>
    el("label", { class: "choice" }, radios[i], el("span", {}, response.response)),
  );
  return {
    content,
    answer: () => {
      const index = checkedValue(radios);
      return index == null ? null : { var_name: question.var_name, response_index: index };
    },
  };
}

/** A choice question with several answers: checkboxes, no more than `max_choices` of them ticked. */
function severalChoices(question) {
  const hintId = `${question.var_name}-hint`;
  const hint = el("p", { class: "hint", id: hintId }, `Choose up to ${question.max_choices}.`);
  const boxes = question.responses.map((response) =>
    el("input", { type: "checkbox", name: inputName(question), value: String(response.index) }),
  );
  const content = [
    hint,
    ...question.responses.map((response, i) =>
      el("label", { class: "choice" }, boxes[i], el("span", {}, response.response)),
    ),
  ];
  const ticked = () => boxes.filter((box) => box.checked);
  // At the limit the others are disabled, and the hint says why.
  for (const box of boxes)
    box.addEventListener("change", () => {
      const full = ticked().length >= question.max_choices;
      for (const other of boxes) other.disabled = full && !other.checked;
      hint.textContent = full
        ? `You have chosen ${question.max_choices} of ${question.max_choices}: untick one to change.`
        : `Choose up to ${question.max_choices}.`;
    });
  return {
    content,
    describedBy: hintId,
    answer: () => {
      const indices = ticked().map((box) => Number(box.value));
      return indices.length ? { var_name: question.var_name, response_indices: indices } : null;
    },
  };
}

/** A scale: one button per point in a row, the end labels under its ends (and read with them). */
function scaleInput(question) {
  const { min, max, min_label: minLabel, max_label: maxLabel } = question.scale;
  const endsId = `${question.var_name}-ends`;
  const radios = question.responses.map((response) =>
    el("input", { type: "radio", name: inputName(question), value: String(response.index), required: true }),
  );
  const points = question.responses.map((response, i) => {
    const point = response.index;
    const end = point === min ? minLabel : point === max ? maxLabel : "";
    return el(
      "label",
      { class: "scale-point" },
      radios[i],
      el("span", {}, String(point), end ? el("span", { class: "visually-hidden" }, ` (${end})`) : null),
    );
  });
  const content = [
    el(
      "div",
      { class: `scale-points${points.length > 7 ? " many" : ""}`, style: `--points: ${points.length}` },
      points,
    ),
    el(
      "p",
      { class: "scale-ends", id: endsId },
      el("span", {}, minLabel ? `${min} = ${minLabel}` : ""),
      el("span", {}, maxLabel ? `${max} = ${maxLabel}` : ""),
    ),
  ];
  return {
    content,
    describedBy: minLabel || maxLabel ? endsId : null,
    answer: () => {
      const value = checkedValue(radios);
      return value == null ? null : { var_name: question.var_name, value };
    },
  };
}

/** Words: up to `max_words` short answers, the first one needed. A word at the longest length
 *  allowed takes no more characters (what is typed or pasted beyond it is cut): a live message says
 *  so at once, so nobody loses the end of a phrase without knowing. */
function wordsInput(question) {
  const count = question.max_words ?? 3;
  const length = question.max_word_length ?? 40;
  const hintId = `${question.var_name}-hint`;
  const limitId = `${question.var_name}-limit`;
  // Present (and empty) from the start: screen readers announce what a live region gets later.
  const limit = el("p", { class: "word-limit", id: limitId, "aria-live": "polite" });
  const inputs = Array.from({ length: count }, (_, i) =>
    el("input", {
      type: "text",
      id: `${question.var_name}-word-${i + 1}`,
      name: `${question.var_name}-word-${i + 1}`,
      maxlength: String(length),
      autocomplete: "off",
      autocapitalize: "none",
      spellcheck: "false",
      enterkeyhint: i + 1 < count ? "next" : "done",
      "aria-describedby": `${hintId} ${limitId}`,
    }),
  );
  // maxlength counts as the input does (UTF-16 units), so the message does too.
  const atLimit = (input) => input.value.length >= length;
  const sayLimit = () => {
    const full = inputs.flatMap((input, i) => (atLimit(input) ? [i + 1] : []));
    for (const input of inputs) input.classList.toggle("at-limit", atLimit(input));
    const text = full.length
      ? `${full.length === 1 ? `Word ${full[0]} has` : `Words ${full.join(" and ")} have`} reached ${length} characters, the most a word can have: anything typed beyond that is cut off.`
      : "";
    // Said once when it changes, not again at every key.
    if (limit.textContent !== text) limit.textContent = text;
  };
  for (const input of inputs) input.addEventListener("input", sayLimit);
  const content = [
    el(
      "p",
      { class: "hint", id: hintId },
      `Up to ${count} words or short phrases, ${length} characters each. Everyone sees them in a word cloud, without your name.`,
    ),
    ...inputs.map((input, i) =>
      el(
        "div",
        { class: "word-field" },
        el("label", { for: input.id }, i === 0 ? "Word 1" : `Word ${i + 1} (optional)`),
        input,
      ),
    ),
    limit,
  ];
  return {
    content,
    answer: () => {
      // Control characters cannot be typed, but a paste may carry them: the api refuses them.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing exactly those characters
      const words = inputs.map((input) => input.value.replace(/[\u0000-\u001f\u007f]/g, " ").trim()).filter(Boolean);
      return words.length ? { var_name: question.var_name, words } : null;
    },
  };
}

/** Open: one answer in the participant's own words, up to `max_answer_length` characters, with a
 *  count of what is left (said to screen readers when the end is near, not at every key). */
function openInput(question) {
  const length = question.max_answer_length ?? 280;
  const hintId = `${question.var_name}-hint`;
  const leftId = `${question.var_name}-left`;
  const left = el("p", { class: "answer-left", id: leftId, "aria-live": "polite" });
  const input = el("textarea", {
    id: `${question.var_name}-text`,
    name: `${question.var_name}-text`,
    rows: "3",
    maxlength: String(length),
    enterkeyhint: "done",
    "aria-describedby": `${hintId} ${leftId}`,
  });
  const sayLeft = () => {
    const remaining = length - input.value.length;
    input.classList.toggle("at-limit", remaining <= 0);
    const text =
      remaining <= 0
        ? `You have reached ${length} characters, the most an answer can have.`
        : remaining <= 20
          ? `${remaining} characters left.`
          : "";
    if (left.textContent !== text) left.textContent = text;
  };
  input.addEventListener("input", sayLeft);
  const content = [
    el(
      "p",
      { class: "hint", id: hintId },
      `In your own words, up to ${length} characters. The presenter may show it to the room, without your name.`,
    ),
    el("label", { for: input.id, class: "visually-hidden" }, "Your answer"),
    input,
    left,
  ];
  return {
    content,
    answer: () => {
      // One line: line breaks (and any control character a paste carries) become spaces.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing exactly those characters
      const text = input.value.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
      return text ? { var_name: question.var_name, text } : null;
    },
  };
}
