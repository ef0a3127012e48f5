// Poll participant page (/polls/{slug}). An all-at-once poll is one form, then live results beside
// the national shares. A presenter-paced poll shows the question the presenter is on, follows them
// through the results stream, and after an answer that question's results. The browser keeps a
// client token per poll (and which questions it answered), so a reload shows results, not a form.
// With ?present=1 it is the presenter view: one question at a time on a 16:9 slide, the join QR
// code and short code; an admin watching it reveals or hides results, hides words and, for a paced
// poll, moves every screen from question to question.
import { ApiError, api, el, showError } from "./common.js";
import { questionInput } from "./poll-questions.js";
import { ResultsView, followResults, resultsVisibility, wordModeration } from "./poll-results.js";

const slug = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] ?? "");
const present = new URLSearchParams(location.search).get("present") === "1";
const dom = {
  title: document.getElementById("poll-title"),
  description: document.getElementById("poll-description"),
  status: document.getElementById("poll-status"),
  form: document.getElementById("poll-form"),
  results: document.getElementById("poll-results"),
};
const storageKey = `blw-poll:${slug}`;
/** The results stream watched while the form is on screen (to learn that the poll closed). */
let formWatch = null;

/** This browser's ballot for the poll: a random token, whether an all-at-once ballot was accepted
 *  (`voted`), and which questions of a paced poll were answered (`answered`: var_name → true). */
function ballotState() {
  try {
    const saved = JSON.parse(localStorage.getItem(storageKey) ?? "null");
    if (saved && typeof saved.token === "string") return { answered: {}, ...saved };
  } catch {
    // unreadable: start again with a new token
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const state = {
    token: [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(""),
    voted: false,
    answered: {},
  };
  saveBallotState(state);
  return state;
}
function saveBallotState(state) {
  try {
    localStorage.setItem(storageKey, JSON.stringify(state));
  } catch {
    // private mode without storage: the vote still counts, a reload shows the form again
  }
}

const sleep = (ms, signal) =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

/** How long a ballot is tried again by itself before the participant is asked to send it again. */
const RETRY_FOR_MS = 60_000;
/** The longest wait between two tries (they start at a quarter to half a second and double). */
const RETRY_WAIT_MAX_MS = 8_000;
/** One try's limit: a request the network swallowed (a phone moving between networks) is tried again. */
const TRY_TIMEOUT_MS = 15_000;

/** Worth trying again with the same token: no answer or a cut connection (fetch rejects), the
 *  server or a proxy before it failing or restarting (5xx), too many ballots at once (429). Other
 *  4xx are the server's refusal: sending the same ballot again would be refused again. */
const transient = (failure) => !(failure instanceof ApiError) || failure.status >= 500 || failure.status === 429;

/**
 * Sends this browser's `answers` with its ballot's client token. A transient failure is tried
 * again with the same token and answers (so a try that did arrive counts once) after a growing,
 * jittered wait (a hall of phones that lost the network together should not come back together),
 * at least a 429's Retry-After, for about a minute; `ui.say` tells the participant meanwhile and
 * `ui.clear` when the ballot is in. `signal` stops trying (the question moved on). Throws the
 * refusal, or after the minute an error saying the answers are not in yet.
 * Resolves `{ repeat }`: true when the server changed nothing because this browser (its client
 * token, or its device cookie under another token) had already answered (200, not 201). After a
 * retry a 200 may be this very ballot's first try arriving after all, so that one is not a repeat.
 */
async function sendBallot(ballot, answers, ui, signal = null) {
  const deadline = Date.now() + RETRY_FOR_MS;
  for (let attempt = 1; ; attempt += 1) {
    try {
      const { status } = await api(`/api/polls/${encodeURIComponent(slug)}/responses`, {
        method: "POST",
        body: { client_token: ballot.token, answers },
        timeout: TRY_TIMEOUT_MS,
      });
      ui.clear();
      return { repeat: status === 200 && attempt === 1 };
    } catch (failure) {
      if (!transient(failure) || signal?.aborted) throw failure;
      const ceiling = Math.min(500 * 2 ** (attempt - 1), RETRY_WAIT_MAX_MS);
      const retryAfter = failure.status === 429 ? Number(failure.retryAfter) * 1000 : 0;
      const wait = retryAfter > 0 ? retryAfter * (1 + Math.random() / 2) : ceiling / 2 + (Math.random() * ceiling) / 2;
      if (Date.now() + wait > deadline) {
        const reason = failure instanceof ApiError ? failure.message : "the server could not be reached";
        throw new Error(`Your vote is not in yet (${reason}). Check your connection, then try again.`);
      }
      ui.say(retrying(attempt + 1, failure.status === 429));
      await sleep(wait, signal);
      if (signal?.aborted) throw failure;
    }
  }
}

const retrying = (attempt, busy) =>
  el(
    "p",
    { class: "retrying", role: "status" },
    `${busy ? "Many votes at once" : "Connection trouble"} — retrying your vote (attempt ${attempt})…`,
  );
const confirmation = (text) => el("p", { class: "confirmation", role: "status" }, text);

/**
 * A form answering `questions` (all of an all-at-once poll, or a paced poll's current one): the
 * fieldsets, a progress line, submit when every question has an answer. `send(answers, ui)` does
 * the sending; `ui.say(node)` shows a message under the questions (`ui.clear()` removes it),
 * `ui.error(failure)` an error there, `ui.reset()` re-enables submit.
 */
function answerForm(questions, { positions, total, submitLabel, progress: progressText, send }) {
  // A fresh form element: no listeners left from an earlier showing.
  const fresh = dom.form.cloneNode(false);
  dom.form.replaceWith(fresh);
  dom.form = fresh;
  const progress = el("p", { class: "progress", "aria-live": "polite" });
  const submit = el("button", { type: "submit", disabled: true }, submitLabel);
  const message = el("div", { class: "status", "aria-live": "polite" });
  const inputs = questions.map((question, i) => questionInput(question, { index: positions[i], total }));
  const blocks = [];
  let previousPrefix = null;
  questions.forEach((question, i) => {
    if (question.battery_prefix && question.battery_prefix !== previousPrefix)
      blocks.push(el("p", { class: "battery-prefix" }, question.battery_prefix));
    previousPrefix = question.battery_prefix;
    blocks.push(inputs[i].node);
  });
  const answers = () => inputs.map((input) => input.answer());
  const refresh = () => {
    const done = answers().filter(Boolean).length;
    progress.textContent = progressText(done);
    submit.disabled = done < questions.length;
  };
  dom.form.replaceChildren(...blocks, message, el("div", { class: "submit-bar" }, progress, submit));
  dom.form.addEventListener("change", refresh);
  dom.form.addEventListener("input", refresh);
  const ui = {
    say: (node) => message.replaceChildren(node),
    clear: () => message.replaceChildren(),
    error: (failure) => showError(message, failure),
    reset: () => {
      submit.textContent = submitLabel;
      refresh();
    },
  };
  dom.form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const given = answers();
    if (given.some((answer) => !answer)) return;
    submit.disabled = true;
    submit.textContent = "Sending…";
    message.replaceChildren();
    await send(given, ui);
  });
  refresh();
  dom.form.hidden = false;
  return dom.form;
}

