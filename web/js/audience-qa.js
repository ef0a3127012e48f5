// Audience Q&A on every screen. A phone asks the presenter (one line, a name if wanted) and
// upvotes others' questions (once each, taken back with a second press); its own held question is
// listed as waiting. The presenter's screen (and the console) moderate: approve or hide, mark
// answered, pin one to the projector. The projector shows the pinned question large with its votes,
// and the next most voted. What the public sees comes from the server's public results: a held or
// hidden question never reaches a phone or the projector.
import { api, el, integer, showError } from "./common.js";

const MAX_LENGTH = 280;
const votesText = (n) => `${integer(n)} ${n === 1 ? "vote" : "votes"}`;
const byVotes = (a, b) => b.votes - a.votes || a.asked_at.localeCompare(b.asked_at) || a.id - b.id;
const byNewest = (a, b) => b.asked_at.localeCompare(a.asked_at) || b.id - a.id;
const who = (question) => question.display_name ?? "Anonymous";

/** A question's text and what is said of it: who asked (and more, per screen), "Answered". */
function questionBody(question, meta, ...badges) {
  return el(
    "div",
    { class: "qa-body" },
    el("p", { class: "qa-text" }, question.text),
    el(
      "p",
      { class: "qa-meta" },
      meta,
      question.answered ? el("span", { class: "badge open" }, "Answered") : null,
      ...badges,
    ),
  );
}

/** The phone's Q&A: the form to ask, and the room's questions to vote on. */
export function phoneQa(poll) {
  const base = `/api/polls/${encodeURIComponent(poll.slug)}/audience-questions`;
  let mine = { asked: [], voted: [] };
  let latest = null;
  let order = "top";
  const status = el("div", { class: "qa-status", "aria-live": "polite" });
  const text = el("textarea", {
    id: "qa-text",
    name: "qa-text",
    rows: "2",
    maxlength: String(MAX_LENGTH),
    required: true,
    "aria-describedby": "qa-hint",
  });
  const name = el("input", { type: "text", id: "qa-name", name: "qa-name", maxlength: "40", autocomplete: "nickname" });
  const submit = el("button", { type: "submit" }, "Ask");
  const form = el(
    "form",
    { class: "qa-form", novalidate: true },
    el("label", { for: "qa-text" }, "Your question"),
    el("p", { class: "hint", id: "qa-hint" }, `Up to ${MAX_LENGTH} characters. Others can vote for it.`),
    text,
    el("label", { for: "qa-name" }, "Your name (optional: anonymous without it)"),
    name,
    submit,
    status,
  );
  const list = el("ol", { class: "qa-list", "aria-label": "Questions from the audience" });
  const waiting = el("ul", { class: "qa-mine" });
  const sorter = el(
    "div",
    { class: "segmented qa-order", role: "group", "aria-label": "Order" },
    ["top", "newest"].map((value) =>
      el(
        "button",
        {
          type: "button",
          "data-order": value,
          "aria-pressed": String(value === order),
          onclick: () => {
            order = value;
            for (const b of sorter.querySelectorAll("button"))
              b.setAttribute("aria-pressed", String(b.dataset.order === order));
            draw();
          },
        },
        value === "top" ? "Top" : "Newest",
      ),
    ),
  );
  const node = el(
    "section",
    { class: "panel qa-panel", "aria-labelledby": "qa-title" },
    el("h2", { id: "qa-title" }, "Questions for the presenter"),
    form,
    waiting,
    el("div", { class: "qa-list-head" }, el("h3", {}, "From the audience"), sorter),
    list,
  );

  const refreshMine = async () => {
    try {
      mine = (await api(`${base}/mine`)).data;
      draw();
    } catch {
      // Not knowing one's own votes is not worth a message: the list still works.
    }
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    // biome-ignore lint/suspicious/noControlCharactersInRegex: one line, as the api takes it
    const asked = text.value.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
    if (!asked) {
      status.replaceChildren(el("p", { class: "error", role: "alert" }, "Write your question first."));
      text.focus();
      return;
    }
    submit.disabled = true;
    try {
      const body = { text: asked, ...(name.value.trim() ? { display_name: name.value.trim() } : {}) };
      const { data } = await api(base, { method: "POST", body });
      text.value = "";
      status.replaceChildren(
        el(
          "p",
          { class: "confirmation" },
          data.review === "approved" ? "Asked: it is on the list." : "Asked: the presenter will review it first.",
        ),
      );
      await refreshMine();
    } catch (error) {
      showError(status, error);
    } finally {
      submit.disabled = false;
    }
  });

  const toggleVote = async (question, voted) => {
    try {
      await api(`${base}/${question.id}/vote`, { method: voted ? "DELETE" : "PUT" });
      mine.voted = voted ? mine.voted.filter((id) => id !== question.id) : [...mine.voted, question.id];
      draw();
    } catch (error) {
      showError(status, error);
    }
  };

  const draw = () => {
    const questions = [...(latest?.questions ?? [])].sort(order === "top" ? byVotes : byNewest);
    const listed = new Set(questions.map((q) => q.id));
    waiting.replaceChildren(
      ...mine.asked
        .filter((q) => !listed.has(q.id) && q.review === "pending")
        .map((q) =>
          el(
            "li",
            { class: "qa-waiting" },
            el("span", {}, q.text),
            el("span", { class: "badge" }, "Waiting for the presenter"),
          ),
        ),
    );
    list.replaceChildren(
      ...(questions.length
        ? questions.map((question) => {
            const voted = mine.voted.includes(question.id);
            return el(
              "li",
              { class: "qa-item", "data-question-id": String(question.id) },
              el(
                "button",
                {
                  type: "button",
                  class: `qa-vote${voted ? " voted" : ""}`,
                  "aria-pressed": String(voted),
                  "aria-label": `${voted ? "Take back your vote for" : "Vote for"}: ${question.text} (${votesText(question.votes)})`,
                  onclick: () => toggleVote(question, voted),
                },
                el("span", { "aria-hidden": "true" }, "▲"),
                el("span", { class: "qa-votes" }, integer(question.votes)),
              ),
              questionBody(question, who(question)),
            );
          })
        : [el("li", { class: "qa-empty" }, "No questions yet: ask the first.")]),
    );
  };

  // Hidden until the results say the poll takes questions (the presenter may switch them on
  // mid-talk); what this browser asked and voted for is read then.
  node.hidden = true;
  let mineRead = false;
  return {
    node,
    update(results) {
      latest = results.qa ?? null;
      node.hidden = !latest || latest.mode === "off" || !results.is_open;
      if (!node.hidden && !mineRead) {
        mineRead = true;
        refreshMine();
      }
      // One of this browser's waiting questions approved or hidden: learn it.
      if (mine.asked.some((q) => q.review === "pending" && latest?.questions.some((l) => l.id === q.id))) refreshMine();
      draw();
    },
  };
}

