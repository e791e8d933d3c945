// The side panels of the player: Console, Network, Errors and Info.

import { h, type Child } from "../dom";
import { absolute, bytes, clock, count, duration, shortMs, shortUserAgent } from "../format";
import type { Session } from "../types";
import type { ConsoleEntry, Entries, ErrorEntry, NavigationEntry, NetworkEntry } from "./entries";
import { EntryList } from "./entrylist";

export interface Panel {
  id: string;
  title: string;
  badge: string;
  alert: boolean;
  el: HTMLElement;
  /** Follows the play head. */
  update(t: number): void;
  shown(): void;
}

type Seek = (t: number) => void;

function expander(target: HTMLElement, label: string): HTMLButtonElement {
  const btn = h("button", { class: "expand", type: "button", "aria-expanded": "false", title: label }, "▸");
  btn.addEventListener("click", () => {
    target.hidden = !target.hidden;
    btn.textContent = target.hidden ? "▸" : "▾";
    btn.setAttribute("aria-expanded", String(!target.hidden));
  });
  return btn;
}

function timeCell(t: number): HTMLElement {
  return h("span", { class: "e-time" }, clock(t));
}

function filterInput(placeholder: string, onInput: (v: string) => void): HTMLInputElement {
  const input = h("input", { type: "search", class: "filter-input", placeholder, spellcheck: "false", "aria-label": placeholder });
  input.addEventListener("input", () => onInput(input.value.trim().toLowerCase()));
  return input;
}

function panelShell(id: string, toolbar: Child[], list: { el: HTMLElement }): HTMLElement {
  return h("section", { class: "panel", "data-panel": id }, h("div", { class: "panel-toolbar" }, toolbar), list.el);
}

const LEVELS: [string, string][] = [
  ["", "All levels"],
  ["error", "Errors"],
  ["warn", "Warnings"],
  ["info", "Info"],
  ["log", "Logs"],
  ["debug", "Debug"],
];

function levelClass(level: string): string {
  if (level === "error" || level === "assert") return "error";
  if (level === "warn") return "warn";
  if (level === "info") return "info";
  if (level === "debug" || level === "trace") return "debug";
  return "log";
}

export function consolePanel(entries: ConsoleEntry[], seek: Seek): Panel {
  const render = (e: ConsoleEntry) => {
    const lv = levelClass(e.level);
    const trace = e.trace.length ? h("div", { class: "e-trace no-seek", hidden: true }, e.trace.map((l) => h("div", null, l))) : null;
    return h(
      "div",
      { class: `row console-row level-${lv}`, title: `${e.level} at ${clock(e.t)}` },
      timeCell(e.t),
      h("span", { class: "e-level" }, e.level),
      h("div", { class: "e-body" }, h("div", { class: "e-msg" }, e.text || "(empty)"), trace),
      trace ? expander(trace, "Show the stack trace") : h("span", { class: "expand-space" }),
    );
  };
  const list = new EntryList(entries, render, (e) => seek(e.t), "No console output in this session.");
  let level = "";
  let text = "";
  const apply = () =>
    list.setFilter(
      level || text
        ? (e) => (!level || levelClass(e.level) === level) && (!text || e.text.toLowerCase().includes(text) || e.trace.some((l) => l.toLowerCase().includes(text)))
        : null,
    );
  const select = h("select", { class: "filter-select", "aria-label": "Level" }, LEVELS.map(([v, name]) => h("option", { value: v }, name)));
  select.addEventListener("change", () => {
    level = select.value;
    apply();
  });
  const input = filterInput("Filter console", (v) => {
    text = v;
    apply();
  });
  const errors = entries.filter((e) => levelClass(e.level) === "error").length;
  return {
    id: "console",
    title: "Console",
    badge: count(entries.length),
    alert: errors > 0,
    el: panelShell("console", [select, input], list),
    update: (t) => list.update(t),
    shown: () => list.shown(),
  };
}

/** DevTools-style: the last path segment (+ query) as the name; the path (and a foreign host) below. */
function splitUrl(u: string, pageHost: string): { name: string; where: string } {
  try {
    const url = new URL(u);
    const path = url.pathname;
    const cut = path.endsWith("/") ? path.lastIndexOf("/", path.length - 2) : path.lastIndexOf("/");
    const name = (path.slice(cut + 1) || "/") + url.search;
    const full = path + url.search;
    return { name, where: url.host === pageHost ? full : url.host + full };
  } catch {
    return { name: u, where: "" };
  }
}

