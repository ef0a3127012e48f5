// The console's poll builder (/admin/polls/new, /admin/polls/{id}/edit; admins only): title,
// description, split and pacing; questions from the BLW catalog (searched, with the responses
// offered) or written here (choice, scale, words, open answers), reordered and removed; the api's messages
// said next to the field at fault. A poll with answers keeps what they were given to: only its
// wording can be edited (the other fields are shown, disabled). Leaving with changes not saved
// asks first.
import { api, el, flattenCatalog, searchCatalog, showError } from "../common.js";
import { dom, go, guardUnsaved, isAdmin, kindTag, panelForm, plural, session } from "./shared.js";

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
  const item = itemOfKind(kind, question, catalogByName, chosen, hidden);
  item.notes = notes;
  item.timer = question.timer_seconds ?? "";
  return item;
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
};
/** An api message about a question's field, said next to that field: "questions[0].options[1]
 *  must not be empty" → "Option 2 must not be empty" (people count from 1, and see which question). */
function fieldMessage(error) {
  const field = error.field ?? "";
  if (!field.startsWith("questions[") || !error.message.startsWith(field)) return error.message;
  const part = field.replace(/^questions\[\d+\]\.?/, "");
  const option = part.match(/^options\[(\d+)\]$/);
  const name = option ? `Option ${Number(option[1]) + 1}` : part ? (FIELD_NAMES[part] ?? part) : "This question";
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
    refresh({ focus: item.kind === "catalog" ? null : `${item.id}-text` });
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
        kindTag(item.kind),
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
      const options = el(
        "ol",
        { class: "option-list" },
        item.options.map((value, i) =>
          el(
            "li",
            {},
            el("label", { for: id(`option-${i}`) }, `Option ${i + 1}`),
            textInput(
              `option-${i}`,
              value,
              (text) => {
                item.options[i] = text;
              },
              "options",
              isChosen(i) ? id("chosen-note") : null,
            ),
            smallButton("Remove", {
              id: id(`remove-option-${i}`),
              disabled: wordingOnly || item.options.length <= MIN_OPTIONS,
              "aria-label": `Remove option ${i + 1} of ${key}`,
              onclick: () => {
                item.options.splice(i, 1);
                item.maxChoices = Math.min(item.maxChoices, item.options.length);
                refresh({ focus: [id(`option-${Math.max(0, i - 1)}`)] });
              },
            }),
          ),
        ),
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
        slot("item", "", ".kind", ".var_name"),
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
        if (item.kind === "words" || item.kind === "open") return [];
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
        el("p", { class: "note", id: "split-help" }, "A catalog, choice or scale question of this poll."),
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
