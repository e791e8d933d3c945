import { listen } from './listen';
import { patchMethod } from './patch';
import { isSecretField, maskFreeText, maskParams, redactUrl, REDACTED } from './privacy/secrets';
import { attempt, guard } from './safe';
import { bodySize, contentLength, utf8Length } from './size';
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
  /** From the request's W3C `traceparent` header: the trace, and the span that made the request. */
  traceId?: string;
  spanId?: string;
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

/** Which requests carry the session in `baggage`, and the session ID to put there. */
export interface Propagation {
  allow(url: string): boolean;
  sid(): string | undefined;
}

/** The W3C baggage limit, in bytes. */
export const MAX_BAGGAGE = 8192;

/**
 * The `baggage` header `existing` with the list member `session.id=<sid>`:
 * any other `session.id` member is removed, every other member kept. When the
 * result would exceed 8192 bytes, `existing` is kept as it is.
 */
export function withSession(existing: string | null | undefined, sid: string): string | null | undefined {
  const members = (existing || '').split(',').filter((m) => m.trim() && m.split('=')[0]!.trim() !== 'session.id');
  members.push('session.id=' + sid);
  const out = members.map((m) => m.trim()).join(',');
  return utf8Length(out) > MAX_BAGGAGE ? existing : out;
}

/** Records the trace and parent span IDs of a W3C `traceparent` header. */
function traceOf(info: NetworkInfo, traceparent: string | null | undefined): void {
  const m = /^[\da-f]{2}-([\da-f]{32})-([\da-f]{16})-[\da-f]{2}/.exec((traceparent || '').trim());
  if (m) {
    info.traceId = m[1];
    info.spanId = m[2];
  }
}

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

/**
 * Wraps `window.fetch`. The caller's promise is returned untouched; a request
 * that `propagate` allows is made with the session in its `baggage` header.
 */
export function watchFetch(report: Report, ignore: Ignore, capture?: Capture, propagate?: Propagation): Teardown {
  if (typeof fetch !== 'function') return noop;
  return patchMethod<typeof fetch>(window, 'fetch', (original) =>
    function (this: unknown, ...args: Parameters<typeof fetch>) {
      const started = attempt(() => {
        const [input, init] = args;
        const request = typeof Request !== 'undefined' && input instanceof Request ? input : undefined;
        const url = absoluteUrl(request ? request.url : input instanceof URL ? input.href : String(input));
        if (ignore(url)) return undefined;
        // the request's headers: init's replace the Request's
        const headers = new Headers(init?.headers ?? request?.headers);
        const sid = propagate?.allow(url) && propagate.sid();
        if (sid) {
          headers.set('baggage', withSession(headers.get('baggage'), sid)!);
          args[1] = { ...init, headers };
        }
        const method = init?.method || request?.method || 'GET';
        const size = bodySize(init?.body) ?? (request ? contentLength(request.headers.get('content-length')) : undefined);
        const s = begin('fetch', method, url, size, capture);
        traceOf(s.info, headers.get('traceparent'));
        captureRequest(s, () => headers as unknown as Iterable<[string, string]>, init?.body);
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

interface Opened {
  method: string;
  url: string;
  headers: Array<[string, string]>;
  /** Its `baggage`, held back until `send` when the session goes in it. */
  baggage?: string;
  propagate?: boolean;
}

/**
 * Wraps `XMLHttpRequest.prototype.open`, `setRequestHeader` and `send`. A
 * request that `propagate` allows gets one `baggage` header at `send`: the
 * page's own, merged with the session.
 */
export function watchXhr(report: Report, ignore: Ignore, capture?: Capture, propagate?: Propagation): Teardown {
  if (typeof XMLHttpRequest !== 'function') return noop;
  const proto = XMLHttpRequest.prototype;
  const opened = new WeakMap<XMLHttpRequest, Opened>();
  let setHeader: XMLHttpRequest['setRequestHeader'];

  const track = (xhr: XMLHttpRequest, body: unknown): void => {
    const target = opened.get(xhr);
    if (!target) return;
    const sid = target.propagate && propagate!.sid();
    const baggage = sid ? withSession(target.baggage, sid) : target.baggage;
    if (baggage) {
      setHeader.call(xhr, 'baggage', baggage);
      target.headers.push(['baggage', baggage]);
    }
    // a baggage set after this (by a wrapper of send inside ours) is added as it is
    target.propagate = false;
    if (ignore(target.url)) return;
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
        // headers set until the request really went: another wrapper may add traceparent after ours
        for (const [name, value] of target.headers) if (name.toLowerCase() === 'traceparent') traceOf(info, value);
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
        attempt(() => {
          const url = absoluteUrl(String(args[1]));
          opened.set(this, { method: String(args[0]), url, headers: [], propagate: propagate?.allow(url) });
        });
        return (original as (...a: unknown[]) => void).apply(this, args);
      } as XMLHttpRequest['open'],
    ),
    patchMethod<XMLHttpRequest['setRequestHeader']>(proto, 'setRequestHeader', (original) => {
      setHeader = original;
      return function (this: XMLHttpRequest, name: string, value: string) {
        const target = opened.get(this);
        // the page's baggage waits for send, to be merged with the session (repeated headers join with ",")
        if (target?.propagate && /^baggage$/i.test(name) && attempt(() => String(value))) {
          target.baggage = (target.baggage ? target.baggage + ',' : '') + value;
          return;
        }
        attempt(() => target?.headers.push([String(name), String(value)]));
        return original.call(this, name, value);
      };
    }),
    patchMethod<XMLHttpRequest['send']>(proto, 'send', (original) =>
      function (this: XMLHttpRequest, ...args: Parameters<XMLHttpRequest['send']>) {
        attempt(() => track(this, args[0]));
        return original.apply(this, args);
      },
    ),
  ]);
}

/**
 * Records fetch and XHR requests, headers and bodies only as `capture`
 * allows, and puts the session in the `baggage` of those `propagate` allows.
 */
export function watchNetwork(report: Report, ignore: Ignore, capture?: Capture, propagate?: Propagation): Teardown {
  return combine([watchFetch(report, ignore, capture, propagate), watchXhr(report, ignore, capture, propagate)]);
}
