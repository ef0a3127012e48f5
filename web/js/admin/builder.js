// The console's poll builder (/admin/polls/new, /admin/polls/{id}/edit; admins only): title,
// description, split and pacing; questions from the BLW catalog (searched, with the responses
// offered) or written here (choice, scale, words, open answers, rankings of own items or of the
// catalog's principles, guesses of the nation's answer), reordered and removed; the api's messages
// said next to the field at fault. A poll with answers keeps what they were given to: only its
// wording can be edited (the other fields are shown, disabled). Leaving with changes not saved
// asks first.
import { api, el, flattenCatalog, searchCatalog, showError } from "../common.js";
import { dom, go, guardUnsaved, isAdmin, kindTag, panelForm, plural, session } from "./shared.js";

/** The kinds this file names itself (the others as the console does everywhere). */
const OWN_KIND_LABELS = { ranking: "Ranking", predict: "Predict the nation" };
const tagOf = (kind) =>
  OWN_KIND_LABELS[kind] ? el("span", { class: "kind-tag" }, OWN_KIND_LABELS[kind]) : kindTag(kind);
/** A ranking's items: 3 to 10. */
const MIN_ITEMS = 3;
const MAX_ITEMS = 10;
/** The national groups a guess may be about (none: all US adults), as a sentence names them. */
const PREDICT_GROUPS = [
  ["Democrat", "Democrats"],
  ["Republican", "Republicans"],
  ["Independent or Other", "independents and others"],
  ["Liberal", "liberals"],
  ["Moderate", "moderates"],
  ["Conservative", "conservatives"],
];
/** The longest question text the api takes. */
const MAX_TEXT = 500;
/** The text the api writes for a guess given none (predict.rs): shown as the field's placeholder,
 *  and a saved text equal to it is left to the api again. */
function predictText(catalogQuestion, indices, group) {
  if (!catalogQuestion || !indices.length) return "";
  const people = PREDICT_GROUPS.find(([g]) => g === group)?.[1] ?? "US adults";
  const labels = [...indices]
    .sort((a, b) => a - b)
    .map((i) => `“${catalogQuestion.responses[i]}”`)
    .join(" or ");
  return [...`What share of ${people} answer ${labels} to: ${catalogQuestion.text}`].slice(0, MAX_TEXT).join("");
}
/** A catalog question's battery (its group without the sub-battery). */
const batteryOf = (q) => q.group.split(" › ")[0];
/** The catalog's batteries a ranking of principles may take its items from (three or more
 *  questions answered on the same responses), by name. */
function principleBatteries(catalog) {
  const groups = Map.groupBy(catalog, batteryOf);
  return new Map(
    [...groups].filter(
      ([, questions]) =>
        questions.length >= MIN_ITEMS &&
        questions.every((q) => JSON.stringify(q.responses) === JSON.stringify(questions[0].responses)),
    ),
  );
}
/** The importance battery (imp_*), else the first battery that can be ranked. */
function defaultBattery(batteries) {
  for (const [group, questions] of batteries) if (questions.some((q) => q.var_name.startsWith("imp_"))) return group;
  return batteries.keys().next().value ?? "";
}

/** The scales a scale question may use. */
const SCALES = [
  [1, 5],
  [1, 7],
  [0, 10],
];
const MIN_OPTIONS = 2;
const MAX_OPTIONS = 12;
/** A question's key in the poll: a catalog question keeps its var_name; the presenter's own
 *  questions are `q` + their 1-based place, so their keys follow the order. */
const keyOf = (item, index) => (item.kind === "catalog" ? item.question.var_name : `q${index + 1}`);

let lastItemNumber = 0;
/** A question being built: its kind's fields, and an id for its form controls that survives
 *  reordering (focus and error messages follow the question, not its place). */
function builderItem(kind, fields = {}) {
  const defaults = {
    catalog: {},
    choice: { text: "", options: ["", ""], maxChoices: 1 },
    scale: { text: "", min: 1, max: 5, minLabel: "", maxLabel: "" },
    words: { text: "" },
    open: { text: "" },
    // source: "own" (options written here) or "catalog" (itemVarNames, the catalog's principles);
    // topK null: rank them all; responseIndices null: the api's default (the last response);
    // wave "": the latest.
    ranking: {
      text: "",
      source: "own",
      options: ["", "", ""],
      topK: null,
      battery: "",
      itemVarNames: [],
      responseIndices: null,
      wave: "",
    },
    // text "": the api writes it.
    predict: { text: "", varName: "", responseIndices: new Set(), group: "", wave: "", showClosest: false },
  }[kind];
  lastItemNumber += 1;
  return { id: `item-${lastItemNumber}`, kind, hidden: false, notes: "", ...defaults, ...fields };
}

/** A builder item from one question of a saved poll (editing it); `chosen`: the options of a
 *  choice question that participants chose (their labels stay as they are). */
function itemFromQuestion(question, catalogByName, chosen = new Set()) {
  const kind = question.kind ?? "catalog";
  const hidden = Boolean(question.results_hidden);
  const notes = question.speaker_notes ?? "";
  const item =
    kind === "ranking"
      ? rankingItem(question, catalogByName, hidden)
      : kind === "predict"
        ? predictItem(question, hidden)
        : itemOfKind(kind, question, catalogByName, chosen, hidden);
  item.notes = notes;
  item.timer = question.timer_seconds ?? "";
  return item;
}

/** A saved ranking: its own items, or the catalog principles it ranks (`principles`). */
function rankingItem(question, catalogByName, hidden) {
  const labels = question.responses.map((r) => r.response);
  const topK = question.top_k == null || question.top_k >= labels.length ? null : question.top_k;
  const common = { hidden, text: question.text, topK, options: labels };
  const principles = question.principles;
  const first = principles && catalogByName.get(principles.item_var_names[0]);
  if (!first) return builderItem("ranking", common);
  return builderItem("ranking", {
    ...common,
    source: "catalog",
    battery: batteryOf(first),
    itemVarNames: principles.item_var_names,
    responseIndices: principles.response_indices,
    wave: principles.wave ?? "",
  });
}

