// The Dashboard API client (docs/PROTOCOL.md). Every call sends the login cookie.

import type { MatchList, Me, Report, SavedSearch, SearchKey, SearchValue, SessionDetail, SessionPage, StoredCheckpoints, Webhook, WebhookDelivery } from "./types";

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
    res = await fetch(path, init);
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
  session: (id: string) => call<SessionDetail>("GET", `/api/v1/sessions/${encodeURIComponent(id)}`),
  /** The player checkpoints stored for a session, or null when there are none (204). */
  checkpoints: (id: string) => call<StoredCheckpoints | undefined>("GET", `/api/v1/sessions/${encodeURIComponent(id)}/checkpoints`).then((cps) => cps ?? null),
  putCheckpoints: (id: string, cps: StoredCheckpoints) => call<unknown>("PUT", `/api/v1/sessions/${encodeURIComponent(id)}/checkpoints`, cps),
  reports: () => call<{ reports: Report[] }>("GET", "/api/v1/reports"),
  webhooks: () => call<{ webhooks: Webhook[] }>("GET", "/api/v1/webhooks"),
  addWebhook: (url: string) => call<{ webhook: Webhook; secret: string }>("POST", "/api/v1/webhooks", { url }),
  deleteWebhook: (id: string) => call<unknown>("DELETE", `/api/v1/webhooks/${encodeURIComponent(id)}`),
  deliveries: (id: string) => call<{ deliveries: WebhookDelivery[] }>("GET", `/api/v1/webhooks/${encodeURIComponent(id)}/deliveries`),
  eventsUrl: (id: string, from?: number, to?: number) => {
    const q = new URLSearchParams();
    if (from !== undefined) q.set("from", String(from));
    if (to !== undefined) q.set("to", String(to));
    const qs = q.toString();
    return `/api/v1/sessions/${encodeURIComponent(id)}/events${qs ? "?" + qs : ""}`;
  },
};
