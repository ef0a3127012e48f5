// Admin console (/admin…): log in; list, build, edit, open, close, duplicate, reset, archive and
// delete polls; pace a presenter-paced poll; watch live results (hiding a question's results or a
// single word from the audience) and the ballots' activity (voiding one client's scripted burst);
// manage accounts; browse the database's tables (the Data section, data-browser.js); watch the api
// fleet's live figures (the Operations section, operations.js). Analysts get the same views read-only. Every change goes through the api, which checks the role again:
// hiding a button is a courtesy, not the guard.
import { api, el, flattenCatalog, integer, searchCatalog, showError } from "./common.js";
import { dataView } from "./data-browser.js";
import { operationsView } from "./operations.js";
import { ResultsView, followResults, resultsVisibility, wordModeration } from "./poll-results.js";

const dom = {
  nav: document.getElementById("admin-nav"),
  whoami: document.getElementById("whoami"),
  logout: document.getElementById("logout"),
  status: document.getElementById("status"),
  view: document.getElementById("view"),
};
let user = null;
let stream = null; // the results stream of the poll on screen, closed when leaving it
let activityTimer = null; // refreshes the poll on screen's ballots per minute
let operations = null; // the Operations view's polling, stopped when leaving it
/** Counts navigations: a view whose data arrives once the console has moved on draws nothing (the
 *  polls list answering late would otherwise replace the view navigated to meanwhile). */
let navigation = 0;
/** What the last action did, said once at the top of the next view (a duplicate, a reset…). */
let flash = null;
const isAdmin = () => user?.role === "admin";
const dateTime = (iso) => new Date(iso).toLocaleString("en-US", { dateStyle: "medium", timeStyle: "short" });
const plural = (n, one, many = `${one}s`) => `${integer(n)} ${n === 1 ? one : many}`;

function go(path) {
  history.pushState(null, "", path);
  route();
}

async function route() {
  navigation += 1;
  stream?.close();
  stream = null;
  clearInterval(activityTimer);
  activityTimer = null;
  operations?.stop();
  operations = null;
  dom.status.replaceChildren(...(flash ? [el("p", { class: "confirmation", role: "status" }, flash)] : []));
  flash = null;
  // Views with a title of their own (the Data and Operations sections') set it once drawn.
  document.title = "Admin — Bright Line Watch";
  if (!user) {
    try {
      user = (await api("/api/auth/session")).data.user;
    } catch (error) {
      return showError(dom.status, error);
    }
    if (!user) return loginView();
  }
  dom.nav.hidden = false;
  dom.whoami.textContent = `${user.name} (${user.role})`;
  for (const link of dom.nav.querySelectorAll("[data-admin-only]")) link.hidden = !isAdmin();
  const path = location.pathname.replace(/\/+$/, "");
  const pollMatch = path.match(/^\/admin\/polls\/(\d+)(\/edit)?$/);
  // A poll's own pages are under no link of the navigation.
  const section = pollMatch
    ? null
    : path === "/admin/polls/new"
      ? "new"
      : path === "/admin/accounts"
        ? "accounts"
        : path === "/admin/data" || path.startsWith("/admin/data/")
          ? "data"
          : path === "/admin/operations"
            ? "operations"
            : "polls";
  for (const link of dom.nav.querySelectorAll("a[data-section]")) {
    if (link.dataset.section === section) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  try {
    if (pollMatch?.[2]) await editView(Number(pollMatch[1]));
    else if (pollMatch) await pollView(Number(pollMatch[1]));
    else if (section === "new") await builderView();
    else if (section === "accounts") await accountsView();
    else if (section === "data")
      await dataView({ view: dom.view, status: dom.status, path, search: location.search, go });
    else if (section === "operations")
      operations = operationsView({
        view: dom.view,
        onSessionEnd: () => {
          user = null;
          loginView("Your session has ended. Please log in again.");
        },
      });
    else await pollsView();
  } catch (error) {
    if (error.status === 401) {
      user = null;
      return loginView("Your session has ended. Please log in again.");
    }
    showError(dom.status, error);
  }
}

function loginView(message) {
  dom.nav.hidden = true;
  const email = el("input", { type: "email", id: "email", name: "email", autocomplete: "username", required: true });
  const password = el("input", {
    type: "password",
    id: "password",
    name: "password",
    autocomplete: "current-password",
    required: true,
  });
  const error = el(
    "div",
    { class: "status", "aria-live": "assertive" },
    message ? el("p", { class: "note" }, message) : null,
  );
  const form = el(
    "form",
    { class: "panel login", "aria-labelledby": "login-title" },
    el("h2", { id: "login-title" }, "Log in"),
    el("p", { class: "note" }, "For BLW staff. Accounts are made by an admin."),
    el("div", { class: "field" }, el("label", { for: "email" }, "Email"), email),
    el("div", { class: "field" }, el("label", { for: "password" }, "Password"), password),
    error,
    el("button", { type: "submit" }, "Log in"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      user = (await api("/api/auth/login", { method: "POST", body: { email: email.value, password: password.value } }))
        .data.user;
      route();
    } catch (failure) {
      showError(error, failure);
      password.select();
    }
  });
  dom.view.replaceChildren(form);
  email.focus();
}

/** Shows a modal `<dialog>` (its forms use method="dialog"); resolves the value of the button
 *  that closed it, then removes it. */
function modal(dialog) {
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue);
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** Asks before something that cannot be undone; resolves true on confirm. */
async function confirmDialog(message, action) {
  const answer = await modal(
    el(
      "dialog",
      { class: "panel", "aria-labelledby": "confirm-text" },
      el("p", { id: "confirm-text" }, message),
      el(
        "form",
        { method: "dialog", class: "actions" },
        el("button", { value: "cancel", class: "secondary" }, "Cancel"),
        el("button", { value: "confirm", class: "danger" }, action),
      ),
    ),
  );
  return answer === "confirm";
}