/** A saved guess of the nation's answer: its target, and its text unless the api wrote it. */
function predictItem(question, hidden) {
  const target = question.target ?? {};
  const indices = target.response_indices ?? [];
  return builderItem("predict", {
    hidden,
    text: target.text_generated ? "" : question.text,
    varName: target.var_name ?? "",
    responseIndices: new Set(indices),
    group: target.group ?? "",
    wave: target.wave ?? "",
    showClosest: Boolean(target.show_closest),
  });
}

function itemOfKind(kind, question, catalogByName, chosen, hidden) {
  if (kind === "choice")
    return builderItem("choice", {
      hidden,
      text: question.text,
      options: question.responses.map((r) => r.response),
      maxChoices: question.max_choices ?? 1,
      chosen,
    });
  if (kind === "scale") {
    const scale = question.scale ?? {};
    return builderItem("scale", {
      hidden,
      text: question.text,
      min: scale.min ?? 1,
      max: scale.max ?? 5,
      minLabel: scale.min_label ?? "",
      maxLabel: scale.max_label ?? "",
    });
  }
  if (kind === "words" || kind === "open") return builderItem(kind, { hidden, text: question.text });
  // A catalog question offers responses by their index in the catalog's list.
  let entry = catalogByName.get(question.var_name);
  if (!entry) {
    const responses = [];
    for (const r of question.responses) responses[r.index] = r.response;
    entry = { ...question, responses: Array.from(responses, (r) => r ?? "") };
  }
  return builderItem("catalog", { hidden, question: entry, offered: new Set(question.responses.map((r) => r.index)) });
}

/** One question as the api takes it. */
function questionBody(item) {
  const common = {
    kind: item.kind,
    results_hidden: Boolean(item.hidden),
    speaker_notes: item.notes || null,
    timer_seconds: item.timer === "" || item.timer == null ? null : Number(item.timer),
  };
  if (item.kind === "catalog")
    return {
      ...common,
      var_name: item.question.var_name,
      // Every response offered: null, so the poll follows the catalog's list.
      response_indices:
        item.offered.size === item.question.responses.length ? null : [...item.offered].sort((a, b) => a - b),
    };
  if (item.kind === "choice")
    return {
      ...common,
      text: item.text.trim(),
      options: item.options.map((o) => o.trim()),
      max_choices: item.maxChoices,
    };
  if (item.kind === "scale")
    return {
      ...common,
      text: item.text.trim(),
      min: item.min,
      max: item.max,
      min_label: item.minLabel.trim(),
      max_label: item.maxLabel.trim(),
    };
  const wave = item.wave === "" || item.wave == null ? null : Number(item.wave);
  if (item.kind === "ranking" && item.source === "catalog")
    return {
      ...common,
      text: item.text.trim(),
      item_var_names: item.itemVarNames,
      response_indices: item.responseIndices ? [...item.responseIndices].sort((a, b) => a - b) : null,
      wave,
      top_k: item.topK,
    };
  if (item.kind === "ranking")
    return { ...common, text: item.text.trim(), options: item.options.map((o) => o.trim()), top_k: item.topK };
  if (item.kind === "predict")
    return {
      ...common,
      var_name: item.varName || null,
      response_indices: item.responseIndices.size ? [...item.responseIndices].sort((a, b) => a - b) : null,
      group: item.group || null,
      wave,
      text: item.text.trim() || null,
      show_closest: item.showClosest,
    };
  return { ...common, text: item.text.trim() };
}

/** What the builder calls a question's fields, for the api's messages that start with their path. */
const FIELD_NAMES = {
  text: "The question text",
  options: "The options",
  max_choices: "Answers per participant",
  min: "The scale",
  max: "The scale",
  min_label: "The label at the low end",
  max_label: "The label at the high end",
  response_indices: "The offered responses",
  top_k: "How many to rank",
  item_var_names: "The principles",
  wave: "The wave",
  group: "The group",
  var_name: "The catalog question",
};
/** An api message about a question's field, said next to that field: "questions[0].options[1]
 *  must not be empty" → "Option 2 must not be empty" (people count from 1, and see which question). */
function fieldMessage(error) {
  const field = error.field ?? "";
  if (!field.startsWith("questions[") || !error.message.startsWith(field)) return error.message;
  const part = field.replace(/^questions\[\d+\]\.?/, "");
  const option = part.match(/^options\[(\d+)\]$/);
  const principle = part.match(/^item_var_names\[(\d+)\]$/);
  const name = option
    ? `Option ${Number(option[1]) + 1}`
    : principle
      ? `Principle ${Number(principle[1]) + 1}`
      : part
        ? (FIELD_NAMES[part] ?? part)
        : "This question";
  return `${name}${error.message.slice(field.length)}`;
}

/** Editing a saved poll (/admin/polls/{id}/edit): the builder, filled with it. */
export async function editView(id) {
  if (!isAdmin()) {
    dom.view.replaceChildren(el("section", { class: "panel" }, el("p", {}, "Only admins edit polls.")));
    return;
  }
  const at = session.navigation;
  const poll = (await api(`/api/admin/polls/${id}`)).data;
  // With answers, the options participants chose keep their labels: which they are, from the counts.
  const chosen = new Map();
  if (poll.respondents > 0) {
    for (const question of (await api(`/api/admin/polls/${id}/results`)).data.questions) {
      if (question.kind !== "choice") continue;
      const options = question.overall.counts.flatMap((count, i) => (count > 0 ? [i] : []));
      chosen.set(question.var_name, new Set(options));
    }
  }
  if (at === session.navigation) await builderView(poll, chosen);
}

