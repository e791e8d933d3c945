// Server keyframes: full snapshots the server builds from a session's events
// (docs/PROTOCOL.md, "Keyframes"). `GET …/keyframes` lists their moments;
// `GET …/keyframes/{ts}` answers the events (Meta, FullSnapshot, the CSSOM
// and font state) that, followed by the session's recorded events with a
// timestamp after ts, replay the session exactly. The player opens and seeks
// from the nearest one, for the first viewer of a session as for any later one.

import type { eventWithTime } from "@rrweb/types";
import { ApiError, api, errorMessage, responseError } from "../api";
import { inflateText } from "./pack";
import { pendingAssets, sanitize } from "./store";

/** Keyframes kept parsed: the ones around the play head. */
const KEEP = 4;
/** Bytes of deflated keyframes kept at most (outside the JS heap); past it, a keyframe is fetched again when needed. */
const MAX_PACKED = 48 << 20;

export class ServerKeyframes {
  private readonly loaded = new Map<number, eventWithTime[]>();
  private readonly pending = new Map<number, Promise<eventWithTime[]>>();
  /** Every keyframe the prefetch fetched, as deflated JSON: a seek back to one costs an inflate and a parse, not a request. */
  private readonly packed = new Map<number, Uint8Array>();
  private packedSize = 0;
  private prefetching: { gen: number; done: Promise<void> } | null = null;
  /** Counts resets: what was fetched before one is not kept after it. */
  private gen = 0;
  /** Whether every keyframe is held (see prefetch). */
  prefetched = false;
  /** The most assets a keyframe said were still being captured. */
  pendingAssets = 0;

  constructor(
    private readonly sessionId: string,
    /** The keyframes' moments, Unix ms, sorted. */
    readonly times: readonly number[],
    private readonly signal?: AbortSignal,
  ) {}

  /** The keyframe at `ts` if it is in memory (parsed, or deflated and parsed now). */
  get(ts: number): eventWithTime[] | undefined {
    let evs = this.loaded.get(ts);
    if (evs) {
      // most recently used last
      this.loaded.delete(ts);
      this.loaded.set(ts, evs);
      return evs;
    }
    const z = this.packed.get(ts);
    if (!z) return undefined;
    try {
      evs = keyframeEvents(JSON.parse(inflateText(z)), ts);
    } catch {
      this.packed.delete(ts);
      this.packedSize -= z.byteLength;
      return undefined;
    }
    this.keep(ts, evs);
    return evs;
  }

  /** How many keyframes are held (deflated). */
  get held(): number {
    return this.packed.size;
  }

  /** Bytes of the keyframes held deflated. */
  get packedBytes(): number {
    return this.packedSize;
  }

  /** Forgets the keyframes fetched (see EventStore.reset). */
  reset(): void {
    this.loaded.clear();
    this.packed.clear();
    this.packedSize = 0;
    this.prefetched = false;
    this.pendingAssets = 0;
    this.gen++;
  }

  /**
   * Fetches, one at a time, every keyframe not held yet, deflated by the
   * server, and keeps it so, so that once a session has been open a little
   * while a seek anywhere needs no request. (Deflated here, a keyframe
   * took up to 13 ms of the main thread, in the way of the seeks right
   * after opening.) `wait` holds it back while the player needs the
   * connection (a seek loading). Resolves when done, or stopped (the
   * page left, the memory bound reached, an error: those keyframes are
   * fetched when needed).
   */
  prefetch(wait: () => boolean): Promise<void> {
    if (this.prefetching && this.prefetching.gen === this.gen) return this.prefetching.done;
    const job = { gen: this.gen, done: Promise.resolve() };
    this.prefetching = job;
    job.done = (async () => {
      try {
        for (const ts of this.times) {
          if (this.signal?.aborted || this.packedSize > MAX_PACKED || job.gen !== this.gen) return;
          if (this.packed.has(ts)) continue;
          while (wait() && !this.signal?.aborted) await new Promise((res) => setTimeout(res, 200));
          const z = await this.fetchPacked(ts);
          if (job.gen === this.gen && !this.packed.has(ts)) this.hold(ts, z);
        }
        if (job.gen === this.gen) this.prefetched = this.packed.size === this.times.length;
      } catch {
        // fetched when needed
      } finally {
        if (this.prefetching === job) this.prefetching = null;
      }
    })();
    return job.done;
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
    const gen = this.gen;
    const res = await this.request(ts, false);
    const evs = keyframeEvents(await res.json(), ts);
    // kept parsed while among the last used, and held deflated once the
    // prefetch fetches it so (a second, small request: deflating it here
    // would cost the page what the prefetch saves it)
    if (gen === this.gen) this.keep(ts, evs);
    return evs;
  }

  /** Keeps a parsed keyframe, the least recently used beyond KEEP dropped (held deflated too once the prefetch has it). */
  private keep(ts: number, evs: eventWithTime[]): void {
    this.loaded.set(ts, evs);
    while (this.loaded.size > KEEP) this.loaded.delete(this.loaded.keys().next().value!);
  }

  private hold(ts: number, z: Uint8Array): void {
    if (this.packedSize > MAX_PACKED) return;
    this.packed.set(ts, z);
    this.packedSize += z.byteLength;
  }

  /** The keyframe at `ts` deflated, as the server packs it. */
  private async fetchPacked(ts: number): Promise<Uint8Array> {
    const res = await this.request(ts, true);
    if (res.headers.get("Content-Type") !== PACKED_TYPE) throw new Error(`The keyframe at ${ts} came as ${res.headers.get("Content-Type")}, not deflated`);
    return new Uint8Array(await res.arrayBuffer());
  }

  private async request(ts: number, packed: boolean): Promise<Response> {
    const init: RequestInit = { credentials: "same-origin", headers: { Accept: packed ? PACKED_TYPE : "application/json" } };
    if (this.signal) init.signal = this.signal;
    let res: Response;
    try {
      res = await fetch(api.keyframeUrl(this.sessionId, ts, packed), init);
    } catch (err) {
      if (this.signal?.aborted) throw err;
      throw new ApiError(0, "network", "Cannot reach the server while loading a keyframe: " + errorMessage(err));
    }
    if (!res.ok) throw await responseError(res);
    this.pendingAssets = Math.max(this.pendingAssets, pendingAssets(res));
    return res;
  }
}

/** The type of a keyframe the server deflated (docs/PROTOCOL.md). */
const PACKED_TYPE = "application/vnd.playhead.events+deflate";

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
