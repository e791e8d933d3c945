import { listen } from './listen';
import { patchMethod } from './patch';
import { isSecretField, maskFreeText, maskParams, redactUrl, REDACTED } from './privacy/secrets';
import { attempt, guard } from './safe';
import { bodySize, contentLength } from './size';
import { combine, noop, type Teardown } from './teardown';
import { describe, truncate } from './text';
import { absoluteUrl } from './url';

/**
 * Payload of the `playhead.network` custom event. Headers and bodies only for
 * URLs allowed by `networkCapture`, and masked.
 */
export interface NetworkInfo {
  type: 'fetch' | 'xhr';
  method: string;
  /** The absolute URL, secrets redacted. */
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
  requestHeaders?: Record<string, string>;
  responseHeaders?: Record<string, string>;
  requestBody?: string;
  responseBody?: string;
}

/** What to capture beyond the request line, for URLs matching `allow`. */
export interface Capture {
  allow(url: string): boolean;
  headers: boolean;
  bodies: boolean;
}

type Report = (info: NetworkInfo) => void;
/** True for URLs that must not be recorded (Playhead's own ingest). */
type Ignore = (url: string) => boolean;

/** Captured bodies are cut to this many characters, after masking. */
export const MAX_BODY = 16 * 1024;
/** Up to this much of a body is read (so that JSON can be parsed whole). */
const READ_LIMIT = 64 * 1024;
/** A response body not read by then is left out. */
const READ_TIMEOUT_MS = 5000;
/** Bodies of these content types are captured. */
const TEXTUAL = /json|xml|javascript|x-www-form-urlencoded|graphql|text\/(?!event-stream)/i;
/** Headers never recorded. */
const DROPPED_HEADER = /^(authorization|proxy-authorization|cookie|set-cookie)$/;
/** Headers whose value is a secret. */
const SECRET_HEADER = /auth|api-?key|csrf|xsrf|session|token|secret/;

/** Masked headers: credentials and cookies dropped, secrets redacted, PII masked. */
export function maskHeaders(pairs: Iterable<[string, string]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of pairs) {
    const name = key.toLowerCase();
    if (!DROPPED_HEADER.test(name)) out[name] = SECRET_HEADER.test(name) ? REDACTED : maskFreeText(value);
  }
  return out;
}

/**
 * A masked body: JSON has the values of secret fields redacted, form data the
 * values of secret fields redacted and PII masked, any text its secrets
 * redacted and PII masked; at most MAX_BODY characters.
 */
