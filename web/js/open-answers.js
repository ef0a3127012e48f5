// An open question's answers: for the room, the list of answers a presenter approved (newest
// first, as many as the slide holds); for a presenter, the moderation queue — waiting answers
// oldest first with Approve / Hide, then those on the slide and those hidden, each a click from
// the other. Nothing here decides what the public sees: the server sends the public approved
// answers only.
import { api, el, integer } from "./common.js";

/** Decides on one answer (admins): `approved`, `hidden` or `pending`; errors go to `onError`. */
export function answerReview(pollId, onError) {
  return async (varName, respondentId, review) => {
    const question = `/api/admin/polls/${pollId}/questions/${encodeURIComponent(varName)}`;
    try {
      await api(`${question}/answers/${respondentId}/review`, { method: "PUT", body: { review } });
    } catch (error) {
      onError(error);
    }
  };
}

const ACTIONS = {
  pending: [
    ["approved", "Approve"],
    ["hidden", "Hide"],
  ],
  approved: [["hidden", "Hide"]],
  hidden: [["approved", "Approve"]],
};
const SECTIONS = [
  ["pending", "Waiting", "pending"],
  ["approved", "On the slide", "approved"],
  ["hidden", "Hidden", "hidden_answers"],
];

export class OpenAnswers {
  /** `onReview(respondentId, review)`: the moderation queue (admins); without it, the room's list. */
  constructor({ onReview = null } = {}) {
    this.onReview = onReview;
    this.more = el("p", { class: "open-more" });
    this.node = el("div", { class: "open-answers" });
    this.key = null;
  }

  update(question) {
    const answers = question.answers ?? [];
    const key = JSON.stringify([answers, question.pending, question.approved, question.hidden_answers]);
    if (key === this.key) return;
    this.key = key;
    if (!this.onReview) {
      const items = answers.map((answer) => el("li", { class: "open-answer" }, answer.text));
      this.list = el("ol", { class: "open-list", "aria-label": "Answers shown" }, items);
      this.node.replaceChildren(
        answers.length ? this.list : el("p", { class: "open-empty" }, "Answers appear here once approved."),
        this.more,
      );
      this.more.textContent = "";
      return;
    }
    this.node.replaceChildren(
      ...SECTIONS.map(([review, title, countField]) => {
        const listed = answers.filter((answer) => answer.review === review);
        const count = question[countField] ?? listed.length;
        return el(
          "section",
          { class: `open-section open-${review}`, "data-review": review },
          el("h4", {}, `${title} (${integer(count)})`),
          listed.length
            ? el(
                "ul",
                { class: "open-queue" },
                listed.map((answer) => this.queued(answer)),
              )
            : el("p", { class: "open-empty" }, review === "pending" ? "Nothing waiting." : "None."),
          count > listed.length
            ? el("p", { class: "note" }, `${integer(count - listed.length)} more not listed`)
            : null,
        );
      }),
    );
  }

  /** One answer in the moderation queue, with what can be done to it. */
  queued(answer) {
    return el(
      "li",
      { class: "open-answer", "data-respondent": String(answer.respondent_id) },
      el("span", { class: "open-text" }, answer.text),
      answer.blocked ? el("span", { class: "badge closed" }, "Blocked word") : null,
      el(
        "span",
        { class: "open-actions" },
        ACTIONS[answer.review].map(([review, label]) =>
          el(
            "button",
            {
              type: "button",
              class: review === "approved" ? "reveal" : "secondary",
              "data-review": review,
              "aria-label": `${label}: ${answer.text}`,
              onclick: () => this.onReview(answer.respondent_id, review),
            },
            label,
          ),
        ),
      ),
    );
  }

  /** The room's list keeps the newest answers that fit its box: `overflows()` says whether it
   *  still spills; the rest are counted under it. */
  fit(overflows) {
    if (this.onReview || !this.list) return;
    const items = [...this.list.children];
    for (const item of items) item.hidden = false;
    this.more.textContent = "";
    let shown = items.length;
    while (shown > 1 && overflows()) {
      shown -= 1;
      items[shown].hidden = true;
      this.more.textContent = `and ${integer(items.length - shown)} more`;
    }
  }
}
