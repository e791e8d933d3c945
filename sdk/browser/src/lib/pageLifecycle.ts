import { listen } from './listen';
import { combine, type Teardown } from './teardown';

/**
 * Calls `onHide` when the page may be about to go away: the document turned
 * hidden, or `pagehide` fired (navigation, close, back/forward cache).
 * Calls `onShow` when it is visible again, with `restored` true when it came
 * back from the back/forward cache.
 */
export function watchPageLifecycle(onHide: () => void, onShow: (restored: boolean) => void): Teardown {
  return combine([
    listen(document, 'visibilitychange', () => {
      if (document.visibilityState === 'hidden') onHide();
      else onShow(false);
    }),
    listen(window, 'pagehide', onHide),
    listen<PageTransitionEvent>(window, 'pageshow', (event) => {
      if (event.persisted) onShow(true);
    }),
  ]);
}