export function maskBody(text: string): string {
  text = text.slice(0, READ_LIMIT);
  let out: string | undefined;
  if (/^\s*[[{]/.test(text)) {
    out = attempt(() => JSON.stringify(JSON.parse(text, (key, value: unknown) => (key && isSecretField(key) ? REDACTED : value))));
  } else if (/^[\w.%+[\]-]+=[^\s]*$/.test(text)) {
    out = maskParams(text, isSecretField);
  }
  return truncate(maskFreeText(out ?? text), MAX_BODY);
}

/** A request body as text, when it is text or form data; undefined for binary bodies. */
function bodyText(body: unknown): string | undefined {
  if (typeof body === 'string') return body;
  if (typeof URLSearchParams !== 'undefined' && body instanceof URLSearchParams) return body.toString();
  if (typeof FormData !== 'undefined' && body instanceof FormData) {
    const params = new URLSearchParams();
    body.forEach((value, key) => params.append(key, typeof value === 'string' ? value : '[file]'));
    return params.toString();
  }
  return undefined;
}

/** Reads up to READ_LIMIT characters of a response clone, or gives up after READ_TIMEOUT_MS. */
async function readText(response: Response): Promise<string | undefined> {
  const reader = response.body?.getReader();
  if (!reader) return undefined;
  const decoder = new TextDecoder();
  let text = '';
  const deadline = Date.now() + READ_TIMEOUT_MS;
  try {
    while (text.length < READ_LIMIT) {
      const timeout = new Promise<undefined>((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now())));
      const chunk = await Promise.race([reader.read(), timeout]);
      if (!chunk) return undefined; // too slow: a stream, most likely
      if (chunk.done) break;
      text += decoder.decode(chunk.value, { stream: true });
    }
    return text;
  } finally {
    reader.cancel().catch(() => {});
  }
}

interface Started {
  info: NetworkInfo;
  t0: number;
  capture: { headers: boolean; bodies: boolean } | undefined;
}

function begin(
  type: NetworkInfo['type'],
  method: string,
  url: string,
  reqSize: number | undefined,
  capture: Capture | undefined,
): Started {
  const absolute = absoluteUrl(url);
  const info = { type, method: method.toUpperCase(), url: redactUrl(absolute), start: Date.now() } as NetworkInfo;
  if (reqSize !== undefined) info.reqSize = reqSize;
  return { info, t0: performance.now(), capture: capture && capture.allow(absolute) ? capture : undefined };
}

function end(started: Started, status: number, resSize: number | undefined, error?: string): NetworkInfo {
  const info = started.info;
  info.status = status;
  info.duration = Math.max(0, Math.round(performance.now() - started.t0));
  if (resSize !== undefined) info.resSize = resSize;
  if (error !== undefined) info.error = maskFreeText(truncate(error, 500));
  return info;
}

/** Records the request's headers and body on `started` when its URL is allowed. */
function captureRequest(started: Started, headers: () => Iterable<[string, string]> | undefined, body: unknown): void {
  const c = started.capture;
  if (!c) return;
  if (c.headers) {
    const pairs = attempt(headers);
    if (pairs) started.info.requestHeaders = maskHeaders(pairs);
  }
  const text = c.bodies ? bodyText(body) : undefined;
  if (text) started.info.requestBody = maskBody(text);
}

/** Wraps `window.fetch`. The caller's promise is returned untouched. */
export function watchFetch(report: Report, ignore: Ignore, capture?: Capture): Teardown {
  if (typeof fetch !== 'function') return noop;
  return patchMethod<typeof fetch>(window, 'fetch', (original) =>
    function (this: unknown, ...args: Parameters<typeof fetch>) {
      const started = attempt(() => {
        const [input, init] = args;
        const request = typeof Request !== 'undefined' && input instanceof Request ? input : undefined;
        const url = request ? request.url : input instanceof URL ? input.href : String(input);
        if (ignore(absoluteUrl(url))) return undefined;
        const method = init?.method || request?.method || 'GET';
        const size = bodySize(init?.body) ?? (request ? contentLength(request.headers.get('content-length')) : undefined);
        const s = begin('fetch', method, url, size, capture);
        captureRequest(s, () => new Headers(init?.headers ?? request?.headers) as unknown as Iterable<[string, string]>, init?.body);
        return s;
      });
      const result = original.apply(this, args);
      if (started) {
        result.then(
          guard((response: Response) => {
            const info = end(started, response.status, contentLength(response.headers.get('content-length')));
            const c = started.capture;
            if (c?.headers) info.responseHeaders = maskHeaders(response.headers as unknown as Iterable<[string, string]>);
            if (!c?.bodies || !TEXTUAL.test(response.headers.get('content-type') || '')) return report(info);
            const done = guard((text?: string) => {
              if (text) info.responseBody = maskBody(text);
              report(info);
            });
            readText(response.clone()).then(done, () => done());
          }),
          guard((error: unknown) => report(end(started, 0, undefined, describe(error)))),
        );
      }
      return result;
    },
  );
}

/** Parses `getAllResponseHeaders()`. */
function headerLines(text: string): Array<[string, string]> {
  return text
    .split(/\r?\n/)
    .filter((line) => line.indexOf(':') > 0)
    .map((line) => {
      const at = line.indexOf(':');
      return [line.slice(0, at).trim(), line.slice(at + 1).trim()];
    });
}

/** Wraps `XMLHttpRequest.prototype.open`, `setRequestHeader` and `send`. */
export function watchXhr(report: Report, ignore: Ignore, capture?: Capture): Teardown {
  if (typeof XMLHttpRequest !== 'function') return noop;
  const proto = XMLHttpRequest.prototype;
  const opened = new WeakMap<XMLHttpRequest, { method: string; url: string; headers: Array<[string, string]> }>();

  const track = (xhr: XMLHttpRequest, body: unknown): void => {
    const target = opened.get(xhr);
    if (!target || ignore(absoluteUrl(target.url))) return;
    const started = begin('xhr', target.method, target.url, bodySize(body), capture);
    captureRequest(started, () => target.headers, body);
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
        const textual = xhr.responseType === '' || xhr.responseType === 'text';
        let size: number | undefined;
        if (status) {
          size = contentLength(xhr.getResponseHeader('content-length'));
          if (size === undefined && textual) size = attempt(() => xhr.responseText.length);
        }
        const info = end(started, status, size, status ? undefined : error ?? 'network error');
        const c = started.capture;
        if (c && status) {
          if (c.headers) info.responseHeaders = maskHeaders(headerLines(xhr.getAllResponseHeaders()));
          const text = !c.bodies
            ? undefined
            : textual
              ? xhr.responseText
              : xhr.responseType === 'json'
                ? JSON.stringify(xhr.response)
                : undefined;
          if (text && TEXTUAL.test(xhr.getResponseHeader('content-type') || 'text/')) info.responseBody = maskBody(text);
        }
        report(info);
      }),
    ]);
  };

  return combine([
    patchMethod<XMLHttpRequest['open']>(proto, 'open', (original) =>
      function (this: XMLHttpRequest, ...args: unknown[]) {
        attempt(() => opened.set(this, { method: String(args[0]), url: absoluteUrl(String(args[1])), headers: [] }));
        return (original as (...a: unknown[]) => void).apply(this, args);
      } as XMLHttpRequest['open'],
    ),
    patchMethod<XMLHttpRequest['setRequestHeader']>(proto, 'setRequestHeader', (original) =>
      function (this: XMLHttpRequest, name: string, value: string) {
        attempt(() => opened.get(this)?.headers.push([String(name), String(value)]));
        return original.call(this, name, value);
      },
    ),
    patchMethod<XMLHttpRequest['send']>(proto, 'send', (original) =>
      function (this: XMLHttpRequest, ...args: Parameters<XMLHttpRequest['send']>) {
        attempt(() => track(this, args[0]));
        return original.apply(this, args);
      },
    ),
  ]);
}

/** Records fetch and XHR requests; headers and bodies only as `capture` allows. */
export function watchNetwork(report: Report, ignore: Ignore, capture?: Capture): Teardown {
  return combine([watchFetch(report, ignore, capture), watchXhr(report, ignore, capture)]);
}
