// The console's Accounts section (/admin/accounts): admins list the staff accounts, change their
// role, deactivate or reactivate them, set a new password, and make new accounts.
import { api, el, showError } from "../common.js";
import { dateTime, denseTable, dom, isAdmin, modal, panelForm, session } from "./shared.js";

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

/** The Accounts section (/admin/accounts, admins only): every account with its role, status and last
 *  login, to change; a form for a new one. `done` is said at the top (what the last change did). */
export async function accountsView(done) {
  if (!isAdmin()) {
    dom.view.replaceChildren(el("section", { class: "panel" }, el("p", {}, "Only admins manage accounts.")));
    return;
  }
  const at = session.navigation;
  const accounts = (await api("/api/admin/accounts")).data;
  if (at !== session.navigation) return;
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
