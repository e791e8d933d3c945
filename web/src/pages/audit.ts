// The audit log (admin): who did what, when and from where — replays
// watched, exports, erasures, key, token, member and setting changes,
// sign-ins. Filters, pages of 100, and CSV/JSON export of what the
// filter selects. Owners may see the whole installation (sign-ins and
// every project) and set how long entries are kept.

import { api, auditUrl, errorMessage, isUnauthorized } from "../api";
import { clear, h } from "../dom";
import { absolute } from "../format";
import { sessionHref } from "../project";
import { appHeader } from "../shell";
import type { AuditEntry } from "../types";
import type { Ctx, View } from "../view";

const ACTIONS: [string, string][] = [
  ["", "Any action"],
  ["replay.view", "Replay viewed"],
  ["sign_in", "Sign-in"],
  ["sign_in.failed", "Failed sign-in"],
  ["session.", "Session erased or imported"],
  ["user_data.", "User's data erased"],
  ["sessions.export", "Sessions exported"],
  ["share_link.", "Share links"],
  ["sourcemaps.", "Source maps"],
  ["ingest_key.", "Ingest key changes"],
  ["token.", "API token changes"],
  ["member.", "Member changes"],
  ["invite.", "Invitations"],
  ["user.", "Accounts created, disabled, enabled"],
  ["password.", "Password changes and resets"],
  ["owner.", "Owners"],
  ["settings.change", "Setting changes"],
  ["project.", "Project changes"],
  ["webhook.", "Webhook changes"],
  ["audit.export", "Audit log exports"],
];

function detailText(d: Record<string, unknown> | undefined): string {
  if (!d) return "";
  try {
    return JSON.stringify(d);
  } catch {
    return "";
  }
}

export function auditView(ctx: Ctx): View {
  let destroyed = false;
  let next: string | undefined;
  const owner = ctx.me.user.owner;
  const actor = h("input", { type: "text", name: "actor", placeholder: "user", spellcheck: "false" });
  const action = h("select", { name: "action" }, ACTIONS.map(([v, l]) => h("option", { value: v }, l)));
  const target = h("input", { type: "text", name: "target", placeholder: "session, user, token…", spellcheck: "false" });
  const since = h("input", { type: "date", name: "since", "aria-label": "Since" });
  const until = h("input", { type: "date", name: "until", "aria-label": "Until" });
  const all = h("input", { type: "checkbox", name: "all" });
  const apply = h("button", { class: "btn", type: "submit" }, "Filter");
  const csv = h("a", { class: "btn", href: "#", download: "" }, "Export CSV");
  const json = h("a", { class: "btn", href: "#", download: "" }, "Export JSON");
  const form = h(
    "form",
    { class: "audit-filter" },
    actor,
    action,
    target,
    h("label", null, "from ", since),
    h("label", null, "to ", until),
    owner ? h("label", { title: "Sign-ins and every project's entries" }, all, " whole installation") : null,
    apply,
    csv,
    json,
  );
  const status = h("div", { class: "list-status" }, "Loading…");
  const tbody = h("tbody");
  const table = h(
    "table",
    { class: "sessions audit" },
    h("thead", null, h("tr", null, h("th", null, "When"), h("th", null, "Who"), h("th", null, "Action"), h("th", null, "Target"), h("th", null, "From"), h("th", null, "Detail"))),
    tbody,
  );
  const more = h("button", { class: "btn", type: "button", hidden: true }, "Older entries");
  const retention = h("div", { class: "audit-retention" });
  const el = h(
    "div",
    { class: "page" },
    appHeader(ctx),
    h("main", { class: "content" }, h("div", { class: "list-head" }, h("h1", null, "Audit log")), form, retention, table, status, h("div", { class: "more" }, more)),
  );

  function filter(): URLSearchParams {
    const q = new URLSearchParams();
    const set = (k: string, v: string) => v.trim() && q.set(k, v.trim());
    set("actor", actor.value);
    set("action", action.value);
    set("target", target.value);
    set("since", since.value);
    if (until.value) {
      // "to" a day includes that day
      const d = new Date(until.value + "T00:00:00Z");
      d.setUTCDate(d.getUTCDate() + 1);
      q.set("until", d.toISOString().slice(0, 10));
    }
    return q;
  }

  function exportLinks(): void {
    for (const [a, format] of [[csv, "csv"], [json, "json"]] as const) {
      const q = filter();
      q.set("format", format);
      a.href = auditUrl(q, all.checked);
    }
  }

  function row(e: AuditEntry): HTMLTableRowElement {
    const t = Date.parse(e.at);
    const viewed = e.action === "replay.view" && e.target && !all.checked;
    return h(
      "tr",
      null,
      h("td", { title: e.at }, absolute(t)),
      h("td", null, e.actor || h("span", { class: "muted" }, "—"), e.actorToken ? h("span", { class: "muted small" }, ` (token ${e.actorToken})`) : null),
      h("td", null, h("code", null, e.action)),
      h("td", null, viewed ? h("a", { href: sessionHref(e.target!), "data-link": true }, e.target!) : e.target ?? ""),
      h("td", null, e.ip ?? ""),
      h("td", { class: "audit-detail" }, detailText(e.detail)),
    );
  }

  async function load(append: boolean): Promise<void> {
    status.textContent = "Loading…";
    status.classList.remove("error");
    const q = filter();
    if (append && next) q.set("before", next);
    try {
      const res = await api.audit(q, all.checked);
      if (destroyed) return;
      if (!append) clear(tbody);
      for (const e of res.entries ?? []) tbody.appendChild(row(e));
      next = res.next;
      more.hidden = !next;
      status.textContent = tbody.children.length ? "" : "No entries.";
    } catch (err) {
      if (destroyed) return;
      if (isUnauthorized(err)) return ctx.unauthorized();
      status.textContent = "Could not load the audit log: " + errorMessage(err);
      status.classList.add("error");
    }
  }

  async function loadRetention(): Promise<void> {
    if (!owner) return;
    try {
      const res = await api.installation();
      if (destroyed) return;
      const days = h("input", { type: "number", min: 1, max: 3650, value: String(res.auditRetentionDays), "aria-label": "Audit retention in days" });
      const save = h("button", { class: "btn btn-small", type: "button" }, "Save");
      const msg = h("span", { class: "muted small" });
      save.addEventListener("click", () => {
        api.updateInstallation(Number(days.value)).then(
          (r) => !destroyed && (msg.textContent = `Entries are kept ${r.auditRetentionDays} days.`),
          (err) => !destroyed && (msg.textContent = errorMessage(err)),
        );
      });
      clear(retention);
      retention.append(h("span", { class: "muted small" }, "Keep entries for "), days, h("span", { class: "muted small" }, " days "), save, " ", msg);
    } catch (err) {
      if (!destroyed && isUnauthorized(err)) ctx.unauthorized();
    }
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    exportLinks();
    void load(false);
  });
  form.addEventListener("change", exportLinks);
  more.addEventListener("click", () => void load(true));
  exportLinks();
  void load(false);
  void loadRetention();

  return {
    el,
    title: "Audit log · Playhead",
    destroy() {
      destroyed = true;
    },
  };
}
