import { record } from '@rrweb/record';
import { consolePlugin } from './console';
import { makeHooks, scrubEvent, type Hooks, type Policy } from './privacy/dom';
import { attempt } from './safe';
import type { Teardown } from './teardown';

/** An rrweb event: `{type, timestamp, data}`. */
export interface RecordedEvent {
  type: number;
  timestamp: number;
  data: unknown;
}

/** rrweb event types used by the SDK (an enum: esbuild inlines its values). */
export enum EventType {
  FullSnapshot = 2,
  IncrementalSnapshot = 3,
  Meta = 4,
  Custom = 5,
}

export interface RecorderOptions {
  policy: Policy;
  checkoutEveryNms: number;
  /** Gets every event, already masked; `isCheckout` is true for the events of a periodic keyframe. */
  emit: (event: RecordedEvent, isCheckout: boolean) => void;
}

export interface Recorder {
  stop: Teardown;
  addCustomEvent(tag: string, payload: unknown): void;
  takeFullSnapshot(): void;
}

/**
 * Starts rrweb's recorder. Must be called once the DOM is parsed; rrweb then
 * takes the first keyframe (Meta + FullSnapshot) synchronously.
 *
 * Masking: every element's text goes through `maskTextFn` (the mask text
 * selector matches everything) and every input, textarea and select value
 * through `maskInputFn`; both decide between masking it whole and masking
 * only its PII. Every serialised element's attributes go through
 * `hooks.attributes` as rrweb serialises it; changed attributes and URLs
 * are masked by `scrubEvent` on the way out, before anything is buffered.
 */
export function startRecorder(options: RecorderOptions): Recorder | undefined {
  const hooks = makeHooks(options.policy, (id) => record.mirror.getNode(id) as Element | null);
  // every element rrweb serialises hands its attributes here (see build.mjs)
  (record as { scrubAttributes?: Hooks['attributes'] }).scrubAttributes = hooks.attributes;
  const stop = record({
    emit: (event, isCheckout) => {
      const e = event as RecordedEvent;
      scrubEvent(e, hooks);
      // the pass that made the event is over: what the hooks remembered of the DOM may not hold any more
      hooks.reset();
      options.emit(e, isCheckout === true);
    },
    checkoutEveryNms: options.checkoutEveryNms || undefined,
    maskTextSelector: '*',
    maskTextFn: hooks.maskTextFn,
    // every input, textarea and select goes through maskInputFn
    maskInputOptions: { input: true, textarea: true, select: true } as Record<string, boolean>,
    maskInputFn: hooks.maskInputFn,
    // rrweb's block class too: rrweb then tests each node once (see build.mjs)
    blockSelector: '.rr-block,' + options.policy.block,
    // comments can hold anything; scripts never run in a replay
    slimDOMOptions: { comment: true, script: true },
    sampling: { mousemove: 50, scroll: 150 },
    recordCanvas: false,
    inlineStylesheet: true,
    collectFonts: true,
    plugins: [consolePlugin()],
    // swallow rrweb's internal errors rather than let them reach the page;
    // also called when any of rrweb's callbacks returns (see build.mjs)
    errorHandler: () => (hooks.reset(), true),
  } as Parameters<typeof record>[0]);
  if (!stop) return undefined;
  return {
    stop,
    addCustomEvent: (tag, payload) => attempt(() => record.addCustomEvent(tag, payload)),
    takeFullSnapshot: () => attempt(() => record.takeFullSnapshot(true)),
  };
}
