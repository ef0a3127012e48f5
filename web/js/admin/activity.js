// The ballot activity panel of a poll's console page: ballots per minute, the clients behind the
// most ballots and the ballots voided; admins void a client's scripted burst (asked first, with
// the window to void).
import { api, el, integer, showError } from "../common.js";
import { dateTime, denseTable, dom, isAdmin, modal, plural } from "./shared.js";

/** A time of day to the second, as the activity view names ballots (all within minutes). */
const clock = (iso) =>
  new Date(iso).toLocaleTimeString("en-US", { hour: "numeric", minute: "2-digit", second: "2-digit" });

/** The activity panel: ballots per minute, newest first, with a bar against the busiest minute
 *  (one script casting ballots shows as a flat, high run instead of a hall's waves); the clients
 *  behind the most ballots, each with a Void… button when `onVoid` is given (admins); past voids.
 *  Its counts are `td.tally`, so that `td.num` stays the per-minute ballots alone. */
function activityRows(activity, onVoid = null) {
  const busiest = Math.max(1, ...activity.minutes.map((m) => m.ballots));
  const time = (iso) => new Date(iso).toLocaleTimeString("en-US", { hour: "numeric", minute: "2-digit" });
  const rows = [...activity.minutes]
    .reverse()
    .map((m) =>
      el(
        "tr",
        {},
        el("td", {}, time(m.minute)),
        el("td", { class: "num" }, String(m.ballots)),
        el("td", { "aria-hidden": "true" }, el("meter", { min: 0, max: busiest, value: m.ballots })),
      ),
    );
  const clients = activity.clients ?? [];
  const clientRows = clients.map((client) =>
    el(
      "tr",
      { dataset: { client: client.client } },
      el("th", { scope: "row" }, el("code", {}, client.client)),
      el("td", { class: "tally" }, integer(client.ballots)),
      el("td", { class: "tally" }, integer(client.devices)),
      el("td", {}, el("time", { datetime: client.first_at }, clock(client.first_at))),
      el("td", {}, el("time", { datetime: client.last_at }, clock(client.last_at))),
      onVoid
        ? el(
            "td",
            {},
            el(
              "button",
              {
                type: "button",
                class: "small danger void-client",
                dataset: { client: client.client },
                onclick: () => onVoid(client),
              },
              "Void…",
              el("span", { class: "visually-hidden" }, ` the ballots from client ${client.client}`),
            ),
          )
        : null,
    ),
  );
  const voids = activity.voids ?? [];
  const voidRows = voids.map((v) =>
    el(
      "tr",
      { dataset: { void: String(v.id) } },
      el("td", {}, el("time", { datetime: v.voided_at }, dateTime(v.voided_at))),
      el("td", {}, el("code", {}, v.client)),
      el("td", {}, el("time", { datetime: v.from }, clock(v.from)), " – ", el("time", { datetime: v.to }, clock(v.to))),
      el("td", { class: "tally" }, integer(v.respondents_removed)),
    ),
  );
  const clientColumns = ["Client", "Ballots", "Browsers", "First", "Last", ...(onVoid ? ["Actions"] : [])];
  return [
    el("h3", {}, "Ballots per minute"),
    el("p", { class: "note" }, "The last 15 minutes, newest first; refreshed every 15 seconds."),
    denseTable(["Minute", "Ballots", ""], rows, ["Ballots"]),
    el("h3", { id: "activity-clients-title" }, "Clients with the most ballots"),
    clients.length
      ? el(
          "div",
          { class: "table-wrap" },
          denseTable(clientColumns, clientRows, ["Ballots", "Browsers"], "activity-clients-title"),
        )
      : el("p", { class: "empty" }, "No client has cast a ballot in the last 15 minutes."),
    el(
      "p",
      { class: "note" },
      "A client is one network address (shown as a code, never the address); a hall behind one network is one client too, so void only plainly scripted bursts.",
    ),
    el("h3", { id: "activity-voids-title" }, "Voided ballots"),
    voids.length
      ? el(
          "div",
          { class: "table-wrap" },
          denseTable(["Voided", "Client", "Window", "Removed"], voidRows, ["Removed"], "activity-voids-title"),
        )
      : el("p", { class: "empty" }, "No ballots have been voided in this poll."),
  ];
}