/** Asks an admin for a new password for `account`; resolves the password, or null on cancel. */
async function passwordDialog(account) {
  const input = el("input", {
    type: "password",
    id: "reset-password",
    autocomplete: "new-password",
    minlength: 10,
    required: true,
  });
  const answer = await modal(
    el(
      "dialog",
      { class: "panel", "aria-labelledby": "reset-title" },
      el(
        "form",
        { method: "dialog" },
        el("h2", { id: "reset-title" }, `New password for ${account.email}`),
        el("p", { class: "note" }, "At least 10 characters. The account's sessions end."),
        el("div", { class: "field" }, el("label", { for: "reset-password" }, "New password"), input),
        el(
          "div",
          { class: "actions" },
          el("button", { value: "cancel", class: "secondary", formnovalidate: true }, "Cancel"),
          el("button", { value: "set" }, "Set password"),
        ),
      ),
    ),
  );
  return answer === "set" ? input.value : null;
}

/** Asks an admin to type a poll's slug before its answers are deleted: a reset cannot be undone,
 *  and typing the name of the very poll keeps it from hitting the wrong one of two similar polls.
 *  Resolves the typed slug, or null on cancel. */
async function resetDialog(poll) {
  const input = el("input", {
    type: "text",
    id: "reset-confirm",
    autocomplete: "off",
    autocapitalize: "off",
    spellcheck: "false",
    "aria-describedby": "reset-help",
  });
  const confirm = el("button", { value: "reset", class: "danger", disabled: true }, "Delete the answers");
  const matches = () => input.value.trim() === poll.slug;
  input.addEventListener("input", () => {
    confirm.disabled = !matches();
  });
  const dialog = el(
    "dialog",
    { class: "panel reset-dialog", "aria-labelledby": "reset-title", "aria-describedby": "reset-what" },
    el(
      "form",
      { method: "dialog" },
      el("h2", { id: "reset-title" }, `Reset the answers of “${poll.title}”?`),
      el(
        "p",
        { id: "reset-what" },
        poll.respondents
          ? `This deletes the answers of ${plural(poll.respondents, "participant")} to every question. They cannot be recovered: download the CSV first if you need them. The questions stay, and the poll can then be edited and opened again.`
          : "This poll has no answers yet: nothing will be deleted.",
      ),
      el(
        "div",
        { class: "field" },
        el("label", { for: "reset-confirm" }, "Type this poll's slug to confirm"),
        el(
          "p",
          { class: "note", id: "reset-help" },
          "Its slug, the end of its web address, is ",
          el("code", {}, poll.slug),
          ".",
        ),
        input,
      ),
      el("div", { class: "actions" }, el("button", { value: "cancel", class: "secondary" }, "Cancel"), confirm),
    ),
  );
  // Enter in the field would press the form's first button, Cancel: make it confirm instead.
  input.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    if (matches()) dialog.close("reset");
  });
  const answer = await modal(dialog);
  return answer === "reset" ? input.value.trim() : null;
}

async function setOpen(poll, isOpen) {
  await api(`/api/admin/polls/${poll.id}`, { method: "PATCH", body: { is_open: isOpen } });
}

