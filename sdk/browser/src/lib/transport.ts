import { utf8Length } from './size';
import { noop } from './teardown';

/** What to do with a batch after one attempt to send it. */
export type Outcome =
  | { kind: 'done' } // stored (or already stored: a duplicate)
  | { kind: 'retry'; afterMs?: number } // network failure, 408, 429, 5xx
  | { kind: 'fail'; status: number }; // any other 4xx: it will not get better

export interface Transport {
  /** Normal path: POSTs the body (gzip bytes or JSON). */
  send(body: string | Uint8Array): Promise<Outcome>;
  /**
   * Page-hide path, synchronous up to the point the browser owns the request:
   * `fetch(keepalive)` when the body fits the keepalive budget, else
   * `navigator.sendBeacon`. Returns the fetch's outcome, true when the beacon
   * was queued, false when neither could take it.
   */
  sendNow(body: string | Uint8Array): Promise<Outcome> | boolean;
}

/**
 * Browsers allow 64 KiB of keepalive request bodies in flight per page, and
 * as much for queued beacons; keep a margin below it.
 */
export const KEEPALIVE_LIMIT = 60 * 1024;

const size = (body: string | Uint8Array): number => (typeof body === 'string' ? utf8Length(body) : body.byteLength);

/** `Retry-After` (seconds or an HTTP date) in ms; readable because the server exposes it through CORS. */
function retryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const ms = /^\d+$/.test(value.trim()) ? +value * 1000 : Date.parse(value) - Date.now();
  return ms > 0 ? ms : undefined;
}

function outcomeOf(response: Response): Outcome {
  // The browser counts a keepalive request's body against the page's
  // 64 KiB until its response is read: one left unread holds its share,
  // and once they add up every keepalive request fails. Nothing in the
  // body is needed.
  response.body?.cancel().catch(noop);
  const { status } = response;
  // 2xx, including {"duplicate": true}: the server has the batch
  if (response.ok) return { kind: 'done' };
  if (status === 408 || status === 429 || status >= 500) {
    return { kind: 'retry', afterMs: retryAfter(response.headers.get('Retry-After')) };
  }
  return { kind: 'fail', status };
}

/**
 * Sends batches to `url` with a `fetch` taken before the SDK patched it, so
 * Playhead's own requests never show up in the recording.
 */
export function createTransport(url: string, fetchFn: typeof fetch | undefined): Transport {
  /**
   * Bytes of keepalive requests and beacons the browser may still count.
   * It lets a request's go only after its response is let go (a task or so
   * later), and a beacon's once sent, which the page is not told: each is
   * held a while longer here, so that a keepalive request is never tried
   * where the browser would refuse it.
   */
  let keepaliveInFlight = 0;
  const release = (bytes: number, ms: number): unknown => setTimeout(() => (keepaliveInFlight -= bytes), ms);

  async function post(body: string | Uint8Array, bytes: number): Promise<Outcome> {
    if (!fetchFn) return { kind: 'done' };
    const keepalive = keepaliveInFlight + bytes <= KEEPALIVE_LIMIT;
    if (keepalive) keepaliveInFlight += bytes;
    try {
      const response = await fetchFn(url, {
        method: 'POST',
        body: body as BodyInit,
        // text/plain keeps this a CORS simple request: no preflight
        headers: { 'Content-Type': 'text/plain' },
        credentials: 'omit',
        mode: 'cors',
        keepalive,
      });
      return outcomeOf(response);
    } catch {
      return { kind: 'retry' };
    } finally {
      if (keepalive) release(bytes, 1000);
    }
  }

  return {
    send: (body) => post(body, size(body)),
    sendNow(body) {
      const bytes = size(body);
      if (fetchFn && keepaliveInFlight + bytes <= KEEPALIVE_LIMIT) return post(body, bytes);
      if (bytes > KEEPALIVE_LIMIT) return false;
      try {
        const queued = navigator.sendBeacon(url, new Blob([body as BlobPart], { type: 'text/plain' }));
        if (queued) {
          keepaliveInFlight += bytes;
          release(bytes, 10_000);
        }
        return queued;
      } catch {
        return false;
      }
    },
  };
}
