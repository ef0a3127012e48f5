// The presenter view (/polls/{slug}?screen=presenter): the laptop's screen, never projected. The
// current question with its results as staff see them (hidden results and hidden words included,
// with Reveal / Hide and word moderation), the audience's questions to moderate and pin, what comes next, "N joined" and "N of M answered", the
// controls and keys, and the button that opens the audience view for the projector. Both windows
// follow the server (presenter-controls.js): either can be opened first, and a reload of either
// lands where the talk is.
import { presenterQa } from "./audience-qa.js";
import { api, el, showError } from "./common.js";
import { countdown } from "./countdown.js";
import { answerReview } from "./open-answers.js";
import { ResultsView, followResults, resultsVisibility, roomSize, wordModeration } from "./poll-results.js";
import { adminPoll, presenterControls, shortcutLegend } from "./presenter-controls.js";

const audienceUrl = (poll) => `/polls/${encodeURIComponent(poll.slug)}?present=1`;

export async function presenterView(poll, dom) {
  document.body.classList.add("presenter-view");
  const staffPoll = await adminPoll(poll);
  const pollId = staffPoll?.id ?? null;
  dom.form.remove();
  if (pollId == null) {
    dom.results.replaceWith(
      el(
        "div",
        { class: "panel" },
        el("p", {}, "The presenter view is for admins: log in to the console first."),
        el(
          "p",
          {},
          el("a", { href: "/admin" }, "Log in"),
          " · ",
          el("a", { href: audienceUrl(poll) }, "Audience view"),
        ),
      ),
    );
    return;
  }
  const paced = poll.pacing === "presenter";
  const total = poll.questions.length;
  // The notes are staff's: from the console's view of the poll, never from a public one.
  const notesOf = new Map(staffPoll.questions.filter((q) => q.speaker_notes).map((q) => [q.var_name, q.speaker_notes]));
  const onError = (error) => showError(dom.status, error);
  const controls = presenterControls(poll, pollId, { onChange: () => render(), onError });

  const stateLine = el("p", { class: "voting-state", role: "status" });
  const clock = countdown();
  const counts = el("p", { class: "room-counts", "aria-live": "off" });
  const nextLine = el("p", { class: "next-question" });
  const notes = el("section", { class: "speaker-notes", "aria-label": "Speaker notes", hidden: true });
  const stage = el("div", { id: "poll-results", class: "presenter-stage" });
  const joinNote = el("div", { class: "presenter-join", hidden: true });
  const jump = el("select", { id: "jump-to" }, [
    el("option", { value: "" }, "Join slide"),
    ...poll.questions.map((q, i) =>
      el("option", { value: String(i) }, `${i + 1}. ${q.text.length > 60 ? `${q.text.slice(0, 57)}…` : q.text}`),
    ),
  ]);
  jump.addEventListener("change", () => controls.move(jump.value === "" ? null : Number(jump.value)));
  const button = (label, action, attributes = {}) =>
    el("button", { type: "button", onclick: () => controls.actions[action](), ...attributes }, label);
  const previousButton = button("← Previous", "previous", { "data-action": "previous" });
  const nextButton = button("Next →", "next", { "data-action": "next" });
  const votingButton = paced ? button("Close voting", "voting", { "data-action": "voting" }) : null;
  const nationalToggle = el("input", { type: "checkbox", id: "national-during-voting" });
  nationalToggle.addEventListener("change", async () => {
    try {
      await api(`/api/admin/polls/${pollId}`, {
        method: "PATCH",
        body: { national_during_voting: nationalToggle.checked },
      });
    } catch (error) {
      nationalToggle.checked = !nationalToggle.checked;
      onError(error);
    }
  });
  // Audience questions can be switched on (or off) mid-talk.
  const qaMode = el(
    "select",
    { id: "qa-mode" },
    [
      ["off", "Off"],
      ["post_moderated", "Shown at once"],
      ["pre_moderated", "Held for my approval"],
    ].map(([value, label]) => el("option", { value, selected: staffPoll.qa_mode === value }, label)),
  );
  let qaModeShown = staffPoll.qa_mode;
  qaMode.addEventListener("change", async () => {
    try {
      await api(`/api/admin/polls/${pollId}`, { method: "PATCH", body: { qa_mode: qaMode.value } });
      qaModeShown = qaMode.value;
    } catch (error) {
      qaMode.value = qaModeShown;
      onError(error);
    }
  });
  const openAudience = el(
    "a",
    { class: "button", href: audienceUrl(poll), target: "blw-audience", rel: "noopener", "data-action": "audience" },
    "Open the audience view",
  );
  const side = el(
    "div",
    { class: "presenter-side" },
    openAudience,
    el(
      "div",
      { class: "present-nav", role: "group", "aria-label": "Move between questions" },
      previousButton,
      nextButton,
      votingButton,
      el("label", { class: "jump" }, el("span", {}, "Go to "), jump),
    ),
    counts,
    notes,
    nextLine,
    el(
      "label",
      { class: "check" },
      nationalToggle,
      " Show the nation's answers while a question takes answers (otherwise they appear when its voting closes)",
    ),
    el("label", { class: "qa-mode-field" }, el("span", {}, "Questions from the audience "), qaMode),
    shortcutLegend(paced),
  );
  const qa = presenterQa(pollId, onError);
  qa.node.hidden = staffPoll.qa_mode === "off";
  const main = el("div", { class: "presenter-main" }, stateLine, clock.node, joinNote, stage, qa.node);
  dom.results.replaceWith(el("div", { class: "presenter-layout" }, main, side));
  const view = new ResultsView(stage, {
    questions: poll.questions,
    showGroups: true,
    onVisibility: resultsVisibility(pollId, onError),
    onWordModeration: wordModeration(pollId, onError),
    onAnswerReview: answerReview(pollId, onError),
    wordList: true,
  });
  let results = null;

  function render() {
    const current = controls.pace.current;
    const open = results?.is_open ?? poll.is_open;
    view.showOnly(current == null ? [] : [current]);
    joinNote.hidden = current != null;
    joinNote.textContent = open
      ? "The room sees the join slide. Press → (or Next) to show question 1."
      : "The poll is closed: the room sees “This poll is closed”.";
    previousButton.disabled = current == null;
    nextButton.disabled = current === total - 1;
    jump.value = current == null ? "" : String(current);
    if (votingButton) {
      votingButton.disabled = current == null || !open;
      votingButton.textContent = controls.pace.open ? "Close voting" : "Open voting";
    }
    const place = current == null ? "Join slide" : `Question ${current + 1} of ${total}`;
    stateLine.className = `voting-state ${open && controls.pace.open ? "open" : "closed"}`;
    stateLine.textContent = !open
      ? `${place} · poll closed`
      : paced && current != null
        ? `${place} · voting ${controls.pace.open ? "open" : "closed"}`
        : place;
    const room = roomSize(results);
    const question = current == null ? null : results?.questions[current];
    const answered = question ? answeredCount(question) : null;
    counts.textContent =
      answered == null
        ? `${room.toLocaleString("en-US")} joined`
        : `${room.toLocaleString("en-US")} joined · ${answered.toLocaleString("en-US")} of ${room.toLocaleString("en-US")} answered`;
    const said = current == null ? "" : (notesOf.get(poll.questions[current]?.var_name) ?? "");
    notes.hidden = !said;
    if (notes.dataset.shown !== said) {
      notes.dataset.shown = said;
      notes.replaceChildren(el("h2", {}, "Notes"), ...said.split("\n").map((line) => el("p", {}, line)));
    }
    const next = current == null ? poll.questions[0] : poll.questions[current + 1];
    nextLine.textContent = next ? `Next: ${next.text}` : "Next: the end of the poll";
  }

  render();
  followResults(
    poll.slug,
    (next) => {
      results = next;
      nationalToggle.checked = Boolean(next.national_during_voting);
      clock.set(next.voting_open ? next.voting_closes_at : null);
      view.update(next);
      qa.update(next);
      if (next.qa?.mode && document.activeElement !== qaMode) qaMode.value = qaModeShown = next.qa.mode;
      controls.sync(next);
    },
    () =>
      dom.status.replaceChildren(el("p", { class: "closed-banner", role: "status" }, "This poll has been removed.")),
    () => view.lost(),
    { url: `/api/admin/polls/${pollId}/results/stream` },
  );
}

/** How many answered a question, from its results (staff results: every question is shown). */
function answeredCount(question) {
  if (question.hidden && "answered" in question) return question.answered;
  if (["words", "open", "ranking"].includes(question.kind)) return question.respondents ?? 0;
  if (question.kind === "predict") return question.guesses?.n ?? 0;
  return question.overall?.n ?? 0;
}
