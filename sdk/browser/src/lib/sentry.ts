import { listen } from './listen';
import type { SentryLike, SentryProcessor } from './types';

/**
 * Adds `processor` to Sentry's global scope (or, lacking `getGlobalScope`,
 * through `Sentry.addEventProcessor`), so that it sees every event: Sentry's
 * public API since v8. Sentry is `given` (`init({sentry})`) or `window.Sentry`,
 * looked for now and again once the page has loaded. Each Sentry gets the
 * processor once, however often Playhead starts.
 */
export function hookSentry(given: SentryLike | undefined, processor: SentryProcessor): void {
  const w = window as unknown as { Sentry?: SentryLike; __playheadSentry?: SentryLike };
  const hook = (): boolean => {
    const sentry = given || w.Sentry;
    if (!sentry || typeof sentry.addEventProcessor !== 'function') return false;
    if (w.__playheadSentry !== sentry) {
      w.__playheadSentry = sentry;
      (typeof sentry.getGlobalScope === 'function' ? sentry.getGlobalScope() : sentry).addEventProcessor(processor);
    }
    return true;
  };
  if (!hook() && document.readyState !== 'complete') listen(window, 'load', hook, { once: true });
}