/** The presenter's moderation of a poll's audience questions (admins); errors go to `onError`. */
export function presenterQa(pollId, onError) {
  const admin = `/api/admin/polls/${pollId}/audience-questions`;
  const act = (path, method, body) => api(path, { method, body }).catch(onError);
  const moderate = (question, body) => act(`${admin}/${question.id}`, "PATCH", body);
  const pin = (question) => act(`${admin}/pinned`, "PUT", { question_id: question?.id ?? null });
  const list = el("div", { class: "qa-moderation" });
  const node = el(
    "section",
    { class: "panel qa-presenter", "aria-labelledby": "qa-presenter-title" },
    el("h2", { id: "qa-presenter-title" }, "Audience questions"),
    list,
  );
  const button = (label, onclick, primary = false, extra = {}) =>
    el("button", { type: "button", class: primary ? "small" : "small secondary", onclick, ...extra }, label);
  return {
    node,
    update(results) {
      const qa = results.qa;
      node.hidden = !qa || qa.mode === "off";
      if (!qa) return;
      const of = (review) => qa.questions.filter((q) => q.review === review);
      const pinnedId = qa.pinned?.id ?? null;
      const item = (question) =>
        el(
          "li",
          { class: "qa-item", "data-question-id": String(question.id), "data-review": question.review },
          questionBody(
            question,
            `${who(question)} · ${votesText(question.votes)}`,
            question.blocked ? el("span", { class: "badge closed" }, "Blocked word") : null,
            question.id === pinnedId ? el("span", { class: "badge" }, "On the projector") : null,
          ),
          el(
            "div",
            { class: "qa-actions" },
            question.review === "approved"
              ? [
                  question.id === pinnedId
                    ? button("Unpin", () => pin(null), false, { "data-action": "unpin" })
                    : button("Pin", () => pin(question), true, { "data-action": "pin" }),
                  button(
                    question.answered ? "Not answered" : "Answered",
                    () => moderate(question, { answered: !question.answered }),
                    false,
                    { "data-action": "answered" },
                  ),
                  button("Hide", () => moderate(question, { review: "hidden" }), false, { "data-action": "hide" }),
                ]
              : [
                  button("Approve", () => moderate(question, { review: "approved" }), true, {
                    "data-action": "approve",
                  }),
                  question.review === "pending"
                    ? button("Hide", () => moderate(question, { review: "hidden" }), false, { "data-action": "hide" })
                    : null,
                ],
          ),
        );
      const section = (title, review, count) =>
        el(
          "section",
          { class: "qa-section", "data-review": review },
          el("h3", {}, `${title} (${integer(count)})`),
          el(
            "ol",
            { class: "qa-list" },
            of(review)
              .sort(review === "approved" ? byVotes : () => 0)
              .map(item),
          ),
        );
      list.replaceChildren(
        el(
          "p",
          { class: "note" },
          qa.mode === "pre_moderated"
            ? "Every question waits for your approval."
            : "Questions appear at once; a question with a blocked word waits.",
        ),
        section("Waiting", "pending", qa.pending ?? 0),
        section("On the list", "approved", qa.approved),
        section("Hidden", "hidden", qa.hidden ?? 0),
      );
    },
  };
}

/** The projector's audience-question slide: the pinned question large with its votes, and the
 *  next most voted unanswered ones. `update` says whether a question is pinned. */
export function pinnedSlide() {
  const node = el("div", { class: "qa-slide", hidden: true });
  let key = null;
  return {
    node,
    update(results) {
      const pinned = results?.qa?.pinned ?? null;
      node.hidden = !pinned;
      if (!pinned) {
        key = null;
        return false;
      }
      const next = (results.qa.questions ?? [])
        .filter((q) => q.id !== pinned.id && !q.answered)
        .sort(byVotes)
        .slice(0, 3);
      const nextKey = JSON.stringify([pinned, next]);
      if (nextKey === key) return true;
      key = nextKey;
      const parts = [
        el("p", { class: "qa-slide-label" }, "Question from the audience"),
        el("blockquote", { class: "qa-pinned" }, el("p", {}, pinned.text)),
        el("p", { class: "qa-pinned-meta" }, `${who(pinned)} · ${votesText(pinned.votes)}`),
        next.length
          ? el(
              "ol",
              { class: "qa-next", "aria-label": "Next questions" },
              next.map((q) =>
                el(
                  "li",
                  {},
                  el("span", { class: "qa-next-text" }, q.text),
                  el("span", { class: "qa-next-votes" }, votesText(q.votes)),
                ),
              ),
            )
          : null,
      ];
      node.replaceChildren(...parts.filter(Boolean));
      return true;
    },
  };
}