/** The poll builder: a new poll, or `poll` to edit (while closed; once it has answers, only its
 *  wording). `chosen`: per choice question, the options participants chose. */
export async function builderView(poll = null, chosen = new Map()) {
  if (!isAdmin()) {
    dom.view.replaceChildren(el("section", { class: "panel" }, el("p", {}, "Only admins create polls.")));
    return;
  }
  const at = session.navigation;
  const catalog = flattenCatalog((await api("/api/batteries")).data);
  if (at !== session.navigation) return;
  const catalogByName = new Map(catalog.map((q) => [q.var_name, q]));
  const batteries = principleBatteries(catalog);
  const catalogGroups = Map.groupBy(catalog, (q) => q.group);
  const items = poll ? poll.questions.map((q) => itemFromQuestion(q, catalogByName, chosen.get(q.var_name))) : [];
  // Answers were given to these questions as they are: only their wording may change now.
  const wordingOnly = Boolean(poll && !poll.is_open && poll.respondents > 0);
  let splitItem = poll?.split_by ? (items.find((item, i) => keyOf(item, i) === poll.split_by) ?? null) : null;
  let splitOptions = new Map(); // item → its <option> in the split select
  const errors = {}; // the form's own fields' error messages, by the api's field name
  let itemErrors = new Map(); // "questions[i].field" → error message, redrawn with the list
  const errorFor = (name) => (errors[name] = el("p", { class: "field-error", id: `${name}-error`, role: "alert" }));
  const title = el("input", {
    type: "text",
    id: "poll-title",
    required: true,
    value: poll?.title ?? "",
    "aria-describedby": "title-error",
  });
  const description = el(
    "textarea",
    { id: "poll-description", "aria-describedby": "description-error" },
    poll?.description ?? "",
  );
  const search = el("input", {
    type: "search",
    id: "catalog-search",
    placeholder: "Search questions…",
    autocomplete: "off",
    disabled: wordingOnly,
  });
  const list = el("div", { class: "catalog-list", role: "region", "aria-label": "Catalog questions", tabindex: "0" });
  const chosenList = el("ol", { class: "chosen", "aria-label": "Questions in this poll" });
  const split = el("select", {
    id: "poll-split",
    disabled: wordingOnly,
    "aria-describedby": "split-help split_by-error",
  });
  const formError = el("div", { class: "status" });
  // Says what a click on Add, Move or Remove did, for those who cannot see the list change.
  const announcer = el("p", { class: "visually-hidden", role: "status" });
  const pacingChoice = (value, label, help) =>
    el(
      "label",
      { class: "radio-choice" },
      el("input", {
        type: "radio",
        name: "pacing",
        value,
        checked: (poll?.pacing ?? "all_at_once") === value,
        disabled: wordingOnly,
        "aria-describedby": `pacing-${value}-help pacing-error`,
      }),
      el("span", {}, label, el("span", { class: "note", id: `pacing-${value}-help` }, help)),
    );

  const fillCatalog = () => {
    const matches = searchCatalog(catalog, search.value);
    const groups = Map.groupBy(matches, (q) => q.group);
    list.replaceChildren(
      ...[...groups].map(([group, questions]) =>
        el(
          "div",
          {},
          el("h4", {}, group),
          questions.map((q) =>
            el(
              "div",
              { class: "catalog-item" },
              el("span", {}, q.short_text ?? q.text, " ", el("code", {}, q.var_name)),
              el(
                "button",
                {
                  type: "button",
                  class: "small secondary",
                  disabled:
                    wordingOnly ||
                    items.some((item) => item.kind === "catalog" && item.question.var_name === q.var_name),
                  "aria-label": `Add ${q.var_name}`,
                  onclick: () => {
                    add(builderItem("catalog", { question: q, offered: new Set(q.responses.map((_, i) => i)) }));
                    // The catalog is redrawn (this button is now disabled): keep the keyboard in the search.
                    search.focus();
                  },
                },
                "Add",
              ),
            ),
          ),
        ),
      ),
    );
    if (!matches.length) list.append(el("p", { class: "empty", style: "padding:0.5rem" }, "No question matches."));
  };
  const add = (item) => {
    items.push(item);
    announcer.textContent = `Added question ${items.length}.`;
    refresh({
      focus: item.kind === "catalog" ? null : item.kind === "predict" ? `${item.id}-question` : `${item.id}-text`,
    });
  };
  const move = (index, by, focus) => {
    const [item] = items.splice(index, 1);
    items.splice(index + by, 0, item);
    announcer.textContent = `Moved to place ${index + by + 1} of ${items.length}.`;
    refresh({ focus });
  };
  const splitLabel = (item, index) =>
    item.kind === "catalog"
      ? `${item.question.short_text ?? item.question.text} (${item.question.var_name})`
      : `${item.text.trim() || `Question ${index + 1}`} (${keyOf(item, index)})`;

  /** One question of the poll: its place, kind and key, move/remove, and its kind's fields. */
  const renderItem = (item, index) => {
    const key = keyOf(item, index);
    const id = (part) => `${item.id}-${part}`;
    const slots = {};
    /** The error message of a part of this question, found by the api's names for its fields. */
    const slot = (part, ...fields) => {
      slots[part] = el("p", { class: "field-error", id: id(`${part}-error`), role: "alert" });
      for (const field of fields) itemErrors.set(`questions[${index}]${field}`, slots[part]);
      return slots[part];
    };
    const smallButton = (label, attributes) =>
      el("button", { type: "button", class: "small secondary", ...attributes }, label);
    const head = el(
      "div",
      { class: "row" },
      el(
        "span",
        { id: id("title") },
        el("strong", {}, `${index + 1}. `),
        tagOf(item.kind),
        " ",
        item.kind === "catalog" ? [item.question.text, " "] : null,
        el("code", {}, key),
      ),
      el(
        "span",
        { class: "actions" },
        smallButton("↑", {
          id: id("up"),
          disabled: wordingOnly || index === 0,
          "aria-label": `Move ${key} up`,
          onclick: () => move(index, -1, [id("up"), id("down")]),
        }),
        smallButton("↓", {
          id: id("down"),
          disabled: wordingOnly || index === items.length - 1,
          "aria-label": `Move ${key} down`,
          onclick: () => move(index, 1, [id("down"), id("up")]),
        }),
        smallButton("Remove", {
          id: id("remove"),
          disabled: wordingOnly,
          "aria-label": `Remove ${key}`,
          onclick: () => {
            items.splice(index, 1);
            announcer.textContent = `Removed question ${index + 1}.`;
            const neighbour = items[index] ?? items[index - 1];
            refresh({ focus: neighbour ? `${neighbour.id}-remove` : "catalog-search" });
          },
        }),
      ),
    );
    const hideResults = el(
      "label",
      { class: "hide-results" },
      el("input", {
        type: "checkbox",
        checked: item.hidden,
        "data-hide-results": key,
        onchange: (event) => {
          item.hidden = event.target.checked;
        },
      }),
      "Hide results until revealed",
    );
    // Wording, not structure: editable once answers exist.
    const notesField = el(
      "div",
      { class: "field speaker-notes" },
      el("label", { for: id("notes") }, "Speaker notes (on your presenter view only)"),
      el("textarea", {
        id: id("notes"),
        rows: 2,
        maxlength: 2000,
        "aria-describedby": id("notes-error"),
        oninput: (event) => {
          item.notes = event.target.value;
          slots.notes.replaceChildren();
        },
      }),
      slot("notes", ".speaker_notes"),
    );
    notesField.querySelector("textarea").value = item.notes ?? "";
    const timerField = el(
      "div",
      { class: "field countdown-field" },
      el("label", { for: id("timer") }, "Countdown in seconds (presenter-paced; empty: none)"),
      el("input", {
        type: "number",
        id: id("timer"),
        min: 5,
        max: 3600,
        step: 1,
        value: item.timer ?? "",
        "aria-describedby": id("timer-error"),
        oninput: (event) => {
          item.timer = event.target.value;
          slots.timer.replaceChildren();
        },
      }),
      slot("timer", ".timer_seconds"),
    );
    const textField = () =>
      el(
        "div",
        { class: "field" },
        el("label", { for: id("text") }, "Question text"),
        el("input", {
          type: "text",
          id: id("text"),
          value: item.text,
          "aria-describedby": id("text-error"),
          oninput: (event) => {
            item.text = event.target.value;
            slots.text.replaceChildren();
            const option = splitOptions.get(item);
            if (option) option.textContent = splitLabel(item, index);
          },
        }),
        slot("text", ".text"),
      );
    /** A text input whose message is `errorPart`'s (an option's is the options' message);
     *  `fixedBy`: the id of the note that says why it is read-only (it cannot change). */
    const textInput = (part, value, onValue, errorPart = part, fixedBy = null) =>
      el("input", {
        type: "text",
        id: id(part),
        value,
        readonly: Boolean(fixedBy),
        "aria-describedby": [id(`${errorPart}-error`), fixedBy].filter(Boolean).join(" "),
        oninput: (event) => {
          onValue(event.target.value);
          slots[errorPart]?.replaceChildren();
        },
      });
    /** A list of editable labels (a choice's options, a ranking's items) with a Remove button
     *  each; `noun` names one, `min` is the fewest kept, `fixedBy(i)` what keeps one's label fixed. */
    const labelList = (noun, min, fixedBy = () => null, afterRemove = () => {}) =>
      el(
        "ol",
        { class: "option-list" },
        item.options.map((value, i) =>
          el(
            "li",
            {},
            el("label", { for: id(`option-${i}`) }, `${noun} ${i + 1}`),
            textInput(
              `option-${i}`,
              value,
              (text) => {
                item.options[i] = text;
              },
              "options",
              fixedBy(i),
            ),
            smallButton("Remove", {
              id: id(`remove-option-${i}`),
              disabled: wordingOnly || item.options.length <= min,
              "aria-label": `Remove ${noun.toLowerCase()} ${i + 1} of ${key}`,
              onclick: () => {
                item.options.splice(i, 1);
                afterRemove();
                refresh({ focus: [id(`option-${Math.max(0, i - 1)}`)] });
              },
            }),
          ),
        ),
      );
    let body;
    if (item.kind === "catalog") {
      body = [
        el(
          "fieldset",
          { class: "offered", "aria-describedby": id("offered-error") },
          el("legend", { class: "visually-hidden" }, `Responses offered for ${key}`),
          item.question.responses.map((response, i) =>
            el(
              "label",
              {},
              el("input", {
                type: "checkbox",
                checked: item.offered.has(i),
                disabled: wordingOnly,
                onchange: (event) => {
                  if (event.target.checked) item.offered.add(i);
                  else item.offered.delete(i);
                  slots.offered.replaceChildren();
                },
              }),
              response,
            ),
          ),
        ),
        slot("offered", ".response_indices"),
      ];
    } else if (item.kind === "choice") {
      const isChosen = (i) => wordingOnly && Boolean(item.chosen?.has(i));
      const options = labelList(
        "Option",
        MIN_OPTIONS,
        (i) => (isChosen(i) ? id("chosen-note") : null),
        () => {
          item.maxChoices = Math.min(item.maxChoices, item.options.length);
        },
      );
      body = [
        textField(),
        el(
          "fieldset",
          { class: "field options" },
          el("legend", {}, `Options (${MIN_OPTIONS} to ${MAX_OPTIONS})`),
          options,
          wordingOnly
            ? el(
                "p",
                { class: "note", id: id("chosen-note") },
                item.options.some((_, i) => isChosen(i))
                  ? "Options participants chose keep their labels (read-only); the others can be reworded."
                  : "Nobody chose any option yet: each can be reworded.",
              )
            : null,
          smallButton("+ Add option", {
            id: id("add-option"),
            disabled: wordingOnly || item.options.length >= MAX_OPTIONS,
            onclick: () => {
              item.options.push("");
              refresh({ focus: id(`option-${item.options.length - 1}`) });
            },
          }),
          slot("options", ".options"),
        ),
        el(
          "div",
          { class: "field" },
          el("label", { for: id("max-choices") }, "Answers per participant"),
          el(
            "select",
            {
              id: id("max-choices"),
              disabled: wordingOnly,
              "aria-describedby": id("max-choices-error"),
              onchange: (event) => {
                item.maxChoices = Number(event.target.value);
                slots["max-choices"].replaceChildren();
              },
            },
            item.options.map((_, i) =>
              el(
                "option",
                { value: String(i + 1), selected: item.maxChoices === i + 1 },
                i === 0 ? "One answer" : `Up to ${i + 1} answers`,
              ),
            ),
          ),
          slot("max-choices", ".max_choices"),
        ),
      ];
    } else if (item.kind === "scale") {
      body = [
        textField(),
        el(
          "div",
          { class: "scale-fields" },
          el(
            "div",
            { class: "field" },
            el("label", { for: id("range") }, "Scale"),
            el(
              "select",
              {
                id: id("range"),
                disabled: wordingOnly,
                "aria-describedby": id("range-error"),
                onchange: (event) => {
                  [item.min, item.max] = event.target.value.split("-").map(Number);
                  // The end labels' names show the new ends.
                  refresh({ focus: id("range") });
                },
              },
              SCALES.map(([min, max]) =>
                el(
                  "option",
                  { value: `${min}-${max}`, selected: item.min === min && item.max === max },
                  `${min} to ${max}`,
                ),
              ),
            ),
            slot("range", ".min", ".max"),
          ),
          el(
            "div",
            { class: "field" },
            el("label", { for: id("min-label") }, `Label at ${item.min}`),
            textInput("min-label", item.minLabel, (text) => {
              item.minLabel = text;
            }),
            slot("min-label", ".min_label"),
          ),
          el(
            "div",
            { class: "field" },
            el("label", { for: id("max-label") }, `Label at ${item.max}`),
            textInput("max-label", item.maxLabel, (text) => {
              item.maxLabel = text;
            }),
            slot("max-label", ".max_label"),
          ),
        ),
      ];
    } else if (item.kind === "ranking") {
      const catalogItems = item.source === "catalog";
      const count = catalogItems ? item.itemVarNames.length : item.options.length;
      if (item.topK != null && item.topK >= count) item.topK = null;
      const sourceChoice = (value, label, help) =>
        el(
          "label",
          { class: "radio-choice" },
          el("input", {
            type: "radio",
            name: id("source"),
            id: id(`source-${value}`),
            value,
            checked: item.source === value,
            disabled: wordingOnly,
            onchange: () => {
              item.source = value;
              item.topK = null;
              refresh({ focus: id(`source-${value}`) });
            },
          }),
          el("span", {}, label, el("span", { class: "note" }, help)),
        );
      let itemFields;
      if (!catalogItems) {
        itemFields = el(
          "fieldset",
          { class: "field options" },
          el("legend", {}, `Items (${MIN_ITEMS} to ${MAX_ITEMS})`),
          labelList("Item", MIN_ITEMS),
          smallButton("+ Add item", {
            id: id("add-option"),
            disabled: wordingOnly || item.options.length >= MAX_ITEMS,
            onclick: () => {
              item.options.push("");
              refresh({ focus: id(`option-${item.options.length - 1}`) });
            },
          }),
          slot("options", ".options"),
        );
      } else {
        const battery = item.battery || defaultBattery(batteries);
        const principles = batteries.get(battery) ?? [];
        const responses = principles[0]?.responses ?? [];
        const byNation = item.responseIndices ?? (responses.length ? [responses.length - 1] : []);
        const full = item.itemVarNames.length >= MAX_ITEMS;
        itemFields = [
          batteries.size > 1
            ? el(
                "div",
                { class: "field" },
                el("label", { for: id("battery") }, "Battery"),
                el(
                  "select",
                  {
                    id: id("battery"),
                    disabled: wordingOnly,
                    onchange: (event) => {
                      item.battery = event.target.value;
                      item.itemVarNames = [];
                      item.responseIndices = null;
                      refresh({ focus: id("battery") });
                    },
                  },
                  [...batteries.keys()].map((group) =>
                    el("option", { value: group, selected: group === battery }, group),
                  ),
                ),
              )
            : null,
          el(
            "fieldset",
            { class: "field principles", "aria-describedby": id("principles-error") },
            el(
              "legend",
              {},
              `Principles to rank (${MIN_ITEMS} to ${MAX_ITEMS}; ${plural(item.itemVarNames.length, "chosen", "chosen")})`,
            ),
            el(
              "div",
              { class: "principle-list" },
              principles.flatMap((q, i) => {
                const checked = item.itemVarNames.includes(q.var_name);
                // Each sub-battery under its name.
                const sub = q.group.split(" › ")[1];
                const heading =
                  sub && sub !== principles[i - 1]?.group.split(" › ")[1]
                    ? el("p", { class: "principle-group" }, sub)
                    : null;
                return [
                  heading,
                  el(
                    "label",
                    {},
                    el("input", {
                      type: "checkbox",
                      id: id(`principle-${q.var_name}`),
                      value: q.var_name,
                      checked,
                      disabled: wordingOnly || (full && !checked),
                      "aria-describedby": id("principles-error"),
                      onchange: (event) => {
                        if (event.target.checked) item.itemVarNames.push(q.var_name);
                        else item.itemVarNames = item.itemVarNames.filter((v) => v !== q.var_name);
                        refresh({ focus: id(`principle-${q.var_name}`) });
                      },
                    }),
                    el("span", {}, q.short_text ?? q.text, " ", el("code", {}, q.var_name)),
                  ),
                ];
              }),
            ),
            slot("principles", ".item_var_names"),
          ),
          el(
            "fieldset",
            { class: "offered", "aria-describedby": id("nation-responses-error") },
            el("legend", {}, "The nation’s order: by the weighted share answering"),
            responses.map((response, i) =>
              el(
                "label",
                {},
                el("input", {
                  type: "checkbox",
                  id: id(`nation-response-${i}`),
                  checked: byNation.includes(i),
                  disabled: wordingOnly,
                  onchange: (event) => {
                    const set = new Set(byNation);
                    if (event.target.checked) set.add(i);
                    else set.delete(i);
                    item.responseIndices = [...set].sort((a, b) => a - b);
                    slots["nation-responses"].replaceChildren();
                  },
                }),
                response,
              ),
            ),
            slot("nation-responses", ".response_indices"),
          ),
          el(
            "div",
            { class: "field" },
            el("label", { for: id("wave") }, "Survey wave (empty: the latest that asked them all)"),
            el("input", {
              type: "number",
              id: id("wave"),
              min: 1,
              step: 1,
              value: item.wave ?? "",
              disabled: wordingOnly,
              "aria-describedby": id("wave-error"),
              oninput: (event) => {
                item.wave = event.target.value;
                slots.wave.replaceChildren();
              },
            }),
            slot("wave", ".wave"),
          ),
        ];
      }
      body = [
        textField(),
        el(
          "fieldset",
          { class: "field pacing-choice ranking-source" },
          el("legend", {}, "Items to rank"),
          sourceChoice("own", "Written here", "3 to 10 items of your own."),
          sourceChoice(
            "catalog",
            "BLW principles",
            "3 to 10 of the catalog’s principles: after the vote the room’s order is shown beside the nation’s.",
          ),
        ),
        ...[itemFields].flat(),
        el(
          "div",
          { class: "field" },
          el("label", { for: id("top-k") }, "Each participant ranks"),
          el(
            "select",
            {
              id: id("top-k"),
              disabled: wordingOnly,
              "aria-describedby": id("top-k-error"),
              onchange: (event) => {
                item.topK = event.target.value === "" ? null : Number(event.target.value);
                slots["top-k"].replaceChildren();
              },
            },
            el("option", { value: "", selected: item.topK == null }, `All the items${count ? ` (${count})` : ""}`),
            Array.from({ length: Math.max(0, count - 2) }, (_, i) =>
              el("option", { value: String(i + 2), selected: item.topK === i + 2 }, `Their top ${i + 2}`),
            ),
          ),
          slot("top-k", ".top_k"),
        ),
        el(
          "p",
          { class: "note" },
          "Participants order the items (by dragging them, or with ↑ ↓ buttons); the results show each item’s mean rank with its 95% CI and its Borda score. A ranking cannot split the results.",
        ),
      ];
    } else if (item.kind === "predict") {
      const target = catalogByName.get(item.varName);
      const generated = predictText(target, [...item.responseIndices], item.group);
      body = [
        el(
          "div",
          { class: "field" },
          el("label", { for: id("question") }, "Catalog question whose national answer the room guesses"),
          el(
            "select",
            {
              id: id("question"),
              disabled: wordingOnly,
              "aria-describedby": id("question-error"),
              onchange: (event) => {
                item.varName = event.target.value;
                item.responseIndices = new Set();
                refresh({ focus: id("question") });
              },
            },
            el("option", { value: "", selected: !item.varName }, "Choose a question…"),
            [...catalogGroups].map(([group, questions]) =>
              el(
                "optgroup",
                { label: group },
                questions.map((q) =>
                  el(
                    "option",
                    { value: q.var_name, selected: q.var_name === item.varName },
                    `${q.short_text ?? q.text} (${q.var_name})`,
                  ),
                ),
              ),
            ),
          ),
          slot("question", ".var_name"),
        ),
        target
          ? el(
              "fieldset",
              { class: "offered", "aria-describedby": id("responses-error") },
              el("legend", {}, "Guess the share answering"),
              target.responses.map((response, i) =>
                el(
                  "label",
                  {},
                  el("input", {
                    type: "checkbox",
                    id: id(`response-${i}`),
                    checked: item.responseIndices.has(i),
                    disabled: wordingOnly,
                    onchange: (event) => {
                      if (event.target.checked) item.responseIndices.add(i);
                      else item.responseIndices.delete(i);
                      // The text the api would write changes with them.
                      refresh({ focus: id(`response-${i}`) });
                    },
                  }),
                  response,
                ),
              ),
              slot("responses", ".response_indices"),
            )
          : slot("responses", ".response_indices"),
        el(
          "div",
          { class: "scale-fields" },
          el(
            "div",
            { class: "field" },
            el("label", { for: id("group") }, "Among"),
            el(
              "select",
              {
                id: id("group"),
                disabled: wordingOnly,
                "aria-describedby": id("group-error"),
                onchange: (event) => {
                  item.group = event.target.value;
                  refresh({ focus: id("group") });
                },
              },
              el("option", { value: "", selected: !item.group }, "All US adults"),
              PREDICT_GROUPS.map(([group, people]) =>
                el(
                  "option",
                  { value: group, selected: item.group === group },
                  people.charAt(0).toUpperCase() + people.slice(1),
                ),
              ),
            ),
            slot("group", ".group"),
          ),
          el(
            "div",
            { class: "field" },
            el("label", { for: id("wave") }, "Survey wave (empty: the latest)"),
            el("input", {
              type: "number",
              id: id("wave"),
              min: 1,
              step: 1,
              value: item.wave ?? "",
              disabled: wordingOnly,
              "aria-describedby": id("wave-error"),
              oninput: (event) => {
                item.wave = event.target.value;
                slots.wave.replaceChildren();
              },
            }),
            slot("wave", ".wave"),
          ),
        ),
        el(
          "div",
          { class: "field" },
          el("label", { for: id("text") }, "Question text (empty: written for you)"),
          el("input", {
            type: "text",
            id: id("text"),
            value: item.text,
            placeholder: generated,
            "aria-describedby": `${id("generated")} ${id("text-error")}`,
            oninput: (event) => {
              item.text = event.target.value;
              slots.text.replaceChildren();
            },
          }),
          el(
            "p",
            { class: "note", id: id("generated") },
            generated ? `Left empty, participants read: “${generated}”` : "Choose a question and responses first.",
          ),
          slot("text", ".text"),
        ),
        el(
          "label",
          { class: "hide-results" },
          el("input", {
            type: "checkbox",
            id: id("closest"),
            checked: item.showClosest,
            disabled: wordingOnly,
            onchange: (event) => {
              item.showClosest = event.target.checked;
            },
          }),
          "List the closest guesses by the names participants choose",
        ),
        el(
          "p",
          { class: "note" },
          "Participants guess a percent from 0 to 100. Their guesses show at once; the nation’s answer (weighted, with its 95% CI) and the gap appear when voting closes. A guess cannot split the results.",
        ),
      ];
    } else if (item.kind === "open") {
      body = [
        textField(),
        el(
          "p",
          { class: "note" },
          "Each participant answers in their own words (up to 280 characters). Answers wait for you: the room sees only those you approve, in a list on the slide. An open question cannot split the results.",
        ),
      ];
    } else {
      body = [
        textField(),
        el(
          "p",
          { class: "note" },
          "Each participant gives up to 3 words or short phrases (40 characters each), shown as a word cloud with a ranked table. A words question cannot split the results.",
        ),
      ];
    }
    // A group named by the question's place, kind and key: its fields' labels repeat from question
    // to question ("Question text"), so screen readers say which question they are in.
    return el(
      "li",
      { dataset: { question: key, kind: item.kind } },
      el(
        "div",
        { role: "group", "aria-labelledby": id("title") },
        head,
        body,
        hideResults,
        notesField,
        timerField,
        // A guess's catalog question has its own message (next to its select).
        slot("item", "", ".kind", ...(item.kind === "predict" ? [] : [".var_name"])),
      ),
    );
  };

  const refresh = ({ focus } = {}) => {
    fillCatalog();
    if (!items.includes(splitItem)) splitItem = null;
    // Own questions' keys follow their places: the split names the question, whatever its key now.
    splitOptions = new Map();
    split.replaceChildren(
      el("option", { value: "" }, "No split"),
      ...items.flatMap((item, index) => {
        if (["words", "open", "ranking", "predict"].includes(item.kind)) return [];
        const option = el(
          "option",
          { value: keyOf(item, index), selected: item === splitItem },
          splitLabel(item, index),
        );
        splitOptions.set(item, option);
        return [option];
      }),
    );
    itemErrors = new Map();
    chosenList.replaceChildren(...items.map(renderItem));
    if (!items.length)
      chosenList.append(el("li", { class: "empty" }, "No questions yet: write your own or add them from the catalog."));
    const target = [focus]
      .flat()
      .filter(Boolean)
      .map((id) => document.getElementById(id))
      .find((node) => node && !node.disabled);
    target?.focus();
  };
  /** The error message for a field the api named (`questions[1].options[2]` falls back to
   *  `questions[1].options`, then `questions[1]`, then `questions`). */
  const errorSlot = (field) => {
    let name = field ?? "";
    while (name) {
      const node = errors[name] ?? itemErrors.get(name);
      if (node) return node;
      const shorter = name.replace(/(\.\w+|\[\d+\])$/, "");
      if (shorter === name) return null;
      name = shorter;
    }
    return null;
  };
  search.addEventListener("input", fillCatalog);
  // A field's error goes away as soon as the field is edited.
  title.addEventListener("input", () => errors.title.replaceChildren());
  description.addEventListener("input", () => errors.description.replaceChildren());
  split.addEventListener("change", () => {
    errors.split_by.replaceChildren();
    splitItem = [...splitOptions].find(([, option]) => option.selected)?.[0] ?? null;
  });

  const locked = poll?.is_open
    ? "This poll is open: close it before changing it — saving now will be refused."
    : wordingOnly
      ? `This poll has answers from ${plural(poll.respondents, "participant")}, so what they answered stays as it is: you can change the wording — the title, the description, each question's text, a scale's end labels and the labels of options nobody chose. The fields shown greyed out or read-only are fixed until its answers are reset.`
      : null;
  const nationalDuringVoting = el("input", { type: "checkbox", id: "national-during-voting" });
  nationalDuringVoting.checked = Boolean(poll?.national_during_voting);
  const qaMode = el(
    "select",
    { id: "qa-mode", "aria-describedby": "qa-mode-help qa_mode-error" },
    [
      ["off", "Off"],
      ["post_moderated", "On: shown at once (you may hide any)"],
      ["pre_moderated", "On: each waits for your approval"],
    ].map(([value, label]) => el("option", { value, selected: (poll?.qa_mode ?? "off") === value }, label)),
  );
  const form = panelForm(
    "builder-title",
    poll ? `Edit “${poll.title}”` : "New poll",
    locked ? el("p", { class: "closed-banner", id: "builder-locked" }, locked) : null,
    el(
      "div",
      { class: "form-grid" },
      el("div", { class: "field" }, el("label", { for: "poll-title" }, "Title"), title, errorFor("title")),
      el(
        "div",
        { class: "field" },
        el("label", { for: "poll-split" }, "Split results by"),
        split,
        el(
          "p",
          { class: "note", id: "split-help" },
          "A catalog, choice or scale question of this poll (rankings and guesses of the nation are split by it, not split with).",
        ),
        errorFor("split_by"),
      ),
    ),
    el(
      "div",
      { class: "field" },
      el("label", { for: "poll-description" }, "Description (shown to participants)"),
      description,
      errorFor("description"),
    ),
    el(
      "fieldset",
      { class: "field pacing-choice" },
      el("legend", {}, "Pacing"),
      pacingChoice("all_at_once", "All at once (one form)", "Participants answer every question on one form."),
      pacingChoice(
        "presenter",
        "Presenter-paced (one question at a time)",
        "You move the room from question to question; phones show only the current one.",
      ),
      errorFor("pacing"),
    ),
    el(
      "div",
      { class: "field" },
      el(
        "label",
        { class: "check" },
        nationalDuringVoting,
        " Show the nation’s answers while a question still takes answers",
      ),
      el(
        "p",
        { class: "note" },
        "Off: catalog questions show US adults’ answers when their voting closes, so the room answers before it sees the nation.",
      ),
    ),
    el(
      "div",
      { class: "field" },
      el("label", { for: "qa-mode" }, "Questions from the audience"),
      qaMode,
      el(
        "p",
        { class: "note", id: "qa-mode-help" },
        "Participants ask you questions and vote for each other’s; a question with a blocked word always waits for you. You pin one to the projector from the presenter view.",
      ),
      errorFor("qa_mode"),
    ),
    el(
      "div",
      { class: "builder" },
      el(
        "div",
        {},
        el("h3", { id: "add-own-title" }, "Write your own question"),
        el(
          "div",
          { class: "add-own actions", role: "group", "aria-labelledby": "add-own-title" },
          el(
            "button",
            {
              type: "button",
              class: "small secondary",
              id: "add-choice",
              disabled: wordingOnly,
              onclick: () => add(builderItem("choice")),
            },
            "+ Choice",
          ),
          el(
            "button",
            {
              type: "button",
              class: "small secondary",
              id: "add-scale",
              disabled: wordingOnly,
              onclick: () => add(builderItem("scale")),
            },
            "+ Scale",
          ),
          el(
            "button",
            {
              type: "button",
              class: "small secondary",
              id: "add-words",
              disabled: wordingOnly,
              onclick: () => add(builderItem("words")),
            },
            "+ Words",
          ),
          el(
            "button",
            {
              type: "button",
              class: "small secondary",
              id: "add-open",
              disabled: wordingOnly,
              onclick: () => add(builderItem("open")),
            },
            "+ Open answer",
          ),
          el(
            "button",
            {
              type: "button",
              class: "small secondary",
              id: "add-ranking",
              disabled: wordingOnly,
              onclick: () => add(builderItem("ranking", { battery: defaultBattery(batteries) })),
            },
            "+ Ranking",
          ),
          el(
            "button",
            {
              type: "button",
              class: "small secondary",
              id: "add-predict",
              disabled: wordingOnly,
              onclick: () => add(builderItem("predict")),
            },
            "+ Predict the nation",
          ),
        ),
        el("label", { for: "catalog-search", class: "catalog-label" }, "Or add from the BLW catalog"),
        search,
        list,
      ),
      el("div", {}, el("h3", {}, "Questions in this poll"), chosenList, errorFor("questions")),
    ),
    announcer,
    formError,
    el(
      "div",
      { class: "actions" },
      el("button", { type: "submit" }, poll ? "Save changes" : "Create poll"),
      el("a", { href: poll ? `/admin/polls/${poll.id}` : "/admin", class: "button secondary" }, "Cancel"),
    ),
  );
  /** The poll as the api takes it, from what the form holds now. */
  const definition = () => ({
    title: title.value,
    description: description.value,
    pacing: form.querySelector("input[name=pacing]:checked")?.value ?? "all_at_once",
    questions: items.map(questionBody),
    split_by: splitItem ? keyOf(splitItem, items.indexOf(splitItem)) : null,
    national_during_voting: nationalDuringVoting.checked,
    qa_mode: qaMode.value,
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const node of [...Object.values(errors), ...itemErrors.values()]) node.replaceChildren();
    formError.replaceChildren();
    const body = definition();
    try {
      // Saved: nothing is lost by leaving for the poll's page.
      if (poll) {
        await api(`/api/admin/polls/${poll.id}`, { method: "PUT", body });
        session.flash = "Changes saved.";
        go(`/admin/polls/${poll.id}`, { force: true });
      } else {
        go(`/admin/polls/${(await api("/api/admin/polls", { method: "POST", body })).data.id}`, { force: true });
      }
    } catch (error) {
      const slot = errorSlot(error.field);
      if (!slot) return showError(formError, error);
      slot.textContent = fieldMessage(error);
      // To the field at fault: of several sharing the message (options), the first left empty.
      const fields = [...form.querySelectorAll(`[aria-describedby~="${slot.id}"]`)];
      (fields.find((field) => field.tagName === "INPUT" && !field.value.trim()) ?? fields[0])?.focus();
    }
  });
  refresh();
  dom.view.replaceChildren(form);
  // What was loaded (or the empty form): leaving asks first once the form differs from it.
  const loaded = JSON.stringify(definition());
  guardUnsaved(() => JSON.stringify(definition()) !== loaded);
}
