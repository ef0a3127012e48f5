// A poll's page in the console (/admin/polls/{id}): its description, join address and code,
// open/close, presenter view and CSV; for admins edit, duplicate, reset (typing the poll's title to
// confirm), archive and delete; the pacing panel (pacing.js), the live results with their reveal
// and hide controls, the presenter links (a slide deck's capability for this poll: made here,
// shown once, revoked in one click), freezing the results under a citable link, and the ballot
// activity (activity.js).
import { api, el, showError } from "../common.js";
import { presenterQa } from "../audience-qa.js";
import { answerReview } from "../open-answers.js";
import { ResultsView, followResults, resultsVisibility, wordModeration } from "../poll-results.js";
import { activityPanel } from "./activity.js";
import { pacingPanel } from "./pacing.js";
import {
  archivedBadge,
  confirmDialog,
  dateTime,
  deletePoll,
  denseTable,
  dom,
  go,
  isAdmin,
  modal,
  onLeave,
  openCloseButton,
  plural,
  redraw,
  session,
  statusBadge,
} from "./shared.js";

/** Asks an admin to type a poll's title before its answers are deleted: a reset cannot be undone,
 *  and typing the name of the very poll makes sure it is the one meant. Spaces around it and case
 *  do not matter (nor to the api, which also takes the slug). Resolves what was typed, or null on
 *  cancel. */
async function resetDialog(poll) {
  const input = el("input", {
    type: "text",
    id: "reset-confirm",
    autocomplete: "off",
    autocapitalize: "off",
    spellcheck: "false",
    "aria-describedby": "reset-help",
  });
  const confirm = el("button", { value: "reset", class: "danger", disabled: true }, "Delete the answers");
  const typed = () => input.value.trim();
  const matches = () => typed().toLowerCase() === poll.title.trim().toLowerCase() || typed() === poll.slug;
  input.addEventListener("input", () => {
    confirm.disabled = !matches();
  });
  const dialog = el(
    "dialog",
    { class: "panel reset-dialog", "aria-labelledby": "reset-title", "aria-describedby": "reset-what" },
    el(
      "form",
      { method: "dialog" },
      el("h2", { id: "reset-title" }, `Reset the answers of “${poll.title}”?`),
      el(
        "p",
        { id: "reset-what" },
        poll.respondents
          ? `This deletes the answers of ${plural(poll.respondents, "participant")} to every question. They cannot be recovered: download the CSV first if you need them. The questions stay, and the poll can then be edited and opened again.`
          : "This poll has no answers yet: nothing will be deleted.",
      ),
      el(
        "div",
        { class: "field" },
        el("label", { for: "reset-confirm" }, "Type this poll's title to confirm"),
        el("p", { class: "note", id: "reset-help" }, "Its title is ", el("strong", {}, `“${poll.title}”`), "."),
        input,
      ),
      el("div", { class: "actions" }, el("button", { value: "cancel", class: "secondary" }, "Cancel"), confirm),
    ),
  );
  // Enter in the field would press the form's first button, Cancel: make it confirm instead.
  input.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    if (matches()) dialog.close("reset");
  });
  const answer = await modal(dialog);
  return answer === "reset" ? typed() : null;
}

/** Moderates a word; allowing a blocked one asks first: it goes up on the projector at once. */
async function moderateWord(moderate, varName, word, action) {
  if (
    action === "allow" &&
    !(await confirmDialog(
      `Show “${word}” to the audience? The blocklist kept it from every public screen; allowed, it appears there at once, with every answer that gave it. You can block it again.`,
      "Allow",
    ))
  )
    return;
  await moderate(varName, word, action);
}

/** The question a poll is split by, named by its text and key. */
function splitName(poll) {
  if (!poll.split_by) return "nothing";
  const question = poll.questions.find((q) => q.var_name === poll.split_by);
  return question ? `“${question.short_text ?? question.text}” (${poll.split_by})` : poll.split_by;
}

/** A poll's page (/admin/polls/{id}): what it is and how to join, its actions, its pacing when
 *  presenter-paced, its live results and its ballot activity. */
