// What every screen of the admin console shares: the page's elements, the session (who is logged
// in, the navigation count, the flash message), the way to another view, what to stop on leaving
// one, and the dialogs, tables, badges and poll actions used on more than one screen.
import { api, el, integer } from "../common.js";

export const dom = {
  nav: document.getElementById("admin-nav"),
  whoami: document.getElementById("whoami"),
  logout: document.getElementById("logout"),
  status: document.getElementById("status"),
  view: document.getElementById("view"),
};
export const session = {
  /** Who is logged in (null: nobody, or not asked yet). */
  user: null,
  /** Counts navigations: a view whose data arrives once the console has moved on draws nothing
   *  (the polls list answering late would otherwise replace the view navigated to meanwhile). */
  navigation: 0,
  /** What the last action did, said once at the top of the next view (a duplicate, a reset…). */
  flash: null,
};
export const isAdmin = () => session.user?.role === "admin";
export const dateTime = (iso) => new Date(iso).toLocaleString("en-US", { dateStyle: "medium", timeStyle: "short" });
export const plural = (n, one, many = `${one}s`) => `${integer(n)} ${n === 1 ? one : many}`;

/** What the view on screen started and leaving it stops (a results stream, a timer, polling). */
let leaving = [];
export function onLeave(stop) {
  leaving.push(stop);
}
export function leaveView() {
  for (const stop of leaving) stop();
  leaving = [];
  unsaved = null;
}

/** The view's way of saying it holds work not saved yet (the poll builder), until it is left. */
let unsaved = null;
/** `isUnsaved()` says whether leaving the view now would lose work: the console then asks before
 *  going elsewhere, and the browser before closing the tab or leaving the console. */
export function guardUnsaved(isUnsaved) {
  unsaved = isUnsaved;
  const warn = (event) => {
    if (!isUnsaved()) return;
    event.preventDefault();
    // Older browsers show the dialog only when returnValue is set.
    event.returnValue = "";
  };
  window.addEventListener("beforeunload", warn);
  onLeave(() => window.removeEventListener("beforeunload", warn));
}
/** Whether the view on screen may be left: at once when nothing would be lost, else once the
 *  admin confirms. */
export async function mayLeave() {
  if (!unsaved?.()) return true;
  return confirmDialog("This poll has changes that are not saved. Leave without saving them?", "Leave", {
    cancel: "Stay",
  });
}

/** Draws the view of the address: the router's (router.js sets it; screens only call go or redraw). */
let draw = null;
export function setRouter(route) {
  draw = route;
}
/** Goes to another view of the console, unless the view on screen holds unsaved work that the
 *  admin chooses to stay with; resolves whether it went. `{ force: true }` goes regardless (the
 *  work was just saved). */
export async function go(path, { force = false } = {}) {
  if (!force && !(await mayLeave())) return false;
  history.pushState(null, "", path);
  draw();
  return true;
}
/** Draws the current view again (after an action changed what it shows). */
export const redraw = () => draw();

/** Shows a modal `<dialog>` (its forms use method="dialog"); resolves the value of the button
 *  that closed it, then removes it. */
export function modal(dialog) {
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue);
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** Asks before something that cannot be undone; resolves true on confirm (Escape cancels). */
export async function confirmDialog(message, action, { cancel = "Cancel" } = {}) {
  const answer = await modal(
    el(
      "dialog",
      { class: "panel confirm-dialog", "aria-labelledby": "confirm-text" },
      el("p", { id: "confirm-text" }, message),
      el(
        "form",
        { method: "dialog", class: "actions" },
        el("button", { value: "cancel", class: "secondary" }, cancel),
        el("button", { value: "confirm", class: "danger" }, action),
      ),
    ),
  );
  return answer === "confirm";
}

/** Opens or closes a poll. */
async function setOpen(poll, isOpen) {
  await api(`/api/admin/polls/${poll.id}`, { method: "PATCH", body: { is_open: isOpen } });
}

/** Deletes a poll once confirmed; resolves whether it did. */
export async function deletePoll(poll) {
  if (
    !(await confirmDialog(
      `Delete “${poll.title}” and its ${integer(poll.respondents)} responses? This cannot be undone.`,
      "Delete poll",
    ))
  )
    return false;
  await api(`/api/admin/polls/${poll.id}`, { method: "DELETE" });
  return true;
}

export const statusBadge = (poll) =>
  el("span", { class: `badge ${poll.is_open ? "open" : "closed"}` }, poll.is_open ? "Open" : "Closed");
export const archivedBadge = (poll) => (poll.archived_at ? el("span", { class: "badge archived" }, "Archived") : null);

/** A form in a panel, titled by its heading; the browser's own validation gives way to the api's. */
export function panelForm(titleId, title, ...children) {
  return el(
    "form",
    { class: "panel", novalidate: true, "aria-labelledby": titleId },
    el("h2", { id: titleId }, title),
    ...children,
  );
}

/** For admins: a button that opens a closed poll or closes an open one, through `act`. An archived
 *  poll cannot be opened (unarchive it first). */
export function openCloseButton(poll, act, attributes, [openLabel, closeLabel]) {
  if (!isAdmin()) return null;
  const onclick = act(() => setOpen(poll, !poll.is_open));
  const disabled = !poll.is_open && Boolean(poll.archived_at);
  return el("button", { type: "button", ...attributes, disabled, onclick }, poll.is_open ? closeLabel : openLabel);
}

/** A dense table: a header row of `columns` (those in `numeric` right-aligned) over `rows`,
 *  named by the element with id `labelledBy` when given. */
export function denseTable(columns, rows, numeric = [], labelledBy = null) {
  const header = columns.map((h) => el("th", { scope: "col", class: numeric.includes(h) ? "num" : null }, h));
  return el(
    "table",
    { class: "dense", "aria-labelledby": labelledBy },
    el("thead", {}, el("tr", {}, header)),
    el("tbody", {}, rows),
  );
}

/** What the console calls each kind of question. */
const KIND_LABELS = {
  catalog: "BLW catalog",
  choice: "Choice",
  scale: "Scale",
  words: "Words",
  open: "Open answer",
  ranking: "Ranking",
  predict: "Predict the nation",
};
export const kindTag = (kind) => el("span", { class: "kind-tag" }, KIND_LABELS[kind ?? "catalog"] ?? kind);
