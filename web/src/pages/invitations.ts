// The invitations box of the members page: a link that lets one person
// create an account and join the current project with a role, and the
// open invitations, which can be withdrawn.

import { api, errorMessage, isUnauthorized } from "../api";
import { copyButton } from "../clipboard";
import { clear, h } from "../dom";
import type { Invite, Role } from "../types";
import type { Ctx } from "../view";

const ROLES: Role[] = ["viewer", "developer", "admin"];

export function invitationsBox(ctx: Ctx): HTMLElement {
  const role = h("select", { name: "invite-role", "aria-label": "Role" }, ROLES.map((r) => h("option", { value: r }, r)));
  const email = h("input", { type: "email", name: "invite-email", placeholder: "name@example.com (optional)", "aria-label": "Email" });
  const create = h("button", { class: "btn", type: "submit" }, "Create invitation link");
  const form = h("form", { class: "member-form invite-form" }, role, email, create);
  const link = h("div", { class: "wh-secret", hidden: true });
  const msg = h("p", { class: "form-error", role: "alert", hidden: true });
  const list = h("ul", { class: "invites" });
  const box = h(
    "section",
    { id: "invitations", class: "invitations" },
    h("h2", null, "Invite someone new"),
    h("p", { class: "muted small" }, `A link that works once, for 7 days: whoever opens it chooses a username and a password and joins ${ctx.me.project.name} with the role.`),
    form,
    msg,
    link,
    list,
  );

  function fail(err: unknown, what: string): void {
    if (isUnauthorized(err)) return ctx.unauthorized();
    msg.textContent = `${what}: ${errorMessage(err)}`;
    msg.hidden = false;
  }

  async function load(): Promise<void> {
    let invites: Invite[];
    try {
      invites = (await api.invites()).invites;
    } catch (err) {
      return fail(err, "Could not load the invitations");
    }
    clear(list);
    for (const inv of invites) {
      const withdraw = h("button", { class: "btn btn-small btn-ghost", type: "button" }, "Withdraw");
      withdraw.addEventListener("click", () => {
        api.deleteInvite(inv.id).then(() => void load(), (err) => fail(err, "Could not withdraw the invitation"));
      });
      list.append(h("li", null, `Open invitation${inv.email ? " for " + inv.email : ""} as ${inv.role}, until ${new Date(inv.expiresAt).toLocaleString()} `, withdraw));
    }
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    msg.hidden = true;
    create.disabled = true;
    api.createInvite(role.value, email.value.trim()).then(
      (got) => {
        clear(link);
        const copy = h("button", { class: "btn btn-small", type: "button" }, "Copy");
        copyButton(copy, () => got.url);
        const done = h("button", { class: "btn btn-small btn-ghost", type: "button", onclick: () => { link.hidden = true; } }, "Done");
        link.append(
          h("div", null, h("strong", null, `Invitation as ${got.invite.role}${got.invite.email ? " for " + got.invite.email : ""}`)),
          h("div", { class: "install-row" }, h("code", { class: "install-key invite-link" }, got.url), copy, done),
          h("p", { class: "muted small" }, "Send this link to the person: it is shown only now, and works once."),
        );
        link.hidden = false;
        email.value = "";
        void load();
      },
      (err) => fail(err, "Could not create the invitation"),
    ).finally(() => {
      create.disabled = false;
    });
  });

  void load();
  return box;
}
