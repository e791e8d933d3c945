// The project's settings (developer): its name, how it records (privacy
// preset, sample rates, client addresses, asset origins, frustration
// thresholds), its ingest key (rotated with a grace period, or revoked),
// and, for admins, retention, erasure of a user's data and deleting the
// project. Every change is in the audit log.

import { api, errorMessage, isUnauthorized } from "../api";
import { clear, h, type Child } from "../dom";
import { absolute } from "../format";
import { atLeast } from "../project";
import { appHeader, installBox } from "../shell";
import type { ProjectDetail, ProjectSettings } from "../types";
import type { Ctx, View } from "../view";

function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  return h("label", { class: "field" }, h("span", { class: "field-label" }, label), control, hint ? h("span", { class: "field-hint muted small" }, hint) : null);
}

function numberInput(name: string, value: number | null | undefined, attrs: { min: number; max: number; step?: number; placeholder?: string }): HTMLInputElement {
  return h("input", {
    type: "number",
    name,
    min: attrs.min,
    max: attrs.max,
    step: attrs.step ?? 1,
    placeholder: attrs.placeholder ?? "default",
    value: value === null || value === undefined || value === 0 ? "" : String(value),
  });
}

function select(name: string, value: string, options: [string, string][]): HTMLSelectElement {
  return h("select", { name }, options.map(([v, label]) => h("option", { value: v, selected: v === value }, label)));
}

/** A number field's value: null when empty, NaN when not a number. */
function num(input: HTMLInputElement): number | null {
  return input.value.trim() === "" ? null : Number(input.value);
}