/** Live results under `message`. `waitingBallot`: this browser has not voted and the poll is
 *  closed; if it opens, the questions replace the results. */
function showResults(poll, message, waitingBallot) {
  formWatch?.close();
  formWatch = null;
  dom.form.hidden = true;
  dom.form.replaceChildren();
  dom.results.hidden = false;
  if (message) dom.status.replaceChildren(message);
  const view = new ResultsView(dom.results, { questions: poll.questions });
  const source = followResults(
    poll.slug,
    (results) => {
      if (waitingBallot && results.is_open) {
        source.close();
        dom.results.hidden = true;
        dom.status.replaceChildren(confirmation("The poll is open now: your answers, please."));
        buildForm({ ...poll, is_open: true }, waitingBallot);
        return;
      }
      view.update(results);
      if (!results.is_open) dom.status.replaceChildren(closedBanner(results.respondents));
    },
    () => dom.status.replaceChildren(removedBanner()),
    () => view.lost(),
  );
}

/** A poll with no answers yet has not been opened (or not for long): say so, not "final results". */
function closedBanner(respondents) {
  return el(
    "p",
    { class: "closed-banner", role: "status" },
    respondents === 0
      ? "This poll is not open yet. The questions appear here as soon as it opens."
      : "This poll is closed. These are the final results.",
  );
}

const removedBanner = () => el("p", { class: "closed-banner", role: "status" }, "This poll has been removed.");

