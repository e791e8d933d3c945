import { listen } from './listen';
import { combine, type Teardown } from './teardown';

/**
 * Calls `onHide` when the page may be about to go away: the document turned
 * hidden, or `pagehide` fired (navigation, close, back/forward cache).
 * Calls `onRestore` when the page comes back from the back/forward cache.
 */
export function watchPageLifecycle(onHide: () => void, onRestore: () => void): Teardown {
  return combine([
    listen(document, 'visibilitychange', () => {
      if (document.visibilityState === 'hidden') onHide();
    }),
    listen(window, 'pagehide', onHide),
    listen<PageTransitionEvent>(window, 'pageshow', (event) => {
      if (event.persisted) onRestore();
    }),
  ]);
}
