// The audience view (/polls/{slug}?present=1): what the projector shows, and nothing else — no
// buttons, no moderation, no hidden word. A question from the audience the presenter pinned
// takes the slide (large, with its votes, and the next most voted) until unpinned. It reads the public results stream (what a phone may
// see) and follows the presenter through it: the join slide (QR code, join code, "N joined")
// until the presenter starts, then one question at a time ("N of M answered" while its results
// are hidden), then the final results once the poll closes, without a join invitation. An admin's
// keys (or clicker) still move the screens when this window has the focus.
import { el } from "./common.js";
import { pinnedSlide } from "./audience-qa.js";
import { countdown } from "./countdown.js";
import { ResultsView, followResults, roomSize } from "./poll-results.js";
import { adminPoll, presenterControls } from "./presenter-controls.js";

const spacedCode = (code) => `${code.slice(0, 3)} ${code.slice(3)}`;

/** The QR code of the short join link (`/j/{code}`: fewer modules than the poll's address, so
 *  it reads from further away), as an SVG element. */
function joinQr(joinCode) {
  const url = `${location.origin}/j/${joinCode}`;
  const qr = qrcode(0, "M");
  qr.addData(url);
  qr.make();
  const box = el("div", { class: "join-qr" });
  box.innerHTML = qr.createSvgTag({ cellSize: 4, margin: 2, scalable: true, alt: `QR code for ${url}` });
  return box;
}

/** The join invitation: QR code, where to go and the code; `large` on the join slide. */
function joinInvitation(joinCode, large) {
  return el(
    "aside",
    { class: `join${large ? " join-large" : ""}`, "aria-label": "Join this poll" },
    joinQr(joinCode),
    el("p", { class: "join-how" }, `Go to ${location.host}/join and enter`),
    el(
      "p",
      { class: "join-code", "data-join-code": "", "aria-label": `Join code ${[...joinCode].join(" ")}` },
      spacedCode(joinCode),
    ),
  );
}

export async function audienceView(poll, dom) {
  document.body.classList.add("present", "audience-view");
  const pollId = (await adminPoll(poll))?.id ?? null;
  const controls = presenterControls(poll, pollId, { onChange: () => render(), onError: () => {} });
  const title = el("h1", { class: "present-title" }, poll.title);
  const state = el("p", { class: "voting-state" });
  const stage = el("div", { id: "poll-results", class: "stage" });
  const joinSlide = el("div", { class: "join-slide", hidden: true });
  const closedSlide = el("div", { class: "closed-slide", hidden: true });
  const corner = el("div", { class: "join-corner" });
  const clock = countdown();
  const slideTop = el("div", { class: "slide-top" }, title, state, clock.node);
  const qaSlide = pinnedSlide();
  const layout = el("div", { class: "audience-layout" }, slideTop, stage, joinSlide, closedSlide, qaSlide.node, corner);
  dom.form.remove();
  dom.results.replaceWith(layout);
  const view = new ResultsView(stage, { questions: poll.questions, present: true, controls: false });
  slideTop.append(view.head);
  let results = null;
  let shownCode = null;
  let fitFrame = 0;

  const render = () => {
    const current = controls.pace.current;
    const open = results?.is_open ?? poll.is_open;
    const joinCode = results ? results.join_code : poll.join_code;
    const total = poll.questions.length;
    // A question from the audience pinned by the presenter takes the slide until unpinned.
    const pinned = open && qaSlide.update(results);
    const onJoinSlide = open && current == null && !pinned;
    const closedWithout = !open && current == null;
    view.showOnly(current == null || pinned ? [] : [current]);
    stage.hidden = current == null || pinned;
    joinSlide.hidden = !onJoinSlide;
    closedSlide.hidden = !closedWithout;
    layout.dataset.state = !open ? "closed" : pinned ? "audience-question" : current == null ? "joining" : "question";
    if (onJoinSlide) {
      if (shownCode !== joinCode) {
        joinSlide.replaceChildren(
          el("p", { class: "join-title" }, "Join now"),
          joinCode ? joinInvitation(joinCode, true) : el("p", {}, "Waiting for the poll to open…"),
          el("p", { class: "joined-count", role: "status" }),
        );
      }
      joinSlide.querySelector(".joined-count").textContent = joinedText(results);
    }
    if (closedWithout) {
      // A poll nobody has answered or joined is most likely one that has not opened yet.
      const empty = !results || roomSize(results) === 0;
      closedSlide.replaceChildren(
        el("p", { class: "join-title" }, empty ? "Waiting for the poll to open" : "This poll is closed"),
        empty ? null : el("p", { class: "joined-count" }, `${answeredText(results.respondents)} Thank you.`),
      );
    }
    // On a question the invitation keeps to a corner for latecomers, at a size that does not
    // change; a closed poll invites nobody.
    const cornerCode = open && (current != null || pinned) ? joinCode : null;
    if (cornerCode !== corner.dataset.code) {
      corner.dataset.code = cornerCode ?? "";
      corner.replaceChildren(...(cornerCode ? [joinInvitation(cornerCode, false)] : []));
    }
    shownCode = onJoinSlide ? joinCode : null;
    const place = current == null ? null : `Question ${current + 1} of ${total}`;
    state.className = `voting-state ${open && controls.pace.open ? "open" : "closed"}`;
    state.textContent = !open
      ? place
        ? `${place} · final results`
        : "Closed"
      : pinned
        ? "Audience Q&A"
        : place == null
          ? "Waiting to start"
          : poll.pacing === "presenter"
            ? `${place} · voting ${controls.pace.open ? "open" : "closed"}`
            : place;
    fitSoon();
  };

  const joinedText = (r) => {
    const n = roomSize(r);
    return `${n.toLocaleString("en-US")} joined`;
  };
  const answeredText = (n) => `${n.toLocaleString("en-US")} ${n === 1 ? "person" : "people"} answered.`;

  // A question's card must fit the slide: when it does not, it steps down a density level
  // (less space, smaller type) down to the floor stated in web/README.md.
  const fitSoon = () => {
    cancelAnimationFrame(fitFrame);
    fitFrame = requestAnimationFrame(() => {
      const current = controls.pace.current;
      if (current != null) view.fitSlide(current);
    });
  };
  window.addEventListener("resize", () => {
    for (const card of stage.querySelectorAll(".result-card")) delete card.dataset.density;
    fitSoon();
  });

  render();
  followResults(
    poll.slug,
    (next) => {
      results = next;
      view.update(next);
      controls.sync(next);
      clock.set(next.voting_open ? next.voting_closes_at : null);
    },
    () => {
      layout.replaceChildren(el("p", { class: "join-title" }, "This poll has been removed."));
    },
    () => view.lost(),
  );
}
