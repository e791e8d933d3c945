// People (owners only): every account, with a new password, owner or not,
// and disabling for each. Invitations are made on a project's members page.

import { api, errorMessage, isUnauthorized } from "../api";
import { copyButton } from "../clipboard";
import { clear, h } from "../dom";
import { appHeader } from "../shell";
import type { Account } from "../types";
import type { Ctx, View } from "../view";

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

  const el = h(
    "div",
    { class: "page" },
    appHeader(ctx),
    h(
      "main",
      { class: "content" },
      h("div", { class: "list-head" }, h("h1", null, "People")),
      h("p", { class: "muted" }, "Every account of this Playhead. New people are invited from a project's Members page."),
      notice,
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
    const ownerBtn = h("button", { class: "btn btn-small btn-ghost", type: "button", disabled: self && !!u.owner }, u.owner ? "Remove owner" : "Make owner");
    ownerBtn.addEventListener("click", async () => {
      if (!u.owner && !confirm(`Make ${u.username} an owner? Owners are admins of every project and manage every account.`)) return;
      try {
        await api.setOwner(u.id, !u.owner);
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
      h("td", { class: "actions" }, reset, ownerBtn, toggle),
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
  return {
    el,
    title: "People · Playhead",
    destroy: () => {
      destroyed = true;
    },
  };
}
