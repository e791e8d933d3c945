import { listen } from './listen';
import { noop, type Teardown } from './teardown';

/** Runs `fn` now if the document is parsed, else on `DOMContentLoaded`. */
export function whenDomReady(fn: () => void): Teardown {
  if (document.readyState !== 'loading') {
    fn();
    return noop;
  }
  return listen(document, 'DOMContentLoaded', fn, { once: true });
}
