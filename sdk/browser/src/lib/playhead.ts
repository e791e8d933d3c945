import { makeBatch } from './batch';
import { createBuffer } from './buffer';
import { whenDomReady } from './domReady';
import { ingestAddress } from './endpoint';
import { watchErrors } from './errors';
import { watchNavigation } from './navigation';
import { watchNetwork } from './network';
import type { ResolvedOptions } from './options';
import { watchPageLifecycle } from './pageLifecycle';
import { createQueue, type Gap } from './queue';
import { EventType, startRecorder, type RecordedEvent, type Recorder } from './recorder';
import { attempt, guard } from './safe';
import { openSession } from './session';
import { storageSlot } from './storage';
import { combine, type Teardown } from './teardown';
import { every } from './timer';
import { createTransport } from './transport';
import { stripQuery } from './url';
import { SDK_NAME } from './version';

/** sessionStorage key of the tab's session: `{id, nextSeq, lastActivity}`. */
export const STORAGE_KEY = 'playhead.session';
/** sessionStorage key of the batches a page left unsent for the next page of the tab. */
export const QUEUE_KEY = 'playhead.queue';

/** Custom events raised before rrweb starts are kept (up to this many) and replayed. */
const MAX_EARLY_EVENTS = 100;

/**
 * rrweb incremental sources that change the DOM or its styles: mutation (0),
 * stylesheet rule (8), canvas (9), style declaration (13), adopted
 * stylesheet (15), custom element (16).
 */
const DOM_SOURCES = [0, 8, 9, 13, 15, 16];

/**
 * True for an event whose effect a keyframe taken after it already contains:
 * it must not be replayed on top of that keyframe. Other events (clicks,
 * scrolls, inputs, console, custom) refer to nodes by IDs that stay the same
 * across keyframes, so they can follow it.
 */
function changesDom(event: RecordedEvent): boolean {
  if (event.type !== EventType.IncrementalSnapshot) return false;
  const source = (event.data as { source?: number } | null)?.source;
  return typeof source === 'number' && DOM_SOURCES.indexOf(source) >= 0;
}

export interface Controller {
  options: ResolvedOptions;
  sessionId(): string;
  flush(): Promise<void>;
  stop(): void;
  /** Stops without sending anything more and forgets the session and every unsent batch. */
  discard(): void;
}

/** Wires recording, batching and sending together. */
export function startPlayhead(options: ResolvedOptions): Controller {
  const ingest = ingestAddress(options.endpoint, options.projectKey);
  // taken before fetch is patched, so our own requests are never recorded
  const nativeFetch = typeof fetch === 'function' ? fetch.bind(window) : undefined;
  const sessionSlot = storageSlot(STORAGE_KEY);
  const session = openSession(sessionSlot, options.sessionTimeoutMs, Date.now());
  // the page's console.debug, before the console recorder wraps it: debug output is not recorded
  const print = console.debug;
  const queue = createQueue({
    transport: createTransport(ingest.url, nativeFetch),
    maxBytes: options.maxQueueBytes,
    store: storageSlot(QUEUE_KEY),
    onGap: (sid, gap) => {
      // a gap belongs to its session; one of an earlier session cannot be recorded any more
      if (sid !== session.id) return;
      custom('playhead.gap')(gap);
      carried.push(gap);
    },
    onSend: options.debug
      ? (batch) => attempt(() => print.call(console, '[playhead] batch', JSON.parse(batch.body)))
      : undefined,
  });
  const buffer = createBuffer();
  /** Gap markers recorded since the last cut: the next batch carries them. */
  let carried: Gap[] = [];

  let recorder: Recorder | undefined;
  let stopped = false;
  let early: Array<[string, unknown]> = [];
  /**
   * After a session rollover, until the new session's keyframe arrives:
   * events that do not change the DOM wait in `held` to follow the keyframe.
   */
  let awaitingKeyframe = false;
  let held: RecordedEvent[] = [];

  /** Cuts the buffered events into a batch of the current session and queues it. */
  const cut = (): void => {
    if (buffer.length === 0) return;
    const batch = makeBatch(session.id, session.takeSeq(), SDK_NAME, buffer.take());
    if (carried.length) batch.gaps = carried;
    carried = [];
    queue.push(batch);
  };

  const append = (event: RecordedEvent): void => {
    if (buffer.add(event)) cut();
  };

  const finishRollover = guard(() => {
    if (awaitingKeyframe) {
      awaitingKeyframe = false;
      recorder?.takeFullSnapshot();
    }
    const events = held;
    held = [];
    // they happened a moment before the keyframe; a player must see them after it
    const at = Date.now();
    for (const event of events) {
      if (event.timestamp < at) event.timestamp = at;
      append(event);
    }
  });

  const onEvent = (event: RecordedEvent): void => {
    if (stopped) return;
    const now = Date.now();
    const isMeta = event.type === EventType.Meta;
    if (awaitingKeyframe) {
      if (!isMeta) {
        if (!changesDom(event)) held.push(event);
        return;
      }
      awaitingKeyframe = false;
    } else if (session.expired(now)) {
      cut(); // the old session's last events
      session.renew(now);
      if (!isMeta) {
        awaitingKeyframe = true;
        if (!changesDom(event)) held.push(event);
        // not from inside rrweb's emit: take the new keyframe once it returns
        Promise.resolve().then(finishRollover, () => {});
        return;
      }
    }
    session.touch(now);
    // every keyframe (Meta + FullSnapshot) starts a new batch
    if (isMeta) cut();
    append(event);
    // and goes out at once: it is what a replay needs first, it is large, and
    // gzipped it usually fits a keepalive request that outlives the page
    if (event.type === EventType.FullSnapshot) cut();
  };

  const custom =
    (tag: string) =>
    (payload: unknown): void => {
      if (stopped) return;
      if (recorder) recorder.addCustomEvent(tag, payload);
      else if (early.length < MAX_EARLY_EVENTS) early.push([tag, payload]);
    };

  const startRecording = (): void => {
    if (stopped || recorder) return;
    recorder = startRecorder({
      policy: options.policy,
      checkoutEveryNms: options.checkoutEveryNms,
      emit: guard(onEvent),
    });
    if (recorder) for (const [tag, payload] of early.splice(0)) recorder.addCustomEvent(tag, payload);
  };

  const onHide = (): void => {
    cut();
    session.save();
    queue.hide();
  };

  const onShow = (restored: boolean): void => {
    queue.show();
    if (restored) recorder?.takeFullSnapshot();
  };

  const teardowns: Teardown[] = [];
  const teardown = combine(teardowns);
  try {
    teardowns.push(
      watchErrors(custom('playhead.error')),
      watchNetwork(custom('playhead.network'), (url) => stripQuery(url) === ingest.base, options.capture),
      watchNavigation(custom('playhead.navigation')),
      watchPageLifecycle(onHide, onShow),
      every(options.flushIntervalMs, cut),
      () => recorder?.stop(),
    );
    // what the previous page of this tab could not send goes first
    queue.restore();
    teardowns.push(whenDomReady(startRecording));
  } catch (error) {
    stopped = true;
    teardown();
    throw error;
  }

  return {
    options,
    sessionId: () => session.id,
    flush() {
      cut();
      return queue.drain();
    },
    stop() {
      if (stopped) return;
      cut();
      session.save();
      stopped = true;
      teardown();
    },
    discard() {
      stopped = true;
      teardown();
      buffer.take();
      held = [];
      early = [];
      queue.clear();
      sessionSlot.remove();
    },
  };
}