export async function pollView(id) {
  const at = session.navigation;
  const poll = (await api(`/api/admin/polls/${id}`)).data;
  if (at !== session.navigation) return;
  const paced = poll.pacing === "presenter";
  const resultsBox = el("div", { id: "poll-results" });
  const activity = activityPanel(poll);
  const act = (fn) => async () => {
    try {
      if ((await fn()) !== false) await redraw();
    } catch (error) {
      showError(dom.status, error);
    }
  };
  const manage = isAdmin() ? manageControls(poll, act) : null;
  const pacing = paced ? pacingPanel(poll) : null;
  const links = presenterLinksPanel(poll);
  const frozen = isAdmin() ? frozenResultsPanel(poll) : null;
  dom.view.replaceChildren(
    el(
      "section",
      { class: "panel" },
      el("p", {}, el("a", { href: "/admin" }, "← All polls")),
      el("h2", {}, poll.title, " ", statusBadge(poll), " ", archivedBadge(poll)),
      poll.description ? el("p", {}, poll.description) : null,
      el(
        "p",
        { class: "note" },
        `Created ${dateTime(poll.created_at)}${poll.created_by_name ? ` by ${poll.created_by_name}` : ""} · ${plural(poll.questions.length, "question")} · ${paced ? "presenter-paced (one question at a time)" : "all at once (one form)"} · split by ${splitName(poll)} · participants join at `,
        el("a", { href: `/polls/${poll.slug}` }, `${location.origin}/polls/${poll.slug}`),
        poll.join_code
          ? [
              ` or at ${location.host}/join with the code `,
              el("strong", { class: "join-code", "data-join-code": "" }, poll.join_code),
            ]
          : " (a join code is drawn when the poll opens)",
      ),
      el(
        "div",
        { class: "actions" },
        openCloseButton(poll, act, {}, ["Open poll", "Close poll"]),
        el(
          "a",
          {
            class: "button secondary",
            href: `/polls/${poll.slug}?screen=presenter`,
            target: "_blank",
            rel: "noopener",
          },
          "Presenter view",
        ),
        el(
          "a",
          { class: "button secondary", href: `/api/admin/polls/${poll.id}/responses.csv`, download: "" },
          "Download CSV",
        ),
        el(
          "a",
          {
            class: "button secondary",
            href: `/api/admin/polls/${poll.id}/report`,
            download: "",
            title:
              "A ZIP: the PDF handout (each question's chart and numbers, and a methods box), one 16:9 PNG per question for slides, and the CSV",
          },
          "Download report",
        ),
        poll.qa_mode !== "off"
          ? el(
              "a",
              { class: "button secondary", href: `/api/admin/polls/${poll.id}/audience-questions.csv`, download: "" },
              "Audience questions CSV",
            )
          : null,
      ),
      manage?.element,
    ),
    // (replaceChildren would write out an absent panel as the text "undefined")
    ...(pacing ? [pacing.element] : []),
    el("section", { "aria-label": "Live results" }, resultsBox),
    links.element,
    ...(frozen ? [frozen] : []),
    activity.element,
  );
  await Promise.all([activity.refresh(), links.refresh()]);
  // A deck's uses of its link show here as they happen (give or take the refresh).
  const activityTimer = setInterval(() => {
    activity.refresh();
    links.refresh();
  }, 15_000);
  onLeave(() => clearInterval(activityTimer));
  // Admins reveal or hide each question's results, and each word of a words question, to the
  // audience, let a word the blocklist caught through, and approve or hide open answers; everyone here sees them all, with what
  // the audience does not see marked.
  const onError = (error) => showError(dom.status, error);
  const moderate = wordModeration(poll.id, onError);
  const view = new ResultsView(resultsBox, {
    questions: poll.questions,
    showGroups: true,
    onVisibility: isAdmin() ? resultsVisibility(poll.id, onError) : null,
    onWordModeration: isAdmin() ? (varName, word, action) => moderateWord(moderate, varName, word, action) : null,
    onAnswerReview: isAdmin() ? answerReview(poll.id, onError) : null,
    wordList: true,
  });
  // Admins moderate the audience's questions here too (analysts see them, without buttons: the
  // api refuses them anyway).
  const qa = isAdmin() ? presenterQa(poll.id, onError) : null;
  if (qa) resultsBox.after(qa.node);
  // Frames also bring what changed elsewhere: answers arriving, a close, the presenter's moves.
  const onResults = (results) => {
    view.update(results);
    qa?.update(results);
    manage?.sync(results);
    pacing?.update(results);
  };
  const stream = followResults(
    poll.slug,
    onResults,
    () => go("/admin"),
    () => view.lost(),
    {
      url: `/api/admin/polls/${poll.id}/results/stream`,
    },
  );
  onLeave(() => stream.close());
}

