// Shapes of the Dashboard API (docs/PROTOCOL.md, "Dashboard API").
// Everything that comes from a session is data recorded in someone's browser:
// treat it as untrusted, render it as text only and never trust its types.

export type Role = "viewer" | "developer" | "admin";

/** A project's own settings (docs/SECURITY.md, "Projects"); absent fields are the defaults. */
export interface ProjectSettings {
  privacyPreset?: "strict" | "default" | "relaxed" | "";
  clientIp?: "anonymized" | "none" | "";
  assetOrigins?: string[];
  sampleRate?: number | null;
  errorSampleRate?: number | null;
  rageClicks?: number;
  rageWindowMs?: number;
  deadClickMs?: number;
}

export interface Project {
  id: number;
  name: string;
  ingestKey: string;
  retentionDays: number;
  settings: ProjectSettings;
}

export interface ProjectRole {
  project: Project;
  role: Role;
}

export interface Me {
  user: {
    id: number;
    username: string;
    owner: boolean;
    email: string;
    disabled: boolean;
    /** The OpenID issuer the user signs in with; absent for password users. */
    sso?: string;
  };
  /** Every project the user may see, with their role there. */
  projects: ProjectRole[];
  /** The project shown (absent when the user is a member of none). */
  project: Project;
  role: Role;
  /** Values the server masked because the SDK missed them, by kind ("email", "card", …). */
  scrubbed?: Record<string, number>;
  /** The language model that writes narrative summaries, when the operator configured one. */
  summaries?: { model: string; endpoint: string };
}

/** An account, as owners see it (GET /api/v1/users). */
export interface Account {
  id: number;
  username: string;
  email: string;
  disabled: boolean;
  owner?: boolean;
  /** The OpenID issuer the account signs in with; absent for password accounts. */
  sso?: string;
  passwordChangedAt?: string;
  createdAt?: string;
}

/** An open invitation to a project. */
export interface Invite {
  id: number;
  projectId: number;
  role: string;
  email: string;
  createdAt: string;
  expiresAt: string;
}

export interface ProjectDetail {
  project: Project;
  /** The key a rotation replaced, while it is still accepted. */
  previousKey?: { key: string; validUntil: string };
}

export interface Member {
  userId: number;
  username: string;
  role: Role;
  owner: boolean;
}

export interface ApiToken {
  id: number;
  name: string;
  scopes: string[];
  hint: string;
  createdAt: string;
  lastUsedAt: string;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  actorUserId?: number;
  actorToken?: string;
  action: string;
  projectId?: number;
  target?: string;
  ip?: string;
  detail?: Record<string, unknown>;
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
  /** Parsed from the user agent by the server; "" when unknown. */
  browser: string;
  os: string;
  device: string;
  /** Frustration signals the server found. */
  rageClicks: number;
  deadClicks: number;
  errorClicks: number;
  /** The app's release the session ran (the SDK's release option). */
  release?: string;
  /** When an imported session was imported (Unix ms). */
  importedAt?: number;
  /** With a search: the first moments it matched (docs/SEARCH.md). */
  matches?: SearchMatch[];
}

/** A moment of a session a search matched. */
export interface SearchMatch {
  /** Unix ms. */
  ts: number;
  kind: string;
  level?: string;
  label: string;
  /** A request's HTTP status. */
  status?: number;
}

export interface MatchList {
  matches: SearchMatch[];
  /** More moments match than were listed. */
  truncated: boolean;
}

/** A key of the query language, for suggestions. */
export interface SearchKey {
  key: string;
  description: string;
  values: string;
  examples?: string[];
}

export interface SearchValue {
  value: string;
  sessions: number;
}

export interface SavedSearch {
  id: number;
  name: string;
  query: string;
  createdAt: string;
}

/** A link that lets someone without an account watch one replay. */
export interface ShareLink {
  id: number;
  sessionId: string;
  startAt?: number;
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  revokedAt?: string;
  uses: number;
  lastUsedAt?: string;
}

/** What an import stored. */
export interface ImportResult {
  sessionId: string;
  format: string;
  events: number;
  batches: number;
  skippedWindows?: number;
  skippedEvents?: number;
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

export type TimelineKind =
  | "navigation"
  | "click"
  | "error"
  | "console"
  | "request"
  | "custom"
  | "font"
  | "rage_click"
  | "dead_click"
  | "error_click";

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

/** A span or a log from the app's backends (OpenTelemetry) tied to the session. Untrusted. */
export interface BackendItem {
  kind: "span" | "log" | string;
  service?: string;
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  /** Unix ms. */
  start: number;
  end?: number;
  level?: string;
  message?: string;
  status?: string;
  attributes?: Record<string, unknown>;
}

export interface SessionDetail {
  session: Session;
  batches: BatchInfo[];
  timeline: TimelineEntry[];
  gaps?: Gap[];
  backend?: BackendItem[];
  /** The manifest for opening: its timeline holds only fonts and page loads, without backend records. */
  partial?: boolean;
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

/** A user report (feedback) sent from a page, newest first. `text`, `contact` and `page` are untrusted. */
export interface Report {
  id: string;
  sessionId: string;
  /** Unix ms. */
  ts: number;
  text: string;
  contact?: string;
  page: string;
  errors: number;
}

export interface Webhook {
  id: string;
  url: string;
  createdAt: number;
}

export interface WebhookDelivery {
  id: string;
  event: string;
  sessionId: string;
  ts: number;
  message: string;
  page: string;
  status: string;
  attempts: number;
  lastStatus: number;
  lastError: string;
  nextAttempt: number;
  createdAt: number;
  deliveredAt: number;
}

/**
 * A session's player checkpoints as the server stores them: made by the
 * first player that indexed the session, used by later ones to seek at once.
 */
export interface StoredCheckpoints {
  v: 1;
  /** How many batches the session had: stale once it has more. */
  batches: number;
  /** Each: a deflated snapshot of the replayed page at `at`, before event `idx` of batch `seq`. */
  checkpoints: { at: number; seq: number; idx: number; z: string }[];
}

/** How a step names its element (docs/REPRODUCE.md). */
export interface StepTarget {
  role?: string;
  name?: string;
  exact?: boolean;
  label?: string;
  text?: string;
  testId?: string;
  css: string;
  description: string;
}

/** One reproduction step. */
export interface Step {
  ts: number;
  kind: string;
  text: string;
  target?: StepTarget;
  url?: string;
  waitMs?: number;
}

/** GET /api/v1/sessions/{id}/steps. */
export interface Steps {
  sessionId: string;
  baseUrl: string;
  start: number;
  from: number;
  to: number;
  steps: Step[];
}
