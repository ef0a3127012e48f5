// Admin console (/admin…): log in; list, build, edit, open, close, duplicate, reset, archive and
// delete polls; pace a presenter-paced poll; watch live results (hiding a question's results or a
// single word from the audience, letting through a word the blocklist caught) and the ballots' activity (voiding one client's scripted burst);
// manage accounts; browse the database's tables (the Data section, data-browser.js); watch the api
// fleet's live figures (the Operations section, operations.js). Analysts get the same views
// read-only. Every change goes through the api, which checks the role again: hiding a button is a
// courtesy, not the guard.
//
// This file, the page's script, is the console's router: the navigation (which asks before it leaves
// a screen's unsaved work, back and forward included), logging in and who is logged in, the flash
// message, and which screen draws the view of the address. Each screen is a
// file of this folder; what they share is shared.js.
import { api, el, showError } from "../common.js";
import { accountsView } from "./accounts.js";
import { builderView, editView } from "./builder.js";
import { dataView } from "./data-browser.js";
import { operationsView } from "./operations.js";
import { pollView } from "./poll-detail.js";
import { pollsView } from "./polls-list.js";
import { dom, go, isAdmin, leaveView, mayLeave, onLeave, session, setRouter } from "./shared.js";

/** The address of the view on screen: where the back button returns to when the admin stays. */
let shown = null;

async function route() {
  shown = location.pathname + location.search;
  session.navigation += 1;
  leaveView();
  const { flash } = session;
  dom.status.replaceChildren(...(flash ? [el("p", { class: "confirmation", role: "status" }, flash)] : []));
  session.flash = null;
  // Views with a title of their own (the Data and Operations sections') set it once drawn.
  document.title = "Admin — Bright Line Watch";
  if (!session.user) {
    try {
      session.user = (await api("/api/auth/session")).data.user;
    } catch (error) {
      return showError(dom.status, error);
    }
    if (!session.user) return loginView();
  }
  dom.nav.hidden = false;
  dom.whoami.textContent = `${session.user.name} (${session.user.role})`;
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
    else if (section === "operations") {
      const operations = operationsView({
        view: dom.view,
        onSessionEnd: () => {
          session.user = null;
          loginView("Your session has ended. Please log in again.");
        },
      });
      onLeave(() => operations.stop());
    } else await pollsView();
  } catch (error) {
    if (error.status === 401) {
      session.user = null;
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
      session.user = (
        await api("/api/auth/login", { method: "POST", body: { email: email.value, password: password.value } })
      ).data.user;
      route();
    } catch (failure) {
      showError(error, failure);
      password.select();
    }
  });
  dom.view.replaceChildren(form);
  email.focus();
}
// Links inside the console change the view without reloading the page.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[href^='/admin']");
  if (!link || link.target || link.hasAttribute("download") || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  go(link.getAttribute("href"));
});
dom.logout.addEventListener("click", async () => {
  if (!(await mayLeave())) return;
  try {
    await api("/api/auth/logout", { method: "POST" });
  } finally {
    session.user = null;
    go("/admin", { force: true });
  }
});
setRouter(route);
// Back and forward have moved the address already: an admin who stays with unsaved work gets the
// view's address back (as a new entry: history cannot be moved without another popstate).
window.addEventListener("popstate", async () => {
  if (await mayLeave()) return route();
  history.pushState(null, "", shown);
});
route();
