// People (owners only): every account, with a new password and disabling
// for each, and invitations by link to a project with a role.

import { api, errorMessage, isUnauthorized } from "../api";
import { copyButton } from "../clipboard";
import { clear, h } from "../dom";
import { appHeader } from "../shell";
import type { Account, Invite } from "../types";
import type { Ctx, View } from "../view";

const ROLES = ["viewer", "developer", "admin"] as const;

export function usersView(ctx: Ctx): View {
  let destroyed = false;
  const tbody = h("tbody");
  const table = h(
    "table",
    { class: "sessions users" },
    h("thead", null, h("tr", null, h("th", null, "Username"), h("th", null, "Email"), h("th", null, "Signs in with"), h("th", null, "State"), h("th", null, ""))),
    tbody,
  );
  const status = h("div", { class: "list-status" }, "Loading…");
  const notice = h("div", { class: "wh-secret", hidden: true });

  // Inviting: a project, a role, an address; the link is shown once.
  const projects = ctx.me.projects.filter((p) => p.role === "admin");
  const projectSel = h("select", { name: "project", "aria-label": "Project" }, projects.map((p) => h("option", { value: String(p.project.id) }, p.project.name)));
  const roleSel = h("select", { name: "role", "aria-label": "Role" }, ROLES.map((r) => h("option", { value: r }, r)));
  const email = h("input", { type: "email", name: "email", placeholder: "name@example.com (optional)", "aria-label": "Email" });
  const inviteBtn = h("button", { class: "btn", type: "submit" }, "Create invitation link");
  const inviteForm = h("form", { class: "wh-form invite-form" }, projectSel, roleSel, email, inviteBtn);
  const invites = h("ul", { class: "invites" });
  inviteForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void invite();
  });
  projectSel.addEventListener("change", () => void loadInvites());

  const el = h(
    "div",
    { class: "page" },
    appHeader(ctx),
    h(
      "main",
      { class: "content" },
      h("div", { class: "list-head" }, h("h1", null, "People")),
      h("h2", null, "Invite someone"),
      h("p", { class: "muted" }, "An invitation is a link that works once, for 7 days: whoever opens it chooses a username and a password and joins the project with the role."),
      inviteForm,
      notice,
      invites,
      h("h2", null, "Accounts"),
      table,
      status,
    ),
  );

  function fail(err: unknown, what: string): void {
    if (isUnauthorized(err)) return ctx.unauthorized();
    status.textContent = `${what}: ${errorMessage(err)}`;
    status.classList.add("error");
    status.hidden = false;
  }

  function show(title: string, secret: string, hint: string): void {
    clear(notice);
    const copy = h("button", { class: "btn btn-small", type: "button" }, "Copy");
    copyButton(copy, () => secret);
    const done = h("button", { class: "btn btn-small btn-ghost", type: "button", onclick: () => { notice.hidden = true; } }, "Done");
    notice.append(h("div", null, h("strong", null, title)), h("div", { class: "install-row" }, h("code", { class: "install-key secret-value" }, secret), copy, done), h("p", { class: "muted small" }, hint));
    notice.hidden = false;
  }

  async function invite(): Promise<void> {
    inviteBtn.disabled = true;
    try {
      const got = await api.createInvite(Number(projectSel.value), roleSel.value, email.value.trim());
      show(`Invitation to ${projectSel.selectedOptions[0]?.textContent ?? ""} as ${roleSel.value}`, got.url, "Send this link to the person: it is shown only now, and works once.");
      email.value = "";
      await loadInvites();
    } catch (err) {
      fail(err, "Could not create the invitation");
    } finally {
      inviteBtn.disabled = false;
    }
  }

  async function loadInvites(): Promise<void> {
    let list: Invite[];
    try {
      list = (await api.invites(Number(projectSel.value))).invites;
    } catch (err) {
      return fail(err, "Could not load the invitations");
    }
    if (destroyed) return;
    clear(invites);
    for (const inv of list) {
      const withdraw = h("button", { class: "btn btn-small btn-ghost", type: "button" }, "Withdraw");
      withdraw.addEventListener("click", async () => {
        try {
          await api.deleteInvite(inv.projectId, inv.id);
          await loadInvites();
        } catch (err) {
          fail(err, "Could not withdraw the invitation");
        }
      });
      invites.append(h("li", null, `Open invitation${inv.email ? " for " + inv.email : ""} as ${inv.role}, until ${new Date(inv.expiresAt).toLocaleString()} `, withdraw));
    }
  }

  function row(u: Account): HTMLElement {
    const reset = h("button", { class: "btn btn-small btn-ghost", type: "button", disabled: !!u.sso }, "New password");
    reset.addEventListener("click", async () => {
      if (!confirm(`Give ${u.username} a new password? Every sign-in of theirs ends.`)) return;
      try {
        const got = await api.resetPassword(u.id);
        if (got.password) show(`New password for ${u.username}`, got.password, "Give it to them: it is shown only now. They can change it on their account page.");
      } catch (err) {
        fail(err, "Could not reset the password");
      }
    });
    const self = u.id === ctx.me.user.id;
    const toggle = h("button", { class: "btn btn-small btn-ghost", type: "button", disabled: self && !u.disabled }, u.disabled ? "Enable" : "Disable");
    toggle.addEventListener("click", async () => {
      if (!u.disabled && !confirm(`Disable ${u.username}? Their sign-ins end at once.`)) return;
      try {
        await api.setDisabled(u.id, !u.disabled);
        await load();
      } catch (err) {
        fail(err, "Could not change the account");
      }
    });
    return h(
      "tr",
      { class: u.disabled ? "disabled" : undefined },
      h("td", null, u.username, u.owner ? h("span", { class: "muted small" }, " owner") : null),
      h("td", null, u.email || "—"),
      h("td", null, u.sso ? "single sign-on" : "password"),
      h("td", null, u.disabled ? "disabled" : "active"),
      h("td", { class: "actions" }, reset, toggle),
    );
  }

  async function load(): Promise<void> {
    let list: Account[];
    try {
      list = (await api.users()).users;
    } catch (err) {
      return fail(err, "Could not load the accounts");
    }
    if (destroyed) return;
    clear(tbody);
    for (const u of list) tbody.append(row(u));
    status.hidden = true;
  }

  void load();
  void loadInvites();
  return {
    el,
    title: "People · Playhead",
    destroy: () => {
      destroyed = true;
    },
  };
}
