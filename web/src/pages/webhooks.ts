// Webhooks: list, add (the signing secret is shown once), delete, and each
// webhook's delivery log with status colours.

import { api, errorMessage, isUnauthorized } from "../api";
import { copyButton } from "../clipboard";
import { clear, h } from "../dom";
import { absolute, count, relative } from "../format";
import { sessionHref } from "../project";
import { appHeader } from "../shell";
import type { Webhook, WebhookDelivery } from "../types";
import type { Ctx, View } from "../view";

const s = (v: unknown): string => (typeof v === "string" ? v : v === undefined || v === null ? "" : String(v));
const n = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);

function when(ts: unknown): HTMLElement {
  const t = n(ts);
  return t > 0 ? h("span", { title: absolute(t) }, relative(t)) : h("span", { class: "muted" }, "—");
}

/** "delivered" / "pending" / "retrying" / "failed" → a colour class. */
function statusClass(status: string): string {
  const st = status.toLowerCase();
  if (st === "delivered" || st === "ok" || st === "success" || st === "succeeded") return "ok";
  if (st === "failed" || st === "dead" || st === "error" || st === "gave_up" || st === "abandoned") return "failed";
  if (st === "retrying" || st === "retry") return "retrying";
  return "pending";
}

export function webhooksView(ctx: Ctx): View {
  let destroyed = false;
  const status = h("div", { class: "list-status" }, "Loading…");
  const list = h("div", { class: "webhooks" });
  const secretBox = h("div", { class: "wh-secret", hidden: true });

  const urlInput = h("input", { type: "url", class: "wh-url-input", placeholder: "https://example.com/hooks/playhead", required: true, "aria-label": "Webhook URL", spellcheck: "false" });
  const addBtn = h("button", { class: "btn", type: "submit" }, "Add webhook");
  const formError = h("div", { class: "form-error", role: "alert", hidden: true });
  const form = h("form", { class: "wh-form" }, urlInput, addBtn);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void add();
  });

  const el = h(
    "div",
    { class: "page" },
    appHeader(ctx),
    h(
      "main",
      { class: "content" },
      h("div", { class: "list-head" }, h("h1", null, "Webhooks")),
      h("p", { class: "muted" }, "Playhead POSTs signed JSON to these URLs when a session has an error or a user sends a report. Failed deliveries are retried."),
      form,
      formError,
      secretBox,
      list,
      status,
    ),
  );

  function fail(err: unknown, where: HTMLElement, what: string): void {
    if (isUnauthorized(err)) return ctx.unauthorized();
    where.textContent = `${what}: ${errorMessage(err)}`;
    where.hidden = false;
    where.classList.add("error");
  }

  function showSecret(w: Webhook, secret: string): void {
    clear(secretBox);
    const copy = h("button", { class: "btn btn-small", type: "button" }, "Copy");
    copyButton(copy, () => secret);
    const done = h("button", { class: "btn btn-small btn-ghost", type: "button" }, "Done");
    done.addEventListener("click", () => {
      clear(secretBox);
      secretBox.hidden = true;
    });
    secretBox.append(
      h("div", null, h("strong", null, "Signing secret for "), s(w.url)),
      h("div", { class: "install-row" }, h("code", { class: "install-key" }, secret), copy, done),
      h("p", { class: "muted small" }, "Copy it now: it is shown only once. Use it to check the signature of each delivery."),
    );
    secretBox.hidden = false;
  }

  async function add(): Promise<void> {
    const url = urlInput.value.trim();
    if (!url) return;
    addBtn.disabled = true;
    formError.hidden = true;
    try {
      const res = await api.addWebhook(url);
      if (destroyed) return;
      urlInput.value = "";
      if (res && typeof res.secret === "string") showSecret(res.webhook ?? { id: "", url, createdAt: Date.now() }, res.secret);
      await load();
    } catch (err) {
      if (!destroyed) fail(err, formError, "Could not add the webhook");
    } finally {
      addBtn.disabled = false;
    }
  }

  function deliveriesTable(ds: WebhookDelivery[]): HTMLElement {
    if (!ds.length) return h("div", { class: "muted small wh-none" }, "No deliveries yet.");
    return h(
      "table",
      { class: "sessions wh-deliveries" },
      h(
        "thead",
        null,
        h("tr", null, h("th", null, "Status"), h("th", null, "Event"), h("th", null, "Message"), h("th", null, "Session"), h("th", { class: "num" }, "Attempts"), h("th", null, "Last response"), h("th", null, "Created"), h("th", null, "Delivered / next")),
      ),
      h(
        "tbody",
        null,
        ds.map((d) => {
          const st = s(d.status) || "pending";
          const sid = s(d.sessionId);
          const ts = n(d.ts);
          const href = sid ? sessionHref(sid, ts) : "";
          const last = [n(d.lastStatus) ? String(n(d.lastStatus)) : "", s(d.lastError)].filter(Boolean).join(" · ");
          return h(
            "tr",
            null,
            h("td", null, h("span", { class: `wh-status wh-${statusClass(st)}` }, st)),
            h("td", null, s(d.event)),
            h("td", { class: "report-text", title: `${s(d.message)}${d.page ? `\n${s(d.page)}` : ""}` }, s(d.message) || h("span", { class: "muted" }, "—")),
            h("td", null, href ? h("a", { href, "data-link": true }, sid.slice(0, 8)) : h("span", { class: "muted" }, "—")),
            h("td", { class: "num" }, count(n(d.attempts))),
            h("td", { class: "wh-last", title: last }, last || h("span", { class: "muted" }, "—")),
            h("td", null, when(d.createdAt)),
            h("td", null, n(d.deliveredAt) ? when(d.deliveredAt) : n(d.nextAttempt) ? h("span", { title: absolute(n(d.nextAttempt)) }, "retry ", relative(n(d.nextAttempt))) : h("span", { class: "muted" }, "—")),
          );
        }),
      ),
    );
  }

  function card(w: Webhook): HTMLElement {
    const id = s(w.id);
    const logBox = h("div", { class: "wh-log", hidden: true });
    const logBtn = h("button", { class: "btn btn-small btn-ghost", type: "button", "aria-expanded": "false" }, "Deliveries");
    const del = h("button", { class: "btn btn-small btn-ghost btn-danger", type: "button" }, "Delete");
    const msg = h("div", { class: "list-status", hidden: true });
    async function loadLog(): Promise<void> {
      clear(logBox);
      logBox.append(h("div", { class: "muted small" }, "Loading…"));
      try {
        const res = await api.deliveries(id);
        if (destroyed) return;
        clear(logBox);
        logBox.append(deliveriesTable(Array.isArray(res?.deliveries) ? res.deliveries.filter((d) => d && typeof d === "object") : []));
      } catch (err) {
        if (destroyed) return;
        clear(logBox);
        const e = h("div", { class: "list-status" });
        logBox.append(e);
        fail(err, e, "Could not load deliveries");
      }
    }
    logBtn.addEventListener("click", () => {
      logBox.hidden = !logBox.hidden;
      logBtn.setAttribute("aria-expanded", String(!logBox.hidden));
      if (!logBox.hidden) void loadLog();
    });
    del.addEventListener("click", async () => {
      if (!window.confirm(`Delete the webhook to ${s(w.url)}?`)) return;
      del.disabled = true;
      try {
        await api.deleteWebhook(id);
        if (!destroyed) await load();
      } catch (err) {
        if (!destroyed) fail(err, msg, "Could not delete");
        del.disabled = false;
      }
    });
    return h(
      "section",
      { class: "wh-card", "data-id": id },
      h("div", { class: "wh-head" }, h("code", { class: "wh-url", title: s(w.url) }, s(w.url)), h("span", { class: "muted small" }, "added ", when(w.createdAt)), logBtn, del),
      msg,
      logBox,
    );
  }

  async function load(): Promise<void> {
    status.textContent = "Loading…";
    status.classList.remove("error");
    status.hidden = false;
    try {
      const res = await api.webhooks();
      if (destroyed) return;
      const hooks = Array.isArray(res?.webhooks) ? res.webhooks.filter((w) => w && typeof w === "object") : [];
      clear(list);
      for (const w of hooks) list.appendChild(card(w));
      status.textContent = hooks.length ? "" : "No webhooks yet.";
      status.hidden = hooks.length > 0;
    } catch (err) {
      if (!destroyed) fail(err, status, "Could not load webhooks");
    }
  }
  void load();

  return {
    el,
    title: "Webhooks · Playhead",
    destroy() {
      destroyed = true;
    },
  };
}
