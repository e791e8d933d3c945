import { resolveOptions } from './options';
import { startPlayhead, type Controller } from './playhead';
import { attempt } from './safe';
import type { PlayheadOptions } from './types';

let active: Controller | undefined;

/**
 * Starts recording this page and sending it to the Playhead server.
 * Calling it again while recording does nothing.
 */
export function init(options: PlayheadOptions): void {
  if (active || typeof window === 'undefined' || typeof document === 'undefined') return;
  const resolved = resolveOptions(options);
  if (!resolved) {
    attempt(() => console.warn('[playhead] init needs an endpoint and a projectKey'));
    return;
  }
  active = attempt(() => startPlayhead(resolved));
}

/** The current session ID, or undefined when not recording. */
export function getSessionId(): string | undefined {
  return active ? attempt(() => active!.sessionId()) : undefined;
}

/** Sends the buffered events now; resolves once everything queued was sent or given up on. */
export function flush(): Promise<void> {
  if (!active) return Promise.resolve();
  return attempt(() => active!.flush()) ?? Promise.resolve();
}

/** Stops recording, restores every patched API and sends what is buffered. */
export function stop(): void {
  const controller = active;
  active = undefined;
  if (controller) attempt(() => controller.stop());
}