/** For admins: edit, duplicate, reset, archive and delete a poll. `sync(state)` follows the poll's
 *  open state and answers (from the live results) to say what is possible now. */
function manageControls(poll, act) {
  const archived = Boolean(poll.archived_at);
  const note = el("p", { class: "note", id: "manage-note" });
  const button = (label, attributes) => el("button", { type: "button", class: "secondary", ...attributes }, label);
  const edit = button("Edit", {
    id: "edit-poll",
    "aria-describedby": "manage-note",
    onclick: () => go(`/admin/polls/${poll.id}/edit`),
  });
  const duplicate = button("Duplicate", {
    id: "duplicate-poll",
    onclick: act(async () => {
      const copy = (await api(`/api/admin/polls/${poll.id}/duplicate`, { method: "POST" })).data;
      session.flash = `This is a copy of “${poll.title}”: closed and without answers, ready to edit.`;
      go(`/admin/polls/${copy.id}`);
      return false;
    }),
  });
  const reset = button("Reset answers", {
    id: "reset-poll",
    "aria-describedby": "manage-note",
    onclick: act(async () => {
      // The count as it is now, not as it was when the page was drawn.
      const current = (await api(`/api/admin/polls/${poll.id}`)).data;
      const confirm = await resetDialog(current);
      if (confirm === null) return false;
      await api(`/api/admin/polls/${poll.id}/reset`, { method: "POST", body: { confirm } });
      session.flash = `Deleted the answers of ${plural(current.respondents, "participant")}.`;
    }),
  });
  const archive = button(archived ? "Unarchive" : "Archive", {
    id: "archive-poll",
    "aria-describedby": "manage-note",
    onclick: act(async () => {
      await api(`/api/admin/polls/${poll.id}`, { method: "PATCH", body: { archived: !archived } });
      session.flash = archived
        ? "Unarchived: the poll is back in the list of polls."
        : "Archived: the list of polls hides it unless “Show archived polls” is ticked.";
    }),
  });
  const remove = el(
    "button",
    {
      type: "button",
      class: "danger",
      onclick: act(async () => {
        // Deleted: leave for the list instead of re-reading a poll that is gone.
        if (await deletePoll(poll)) go("/admin");
        return false;
      }),
    },
    "Delete",
  );
  const sync = ({ is_open: isOpen, respondents }) => {
    edit.disabled = isOpen;
    edit.textContent = !isOpen && respondents > 0 ? "Edit wording" : "Edit";
    reset.disabled = isOpen || respondents === 0;
    archive.disabled = !archived && isOpen;
    note.textContent = isOpen
      ? "An open poll cannot be edited, reset or archived: close it first."
      : respondents > 0
        ? `This poll has answers (${plural(respondents, "participant")} so far): only its wording can be edited. Reset its answers to change anything else.`
        : "";
  };
  sync(poll);
  const element = el(
    "div",
    { class: "manage" },
    el(
      "div",
      { class: "actions", role: "group", "aria-label": "Manage this poll" },
      edit,
      duplicate,
      reset,
      archive,
      remove,
    ),
    note,
  );
  return { element, sync };
}

/** How long a new presenter link works: the choices offered (minutes; the api takes 5–10,080). */
const LIFETIMES = [
  [60, "1 hour"],
  [240, "4 hours"],
  [480, "8 hours"],
  [1440, "1 day"],
  [4320, "3 days"],
  [10080, "1 week"],
];

/** Copies text to the clipboard; says in `said` whether it did (else the text is selected to copy by hand). */
async function copyText(text, said, field = null) {
  try {
    await navigator.clipboard.writeText(text);
    said.textContent = "Copied.";
  } catch {
    field?.select();
    said.textContent = "Select the text and copy it (Ctrl+C or ⌘C): this browser did not let the page copy it.";
  }
}

