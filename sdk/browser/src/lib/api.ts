import { maskValue } from './console';
import { whenDomReady } from './domReady';
import { ingestAddress, replayAddress } from './endpoint';
import { resolveOptions, type ResolvedOptions } from './options';
import { cachedConfig, refreshConfig } from './remote';
import { QUEUE_KEY, startPlayhead, STORAGE_KEY, type Controller } from './playhead';
import { isSecretField, REDACTED } from './privacy/secrets';
import type { ReportHost, ReportUI } from '../report/contract';
import { loadReportUI } from './reportLoader';
import { attempt } from './safe';
import { hookSentry } from './sentry';
import { storageSlot } from './storage';
import type { PlayheadOptions, SentryEvent } from './types';

/**
 * The running recorder, the options waiting for consent and the error
 * callbacks are kept on the window, not in this module, so that a page that
 * loads the SDK twice (say the script tag and the npm build) still records
 * once and every copy's API talks to the same recorder.
 */
interface Holder {
  __playhead?: Controller;
  __playheadPending?: ResolvedOptions;
  __playheadOnError?: Array<(info: ErrorContext) => void>;
  __playheadUI?: Promise<ReportUI>;
}

/** What `onError` callbacks get. */
export interface ErrorContext {
  sessionId: string;
  /** Opens the replay at the moment of the error. */
  replayURL: string;
  /** What was thrown (for an `error` event without an error object, its message) or rejected. */
  error: unknown;
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

/** The replay URL of the active session at `at` (epoch ms or a Date; default now). */
function replayURL(at?: number | Date): string | undefined {
  const controller = active();
  const sid = controller?.sessionId();
  return sid && replayAddress(controller!.options.endpoint, sid, +(at ?? Date.now()) || Date.now());
}

/** What the report widget calls to send a report (masked by the widget). */
const reportHost: ReportHost = {
  send(report) {
    const controller = active();
    if (!controller?.sessionId()) return false;
    controller.event('playhead.report', report);
    controller.upgrade();
    controller.flush();
    return true;
  },
};

/** The report widget, loaded the first time it is needed (`feedback`, `openReport()`). */
function reportUI(endpoint: string): Promise<ReportUI> {
  const h = holder();
  return (h.__playheadUI ??= loadReportUI(endpoint).catch((error: unknown) => {
    delete h.__playheadUI;
    throw error;
  }));
}

function start(options: ResolvedOptions): void {
  // the project's settings, for the next page load; asked before fetch is patched, so never recorded
  attempt(() => refreshConfig(ingestAddress(options.endpoint, options.projectKey).url, options.projectKey, fetch.bind(window)));
  const controller = attempt(() =>
    startPlayhead(options, (error) => {
      const sessionId = getSessionId();
      if (!sessionId) return;
      const info: ErrorContext = { sessionId, replayURL: replayURL()!, error };
      for (const callback of holder().__playheadOnError || []) attempt(() => callback(info));
    }),
  );
  if (!controller) return;
  holder().__playhead = controller;
  attempt(() => hookSentry(options.sentry, sentryProcessor));
  if (options.feedback) {
    whenDomReady(() => reportUI(options.endpoint).then((ui) => active() === controller && ui.mount(reportHost), warn));
  }
}

const warn = (error: unknown): void => attempt(() => console.warn(error));

/**
 * Adds the session to every Sentry event: the tag `playhead.session_id`, and
 * the context `playhead: {sessionId, replayURL}` with the replay at the time
 * of the event. An error event (level error or fatal) also makes an
 * error-sampled session upload.
 */
function sentryProcessor<E extends SentryEvent>(event: E): E {
  const e: SentryEvent = event;
  attempt(() => {
    const controller = active();
    const sessionId = controller?.sessionId();
    if (!sessionId) return;
    // an error (Sentry also gives some messages a synthetic exception: the level tells)
    if (!e.type && (e.level === 'error' || e.level === 'fatal')) controller!.upgrade();
    const at = typeof e.timestamp === 'number' ? e.timestamp * 1000 : undefined;
    e.tags = { ...e.tags, 'playhead.session_id': sessionId };
    e.contexts = { ...e.contexts, playhead: { sessionId, replayURL: replayURL(at) } };
  });
  return event;
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
 * `respectDoNotTrack` and GPC or DNT on, it records nothing at all. A session
 * that sampling leaves out records nothing either.
 */
export function init(options: PlayheadOptions): void {
  const h = holder();
  if (h.__playhead || h.__playheadPending || typeof window === 'undefined' || typeof document === 'undefined') return;
  const resolved = attempt(() => resolveOptions(options, cachedConfig(options.projectKey)));
  if (!resolved) {
    warn('[playhead] init needs an endpoint and a projectKey');
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
      unmountReport();
    }
    storageSlot(STORAGE_KEY).remove();
    storageSlot(QUEUE_KEY).remove();
  });
}

