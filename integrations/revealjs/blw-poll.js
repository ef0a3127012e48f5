// BLW live polls in a reveal.js deck (https://revealjs.com, 4.x and 5.x): a slide that names a
// question of a presenter-paced poll (<section data-blw-question="var_name">) shows that
// question's live results (an iframe of the server's /embed/polls/{slug}/{question}), and
// arriving on it makes it the question every phone answers; leaving it for an ordinary slide
// closes its voting. R reveals the question's results, H hides them again.
//
// The deck drives the poll with a presenter link (made in the console, shown once): a secret
// that may pace this one poll, reveal and hide its results — nothing else, and only until it
// expires or is revoked. Every request sends it as `Authorization: Bearer …` to the server's
// /api/presenter/ routes (open to any origin: the deck may be served from anywhere, file:// too).
//
// When the deck loads, the plugin keeps a copy of each poll question's national results (the
// latest BLW wave, weighted, as GET /api/presenter/poll gives them; in localStorage too). If the
// server cannot be reached, a poll slide shows that copy and says that the live results are
// offline, until the server answers again.
//
// The presenter's own screen may show a question's results while they are still hidden from the
// room (`presenterResults`): its frames are then the embed's presenter variant (`presenter=1`),
// which gets the link from the plugin by postMessage (to the server's origin only) and reads the
// presenter routes' results stream with it. The projected deck keeps the public embed.
//
//   import Reveal from "reveal.js";
//   import BlwPoll from "./blw-poll.js";
//   Reveal.initialize({ plugins: [BlwPoll], blwPoll: { server: "https://polls.example.org", secret } });
//
// Options (`blwPoll`): `server` (the poll server's origin), `secret` (the presenter link; or a
// function giving it), `theme` ("dark", "light", or "auto": from the deck's background),
// `leave` ("close": leaving a poll slide closes its voting; "join": the phones go back to
// waiting), `keys` ({reveal: "R", hide: "H"}), `presenterResults` ("none": every screen shows
// what the room sees; "speaker-view": reveal.js's speaker view shows hidden results too;
// "all": this deck does — only for a deck on the presenter's own screen, never projected).
// A slide may add `data-blw-join` (the join code and
// its QR code beside the results) and `data-blw-ratio` (the results' width over height, 16:9
// by default). See README.md.

const DEFAULTS = {
  server: null,
  secret: null,
  theme: "auto",
  leave: "close",
  keys: { reveal: "R", hide: "H" },
  /** Where slides show results the room does not see yet: "none", "speaker-view" or "all". */
  presenterResults: "none",
  /** How long a request may take before the server counts as unreachable (ms). */
  timeout: 8000,
};
/** How long a slide's live results may be silent or lost before the copy replaces them (ms). */
const GRACE_MS = 6000;
/** How often an unreachable server is asked again whether it is back (ms). */
const PROBE_MS = 3000;
const STORE = "blw-poll:";
const PRESENTER_RESULTS = ["none", "speaker-view", "all"];
/** reveal.js's speaker view loads the deck again with `?receiver`: those copies never move the poll. */
const inSpeakerView = () => /receiver/i.test(location.search);

/** The server refused the link (unknown, expired or revoked): the deck can no longer move the poll. */
class LinkRefused extends Error {}
/** The server could not be reached (no answer, or none in time). */
class Unreachable extends Error {}
/** Any other refusal, with the server's message. */
class Refused extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

const h = (tag, attributes = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value == null || value === false) continue;
    if (name === "class") node.className = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children.flat().filter((c) => c != null));
  return node;
};
const pct = (p) => `${Math.round(p * 100)}%`;
const clock = (iso) => new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

/** Whether a colour (as getComputedStyle gives it) is dark. */
function isDark(color) {
  const [r, g, b] = (color.match(/[\d.]+/g) ?? ["255", "255", "255"]).map(Number);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b < 128;
}

