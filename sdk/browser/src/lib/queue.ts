import type { Batch } from './batch';
import { gzip } from './compress';
import { guard } from './safe';
import { utf8Length } from './size';
import type { Slot } from './storage';
import type { Outcome, Transport } from './transport';

/** Payload of the `playhead.gap` custom event: batches the server will never get. */
export interface Gap {
  fromSeq: number;
  toSeq: number;
  reason: 'dropped' | 'queue_full';
  /** Bytes of JSON lost. */
  bytes: number;
  /** The HTTP status that refused the batch, when one did. */
  status?: number;
}

export interface QueueOptions {
  transport: Transport;
  /** Bytes of batch JSON the queue holds at most; the oldest batches go first. */
  maxBytes: number;
  /** Where unsent batches wait for the next page of the tab. */
  store: Slot;
  /** Called for every run of consecutive batches given up on, with their session ID. */
  onGap(sid: string, gap: Gap): void;
  /** Called once for each batch, just before it is first sent. */
  onSend?(batch: Batch): void;
}

export interface SendQueue {
  /** Queues a batch and starts sending if idle. */
  push(batch: Batch): void;
  /**
   * The page is hidden and may be going away: sends each batch not yet sent
   * this way through the unload path (keepalive fetch or beacon), and writes
   * what may not arrive to the store for the next page.
   */
  hide(): void;
  /** The page is visible again: it owns its queue again, the stored copy goes. */
  show(): void;
  /** Takes in the batches a previous page of the tab stored. */
  restore(): void;
  /**
   * Retries now (but not before the server's Retry-After); resolves once every
   * batch queued so far was acknowledged or given up on.
   */
  drain(): Promise<void>;
  /** Forgets every batch (opt-out). */
  clear(): void;
}

/** A batch is tried at most this often… */
export const MAX_TRIES = 8;
/** …and for at most this long after it was made. */
export const MAX_AGE_MS = 10 * 60 * 1000;
/** Retry delays are drawn from [0, min(MAX_DELAY_MS, BASE_DELAY_MS · 2^(tries-1))) (full jitter). */
const BASE_DELAY_MS = 1000;
const MAX_DELAY_MS = 60 * 1000;
/** Characters of batch JSON kept for the next page at most. */
export const MAX_STORED = 1024 * 1024;

interface Entry {
  batch: Batch;
  bytes: number;
  /** When the batch was made (epoch ms). */
  born: number;
  tries: number;
  /** The gzipped body once made; null when the browser cannot gzip. */
  gz?: Uint8Array | null;
  /** Given to the unload path and, as far as is known, on its way. */
  handed?: boolean;
  /** Announced to onSend. */
  shown?: boolean;
  gone?: boolean;
}

/** The stored form: batches `{sid, seq, body, gaps, born}` and gaps still to record. */
interface Stored {
  b: Array<Batch & { born: number }>;
  g: Array<[string, Gap]>;
}

/**
 * Sends batches one at a time, in order. A batch that fails with a network
 * error, 408, 429 or 5xx is tried again after a growing, jittered delay (at
 * least the server's Retry-After), up to MAX_TRIES times and MAX_AGE_MS; any
 * other 4xx drops it at once. Every batch given up on, or pushed out of the
 * full queue, is reported as a gap. The server treats `(sid, seq)` as
 * idempotent, so a batch that goes out twice (the unload path racing the
 * normal one, or a page re-sending what the page before it stored) is harmless.
 */
