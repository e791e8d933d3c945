// Turns the session's timeline into what the player shows: console, network and
// error rows, and markers along the scrubber.

import type { eventWithTime } from "@rrweb/types";
import type { ConsolePayload, ErrorPayload, NetworkPayload, TimelineEntry } from "../types";

export type MarkerKind = "navigation" | "click" | "error" | "console-error" | "request-failed";

export const MARKER_KINDS: { kind: MarkerKind; name: string }[] = [
  { kind: "navigation", name: "Navigations" },
  { kind: "click", name: "Clicks" },
  { kind: "error", name: "Errors" },
  { kind: "console-error", name: "Console errors" },
  { kind: "request-failed", name: "Failed requests" },
];

export interface Marker {
  /** Offset from the session's first event, ms. */
  t: number;
  kind: MarkerKind;
  label: string;
}

export interface ConsoleEntry {
  t: number;
  level: string;
  text: string;
  trace: string[];
}

export interface NetworkEntry {
  t: number;
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
}

export interface ErrorEntry {
  t: number;
  kind: string;
  message: string;
  stack: string;
  source: string;
}

export interface NavigationEntry {
  t: number;
  url: string;
  kind: string;
}

export interface Entries {
  console: ConsoleEntry[];
  network: NetworkEntry[];
  errors: ErrorEntry[];
  navigations: NavigationEntry[];
  markers: Marker[];
}

const str = (v: unknown, d = ""): string => (typeof v === "string" ? v : v === undefined || v === null ? d : String(v));
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === "object" ? (v as Record<string, unknown>) : {});

export function buildEntries(timeline: TimelineEntry[], startTime: number): Entries {
  const out: Entries = { console: [], network: [], errors: [], navigations: [], markers: [] };
  const sorted = timeline.filter((e) => e && typeof e.ts === "number").sort((a, b) => a.ts - b.ts);
  for (const e of sorted) {
    const t = e.ts - startTime;
    const d = obj(e.detail);
    const label = str(e.label);
    switch (e.kind) {
      case "navigation": {
        const url = str(d.url, label);
        out.navigations.push({ t, url, kind: str(d.kind, "load") });
        out.markers.push({ t, kind: "navigation", label: url });
        break;
      }
      case "click":
        out.markers.push({ t, kind: "click", label: label || "Click" });
        break;
      case "error": {
        const p = d as Partial<ErrorPayload>;
        const message = str(p.message, label) || "Error";
        const line = num(p.line);
        const col = num(p.column);
        const source = p.source ? `${str(p.source)}${line !== undefined ? `:${line}` : ""}${col !== undefined ? `:${col}` : ""}` : "";
        out.errors.push({ t, kind: str(p.kind, "error"), message, stack: str(p.stack), source });
        out.markers.push({ t, kind: "error", label: message });
        break;
      }
      case "console": {
        const p = d as Partial<ConsolePayload>;
        const level = str(e.level || p.level, "log");
        const args = Array.isArray(p.payload) ? p.payload.map((a) => str(a)) : null;
        const text = args ? formatConsoleArgs(args) : label;
        const trace = Array.isArray(p.trace) ? p.trace.map((s) => str(s)) : [];
        out.console.push({ t, level, text, trace });
        if (level === "error" || level === "assert") out.markers.push({ t, kind: "console-error", label: text });
        break;
      }
      case "request": {
        const p = d as Partial<NetworkPayload>;
        const status = num(p.status) ?? 0;
        const dur = Math.max(0, num(p.duration) ?? 0);
        const startTs = num(p.start);
        const failed = e.level === "error" || status === 0 || status >= 400 || !!p.error;
        const entry: NetworkEntry = {
          t,
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
        };
        out.network.push(entry);
        if (failed) {
          const why = entry.error || (status ? String(status) : "failed");
          out.markers.push({ t, kind: "request-failed", label: `${entry.method} ${entry.url} (${why})` });
        }
        break;
      }
      default:
        break;
    }
  }
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

function decodeArg(a: string): unknown {
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

/**
 * Builds a timeline from the events themselves, as the server indexes it. The
 * player uses it only when the server sent no timeline (an older server, or a
 * session that is still being indexed).
 */
export function deriveTimeline(events: eventWithTime[]): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  for (const ev of events) {
    const d = obj((ev as { data?: unknown }).data);
    if (ev.type === 4) {
      const url = str(d.href);
      out.push({ ts: ev.timestamp, kind: "navigation", label: url, detail: { url, kind: "load" } });
    } else if (ev.type === 3 && d.source === 2 && d.type === 2) {
      out.push({ ts: ev.timestamp, kind: "click", label: "Click", detail: { id: d.id, x: d.x, y: d.y } });
    } else if (ev.type === 6 && d.plugin === "rrweb/console@1") {
      const p = obj(d.payload);
      const args = Array.isArray(p.payload) ? p.payload.map((a) => str(a)) : [];
      out.push({ ts: ev.timestamp, kind: "console", level: str(p.level, "log"), label: formatConsoleArgs(args), detail: p });
    } else if (ev.type === 5) {
      const tag = str(d.tag);
      const p = obj(d.payload);
      if (tag === "playhead.network") {
        const status = num(p.status) ?? 0;
        const failed = status === 0 || status >= 400 || !!p.error;
        out.push({ ts: ev.timestamp, kind: "request", level: failed ? "error" : "info", label: `${str(p.method, "GET")} ${str(p.url)}`, detail: p });
      } else if (tag === "playhead.error") {
        out.push({ ts: ev.timestamp, kind: "error", label: str(p.message), detail: p });
      } else if (tag === "playhead.navigation") {
        out.push({ ts: ev.timestamp, kind: "navigation", label: str(p.url), detail: p });
      } else if (tag) {
        out.push({ ts: ev.timestamp, kind: "custom", label: tag, detail: d.payload });
      }
    }
  }
  return out;
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
