/**
 * Gzips `text` with the browser's CompressionStream. Resolves to undefined
 * when the browser lacks it or compression fails: the caller sends plain text.
 */
export async function gzip(text: string): Promise<Uint8Array | undefined> {
  if (typeof CompressionStream !== 'function' || typeof Blob === 'undefined') return undefined;
  try {
    const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch {
    return undefined;
  }
}
