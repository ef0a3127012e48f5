// What moves a poll's screens: the presenter's keys (and a clicker's PageDown / PageUp), buttons
// and question picker, shared by the presenter view (the laptop) and the audience view (the
// projector, keys only). Every move goes to the server (`PUT /api/admin/polls/{id}/current`), and
// every screen — the other window, every phone of a paced poll, every api process — follows it
// through the results stream: nothing is held by one window alone, so either can be opened first
// and both survive a reload.
import { api, el } from "./common.js";

/** The keys a presenter (or a clicker) uses, and what they do. */
const KEYS = {
  ArrowRight: "next",
  PageDown: "next",
  " ": "next",
  ArrowLeft: "previous",
  PageUp: "previous",
  Home: "first",
  End: "last",
  c: "voting",
  C: "voting",
  r: "reveal",
  R: "reveal",
  h: "hide",
  H: "hide",
};

/** The poll as staff see it (its id, which the staff endpoints need, and its speaker notes) when
 *  an admin is watching, else null. */
export async function adminPoll(poll) {
  try {
    const { data } = await api("/api/auth/session");
    if (data?.user?.role !== "admin") return null;
    return (await api("/api/admin/polls")).data.find((p) => p.slug === poll.slug) ?? null;
  } catch {
    return null; // not logged in, or the console is unreachable: no controls
  }
}

/** The keys' legend. */
export function shortcutLegend(paced) {
  const key = (...names) => names.map((n) => el("kbd", {}, n));
  const items = [
    [key("→", "PageDown", "Space"), "next"],
    [key("←", "PageUp"), "previous (before question 1: the join slide)"],
    [key("Home"), "first question"],
    paced ? [key("C"), "close / open voting"] : null,
    [key("R", "H"), "reveal / hide results"],
  ].filter(Boolean);
  return el(
    "section",
    { class: "shortcuts", "aria-label": "Keyboard shortcuts" },
    el(
      "ul",
      {},
      items.map(([keys, what]) => el("li", {}, keys, " ", what)),
    ),
  );
}

/**
 * The presenter's moves for `poll` (admins: `pollId` set). `onChange()` after every change of
 * `pace` (what the screen should show now); `onError(error)` when the server refuses a move.
 * `sync(results)` takes the server's word from a results frame (unless moves are still in flight:
 * a clicker pressed three times lands three questions on).
 */
export function presenterControls(poll, pollId, { onChange, onError }) {
  const paced = poll.pacing === "presenter";
  const total = poll.questions.length;
  const controls = {
    pace: { current: poll.current_question ?? null, open: poll.voting_open },
    results: null,
    admin: pollId != null,
  };
  let inFlight = 0;
  let queue = Promise.resolve();

  /** Moves every screen to `position` (null: the join slide); a paced poll's voting `open`. */
  const move = (position, open = true) => {
    if (pollId == null) return;
    // A closed poll's screens walk through its final results: its voting does not open (the
    // server refuses that with a 409).
    const pollOpen = controls.results?.is_open ?? poll.is_open;
    const votingOpen = paced && position != null && open && pollOpen;
    controls.pace = { current: position, open: votingOpen };
    inFlight += 1;
    onChange();
    queue = queue.then(async () => {
      try {
        const { data } = await api(`/api/admin/polls/${pollId}/current`, {
          method: "PUT",
          body: { position, voting_open: votingOpen },
        });
        if (inFlight === 1) controls.pace = { current: data.current_question, open: data.voting_open };
      } catch (error) {
        onError(error);
      } finally {
        inFlight -= 1;
        onChange();
      }
    });
  };
  const visibility = async (hidden) => {
    const question = controls.current();
    if (!question || pollId == null) return;
    try {
      await api(`/api/admin/polls/${pollId}/questions/${encodeURIComponent(question.var_name)}`, {
        method: "PATCH",
        body: { results_hidden: hidden },
      });
    } catch (error) {
      onError(error);
    }
  };
  controls.current = () => (controls.pace.current == null ? null : poll.questions[controls.pace.current]);
  controls.actions = {
    next: () => move(controls.pace.current == null ? 0 : Math.min(controls.pace.current + 1, total - 1)),
    previous: () => {
      if (controls.pace.current == null) return;
      move(controls.pace.current === 0 ? null : controls.pace.current - 1);
    },
    first: () => move(0),
    last: () => move(total - 1),
    voting: () => {
      if (paced && controls.pace.current != null) move(controls.pace.current, !controls.pace.open);
    },
    reveal: () => visibility(false),
    hide: () => visibility(true),
  };
  controls.move = move;
  controls.sync = (results) => {
    controls.results = results;
    if (inFlight === 0) controls.pace = { current: results.current_question, open: results.voting_open };
    onChange();
  };
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.target.closest?.("input, select, textarea")) return;
    // Space and Enter on a focused button press that button.
    if (event.target.closest?.("button") && (event.key === " " || event.key === "Enter")) return;
    const action = KEYS[event.key];
    if (!action || pollId == null) return;
    event.preventDefault();
    controls.actions[action]();
  });
  return controls;
}