/** The current session ID, or undefined when not recording. */
export function getSessionId(): string | undefined {
  return attempt(() => active()?.sessionId());
}

/**
 * A link that opens the session's replay in the Playhead player at a moment
 * (`at`, epoch ms or a Date; default now): `${endpoint}/sessions/{id}?at=…`.
 * Undefined when not recording.
 */
export function getReplayURL(options?: { at?: number | Date }): string | undefined {
  return attempt(() => replayURL(options?.at));
}

/**
 * Says who the visitor is: a custom event `playhead.identify` `{userId,
 * traits}`. `traits` are masked like every payload (personal data, secret
 * keys); `userId` is sent as it is: the server indexes only a keyed hash of it.
 */
export function identify(userId: string, traits?: Record<string, unknown>): void {
  attempt(() => {
    if (userId) active()?.event('playhead.identify', { userId: String(userId), traits: traits && maskValue(traits) });
  });
}

/**
 * Records a custom event `name` with `properties` (masked) on the session's
 * timeline. Names starting with `playhead.` are reserved and refused.
 */
export function track(name: string, properties?: Record<string, unknown>): void {
  attempt(() => {
    if (typeof name === 'string' && name && !name.startsWith('playhead.')) active()?.event(name, maskValue(properties ?? {}));
  });
}

/** Sets a property of the session: a custom event `playhead.metadata` `{key, value}`, the value masked. */
export function setMetadata(key: string, value: string | number | boolean): void {
  attempt(() => {
    if (typeof key !== 'string' || !key || !/^(string|number|boolean)$/.test(typeof value)) return;
    const masked = isSecretField(key) ? REDACTED : maskValue(value);
    active()?.event('playhead.metadata', { key, value: masked });
  });
}

/**
 * Calls `callback` with the session ID and the replay URL of the moment for
 * every uncaught error and unhandled rejection Playhead records, so that any
 * error tracker can attach the session. Returns a function that unsubscribes.
 */
export function onError(callback: (info: ErrorContext) => void): () => void {
  const callbacks = (holder().__playheadOnError ??= []);
  callbacks.push(callback);
  return () => {
    const at = callbacks.indexOf(callback);
    if (at >= 0) callbacks.splice(at, 1);
  };
}

/**
 * Opens the bug report dialog (loading it first: it is not part of the
 * recording bundle). The report goes out with the session at once. Resolves
 * once the dialog is open; does nothing when not recording.
 */
export function openReport(): Promise<void> {
  const controller = active();
  if (!controller?.sessionId()) return Promise.resolve();
  return reportUI(controller.options.endpoint).then((ui) => ui.open(reportHost), warn);
}

function unmountReport(): void {
  holder().__playheadUI?.then((ui) => ui.unmount(), () => {});
}

/** Sends the buffered events now; resolves once everything queued was sent or given up on. */
export function flush(): Promise<void> {
  return attempt(() => active()?.flush()) ?? Promise.resolve();
}

/** Stops recording, restores every patched API, removes the report button and sends what is buffered. */
export function stop(): void {
  const h = holder();
  const controller = h.__playhead;
  delete h.__playheadPending;
  if (!controller) return;
  delete h.__playhead;
  attempt(() => controller.stop());
  unmountReport();
}
