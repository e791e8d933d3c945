/** Gzips `text` with the browser's CompressionStream; rejects when it cannot. */
const deflate = async (text: string): Promise<Uint8Array> =>
  new Uint8Array(await new Response(new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer());

/** Compresses off the page's main thread; null once it could not be started or failed. */
let worker: Worker | undefined | null;
/** What the worker was given, by request number, until it answers. */
const waiting = new Map<number, (gz: Uint8Array | undefined) => void>();
let requests = 0;

/**
 * Gzips `text`, in a worker (compressing costs the main thread about 10 ms
 * per MB; the worker's source is `deflate` itself), or on the main thread
 * where no worker can start (a CSP without `blob:` workers, Trusted Types).
 * Resolves to undefined when the browser lacks CompressionStream or
 * compression fails: the caller sends plain text.
 */
export function gzip(text: string): Promise<Uint8Array | undefined> {
  if (typeof CompressionStream !== 'function' || typeof Blob === 'undefined') return Promise.resolve(undefined);
  try {
    if (worker === undefined) {
      const w = new Worker(URL.createObjectURL(new Blob([`const d=${deflate};onmessage=async({data:[i,t]})=>postMessage([i,await d(t).catch(()=>{})])`])));
      w.onmessage = ({ data: [id, gz] }: MessageEvent) => {
        waiting.get(id)?.(gz);
        waiting.delete(id);
      };
      // it could not start, or broke: what it had goes as plain text, the rest is compressed here
      w.onerror = () => {
        worker = null;
        waiting.forEach((done) => done(undefined));
        waiting.clear();
      };
      worker = w;
    }
    if (worker) {
      const w = worker;
      return new Promise((resolve) => {
        waiting.set(++requests, resolve);
        w.postMessage([requests, text]);
      });
    }
  } catch {
    worker = null;
  }
  return deflate(text).catch(() => undefined);
}
