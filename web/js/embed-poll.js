// One question of a live poll on a page of its own, for a slide deck or any site to frame
// (/embed/polls/{slug}/{question}?theme=dark|light|auto&join=1&ratio=): the question as the
// projector shows it — its results, big, or while they are hidden its options and "N of M
// answered" — following the presenter's reveals and pacing through the poll's public results
// stream. Public data only, without cookies: hidden results never reach this page. `join=1` adds
// the join code and its QR code while the poll is open. `{question}` is the question's key
// (var_name) or its 1-based place.
//
// It is a slide of width / `ratio` (16:9 by default) in slide units of 1% of its width, the card
// stepping down in density to fit as on the projector (audience-view.js); below 560 px wide it is
// the phone's card instead. Either way it tells the framing page its height (the chart embeds'
// message: embed-resize.js sizes the iframe) and whether the results are live
// ({type: "blw-poll:live", live}).
//
// `presenter=1`: the presenter's own screen (a deck's speaker view, the presenter's laptop) — the
// question's results even while they are hidden from the audience, from the presenter routes'
// stream. The page asks the framing page for the presenter link
// ({type: "blw-poll:presenter-link-wanted"}) and waits for {type: "blw-poll:presenter-link",
// secret} from it; the link goes in an `Authorization` header only, never in an address. Without
// a working link it shows nothing of the results. Never project this variant.
import { AuthorizedEventSource } from "./authorized-event-source.js";
import { api, apiDefaults, el, showError } from "./common.js";
import { countdown } from "./countdown.js";
import { ResultsView, followResults, kindOf } from "./poll-results.js";

apiDefaults.credentials = "omit";

const THEMES = ["light", "dark", "auto"];
/** Narrower than this, a slide's type would be too small: the phone's card instead. */
const COMPACT_BELOW = 560;
const darkReader = matchMedia("(prefers-color-scheme: dark)");

const [, , slugPart, questionPart] = location.pathname.split("/").filter(Boolean);
const slug = decodeURIComponent(slugPart ?? "");
const wanted = decodeURIComponent(questionPart ?? "");
const params = new URLSearchParams(location.search);
const theme = THEMES.includes(params.get("theme")) ? params.get("theme") : "auto";
const withJoin = params.get("join") === "1";
const ratio = Math.min(3, Math.max(1, Number(params.get("ratio")) || 16 / 9));
const presenter = params.get("presenter") === "1";
/** How long the presenter variant waits for its framing page to send the link. */
const LINK_WAIT_MS = 10_000;
const dom = {
  main: document.getElementById("embed"),
  title: document.getElementById("embed-title"),
  slide: document.getElementById("embed-slide"),
  status: document.getElementById("embed-status"),
};

/** Tells the framing page something (its height, whether the results are live). Public facts
 *  only: any page may frame this one. */
function tell(message) {
  if (window.parent !== window) window.parent.postMessage(message, "*");
}
const postHeight = () => tell({ type: "blw-embed:height", height: document.documentElement.scrollHeight });

const dark = () => (theme === "auto" ? darkReader.matches : theme === "dark");
function applyTheme() {
  document.documentElement.dataset.theme = dark() ? "dark" : "light";
  document.body.classList.toggle("slide-light", !dark());
}

/** The results of one question, a words question's cloud in the palette of the theme. */
class QuestionResults extends ResultsView {
  buildWords(...args) {
    const entry = super.buildWords(...args);
    entry.cloud.dark = dark();
    return entry;
  }
}

const spacedCode = (code) => `${code.slice(0, 3)} ${code.slice(3)}`;

/** The join invitation (QR code of the short `/j/{code}` link, where to go, the code). */
function joinInvitation(joinCode) {
  const url = `${location.origin}/j/${joinCode}`;
  const qr = el("div", { class: "join-qr" });
  if (typeof qrcode === "function") {
    const code = qrcode(0, "M");
    code.addData(url);
    code.make();
    qr.innerHTML = code.createSvgTag({ cellSize: 4, margin: 2, scalable: true, alt: `QR code for ${url}` });
  }
  return el(
    "aside",
    { class: "join", "aria-label": "Join this poll" },
    qr,
    el("p", { class: "join-how" }, `Go to ${location.host}/join and enter`),
    el(
      "p",
      { class: "join-code", "data-join-code": "", "aria-label": `Join code ${[...joinCode].join(" ")}` },
      spacedCode(joinCode),
    ),
  );
}

/** The question the address names: its key, or its 1-based place. */
function findQuestion(questions) {
  const byKey = questions.findIndex((q) => q.var_name === wanted);
  if (byKey >= 0) return byKey;
  const place = /^\d+$/.test(wanted) ? Number(wanted) - 1 : -1;
  return place >= 0 && place < questions.length ? place : -1;
}

/** Where the poll stands for this question, in a few words. */
function stateText(results, index, total) {
  const place = `Question ${index + 1} of ${total}`;
  if (!results.is_open) return [place, "voting closed", false];
  const open = results.pacing === "presenter" ? results.voting_open && results.current_question === index : true;
  return [place, open ? "voting open" : "voting closed", open];
}

/** The presenter variant's link, from the page that frames this one (and from nowhere else). */
function presenterLink() {
  const refusal = new Error("This presenter view shows results only inside a deck that gives it its presenter link.");
  if (window.parent === window) return Promise.reject(refusal);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      window.removeEventListener("message", listen);
      reject(refusal);
    }, LINK_WAIT_MS);
    const listen = (event) => {
      if (event.source !== window.parent) return;
      if (event.data?.type !== "blw-poll:presenter-link" || typeof event.data.secret !== "string") return;
      clearTimeout(timer);
      window.removeEventListener("message", listen);
      resolve(event.data.secret);
    };
    window.addEventListener("message", listen);
    tell({ type: "blw-poll:presenter-link-wanted" });
  });
}