export function createQueue(options: QueueOptions): SendQueue {
  const { transport, store } = options;
  let entries: Entry[] = [];
  let total = 0;
  let busy = false;
  /** False after a failed attempt, until one succeeds. */
  let healthy = true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** No retry before this time (epoch ms): the server's Retry-After. */
  let notBefore = 0;
  let waiting: Array<() => void> = [];

  const announce = (entry: Entry): void => {
    if (!entry.shown) {
      entry.shown = true;
      options.onSend?.(entry.batch);
    }
  };

  const settle = (): void => {
    if (entries.length > 0) return;
    const resolve = waiting;
    waiting = [];
    resolve.forEach((fn) => fn());
  };

  /**
   * Reports `lost` (in any order) as runs of consecutive sequence numbers,
   * followed by the gaps the lost batches themselves carried.
   */
  const gaps = (lost: Entry[], reason: Gap['reason'], status?: number): Array<[string, Gap]> => {
    const out: Array<[string, Gap]> = [];
    const carried: Array<[string, Gap]> = [];
    lost.sort((a, b) => a.batch.seq - b.batch.seq);
    for (const { batch, bytes } of lost) {
      const last = out[out.length - 1];
      if (last && last[0] === batch.sid && last[1].toSeq + 1 === batch.seq) {
        last[1].toSeq++;
        last[1].bytes += bytes;
      } else {
        const gap: Gap = { fromSeq: batch.seq, toSeq: batch.seq, reason, bytes };
        if (status) gap.status = status;
        out.push([batch.sid, gap]);
      }
      for (const gap of batch.gaps || []) carried.push([batch.sid, gap]);
    }
    return out.concat(carried);
  };

  const remove = (entry: Entry): void => {
    if (entry.gone) return;
    entry.gone = true;
    total -= entry.bytes;
    entries = entries.filter((e) => e !== entry);
  };

  const drop = (lost: Entry[], reason: Gap['reason'], status?: number): void => {
    lost.forEach(remove);
    for (const [sid, gap] of gaps(lost, reason, status)) options.onGap(sid, gap);
  };

  /** Drops the oldest batches (not the one in flight) while over the byte limit. */
  const trim = (): void => {
    const lost: Entry[] = [];
    let over = total - options.maxBytes;
    for (let i = busy ? 1 : 0; over > 0 && i < entries.length - 1; i++) {
      lost.push(entries[i]!);
      over -= entries[i]!.bytes;
    }
    if (lost.length) drop(lost, 'queue_full');
  };

  const add = (batch: Batch, born: number): void => {
    const bytes = utf8Length(batch.body);
    entries.push({ batch, bytes, born, tries: 0 });
    total += bytes;
  };

  const retryIn = (ms: number): void => {
    timer = setTimeout(() => {
      timer = undefined;
      pump();
    }, ms);
  };

  function pump(): void {
    if (busy || timer !== undefined) return;
    const entry = entries[0];
    if (!entry) return settle();
    busy = true;
    entry.tries++;
    announce(entry);
    const after = guard((outcome: Outcome) => {
      busy = false;
      if (!entry.gone) {
        if (outcome.kind === 'done') {
          healthy = true;
          remove(entry);
        } else if (outcome.kind === 'fail') {
          drop([entry], 'dropped', outcome.status);
        } else {
          healthy = false;
          if (entry.tries >= MAX_TRIES || Date.now() - entry.born > MAX_AGE_MS) {
            drop([entry], 'dropped');
          } else {
            const backoff = Math.random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (entry.tries - 1));
            const asked = Math.min(outcome.afterMs ?? 0, MAX_AGE_MS);
            notBefore = Date.now() + asked;
            retryIn(Math.max(asked, backoff));
          }
        }
      }
      pump();
    });
    (async () => {
      if (entry.gz === undefined) entry.gz = (await gzip(entry.batch.body)) ?? null;
      return transport.send(entry.gz ?? entry.batch.body);
    })().then(after, () => after({ kind: 'retry' }));
  }

  const save = (keep: Entry[]): void => {
    const saved: Stored = { b: [], g: [] };
    let chars = 0;
    const lost: Entry[] = [];
    for (let i = keep.length - 1; i >= 0; i--) {
      const { batch, born } = keep[i]!;
      chars += batch.body.length;
      if (chars > MAX_STORED) lost.push(keep[i]!);
      else saved.b.unshift({ ...batch, born });
    }
    saved.g = gaps(lost, 'queue_full');
    if (saved.b.length || saved.g.length) store.write(JSON.stringify(saved));
    else store.remove();
  };

  return {
    push(batch) {
      add(batch, Date.now());
      trim();
      pump();
    },
    hide() {
      const keep: Entry[] = [];
      for (const entry of entries) {
        if (!entry.handed) {
          announce(entry);
          // compression is async and may not finish: what is not gzipped yet goes as JSON
          const sent = transport.sendNow(entry.gz || entry.batch.body);
          entry.handed = sent !== false;
          if (typeof sent === 'object') {
            sent.then(
              guard((outcome: Outcome) => {
                if (outcome.kind === 'done') remove(entry);
                else entry.handed = false;
                settle();
              }),
              () => {},
            );
          }
        }
        // after a failure the unload path may well fail too: keep everything
        if (!entry.handed || !healthy) keep.push(entry);
      }
      save(keep);
    },
    show() {
      store.remove();
      entries.forEach((entry) => (entry.handed = false));
    },
    restore() {
      let stored: Stored | undefined;
      try {
        stored = JSON.parse(store.read() || 'null') as Stored;
      } catch {
        // corrupt: nothing to restore
      }
      store.remove();
      if (!stored) return;
      const old: Entry[] = [];
      for (const b of stored.b || []) {
        if (Date.now() - b.born > MAX_AGE_MS) old.push({ batch: b, bytes: utf8Length(b.body), born: b.born, tries: 0 });
        else add({ sid: b.sid, seq: b.seq, body: b.body, gaps: b.gaps }, b.born);
      }
      for (const [sid, gap] of stored.g || []) options.onGap(sid, gap);
      drop(old, 'dropped');
      trim();
      pump();
    },
    drain() {
      // retry now, unless the server asked to wait
      if (timer !== undefined) {
        clearTimeout(timer);
        timer = undefined;
        if (notBefore > Date.now()) retryIn(notBefore - Date.now());
      }
      return new Promise<void>((resolve) => {
        waiting.push(resolve);
        pump();
      });
    },
    clear() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      entries.forEach((entry) => (entry.gone = true));
      entries = [];
      total = 0;
      store.remove();
      settle();
    },
  };
}