async function deletePoll(poll) {
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

function pollLinks(poll) {
  return el(
    "span",
    { class: "links actions" },
    el("a", { href: `/polls/${poll.slug}`, target: "_blank", rel: "noopener" }, "Participant page"),
    el("a", { href: `/polls/${poll.slug}?present=1`, target: "_blank", rel: "noopener" }, "Present"),
    el("a", { href: `/api/admin/polls/${poll.id}/responses.csv`, download: "" }, "CSV"),
  );
}

const statusBadge = (poll) =>
  el("span", { class: `badge ${poll.is_open ? "open" : "closed"}` }, poll.is_open ? "Open" : "Closed");
const archivedBadge = (poll) => (poll.archived_at ? el("span", { class: "badge archived" }, "Archived") : null);

async function pollsView() {
  const showArchived = new URLSearchParams(location.search).get("archived") === "1";
  const at = navigation;
  const all = (await api("/api/admin/polls")).data;
  if (at !== navigation) return;
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

/** A form in a panel, titled by its heading; the browser's own validation gives way to the api's. */
function panelForm(titleId, title, ...children) {
  return el(
    "form",
    { class: "panel", novalidate: true, "aria-labelledby": titleId },
    el("h2", { id: titleId }, title),
    ...children,
  );
}

/** For admins: a button that opens a closed poll or closes an open one, through `act`. An archived
 *  poll cannot be opened (unarchive it first). */
function openCloseButton(poll, act, attributes, [openLabel, closeLabel]) {
  if (!isAdmin()) return null;
  const onclick = act(() => setOpen(poll, !poll.is_open));
  const disabled = !poll.is_open && Boolean(poll.archived_at);
  return el("button", { type: "button", ...attributes, disabled, onclick }, poll.is_open ? closeLabel : openLabel);
}

/** A dense table: a header row of `columns` (those in `numeric` right-aligned) over `rows`,
 *  named by the element with id `labelledBy` when given. */
function denseTable(columns, rows, numeric = [], labelledBy = null) {
  const header = columns.map((h) => el("th", { scope: "col", class: numeric.includes(h) ? "num" : null }, h));
  return el(
    "table",
    { class: "dense", "aria-labelledby": labelledBy },
    el("thead", {}, el("tr", {}, header)),
    el("tbody", {}, rows),
  );
}

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

/** What the console calls each kind of question. */
const KIND_LABELS = { catalog: "BLW catalog", choice: "Choice", scale: "Scale", words: "Words" };
const kindTag = (kind) => el("span", { class: "kind-tag" }, KIND_LABELS[kind ?? "catalog"] ?? kind);

/** The question a poll is split by, named by its text and key. */
function splitName(poll) {
  if (!poll.split_by) return "nothing";
  const question = poll.questions.find((q) => q.var_name === poll.split_by);
  return question ? `“${question.short_text ?? question.text}” (${poll.split_by})` : poll.split_by;
}

async function pollView(id) {
  const at = navigation;
  const poll = (await api(`/api/admin/polls/${id}`)).data;
  if (at !== navigation) return;
  const paced = poll.pacing === "presenter";
  const resultsBox = el("div", { id: "poll-results" });
  const activityBox = el("section", { class: "panel", id: "poll-activity", "aria-label": "Ballot activity" });
  const act = (fn) => async () => {
    try {
      if ((await fn()) !== false) await route();
    } catch (error) {
      showError(dom.status, error);
    }
  };
  const manage = isAdmin() ? manageControls(poll, act) : null;
  const pacing = paced ? pacingPanel(poll) : null;
  dom.view.replaceChildren(
    el(
      "section",
      { class: "panel" },
      el("p", {}, el("a", { href: "/admin" }, "← All polls")),
      el("h2", {}, poll.title, " ", statusBadge(poll), " ", archivedBadge(poll)),
      poll.description ? el("p", {}, poll.description) : null,
      el(
        "p",
        { class: "note" },
        `Created ${dateTime(poll.created_at)}${poll.created_by_name ? ` by ${poll.created_by_name}` : ""} · ${plural(poll.questions.length, "question")} · ${paced ? "presenter-paced (one question at a time)" : "all at once (one form)"} · split by ${splitName(poll)} · participants join at `,
        el("a", { href: `/polls/${poll.slug}` }, `${location.origin}/polls/${poll.slug}`),
        poll.join_code
          ? [
              ` or at ${location.host}/join with the code `,
              el("strong", { class: "join-code", "data-join-code": "" }, poll.join_code),
            ]
          : " (a join code is drawn when the poll opens)",
      ),
      el(
        "div",
        { class: "actions" },
        openCloseButton(poll, act, {}, ["Open poll", "Close poll"]),
        el(
          "a",
          { class: "button secondary", href: `/polls/${poll.slug}?present=1`, target: "_blank", rel: "noopener" },
          "Presenter view",
        ),
        el(
          "a",
          { class: "button secondary", href: `/api/admin/polls/${poll.id}/responses.csv`, download: "" },
          "Download CSV",
        ),
      ),
      manage?.element,
    ),
    // (replaceChildren would write out an absent panel as the text "undefined")
    ...(pacing ? [pacing.element] : []),
    el("section", { "aria-label": "Live results" }, resultsBox),
    activityBox,
  );
  // Admins void a client's burst of ballots: asked first, then the activity shows the void.
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
    await showActivity();
  };
  const showActivity = async () => {
    try {
      const activity = (await api(`/api/admin/polls/${poll.id}/activity`)).data;
      // A refresh redraws the panel: keep the keyboard on the Void… button it was on.
      const focused = activityBox.contains(document.activeElement) ? document.activeElement.dataset.client : null;
      activityBox.replaceChildren(...activityRows(activity, isAdmin() ? voidBurst : null));
      if (focused) activityBox.querySelector(`button[data-client="${focused}"]`)?.focus();
    } catch (error) {
      showError(activityBox, error);
    }
  };
  await showActivity();
  activityTimer = setInterval(showActivity, 15_000);
  // Admins reveal or hide each question's results, and each word of a words question, to the
  // audience; everyone here sees them all, with what the audience does not see marked.
  const onError = (error) => showError(dom.status, error);
  const view = new ResultsView(resultsBox, {
    questions: poll.questions,
    showGroups: true,
    onVisibility: isAdmin() ? resultsVisibility(poll.id, onError) : null,
    onWordModeration: isAdmin() ? wordModeration(poll.id, onError) : null,
    wordList: true,
  });
  // Frames also bring what changed elsewhere: answers arriving, a close, the presenter's moves.
  const onResults = (results) => {
    view.update(results);
    manage?.sync(results);
    pacing?.update(results);
  };
  stream = followResults(
    poll.slug,
    onResults,
    () => go("/admin"),
    () => view.lost(),
    {
      url: `/api/admin/polls/${poll.id}/results/stream`,
    },
  );
}

/** For admins: edit, duplicate, reset, archive and delete a poll. `sync(state)` follows the poll's
 *  open state and answers (from the live results) to say what is possible now. */
function manageControls(poll, act) {
  const archived = Boolean(poll.archived_at);
  const note = el("p", { class: "note", id: "manage-note" });
  const button = (label, attributes) => el("button", { type: "button", class: "secondary", ...attributes }, label);
  const edit = button("Edit", {
    id: "edit-poll",
    "aria-describedby": "manage-note",
    onclick: () => go(`/admin/polls/${poll.id}/edit`),
  });
  const duplicate = button("Duplicate", {
    id: "duplicate-poll",
    onclick: act(async () => {
      const copy = (await api(`/api/admin/polls/${poll.id}/duplicate`, { method: "POST" })).data;
      flash = `This is a copy of “${poll.title}”: closed and without answers, ready to edit.`;
      go(`/admin/polls/${copy.id}`);
      return false;
    }),
  });
  const reset = button("Reset answers", {
    id: "reset-poll",
    "aria-describedby": "manage-note",
    onclick: act(async () => {
      // The count as it is now, not as it was when the page was drawn.
      const current = (await api(`/api/admin/polls/${poll.id}`)).data;
      const confirm = await resetDialog(current);
      if (confirm === null) return false;
      await api(`/api/admin/polls/${poll.id}/reset`, { method: "POST", body: { confirm } });
      flash = `Deleted the answers of ${plural(current.respondents, "participant")}.`;
    }),
  });
  const archive = button(archived ? "Unarchive" : "Archive", {
    id: "archive-poll",
    "aria-describedby": "manage-note",
    onclick: act(async () => {
      await api(`/api/admin/polls/${poll.id}`, { method: "PATCH", body: { archived: !archived } });
      flash = archived
        ? "Unarchived: the poll is back in the list of polls."
        : "Archived: the list of polls hides it unless “Show archived polls” is ticked.";
    }),
  });
  const remove = el(
    "button",
    {
      type: "button",
      class: "danger",
      onclick: act(async () => {
        // Deleted: leave for the list instead of re-reading a poll that is gone.
        if (await deletePoll(poll)) go("/admin");
        return false;
      }),
    },
    "Delete",
  );
  const sync = ({ is_open: isOpen, respondents }) => {
    edit.disabled = isOpen || respondents > 0;
    reset.disabled = isOpen || respondents === 0;
    archive.disabled = !archived && isOpen;
    note.textContent = isOpen
      ? "An open poll cannot be edited, reset or archived: close it first."
      : respondents > 0
        ? `A poll with answers cannot be edited (${plural(respondents, "participant")} so far): reset its answers first.`
        : "";
  };
  sync(poll);
  const element = el(
    "div",
    { class: "manage" },
    el(
      "div",
      { class: "actions", role: "group", "aria-label": "Manage this poll" },
      edit,
      duplicate,
      reset,
      archive,
      remove,
    ),
    note,
  );
  return { element, sync };
}

/** A presenter-paced poll's pacing: which question the room sees and whether it takes answers,
 *  with Previous / Next / Close voting / a jump to any question for admins. `update(state)` takes
 *  a poll or results object (both carry `current_question` and `voting_open`). */
function pacingPanel(poll) {
  const total = poll.questions.length;
  let current = poll.current_question ?? null;
  let votingOpen = Boolean(poll.voting_open);
  let pollOpen = poll.is_open;
  const now = el("p", { class: "pacing-now", id: "pacing-now", role: "status" });
  const error = el("div", { class: "status" });
  const put = async (position, open) => {
    error.replaceChildren();
    try {
      update(
        (await api(`/api/admin/polls/${poll.id}/current`, { method: "PUT", body: { position, voting_open: open } }))
          .data,
      );
    } catch (failure) {
      showError(error, failure);
    }
  };
  const button = (label, attributes) => el("button", { type: "button", class: "secondary", ...attributes }, label);
  const previous = button("← Previous", { id: "pacing-previous", onclick: () => put(current - 1, true) });
  const next = button("Next →", { id: "pacing-next", onclick: () => put(current === null ? 0 : current + 1, true) });
  const voting = button("Close voting", { id: "pacing-voting", onclick: () => put(current, !votingOpen) });
  const waiting = button("Waiting screen", { id: "pacing-waiting", onclick: () => put(null, false) });
  const rows = poll.questions.map((question, index) => {
    const state = el("span", { class: "pacing-state" });
    const show = isAdmin()
      ? button("Show", {
          class: "small secondary",
          "aria-label": `Show question ${index + 1}`,
          onclick: () => put(index, true),
        })
      : null;
    const item = el(
      "li",
      { dataset: { position: String(index) } },
      el("span", { class: "pacing-question" }, kindTag(question.kind), " ", question.text),
      state,
      show,
    );
    return { item, state, show };
  });
  const render = () => {
    let text =
      current === null
        ? "Waiting screen: no question is shown."
        : `Showing question ${current + 1} of ${total}: “${poll.questions[current]?.text ?? ""}” — voting ${votingOpen ? "open" : "closed"}.`;
    if (!pollOpen) text += " The poll is closed: nobody can answer until it opens.";
    // The same text again would be read out again at every vote.
    if (now.textContent !== text) now.textContent = text;
    previous.disabled = current === null || current === 0;
    next.disabled = current !== null && current >= total - 1;
    voting.disabled = current === null;
    voting.textContent = votingOpen ? "Close voting" : "Open voting";
    waiting.disabled = current === null;
    rows.forEach(({ item, state, show }, index) => {
      const isCurrent = index === current;
      if (isCurrent) item.setAttribute("aria-current", "step");
      else item.removeAttribute("aria-current");
      state.textContent = isCurrent ? `Now showing · voting ${votingOpen ? "open" : "closed"}` : "";
      if (show) show.disabled = isCurrent && votingOpen;
    });
  };
  function update(state) {
    if ("current_question" in state) {
      current = state.current_question ?? null;
      votingOpen = Boolean(state.voting_open);
    }
    if ("is_open" in state) pollOpen = state.is_open;
    render();
  }
  render();
  const element = el(
    "section",
    { class: "panel pacing", id: "pacing", "aria-labelledby": "pacing-title" },
    el("h2", { id: "pacing-title" }, "Presenter pacing"),
    el(
      "p",
      { class: "note" },
      isAdmin()
        ? "Phones and the presenter view follow these controls at once: only the question shown takes answers, while its voting is open."
        : "Read-only: admins move the room from question to question.",
    ),
    now,
    isAdmin()
      ? el("div", { class: "actions", role: "group", "aria-label": "Pacing" }, previous, next, voting, waiting)
      : null,
    isAdmin() ? error : null,
    el(
      "ol",
      { class: "pacing-list", "aria-label": "Questions of this poll" },
      rows.map((r) => r.item),
    ),
  );
  return { element, update };
}

/** The scales a scale question may use. */
const SCALES = [
  [1, 5],
  [1, 7],
  [0, 10],
];
const MIN_OPTIONS = 2;
const MAX_OPTIONS = 12;
/** A question's key in the poll: a catalog question keeps its var_name; the presenter's own
 *  questions are `q` + their 1-based place, so their keys follow the order. */
const keyOf = (item, index) => (item.kind === "catalog" ? item.question.var_name : `q${index + 1}`);

let lastItemNumber = 0;
/** A question being built: its kind's fields, and an id for its form controls that survives
 *  reordering (focus and error messages follow the question, not its place). */
function builderItem(kind, fields = {}) {
  const defaults = {
    catalog: {},
    choice: { text: "", options: ["", ""], maxChoices: 1 },
    scale: { text: "", min: 1, max: 5, minLabel: "", maxLabel: "" },
    words: { text: "" },
  }[kind];
  lastItemNumber += 1;
  return { id: `item-${lastItemNumber}`, kind, hidden: false, ...defaults, ...fields };
}

/** A builder item from one question of a saved poll (editing it). */
function itemFromQuestion(question, catalogByName) {
  const kind = question.kind ?? "catalog";
  const hidden = Boolean(question.results_hidden);
  if (kind === "choice")
    return builderItem("choice", {
      hidden,
      text: question.text,
      options: question.responses.map((r) => r.response),
      maxChoices: question.max_choices ?? 1,
    });
  if (kind === "scale") {
    const scale = question.scale ?? {};
    return builderItem("scale", {
      hidden,
      text: question.text,
      min: scale.min ?? 1,
      max: scale.max ?? 5,
      minLabel: scale.min_label ?? "",
      maxLabel: scale.max_label ?? "",
    });
  }
  if (kind === "words") return builderItem("words", { hidden, text: question.text });
  // A catalog question offers responses by their index in the catalog's list.
  let entry = catalogByName.get(question.var_name);
  if (!entry) {
    const responses = [];
    for (const r of question.responses) responses[r.index] = r.response;
    entry = { ...question, responses: Array.from(responses, (r) => r ?? "") };
  }
  return builderItem("catalog", { hidden, question: entry, offered: new Set(question.responses.map((r) => r.index)) });
}

/** One question as the api takes it. */
function questionBody(item) {
  const common = { kind: item.kind, results_hidden: Boolean(item.hidden) };
  if (item.kind === "catalog")
    return {
      ...common,
      var_name: item.question.var_name,
      // Every response offered: null, so the poll follows the catalog's list.
      response_indices:
        item.offered.size === item.question.responses.length ? null : [...item.offered].sort((a, b) => a - b),
    };
  if (item.kind === "choice")
    return {
      ...common,
      text: item.text.trim(),
      options: item.options.map((o) => o.trim()),
      max_choices: item.maxChoices,
    };
  if (item.kind === "scale")
    return {
      ...common,
      text: item.text.trim(),
      min: item.min,
      max: item.max,
      min_label: item.minLabel.trim(),
      max_label: item.maxLabel.trim(),
    };
  return { ...common, text: item.text.trim() };
}

/** What the builder calls a question's fields, for the api's messages that start with their path. */
const FIELD_NAMES = {
  text: "The question text",
  options: "The options",
  max_choices: "Answers per participant",
  min: "The scale",
  max: "The scale",
  min_label: "The label at the low end",
  max_label: "The label at the high end",
  response_indices: "The offered responses",
};
/** An api message about a question's field, said next to that field: "questions[0].options[1]
 *  must not be empty" → "Option 2 must not be empty" (people count from 1, and see which question). */
function fieldMessage(error) {
  const field = error.field ?? "";
  if (!field.startsWith("questions[") || !error.message.startsWith(field)) return error.message;
  const part = field.replace(/^questions\[\d+\]\.?/, "");
  const option = part.match(/^options\[(\d+)\]$/);
  const name = option ? `Option ${Number(option[1]) + 1}` : part ? (FIELD_NAMES[part] ?? part) : "This question";
  return `${name}${error.message.slice(field.length)}`;
}

async function editView(id) {
  if (!isAdmin()) {
    dom.view.replaceChildren(el("section", { class: "panel" }, el("p", {}, "Only admins edit polls.")));
    return;
  }
  const at = navigation;
  const poll = (await api(`/api/admin/polls/${id}`)).data;
  if (at === navigation) await builderView(poll);
}

/** The poll builder: a new poll, or `poll` to edit (until it opens or has answers). */
async function builderView(poll = null) {
  if (!isAdmin()) {
    dom.view.replaceChildren(el("section", { class: "panel" }, el("p", {}, "Only admins create polls.")));
    return;
  }
  const at = navigation;
  const catalog = flattenCatalog((await api("/api/batteries")).data);
  if (at !== navigation) return;
  const catalogByName = new Map(catalog.map((q) => [q.var_name, q]));
  const items = poll ? poll.questions.map((q) => itemFromQuestion(q, catalogByName)) : [];
  let splitItem = poll?.split_by ? (items.find((item, i) => keyOf(item, i) === poll.split_by) ?? null) : null;
  let splitOptions = new Map(); // item → its <option> in the split select
  const errors = {}; // the form's own fields' error messages, by the api's field name
  let itemErrors = new Map(); // "questions[i].field" → error message, redrawn with the list
  const errorFor = (name) => (errors[name] = el("p", { class: "field-error", id: `${name}-error`, role: "alert" }));
  const title = el("input", {
    type: "text",
    id: "poll-title",
    required: true,
    value: poll?.title ?? "",
    "aria-describedby": "title-error",
  });
  const description = el(
    "textarea",
    { id: "poll-description", "aria-describedby": "description-error" },
    poll?.description ?? "",
  );
  const search = el("input", {
    type: "search",
    id: "catalog-search",
    placeholder: "Search questions…",
    autocomplete: "off",
  });
  const list = el("div", { class: "catalog-list", role: "region", "aria-label": "Catalog questions", tabindex: "0" });
  const chosenList = el("ol", { class: "chosen", "aria-label": "Questions in this poll" });
  const split = el("select", { id: "poll-split", "aria-describedby": "split-help split_by-error" });
  const formError = el("div", { class: "status" });
  // Says what a click on Add, Move or Remove did, for those who cannot see the list change.
  const announcer = el("p", { class: "visually-hidden", role: "status" });
  const pacingChoice = (value, label, help) =>
    el(
      "label",
      { class: "radio-choice" },
      el("input", {
        type: "radio",
        name: "pacing",
        value,
        checked: (poll?.pacing ?? "all_at_once") === value,
        "aria-describedby": `pacing-${value}-help pacing-error`,
      }),
      el("span", {}, label, el("span", { class: "note", id: `pacing-${value}-help` }, help)),
    );

  const fillCatalog = () => {
    const matches = searchCatalog(catalog, search.value);
    const groups = Map.groupBy(matches, (q) => q.group);
    list.replaceChildren(
      ...[...groups].map(([group, questions]) =>
        el(
          "div",
          {},
          el("h4", {}, group),
          questions.map((q) =>
            el(
              "div",
              { class: "catalog-item" },
              el("span", {}, q.short_text ?? q.text, " ", el("code", {}, q.var_name)),
              el(
                "button",
                {
                  type: "button",
                  class: "small secondary",
                  disabled: items.some((item) => item.kind === "catalog" && item.question.var_name === q.var_name),
                  "aria-label": `Add ${q.var_name}`,
                  onclick: () => {
                    add(builderItem("catalog", { question: q, offered: new Set(q.responses.map((_, i) => i)) }));
                    // The catalog is redrawn (this button is now disabled): keep the keyboard in the search.
                    search.focus();
                  },
                },
                "Add",
              ),
            ),
          ),
        ),
      ),
    );
    if (!matches.length) list.append(el("p", { class: "empty", style: "padding:0.5rem" }, "No question matches."));
  };
  const add = (item) => {
    items.push(item);
    announcer.textContent = `Added question ${items.length}.`;
    refresh({ focus: item.kind === "catalog" ? null : `${item.id}-text` });
  };
  const move = (index, by, focus) => {
    const [item] = items.splice(index, 1);
    items.splice(index + by, 0, item);
    announcer.textContent = `Moved to place ${index + by + 1} of ${items.length}.`;
    refresh({ focus });
  };
  const splitLabel = (item, index) =>
    item.kind === "catalog"
      ? `${item.question.short_text ?? item.question.text} (${item.question.var_name})`
      : `${item.text.trim() || `Question ${index + 1}`} (${keyOf(item, index)})`;

  /** One question of the poll: its place, kind and key, move/remove, and its kind's fields. */
  const renderItem = (item, index) => {
    const key = keyOf(item, index);
    const id = (part) => `${item.id}-${part}`;
    const slots = {};
    /** The error message of a part of this question, found by the api's names for its fields. */
    const slot = (part, ...fields) => {
      slots[part] = el("p", { class: "field-error", id: id(`${part}-error`), role: "alert" });
      for (const field of fields) itemErrors.set(`questions[${index}]${field}`, slots[part]);
      return slots[part];
    };
    const smallButton = (label, attributes) =>
      el("button", { type: "button", class: "small secondary", ...attributes }, label);
    const head = el(
      "div",
      { class: "row" },
      el(
        "span",
        { id: id("title") },
        el("strong", {}, `${index + 1}. `),
        kindTag(item.kind),
        " ",
        item.kind === "catalog" ? [item.question.text, " "] : null,
        el("code", {}, key),
      ),
      el(
        "span",
        { class: "actions" },
        smallButton("↑", {
          id: id("up"),
          disabled: index === 0,
          "aria-label": `Move ${key} up`,
          onclick: () => move(index, -1, [id("up"), id("down")]),
        }),
        smallButton("↓", {
          id: id("down"),
          disabled: index === items.length - 1,
          "aria-label": `Move ${key} down`,
          onclick: () => move(index, 1, [id("down"), id("up")]),
        }),
        smallButton("Remove", {
          id: id("remove"),
          "aria-label": `Remove ${key}`,
          onclick: () => {
            items.splice(index, 1);
            announcer.textContent = `Removed question ${index + 1}.`;
            const neighbour = items[index] ?? items[index - 1];
            refresh({ focus: neighbour ? `${neighbour.id}-remove` : "catalog-search" });
          },
        }),
      ),
    );
    const hideResults = el(
      "label",
      { class: "hide-results" },
      el("input", {
        type: "checkbox",
        checked: item.hidden,
        "data-hide-results": key,
        onchange: (event) => {
          item.hidden = event.target.checked;
        },
      }),
      "Hide results until revealed",
    );
    const textField = () =>
      el(
        "div",
        { class: "field" },
        el("label", { for: id("text") }, "Question text"),
        el("input", {
          type: "text",
          id: id("text"),
          value: item.text,
          "aria-describedby": id("text-error"),
          oninput: (event) => {
            item.text = event.target.value;
            slots.text.replaceChildren();
            const option = splitOptions.get(item);
            if (option) option.textContent = splitLabel(item, index);
          },
        }),
        slot("text", ".text"),
      );
    /** A text input whose message is `errorPart`'s (an option's is the options' message). */
    const textInput = (part, value, onValue, errorPart = part) =>
      el("input", {
        type: "text",
        id: id(part),
        value,
        "aria-describedby": id(`${errorPart}-error`),
        oninput: (event) => {
          onValue(event.target.value);
          slots[errorPart]?.replaceChildren();
        },
      });
    let body;
    if (item.kind === "catalog") {
      body = [
        el(
          "fieldset",
          { class: "offered", "aria-describedby": id("offered-error") },
          el("legend", { class: "visually-hidden" }, `Responses offered for ${key}`),
          item.question.responses.map((response, i) =>
            el(
              "label",
              {},
              el("input", {
                type: "checkbox",
                checked: item.offered.has(i),
                onchange: (event) => {
                  if (event.target.checked) item.offered.add(i);
                  else item.offered.delete(i);
                  slots.offered.replaceChildren();
                },
              }),
              response,
            ),
          ),
        ),
        slot("offered", ".response_indices"),
      ];
    } else if (item.kind === "choice") {
      const options = el(
        "ol",
        { class: "option-list" },
        item.options.map((value, i) =>
          el(
            "li",
            {},
            el("label", { for: id(`option-${i}`) }, `Option ${i + 1}`),
            textInput(
              `option-${i}`,
              value,
              (text) => {
                item.options[i] = text;
              },
              "options",
            ),
            smallButton("Remove", {
              id: id(`remove-option-${i}`),
              disabled: item.options.length <= MIN_OPTIONS,
              "aria-label": `Remove option ${i + 1} of ${key}`,
              onclick: () => {
                item.options.splice(i, 1);
                item.maxChoices = Math.min(item.maxChoices, item.options.length);
                refresh({ focus: [id(`option-${Math.max(0, i - 1)}`)] });
              },
            }),
          ),
        ),
      );
      body = [
        textField(),
        el(
          "fieldset",
          { class: "field options" },
          el("legend", {}, `Options (${MIN_OPTIONS} to ${MAX_OPTIONS})`),
          options,
          smallButton("+ Add option", {
            id: id("add-option"),
            disabled: item.options.length >= MAX_OPTIONS,
            onclick: () => {
              item.options.push("");
              refresh({ focus: id(`option-${item.options.length - 1}`) });
            },
          }),
          slot("options", ".options"),
        ),
        el(
          "div",
          { class: "field" },
          el("label", { for: id("max-choices") }, "Answers per participant"),
          el(
            "select",
            {
              id: id("max-choices"),
              "aria-describedby": id("max-choices-error"),
              onchange: (event) => {
                item.maxChoices = Number(event.target.value);
                slots["max-choices"].replaceChildren();
              },
            },
            item.options.map((_, i) =>
              el(
                "option",
                { value: String(i + 1), selected: item.maxChoices === i + 1 },
                i === 0 ? "One answer" : `Up to ${i + 1} answers`,
              ),
            ),
          ),
          slot("max-choices", ".max_choices"),
        ),
      ];
    } else if (item.kind === "scale") {
      body = [
        textField(),
        el(
          "div",
          { class: "scale-fields" },
          el(
            "div",
            { class: "field" },
            el("label", { for: id("range") }, "Scale"),
            el(
              "select",
              {
                id: id("range"),
                "aria-describedby": id("range-error"),
                onchange: (event) => {
                  [item.min, item.max] = event.target.value.split("-").map(Number);
                  // The end labels' names show the new ends.
                  refresh({ focus: id("range") });
                },
              },
              SCALES.map(([min, max]) =>
                el(
                  "option",
                  { value: `${min}-${max}`, selected: item.min === min && item.max === max },
                  `${min} to ${max}`,
                ),
              ),
            ),
            slot("range", ".min", ".max"),
          ),
          el(
            "div",
            { class: "field" },
            el("label", { for: id("min-label") }, `Label at ${item.min}`),
            textInput("min-label", item.minLabel, (text) => {
              item.minLabel = text;
            }),
            slot("min-label", ".min_label"),
          ),
          el(
            "div",
            { class: "field" },
            el("label", { for: id("max-label") }, `Label at ${item.max}`),
            textInput("max-label", item.maxLabel, (text) => {
              item.maxLabel = text;
            }),
            slot("max-label", ".max_label"),
          ),
        ),
      ];
    } else {
      body = [
        textField(),
        el(
          "p",
          { class: "note" },
          "Each participant gives up to 3 words or short phrases (40 characters each), shown as a word cloud with a ranked table. A words question cannot split the results.",
        ),
      ];
    }
    // A group named by the question's place, kind and key: its fields' labels repeat from question
    // to question ("Question text"), so screen readers say which question they are in.
    return el(
      "li",
      { dataset: { question: key, kind: item.kind } },
      el(
        "div",
        { role: "group", "aria-labelledby": id("title") },
        head,
        body,
        hideResults,
        slot("item", "", ".kind", ".var_name"),
      ),
    );
  };

  const refresh = ({ focus } = {}) => {
    fillCatalog();
    if (!items.includes(splitItem)) splitItem = null;
    // Own questions' keys follow their places: the split names the question, whatever its key now.
    splitOptions = new Map();
    split.replaceChildren(
      el("option", { value: "" }, "No split"),
      ...items.flatMap((item, index) => {
        if (item.kind === "words") return [];
        const option = el(
          "option",
          { value: keyOf(item, index), selected: item === splitItem },
          splitLabel(item, index),
        );
        splitOptions.set(item, option);
        return [option];
      }),
    );
    itemErrors = new Map();
    chosenList.replaceChildren(...items.map(renderItem));
    if (!items.length)
      chosenList.append(el("li", { class: "empty" }, "No questions yet: write your own or add them from the catalog."));
    const target = [focus]
      .flat()
      .filter(Boolean)
      .map((id) => document.getElementById(id))
      .find((node) => node && !node.disabled);
    target?.focus();
  };
  /** The error message for a field the api named (`questions[1].options[2]` falls back to
   *  `questions[1].options`, then `questions[1]`, then `questions`). */
  const errorSlot = (field) => {
    let name = field ?? "";
    while (name) {
      const node = errors[name] ?? itemErrors.get(name);
      if (node) return node;
      const shorter = name.replace(/(\.\w+|\[\d+\])$/, "");
      if (shorter === name) return null;
      name = shorter;
    }
    return null;
  };
  search.addEventListener("input", fillCatalog);
  // A field's error goes away as soon as the field is edited.
  title.addEventListener("input", () => errors.title.replaceChildren());
  description.addEventListener("input", () => errors.description.replaceChildren());
  split.addEventListener("change", () => {
    errors.split_by.replaceChildren();
    splitItem = [...splitOptions].find(([, option]) => option.selected)?.[0] ?? null;
  });

  const locked = poll?.is_open
    ? "This poll is open: close it (and reset its answers) before changing it — saving now will be refused."
    : poll?.respondents > 0
      ? "This poll has answers: reset them before changing it — saving now will be refused."
      : null;
  const form = panelForm(
    "builder-title",
    poll ? `Edit “${poll.title}”` : "New poll",
    locked ? el("p", { class: "closed-banner" }, locked) : null,
    el(
      "div",
      { class: "form-grid" },
      el("div", { class: "field" }, el("label", { for: "poll-title" }, "Title"), title, errorFor("title")),
      el(
        "div",
        { class: "field" },
        el("label", { for: "poll-split" }, "Split results by"),
        split,
        el("p", { class: "note", id: "split-help" }, "A catalog, choice or scale question of this poll."),
        errorFor("split_by"),
      ),
    ),
    el(
      "div",
      { class: "field" },
      el("label", { for: "poll-description" }, "Description (shown to participants)"),
      description,
      errorFor("description"),
    ),
    el(
      "fieldset",
      { class: "field pacing-choice" },
      el("legend", {}, "Pacing"),
      pacingChoice("all_at_once", "All at once (one form)", "Participants answer every question on one form."),
      pacingChoice(
        "presenter",
        "Presenter-paced (one question at a time)",
        "You move the room from question to question; phones show only the current one.",
      ),
      errorFor("pacing"),
    ),
    el(
      "div",
      { class: "builder" },
      el(
        "div",
        {},
        el("h3", { id: "add-own-title" }, "Write your own question"),
        el(
          "div",
          { class: "add-own actions", role: "group", "aria-labelledby": "add-own-title" },
          el(
            "button",
            { type: "button", class: "small secondary", id: "add-choice", onclick: () => add(builderItem("choice")) },
            "+ Choice",
          ),
          el(
            "button",
            { type: "button", class: "small secondary", id: "add-scale", onclick: () => add(builderItem("scale")) },
            "+ Scale",
          ),
          el(
            "button",
            { type: "button", class: "small secondary", id: "add-words", onclick: () => add(builderItem("words")) },
            "+ Words",
          ),
        ),
        el("label", { for: "catalog-search", class: "catalog-label" }, "Or add from the BLW catalog"),
        search,
        list,
      ),
      el("div", {}, el("h3", {}, "Questions in this poll"), chosenList, errorFor("questions")),
    ),
    announcer,
    formError,
    el(
      "div",
      { class: "actions" },
      el("button", { type: "submit" }, poll ? "Save changes" : "Create poll"),
      el("a", { href: poll ? `/admin/polls/${poll.id}` : "/admin", class: "button secondary" }, "Cancel"),
    ),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const node of [...Object.values(errors), ...itemErrors.values()]) node.replaceChildren();
    formError.replaceChildren();
    const body = {
      title: title.value,
      description: description.value,
      pacing: form.querySelector("input[name=pacing]:checked")?.value ?? "all_at_once",
      questions: items.map(questionBody),
      split_by: splitItem ? keyOf(splitItem, items.indexOf(splitItem)) : null,
    };
    try {
      if (poll) {
        await api(`/api/admin/polls/${poll.id}`, { method: "PUT", body });
        flash = "Changes saved.";
        go(`/admin/polls/${poll.id}`);
      } else {
        go(`/admin/polls/${(await api("/api/admin/polls", { method: "POST", body })).data.id}`);
      }
    } catch (error) {
      const slot = errorSlot(error.field);
      if (!slot) return showError(formError, error);
      slot.textContent = fieldMessage(error);
      // To the field at fault: of several sharing the message (options), the first left empty.
      const fields = [...form.querySelectorAll(`[aria-describedby~="${slot.id}"]`)];
      (fields.find((field) => field.tagName === "INPUT" && !field.value.trim()) ?? fields[0])?.focus();
    }
  });
  refresh();
  dom.view.replaceChildren(form);
}