/** The presenter routes, with the link in a header. */
async function asPresenter(secret, path) {
  const response = await fetch(path, {
    headers: { authorization: `Bearer ${secret}`, accept: "application/json" },
    credentials: "omit",
    cache: "no-store",
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const message = body?.error?.message ?? `the server answered ${response.status}`;
    throw Object.assign(new Error(`The presenter link was refused: ${message}.`), { status: response.status });
  }
  return body;
}

async function live() {
  // The presenter variant reads the link's poll: a link of another poll shows nothing of this one.
  const secret = presenter ? await presenterLink() : null;
  if (secret) {
    const linked = await asPresenter(secret, "/api/presenter/poll");
    if (linked.slug !== slug) throw new Error("This presenter link is for another poll.");
  }
  const poll = (await api(`/api/polls/${encodeURIComponent(slug)}`)).data;
  const index = findQuestion(poll.questions);
  if (index < 0) throw new Error(`The poll “${poll.title}” has no question “${wanted}”.`);
  const question = poll.questions[index];
  document.title = `${question.text} — ${poll.title} — Bright Line Watch`;
  dom.title.textContent = `${poll.title}: question ${index + 1} of ${poll.questions.length}`;
  dom.main.dataset.question = question.var_name;
  dom.main.dataset.kind = kindOf(question);

  let results = null;
  let view = null;
  let compact = null;
  let fitFrame = 0;
  const clock = countdown();
  const state = el("p", { class: "voting-state" });
  const corner = el("div", { class: "join-corner" });
  const stage = el("div", { class: "stage" });
  const layout = el("div", { class: "audience-layout poll-embed-layout" });

  /** (Re)builds the view for the width the frame gives: a slide, or below 560 px a phone's card. */
  const build = () => {
    compact = window.innerWidth < COMPACT_BELOW;
    document.body.classList.toggle("present", !compact);
    document.body.classList.toggle("poll-embed-compact", compact);
    dom.main.style.setProperty("--ratio", String(ratio));
    view = new QuestionResults(stage, { questions: poll.questions, present: !compact, controls: false });
    view.showOnly([index]);
    const top = el("div", { class: "slide-top" }, view.head, state, clock.node);
    layout.replaceChildren(top, stage, corner);
    corner.dataset.code = "";
    corner.replaceChildren();
    dom.slide.replaceChildren(layout);
    if (results) show(results);
  };

  // A card that does not fit its slide steps down a density level, as on the projector.
  const fitSoon = () => {
    cancelAnimationFrame(fitFrame);
    fitFrame = requestAnimationFrame(() => {
      if (!compact) view.fitSlide(index);
      postHeight();
    });
  };

  const show = (next) => {
    results = next;
    view.update(next);
    const [place, voting, open] = stateText(next, index, poll.questions.length);
    state.className = `voting-state ${open ? "open" : "closed"}`;
    state.textContent = `${place} · ${voting}`;
    clock.set(open && next.pacing === "presenter" ? next.voting_closes_at : null);
    const hidden = Boolean(next.questions[index]?.hidden);
    dom.main.dataset.hidden = String(hidden);
    // The presenter's screen says plainly when what it shows is not what the room sees.
    if (presenter && hidden) {
      state.append(" · ", el("span", { class: "badge closed presenter-only" }, "Hidden from the audience"));
    }
    // The invitation, while the poll is open and when the page was asked for it.
    const code = withJoin && next.is_open && next.join_code ? next.join_code : "";
    if (code !== corner.dataset.code) {
      corner.dataset.code = code;
      corner.replaceChildren(...(code ? [joinInvitation(code)] : []));
    }
    layout.dataset.state = code ? "question" : "plain";
    fitSoon();
  };

  build();
  let lastWidth = window.innerWidth;
  window.addEventListener("resize", () => {
    const width = window.innerWidth;
    if (width < COMPACT_BELOW !== compact) build();
    else if (Math.abs(width - lastWidth) > 1) {
      for (const card of stage.querySelectorAll(".result-card")) delete card.dataset.density;
      fitSoon();
    }
    lastWidth = width;
  });
  const follow = followResults(
    slug,
    (next) => {
      show(next);
      tell({ type: "blw-poll:live", live: true });
    },
    () => {
      layout.replaceChildren(el("p", { class: "join-title" }, "This poll has been removed."));
      tell({ type: "blw-poll:live", live: false });
      postHeight();
    },
    (event) => {
      view.lost();
      tell({ type: "blw-poll:live", live: false });
      // A link revoked or expired: the hidden results go, and nothing is asked again.
      if (event?.status === 401 || event?.status === 403) {
        follow.close();
        layout.replaceChildren(
          el("p", { class: "join-title" }, `The presenter link no longer works (${event.message}).`),
        );
        postHeight();
      }
    },
    secret
      ? {
          url: "/api/presenter/results/stream",
          open: (address) => new AuthorizedEventSource(address, { headers: { authorization: `Bearer ${secret}` } }),
        }
      : {},
  );
}

applyTheme();
darkReader.addEventListener("change", () => {
  if (theme === "auto") location.reload();
});
window.addEventListener("message", (event) => {
  if (event.data?.type === "blw-embed:measure") postHeight();
});
new ResizeObserver(postHeight).observe(document.body);
if (presenter) dom.main.dataset.presenter = "";
try {
  await live();
} catch (error) {
  showError(dom.status, error);
} finally {
  dom.main.removeAttribute("aria-busy");
  postHeight();
}
