import { record } from '@rrweb/record';
import { consolePlugin } from './console';
import { attempt } from './safe';
import type { Teardown } from './teardown';

/** An rrweb event: `{type, timestamp, data}`. */
export interface RecordedEvent {
  type: number;
  timestamp: number;
  data: unknown;
}

/** rrweb event types used by the SDK. */
export const EventType = {
  FullSnapshot: 2,
  IncrementalSnapshot: 3,
  Meta: 4,
} as const;

export interface RecorderOptions {
  maskAllInputs: boolean;
  checkoutEveryNms: number;
  /** Gets every event; `isCheckout` is true for the events of a periodic keyframe. */
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
 */
export function startRecorder(options: RecorderOptions): Recorder | undefined {
  const stop = record({
    emit: (event, isCheckout) => options.emit(event as RecordedEvent, isCheckout === true),
    checkoutEveryNms: options.checkoutEveryNms || undefined,
    maskAllInputs: options.maskAllInputs,
    // used when maskAllInputs is false; with it true rrweb masks every type
    maskInputOptions: { password: true },
    sampling: { mousemove: 50, scroll: 150 },
    recordCanvas: false,
    inlineStylesheet: true,
    collectFonts: true,
    plugins: [consolePlugin()],
    // swallow rrweb's internal errors rather than let them reach the page
    errorHandler: () => true,
  });
  if (!stop) return undefined;
  return {
    stop,
    addCustomEvent: (tag, payload) => attempt(() => record.addCustomEvent(tag, payload)),
    takeFullSnapshot: () => attempt(() => record.takeFullSnapshot(true)),
  };
}
