// The pacing panel of a presenter-paced poll's console page (poll-detail.js draws it).
import { api, el, showError } from "../common.js";
import { isAdmin, kindTag } from "./shared.js";

/** A presenter-paced poll's pacing: which question the room sees and whether it takes answers,
 *  with Previous / Next / Close voting / a jump to any question for admins. `update(state)` takes
 *  a poll or results object (both carry `current_question` and `voting_open`). */
export function pacingPanel(poll) {
  const total = poll.questions.length;
  let current = poll.current_question ?? null;
  let votingOpen = Boolean(poll.voting_open);
  let pollOpen = poll.is_open;
  const now = el("p", { class: "pacing-now", id: "pacing-now", role: "status" });
  const error = el("div", { class: "status" });
  const put = async (position, open) => {
    error.replaceChildren();
    // A closed poll's screens still move through its final results; its voting does not open (409).
    const body = { position, voting_open: open && pollOpen };
    try {
      update((await api(`/api/admin/polls/${poll.id}/current`, { method: "PUT", body })).data);
    } catch (failure) {
      showError(error, failure);
    }
  };
  const button = (label, attributes) => el("button", { type: "button", class: "secondary", ...attributes }, label);
  // Before question 1 comes the join slide, where every poll opens.
  const previous = button("← Previous", {
    id: "pacing-previous",
    onclick: () => (current === 0 ? put(null, false) : put(current - 1, true)),
  });
  const next = button("Next →", { id: "pacing-next", onclick: () => put(current === null ? 0 : current + 1, true) });
  const voting = button("Close voting", { id: "pacing-voting", onclick: () => put(current, !votingOpen) });
  const waiting = button("Join slide", { id: "pacing-waiting", onclick: () => put(null, false) });
  const rows = poll.questions.map((question, index) => {
    const state = el("span", { class: "pacing-state" });
    const show = isAdmin()
      ? button("Show", {
          class: "small secondary",
          "aria-label": `Show question ${index + 1}`,
          onclick: () => put(index, true),
        })
      : null;
    const item = el(
      "li",
      { dataset: { position: String(index) } },
      el("span", { class: "pacing-question" }, kindTag(question.kind), " ", question.text),
      state,
      show,
    );
    return { item, state, show };
  });
  const render = () => {
    let text =
      current === null
        ? "Join slide: the room sees the join code and how many joined; no question takes answers."
        : `Showing question ${current + 1} of ${total}: “${poll.questions[current]?.text ?? ""}” — voting ${votingOpen ? "open" : "closed"}.`;
    if (!pollOpen) text += " The poll is closed: nobody can answer until it opens.";
    // The same text again would be read out again at every vote.
    if (now.textContent !== text) now.textContent = text;
    previous.disabled = current === null;
    next.disabled = current !== null && current >= total - 1;
    voting.disabled = current === null;
    voting.textContent = votingOpen ? "Close voting" : "Open voting";
    waiting.disabled = current === null;
    rows.forEach(({ item, state, show }, index) => {
      const isCurrent = index === current;
      if (isCurrent) item.setAttribute("aria-current", "step");
      else item.removeAttribute("aria-current");
      state.textContent = isCurrent ? `Now showing · voting ${votingOpen ? "open" : "closed"}` : "";
      if (show) show.disabled = isCurrent && votingOpen;
    });
  };
  function update(state) {
    if ("current_question" in state) {
      current = state.current_question ?? null;
      votingOpen = Boolean(state.voting_open);
    }
    if ("is_open" in state) pollOpen = state.is_open;
    render();
  }
  render();
  const element = el(
    "section",
    { class: "panel pacing", id: "pacing", "aria-labelledby": "pacing-title" },
    el("h2", { id: "pacing-title" }, "Presenter pacing"),
    el(
      "p",
      { class: "note" },
      isAdmin()
        ? "Phones and the presenter view follow these controls at once: only the question shown takes answers, while its voting is open."
        : "Read-only: admins move the room from question to question.",
    ),
    now,
    isAdmin()
      ? el("div", { class: "actions", role: "group", "aria-label": "Pacing" }, previous, next, voting, waiting)
      : null,
    isAdmin() ? error : null,
    el(
      "ol",
      { class: "pacing-list", "aria-label": "Questions of this poll" },
      rows.map((r) => r.item),
    ),
  );
  return { element, update };
}
