// The events of one session, loaded by batch ranges and dropped again when the
// play head is far away.
//
// The manifest (`GET /api/v1/sessions/{id}` → `batches`) lists every stored
// batch with its time range, event count and keyframe. The store fetches runs
// of consecutive batches with `GET …/events?from=SEQ&to=SEQ`, splits the answer
// back into batches by their event counts and keeps them in memory until
// `evict` drops them. A batch is addressed by its position in the manifest
// (0 … batches.length-1), not by its seq, so that missing batches (gaps in the
// seq numbers) need no special case.
//
// An evicted batch is kept deflated (a few KB for 5 seconds of a real
// recording, in an ArrayBuffer outside the JS heap): seeking back to it costs
// a synchronous inflate and a parse instead of a request.

import type { eventWithTime } from "@rrweb/types";
import { ApiError, api, responseError } from "../api";
import type { BatchInfo } from "../types";
import { deflateText, inflateText } from "./pack";

export type Events = eventWithTime[];

export interface StoreOptions {
  signal?: AbortSignal;
  /** Batches fetched in one request at most. */
  maxRun?: number;
}

export class EventStore {
  readonly batches: BatchInfo[];
  /** Timestamp of the session's first and last event (Unix ms). */
  readonly startTs: number;
  readonly endTs: number;
  /** Bytes of JSON received so far (all requests), for the progress message. */
  receivedBytes = 0;
  /**
   * The most assets any answer said were still being captured (served as
   * the placeholder for now): see watchAssets in pages/player.ts.
   */
  pendingAssets = 0;
  private readonly loaded = new Map<number, Events>();
  /** Evicted batches, as deflated JSON. */
  private readonly packed = new Map<number, Uint8Array>();
  private packedSize = 0;
  private readonly inflight = new Map<number, Promise<void>>();
  private readonly maxRun: number;
  private loadedCount = 0;

  constructor(
    private readonly sessionId: string,
    batches: BatchInfo[],
    private readonly opts: StoreOptions = {},
  ) {
    this.batches = batches.filter((b) => b && Number.isFinite(b.seq) && Number.isFinite(b.firstTs) && Number.isFinite(b.lastTs)).sort((a, b) => a.seq - b.seq);
    let s = Infinity;
    let e = -Infinity;
    for (const b of this.batches) {
      s = Math.min(s, b.firstTs);
      e = Math.max(e, b.lastTs);
    }
    this.startTs = Number.isFinite(s) ? s : 0;
    this.endTs = Number.isFinite(e) ? e : this.startTs;
    this.maxRun = opts.maxRun ?? 120;
  }

  get size(): number {
    return this.batches.length;
  }

  /** Events held in memory. */
  get eventCount(): number {
    return this.loadedCount;
  }

  has(pos: number): boolean {
    return this.loaded.has(pos);
  }

  get(pos: number): Events | undefined {
    return this.loaded.get(pos);
  }

  /** Positions of the batches held in memory. */
  positions(): number[] {
    return [...this.loaded.keys()].sort((a, b) => a - b);
  }

