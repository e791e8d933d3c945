// Turns the session's timeline into what the player shows: console, network,
// error and custom-event rows, and markers along the timeline.
//
// Every string here was recorded in someone's browser: it is rendered as text
// only, and nothing about its shape is trusted.

import type { ConsolePayload, ErrorPayload, NetworkPayload, TimelineEntry } from "../types";

export type MarkerKind =
  | "navigation"
  | "click"
  | "input"
  | "error"
  | "console-error"
  | "request-failed"
  | "backend-error"
  | "rage-click"
  | "dead-click"
  | "error-click"
  | "custom"
  | "match";

export const MARKER_KINDS: { kind: MarkerKind; name: string }[] = [
  { kind: "navigation", name: "Navigations" },
  { kind: "click", name: "Clicks" },
  { kind: "input", name: "Inputs" },
  { kind: "error", name: "Errors" },
  { kind: "console-error", name: "Console errors" },
  { kind: "request-failed", name: "Failed requests" },
  { kind: "backend-error", name: "Backend errors" },
  { kind: "rage-click", name: "Rage clicks" },
  { kind: "dead-click", name: "Dead clicks" },
  { kind: "error-click", name: "Error clicks" },
  { kind: "custom", name: "Custom events" },
  { kind: "match", name: "Search matches" },
];

const SIGNAL_MARKERS: Record<"rage_click" | "dead_click" | "error_click", MarkerKind> = {
  rage_click: "rage-click",
  dead_click: "dead-click",
  error_click: "error-click",
};

export interface Marker {
  /** Offset from the session's first event, ms. */
  t: number;
  kind: MarkerKind;
  label: string;
}

interface Base {
  /** Offset from the session's first event, ms. */
  t: number;
  /** The event's own timestamp (Unix ms): the entry's id in deep links. */
  ts: number;
}

export interface ConsoleEntry extends Base {
  level: string;
  text: string;
  /** The arguments as recorded: each one JSON text (the console plugin stringifies them). */
  args: string[];
  trace: string[];
  /** The trace mapped to the original source, when the release's source maps cover it. */
  frames: Frame[];
}

/** A stack frame as recorded and, when a source map covers it, as written (the server's `frames`). */
export interface Frame {
  function?: string;
  file: string;
  line: number;
  column: number;
  original?: {
    file: string;
    line: number;
    column: number;
    function?: string;
    context?: { line: number; text: string }[];
  };
}

/** The frames the server mapped to the original source, or none. */
function frames(v: unknown): Frame[] {
  if (!Array.isArray(v)) return [];
  return v.filter((f): f is Frame => !!f && typeof f === "object" && typeof (f as Frame).file === "string");
}

export interface NetworkEntry extends Base {
  type: string;
  method: string;
  url: string;
  status: number;
  /** Offset of the request's start from the session's first event, ms. */
  start: number;
  duration: number;
  reqSize: number | undefined;
  resSize: number | undefined;
  failed: boolean;
  error: string | undefined;
  requestHeaders: [string, string][] | undefined;
  responseHeaders: [string, string][] | undefined;
  requestBody: string | undefined;
  responseBody: string | undefined;
  /** The W3C trace id the page sent (traceparent), when it did. */
  traceId: string | undefined;
}

export interface ErrorEntry extends Base {
  kind: string;
  message: string;
  stack: string;
  source: string;
  /** Identical messages in the session (same message and source), this one included. */
  count: number;
  /** This one's place among them, from 1. */
  nth: number;
  /** The moments of all of them (offsets), in order. */
  siblings: number[];
  /** The stack mapped to the original source, when the release's source maps cover it. */
  frames: Frame[];
}

export interface NavigationEntry extends Base {
  url: string;
  kind: string;
}

export interface CustomEntry extends Base {
  tag: string;
  payload: string;
}

export interface Entries {
  console: ConsoleEntry[];
  network: NetworkEntry[];
  errors: ErrorEntry[];
  navigations: NavigationEntry[];
  custom: CustomEntry[];
  markers: Marker[];
  /** Moments to step through with [ and ]: uncaught errors, console errors, failed requests. */
  problems: number[];
}

export const str = (v: unknown, d = ""): string => (typeof v === "string" ? v : v === undefined || v === null ? d : String(v));
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** Headers as recorded: an object, or a list of [name, value] pairs. */
function headers(v: unknown): [string, string][] | undefined {
  if (Array.isArray(v)) {
    const out: [string, string][] = [];
    for (const p of v) if (Array.isArray(p) && p.length >= 2) out.push([str(p[0]), str(p[1])]);
    return out.length ? out : undefined;
  }
  if (v && typeof v === "object") {
    const out = Object.entries(v as Record<string, unknown>).map(([k, val]) => [k, str(val)] as [string, string]);
    return out.length ? out : undefined;
  }
  return undefined;
}

function body(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v;
  try {
    return JSON.stringify(v, null, 2);
  } catch {
    return String(v);
  }
}

