// The side panels of the player: Console, Network, Errors and Info. Each one
// follows the play head (rows at or before it shown normally, the latest one
// highlighted), seeks when a row is clicked and can select a row for a deep
// link (`?console=TS`, `?request=TS`, `?error=TS or index`).

import { copyText } from "../clipboard";
import { h, type Child } from "../dom";
import { absolute, bytes, clock, count, duration, shortMs, shortUserAgent } from "../format";
import type { Session } from "../types";
import { decodeArg, type ConsoleEntry, type CustomEntry, type Entries, type ErrorEntry, type Frame, type NavigationEntry, type NetworkEntry } from "./entries";
import { EntryList } from "./entrylist";
import { icon } from "./icons";

export interface Panel {
  id: string;
  title: string;
  badge: string;
  alert: boolean;
  el: HTMLElement;
  /** Follows the play head. */
  update(t: number): void;
  shown(): void;
  /** Selects the entry a deep link names (its timestamp, or an index); returns its offset. */
  select?(key: number): number | null;
}

export type LinkKind = "console" | "request" | "error";

export interface PanelContext {
  /** Moves the play head to `t` and pauses there. */
  seek(t: number): void;
  /** A link that opens the player at this entry. */
  link(kind: LinkKind, ts: number): string;
}

function expander(target: HTMLElement, label: string, onOpen?: () => void): HTMLButtonElement {
  const btn = h("button", { class: "expand", type: "button", "aria-expanded": "false", title: label, "aria-label": label }, "▸");
  let opened = false;
  btn.addEventListener("click", () => {
    if (!opened && onOpen) onOpen();
    opened = true;
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

/** A small button that copies a deep link to the entry. */
function linkButton(ctx: PanelContext, kind: LinkKind, ts: number): HTMLButtonElement {
  const btn = h("button", { class: "row-link", type: "button", title: "Copy a link to this entry", "aria-label": "Copy a link to this entry" }, icon("link", 13));
  btn.addEventListener("click", async (ev) => {
    ev.stopPropagation();
    const ok = await copyText(ctx.link(kind, ts));
    btn.classList.toggle("copied", ok);
    btn.title = ok ? "Link copied" : "Copy failed";
    window.setTimeout(() => {
      btn.classList.remove("copied");
      btn.title = "Copy a link to this entry";
    }, 1500);
  });
  return btn;
}

/** Replaces `el`'s text with `text`, wrapping each match of `q` (lower case) in <mark>. */
function markText(el: HTMLElement, text: string, q: string): void {
  el.textContent = "";
  if (!q) {
    el.textContent = text;
    return;
  }
  const lower = text.toLowerCase();
  let i = 0;
  for (;;) {
    const j = lower.indexOf(q, i);
    if (j < 0) break;
    if (j > i) el.appendChild(document.createTextNode(text.slice(i, j)));
    el.appendChild(h("mark", null, text.slice(j, j + q.length)));
    i = j + q.length;
  }
  if (i < text.length) el.appendChild(document.createTextNode(text.slice(i)));
}

/** Finds the entry a deep link names: a timestamp, else an index into the list. */
function findEntry<T extends { ts: number; t: number }>(list: T[], key: number): T | null {
  const byTs = list.find((e) => e.ts === key);
  if (byTs) return byTs;
  if (Number.isInteger(key) && key >= 0 && key < list.length && key < 1e9) return list[key]!;
  if (key > 1e11 && list.length) {
    // the nearest one, for a link made by another build
    let best = list[0]!;
    for (const e of list) if (Math.abs(e.ts - key) < Math.abs(best.ts - key)) best = e;
    return Math.abs(best.ts - key) < 1000 ? best : null;
  }
  return null;
}

// ---- JSON values, expandable --------------------------------------------------

/** A collapsible view of a decoded console argument (text only). */
export function jsonTree(value: unknown, depth = 0): HTMLElement {
  if (value === null || typeof value !== "object") return h("span", { class: `j-${value === null ? "null" : typeof value}` }, typeof value === "string" ? JSON.stringify(value) : String(value));
  const isArr = Array.isArray(value);
  const keys = isArr ? (value as unknown[]).map((_, i) => String(i)) : Object.keys(value as object);
  const preview = isArr ? `Array(${keys.length})` : `{${keys.slice(0, 4).join(", ")}${keys.length > 4 ? ", …" : ""}}`;
  const d = h("details", { class: "j-node" }, h("summary", null, preview));
  if (depth < 1 && keys.length <= 8) d.open = true;
  let built = false;
  const build = () => {
    if (built) return;
    built = true;
    const body = h("div", { class: "j-body" });
    const shown = keys.slice(0, 500);
    for (const k of shown) body.appendChild(h("div", { class: "j-row" }, h("span", { class: "j-key" }, k), ": ", jsonTree((value as Record<string, unknown>)[k], depth + 1)));
    if (keys.length > shown.length) body.appendChild(h("div", { class: "muted" }, `… ${keys.length - shown.length} more`));
    d.appendChild(body);
  };
  if (d.open) build();
  d.addEventListener("toggle", build);
  return d;
}

// ---- Console ---------------------------------------------------------------------

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

/**
 * The frames of a stack, each at its original file, line and column when a
 * source map covers it, with the line and a few around it; the others as
 * recorded.
 */
export function framesView(list: Frame[]): HTMLElement {
  return h(
    "div",
    { class: "e-frames" },
    list.map((f) => {
      const o = f.original;
      const fn = o?.function || f.function;
      const at = o ? `${o.file}:${o.line}:${o.column}` : `${f.file}:${f.line}:${f.column}`;
      return h(
        "div",
        { class: `frame${o ? " mapped" : ""}`, title: o ? `minified: ${f.file}:${f.line}:${f.column}` : "no source map covers this frame" },
        h("div", { class: "frame-at" }, fn ? h("span", { class: "frame-fn" }, fn, " ") : null, h("span", { class: "frame-file" }, at)),
        o?.context?.length
          ? h(
              "pre",
              { class: "frame-src" },
              o.context.map((l) => h("div", { class: l.line === o.line ? "src-line at" : "src-line" }, h("span", { class: "src-no" }, String(l.line)), l.text)),
            )
          : null,
      );
    }),
  );
}

/** The original place of a stack's first mapped frame, shown where the recorded source would be. */
function mappedSource(list: Frame[]): HTMLElement | null {
  const o = list.find((f) => f.original)?.original;
  return o ? h("div", { class: "e-source mapped", title: "mapped by the release's source map" }, `${o.file}:${o.line}:${o.column}`) : null;
}

export function consolePanel(entries: ConsoleEntry[], ctx: PanelContext): Panel {
  const msgs = new Map<ConsoleEntry, HTMLElement>();
  const render = (e: ConsoleEntry) => {
    const lv = levelClass(e.level);
    const msg = h("div", { class: "e-msg" }, e.text || "(empty)");
    msgs.set(e, msg);
    const decoded = e.args.map(decodeArg);
    const hasObjects = decoded.some((v) => v !== null && typeof v === "object");
    const argsBox = hasObjects ? h("div", { class: "e-args no-seek", hidden: true }) : null;
    const trace = e.frames.length
      ? h("div", { class: "e-trace no-seek", hidden: true }, framesView(e.frames))
      : e.trace.length
        ? h("div", { class: "e-trace no-seek", hidden: true }, e.trace.map((l) => h("div", null, l)))
        : null;
    const more = argsBox || trace ? h("div", { class: "e-more no-seek", hidden: true }, argsBox, trace) : null;
    if (argsBox) argsBox.hidden = false;
    if (trace) trace.hidden = false;
    const expand = more
      ? expander(more, hasObjects ? "Show the arguments and stack trace" : "Show the stack trace", () => {
          if (argsBox) for (const v of decoded) argsBox.appendChild(h("div", { class: "j-arg" }, jsonTree(v)));
        })
      : h("span", { class: "expand-space" });
    return h(
      "div",
      { class: `row console-row level-${lv}`, title: `${e.level} at ${clock(e.t)}` },
      timeCell(e.t),
      h("span", { class: "e-level" }, e.level),
      h("div", { class: "e-body" }, msg, more),
      linkButton(ctx, "console", e.ts),
      expand,
    );
  };
  const list = new EntryList(entries, render, (e) => pick(e), "No console output in this session.");
  function pick(e: ConsoleEntry): void {
    list.select(e);
    ctx.seek(e.t);
  }
  let level = "";
  let text = "";
  const counter = h("span", { class: "filter-count muted" });
  const apply = () => {
    list.setFilter(
      level || text
        ? (e) => (!level || levelClass(e.level) === level) && (!text || e.text.toLowerCase().includes(text) || e.trace.some((l) => l.toLowerCase().includes(text)))
        : null,
    );
    // highlight what matched
    for (const [e, m] of msgs) if (m.firstChild && (m.childNodes.length > 1 || text)) markText(m, e.text || "(empty)", text);
    const n = text || level ? list.visibleRows().length : entries.length;
    counter.textContent = text || level ? `${count(n)} of ${count(entries.length)}` : "";
  };
  const select = h("select", { class: "filter-select", "aria-label": "Level" }, LEVELS.map(([v, name]) => h("option", { value: v }, name)));
  select.addEventListener("change", () => {
    level = select.value;
    apply();
  });
  const input = filterInput("Search console", (v) => {
    text = v;
    apply();
  });
  const errors = entries.filter((e) => levelClass(e.level) === "error").length;
  return {
    id: "console",
    title: "Console",
    badge: count(entries.length),
    alert: errors > 0,
    el: h("section", { class: "panel", "data-panel": "console" }, h("div", { class: "panel-toolbar" }, select, input, counter), list.el),
    update: (t) => list.update(t),
    shown: () => list.shown(),
    select(key) {
      const e = findEntry(entries, key);
      if (!e) return null;
      list.select(e);
      return e.t;
    },
  };
}

// ---- Network -----------------------------------------------------------------------

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

const WINDOWS: [number, string][] = [
  [10_000, "10 s"],
  [60_000, "1 min"],
  [600_000, "10 min"],
  [0, "All"],
];

/** `pageHost`: the recorded site's host; requests to it show their path only. */
export function networkPanel(entries: NetworkEntry[], total: number, pageHost: string, ctx: PanelContext): Panel {
  const bars = new Map<NetworkEntry, HTMLElement>();
  let winSize = 60_000;
  let winStart = 0;
  let lastT = 0;
  const span = () => (winSize > 0 ? winSize : Math.max(1, total));

  const render = (e: NetworkEntry) => {
    const statusText = e.status ? String(e.status) : e.error ? "error" : "failed";
    const { name, where } = splitUrl(e.url, pageHost);
    const bar = h("span", { class: "n-wf-bar" });
    bars.set(e, bar);
    placeBar(e, bar);
    return h(
      "div",
      { class: `row net-row${e.failed ? " failed" : ""}`, title: `${e.method} ${e.url}\n${statusText}${e.error ? " – " + e.error : ""} · ${shortMs(e.duration)} · ${bytes(e.resSize)} · ${e.type}` },
      timeCell(e.t),
      h("span", { class: "n-method" }, e.method),
      h("span", { class: "n-url" }, h("span", { class: "n-path" }, name), h("span", { class: "n-host" }, where)),
      h("span", { class: "n-status" }, statusText),
      h("span", { class: "n-dur" }, h("span", null, shortMs(e.duration)), h("span", { class: "n-size" }, bytes(e.resSize))),
      h("span", { class: "n-wf" }, bar),
      linkButton(ctx, "request", e.ts),
    );
  };
  const list = new EntryList(entries, render, (e) => pick(e), "No requests recorded in this session.");
  const playLine = h("div", { class: "n-wf-now", "aria-hidden": "true" });
  const wfHead = h("span", { class: "n-wf" }, h("span", { class: "n-wf-scale" }));

  /** Places a request's bar on the waterfall's current time span. */
  function placeBar(e: NetworkEntry, bar: HTMLElement): void {
    const w = span();
    const a = winSize > 0 ? winStart : 0;
    const s0 = (e.start - a) / w;
    const s1 = (e.start + e.duration - a) / w;
    const out = s1 < 0 ? "before" : s0 > 1 ? "after" : "";
    bar.dataset.out = out;
    const left = Math.min(1, Math.max(0, s0));
    const right = Math.min(1, Math.max(0, s1));
    bar.style.left = `${(left * 100).toFixed(2)}%`;
    bar.style.width = out ? "" : `${Math.max(0, (right - left) * 100).toFixed(2)}%`;
  }

  function layoutBars(): void {
    const a = winSize > 0 ? winStart : 0;
    const w = span();
    for (const [e, bar] of bars) placeBar(e, bar);
    const scale = wfHead.firstChild as HTMLElement;
    scale.textContent = winSize > 0 ? `${clock(a)} – ${clock(a + w)}` : "whole session";
  }

  function followWindow(t: number): void {
    if (winSize <= 0) return;
    if (t < winStart || t > winStart + winSize) {
      winStart = Math.max(0, t - winSize * 0.15);
      layoutBars();
    }
  }

  function movePlayLine(t: number): void {
    const a = winSize > 0 ? winStart : 0;
    const f = (t - a) / span();
    const cell = wfHead;
    if (!cell.offsetParent || f < 0 || f > 1) {
      playLine.hidden = true;
      return;
    }
    playLine.hidden = false;
    const x = cell.offsetLeft + f * cell.clientWidth;
    playLine.style.left = `${x.toFixed(1)}px`;
  }

  // ---- details pane
  const details = h("div", { class: "net-details", hidden: true });
  function showDetails(e: NetworkEntry | null): void {
    details.replaceChildren();
    details.hidden = !e;
    panelEl.classList.toggle("with-details", !!e);
    if (!e) return;
    const statusText = e.status ? String(e.status) : "failed";
    const close = h("button", { class: "btn-icon small", type: "button", title: "Close", "aria-label": "Close the details" }, "×");
    close.addEventListener("click", () => {
      list.select(null);
      showDetails(null);
    });
    const jump = h("button", { class: "btn btn-small", type: "button" }, "Jump to moment");
    jump.addEventListener("click", () => ctx.seek(e.t));
    const copy = h("button", { class: "btn btn-small btn-ghost", type: "button" }, "Copy link");
    copy.addEventListener("click", async () => {
      copy.textContent = (await copyText(ctx.link("request", e.ts))) ? "Copied" : "Copy failed";
      window.setTimeout(() => (copy.textContent = "Copy link"), 1500);
    });
    const kv = (k: string, v: Child) => [h("dt", null, k), h("dd", null, v)];
    const sec = (title: string, ...body: Child[]) => h("section", { class: "nd-sec" }, h("h4", null, title), body);
    const headerTable = (list: [string, string][] | undefined) =>
      list && list.length ? h("table", { class: "nd-headers" }, h("tbody", null, list.map(([k, v]) => h("tr", null, h("th", null, k), h("td", null, v))))) : h("p", { class: "muted small" }, "Not captured.");
    const bodyBox = (b: string | undefined) => (b === undefined ? h("p", { class: "muted small" }, "Not captured.") : h("pre", { class: "nd-body" }, prettyBody(b)));
    details.append(
      h(
        "div",
        { class: "nd-head" },
        h("span", { class: `nd-status${e.failed ? " failed" : ""}` }, statusText),
        h("span", { class: "n-method" }, e.method),
        h("span", { class: "nd-url", title: e.url }, e.url),
        close,
      ),
      h("div", { class: "nd-actions" }, jump, copy),
      h(
        "div",
        { class: "nd-scroll" },
        sec(
          "General",
          h(
            "dl",
            { class: "nd-general" },
            kv("URL", h("span", { class: "selectable-text" }, e.url)),
            kv("Status", `${statusText}${e.error ? ` – ${e.error}` : ""}`),
            kv("Type", e.type),
            kv("Started", `${clock(e.start)} (${shortMs(e.duration)})`),
            kv("Ended", clock(e.t)),
            kv("Sent", bytes(e.reqSize)),
            kv("Received", bytes(e.resSize)),
          ),
        ),
        sec("Request headers", headerTable(e.requestHeaders)),
        sec("Response headers", headerTable(e.responseHeaders)),
        sec("Request body", bodyBox(e.requestBody)),
        sec("Response body", bodyBox(e.responseBody)),
      ),
    );
  }

  function pick(e: NetworkEntry): void {
    list.select(e);
    showDetails(e);
    ctx.seek(e.t);
  }

  let failedOnly = false;
  let type = "";
  let text = "";
  const apply = () =>
    list.setFilter(
      failedOnly || text || type
        ? (e) => (!failedOnly || e.failed) && (!type || e.type === type) && (!text || `${e.method} ${e.url} ${e.status} ${e.error ?? ""}`.toLowerCase().includes(text))
        : null,
    );
  const input = filterInput("Filter", (v) => {
    text = v;
    apply();
  });
  const failedBox = h("input", { type: "checkbox" });
  failedBox.addEventListener("change", () => {
    failedOnly = failedBox.checked;
    apply();
  });
  const types = [...new Set(entries.map((e) => e.type))].sort();
  const typeSel = h("select", { class: "filter-select", "aria-label": "Type" }, h("option", { value: "" }, "All types"), types.map((t) => h("option", { value: t }, t)));
  typeSel.addEventListener("change", () => {
    type = typeSel.value;
    apply();
  });
  const winSel = h("select", { class: "filter-select", "aria-label": "Waterfall span", title: "Time span of the waterfall" }, WINDOWS.map(([v, n]) => h("option", { value: String(v), selected: v === winSize }, n)));
  winSel.addEventListener("change", () => {
    winSize = Number(winSel.value);
    winStart = Math.max(0, lastT - winSize * 0.15);
    layoutBars();
    movePlayLine(lastT);
  });
  const failed = entries.filter((e) => e.failed).length;
  const header = h(
    "div",
    { class: "row net-row net-head" },
    h("span", { class: "e-time" }, "At"),
    h("span", { class: "n-method" }, "Method"),
    h("span", { class: "n-url" }, "Name"),
    h("span", { class: "n-status" }, "Status"),
    h("span", { class: "n-dur" }, "Time/size"),
    wfHead,
    h("span", { class: "row-link-space" }),
  );
  const listBox = h("div", { class: "net-list" }, header, list.el, playLine);
  const panelEl = h(
    "section",
    { class: "panel", "data-panel": "network" },
    h("div", { class: "panel-toolbar" }, input, typeSel, h("label", { class: "check", title: "Show failed requests only" }, failedBox, `Failed (${failed})`), winSel),
    listBox,
    details,
  );
  layoutBars();
  return {
    id: "network",
    title: "Network",
    badge: count(entries.length),
    alert: failed > 0,
    el: panelEl,
    update: (t) => {
      lastT = t;
      list.update(t);
      followWindow(t);
      movePlayLine(t);
    },
    shown: () => {
      list.shown();
      movePlayLine(lastT);
    },
    select(key) {
      const e = findEntry(entries, key);
      if (!e) return null;
      list.select(e);
      showDetails(e);
      winStart = Math.max(0, e.start - winSize * 0.15);
      layoutBars();
      return e.t;
    },
  };
}

/** Pretty-prints a JSON body; anything else is shown as it is (truncated when huge). */
function prettyBody(b: string): string {
  const MAX = 64 * 1024;
  const t = b.trim();
  if ((t.startsWith("{") || t.startsWith("[")) && t.length < 512 * 1024) {
    try {
      const s = JSON.stringify(JSON.parse(t), null, 2);
      return s.length > MAX ? s.slice(0, MAX) + "\n… (truncated)" : s;
    } catch {
      // not JSON after all
    }
  }
  return b.length > MAX ? b.slice(0, MAX) + "\n… (truncated)" : b;
}

// ---- Errors ----------------------------------------------------------------------------

export function errorsPanel(entries: ErrorEntry[], ctx: PanelContext): Panel {
  const render = (e: ErrorEntry) => {
    const stack = e.frames.length ? framesView(e.frames) : e.stack ? h("pre", { class: "e-stack" }, e.stack) : null;
    const occ =
      e.count > 1
        ? h(
            "div",
            { class: "e-occ" },
            h("span", { class: "muted" }, `${e.count} times: `),
            e.siblings.slice(0, 60).map((t, i) => {
              const b = h("button", { class: `occ${i + 1 === e.nth ? " this" : ""}`, type: "button", title: `Jump to occurrence ${i + 1}` }, clock(t));
              b.addEventListener("click", () => ctx.seek(t));
              return b;
            }),
            e.siblings.length > 60 ? h("span", { class: "muted" }, " …") : null,
          )
        : null;
    const more = stack || occ ? h("div", { class: "e-more no-seek", hidden: true }, stack, occ) : null;
    const jump = h("button", { class: "btn btn-small btn-ghost jump", type: "button", title: "Jump to the moment of this error" }, "Jump");
    jump.addEventListener("click", () => pick(e));
    return h(
      "div",
      { class: "row error-row", "data-nth": String(e.nth) },
      timeCell(e.t),
      h(
        "div",
        { class: "e-body" },
        h(
          "div",
          { class: "e-msg" },
          h("span", { class: "e-kind" }, e.kind === "unhandledrejection" ? "Unhandled rejection" : "Error"),
          " ",
          e.message,
          e.count > 1 ? h("span", { class: "e-count", title: `${e.count} identical errors in this session; this is number ${e.nth}` }, `×${e.count}`) : null,
        ),
        mappedSource(e.frames) ?? (e.source ? h("div", { class: "e-source" }, e.source) : null),
        more,
      ),
      jump,
      linkButton(ctx, "error", e.ts),
      more ? expander(more, "Show the stack and the other occurrences") : h("span", { class: "expand-space" }),
    );
  };
  const list = new EntryList(entries, render, (e) => pick(e), "No uncaught errors in this session.");
  function pick(e: ErrorEntry): void {
    list.select(e);
    ctx.seek(e.t);
  }
  let text = "";
  let grouped = false;
  const apply = () =>
    list.setFilter(text || grouped ? (e) => (!grouped || e.nth === 1) && (!text || `${e.message} ${e.source} ${e.stack}`.toLowerCase().includes(text)) : null);
  const input = filterInput("Filter errors", (v) => {
    text = v;
    apply();
  });
  const groupBox = h("input", { type: "checkbox" });
  groupBox.addEventListener("change", () => {
    grouped = groupBox.checked;
    apply();
  });
  const distinct = new Set(entries.map((e) => e.message + "\u0000" + e.source)).size;
  return {
    id: "errors",
    title: "Errors",
    badge: count(entries.length),
    alert: entries.length > 0,
    el: h(
      "section",
      { class: "panel", "data-panel": "errors" },
      h("div", { class: "panel-toolbar" }, input, h("label", { class: "check", title: "One row per distinct message, at its first occurrence" }, groupBox, `Group identical (${distinct})`)),
      list.el,
    ),
    update: (t) => list.update(t),
    shown: () => list.shown(),
    select(key) {
      const e = findEntry(entries, key);
      if (!e) return null;
      list.select(e);
      return e.t;
    },
  };
}

// ---- Info ------------------------------------------------------------------------------

export function infoPanel(session: Session, sessionId: string, entries: Entries | null, eventsHref: string, seek: (t: number) => void, status?: HTMLElement): Panel {
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
  const custom: CustomEntry[] = entries?.custom ?? [];
  const customItems = custom.slice(0, 500).map((c) => {
    const li = h("li", { class: "seekable", title: c.payload }, h("span", { class: "e-time" }, clock(c.t)), h("span", { class: "info-tag" }, c.tag), h("span", { class: "info-payload" }, c.payload));
    li.addEventListener("click", () => seek(c.t));
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
      session.release ? row("Release", h("code", { class: "selectable" }, session.release)) : null,
      session.importedAt ? row("Imported", absolute(session.importedAt)) : null,
      status ? row("Replay", status) : null,
      row("Raw data", h("a", { href: eventsHref, download: `${sessionId}.json` }, "Download events (JSON)")),
    ),
    h("h3", null, `Pages (${pages.length})`),
    pageItems.length ? h("ol", { class: "info-pages" }, pageItems) : h("p", { class: "muted" }, "No pages recorded."),
    custom.length ? [h("h3", null, `Custom events (${count(custom.length)})`), h("ol", { class: "info-pages info-custom" }, customItems)] : null,
  );
  return { id: "info", title: "Info", badge: "", alert: false, el, update: () => {}, shown: () => {} };
}
