import { resolveOptions, type ResolvedOptions } from './options';
import { QUEUE_KEY, startPlayhead, STORAGE_KEY, type Controller } from './playhead';
import { attempt } from './safe';
import { storageSlot } from './storage';
import type { PlayheadOptions } from './types';

/**
 * The running recorder, and the options waiting for consent, are kept on the
 * window, not in this module, so that a page that loads the SDK twice (say
 * the script tag and the npm build) still records once and every copy's API
 * talks to the same recorder.
 */
interface Holder {
  __playhead?: Controller;
  __playheadPending?: ResolvedOptions;
}

/** localStorage key remembering `optOut()` across page loads, until `consent()`. */
const OPT_OUT_KEY = 'playhead.optout';

const optOutSlot = () => storageSlot(OPT_OUT_KEY, 'localStorage');

function holder(): Holder {
  return (typeof window === 'undefined' ? {} : window) as unknown as Holder;
}

function active(): Controller | undefined {
  return holder().__playhead;
}

function start(options: ResolvedOptions): void {
  const controller = attempt(() => startPlayhead(options));
  if (controller) holder().__playhead = controller;
}

/** Global Privacy Control or Do Not Track is on. */
function doNotTrack(): boolean {
  const nav = navigator as Navigator & { globalPrivacyControl?: boolean };
  return nav.globalPrivacyControl === true || nav.doNotTrack === '1';
}

/**
 * Starts recording this page and sending it to the Playhead server.
 * Calling it again while recording (or waiting for consent) does nothing.
 * With `requireConsent`, or after `optOut()`, it waits for `consent()`; with
 * `respectDoNotTrack` and GPC or DNT on, it records nothing at all.
 */
export function init(options: PlayheadOptions): void {
  const h = holder();
  if (h.__playhead || h.__playheadPending || typeof window === 'undefined' || typeof document === 'undefined') return;
  const resolved = attempt(() => resolveOptions(options));
  if (!resolved) {
    attempt(() => console.warn('[playhead] init needs an endpoint and a projectKey'));
    return;
  }
  if (resolved.respectDoNotTrack && attempt(doNotTrack)) return;
  if (resolved.requireConsent || optOutSlot().read()) h.__playheadPending = resolved;
  else start(resolved);
}

/** The user agreed to be recorded: starts a recording that `init` left waiting, and forgets an earlier opt-out. */
export function consent(): void {
  attempt(() => {
    optOutSlot().remove();
    const h = holder();
    const pending = h.__playheadPending;
    if (pending && !h.__playhead) {
      delete h.__playheadPending;
      start(pending);
    }
  });
}

/**
 * The user does not want to be recorded: stops recording, deletes what is
 * buffered and queued and the tab's session, and remembers the choice in
 * localStorage so that later pages record nothing until `consent()`.
 */
export function optOut(): void {
  attempt(() => {
    optOutSlot().write('1');
    const h = holder();
    const controller = h.__playhead;
    if (controller) {
      delete h.__playhead;
      h.__playheadPending = controller.options;
      controller.discard();
    }
    storageSlot(STORAGE_KEY).remove();
    storageSlot(QUEUE_KEY).remove();
  });
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
  const h = holder();
  const controller = h.__playhead;
  delete h.__playheadPending;
  if (!controller) return;
  delete h.__playhead;
  attempt(() => controller.stop());
}
