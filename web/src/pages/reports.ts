// User reports, newest first. Each row opens the player at the report's moment
// (`/sessions/{id}?at={ts}`). Everything in a report is untrusted: text only.

import { api, errorMessage, isUnauthorized } from "../api";
import { clear, h } from "../dom";
import { absolute, count, relative, urlPath } from "../format";
import { sessionHref } from "../project";
import { appHeader } from "../shell";
import type { Report } from "../types";
import type { Ctx, View } from "../view";

export function reportsView(ctx: Ctx): View {
  let destroyed = false;
  const tbody = h("tbody");
  const table = h(
    "table",
    { class: "sessions reports", hidden: true },
    h("thead", null, h("tr", null, h("th", null, "When"), h("th", null, "Report"), h("th", null, "Contact"), h("th", null, "Page"), h("th", { class: "num" }, "Errors"))),
    tbody,
  );
  const status = h("div", { class: "list-status" }, "Loading…");
  const empty = h("div", { class: "empty", hidden: true }, h("h2", null, "No reports yet"), h("p", null, "Reports sent from your pages (with the SDK's report widget) show up here, each linked to the moment in its session."));
  const countEl = h("span", { class: "muted" });
  const refresh = h("button", { class: "btn btn-ghost", type: "button", title: "Reload the list" }, "Refresh");

  const el = h(
    "div",
    { class: "page" },
    appHeader(ctx, [], [refresh]),
    h("main", { class: "content" }, h("div", { class: "list-head" }, h("h1", null, "Reports"), countEl), table, empty, status),
  );

  function row(r: Report): HTMLTableRowElement {
    const ts = typeof r.ts === "number" && Number.isFinite(r.ts) ? r.ts : 0;
    // the player at the report, with the steps that led to it
    const href = sessionHref(String(r.sessionId), ts) + (ts ? `&steps=${ts}` : "");
    const text = typeof r.text === "string" ? r.text : "";
    const page = typeof r.page === "string" ? r.page : "";
    const errors = typeof r.errors === "number" ? r.errors : 0;
    const tr = h(
      "tr",
      { tabindex: "0", "data-id": String(r.id) },
      h("td", null, h("a", { href, "data-link": true, title: absolute(ts) }, relative(ts))),
      h("td", { class: "report-text", title: text }, text || h("span", { class: "muted" }, "(no text)")),
      h("td", { class: "report-contact" }, typeof r.contact === "string" && r.contact ? r.contact : h("span", { class: "muted" }, "—")),
      h("td", { class: "pages-cell" }, h("span", { class: "path", title: page }, page ? urlPath(page) : "")),
      h("td", { class: "num" }, errors > 0 ? h("span", { class: "badge badge-error" }, count(errors)) : h("span", { class: "muted" }, "0")),
    );
    tr.addEventListener("click", (ev) => {
      if ((ev.target as Element).closest("a")) return;
      if (window.getSelection()?.toString()) return;
      if (ev.metaKey || ev.ctrlKey) window.open(href, "_blank", "noopener");
      else ctx.navigate(href);
    });
    tr.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter") ctx.navigate(href);
    });
    return tr;
  }

  async function load(): Promise<void> {
    status.textContent = "Loading…";
    status.classList.remove("error");
    try {
      const res = await api.reports();
      if (destroyed) return;
      const list = Array.isArray(res?.reports) ? res.reports.filter((r) => r && typeof r === "object") : [];
      clear(tbody);
      for (const r of list) tbody.appendChild(row(r));
      status.textContent = "";
      table.hidden = !list.length;
      empty.hidden = list.length > 0;
      countEl.textContent = list.length ? `${count(list.length)} total` : "";
    } catch (err) {
      if (destroyed) return;
      if (isUnauthorized(err)) return ctx.unauthorized();
      status.textContent = "Could not load reports: " + errorMessage(err);
      status.classList.add("error");
    }
  }
  refresh.addEventListener("click", () => void load());
  void load();

  return {
    el,
    title: "Reports · Playhead",
    destroy() {
      destroyed = true;
    },
  };
}
