// The console's Polls section (/admin): every poll with its state, respondents and creation date;
// admins open, close and delete polls from here; archived polls show on request.
import { api, el, integer, showError } from "../common.js";
import {
  archivedBadge,
  dateTime,
  deletePoll,
  denseTable,
  dom,
  isAdmin,
  openCloseButton,
  plural,
  session,
  statusBadge,
} from "./shared.js";

function pollLinks(poll) {
  return el(
    "span",
    { class: "links actions" },
    el("a", { href: `/polls/${poll.slug}`, target: "_blank", rel: "noopener" }, "Participant page"),
    el("a", { href: `/polls/${poll.slug}?screen=presenter`, target: "_blank", rel: "noopener" }, "Present"),
    el("a", { href: `/api/admin/polls/${poll.id}/responses.csv`, download: "" }, "CSV"),
  );
}

/** The list of polls (/admin, archived ones too with ?archived=1), with their state and actions. */
export async function pollsView() {
  const showArchived = new URLSearchParams(location.search).get("archived") === "1";
  const at = session.navigation;
  const all = (await api("/api/admin/polls")).data;
  if (at !== session.navigation) return;
  const archivedCount = all.filter((poll) => poll.archived_at).length;
  const polls = showArchived ? all : all.filter((poll) => !poll.archived_at);
  const act = (fn) => async () => {
    try {
      await fn();
      await pollsView();
    } catch (error) {
      showError(dom.status, error);
    }
  };
  const rows = polls.map((poll) =>
    el(
      "tr",
      { dataset: { poll: poll.slug }, class: poll.archived_at ? "archived" : null },
      el("th", { scope: "row" }, el("a", { href: `/admin/polls/${poll.id}` }, poll.title)),
      el("td", {}, el("span", { class: "badges" }, statusBadge(poll), archivedBadge(poll))),
      el("td", { class: "num" }, integer(poll.respondents)),
      el("td", {}, dateTime(poll.created_at)),
      el(
        "td",
        {},
        el(
          "div",
          { class: "actions" },
          openCloseButton(poll, act, { class: "small secondary" }, ["Open", "Close"]),
          pollLinks(poll),
          isAdmin()
            ? el("button", { type: "button", class: "small danger", onclick: act(() => deletePoll(poll)) }, "Delete")
            : null,
        ),
      ),
    ),
  );
  // Archived polls stay out of the way; the toggle brings them back (and is kept in the URL).
  const toggle = el(
    "label",
    { class: "toggle" },
    el("input", {
      type: "checkbox",
      id: "show-archived",
      checked: showArchived,
      onchange: async (event) => {
        history.replaceState(null, "", event.target.checked ? "/admin?archived=1" : "/admin");
        try {
          await pollsView();
          document.getElementById("show-archived")?.focus();
        } catch (error) {
          showError(dom.status, error);
        }
      },
    }),
    `Show archived polls (${integer(archivedCount)})`,
  );
  const empty = all.length
    ? `No polls to show: ${plural(archivedCount, "archived poll is", "archived polls are")} hidden.`
    : "No polls yet.";
  dom.view.replaceChildren(
    el(
      "section",
      { class: "panel" },
      el(
        "div",
        { class: "actions", style: "justify-content:space-between" },
        el("h2", {}, "Polls"),
        isAdmin()
          ? el("a", { class: "button", href: "/admin/polls/new" }, "New poll")
          : el("p", { class: "note" }, "Read-only: analysts can watch and export polls."),
      ),
      archivedCount ? toggle : null,
      polls.length
        ? el(
            "div",
            { class: "table-wrap" },
            denseTable(["Title", "Status", "Respondents", "Created", "Actions"], rows, ["Respondents"]),
          )
        : el("p", { class: "empty" }, empty),
    ),
  );
}