export default function BlwPoll() {
  let deck = null;
  let options = DEFAULTS;
  let server = "";
  let secret = "";
  /** The poll as the link sees it (GET /api/presenter/poll), or as last seen (offline). */
  let poll = null;
  /** var_name → { text, kind, national }: what a slide shows when the server is unreachable. */
  const copies = new Map();
  /** Why the deck can no longer drive the poll (the server refused the link). */
  let stopped = null;
  /** An all-at-once poll: the deck shows and reveals its results but does not pace it. */
  let unpaced = false;
  let offline = false;
  let probe = 0;
  /** The move the server should hear next ({position, voting_open}), whether one is on its way,
   *  and the last one it took. */
  let wanted = null;
  let sending = false;
  let lastSent = null;
  /** The position of the last poll slide arrived on (leaving it closes its voting). */
  let lastPosition = null;
  const status = h("div", { class: "blw-poll-status", role: "status", "aria-live": "polite" });

  /** A request to the presenter routes, with the link. */
  async function call(method, path, body) {
    let response;
    try {
      response = await fetch(`${server}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${secret}`,
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        mode: "cors",
        credentials: "omit",
        cache: "no-store",
        signal: AbortSignal.timeout(options.timeout),
      });
    } catch (cause) {
      throw new Unreachable(`the poll server (${server}) cannot be reached`, { cause });
    }
    const text = await response.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    const message = json?.error?.message ?? `the server answered ${response.status}`;
    if (response.status === 401) throw new LinkRefused(message);
    if (!response.ok) throw new Refused(response.status, message);
    return json;
  }

  /** Says what the deck is doing (or what went wrong) in the corner of the screen. */
  function say(text, kind = "ok") {
    status.textContent = text;
    status.dataset.kind = kind;
    status.setAttribute("role", kind === "ok" ? "status" : "alert");
  }
  function sayWhere() {
    if (stopped || offline || !poll) return;
    const { current_question: current, voting_open: open } = poll;
    const where = unpaced
      ? "answered all at once (the deck shows its results, the phones show every question)"
      : current == null
        ? "phones on the join screen"
        : `question ${current + 1} of ${poll.questions.length}, voting ${open ? "open" : "closed"}`;
    if (!poll.is_open)
      say(`The poll “${poll.title}” is closed: the phones cannot answer. Open it in the console.`, "error");
    else say(`Poll “${poll.title}”: ${where} · link valid until ${clock(poll.expires_at)}`);
  }

  const pollSlides = () => [...deck.getSlidesElement().querySelectorAll("section[data-blw-question]")];
  const isPollSlide = (slide) => Boolean(slide?.hasAttribute?.("data-blw-question"));
  const positionOf = (varName) => poll?.questions.findIndex((q) => q.var_name === varName) ?? -1;

  /** Whether this screen's slides show the presenter's results (hidden ones too). */
  function presenterScreen() {
    const where = options.presenterResults;
    return where === "all" || (where === "speaker-view" && inSpeakerView());
  }

  function theme() {
    if (options.theme === "dark" || options.theme === "light") return options.theme;
    const viewport = deck.getViewportElement?.() ?? document.body;
    return isDark(getComputedStyle(viewport).backgroundColor) ? "dark" : "light";
  }

  /** A poll slide's box: the live results' frame, the offline copy over it, a notice. */
  function box(slide) {
    let node = slide.querySelector(":scope > .blw-poll");
    if (!node) {
      node = h(
        "div",
        { class: "blw-poll" },
        h("div", { class: "blw-poll-offline", hidden: true }),
        h("p", { class: "blw-poll-notice", role: "alert", hidden: true }),
      );
      slide.append(node);
    }
    return node;
  }

  /** Puts each poll slide's live results in place (once the poll's address is known). */
  function frameSlides() {
    const current = deck.getCurrentSlide();
    for (const slide of pollSlides()) {
      const node = box(slide);
      const varName = slide.dataset.blwQuestion;
      const notice = node.querySelector(".blw-poll-notice");
      if (positionOf(varName) < 0) {
        notice.textContent = `The poll “${poll.title}” has no question “${varName}”.`;
        notice.hidden = false;
        continue;
      }
      if (node.querySelector("iframe")) continue;
      const question = poll.questions[positionOf(varName)];
      const query = new URLSearchParams({ theme: theme() });
      if (slide.hasAttribute("data-blw-join")) query.set("join", "1");
      const ratio = Number(slide.dataset.blwRatio);
      if (ratio > 0) query.set("ratio", String(ratio));
      // The presenter variant asks for the link by postMessage: it never goes in the address.
      const staff = presenterScreen();
      if (staff) query.set("presenter", "1");
      const src = `${server}/embed/polls/${encodeURIComponent(poll.slug)}/${encodeURIComponent(varName)}?${query}`;
      // data-src: reveal.js loads the frame when the slide comes up and unloads it after, so only
      // the slide on screen holds a live connection.
      const frame = h("iframe", {
        class: "blw-poll-frame",
        "data-src": src,
        title: `${staff ? "Live results (presenter’s view, hidden results included)" : "Live results"}: ${question.text}`,
        tabindex: "-1",
        style: ratio > 0 ? `aspect-ratio: ${ratio}` : null,
        "data-presenter": staff,
      });
      node.prepend(frame);
      if (slide === current) {
        frame.src = src;
        armFrame(slide);
      }
    }
  }

  /** Per frame: when it came up, whether its results have been live since, since when they are lost. */
  const frames = new WeakMap();
  /** Watches the results of a slide that came up: silent or lost for GRACE_MS, the server is
   *  taken to be unreachable. */
  function armFrame(slide) {
    const frame = slide?.querySelector?.(".blw-poll-frame");
    if (!frame) return;
    frames.set(frame, { armedAt: Date.now(), heard: false, lostAt: null });
    setTimeout(checkFrames, GRACE_MS + 50);
  }
  function checkFrames() {
    const slide = deck.getCurrentSlide();
    const frame = isPollSlide(slide) ? slide.querySelector(".blw-poll-frame") : null;
    const state = frame && frames.get(frame);
    if (!state || offline) return;
    const now = Date.now();
    if ((!state.heard && now - state.armedAt >= GRACE_MS) || (state.lostAt && now - state.lostAt >= GRACE_MS))
      goOffline();
  }

  function onMessage(event) {
    if (event.origin !== server || typeof event.data !== "object" || event.data == null) return;
    const frame = [...document.querySelectorAll(".blw-poll-frame")].find((f) => f.contentWindow === event.source);
    const { type } = event.data;
    if (type === "blw-poll:presenter-link-wanted" && frame?.hasAttribute("data-presenter")) {
      // Only to a frame this plugin made for the presenter's screen, and only if it still shows
      // the server's page (the target origin).
      frame.contentWindow.postMessage({ type: "blw-poll:presenter-link", secret }, server);
    } else if (type === "blw-embed:height" && frame) {
      const height = Number(event.data.height);
      if (Number.isFinite(height) && height > 0) frame.style.height = `${Math.ceil(height)}px`;
    } else if (type === "blw-poll:live" && frame) {
      const state = frames.get(frame) ?? { armedAt: Date.now(), heard: false, lostAt: null };
      frames.set(frame, state);
      if (event.data.live) {
        state.heard = true;
        state.lostAt = null;
        if (offline) probeNow();
      } else if (state.lostAt == null) {
        state.lostAt = Date.now();
        setTimeout(checkFrames, GRACE_MS + 50);
      }
    }
  }

  /** The server cannot be reached: every poll slide shows its copy, until the server is back. */
  function goOffline() {
    if (!offline) {
      offline = true;
      document.documentElement.classList.add("blw-poll-offline-mode");
    }
    for (const slide of pollSlides()) showCopy(slide);
    say("Live results are offline: the poll server cannot be reached. Trying again…", "offline");
    clearTimeout(probe);
    probe = setTimeout(probeNow, PROBE_MS);
  }

  async function probeNow() {
    clearTimeout(probe);
    try {
      // Any answer at all (opaque: no CORS needed) says the server is there.
      await fetch(`${server}/healthz`, { mode: "no-cors", cache: "no-store", signal: AbortSignal.timeout(4000) });
    } catch {
      probe = setTimeout(probeNow, PROBE_MS);
      return;
    }
    if (!offline) return;
    offline = false;
    document.documentElement.classList.remove("blw-poll-offline-mode");
    for (const node of document.querySelectorAll(".blw-poll-offline")) node.hidden = true;
    if (!poll?.slug || !document.querySelector(".blw-poll-frame")) await load();
    // The slide on screen: its results again, and the poll where the deck is.
    const slide = deck.getCurrentSlide();
    const frame = isPollSlide(slide) ? slide.querySelector(".blw-poll-frame") : null;
    if (frame) {
      frame.src = frame.getAttribute("src") ?? frame.dataset.src;
      armFrame(slide);
    }
    lastSent = null;
    arrive(slide);
    sayWhere();
  }

  /** The copy kept for a slide's question: the nation's shares, or the question alone. */
  function showCopy(slide) {
    const node = box(slide);
    const varName = slide.dataset.blwQuestion;
    const copy = copies.get(varName);
    const national = copy?.national;
    const offlineBox = node.querySelector(".blw-poll-offline");
    const parts = [
      h(
        "p",
        { class: "blw-poll-offline-note" },
        h("strong", {}, "Live results are offline."),
        national
          ? " The national results below are a copy saved when this deck loaded."
          : " The room’s answers appear here when the poll server is back.",
      ),
      h("h3", { class: "blw-poll-question" }, copy?.text ?? varName),
      national
        ? [
            h(
              "p",
              { class: "blw-poll-source" },
              `US adults, Bright Line Watch wave ${national.wave} (weighted, n = ${national.n.toLocaleString("en-US")})`,
            ),
            h(
              "div",
              { class: "blw-poll-bars", role: "list" },
              national.responses.map((r) =>
                h(
                  "div",
                  { class: "blw-poll-bar-row", role: "listitem" },
                  h("span", { class: "blw-poll-label" }, r.response),
                  h(
                    "span",
                    { class: "blw-poll-track", "aria-hidden": "true" },
                    h("span", { class: "blw-poll-bar", style: `width: ${(r.p * 100).toFixed(1)}%` }),
                  ),
                  h(
                    "span",
                    { class: "blw-poll-value" },
                    pct(r.p),
                    r.ci_low == null
                      ? null
                      : h("span", { class: "blw-poll-ci" }, ` (95% CI ${pct(r.ci_low)}–${pct(r.ci_high)})`),
                  ),
                ),
              ),
            ),
          ]
        : [],
    ];
    offlineBox.replaceChildren(...parts.flat());
    offlineBox.hidden = false;
  }

  /** Tells the server where the deck is, one move at a time; only the latest move waiting is sent. */
  async function pace(move) {
    if (stopped || unpaced || !poll) return;
    wanted = move;
    if (sending) return;
    sending = true;
    while (wanted && !stopped) {
      const next = wanted;
      wanted = null;
      if (JSON.stringify(next) === JSON.stringify(lastSent)) continue;
      try {
        poll = { ...poll, ...(await call("PUT", "/api/presenter/current", next)) };
        lastSent = next;
        if (offline) probeNow();
        sayWhere();
      } catch (error) {
        failed(error);
      }
    }
    sending = false;
  }

  /** What a refused or failed request means for the deck, said where the presenter sees it. */
  function failed(error) {
    if (error instanceof Unreachable) {
      goOffline();
    } else if (error instanceof LinkRefused) {
      stop(
        `The presenter link no longer works (${error.message}): this deck no longer moves the poll. Make a new link in the console.`,
      );
    } else {
      say(`The poll server refused: ${error.message}`, "error");
    }
  }

  function stop(message) {
    stopped = message;
    say(message, "error");
    for (const slide of pollSlides()) {
      const notice = box(slide).querySelector(".blw-poll-notice");
      notice.textContent = message;
      notice.hidden = false;
    }
  }

  /** The deck arrived on `slide`: a poll slide opens its question; another slide after a poll
   *  slide closes the voting on it (or, with leave: "join", sends the phones back to waiting). */
  function arrive(slide) {
    if (!poll || inSpeakerView()) return;
    if (isPollSlide(slide)) {
      if (offline) showCopy(slide);
      const position = positionOf(slide.dataset.blwQuestion);
      if (position < 0) return;
      lastPosition = position;
      pace({ position, voting_open: true });
    } else if (lastPosition != null) {
      pace({ position: options.leave === "join" ? null : lastPosition, voting_open: false });
    }
  }

  /** Reveals (`hidden` false) or hides the results of the poll slide on screen. */
  async function setHidden(hidden) {
    const slide = deck.getCurrentSlide();
    if (!isPollSlide(slide) || !poll || stopped) return;
    const varName = slide.dataset.blwQuestion;
    if (positionOf(varName) < 0) return;
    try {
      poll = {
        ...poll,
        ...(await call("PATCH", `/api/presenter/questions/${encodeURIComponent(varName)}`, { results_hidden: hidden })),
      };
      say(`${hidden ? "Hid" : "Revealed"} the results of question ${positionOf(varName) + 1}.`);
    } catch (error) {
      failed(error);
    }
  }

  /** Keeps each catalog question's national results (and every question's text) for offline:
   *  the presenter routes give them with the poll (the survey routes answer their own site only). */
  function keepCopies() {
    for (const q of poll.questions)
      copies.set(q.var_name, {
        text: q.text,
        kind: q.kind,
        national: q.kind === "catalog" ? (q.national ?? null) : null,
      });
    try {
      localStorage.setItem(`${STORE}${server}`, JSON.stringify({ poll, copies: [...copies] }));
    } catch {
      // no storage (private mode, file://): the copy lasts as long as the deck is open
    }
  }

  /** Reads the poll (and keeps the copies); offline, the copy of the last deck load, if any. */
  async function load() {
    say("Connecting to the poll…");
    try {
      poll = await call("GET", "/api/presenter/poll");
    } catch (error) {
      if (error instanceof Unreachable) {
        const saved = (() => {
          try {
            return JSON.parse(localStorage.getItem(`${STORE}${server}`) ?? "null");
          } catch {
            return null;
          }
        })();
        if (saved) for (const [key, value] of saved.copies) copies.set(key, value);
        goOffline();
      } else failed(error);
      return;
    }
    unpaced = poll.pacing !== "presenter";
    frameSlides();
    sayWhere();
    arrive(deck.getCurrentSlide());
    keepCopies();
  }

  async function init(reveal) {
    deck = reveal;
    const given = deck.getConfig().blwPoll ?? {};
    options = { ...DEFAULTS, ...given, keys: { ...DEFAULTS.keys, ...given.keys } };
    if (!PRESENTER_RESULTS.includes(options.presenterResults)) options.presenterResults = "none";
    server = options.server ? new URL(options.server).origin : "";
    secret = typeof options.secret === "function" ? await options.secret() : options.secret;
    if (!document.querySelector("link[data-blw-poll]")) {
      document.head.append(
        h("link", { rel: "stylesheet", href: new URL("./blw-poll.css", import.meta.url).href, "data-blw-poll": "" }),
      );
    }
    // The speaker view loads the deck again (?receiver): those copies show, but never move the poll.
    const receiver = inSpeakerView();
    if (!receiver) document.body.append(status);
    for (const slide of pollSlides()) box(slide);
    if (!server || !secret) {
      say("BLW poll: set blwPoll.server and blwPoll.secret (a presenter link from the console).", "error");
      return;
    }
    window.addEventListener("message", onMessage);
    deck.on("slidechanged", (event) => {
      arrive(event.currentSlide);
      if (isPollSlide(event.currentSlide)) armFrame(event.currentSlide);
    });
    if (!receiver) {
      const bind = (key, description, action) =>
        deck.addKeyBinding({ keyCode: key.toUpperCase().charCodeAt(0), key: key.toUpperCase(), description }, action);
      bind(options.keys.reveal, "Reveal this poll question’s results", () => setHidden(false));
      bind(options.keys.hide, "Hide this poll question’s results", () => {
        // H also moves back in reveal.js: it still does on a slide without a poll.
        if (isPollSlide(deck.getCurrentSlide())) setHidden(true);
        else deck.prev();
      });
    }
    // Not awaited: the deck is ready at once; the poll's slides follow when the server answers.
    deck.on("ready", () => load());
  }

  return { id: "blw-poll", init };
}