  /** The position of the last batch that starts at or before `ts` (0 when none does). */
  posAt(ts: number): number {
    let lo = 0;
    let hi = this.batches.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.batches[mid]!.firstTs <= ts) lo = mid + 1;
      else hi = mid;
    }
    return Math.max(0, lo - 1);
  }

  /** Whether every batch in [from, to] is in memory (unpacking evicted ones, synchronously). */
  hasRange(from: number, to: number): boolean {
    for (let p = Math.max(0, from); p <= Math.min(to, this.batches.length - 1); p++) {
      if (this.loaded.has(p)) continue;
      if (!this.packed.has(p) || !this.unpack(p)) return false;
    }
    return true;
  }

  /** Loads every batch in [from, to] that is not in memory yet. */
  async ensure(from: number, to: number): Promise<void> {
    from = Math.max(0, from);
    to = Math.min(to, this.batches.length - 1);
    const waits: Promise<void>[] = [];
    let runStart = -1;
    const flush = (end: number) => {
      if (runStart < 0) return;
      for (let a = runStart; a <= end; a += this.maxRun) waits.push(this.fetchRun(a, Math.min(end, a + this.maxRun - 1)));
      runStart = -1;
    };
    for (let p = from; p <= to; p++) {
      if (this.loaded.has(p)) {
        flush(p - 1);
        continue;
      }
      if (this.packed.has(p) && this.unpack(p)) {
        flush(p - 1);
        continue;
      }
      const pending = this.inflight.get(p);
      if (pending) {
        flush(p - 1);
        if (!waits.includes(pending)) waits.push(pending);
        continue;
      }
      if (runStart < 0) runStart = p;
    }
    flush(to);
    await Promise.all(waits);
  }

  /**
   * Takes events fetched before the manifest was known (`?from=fromSeq&to=toSeq`),
   * if the manifest lists exactly those batches with those counts.
   */
  seed(fromSeq: number, toSeq: number, list: unknown[], pendingAssets = 0): boolean {
    const from = this.batches.findIndex((b) => b.seq === fromSeq);
    if (from < 0) return false;
    let to = from;
    while (to + 1 < this.batches.length && this.batches[to + 1]!.seq <= toSeq) to++;
    if (this.batches[to]!.seq > toSeq) return false;
    let want = 0;
    for (let p = from; p <= to; p++) want += this.batches[p]!.events;
    if (want !== list.length) return false;
    this.pendingAssets = Math.max(this.pendingAssets, pendingAssets);
    const parts = this.split(list, from, to);
    parts.forEach((part, i) => {
      if (this.loaded.has(from + i)) return;
      const evs = sanitize(part);
      this.loaded.set(from + i, evs);
      this.loadedCount += evs.length;
    });
    return true;
  }

  /**
   * Drops the batches for which `keep` is false (keeping them compressed).
   * With `more`, stops before packing another batch once it says no: then
   * false, and the rest stays in memory for the next call.
   */
  evict(keep: (pos: number, b: BatchInfo) => boolean, more?: () => boolean): boolean {
    for (const [pos, evs] of this.loaded) {
      if (keep(pos, this.batches[pos]!)) continue;
      const packs = !this.packed.has(pos);
      if (packs && more && !more()) return false;
      this.loaded.delete(pos);
      this.loadedCount -= evs.length;
      if (packs) this.pack(pos, evs);
    }
    return true;
  }

  /**
   * Forgets every batch (in memory and evicted): the next requests get the
   * events again, pointing at the assets captured meanwhile.
   */
  reset(): void {
    this.loaded.clear();
    this.packed.clear();
    this.loadedCount = 0;
    this.packedSize = 0;
    this.pendingAssets = 0;
  }

  /** How many assets the batches in [from, to] reference that are still being captured (a HEAD request). */
  async probePendingAssets(from: number, to: number): Promise<number> {
    const init: RequestInit = { method: "HEAD", credentials: "same-origin" };
    if (this.opts.signal) init.signal = this.opts.signal;
    const res = await fetch(api.eventsUrl(this.sessionId, this.batches[from]!.seq, this.batches[to]!.seq), init);
    if (!res.ok) throw new ApiError(res.status, "http_" + res.status, `${res.status} ${res.statusText}`.trim());
    return pendingAssets(res);
  }

  /** Bytes held by evicted batches. */
  get packedBytes(): number {
    return this.packedSize;
  }

  private pack(pos: number, evs: Events): void {
    try {
      const z = deflateText(JSON.stringify(evs));
      this.packed.set(pos, z);
      this.packedSize += z.byteLength;
    } catch {
      // refetched when needed
    }
  }

  /** Parses an evicted batch back into memory; false when it cannot. */
  private unpack(pos: number): boolean {
    const z = this.packed.get(pos);
    if (!z) return false;
    try {
      const list: unknown = JSON.parse(inflateText(z));
      const evs = sanitize(Array.isArray(list) ? list : []);
      this.loaded.set(pos, evs);
      this.loadedCount += evs.length;
      return true;
    } catch {
      this.packed.delete(pos);
      this.packedSize -= z.byteLength;
      return false;
    }
  }

  private fetchRun(from: number, to: number): Promise<void> {
    const p = this.load(from, to).finally(() => {
      for (let i = from; i <= to; i++) if (this.inflight.get(i) === p) this.inflight.delete(i);
    });
    for (let i = from; i <= to; i++) this.inflight.set(i, p);
    return p;
  }

  private async load(from: number, to: number): Promise<void> {
    const init: RequestInit = { credentials: "same-origin", headers: { Accept: "application/json" } };
    if (this.opts.signal) init.signal = this.opts.signal;
    const url = api.eventsUrl(this.sessionId, this.batches[from]!.seq, this.batches[to]!.seq);
    let res: Response;
    try {
      res = await fetch(url, init);
    } catch (err) {
      if (this.opts.signal?.aborted) throw err;
      throw new ApiError(0, "network", "Cannot reach the server while loading events");
    }
    if (!res.ok) throw await responseError(res);
    this.pendingAssets = Math.max(this.pendingAssets, pendingAssets(res));
    const text = await res.text();
    this.receivedBytes += text.length;
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed)) throw new Error("The events answer is not a JSON array");
    const parts = this.split(parsed, from, to);
    for (let i = 0; i < parts.length; i++) {
      const pos = from + i;
      if (this.loaded.has(pos)) continue;
      const evs = sanitize(parts[i]!);
      this.loaded.set(pos, evs);
      this.loadedCount += evs.length;
    }
  }

  /** Cuts the answer for [from, to] back into its batches: by their event counts, else by time. */
  private split(list: unknown[], from: number, to: number): unknown[][] {
    const n = to - from + 1;
    let want = 0;
    for (let p = from; p <= to; p++) want += this.batches[p]!.events;
    const out: unknown[][] = [];
    if (want === list.length) {
      let i = 0;
      for (let p = from; p <= to; p++) {
        const c = this.batches[p]!.events;
        out.push(list.slice(i, i + c));
        i += c;
      }
      return out;
    }
    for (let k = 0; k < n; k++) out.push([]);
    let k = 0;
    for (const e of list) {
      const ts = (e as { timestamp?: unknown })?.timestamp;
      if (typeof ts === "number") while (k < n - 1 && ts > this.batches[from + k]!.lastTs) k++;
      out[k]!.push(e);
    }
    return out;
  }
}

