// Loading a session's rrweb events for the player.
//
// Today the player loads every event of the session in one request. All the
// loading lives here so that keyframe-bounded loading can replace it: start at
// the batch chosen by `keyframeBatchFor(batches, t)` and fetch later ranges
// (`from`/`to` are batch sequence numbers) while playing.

import type { eventWithTime } from "@rrweb/types";
import { ApiError, api, responseError } from "../api";
import type { BatchInfo, SessionDetail } from "../types";

export interface LoadOptions {
  signal?: AbortSignal;
  /** Called while the body streams in, with the bytes received so far. */
  onProgress?: (loadedBytes: number, expectedBytes: number | null) => void;
}

/** Loads the events to replay, sorted by timestamp. */
export async function loadEvents(sessionId: string, detail: SessionDetail, opts: LoadOptions = {}): Promise<eventWithTime[]> {
  const init: RequestInit = { credentials: "same-origin", headers: { Accept: "application/json" } };
  if (opts.signal) init.signal = opts.signal;
  let res: Response;
  try {
    res = await fetch(api.eventsUrl(sessionId), init);
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    throw new ApiError(0, "network", "Cannot reach the server while loading events");
  }
  if (!res.ok) throw await responseError(res);

  // The stored size is a hint for the progress bar; a compressed response has no usable length.
  const stored = detail.session && typeof detail.session.bytes === "number" ? detail.session.bytes : 0;
  const text = await readText(res, stored > 0 ? stored : null, opts);
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed)) throw new Error("The events answer is not a JSON array");
  return sanitize(parsed);
}

async function readText(res: Response, expected: number | null, opts: LoadOptions): Promise<string> {
  if (!res.body || !opts.onProgress) return res.text();
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const parts: string[] = [];
  let loaded = 0;
  let last = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    loaded += value.byteLength;
    parts.push(decoder.decode(value, { stream: true }));
    const now = performance.now();
    if (now - last > 100) {
      last = now;
      opts.onProgress(loaded, expected);
    }
  }
  parts.push(decoder.decode());
  opts.onProgress(loaded, expected);
  return parts.join("");
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

/**
 * The batch a player that starts at `ts` (Unix ms) should load from: the last
 * batch whose keyframe is at or before `ts`, else the first batch with a keyframe.
 */
export function keyframeBatchFor(batches: BatchInfo[], ts: number): BatchInfo | undefined {
  let pick: BatchInfo | undefined;
  let first: BatchInfo | undefined;
  for (const b of batches) {
    if (b.keyframeTs === null || b.keyframeTs === undefined) continue;
    if (!first || b.seq < first.seq) first = b;
    if (b.keyframeTs <= ts && (!pick || b.keyframeTs >= (pick.keyframeTs ?? -Infinity))) pick = b;
  }
  return pick ?? first;
}