/** An all-at-once poll: every question on one form. */
function buildForm(poll, ballot) {
  const total = poll.questions.length;
  answerForm(poll.questions, {
    positions: poll.questions.map((_q, i) => i),
    total,
    submitLabel: "Submit",
    progress: (done) => `${done} of ${total} answered`,
    send: async (answers, ui) => {
      try {
        const { repeat } = await sendBallot(ballot, answers, ui);
        saveBallotState({ ...ballot, voted: true });
        showResults(
          poll,
          confirmation(
            repeat
              ? "This browser had already answered: your first answers stand. Results update live."
              : "Thank you — your answers are in. Results update live.",
          ),
        );
        window.scrollTo({ top: 0 });
      } catch (failure) {
        if (failure.status === 409) {
          showResults(poll, closedBanner(), ballot);
          return;
        }
        ui.error(failure);
        ui.reset();
      }
    },
  });
  // If the poll closes while this form is on screen, say so at once rather than on submit.
  formWatch?.close();
  formWatch = followResults(poll.slug, (results) => {
    if (!results.is_open) showResults(poll, closedBanner(results.respondents), ballot);
  });
}

/**
 * A presenter-paced poll on a phone: only the question the presenter is on. Which one, and whether
 * it takes answers, comes with every frame of the results stream, so the phone moves on when the
 * presenter does and a late joiner lands where the room is.
 */
function pacedParticipant(poll, ballot) {
  const total = poll.questions.length;
  const view = new ResultsView(dom.results, { questions: poll.questions });
  view.showOnly([]);
  let state = {
    is_open: poll.is_open,
    current_question: poll.current_question,
    voting_open: poll.voting_open,
    respondents: null,
  };
  let shown = null; // which screen is up: a frame that changes nothing else leaves a half-typed answer alone
  let sending = null; // stops retrying an answer when the question moves on
  /** Per question: the 409 of an answer sent as voting closed (the stream may not have said so yet). */
  const refused = new Set();
  /** Questions this browser had answered already (another token, same device): the answer sent now did not count. */
  const repeated = new Set();

  const render = () => {
    const position = state.current_question;
    const question = position == null ? null : poll.questions[position];
    const answered = question && ballot.answered[question.var_name];
    const screen = !state.is_open
      ? "closed"
      : !question
        ? "waiting"
        : answered
          ? "answered"
          : !state.voting_open || refused.has(question.var_name)
            ? "voting-closed"
            : "question";
    // A closed poll's banner depends on whether anyone answered (not opened yet, or final results).
    const key = `${screen}:${question?.var_name ?? ""}:${screen === "closed" && state.respondents === 0}`;
    if (key === shown) return;
    shown = key;
    sending?.abort();
    sending = null;
    dom.form.hidden = screen !== "question";
    dom.results.hidden = !["closed", "answered", "voting-closed"].includes(screen);
    document.body.dataset.screen = screen;
    if (screen === "closed") {
      view.showOnly(null);
      dom.status.replaceChildren(closedBanner(state.respondents ?? (Object.keys(ballot.answered).length ? 1 : 0)));
      if (state.respondents === 0) dom.results.hidden = true;
      return;
    }
    view.showOnly(question ? [position] : []);
    if (screen === "waiting") {
      const started = Object.keys(ballot.answered).length > 0;
      dom.status.replaceChildren(
        el(
          "div",
          { class: "waiting", role: "status" },
          el("p", { class: "waiting-title" }, started ? "Waiting for the next question" : "Waiting for the presenter"),
          el("p", {}, started ? "It appears here by itself." : "The first question appears here as soon as it starts."),
        ),
      );
    } else if (screen === "answered") {
      dom.status.replaceChildren(
        confirmation(
          repeated.has(question.var_name)
            ? "This browser had already answered this question: your first answer stands. Waiting for the next question."
            : "Answer recorded — waiting for the next question.",
        ),
        el("p", { class: "step" }, `Question ${position + 1} of ${total}`),
      );
    } else if (screen === "voting-closed") {
      dom.status.replaceChildren(
        el("p", { class: "closed-banner", role: "status" }, "Voting on this question is closed."),
        el("p", { class: "step" }, `Question ${position + 1} of ${total}`),
      );
    } else {
      // Screen readers hear the new question arrive (the status is a polite live region); focus
      // stays where it was rather than jumping into the first option.
      dom.status.replaceChildren(
        el("p", { class: "visually-hidden" }, `Question ${position + 1} of ${total}: ${question.text}`),
      );
      askQuestion(question, position);
    }
  };

  const askQuestion = (question, position) => {
    answerForm([question], {
      positions: [position],
      total,
      submitLabel: "Send answer",
      progress: () => `Question ${position + 1} of ${total}`,
      send: async (answers, ui) => {
        const controller = new AbortController();
        sending = controller;
        try {
          const { repeat } = await sendBallot(ballot, answers, ui, controller.signal);
          // Taken even if the presenter has moved on meanwhile: it counts (a repeat had counted before).
          if (repeat) repeated.add(question.var_name);
          ballot.answered[question.var_name] = true;
          saveBallotState(ballot);
          if (!controller.signal.aborted) render();
        } catch (failure) {
          if (controller.signal.aborted) return;
          if (failure.status === 409) {
            refused.add(question.var_name);
            render();
            return;
          }
          ui.error(failure);
          ui.reset();
        }
      },
    });
  };

  render();
  followResults(
    poll.slug,
    (results) => {
      // A question reopened for voting takes answers again from phones it refused.
      if (results.current_question !== state.current_question || (results.voting_open && !state.voting_open))
        refused.clear();
      state = results;
      view.update(results);
      render();
    },
    () => {
      dom.form.hidden = true;
      dom.results.hidden = true;
      dom.status.replaceChildren(removedBanner());
    },
    () => view.lost(),
  );
}

