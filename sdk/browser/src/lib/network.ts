import { listen } from './listen';
import { patchMethod } from './patch';
import { attempt, guard } from './safe';
import { bodySize, contentLength } from './size';
import { combine, noop, type Teardown } from './teardown';
import { describe, truncate } from './text';
import { absoluteUrl } from './url';

/** Payload of the `playhead.network` custom event. No headers, no bodies. */
export interface NetworkInfo {
  type: 'fetch' | 'xhr';
  method: string;
  url: string;
  /** HTTP status; 0 when the request failed (then `error` is set). */
  status: number;
  /** Epoch milliseconds when the request was made. */
  start: number;
  /** Milliseconds until the response arrived (fetch: its headers; XHR: loadend). */
  duration: number;
  reqSize?: number;
  resSize?: number;
  error?: string;
}

type Report = (info: NetworkInfo) => void;
/** True for URLs that must not be recorded (Playhead's own ingest). */
type Ignore = (url: string) => boolean;

interface Started {
  info: Omit<NetworkInfo, 'status' | 'duration'>;
  t0: number;
}

function begin(type: NetworkInfo['type'], method: string, url: string, reqSize: number | undefined): Started {
  const info: Started['info'] = { type, method: method.toUpperCase(), url: absoluteUrl(url), start: Date.now() };
  if (reqSize !== undefined) info.reqSize = reqSize;
  return { info, t0: performance.now() };
}

function end(started: Started, status: number, resSize: number | undefined, error?: string): NetworkInfo {
  const info: NetworkInfo = {
    ...started.info,
    status,
    duration: Math.max(0, Math.round(performance.now() - started.t0)),
  };
  if (resSize !== undefined) info.resSize = resSize;
  if (error !== undefined) info.error = truncate(error, 500);
  return info;
}

/** Wraps `window.fetch`. The caller's promise is returned untouched. */
export function watchFetch(report: Report, ignore: Ignore): Teardown {
  if (typeof fetch !== 'function') return noop;
  return patchMethod<typeof fetch>(window, 'fetch', (original) =>
    function (this: unknown, ...args: Parameters<typeof fetch>) {
      const started = attempt(() => {
        const [input, init] = args;
        const request = typeof Request !== 'undefined' && input instanceof Request ? input : undefined;
        const url = request ? request.url : input instanceof URL ? input.href : String(input);
        const method = init?.method || request?.method || 'GET';
        const size = bodySize(init?.body) ?? (request ? contentLength(request.headers.get('content-length')) : undefined);
        return ignore(absoluteUrl(url)) ? undefined : begin('fetch', method, url, size);
      });
      const result = original.apply(this, args);
      if (started) {
        result.then(
          guard((response: Response) =>
            report(end(started, response.status, contentLength(response.headers.get('content-length')))),
          ),
          guard((error: unknown) => report(end(started, 0, undefined, describe(error)))),
        );
      }
      return result;
    },
  );
}

/** Wraps `XMLHttpRequest.prototype.open` and `send`. */
export function watchXhr(report: Report, ignore: Ignore): Teardown {
  if (typeof XMLHttpRequest !== 'function') return noop;
  const proto = XMLHttpRequest.prototype;
  const opened = new WeakMap<XMLHttpRequest, { method: string; url: string }>();

  const track = (xhr: XMLHttpRequest, body: unknown): void => {
    const target = opened.get(xhr);
    if (!target || ignore(absoluteUrl(target.url))) return;
    const started = begin('xhr', target.method, target.url, bodySize(body));
    let error: string | undefined;
    const fail = (reason: string) => () => {
      error = reason;
    };
    const stop = combine([
      listen(xhr, 'error', fail('network error')),
      listen(xhr, 'abort', fail('aborted')),
      listen(xhr, 'timeout', fail('timeout')),
      listen(xhr, 'loadend', () => {
        stop();
        const status = xhr.status;
        let size: number | undefined;
        if (status) {
          size = contentLength(xhr.getResponseHeader('content-length'));
          if (size === undefined && (xhr.responseType === '' || xhr.responseType === 'text')) {
            size = attempt(() => xhr.responseText.length);
          }
        }
        report(end(started, status, size, status ? undefined : error ?? 'network error'));
      }),
    ]);
  };

  return combine([
    patchMethod<XMLHttpRequest['open']>(proto, 'open', (original) =>
      function (this: XMLHttpRequest, ...args: unknown[]) {
        attempt(() => opened.set(this, { method: String(args[0]), url: absoluteUrl(String(args[1])) }));
        return (original as (...a: unknown[]) => void).apply(this, args);
      } as XMLHttpRequest['open'],
    ),
    patchMethod<XMLHttpRequest['send']>(proto, 'send', (original) =>
      function (this: XMLHttpRequest, ...args: Parameters<XMLHttpRequest['send']>) {
        attempt(() => track(this, args[0]));
        return original.apply(this, args);
      },
    ),
  ]);
}

/** Records fetch and XHR requests (not their headers or bodies). */
export function watchNetwork(report: Report, ignore: Ignore): Teardown {
  return combine([watchFetch(report, ignore), watchXhr(report, ignore)]);
}
