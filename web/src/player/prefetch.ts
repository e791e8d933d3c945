// Starts the requests the player needs first while the app is still checking
// the login (GET /api/v1/me): the session's manifest, its server keyframes
// and, when the player will open at the start, the first batch (normally the
// first keyframe). Saves two round trips before the first frame.

import { ApiError, api, errorMessage } from "../api";
import { takeBoot } from "../boot";
import { pendingAssets } from "./store";
import type { SessionDetail } from "../types";
import type { LinkKind } from "./panels";

/** The parameters of a link to an entry of the timeline (?error=, ?request=, ?console=). */
export const ENTRY_PARAMS: LinkKind[] = ["error", "request", "console"];

export interface Prefetched {
  id: string;
  detail: Promise<SessionDetail>;
  /** The server keyframes' moments (none when they cannot be had). */
  keyframes: Promise<number[]>;
  /** `?from=0&to=0`, parsed (with the answer's count of assets still being captured), or null when it failed. */
  first: Promise<{ events: unknown[]; pendingAssets: number } | null> | null;
}

let pending: Prefetched | null = null;

/** Whether the player URL asks for a moment other than the start. */
function opensLater(): boolean {
  const q = new URLSearchParams(location.search);
  if (["error", "request", "console"].some((k) => q.has(k))) return true;
  const t = Number(q.get("t") ?? "0");
  return Number.isFinite(t) && t > 0;
}

export function prefetchSession(id: string): void {
  // the manifest for opening, unless a link names an entry of the timeline
  const q = new URLSearchParams(location.search);
  const detail = api.session(id, !ENTRY_PARAMS.some((k) => q.has(k)));
  detail.catch(() => {}); // the player reports errors when it asks for it
  let first: Prefetched["first"] = null;
  const url = api.eventsUrl(id, 0, 0);
  const boot = opensLater() ? undefined : takeBoot(url);
  if (boot) {
    first = Promise.resolve(Array.isArray(boot.body) ? { events: boot.body, pendingAssets: pendingAssets(boot) } : null);
  } else if (!opensLater()) {
    first = fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(async (r) => {
        if (!r.ok) return null;
        const v: unknown = await r.json();
        performance.mark("playhead:first-parsed");
        return Array.isArray(v) ? { events: v, pendingAssets: pendingAssets(r) } : null;
      })
      .catch(() => null);
  }
  pending = { id, detail, keyframes: serverKeyframes(id), first };
}

/** The moments of the session's server keyframes; none when the server lists none (or cannot). */
export function serverKeyframes(id: string): Promise<number[]> {
  return api.keyframes(id).catch((err: unknown) => {
    if (!(err instanceof ApiError) || err.status !== 404) console.warn("playhead: server keyframes not listed:", errorMessage(err));
    return [];
  });
}

/** The prefetched requests for `id`, once; null when there are none. */
export function takePrefetch(id: string): Prefetched | null {
  const p = pending;
  pending = null;
  return p && p.id === id ? p : null;
}