/** The join panel beside the results: QR code, the short code and where to type it, the link. */
function joinPanel(poll) {
  const joinUrl = `${location.origin}/polls/${encodeURIComponent(poll.slug)}`;
  const qr = qrcode(0, "M");
  qr.addData(joinUrl);
  qr.make();
  const join = el("aside", { class: "join", "aria-label": "Join this poll" });
  join.innerHTML = qr.createSvgTag({ cellSize: 4, margin: 2, scalable: true, alt: `QR code for ${joinUrl}` });
  const how = el("p", { class: "join-how" });
  const code = el("p", { class: "join-code", "data-join-code": "" });
  join.append(how, code, el("p", { class: "join-url" }, joinUrl.replace(/^https?:\/\//, "")));
  /** The code changes when the poll opens (a new one is drawn) and goes when it closes. */
  const show = (joinCode) => {
    how.textContent = joinCode ? `or go to ${location.host}/join and enter` : "The poll is closed: no join code.";
    code.textContent = joinCode ? `${joinCode.slice(0, 3)} ${joinCode.slice(3)}` : "";
    code.setAttribute("aria-label", joinCode ? `Join code ${[...joinCode].join(" ")}` : "");
  };
  show(poll.join_code);
  return { join, show };
}

/** The poll's id when an admin is watching (the staff endpoints need it), else null. */
async function adminPollId(poll) {
  try {
    const { data } = await api("/api/auth/session");
    if (data?.user?.role !== "admin") return null;
    return (await api("/api/admin/polls")).data.find((p) => p.slug === poll.slug)?.id ?? null;
  } catch {
    return null; // not logged in, or the console is unreachable: a plain presenter view
  }
}

/** The keys a presenter (or a clicker: PageDown / PageUp) uses, and what they do. */
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

function shortcutLegend(paced, admin) {
  const key = (...names) => names.map((n) => el("kbd", {}, n));
  const items = [
    [key("→", "PageDown", "Space"), "next"],
    [key("←", "PageUp"), "previous"],
    [key("Home"), "first question"],
    paced && admin ? [key("C"), "close / open voting"] : null,
    admin ? [key("R", "H"), "reveal / hide results"] : null,
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

async function presenterView(poll) {
  document.body.classList.add("present");
  const paced = poll.pacing === "presenter";
  const total = poll.questions.length;
  const pollId = await adminPollId(poll);
  const admin = pollId != null;
  const onError = (error) => showError(dom.status, error);
  const onVisibility = admin ? resultsVisibility(pollId, onError) : null;
  const onWordModeration = admin ? wordModeration(pollId, onError) : null;
  const { join, show: showCode } = joinPanel(poll);
  const stage = el("div", { id: "poll-results", class: "stage" });
  const voting = el("p", { class: "voting-state" });
  // Before the first question the slide is an invitation: where to join, in the largest type.
  const waitingCode = el("strong");
  const waitingJoin = el("p", { class: "waiting-join" }, `Go to ${location.host}/join and enter`, waitingCode);
  const waiting = el(
    "div",
    { class: "waiting-slide", hidden: true },
    el("p", { class: "waiting-title" }, "Join now"),
    waitingJoin,
    el("p", {}, "The first question appears here, and on your phone, in a moment."),
    admin ? el("p", { class: "note" }, "Press → to show the first question.") : null,
  );
  const showWaitingCode = (joinCode) => {
    waitingJoin.hidden = !joinCode;
    waitingCode.textContent = joinCode ? `${joinCode.slice(0, 3)} ${joinCode.slice(3)}` : "";
  };
  showWaitingCode(poll.join_code);

  // Where the slide is: the server's current question for a paced poll (every screen follows it),
  // this screen's own place for an all-at-once poll.
  let pace = { current: paced ? poll.current_question : 0, open: poll.voting_open };
  let lastResults = null;
  let inFlight = 0;
  let queue = Promise.resolve();
  const jump = el("select", { id: "jump-to" }, [
    paced ? el("option", { value: "" }, "Waiting screen") : null,
    ...poll.questions.map((q, i) =>
      el("option", { value: String(i) }, `${i + 1}. ${q.text.length > 60 ? `${q.text.slice(0, 57)}…` : q.text}`),
    ),
  ]);
  const button = (label, action, attributes = {}) =>
    el("button", { type: "button", onclick: () => actions[action]?.(), ...attributes }, label);
  const previousButton = button("← Previous", "previous", { "data-action": "previous" });
  const nextButton = button("Next →", "next", { "data-action": "next" });
  const votingButton = paced && admin ? button("Close voting", "voting", { "data-action": "voting" }) : null;
  const controls = el(
    "div",
    { class: "present-nav", role: "group", "aria-label": "Move between questions" },
    previousButton,
    nextButton,
    votingButton,
    el("label", { class: "jump" }, el("span", { class: "visually-hidden" }, "Go to question"), jump),
  );
  const canMove = !paced || admin;
  controls.hidden = !canMove;

  const render = () => {
    const current = pace.current;
    view.showOnly(current == null ? [] : [current]);
    waiting.hidden = current != null;
    stage.classList.toggle("on-waiting", current == null);
    previousButton.disabled = paced ? current == null : current === 0;
    nextButton.disabled = current === total - 1;
    jump.value = current == null ? "" : String(current);
    const open = lastResults?.is_open ?? poll.is_open;
    if (votingButton) {
      votingButton.disabled = current == null;
      votingButton.textContent = pace.open ? "Close voting" : "Open voting";
    }
    const place = current == null ? "Waiting to start" : `Question ${current + 1} of ${total}`;
    voting.className = `voting-state ${paced && open && pace.open ? "open" : "closed"}`;
    voting.textContent = !paced
      ? place
      : !open
        ? `${place} · poll closed`
        : current == null
          ? place
          : `${place} · voting ${pace.open ? "open" : "closed"}`;
    fitSoon();
  };

  // A question's card must fit the slide. When it does not (long text, many options, many lines
  // comparing the room with the nation), it steps down a density level: smaller spacing and
  // type, down to a floor still readable from the back of a hall.
  let fitFrame = 0;
  const fitSoon = () => {
    cancelAnimationFrame(fitFrame);
    fitFrame = requestAnimationFrame(() => {
      const card = pace.current == null ? null : view.cardAt(pace.current);
      if (!card || card.hidden) return;
      let density = Number(card.dataset.density ?? 0);
      // The results' box shrinks to leave room for the lines under it, so its own overflow counts.
      const overflows = () =>
        [card, ...card.querySelectorAll(".result-body")].some((box) => box.scrollHeight > box.clientHeight + 1);
      while (density < 3 && overflows()) {
        density += 1;
        card.dataset.density = String(density);
      }
    });
  };
  window.addEventListener("resize", () => {
    for (const card of stage.querySelectorAll(".result-card")) delete card.dataset.density;
    fitSoon();
  });

  /** Moves every screen (paced) or this one (all at once) to `position`. */
  const move = (position, open = true) => {
    if (!paced) {
      pace = { ...pace, current: Math.max(0, Math.min(position ?? 0, total - 1)) };
      render();
      return;
    }
    if (!admin) return;
    // On screen at once; the server's answer (and the stream) confirm it. Requests go one after
    // another, so a clicker pressed three times lands three questions on.
    pace = { current: position, open: position == null ? false : open };
    inFlight += 1;
    render();
    queue = queue.then(async () => {
      try {
        const { data } = await api(`/api/admin/polls/${pollId}/current`, {
          method: "PUT",
          body: { position, voting_open: position == null ? false : open },
        });
        if (inFlight === 1) pace = { current: data.current_question, open: data.voting_open };
      } catch (error) {
        onError(error);
      } finally {
        inFlight -= 1;
        render();
      }
    });
  };
  const currentQuestion = () => (pace.current == null ? null : poll.questions[pace.current]);
  const actions = {
    next: () => move(pace.current == null ? 0 : Math.min(pace.current + 1, total - 1)),
    previous: () => {
      if (pace.current == null) return;
      // Before the first question of a paced poll comes the waiting screen.
      move(pace.current === 0 ? (paced ? null : 0) : pace.current - 1);
    },
    first: () => move(0),
    last: () => move(total - 1),
    voting: () => {
      if (paced && pace.current != null) move(pace.current, !pace.open);
    },
    reveal: () => currentQuestion() && onVisibility?.(currentQuestion().var_name, false),
    hide: () => currentQuestion() && onVisibility?.(currentQuestion().var_name, true),
  };
  jump.addEventListener("change", () => move(jump.value === "" ? null : Number(jump.value)));
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.target.closest?.("input, select, textarea")) return;
    // Space and Enter on a focused button press that button.
    if (event.target.closest?.("button") && (event.key === " " || event.key === "Enter")) return;
    const action = KEYS[event.key];
    if (!action || !canMove) return;
    if ((action === "reveal" || action === "hide") && !onVisibility) return;
    event.preventDefault();
    actions[action]();
  });

  dom.form.remove();
  const slideTop = el("div", { class: "slide-top" }, el("h1", { class: "present-title" }, poll.title), voting);
  const layout = el(
    "div",
    { class: `present-layout${paced ? " paced" : ""}` },
    el("div", { class: "slide-main" }, slideTop, dom.status, stage, waiting),
    el("div", { class: "slide-side" }, join, controls, canMove ? shortcutLegend(paced, admin) : null),
  );
  dom.results.replaceWith(layout);
  const view = new ResultsView(stage, {
    questions: poll.questions,
    present: true,
    onVisibility,
    onWordModeration,
  });
  // The live count joins the slide's top line: the question gets the height.
  voting.before(view.head);
  render();
  followResults(
    poll.slug,
    (results) => {
      lastResults = results;
      view.update(results);
      if (paced && inFlight === 0) pace = { current: results.current_question, open: results.voting_open };
      render();
      showCode(results.join_code);
      showWaitingCode(results.join_code);
      // Once people have joined, the join panel makes room (it stays on screen for latecomers).
      layout.classList.toggle("joined", results.respondents > 0);
      dom.status.replaceChildren(results.is_open ? "" : closedBanner(results.respondents));
    },
    () => dom.status.replaceChildren(removedBanner()),
    () => view.lost(),
  );
}

async function start() {
  if (!slug) {
    showError(dom.status, new Error("No poll named in the address."));
    return;
  }
  let poll;
  try {
    poll = (await api(`/api/polls/${encodeURIComponent(slug)}`)).data;
  } catch (error) {
    if (error.status === 404 && error.code === "not_open_yet") {
      // A poll that has never opened shows nothing of itself (not even its title): wait for it,
      // a phone that scanned the QR code before the talk gets the questions when it opens.
      dom.title.textContent = "Live poll";
      dom.status.replaceChildren(closedBanner(0));
      setTimeout(start, 2500 + Math.random() * 1500);
      return;
    }
    dom.title.textContent = "Poll not found";
    showError(
      dom.status,
      error.status === 404 ? new Error("There is no poll at this address. Check the link you were given.") : error,
    );
    return;
  }
  document.title = `${poll.title} — live poll`;
  dom.title.textContent = poll.title;
  dom.description.textContent = poll.description;
  if (present) return presenterView(poll);
  const ballot = ballotState();
  if (poll.pacing === "presenter") return pacedParticipant(poll, ballot);
  if (ballot.voted) return showResults(poll, confirmation("You have answered this poll. Results update live."));
  if (!poll.is_open) return showResults(poll, null, ballot);
  buildForm(poll, ballot);
}

start();
