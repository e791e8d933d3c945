// Server keyframes: full snapshots the server builds from a session's events
// (docs/PROTOCOL.md, "Keyframes"). `GET …/keyframes` lists their moments;
// `GET …/keyframes/{ts}` answers the events (Meta, FullSnapshot, the CSSOM
// and font state) that, followed by the session's recorded events with a
// timestamp after ts, replay the session exactly. The player opens and seeks
// from the nearest one, for the first viewer of a session as for any later one.

import type { eventWithTime } from "@rrweb/types";
import { ApiError, api, errorMessage, responseError } from "../api";
import { pendingAssets, sanitize } from "./store";

/** Keyframes kept parsed: the ones around the play head. */
const KEEP = 4;

export class ServerKeyframes {
  private readonly loaded = new Map<number, eventWithTime[]>();
  private readonly pending = new Map<number, Promise<eventWithTime[]>>();
  /** The most assets a keyframe said were still being captured. */
  pendingAssets = 0;

  constructor(
    private readonly sessionId: string,
    /** The keyframes' moments, Unix ms, sorted. */
    readonly times: readonly number[],
    private readonly signal?: AbortSignal,
  ) {}

  /** The keyframe at `ts` if it is in memory. */
  get(ts: number): eventWithTime[] | undefined {
    const evs = this.loaded.get(ts);
    if (evs) {
      // most recently used last
      this.loaded.delete(ts);
      this.loaded.set(ts, evs);
    }
    return evs;
  }

  /** Forgets the keyframes fetched (see EventStore.reset). */
  reset(): void {
    this.loaded.clear();
    this.pendingAssets = 0;
  }

  /** Fetches the keyframe at `ts` (once, however often it is asked for). */
  load(ts: number): Promise<eventWithTime[]> {
    const have = this.get(ts);
    if (have) return Promise.resolve(have);
    let p = this.pending.get(ts);
    if (!p) {
      p = this.fetch(ts).finally(() => this.pending.delete(ts));
      this.pending.set(ts, p);
    }
    return p;
  }

  private async fetch(ts: number): Promise<eventWithTime[]> {
    const init: RequestInit = { credentials: "same-origin", headers: { Accept: "application/json" } };
    if (this.signal) init.signal = this.signal;
    let res: Response;
    try {
      res = await fetch(api.keyframeUrl(this.sessionId, ts), init);
    } catch (err) {
      if (this.signal?.aborted) throw err;
      throw new ApiError(0, "network", "Cannot reach the server while loading a keyframe: " + errorMessage(err));
    }
    if (!res.ok) throw await responseError(res);
    this.pendingAssets = Math.max(this.pendingAssets, pendingAssets(res));
    const evs = keyframeEvents(await res.json(), ts);
    this.loaded.set(ts, evs);
    while (this.loaded.size > KEEP) this.loaded.delete(this.loaded.keys().next().value!);
    return evs;
  }
}

/**
 * The events of a keyframe answer, checked: well-formed events, a Meta and a
 * FullSnapshot among them, none later than the keyframe's moment (the
 * recorded events after it follow them).
 */
export function keyframeEvents(body: unknown, ts: number): eventWithTime[] {
  if (!Array.isArray(body)) throw new Error(`The keyframe at ${ts} is not a JSON array of events`);
  const evs = sanitize(body).map((e) => (e.timestamp > ts ? { ...e, timestamp: ts } : e));
  if (!evs.some((e) => e.type === 4) || !evs.some((e) => e.type === 2)) throw new Error(`The keyframe at ${ts} has no Meta and FullSnapshot events`);
  return evs;
}
