import { makeBatch } from './batch';
import { createBuffer, serialize } from './buffer';
import { whenDomReady } from './domReady';
import { ingestAddress } from './endpoint';
import { watchErrors } from './errors';
import { watchNavigation } from './navigation';
import { watchNetwork } from './network';
import type { ResolvedOptions } from './options';
import { watchPageLifecycle } from './pageLifecycle';
import { createQueue, type Gap } from './queue';
import { EventType, startRecorder, type RecordedEvent, type Recorder } from './recorder';
import { createRing, type Ring } from './ring';
import { attempt, guard } from './safe';
import { redactUrl } from './privacy/secrets';
import { openSession, type Mode } from './session';
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
  /** The session ID; undefined once stopped. */
  sessionId(): string | undefined;
  /** Records a custom event. */
  event(tag: string, payload: unknown): void;
  /**
   * An error happened or a report is being sent: an error-sampled session
   * uploads what it kept in memory and is recorded in full from now on.
   */
  upgrade(): void;
  flush(): Promise<void>;
  stop(): void;
  /** Stops without sending anything more and forgets the session and every unsent batch. */
  discard(): void;
}

/**
 * Wires recording, batching and sending together. Returns undefined when the
 * session was not sampled (`sampleRate`, `errorSampleRate`): nothing is
 * recorded then. `onError` gets what was thrown after each recorded error.
 */
export function startPlayhead(options: ResolvedOptions, onError?: (thrown: unknown) => void): Controller | undefined {
  const sessionSlot = storageSlot(STORAGE_KEY);
  /** The sampling decision of a new session. */
  const decide = (): Mode =>
    Math.random() < options.sampleRate ? 'full' : Math.random() < options.errorSampleRate ? 'buffer' : 'off';
  const session = openSession(sessionSlot, options.sessionTimeoutMs, Date.now(), decide);
  if (session.mode === 'off') return undefined;
  /** An error-sampled session's recording, until it is uploaded. */
  const newRing = (): Ring | undefined =>
    session.mode === 'buffer' ? createRing(options.bufferMs, 2 * options.maxQueueBytes) : undefined;
  let ring = newRing();
  const ingest = ingestAddress(options.endpoint, options.projectKey);
  // taken before fetch is patched, so our own requests are never recorded
  const nativeFetch = typeof fetch === 'function' ? fetch.bind(window) : undefined;
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
    // a keyframe drained makes what follows it wait again: all of it goes now
    do drain();
    while (later);
    if (buffer.length === 0) return;
    const batch = makeBatch(session.id, session.takeSeq(), SDK_NAME, buffer.take(), options.release);
    if (carried.length) batch.gaps = carried;
    carried = [];
    queue.push(batch);
  };

  /** A periodic keyframe the ring asked for is on its way. */
  let keyframeDue = false;

  /**
   * A keyframe, and what follows it, waits for a task of its own to be
   * serialised, and for another to be cut into a batch and handed over: on
   * a large page each takes a good part of the time rrweb took to take the
   * snapshot, in the same task. Anything that cuts a batch takes them first.
   */
  let later: RecordedEvent[] | undefined;
  const drain = (): void => {
    const events = later;
    later = undefined;
    // once a keyframe is buffered, what follows it waits again (see append)
    if (events && !stopped) for (const event of events) append(event, !later);
  };

  /** Buffers an event for sending, or keeps it in the ring. */
  const append = (event: RecordedEvent, now?: boolean): void => {
    if (!now && (later || event.type === EventType.FullSnapshot)) {
      if (!later) setTimeout(guard(drain));
      (later ??= []).push(event);
      return;
    }
    const json = serialize(event);
    if (json === undefined) return;
    if (ring) {
      if (ring.add(event.type, event.timestamp, json) && !keyframeDue) {
        keyframeDue = true;
        // not from inside rrweb's emit
        Promise.resolve().then(() => {
          keyframeDue = false;
          if (ring) recorder?.takeFullSnapshot();
        });
      }
      return;
    }
    // every keyframe (Meta + FullSnapshot) starts a new batch
    if (event.type === EventType.Meta) cut();
    if (event.type !== EventType.FullSnapshot) {
      if (buffer.add(json)) cut();
      return;
    }
    // and goes out at once, in the next task (what follows it waits for
    // that): it is what a replay needs first, it is large, and gzipped it
    // usually fits a keepalive request that outlives the page
    buffer.add(json);
    later = [];
    setTimeout(guard(cut));
  };

  /**
   * The last identify and metadata events of an error-sampled session: they
   * describe the whole session, so they are recorded again on upload, should
   * the ring have dropped them.
   */
  let sticky = new Map<string, [string, unknown]>();

  const upgrade = (): void => {
    if (!ring || stopped) return;
    cut(); // the ring takes what waits first
    const segments = ring.take();
    ring = undefined;
    session.setMode('full');
    for (const parts of segments) {
      cut(); // each begins with a keyframe
      for (const json of parts) if (buffer.add(json)) cut();
    }
    sticky.forEach(([tag, payload]) => custom(tag)(payload));
    sticky = new Map();
    cut();
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
      // a new session, a new sampling decision
      if (session.mode === 'off') {
        stopped = true;
        Promise.resolve().then(teardown);
        return;
      }
      ring = newRing();
      sticky = new Map();
      if (!isMeta) {
        awaitingKeyframe = true;
        if (!changesDom(event)) held.push(event);
        // not from inside rrweb's emit: take the new keyframe once it returns
        Promise.resolve().then(finishRollover, () => {});
        return;
      }
    }
    session.touch(now);
    append(event);
  };

  const custom =
    (tag: string) =>
    (payload: unknown): void => {
      if (stopped) return;
      if (ring && /^playhead\.(identify|metadata)$/.test(tag)) sticky.set(tag + (payload as { key?: string }).key, [tag, payload]);
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
      watchErrors((info, thrown) => {
        custom('playhead.error')(info);
        upgrade();
        onError?.(thrown);
      }),
      watchNetwork(custom('playhead.network'), (url) => stripQuery(url) === ingest.base, options.capture, {
        allow: options.propagate,
        sid: () => (stopped ? undefined : session.id),
      }),
      watchNavigation(custom('playhead.navigation')),
      watchPageLifecycle(onHide, onShow),
      every(options.flushIntervalMs, cut),
      () => recorder?.stop(),
    );
    // where the visit came from, when another site sent it (a search key)
    attempt(() => {
      const from = document.referrer;
      if (from && new URL(from).origin !== location.origin) custom('playhead.referrer')({ url: redactUrl(from) });
    });
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
    sessionId: () => (stopped ? undefined : session.id),
    event: (tag, payload) => custom(tag)(payload),
    upgrade,
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
      ring = undefined;
      held = [];
      early = [];
      queue.clear();
      sessionSlot.remove();
    },
  };
}
