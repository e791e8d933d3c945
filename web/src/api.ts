// The Dashboard API client (docs/PROTOCOL.md). Every call sends the login cookie.

import { takeBoot } from "./boot";
import { withProject } from "./project";
import type {
  Account,
  ApiToken,
  AuditEntry,
  ImportResult,
  Invite,
  MatchList,
  Me,
  Member,
  Project,
  ProjectDetail,
  ProjectRole,
  ProjectSettings,
  Report,
  Role,
  SavedSearch,
  SearchKey,
  SearchValue,
  SessionDetail,
  SessionPage,
  ShareLink,
  Steps,
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

async function call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  if (method === "GET") {
    const b = takeBoot(withProject(path));
    if (b) return b.body as T;
  }
  const init: RequestInit = {
    method,
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  };
  if (signal) init.signal = signal;
  if (body !== undefined) {
    init.headers = { Accept: "application/json", "Content-Type": "application/json" };
    init.body = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(withProject(path), init);
  } catch (err) {
    if (signal?.aborted) throw err;
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
  /** How one may sign in here: a password, and single sign-on when configured. */
  loginOptions: () => call<{ password: boolean; sso: boolean }>("GET", "/api/v1/login/options"),
  inviteLookup: (token: string) =>
    call<{ project: string; role: string; email: string; expiresAt: string }>("POST", "/api/v1/invites/lookup", { token }),
  acceptInvite: (token: string, username: string, password: string) =>
    call<unknown>("POST", "/api/v1/invites/accept", { token, username, password }),
  users: () => call<{ users: Account[] }>("GET", "/api/v1/users"),
  resetPassword: (id: number) => call<{ ok: boolean; password?: string }>("POST", `/api/v1/users/${id}/password`, {}),
  setOwner: (id: number, owner: boolean) => call<unknown>("PUT", `/api/v1/users/${id}/owner`, { owner }),
  setDisabled: (id: number, disabled: boolean) => call<unknown>("POST", `/api/v1/users/${id}/${disabled ? "disable" : "enable"}`, {}),
  /** The current project's open invitations (admin). */
  invites: () => call<{ invites: Invite[] }>("GET", "/api/v1/invites"),
  createInvite: (role: string, email: string) => call<{ invite: Invite; url: string }>("POST", "/api/v1/invites", { role, email }),
  deleteInvite: (id: number) => call<unknown>("DELETE", `/api/v1/invites/${id}`),
  changePassword: (currentPassword: string, newPassword: string) =>
    call<{ ok: boolean }>("POST", "/api/v1/me/password", { currentPassword, newPassword }),
  /** A page of sessions, newest first; `query` is a search (docs/SEARCH.md). */
  sessions: (limit: number, cursor?: string, query?: string) => {
    const q = new URLSearchParams({ limit: String(limit) });
    if (cursor) q.set("cursor", cursor);
    if (query) q.set("q", query);
    return call<SessionPage>("GET", `/api/v1/sessions?${q}`);
  },
  /** The moments of a session a search matches. */
  matches: (id: string, query: string, signal?: AbortSignal) =>
    call<MatchList>("GET", `/api/v1/sessions/${encodeURIComponent(id)}/matches?${new URLSearchParams({ q: query })}`, undefined, signal),
  /** Keys starting with `prefix` (no key), or values of `key` holding `prefix`. */
  suggest: (key: string, prefix: string, signal?: AbortSignal) =>
    call<{ keys?: SearchKey[]; key?: SearchKey; values?: SearchValue[] }>("GET", `/api/v1/search/suggest?${new URLSearchParams({ key, prefix })}`, undefined, signal),
  savedSearches: () => call<{ searches: SavedSearch[] }>("GET", "/api/v1/searches"),
  saveSearch: (name: string, query: string) => call<{ search: SavedSearch }>("POST", "/api/v1/searches", { name, query }),
  renameSearch: (id: number, name: string) => call<{ search: SavedSearch }>("PATCH", `/api/v1/searches/${id}`, { name }),
  deleteSearch: (id: number) => call<unknown>("DELETE", `/api/v1/searches/${id}`),
  /** A session and its manifest; `open`: only what a player needs before its first frame (see SessionDetail.partial). */
  session: (id: string, open = false) => call<SessionDetail>("GET", `/api/v1/sessions/${encodeURIComponent(id)}${open ? "?for=open" : ""}`),
  /** The player checkpoints stored for a session, or null when there are none (204). */
  checkpoints: (id: string) => call<StoredCheckpoints | undefined>("GET", `/api/v1/sessions/${encodeURIComponent(id)}/checkpoints`).then((cps) => cps ?? null),
  putCheckpoints: (id: string, cps: StoredCheckpoints) => call<unknown>("PUT", `/api/v1/sessions/${encodeURIComponent(id)}/checkpoints`, cps),
  /** The moments (Unix ms) the server built keyframes at, sorted; none for a session it has built none for. */
  keyframes: (id: string) =>
    call<{ keyframes?: unknown } | undefined>("GET", `/api/v1/sessions/${encodeURIComponent(id)}/keyframes`).then((r) => keyframeTimes(r?.keyframes)),
  /** A keyframe's events; `packed`: their JSON deflated (raw DEFLATE), to be kept as it comes. */
  keyframeUrl: (id: string, ts: number, packed = false) =>
    withProject(`/api/v1/sessions/${encodeURIComponent(id)}/keyframes/${encodeURIComponent(String(ts))}${packed ? "?as=deflate" : ""}`),
  reports: () => call<{ reports: Report[] }>("GET", "/api/v1/reports"),
  webhooks: () => call<{ webhooks: Webhook[] }>("GET", "/api/v1/webhooks"),
  addWebhook: (url: string) => call<{ webhook: Webhook; secret: string }>("POST", "/api/v1/webhooks", { url }),
  deleteWebhook: (id: string) => call<unknown>("DELETE", `/api/v1/webhooks/${encodeURIComponent(id)}`),
  deliveries: (id: string) => call<{ deliveries: WebhookDelivery[] }>("GET", `/api/v1/webhooks/${encodeURIComponent(id)}/deliveries`),
  /** A session's reproduction steps; `window` is `{around}` or `{error}` for the window before a moment. */
  steps: (id: string, window?: Record<string, string>) =>
    call<Steps>("GET", `/api/v1/sessions/${encodeURIComponent(id)}/steps${window ? "?" + new URLSearchParams(window) : ""}`),
  /** A narrative summary of a session's steps by the configured language model, with the text that was sent to it. */
  summary: (id: string, window?: Record<string, string>) =>
    call<{ summary: string; model: string; endpoint: string; sent: string }>(
      "POST",
      `/api/v1/sessions/${encodeURIComponent(id)}/summary${window ? "?" + new URLSearchParams(window) : ""}`,
      {},
    ),
  /** The address of a session's export in `format` (playwright, markdown, rrweb, html); `window` for the steps' formats. */
  exportUrl: (id: string, format: string, window?: Record<string, string>) =>
    withProject(`/api/v1/sessions/${encodeURIComponent(id)}/export?${new URLSearchParams({ format, ...window })}`),
  /** A session's export in a text format. */
  exportText: async (id: string, format: string, window?: Record<string, string>) => {
    let res: Response;
    try {
      res = await fetch(api.exportUrl(id, format, window), { credentials: "same-origin" });
    } catch (err) {
      throw new ApiError(0, "network", "Cannot reach the server: " + errorMessage(err));
    }
    if (!res.ok) throw await responseError(res);
    return res.text();
  },
  shares: (id: string) => call<{ shares: ShareLink[] }>("GET", `/api/v1/sessions/${encodeURIComponent(id)}/shares`),
  share: (id: string, expiresInHours: number, startAt?: number) =>
    call<{ share: ShareLink; url: string }>("POST", `/api/v1/sessions/${encodeURIComponent(id)}/shares`, { expiresInHours, startAt }),
  revokeShare: (id: string, share: number) => call<unknown>("DELETE", `/api/v1/sessions/${encodeURIComponent(id)}/shares/${share}`),
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

/** The keyframe moments of a `GET …/keyframes` answer, well-formed ones only, sorted. */
function keyframeTimes(list: unknown): number[] {
  if (!Array.isArray(list)) return [];
  const out: number[] = [];
  for (const k of list) {
    const ts = (k as { ts?: unknown } | null)?.ts;
    if (typeof ts === "number" && Number.isFinite(ts)) out.push(ts);
  }
  return out.sort((a, b) => a - b);
}
