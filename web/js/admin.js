// Admin console (/admin…): log in; list, build, open, close and delete polls; watch their live
// results; manage accounts. Analysts get the same views read-only. Every change goes through the
// api, which checks the role again: hiding a button is a courtesy, not the guard.
import { api, el, flattenCatalog, integer, searchCatalog, showError } from "./common.js";
import { ResultsView, followResults, resultsVisibility } from "./poll-results.js";

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
const isAdmin = () => user?.role === "admin";
const dateTime = (iso) => new Date(iso).toLocaleString("en-US", { dateStyle: "medium", timeStyle: "short" });

function go(path) {
  history.pushState(null, "", path);
  route();
}

async function route() {
  stream?.close();
  stream = null;
  clearInterval(activityTimer);
  activityTimer = null;
  dom.status.replaceChildren();
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
  const section = path === "/admin/polls/new" ? "new" : path === "/admin/accounts" ? "accounts" : "polls";
  for (const link of dom.nav.querySelectorAll("a[data-section]")) {
    if (link.dataset.section === section && !/^\/admin\/polls\/\d+$/.test(path))
      link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  try {
    const pollMatch = path.match(/^\/admin\/polls\/(\d+)$/);
    if (pollMatch) await pollView(Number(pollMatch[1]));
    else if (section === "new") await builderView();
    else if (section === "accounts") await accountsView();
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

async function pollsView() {
  const polls = (await api("/api/admin/polls")).data;
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
      { dataset: { poll: poll.slug } },
      el("th", { scope: "row" }, el("a", { href: `/admin/polls/${poll.id}` }, poll.title)),
      el("td", {}, statusBadge(poll)),
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
      polls.length
        ? el(
            "div",
            { class: "table-wrap" },
            denseTable(["Title", "Status", "Respondents", "Created", "Actions"], rows, ["Respondents"]),
          )
        : el("p", { class: "empty" }, "No polls yet."),
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

/** For admins: a button that opens a closed poll or closes an open one, through `act`. */
function openCloseButton(poll, act, attributes, [openLabel, closeLabel]) {
  if (!isAdmin()) return null;
  const onclick = act(() => setOpen(poll, !poll.is_open));
  return el("button", { type: "button", ...attributes, onclick }, poll.is_open ? closeLabel : openLabel);
}

/** A dense table: a header row of `columns` (those in `numeric` right-aligned) over `rows`. */
function denseTable(columns, rows, numeric = []) {
  const header = columns.map((h) => el("th", { scope: "col", class: numeric.includes(h) ? "num" : null }, h));
  return el("table", { class: "dense" }, el("thead", {}, el("tr", {}, header)), el("tbody", {}, rows));
}

/** Ballots per minute, newest first, with a bar against the busiest minute: one script casting
 *  ballots shows as a flat, high run instead of a hall's waves. */
function activityRows(activity) {
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
  return [
    el("h3", {}, "Ballots per minute"),
    el("p", { class: "note" }, "The last 15 minutes, newest first; refreshed every 15 seconds."),
    denseTable(["Minute", "Ballots", ""], rows, ["Ballots"]),
  ];
}

async function pollView(id) {
  const poll = (await api(`/api/admin/polls/${id}`)).data;
  const resultsBox = el("div", { id: "poll-results" });
  const activityBox = el("section", { class: "panel", id: "poll-activity", "aria-label": "Ballots per minute" });
  const act = (fn) => async () => {
    try {
      if ((await fn()) !== false) await route();
    } catch (error) {
      showError(dom.status, error);
    }
  };
  dom.view.replaceChildren(
    el(
      "section",
      { class: "panel" },
      el("p", {}, el("a", { href: "/admin" }, "← All polls")),
      el("h2", {}, poll.title, " ", statusBadge(poll)),
      poll.description ? el("p", {}, poll.description) : null,
      el(
        "p",
        { class: "note" },
        `Created ${dateTime(poll.created_at)}${poll.created_by_name ? ` by ${poll.created_by_name}` : ""} · ${poll.questions.length} questions · split by ${poll.split_by ?? "nothing"} · participants join at `,
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
        isAdmin()
          ? el(
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
            )
          : null,
      ),
    ),
    el("section", { "aria-label": "Live results" }, resultsBox),
    activityBox,
  );
  const showActivity = async () => {
    try {
      activityBox.replaceChildren(...activityRows((await api(`/api/admin/polls/${poll.id}/activity`)).data));
    } catch (error) {
      showError(activityBox, error);
    }
  };
  await showActivity();
  activityTimer = setInterval(showActivity, 15_000);
  // Admins reveal or hide each question's results to the audience; everyone here sees them all.
  const onVisibility = isAdmin() ? resultsVisibility(poll.id, (error) => showError(dom.status, error)) : null;
  const view = new ResultsView(resultsBox, { questions: poll.questions, showGroups: true, onVisibility });
  stream = followResults(
    poll.slug,
    (results) => view.update(results),
    () => go("/admin"),
    () => view.lost(),
    { url: `/api/admin/polls/${poll.id}/results/stream` },
  );
}

async function builderView() {
  if (!isAdmin()) {
    dom.view.replaceChildren(el("section", { class: "panel" }, el("p", {}, "Only admins create polls.")));
    return;
  }
  const catalog = flattenCatalog((await api("/api/batteries")).data);
  const chosen = []; // { question, offered: Set of response indices }
  const errors = {};
  const errorFor = (name) => (errors[name] = el("p", { class: "field-error", id: `${name}-error`, role: "alert" }));
  const title = el("input", { type: "text", id: "poll-title", required: true, "aria-describedby": "title-error" });
  const description = el("textarea", { id: "poll-description", "aria-describedby": "description-error" });
  const search = el("input", {
    type: "search",
    id: "catalog-search",
    placeholder: "Search questions…",
    autocomplete: "off",
  });
  const list = el("div", { class: "catalog-list", role: "region", "aria-label": "Catalog questions", tabindex: "0" });
  const chosenList = el("ol", { class: "chosen", "aria-label": "Questions in this poll" });
  const split = el("select", { id: "poll-split", "aria-describedby": "split_by-error" });
  const formError = el("div", { class: "status" });

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
                  disabled: chosen.some((c) => c.question.var_name === q.var_name),
                  "aria-label": `Add ${q.var_name}`,
                  onclick: () => add(q),
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
  const add = (question) => {
    chosen.push({ question, offered: new Set(question.responses.map((_, i) => i)), hidden: false });
    refresh();
  };
  const move = (index, by) => {
    const [item] = chosen.splice(index, 1);
    chosen.splice(index + by, 0, item);
    refresh();
  };
  const refresh = () => {
    fillCatalog();
    const previous = split.value;
    split.replaceChildren(
      el("option", { value: "" }, "No split"),
      ...chosen.map((c) =>
        el(
          "option",
          { value: c.question.var_name, selected: c.question.var_name === previous },
          `${c.question.short_text ?? c.question.text} (${c.question.var_name})`,
        ),
      ),
    );
    chosenList.replaceChildren(
      ...chosen.map((item, index) =>
        el(
          "li",
          { dataset: { question: item.question.var_name } },
          el(
            "div",
            { class: "row" },
            el(
              "span",
              {},
              el("strong", {}, `${index + 1}. `),
              item.question.text,
              " ",
              el("code", {}, item.question.var_name),
            ),
            el(
              "span",
              { class: "actions" },
              el(
                "button",
                {
                  type: "button",
                  class: "small secondary",
                  disabled: index === 0,
                  "aria-label": `Move ${item.question.var_name} up`,
                  onclick: () => move(index, -1),
                },
                "↑",
              ),
              el(
                "button",
                {
                  type: "button",
                  class: "small secondary",
                  disabled: index === chosen.length - 1,
                  "aria-label": `Move ${item.question.var_name} down`,
                  onclick: () => move(index, 1),
                },
                "↓",
              ),
              el(
                "button",
                {
                  type: "button",
                  class: "small secondary",
                  "aria-label": `Remove ${item.question.var_name}`,
                  onclick: () => {
                    chosen.splice(index, 1);
                    refresh();
                  },
                },
                "Remove",
              ),
            ),
          ),
          el(
            "label",
            { class: "hide-results" },
            el("input", {
              type: "checkbox",
              checked: item.hidden,
              "data-hide-results": item.question.var_name,
              onchange: (event) => {
                item.hidden = event.target.checked;
              },
            }),
            "Hide results until revealed",
          ),
          el(
            "fieldset",
            { class: "offered" },
            el("legend", { class: "visually-hidden" }, `Responses offered for ${item.question.var_name}`),
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
                  },
                }),
                response,
              ),
            ),
          ),
        ),
      ),
    );
    if (!chosen.length) chosenList.append(el("li", { class: "empty" }, "Add questions from the catalog."));
  };
  search.addEventListener("input", fillCatalog);
  // A field's error goes away as soon as the field is edited.
  title.addEventListener("input", () => errors.title.replaceChildren());
  description.addEventListener("input", () => errors.description.replaceChildren());
  split.addEventListener("change", () => errors.split_by.replaceChildren());

  const form = panelForm(
    "builder-title",
    "New poll",
    el(
      "div",
      { class: "form-grid" },
      el("div", { class: "field" }, el("label", { for: "poll-title" }, "Title"), title, errorFor("title")),
      el(
        "div",
        { class: "field" },
        el("label", { for: "poll-split" }, "Split results by"),
        split,
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
      "div",
      { class: "builder" },
      el("div", {}, el("label", { for: "catalog-search", style: "font-weight:600" }, "Catalog"), search, list),
      el("div", {}, el("h3", {}, "Questions in this poll"), chosenList, errorFor("questions")),
    ),
    formError,
    el(
      "div",
      { class: "actions" },
      el("button", { type: "submit" }, "Create poll"),
      el("a", { href: "/admin", class: "button secondary" }, "Cancel"),
    ),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const e of Object.values(errors)) e.replaceChildren();
    formError.replaceChildren();
    const body = {
      title: title.value,
      description: description.value,
      questions: chosen.map((c) => ({
        var_name: c.question.var_name,
        response_indices: c.offered.size === c.question.responses.length ? null : [...c.offered].sort((a, b) => a - b),
        results_hidden: Boolean(c.hidden),
      })),
      split_by: split.value || null,
    };
    try {
      const poll = (await api("/api/admin/polls", { method: "POST", body })).data;
      go(`/admin/polls/${poll.id}`);
    } catch (error) {
      const field = (error.field ?? "").split(/[.[]/)[0];
      if (errors[field]) errors[field].textContent = error.message;
      else showError(formError, error);
    }
  });
  refresh();
  dom.view.replaceChildren(form);
}

/** `done`: what the last change did, said above the table. */
async function accountsView(done) {
  if (!isAdmin()) {
    dom.view.replaceChildren(el("section", { class: "panel" }, el("p", {}, "Only admins manage accounts.")));
    return;
  }
  const accounts = (await api("/api/admin/accounts")).data;
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
