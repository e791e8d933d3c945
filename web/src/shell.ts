// The header shared by the pages, and the SDK install box.

import { api, errorMessage } from "./api";
import { copyButton } from "./clipboard";
import { h, type Child } from "./dom";
import { atLeast } from "./project";
import type { Ctx } from "./view";
import type { Me, Role } from "./types";

// The pages, with the least role that may open them: the dashboard shows
// no link the role cannot follow (the server refuses regardless).
const NAV: [string, string, Role][] = [
  ["/", "Sessions", "viewer"],
  ["/reports", "Reports", "viewer"],
  ["/webhooks", "Webhooks", "developer"],
  ["/settings", "Settings", "developer"],
  ["/tokens", "API tokens", "developer"],
  ["/members", "Members", "admin"],
  ["/audit", "Audit log", "admin"],
];

/** The project switcher: the user's projects with their role, and "New project…" for owners. */
function projectSwitcher(ctx: Ctx): HTMLElement {
  const { me } = ctx;
  const NEW = "new";
  const select = h(
    "select",
    { class: "project-switcher", "aria-label": "Project", title: "Project" },
    me.projects.map((pr) =>
      h("option", { value: String(pr.project.id), selected: pr.project.id === me.project.id }, `${pr.project.name} (${pr.role})`),
    ),
    me.user.owner ? h("option", { value: NEW }, "New project…") : null,
  );
  select.addEventListener("change", () => {
    if (select.value !== NEW) return ctx.switchProject(Number(select.value));
    select.value = String(me.project.id);
    const name = prompt("Name of the new project:")?.trim();
    if (!name) return;
    api.createProject(name).then(
      (res) => ctx.switchProject(res.project.id),
      (err) => alert("Could not create the project: " + errorMessage(err)),
    );
  });
  return select;
}

function active(href: string): boolean {
  const p = location.pathname;
  return href === "/" ? p === "/" || p.startsWith("/sessions") : p === href || p.startsWith(href + "/");
}

export function appHeader(ctx: Ctx, middle: Child[] = [], right: Child[] = []): HTMLElement {
  return h(
    "header",
    { class: "topbar" },
    h("a", { class: "brand", href: "/", "data-link": true }, h("span", { class: "brand-mark", "aria-hidden": "true" }), "Playhead"),
    projectSwitcher(ctx),
    h(
      "nav",
      { class: "topnav" },
      [...NAV.filter(([, , min]) => atLeast(ctx.me.role, min)), ...(ctx.me.user.owner ? [["/users", "People"]] : [])].map(([href, name]) =>
        h("a", { href, "data-link": true, class: active(href) ? "active" : undefined, "aria-current": active(href) ? "page" : undefined }, name),
      ),
    ),
    h("div", { class: "topbar-middle" }, middle),
    h("div", { class: "topbar-right" }, right, h("a", { class: "user", href: "/account", "data-link": true, title: `Your account; ${ctx.me.role} in ${ctx.me.project.name}` }, ctx.me.user.username), h("button", { class: "btn btn-ghost", type: "button", onclick: () => ctx.logout() }, "Log out")),
  );
}

export function sdkSnippet(me: Me): string {
  return `<script src="${location.origin}/sdk.js" data-project-key="${me.project.ingestKey}"></script>`;
}

/** The ingest key and the copyable snippet. */
export function installBox(me: Me, intro?: Child): HTMLElement {
  const snippet = sdkSnippet(me);
  const copySnippet = h("button", { class: "btn btn-small", type: "button" }, "Copy snippet");
  copyButton(copySnippet, () => snippet);
  const copyKey = h("button", { class: "btn btn-small btn-ghost", type: "button" }, "Copy key");
  copyButton(copyKey, () => me.project.ingestKey);
  return h(
    "section",
    { class: "install" },
    intro ?? null,
    h("div", { class: "install-row" }, h("span", { class: "install-label" }, "Ingest key"), h("code", { class: "install-key" }, me.project.ingestKey), copyKey),
    h("div", { class: "install-label" }, "Add this tag to every page you want to record, before the closing </head> tag:"),
    h("div", { class: "snippet" }, h("pre", null, h("code", null, snippet)), copySnippet),
    h("p", { class: "muted small" }, "The key is write-only: it lets a page send recordings and read how the project records, nothing recorded."),
  );
}