async function accountsView(done) {
  if (!isAdmin()) {
    dom.view.replaceChildren(el("section", { class: "panel" }, el("p", {}, "Only admins manage accounts.")));
    return;
  }
  const at = navigation;
  const accounts = (await api("/api/admin/accounts")).data;
  if (at !== navigation) return;
  const rowError = el(
    "div",
    { class: "status", "aria-live": "polite" },
    done ? el("p", { class: "confirmation", role: "status" }, done) : null,
  );
  const patch = async (account, body, done) => {
    try {
      await api(`/api/admin/accounts/${account.id}`, { method: "PATCH", body });
      await accountsView(done);
    } catch (error) {
      showError(rowError, error);
    }
  };
  const table = denseTable(
    ["Email", "Name", "Role", "Status", "Last login", "Actions"],
    accounts.map((account) =>
      el(
        "tr",
        { dataset: { account: account.email } },
        el("th", { scope: "row" }, account.email),
        el("td", {}, account.name),
        el(
          "td",
          {},
          el(
            "select",
            {
              "aria-label": `Role of ${account.email}`,
              onchange: (event) => patch(account, { role: event.target.value }),
            },
            ["admin", "analyst"].map((role) => el("option", { value: role, selected: role === account.role }, role)),
          ),
        ),
        el("td", {}, account.is_active ? "Active" : "Deactivated"),
        el("td", {}, account.last_login_at ? dateTime(account.last_login_at) : "never"),
        el(
          "td",
          {},
          el(
            "div",
            { class: "actions" },
            el(
              "button",
              {
                type: "button",
                class: "small secondary",
                onclick: () => patch(account, { is_active: !account.is_active }),
              },
              account.is_active ? "Deactivate" : "Reactivate",
            ),
            el(
              "button",
              {
                type: "button",
                class: "small secondary",
                onclick: async () => {
                  const password = await passwordDialog(account);
                  if (password !== null)
                    await patch(
                      account,
                      { password },
                      `New password set for ${account.email}; its sessions have ended.`,
                    );
                },
              },
              "Set password",
            ),
          ),
        ),
      ),
    ),
  );

  const fields = { email: "Email", name: "Name", password: "Password (10+ characters)" };
  const inputs = {};
  const errors = {};
  const formError = el("div", { class: "status" });
  const role = el(
    "select",
    { id: "new-role" },
    el("option", { value: "analyst" }, "analyst"),
    el("option", { value: "admin" }, "admin"),
  );
  const form = panelForm(
    "new-account-title",
    "New account",
    el(
      "div",
      { class: "form-grid" },
      Object.entries(fields).map(([name, label]) => {
        inputs[name] = el("input", {
          id: `new-${name}`,
          type: name === "password" ? "password" : name === "email" ? "email" : "text",
          autocomplete: name === "password" ? "new-password" : "off",
          "aria-describedby": `new-${name}-error`,
        });
        errors[name] = el("p", { class: "field-error", id: `new-${name}-error` });
        return el("div", { class: "field" }, el("label", { for: `new-${name}` }, label), inputs[name], errors[name]);
      }),
      el("div", { class: "field" }, el("label", { for: "new-role" }, "Role"), role),
    ),
    formError,
    el("button", { type: "submit" }, "Create account"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const e of Object.values(errors)) e.replaceChildren();
    formError.replaceChildren();
    try {
      await api("/api/admin/accounts", {
        method: "POST",
        body: { email: inputs.email.value, name: inputs.name.value, password: inputs.password.value, role: role.value },
      });
      await accountsView();
    } catch (error) {
      if (errors[error.field]) errors[error.field].textContent = error.message;
      else showError(formError, error);
    }
  });
  dom.view.replaceChildren(
    el("section", { class: "panel" }, el("h2", {}, "Accounts"), rowError, el("div", { class: "table-wrap" }, table)),
    form,
  );
}

// Links inside the console change the view without reloading the page.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[href^='/admin']");
  if (!link || link.target || link.hasAttribute("download") || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  go(link.getAttribute("href"));
});
dom.logout.addEventListener("click", async () => {
  try {
    await api("/api/auth/logout", { method: "POST" });
  } finally {
    user = null;
    go("/admin");
  }
});
window.addEventListener("popstate", route);
route();
