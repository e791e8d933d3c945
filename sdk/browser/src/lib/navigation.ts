import { listen } from './listen';
import { patchMethod } from './patch';
import { attempt } from './safe';
import { combine, type Teardown } from './teardown';
import { redactUrl } from './privacy/secrets';
import { stripHash } from './url';

/** Payload of the `playhead.navigation` custom event; the URL's secrets are redacted. */
export interface NavigationInfo {
  url: string;
  kind: 'push' | 'replace' | 'pop' | 'hash';
}

/**
 * Reports single-page-app navigations: `history.pushState`/`replaceState`,
 * `popstate` and `hashchange`. A change that leaves the URL as it was is not
 * reported, and a `popstate` that only moves the fragment is left to the
 * `hashchange` that follows it.
 */
export function watchNavigation(report: (info: NavigationInfo) => void): Teardown {
  let last = location.href;
  const emit = (kind: NavigationInfo['kind']): void => {
    const url = location.href;
    if (url === last) return;
    last = url;
    report({ url: redactUrl(url), kind });
  };
  const wrapHistory = (name: 'pushState' | 'replaceState', kind: NavigationInfo['kind']): Teardown =>
    patchMethod<History['pushState']>(history, name, (original) =>
      function (this: History, ...args) {
        const result = original.apply(this, args);
        attempt(() => emit(kind));
        return result;
      },
    );
  return combine([
    wrapHistory('pushState', 'push'),
    wrapHistory('replaceState', 'replace'),
    listen(window, 'popstate', () => {
      if (stripHash(location.href) === stripHash(last)) return;
      emit('pop');
    }),
    listen(window, 'hashchange', () => emit('hash')),
  ]);
}
