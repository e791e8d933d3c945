import { resolveOptions } from './options';
import { startPlayhead, type Controller } from './playhead';
import { attempt } from './safe';
import type { PlayheadOptions } from './types';

/**
 * The running recorder is kept on the window, not in this module, so that a
 * page that loads the SDK twice (say the script tag and the npm build) still
 * records once and every copy's API talks to the same recorder.
 */
const GLOBAL_KEY = '__playhead';

type Holder = { [GLOBAL_KEY]?: Controller };

function holder(): Holder {
  return (typeof window === 'undefined' ? {} : window) as unknown as Holder;
}

function active(): Controller | undefined {
  return holder()[GLOBAL_KEY];
}

/**
 * Starts recording this page and sending it to the Playhead server.
 * Calling it again while recording does nothing.
 */
export function init(options: PlayheadOptions): void {
  if (active() || typeof window === 'undefined' || typeof document === 'undefined') return;
  const resolved = resolveOptions(options);
  if (!resolved) {
    attempt(() => console.warn('[playhead] init needs an endpoint and a projectKey'));
    return;
  }
  const controller = attempt(() => startPlayhead(resolved));
  if (controller) holder()[GLOBAL_KEY] = controller;
}

/** The current session ID, or undefined when not recording. */
export function getSessionId(): string | undefined {
  return attempt(() => active()?.sessionId());
}

/** Sends the buffered events now; resolves once everything queued was sent or given up on. */
export function flush(): Promise<void> {
  return attempt(() => active()?.flush()) ?? Promise.resolve();
}

/** Stops recording, restores every patched API and sends what is buffered. */
export function stop(): void {
  const controller = active();
  if (!controller) return;
  delete holder()[GLOBAL_KEY];
  attempt(() => controller.stop());
}