export function settingsView(ctx: Ctx): View {
  let destroyed = false;
  const admin = atLeast(ctx.me.role, "admin");
  const status = h("div", { class: "list-status" }, "Loading…");
  const body = h("div", { class: "settings" });
  const el = h("div", { class: "page" }, appHeader(ctx), h("main", { class: "content" }, h("div", { class: "list-head" }, h("h1", null, "Settings"), h("span", { class: "muted" }, ctx.me.project.name)), status, body));

  function notice(where: HTMLElement, text: string, error = false): void {
    where.textContent = text;
    where.hidden = false;
    where.classList.toggle("form-error", error);
    where.classList.toggle("form-ok", !error);
  }

  function fail(err: unknown, where: HTMLElement, what: string): void {
    if (isUnauthorized(err)) return ctx.unauthorized();
    notice(where, `${what}: ${errorMessage(err)}`, true);
  }

  function section(title: string, ...children: Child[]): HTMLElement {
    return h("section", { class: "settings-section" }, h("h2", null, title), children);
  }

  function generalForm(d: ProjectDetail): HTMLElement {
    const p = d.project;
    const st: ProjectSettings = p.settings ?? {};
    const name = h("input", { type: "text", name: "name", value: p.name, maxlength: 100, required: true });
    const retention = numberInput("retentionDays", p.retentionDays, { min: 1, max: 3650 });
    retention.disabled = !admin;
    const preset = select("privacyPreset", st.privacyPreset || "default", [
      ["strict", "Strict: mask all text and input values, block media"],
      ["default", "Default: mask input values and personal data"],
      ["relaxed", "Relaxed: record input values but passwords, cards and the like"],
    ]);
    const clientIp = select("clientIp", st.clientIp ?? "", [
      ["", "As the server is started (-client-ip)"],
      ["anonymized", "Keep, anonymised (IPv4 /24, IPv6 /48)"],
      ["none", "Do not keep"],
    ]);
    const origins = h("textarea", { name: "assetOrigins", rows: 3, placeholder: "https://cdn.example.com", spellcheck: "false" });
    origins.value = (st.assetOrigins ?? []).join("\n");
    const sampleRate = numberInput("sampleRate", st.sampleRate == null ? null : st.sampleRate * 100, { min: 0, max: 100, step: 0.1, placeholder: "100" });
    const errorSampleRate = numberInput("errorSampleRate", st.errorSampleRate == null ? null : st.errorSampleRate * 100, { min: 0, max: 100, step: 0.1, placeholder: "0" });
    const rageClicks = numberInput("rageClicks", st.rageClicks, { min: 2, max: 20, placeholder: "3" });
    const rageWindow = numberInput("rageWindowMs", st.rageWindowMs, { min: 100, max: 10000, placeholder: "1000" });
    const deadClick = numberInput("deadClickMs", st.deadClickMs, { min: 100, max: 60000, placeholder: "2500" });
    const msg = h("div", { role: "status", hidden: true });
    const save = h("button", { class: "btn btn-primary", type: "submit" }, "Save settings");
    const form = h(
      "form",
      { class: "settings-form", id: "settings-form" },
      field("Project name", name),
      field("Retention (days)", retention, admin ? "Sessions are deleted this long after they end." : "Only an admin may change retention."),
      field("Privacy preset", preset, "What the SDK masks before anything leaves the page, from each browser's next page load; a page set stricter stays so. The server masks personal data again."),
      field("Client addresses", clientIp),
      field("Asset origins", origins, "One origin a line: stylesheets, fonts and images from these are captured for replay."),
      field("Sample rate (%)", sampleRate, "Share of visits recorded in full, from each browser's next page load. Empty: the page's own setting."),
      field("Error sample rate (%)", errorSampleRate, "Share of the other visits recorded from shortly before an error."),
      field("Rage click: clicks", rageClicks),
      field("Rage click: within (ms)", rageWindow),
      field("Dead click after (ms)", deadClick, "How long a click may go unanswered before it is dead."),
      h("div", { class: "form-actions" }, save),
      msg,
    );
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const rate = (input: HTMLInputElement): number | null => {
        const v = num(input);
        return v === null ? null : v / 100;
      };
      const settings: ProjectSettings = {
        privacyPreset: preset.value as ProjectSettings["privacyPreset"],
        clientIp: clientIp.value as ProjectSettings["clientIp"],
        assetOrigins: origins.value.split(/\s+/).filter(Boolean),
        sampleRate: rate(sampleRate),
        errorSampleRate: rate(errorSampleRate),
        rageClicks: num(rageClicks) ?? 0,
        rageWindowMs: num(rageWindow) ?? 0,
        deadClickMs: num(deadClick) ?? 0,
      };
      const change: { name: string; settings: ProjectSettings; retentionDays?: number } = { name: name.value, settings };
      const days = num(retention);
      if (admin && days !== null) change.retentionDays = days;
      save.disabled = true;
      api.updateProject(change).then(
        () => {
          if (destroyed) return;
          notice(msg, "Saved.");
          if (change.name !== ctx.me.project.name) ctx.refreshMe();
        },
        (err) => !destroyed && fail(err, msg, "Could not save"),
      ).finally(() => (save.disabled = false));
    });
    return form;
  }

  function keySection(d: ProjectDetail): HTMLElement {
    const msg = h("div", { role: "status", hidden: true });
    const grace = select("grace", "24", [
      ["1", "1 hour"],
      ["24", "1 day"],
      ["168", "1 week"],
    ]);
    const rotate = h("button", { class: "btn", type: "button" }, "Rotate key");
    const revoke = h("button", { class: "btn btn-danger", type: "button" }, "Revoke now");
    const run = (hours: number) => {
      rotate.disabled = revoke.disabled = true;
      api.rotateKey(hours).then(
        () => !destroyed && ctx.refreshMe(),
        (err) => {
          if (destroyed) return;
          rotate.disabled = revoke.disabled = false;
          fail(err, msg, "Could not change the key");
        },
      );
    };
    rotate.addEventListener("click", () => run(Number(grace.value)));
    revoke.addEventListener("click", () => {
      if (confirm("Revoke the ingest key now? Pages still sending it stop being recorded until they have the new key.")) run(0);
    });
    return section(
      "Ingest key",
      installBox(ctx.me),
      d.previousKey
        ? h("p", { class: "small" }, "The previous key ", h("code", null, d.previousKey.key), ` is still accepted until ${absolute(Date.parse(d.previousKey.validUntil))}.`)
        : null,
      h("div", { class: "form-actions" }, "Old key valid for ", grace, rotate, revoke),
      msg,
    );
  }

  function adminSection(d: ProjectDetail): HTMLElement {
    const msg = h("div", { role: "status", hidden: true });
    const userId = h("input", { type: "text", name: "userId", placeholder: "the ID your app identified the user with", spellcheck: "false" });
    const erase = h("button", { class: "btn btn-danger", type: "button" }, "Erase their sessions");
    erase.addEventListener("click", () => {
      const id = userId.value.trim();
      if (!id || !confirm(`Erase every session of user ${id}? This cannot be undone.`)) return;
      api.eraseUser(id).then(
        (res) => !destroyed && notice(msg, `Erased ${res.erased} session(s).`),
        (err) => !destroyed && fail(err, msg, "Could not erase"),
      );
    });
    const confirmName = h("input", { type: "text", name: "confirm", placeholder: d.project.name, spellcheck: "false" });
    const del = h("button", { class: "btn btn-danger", type: "button" }, "Delete project");
    del.addEventListener("click", () => {
      api.deleteProject(confirmName.value).then(
        () => !destroyed && ctx.switchProject(null),
        (err) => !destroyed && fail(err, msg, "Could not delete"),
      );
    });
    return section(
      "Erasure",
      h("p", { class: "muted small" }, "Erase everything recorded of one identified user (a data subject's request)."),
      h("div", { class: "form-actions" }, userId, erase),
      h("p", { class: "muted small" }, `Delete ${d.project.name} with all its sessions, keys, tokens and settings. Type its name to confirm.`),
      h("div", { class: "form-actions" }, confirmName, del),
      msg,
    );
  }

  async function load(): Promise<void> {
    try {
      const d = await api.project();
      if (destroyed) return;
      status.textContent = "";
      clear(body);
      body.append(section("Project", generalForm(d)), keySection(d));
      if (admin) body.append(adminSection(d));
    } catch (err) {
      if (destroyed) return;
      if (isUnauthorized(err)) return ctx.unauthorized();
      status.textContent = "Could not load the settings: " + errorMessage(err);
      status.classList.add("error");
    }
  }
  void load();

  return {
    el,
    title: "Settings · Playhead",
    destroy() {
      destroyed = true;
    },
  };
}