/** `pageHost`: the recorded site's host; requests to it show their path only. */
export function networkPanel(entries: NetworkEntry[], total: number, pageHost: string, seek: Seek): Panel {
  const span = total > 0 ? total : 1;
  const render = (e: NetworkEntry) => {
    const left = Math.min(100, Math.max(0, (e.start / span) * 100));
    const width = Math.min(100 - left, (e.duration / span) * 100);
    const statusText = e.status ? String(e.status) : e.error ? "error" : "failed";
    const { name, where } = splitUrl(e.url, pageHost);
    return h(
      "div",
      { class: `row net-row${e.failed ? " failed" : ""}`, title: `${e.method} ${e.url}\n${statusText}${e.error ? " – " + e.error : ""} · ${shortMs(e.duration)} · ${e.type}` },
      timeCell(e.t),
      h("span", { class: "n-method" }, e.method),
      h("span", { class: "n-url" }, h("span", { class: "n-path" }, name), h("span", { class: "n-host" }, where)),
      h("span", { class: "n-status" }, statusText),
      h("span", { class: "n-dur" }, shortMs(e.duration)),
      h("span", { class: "n-size" }, bytes(e.resSize)),
      h("span", { class: "n-wf" }, h("span", { class: "n-wf-bar", style: `left:${left.toFixed(3)}%;width:${width.toFixed(3)}%` })),
    );
  };
  const list = new EntryList(entries, render, (e) => seek(e.t), "No requests recorded in this session.");
  let failedOnly = false;
  let text = "";
  const apply = () =>
    list.setFilter(
      failedOnly || text
        ? (e) => (!failedOnly || e.failed) && (!text || `${e.method} ${e.url} ${e.status}`.toLowerCase().includes(text))
        : null,
    );
  const input = filterInput("Filter URL, method, status", (v) => {
    text = v;
    apply();
  });
  const failedBox = h("input", { type: "checkbox" });
  failedBox.addEventListener("change", () => {
    failedOnly = failedBox.checked;
    apply();
  });
  const failed = entries.filter((e) => e.failed).length;
  const header = h(
    "div",
    { class: "row net-row net-head" },
    h("span", { class: "e-time" }, "At"),
    h("span", { class: "n-method" }, "Method"),
    h("span", { class: "n-url" }, "Name"),
    h("span", { class: "n-status" }, "Status"),
    h("span", { class: "n-dur" }, "Time"),
    h("span", { class: "n-size" }, "Size"),
    h("span", { class: "n-wf" }, "Waterfall"),
  );
  const el = h(
    "section",
    { class: "panel", "data-panel": "network" },
    h("div", { class: "panel-toolbar" }, input, h("label", { class: "check" }, failedBox, `Failed only (${failed})`)),
    header,
    list.el,
  );
  return {
    id: "network",
    title: "Network",
    badge: count(entries.length),
    alert: failed > 0,
    el,
    update: (t) => list.update(t),
    shown: () => list.shown(),
  };
}

export function errorsPanel(entries: ErrorEntry[], seek: Seek): Panel {
  const render = (e: ErrorEntry) => {
    const stack = e.stack ? h("pre", { class: "e-stack no-seek", hidden: true }, e.stack) : null;
    return h(
      "div",
      { class: "row error-row" },
      timeCell(e.t),
      h(
        "div",
        { class: "e-body" },
        h("div", { class: "e-msg" }, h("span", { class: "e-kind" }, e.kind === "unhandledrejection" ? "Unhandled rejection" : "Error"), " ", e.message),
        e.source ? h("div", { class: "e-source" }, e.source) : null,
        stack,
      ),
      stack ? expander(stack, "Show the stack") : h("span", { class: "expand-space" }),
    );
  };
  const list = new EntryList(entries, render, (e) => seek(e.t), "No uncaught errors in this session.");
  const input = filterInput("Filter errors", (text) =>
    list.setFilter(text ? (e) => `${e.message} ${e.source} ${e.stack}`.toLowerCase().includes(text) : null),
  );
  return {
    id: "errors",
    title: "Errors",
    badge: count(entries.length),
    alert: entries.length > 0,
    el: panelShell("errors", [input], list),
    update: (t) => list.update(t),
    shown: () => list.shown(),
  };
}

export function infoPanel(session: Session, sessionId: string, entries: Entries | null, eventsHref: string, seek: Seek): Panel {
  const pages = Array.isArray(session.pages) ? session.pages : [];
  const navs: NavigationEntry[] = entries?.navigations ?? [];
  const firstVisit = (url: string) => navs.find((n) => n.url === url);
  const pageItems = pages.map((p) => {
    const nav = firstVisit(p);
    const li = h("li", { title: p }, nav ? h("span", { class: "e-time" }, clock(nav.t)) : null, h("span", { class: "info-url" }, p));
    if (nav) {
      li.classList.add("seekable");
      li.addEventListener("click", () => seek(nav.t));
    }
    return li;
  });
  const row = (k: string, v: Child) => [h("dt", null, k), h("dd", null, v)];
  const el = h(
    "section",
    { class: "panel info", "data-panel": "info" },
    h(
      "dl",
      { class: "info-list" },
      row("Session", h("code", { class: "selectable" }, sessionId)),
      row("Started", absolute(session.startedAt)),
      row("Duration", duration(session.durationMs)),
      row("Browser", shortUserAgent(session.userAgent)),
      row("User agent", h("span", { class: "ua selectable" }, session.userAgent || "–")),
      row("Activity", `${count(session.clicks)} clicks · ${count(session.errors)} errors · ${count(session.consoleErrors)} console errors · ${count(session.failedRequests)} failed requests`),
      row("Recording", `${count(session.events)} events · ${bytes(session.bytes)} · ${count(session.batches)} batches`),
      row("Raw data", h("a", { href: eventsHref, download: `${sessionId}.json` }, "Download events (JSON)")),
    ),
    h("h3", null, `Pages (${pages.length})`),
    pageItems.length ? h("ol", { class: "info-pages" }, pageItems) : h("p", { class: "muted" }, "No pages recorded."),
  );
  return { id: "info", title: "Info", badge: "", alert: false, el, update: () => {}, shown: () => {} };
}