/** A presenter link's state in words: active until…, expired, revoked. */
function linkState(link) {
  if (link.revoked_at) return el("span", { class: "badge closed" }, `Revoked ${dateTime(link.revoked_at)}`);
  if (!link.active) return el("span", { class: "badge closed" }, "Expired");
  return el("span", { class: "badge open" }, "Active");
}

/**
 * The poll's presenter links: what lets a slide deck (the reveal.js plugin, integrations/revealjs/)
 * pace this poll, reveal and hide its results and hide words — nothing else — without anyone's
 * account, until it expires or is revoked. Admins make one (a label, a lifetime): its secret is
 * shown this once, to copy; every link is listed with its expiry, uses and last use, and an
 * active one is revoked in one click. Analysts see the list. `refresh()` reads the list again.
 */
function presenterLinksPanel(poll) {
  const admin = isAdmin();
  const listBox = el("div", { class: "presenter-links-list" });
  const status = el("div", { class: "status", "aria-live": "polite" });
  const made = el("div", { class: "presenter-link-made", hidden: true });

  const refresh = async () => {
    try {
      const links = (await api(`/api/admin/polls/${poll.id}/presenter-links`)).data;
      if (!links.length) {
        listBox.replaceChildren(el("p", { class: "empty" }, "No presenter link has been made for this poll."));
        return;
      }
      const rows = links.map((link) =>
        el(
          "tr",
          { dataset: { link: String(link.id) } },
          el("th", { scope: "row" }, link.label || el("span", { class: "note" }, "(no label)")),
          el("td", {}, el("time", { datetime: link.created_at }, dateTime(link.created_at))),
          el("td", { class: "link-maker" }, link.created_by_name ?? el("span", { class: "note" }, "(account deleted)")),
          el("td", {}, el("time", { datetime: link.expires_at }, dateTime(link.expires_at))),
          el("td", { class: "num" }, String(link.uses)),
          el(
            "td",
            {},
            link.last_used_at ? el("time", { datetime: link.last_used_at }, dateTime(link.last_used_at)) : "never",
          ),
          el("td", { class: "link-state" }, linkState(link)),
          admin
            ? el(
                "td",
                {},
                link.active
                  ? el(
                      "button",
                      {
                        type: "button",
                        class: "small danger",
                        "data-revoke": String(link.id),
                        onclick: () => revoke(link),
                      },
                      "Revoke",
                      el("span", { class: "visually-hidden" }, ` the link “${link.label || link.id}”`),
                    )
                  : null,
              )
            : null,
        ),
      );
      const columns = ["Label", "Made", "Made by", "Expires", "Uses", "Last used", "State"];
      listBox.replaceChildren(
        denseTable(admin ? [...columns, "Action"] : columns, rows, ["Uses"], "presenter-links-title"),
      );
    } catch (error) {
      showError(status, error);
    }
  };

  // One click: a leaked link must stop working at once (the deck says so at its next move).
  const revoke = async (link) => {
    status.replaceChildren();
    try {
      await api(`/api/admin/polls/${poll.id}/presenter-links/${link.id}`, { method: "DELETE" });
      status.replaceChildren(
        el("p", { role: "status" }, `Revoked “${link.label || link.id}”: a deck using it can no longer move the poll.`),
      );
    } catch (error) {
      showError(status, error);
    }
    await refresh();
  };

  const label = el("input", {
    type: "text",
    id: "presenter-link-label",
    maxlength: "100",
    placeholder: "Keynote deck, Tuesday",
    autocomplete: "off",
  });
  const lifetime = el(
    "select",
    { id: "presenter-link-lifetime" },
    LIFETIMES.map(([minutes, name]) => el("option", { value: String(minutes), selected: minutes === 480 }, name)),
  );
  const create = async (event) => {
    event.preventDefault();
    status.replaceChildren();
    try {
      const link = (
        await api(`/api/admin/polls/${poll.id}/presenter-links`, {
          method: "POST",
          body: { label: label.value.trim(), expires_in_minutes: Number(lifetime.value) },
        })
      ).data;
      label.value = "";
      showSecret(link);
    } catch (error) {
      showError(status, error);
    }
    await refresh();
  };

  /** The secret, this once: to copy now, with what it allows and until when. */
  const showSecret = (link) => {
    const field = el("input", {
      type: "text",
      id: "presenter-link-secret",
      class: "secret-field",
      readonly: true,
      value: link.secret,
      "aria-describedby": "presenter-link-warning",
      spellcheck: "false",
    });
    const said = el("span", { class: "note", role: "status" });
    made.replaceChildren(
      el("h3", {}, `Presenter link “${link.label || link.id}”`),
      el(
        "p",
        { id: "presenter-link-warning", class: "warning" },
        el("strong", {}, "Copy it now: it is shown only this once. "),
        `Anyone who has it can pace this poll, reveal and hide its results and hide words until ${dateTime(link.expires_at)} (or until it is revoked). Keep it out of published decks and shared screens.`,
      ),
      el(
        "div",
        { class: "secret-row" },
        el("label", { for: "presenter-link-secret", class: "visually-hidden" }, "Presenter link secret"),
        field,
        el(
          "button",
          { type: "button", id: "presenter-link-copy", onclick: () => copyText(link.secret, said, field) },
          "Copy",
        ),
        said,
      ),
      el(
        "p",
        { class: "note" },
        "In a reveal.js deck (integrations/revealjs/ in the repository): ",
        el("code", {}, `blwPoll: { server: "${location.origin}", secret: "<this link>" }`),
        ".",
      ),
      el(
        "button",
        {
          type: "button",
          class: "secondary",
          id: "presenter-link-done",
          onclick: () => {
            made.hidden = true;
            made.replaceChildren();
          },
        },
        "Done: I have copied it",
      ),
    );
    made.hidden = false;
    field.focus();
    field.select();
  };

  const element = el(
    "section",
    { class: "panel", id: "presenter-links", "aria-labelledby": "presenter-links-title" },
    el("h2", { id: "presenter-links-title" }, "Presenter links"),
    el(
      "p",
      { class: "note" },
      "A presenter link lets a slide deck pace this poll (every phone follows the slides), reveal and hide its results and hide words — nothing else, no account needed — until it expires or is revoked. Each use is counted and logged.",
    ),
    admin
      ? el(
          "form",
          { class: "presenter-link-form", novalidate: true, onsubmit: create },
          el("div", { class: "field" }, el("label", { for: "presenter-link-label" }, "Label"), label),
          el("div", { class: "field" }, el("label", { for: "presenter-link-lifetime" }, "Works for"), lifetime),
          el("button", { type: "submit", id: "presenter-link-create" }, "Make a presenter link"),
        )
      : null,
    made,
    status,
    listBox,
  );
  return { element, refresh };
}

