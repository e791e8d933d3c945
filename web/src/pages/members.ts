// The project's members (admin): list, change a role, remove, and add a
// user who has an account. Owners are admins of every project and are
// listed as such. New people are invited by link (the invitations box).

import { api, errorMessage, isUnauthorized } from "../api";
import { clear, h } from "../dom";
import { appHeader } from "../shell";
import { invitationsBox } from "./invitations";
import type { Member, Role } from "../types";
import type { Ctx, View } from "../view";

const ROLES: [Role, string][] = [
  ["viewer", "Viewer: sessions and replays"],
  ["developer", "Developer: also settings, webhooks, keys and tokens"],
  ["admin", "Admin: also members, erasure and retention"],
];

function roleSelect(value: Role, disabled = false): HTMLSelectElement {
  return h("select", { class: "role-select", disabled }, ROLES.map(([r, label]) => h("option", { value: r, selected: r === value, title: label }, r)));
}

export function membersView(ctx: Ctx): View {
  let destroyed = false;
  const status = h("div", { class: "list-status" }, "Loading…");
  const msg = h("div", { class: "form-error", role: "alert", hidden: true });
  const tbody = h("tbody");
  const table = h("table", { class: "sessions members", hidden: true }, h("thead", null, h("tr", null, h("th", null, "User"), h("th", null, "Role"), h("th", null, ""))), tbody);
  const username = h("input", { type: "text", name: "username", placeholder: "username", required: true, spellcheck: "false" });
  const role = roleSelect("viewer");
  const add = h("button", { class: "btn btn-primary", type: "submit" }, "Add member");
  const form = h("form", { class: "member-form" }, username, role, add);
  const el = h(
    "div",
    { class: "page" },
    appHeader(ctx),
    h(
      "main",
      { class: "content" },
      h("div", { class: "list-head" }, h("h1", null, "Members"), h("span", { class: "muted" }, ctx.me.project.name)),
      h("ul", { class: "muted small roles" }, ROLES.map(([, label]) => h("li", null, label))),
      h("h2", null, "Add someone who has an account"),
      form,
      msg,
      invitationsBox(ctx),
      table,
      status,
    ),
  );

  function fail(err: unknown, what: string): void {
    if (isUnauthorized(err)) return ctx.unauthorized();
    msg.textContent = `${what}: ${errorMessage(err)}`;
    msg.hidden = false;
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    msg.hidden = true;
    api.setMember(username.value.trim(), role.value as Role).then(
      () => {
        if (destroyed) return;
        username.value = "";
        void load();
      },
      (err) => !destroyed && fail(err, "Could not add the member"),
    );
  });

  function row(m: Member): HTMLTableRowElement {
    const sel = roleSelect(m.role, m.owner);
    sel.addEventListener("change", () => {
      msg.hidden = true;
      api.setMember(m.username, sel.value as Role).then(
        () => {
          if (!destroyed && m.username === ctx.me.user.username) ctx.refreshMe();
        },
        (err) => {
          if (destroyed) return;
          sel.value = m.role;
          fail(err, "Could not change the role");
        },
      );
    });
    const remove = h("button", { class: "btn btn-small btn-danger", type: "button", hidden: m.owner }, "Remove");
    remove.addEventListener("click", () => {
      if (!confirm(`Remove ${m.username} from ${ctx.me.project.name}?`)) return;
      api.removeMember(m.username).then(
        () => !destroyed && void load(),
        (err) => !destroyed && fail(err, "Could not remove"),
      );
    });
    return h("tr", { "data-user": m.username }, h("td", null, m.username, m.owner ? h("span", { class: "badge", title: "Owns this Playhead: an admin of every project" }, "owner") : null), h("td", null, sel), h("td", null, remove));
  }

  async function load(): Promise<void> {
    try {
      const res = await api.members();
      if (destroyed) return;
      clear(tbody);
      for (const m of res.members ?? []) tbody.appendChild(row(m));
      table.hidden = false;
      status.textContent = "";
    } catch (err) {
      if (destroyed) return;
      if (isUnauthorized(err)) return ctx.unauthorized();
      status.textContent = "Could not load the members: " + errorMessage(err);
      status.classList.add("error");
    }
  }
  void load();

  return {
    el,
    title: "Members · Playhead",
    destroy() {
      destroyed = true;
    },
  };
}
