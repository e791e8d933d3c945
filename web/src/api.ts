// The Dashboard API client (docs/PROTOCOL.md). Every call sends the login cookie.

import { withProject } from "./project";
import type {
  ApiToken,
  AuditEntry,
  ImportResult,
  Me,
  Member,
  Project,
  ProjectDetail,
  ProjectRole,
  ProjectSettings,
  Report,
  Role,
  SessionDetail,
  SessionPage,
  ShareLink,
  StoredCheckpoints,
  Webhook,
  WebhookDelivery,
} from "./types";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export function isUnauthorized(err: unknown): boolean {
  return err instanceof ApiError && err.status === 401;
}

export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message || `${err.status} ${err.code}`;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Turns a non-2xx response into an ApiError, reading `{"error":{code,message}}` when present. */
export async function responseError(res: Response): Promise<ApiError> {
  let code = "http_" + res.status;
  let message = `${res.status} ${res.statusText}`.trim();
  try {
    const body: unknown = await res.json();
    const e = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    if (e && typeof e.code === "string") code = e.code;
    if (e && typeof e.message === "string" && e.message) message = e.message;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(res.status, code, message);
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = {
    method,
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  };
  if (body !== undefined) {
    init.headers = { Accept: "application/json", "Content-Type": "application/json" };
    init.body = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(withProject(path), init);
  } catch (err) {
    throw new ApiError(0, "network", "Cannot reach the server: " + errorMessage(err));
  }
  if (!res.ok) throw await responseError(res);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const api = {
  me: () => call<Me>("GET", "/api/v1/me"),
  login: (username: string, password: string) =>
    call<{ ok: boolean }>("POST", "/api/v1/login", { username, password }),
  logout: () => call<{ ok: boolean }>("POST", "/api/v1/logout"),
  /** A page of sessions, newest first; `query` is a search (docs/SEARCH.md). */
  sessions: (limit: number, cursor?: string, query?: string) => {
    const q = new URLSearchParams({ limit: String(limit) });
    if (cursor) q.set("cursor", cursor);
    if (query) q.set("q", query);
    return call<SessionPage>("GET", `/api/v1/sessions?${q}`);
  },
  session: (id: string) => call<SessionDetail>("GET", `/api/v1/sessions/${encodeURIComponent(id)}`),
  /** The player checkpoints stored for a session, or null when there are none (204). */
  checkpoints: (id: string) => call<StoredCheckpoints | undefined>("GET", `/api/v1/sessions/${encodeURIComponent(id)}/checkpoints`).then((cps) => cps ?? null),
  putCheckpoints: (id: string, cps: StoredCheckpoints) => call<unknown>("PUT", `/api/v1/sessions/${encodeURIComponent(id)}/checkpoints`, cps),
  reports: () => call<{ reports: Report[] }>("GET", "/api/v1/reports"),
  webhooks: () => call<{ webhooks: Webhook[] }>("GET", "/api/v1/webhooks"),
  addWebhook: (url: string) => call<{ webhook: Webhook; secret: string }>("POST", "/api/v1/webhooks", { url }),
  deleteWebhook: (id: string) => call<unknown>("DELETE", `/api/v1/webhooks/${encodeURIComponent(id)}`),
  deliveries: (id: string) => call<{ deliveries: WebhookDelivery[] }>("GET", `/api/v1/webhooks/${encodeURIComponent(id)}/deliveries`),
  shares: (id: string) => call<{ shares: ShareLink[] }>("GET", `/api/v1/sessions/${encodeURIComponent(id)}/shares`),
  share: (id: string, expiresInHours: number, startAt?: number) =>
    call<{ share: ShareLink; url: string }>("POST", `/api/v1/sessions/${encodeURIComponent(id)}/shares`, { expiresInHours, startAt }),
  revokeShare: (id: string, share: number) => call<unknown>("DELETE", `/api/v1/sessions/${encodeURIComponent(id)}/shares/${share}`),
  exportUrl: (id: string, format: "rrweb" | "html") => withProject(`/api/v1/sessions/${encodeURIComponent(id)}/export?format=${format}`),
  /** Stores a recording file (rrweb, Sentry segments, PostHog export; gzip or not) as a new session. */
  importSession: async (file: Blob): Promise<ImportResult> => {
    const gz = new Uint8Array(await file.slice(0, 2).arrayBuffer());
    let res: Response;
    try {
      res = await fetch(withProject("/api/v1/sessions/import"), {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json", "Content-Type": gz[0] === 0x1f && gz[1] === 0x8b ? "application/gzip" : "application/json" },
        body: file,
      });
    } catch (err) {
      throw new ApiError(0, "network", "Cannot reach the server: " + errorMessage(err));
    }
    if (!res.ok) throw await responseError(res);
    return ((await res.json()) as { import: ImportResult }).import;
  },
  eventsUrl: (id: string, from?: number, to?: number) => {
    const q = new URLSearchParams();
    if (from !== undefined) q.set("from", String(from));
    if (to !== undefined) q.set("to", String(to));
    const qs = q.toString();
    return withProject(`/api/v1/sessions/${encodeURIComponent(id)}/events${qs ? "?" + qs : ""}`);
  },
  /** Erases one session (admin). */
  eraseSession: (id: string) => call<{ erased: number }>("DELETE", `/api/v1/sessions/${encodeURIComponent(id)}`),
  /** Erases every session of an identified user (admin). */
  eraseUser: (userId: string) => call<{ erased: number }>("POST", "/api/v1/erase", { userId }),
  projects: () => call<{ projects: ProjectRole[] }>("GET", "/api/v1/projects"),
  createProject: (name: string) => call<{ project: Project }>("POST", "/api/v1/projects", { name }),
  project: () => call<ProjectDetail>("GET", "/api/v1/project"),
  updateProject: (change: { name?: string; retentionDays?: number; settings?: ProjectSettings }) => call<ProjectDetail>("PATCH", "/api/v1/project", change),
  deleteProject: (confirm: string) => call<unknown>("DELETE", "/api/v1/project", { confirm }),
  /** A new ingest key; the old one stays valid for graceHours (0 revokes it at once). */
  rotateKey: (graceHours: number) => call<ProjectDetail>("POST", "/api/v1/project/ingest-key", { graceHours }),
  members: () => call<{ members: Member[] }>("GET", "/api/v1/members"),
  setMember: (username: string, role: Role) => call<unknown>("PUT", `/api/v1/members/${encodeURIComponent(username)}`, { role }),
  removeMember: (username: string) => call<unknown>("DELETE", `/api/v1/members/${encodeURIComponent(username)}`),
  tokens: () => call<{ tokens: ApiToken[] }>("GET", "/api/v1/tokens"),
  createToken: (name: string, scopes: string[]) => call<{ token: ApiToken; secret: string }>("POST", "/api/v1/tokens", { name, scopes }),
  revokeToken: (id: number) => call<unknown>("DELETE", `/api/v1/tokens/${id}`),
  /** The audit log: the project's, or with all the whole installation's (owners). */
  audit: (filter: URLSearchParams, all: boolean) => call<{ entries: AuditEntry[]; next?: string }>("GET", auditUrl(filter, all)),
  installation: () => call<{ auditRetentionDays: number }>("GET", "/api/v1/installation"),
  updateInstallation: (auditRetentionDays: number) => call<{ auditRetentionDays: number }>("PATCH", "/api/v1/installation", { auditRetentionDays }),
};

/** The audit log's URL for a filter; with format=csv or json it is a download. */
export function auditUrl(filter: URLSearchParams, all: boolean): string {
  const qs = filter.toString();
  const path = (all ? "/api/v1/audit/all" : "/api/v1/audit") + (qs ? "?" + qs : "");
  return all ? path : withProject(path);
}