/** A date as a `datetime-local` input takes it: local time, to the second. */
function localInput(date) {
  const two = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}T${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

/** Asks an admin before voiding a client's ballots, with the window to void (from inclusive, to
 *  exclusive: by default the client's first ballot's second to just after its last). Resolves
 *  `{from, to}` as RFC 3339, or null on cancel. */
async function voidDialog(client) {
  const first = new Date(client.first_at);
  const last = new Date(client.last_at);
  first.setMilliseconds(0);
  last.setMilliseconds(0);
  const input = (id, value) =>
    el("input", {
      type: "datetime-local",
      id,
      step: 1,
      required: true,
      value: localInput(value),
      "aria-describedby": "void-help",
    });
  const from = input("void-from", first);
  const to = input("void-to", new Date(last.getTime() + 1000));
  const confirm = el("button", { value: "void", class: "danger" }, "Void ballots");
  const problem = el("p", { class: "field-error", id: "void-problem", role: "alert" });
  const chosen = () => ({ from: new Date(from.value), to: new Date(to.value) });
  const valid = () => {
    const { from: start, to: end } = chosen();
    return !Number.isNaN(start.getTime()) && !Number.isNaN(end.getTime()) && end > start;
  };
  const check = () => {
    confirm.disabled = !valid();
    const text = valid() ? "" : "The window must end after it starts.";
    // The same text again would be read out again at every keystroke.
    if (problem.textContent !== text) problem.textContent = text;
  };
  from.addEventListener("input", check);
  to.addEventListener("input", check);
  const dialog = el(
    "dialog",
    { class: "panel void-dialog", "aria-labelledby": "void-title", "aria-describedby": "void-what" },
    el(
      "form",
      { method: "dialog" },
      el(
        "h2",
        { id: "void-title" },
        `Void ${plural(client.ballots, "ballot")} from client ${client.client} between ${clock(client.first_at)} and ${clock(client.last_at)}?`,
      ),
      el(
        "p",
        { id: "void-what" },
        `This deletes every answer of the participants this client first recorded in the window below; the ${plural(client.ballots, "ballot")} listed came from ${plural(client.devices, "browser")}. It cannot be undone, and every screen's results follow at once.`,
      ),
      el(
        "div",
        { class: "void-window" },
        el("div", { class: "field" }, el("label", { for: "void-from" }, "From (included)"), from),
        el("div", { class: "field" }, el("label", { for: "void-to" }, "To (not included)"), to),
      ),
      el("p", { class: "note", id: "void-help" }, "Local times, to the second."),
      problem,
      el("div", { class: "actions" }, el("button", { value: "cancel", class: "secondary" }, "Cancel"), confirm),
    ),
  );
  // Enter in a field would press the form's first button, Cancel: make it confirm instead.
  dialog.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.target.tagName !== "INPUT") return;
    event.preventDefault();
    if (valid()) dialog.close("void");
  });
  const answer = await modal(dialog);
  if (answer !== "void" || !valid()) return null;
  const { from: start, to: end } = chosen();
  return { from: start.toISOString(), to: end.toISOString() };
}

/** A poll page's activity panel; `refresh()` reads the activity again and redraws it (the page
 *  does every 15 s). Admins void a client's burst of ballots: asked first, then the activity
 *  shows the void. */
export function activityPanel(poll) {
  const element = el("section", { class: "panel", id: "poll-activity", "aria-label": "Ballot activity" });
  const voidBurst = async (client) => {
    const range = await voidDialog(client);
    if (!range) return;
    try {
      const made = (
        await api(`/api/admin/polls/${poll.id}/voids`, { method: "POST", body: { client: client.client, ...range } })
      ).data;
      dom.status.replaceChildren(
        el(
          "p",
          { class: "confirmation", role: "status" },
          `Voided ${plural(made.respondents_removed, "ballot")} from client ${made.client}: the results no longer count them.`,
        ),
      );
    } catch (error) {
      showError(dom.status, error);
    }
    await refresh();
  };
  const refresh = async () => {
    try {
      const activity = (await api(`/api/admin/polls/${poll.id}/activity`)).data;
      // A refresh redraws the panel: keep the keyboard on the Void… button it was on.
      const focused = element.contains(document.activeElement) ? document.activeElement.dataset.client : null;
      element.replaceChildren(...activityRows(activity, isAdmin() ? voidBurst : null));
      if (focused) element.querySelector(`button[data-client="${focused}"]`)?.focus();
    } catch (error) {
      showError(element, error);
    }
  };
  return { element, refresh };
}
