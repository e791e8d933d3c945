import type { Batch } from './batch';
import { guard } from './safe';
import type { Outcome, Transport } from './transport';

export interface SendQueue {
  /** Queues a batch and starts sending if idle. */
  push(batch: Batch): void;
  /** Sends every batch not yet acknowledged through the page-hide path. */
  sendNow(): void;
  /** Resolves once every batch queued so far was acknowledged or given up on. */
  drain(): Promise<void>;
}

/** Delays before the first and second retry; a batch is tried three times. */
const RETRY_DELAYS_MS = [1000, 5000];
const MAX_RETRY_DELAY_MS = 30000;
/** Oldest batches are dropped beyond this many waiting. */
const MAX_QUEUED = 100;

interface Entry {
  batch: Batch;
  failures: number;
  done: boolean;
  sentNow: boolean;
}

/**
 * Sends batches one at a time, in order, retrying a failed one twice.
 * The server treats `(sid, seq)` as idempotent, so a batch that goes out
 * twice (page-hide path racing the normal one) is harmless.
 */
export function createQueue(transport: Transport): SendQueue {
  const entries: Entry[] = [];
  let busy = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let waiting: Array<() => void> = [];

  const finish = (entry: Entry): void => {
    entry.done = true;
    const index = entries.indexOf(entry);
    if (index >= 0) entries.splice(index, 1);
  };

  const settle = (): void => {
    if (entries.length > 0) return;
    const resolve = waiting;
    waiting = [];
    resolve.forEach((fn) => fn());
  };

  const retryLater = (entry: Entry, outcome: Outcome): void => {
    const base = RETRY_DELAYS_MS[entry.failures]!;
    const asked = outcome.kind === 'retry' ? outcome.afterMs ?? 0 : 0;
    entry.failures++;
    timer = setTimeout(() => {
      timer = undefined;
      pump();
    }, Math.min(Math.max(base, asked), MAX_RETRY_DELAY_MS));
  };

  function pump(): void {
    if (busy || timer !== undefined) return;
    const entry = entries[0];
    if (!entry) return settle();
    busy = true;
    const after = guard((outcome: Outcome) => {
      busy = false;
      if (!entry.done) {
        if (outcome.kind === 'retry' && entry.failures < RETRY_DELAYS_MS.length) {
          return retryLater(entry, outcome);
        }
        finish(entry);
      }
      pump();
    });
    transport.send(entry.batch.body).then(after, () => after({ kind: 'retry' }));
  }

  return {
    push(batch) {
      entries.push({ batch, failures: 0, done: false, sentNow: false });
      if (entries.length > MAX_QUEUED) finish(entries[0]!);
      pump();
    },
    sendNow() {
      for (const entry of entries.slice()) {
        if (entry.done || entry.sentNow) continue;
        entry.sentNow = true;
        const result = transport.sendNow(entry.batch.body);
        if (result === true) finish(entry);
        else if (result !== false) {
          result.then(
            guard((outcome: Outcome) => {
              if (outcome.kind === 'done') finish(entry);
              settle();
            }),
            () => {},
          );
        }
      }
      settle();
    },
    drain() {
      return new Promise<void>((resolve) => {
        waiting.push(resolve);
        settle();
        pump();
      });
    },
  };
}
