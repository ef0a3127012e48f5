// Poll participant page (/polls/{slug}). An all-at-once poll is one form, then live results beside
// the national shares. A presenter-paced poll shows the question the presenter is on, follows them
// through the results stream, and after an answer that question's results. The browser keeps a
// client token per poll (and which questions it answered), so a reload shows results, not a form.
// With ?present=1 it is the audience view for the projector (audience-view.js); with
// ?screen=presenter the presenter's own screen (presenter-view.js).
import { phoneQa } from "./audience-qa.js";
import { audienceView } from "./audience-view.js";
import { ApiError, api, el, showError } from "./common.js";
import { countdown } from "./countdown.js";
import { questionInput } from "./poll-questions.js";
import { ResultsView, followResults } from "./poll-results.js";
import { presenterView } from "./presenter-view.js";

const slug = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] ?? "");
// ?present=1 (or ?screen=audience): the audience view for the projector; ?screen=presenter: the
// presenter's own screen.
const parameters = new URLSearchParams(location.search);
const screen = parameters.get("present") === "1" ? "audience" : parameters.get("screen");
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
/** The poll's audience Q&A (when it takes questions): every results frame updates it. */
let qaBoard = null;

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
      qaBoard?.update(results);
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
    qaBoard?.update(results);
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
  const clock = countdown();
  dom.form.before(clock.node);
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
      qaBoard?.update(results);
      clock.set(results.voting_open ? results.voting_closes_at : null);
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

/** Tells the server this browser is in the room (the join slide counts each browser once). A
 *  failure is not the participant's problem: answering works without it. */
function arrive() {
  api(`/api/polls/${encodeURIComponent(slug)}/participants`, { method: "POST" }).catch(() => {});
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
  if (screen === "audience") return audienceView(poll, dom);
  if (screen === "presenter") return presenterView(poll, dom);
  if (poll.is_open) arrive();
  // Shown while the poll takes audience questions (the presenter may switch them on mid-talk).
  qaBoard = phoneQa(poll);
  dom.results.after(qaBoard.node);
  const ballot = ballotState();
  if (poll.pacing === "presenter") return pacedParticipant(poll, ballot);
  if (ballot.voted) return showResults(poll, confirmation("You have answered this poll. Results update live."));
  if (!poll.is_open) return showResults(poll, null, ballot);
  buildForm(poll, ballot);
}

start();