/**
 * For admins: freezes the poll's public results as they are now under a citable link
 * (/results/{key}, saying when), and lists the links frozen on this visit (the api keeps every
 * copy; later answers, a reset or deleting the poll leave them as they were).
 */
function frozenResultsPanel(poll) {
  const list = el("ul", { class: "frozen-links", id: "frozen-links" });
  const status = el("div", { class: "status", "aria-live": "polite" });
  const freeze = el(
    "button",
    {
      type: "button",
      id: "freeze-results",
      onclick: async () => {
        status.replaceChildren();
        freeze.disabled = true;
        try {
          const frozen = (await api(`/api/admin/polls/${poll.id}/frozen-results`, { method: "POST" })).data;
          const url = `${location.origin}${frozen.url}`;
          const said = el("span", { class: "note", role: "status" });
          list.prepend(
            el(
              "li",
              { dataset: { key: frozen.key } },
              el("a", { href: frozen.url, target: "_blank", rel: "noopener", "data-frozen-link": "" }, url),
              ` — results as of ${dateTime(frozen.frozen_at)} `,
              el(
                "button",
                { type: "button", class: "small secondary", onclick: () => copyText(url, said) },
                "Copy link",
              ),
              " ",
              said,
            ),
          );
        } catch (error) {
          showError(status, error);
        } finally {
          freeze.disabled = false;
        }
      },
    },
    "Freeze results",
  );
  return el(
    "section",
    { class: "panel", id: "frozen-results", "aria-labelledby": "frozen-results-title" },
    el("h2", { id: "frozen-results-title" }, "Citable results"),
    el(
      "p",
      { class: "note" },
      "Freeze the public results as they are now under a link of their own, to cite: the page says when they were frozen, and later answers, a reset or deleting the poll leave it as it is. Hidden questions stay hidden there.",
    ),
    el("div", { class: "actions" }, freeze),
    status,
    list,
  );
}