/** The header with the count of assets an answer's events reference that are still being captured. */
const PENDING_ASSETS = "X-Playhead-Pending-Assets";

/** What an answer (fetched, or carried by the page: see boot.ts) says of the assets its events reference that are still being captured. */
export function pendingAssets(res: Response | { headers?: Record<string, string> }): number {
  const v = res.headers instanceof Headers ? res.headers.get(PENDING_ASSETS) : res.headers?.[PENDING_ASSETS];
  const n = Number(v);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

/** Keeps well-formed events and orders them by time (stable for equal timestamps). */
export function sanitize(list: unknown[]): eventWithTime[] {
  const out: eventWithTime[] = [];
  let sorted = true;
  let prev = -Infinity;
  for (const e of list) {
    if (!e || typeof e !== "object") continue;
    const ev = e as { type?: unknown; timestamp?: unknown; data?: unknown };
    if (typeof ev.type !== "number" || typeof ev.timestamp !== "number" || !Number.isFinite(ev.timestamp)) continue;
    if (ev.data === null || typeof ev.data !== "object") continue;
    if (ev.timestamp < prev) sorted = false;
    prev = ev.timestamp;
    out.push(e as eventWithTime);
  }
  if (!sorted) out.sort((a, b) => a.timestamp - b.timestamp);
  return out;
}
