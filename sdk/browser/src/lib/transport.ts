import { gzip } from './compress';
import { utf8Length } from './size';

/** What to do with a batch after one attempt to send it. */
export type Outcome =
  | { kind: 'done' } // stored, or refused for good (4xx): forget it
  | { kind: 'retry'; afterMs?: number }; // network failure, 408, 429, 5xx

export interface Transport {
  /** Normal path: gzip when possible, then POST. */
  send(body: string): Promise<Outcome>;
  /**
   * Page-hide path, synchronous up to the point the browser owns the request:
   * plain JSON through `fetch(keepalive)` when it fits the keepalive budget,
   * else `navigator.sendBeacon`. Returns the fetch's outcome, or true/false
   * for whether the beacon was queued.
   */
  sendNow(body: string): Promise<Outcome> | boolean;
}

/**
 * Browsers allow 64 KiB of keepalive request bodies in flight per page;
 * keep a margin below it.
 */
export const KEEPALIVE_LIMIT = 60 * 1024;

function outcomeOf(response: Response): Outcome {
  const { status } = response;
  if (response.ok) return { kind: 'done' };
  if (status === 408 || status === 429 || status >= 500) {
    // Retry-After is readable only when the server exposes it through CORS
    const seconds = Number(response.headers.get('Retry-After'));
    return { kind: 'retry', afterMs: seconds > 0 ? seconds * 1000 : undefined };
  }
  return { kind: 'done' };
}

/**
 * Sends batches to `url` with a `fetch` taken before the SDK patched it, so
 * Playhead's own requests never show up in the recording.
 */
export function createTransport(url: string, fetchFn: typeof fetch | undefined): Transport {
  let keepaliveInFlight = 0;

  async function post(body: string | Uint8Array, size: number): Promise<Outcome> {
    if (!fetchFn) return { kind: 'done' };
    const keepalive = keepaliveInFlight + size <= KEEPALIVE_LIMIT;
    if (keepalive) keepaliveInFlight += size;
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
      if (keepalive) keepaliveInFlight -= size;
    }
  }

  return {
    async send(body) {
      const compressed = await gzip(body);
      return compressed ? post(compressed, compressed.byteLength) : post(body, utf8Length(body));
    },
    sendNow(body) {
      const size = utf8Length(body);
      if (fetchFn && keepaliveInFlight + size <= KEEPALIVE_LIMIT) return post(body, size);
      try {
        return navigator.sendBeacon(url, new Blob([body], { type: 'text/plain' }));
      } catch {
        return false;
      }
    },
  };
}