export function buildEntries(timeline: TimelineEntry[], startTime: number): Entries {
  const out: Entries = { console: [], network: [], errors: [], navigations: [], custom: [], markers: [], problems: [] };
  const sorted = timeline.filter((e) => e && typeof e.ts === "number" && Number.isFinite(e.ts)).sort((a, b) => a.ts - b.ts);
  for (const e of sorted) {
    const ts = e.ts;
    const t = ts - startTime;
    const d = obj(e.detail);
    const label = str(e.label);
    switch (e.kind) {
      case "navigation": {
        const url = str(d.url, label);
        out.navigations.push({ t, ts, url, kind: str(d.kind, "load") });
        out.markers.push({ t, kind: "navigation", label: url });
        break;
      }
      case "click":
        out.markers.push({ t, kind: "click", label: label || "Click" });
        break;
      // Frustration signals the server found (docs/SEARCH.md).
      case "rage_click":
      case "dead_click":
      case "error_click": {
        const kind = SIGNAL_MARKERS[e.kind];
        out.markers.push({ t, kind, label: label || MARKER_KINDS.find((k) => k.kind === kind)!.name });
        out.problems.push(t);
        break;
      }
      case "error": {
        const p = d as Partial<ErrorPayload>;
        const message = str(p.message, label) || "Error";
        const line = num(p.line);
        const col = num(p.column);
        const source = p.source ? `${str(p.source)}${line !== undefined ? `:${line}` : ""}${col !== undefined ? `:${col}` : ""}` : "";
        out.errors.push({ t, ts, kind: str(p.kind, "error"), message, stack: str(p.stack), source, count: 1, nth: 1, siblings: [], frames: frames(d.frames) });
        out.markers.push({ t, kind: "error", label: message });
        out.problems.push(t);
        break;
      }
      case "console": {
        const p = d as Partial<ConsolePayload>;
        const level = str(e.level || p.level, "log");
        const args = Array.isArray(p.payload) ? p.payload.map((a) => str(a)) : [];
        const text = args.length ? formatConsoleArgs(args) : label;
        const trace = Array.isArray(p.trace) ? p.trace.map((s) => str(s)) : [];
        out.console.push({ t, ts, level, text, args, trace, frames: frames(d.frames) });
        if (level === "error" || level === "assert") {
          out.markers.push({ t, kind: "console-error", label: text });
          out.problems.push(t);
        }
        break;
      }
      case "request": {
        const p = d as Partial<NetworkPayload> & Record<string, unknown>;
        const status = num(p.status) ?? 0;
        const dur = Math.max(0, num(p.duration) ?? 0);
        const startTs = num(p.start);
        const failed = e.level === "error" || status === 0 || status >= 400 || !!p.error;
        const entry: NetworkEntry = {
          t,
          ts,
          type: str(p.type, "fetch"),
          method: str(p.method, "GET").toUpperCase(),
          url: str(p.url, label),
          status,
          start: startTs !== undefined ? startTs - startTime : t - dur,
          duration: dur,
          reqSize: num(p.reqSize),
          resSize: num(p.resSize),
          failed,
          error: p.error ? str(p.error) : undefined,
          requestHeaders: headers(p.requestHeaders),
          responseHeaders: headers(p.responseHeaders),
          requestBody: body(p.requestBody),
          responseBody: body(p.responseBody),
          traceId: typeof p.traceId === "string" && p.traceId ? p.traceId : undefined,
        };
        out.network.push(entry);
        if (failed) {
          const why = entry.error || (status ? String(status) : "failed");
          out.markers.push({ t, kind: "request-failed", label: `${entry.method} ${entry.url} (${why})` });
          out.problems.push(t);
        }
        break;
      }
      case "custom": {
        const tag = label || "custom";
        let payload = "";
        try {
          payload = e.detail === undefined ? "" : JSON.stringify(e.detail);
        } catch {
          payload = "";
        }
        out.custom.push({ t, ts, tag, payload });
        out.markers.push({ t, kind: "custom", label: payload ? `${tag} ${payload.length > 120 ? payload.slice(0, 120) + "…" : payload}` : tag });
        break;
      }
      default:
        break;
    }
  }
  // identical error messages: count them and link them to each other
  const groups = new Map<string, ErrorEntry[]>();
  for (const er of out.errors) {
    const key = er.message + "\u0000" + er.source;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(er);
  }
  for (const g of groups.values()) {
    const times = g.map((x) => x.t);
    g.forEach((x, i) => {
      x.count = g.length;
      x.nth = i + 1;
      x.siblings = times;
    });
  }
  out.problems.sort((a, b) => a - b);
  return out;
}

/**
 * Formats console arguments as the browser console would. The rrweb console
 * plugin sends each argument JSON-stringified; `%s`-style substitutions in the
 * first argument take the following ones, `%c` (CSS) drops its argument.
 */
export function formatConsoleArgs(args: string[]): string {
  const values = args.map(decodeArg);
  const parts: string[] = [];
  let i = 0;
  const first = values[0];
  if (typeof first === "string" && first.includes("%")) {
    i = 1;
    parts.push(
      first.replace(/%([sdifoOc%])/g, (m, f: string) => {
        if (f === "%") return "%";
        if (i >= values.length) return m;
        const v = values[i++];
        if (f === "c") return "";
        if (f === "d" || f === "i") return String(Math.trunc(Number(v)));
        if (f === "f") return String(Number(v));
        return show(v);
      }),
    );
  }
  for (; i < values.length; i++) parts.push(show(values[i]));
  return parts.join(" ");
}

export function decodeArg(a: string): unknown {
  try {
    return JSON.parse(a);
  } catch {
    return a;
  }
}

function show(v: unknown): string {
  if (typeof v === "string") return v;
  if (v === undefined) return "undefined";
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s;
  } catch {
    return String(v);
  }
}

/** Index of the last item with `t <= time` (−1 when none); `items` sorted by `t`. */
export function lastAtOrBefore(items: { t: number }[], time: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (items[mid]!.t <= time) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
