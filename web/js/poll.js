// Poll participant page (/polls/{slug}): answer once, then watch live results beside the national
// shares. The browser keeps a client token per poll, so a reload shows results, not the form.
// With ?present=1 it is the presenter view: results only, one question at a time, the join QR code
// and short code; an admin watching it can reveal or hide each question's results.
import { api, el, showError } from "./common.js";
import { ResultsView, followResults, resultsVisibility } from "./poll-results.js";

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

/** This browser's ballot for the poll: a random token, and whether it has been accepted. */
function ballotState() {
  try {
    const saved = JSON.parse(localStorage.getItem(storageKey) ?? "null");
    if (saved && typeof saved.token === "string") return saved;
  } catch {
    // unreadable: start again with a new token
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const state = { token: [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(""), voted: false };
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
        dom.status.replaceChildren(
          el("p", { class: "confirmation", role: "status" }, "The poll is open now: your answers, please."),
        );
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

function buildForm(poll, ballot) {
  // A fresh form element: no listeners left from an earlier showing.
  const fresh = dom.form.cloneNode(false);
  dom.form.replaceWith(fresh);
  dom.form = fresh;
  const total = poll.questions.length;
  const progress = el("p", { class: "progress", "aria-live": "polite" });
  const submit = el("button", { type: "submit", disabled: true }, "Submit");
  const error = el("div", { class: "status" });
  const blocks = [];
  let previousPrefix = null;
  poll.questions.forEach((question, index) => {
    if (question.battery_prefix && question.battery_prefix !== previousPrefix)
      blocks.push(el("p", { class: "battery-prefix" }, question.battery_prefix));
    previousPrefix = question.battery_prefix;
    blocks.push(
      el(
        "fieldset",
        { class: "panel question-card", dataset: { question: question.var_name } },
        el(
          "legend",
          {},
          el("span", { class: "visually-hidden" }, `Question ${index + 1} of ${total}: `),
          question.text,
        ),
        question.responses.map((response) =>
          el(
            "label",
            { class: "choice" },
            el("input", { type: "radio", name: question.var_name, value: String(response.index), required: true }),
            el("span", {}, response.response),
          ),
        ),
      ),
    );
  });
  const answered = () =>
    poll.questions.filter((q) => dom.form.querySelector(`input[name="${CSS.escape(q.var_name)}"]:checked`)).length;
  const refresh = () => {
    const done = answered();
    progress.textContent = `${done} of ${total} answered`;
    submit.disabled = done < total;
  };
  dom.form.replaceChildren(...blocks, error, el("div", { class: "submit-bar" }, progress, submit));
  dom.form.addEventListener("change", refresh);
  dom.form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (answered() < total) return;
    submit.disabled = true;
    submit.textContent = "Sending…";
    const answers = poll.questions.map((q) => ({
      var_name: q.var_name,
      response_index: Number(dom.form.querySelector(`input[name="${CSS.escape(q.var_name)}"]:checked`).value),
    }));
    try {
      await api(`/api/polls/${encodeURIComponent(poll.slug)}/responses`, {
        method: "POST",
        body: { client_token: ballot.token, answers },
      });
      saveBallotState({ ...ballot, voted: true });
      showResults(
        poll,
        el("p", { class: "confirmation", role: "status" }, "Thank you — your answers are in. Results update live."),
      );
      window.scrollTo({ top: 0 });
    } catch (failure) {
      if (failure.status === 409) {
        showResults(poll, closedBanner(), ballot);
        return;
      }
      showError(error, failure);
      submit.textContent = "Submit";
      refresh();
    }
  });
  refresh();
  dom.form.hidden = false;
  // If the poll closes while this form is on screen, say so at once rather than on submit.
  formWatch?.close();
  formWatch = followResults(poll.slug, (results) => {
    if (!results.is_open) showResults(poll, closedBanner(results.respondents), ballot);
  });
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

/** For an admin watching the presenter view: hides or reveals a question's results. */
async function visibilityControl(poll) {
  try {
    const { data } = await api("/api/auth/session");
    if (data?.user?.role !== "admin") return null;
    const mine = (await api("/api/admin/polls")).data.find((p) => p.slug === poll.slug);
    if (!mine) return null;
    return resultsVisibility(mine.id, (error) => showError(dom.status, error));
  } catch {
    return null; // not logged in, or the console is unreachable: a plain presenter view
  }
}

async function presenterView(poll) {
  document.body.classList.add("present");
  const { join, show: showCode } = joinPanel(poll);
  const stage = el("div", { id: "poll-results" });
  let current = 0;
  const show = () => {
    const cards = [...stage.querySelectorAll(".result-card")];
    current = Math.max(0, Math.min(current, cards.length - 1));
    cards.forEach((card, i) => {
      card.hidden = i !== current;
    });
  };
  const step = (by) => () => {
    current += by;
    show();
  };
  const nav = el(
    "div",
    { class: "present-nav" },
    el("button", { type: "button", onclick: step(-1) }, "← Previous"),
    el("button", { type: "button", onclick: step(1) }, "Next →"),
  );
  document.addEventListener("keydown", (event) => {
    if (event.target.closest?.("button")) return; // a focused button handles its own keys
    if (event.key === "ArrowRight" || event.key === " ") step(1)();
    if (event.key === "ArrowLeft") step(-1)();
  });
  dom.form.remove();
  dom.results.replaceWith(
    el(
      "div",
      { class: "present-layout" },
      el("div", {}, el("h1", { class: "present-title" }, poll.title), stage, nav),
      join,
    ),
  );
  const onVisibility = await visibilityControl(poll);
  const view = new ResultsView(stage, { questions: poll.questions, present: true, onVisibility });
  followResults(
    poll.slug,
    (results) => {
      view.update(results);
      show();
      showCode(results.join_code);
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
  if (ballot.voted)
    return showResults(
      poll,
      el("p", { class: "confirmation", role: "status" }, "You have answered this poll. Results update live."),
    );
  if (!poll.is_open) return showResults(poll, null, ballot);
  buildForm(poll, ballot);
}

start();
