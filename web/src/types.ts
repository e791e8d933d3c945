// Shapes of the Dashboard API (docs/PROTOCOL.md, "Dashboard API").
// Everything that comes from a session is data recorded in someone's browser:
// treat it as untrusted, render it as text only and never trust its types.

export interface Me {
  user: { username: string };
  project: { id: number; name: string; ingestKey: string };
}

export interface Session {
  id: string;
  startedAt: number;
  endedAt: number;
  durationMs: number;
  userAgent: string;
  firstUrl: string;
  pages: string[];
  clicks: number;
  errors: number;
  consoleErrors: number;
  failedRequests: number;
  events: number;
  bytes: number;
  batches: number;
}

export interface SessionPage {
  sessions: Session[];
  next?: string;
}

export interface BatchInfo {
  seq: number;
  firstTs: number;
  lastTs: number;
  keyframeTs: number | null;
  events: number;
  bytes: number;
}

export type TimelineKind = "navigation" | "click" | "error" | "console" | "request" | "custom";

export interface TimelineEntry {
  ts: number;
  kind: TimelineKind | string;
  level?: string;
  label: string;
  detail?: unknown;
}

/** A run of batches the SDK numbered but the server never got. */
export interface Gap {
  fromSeq: number;
  toSeq: number;
  /** Last timestamp before the gap and first one after it. */
  fromTs: number;
  toTs: number;
}

export interface SessionDetail {
  session: Session;
  batches: BatchInfo[];
  timeline: TimelineEntry[];
  gaps?: Gap[];
}

/** `playhead.network` payload (headers and bodies only when the SDK captured them). */
export interface NetworkPayload {
  type: string;
  method: string;
  url: string;
  status: number;
  start: number;
  duration: number;
  reqSize?: number;
  resSize?: number;
  error?: string;
}

/** `playhead.error` payload. */
export interface ErrorPayload {
  kind: string;
  message: string;
  stack?: string;
  source?: string;
  line?: number;
  column?: number;
}

/** rrweb console plugin payload (`rrweb/console@1`). */
export interface ConsolePayload {
  level: string;
  payload: string[];
  trace: string[];
}
