/** The number of bytes `text` takes in UTF-8, without allocating. */
export function utf8Length(text: string): number {
  // JSON is mostly ASCII: a regular expression tells so several times faster than the loop
  if (!/[^\0-\x7f]/.test(text)) return text.length;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4; // a surrogate pair is one 4-byte code point
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * The size in bytes of a request body when it is known without reading a
 * stream or serialising form data; otherwise undefined.
 */
export function bodySize(body: unknown): number | undefined {
  if (body == null) return undefined;
  if (typeof body === 'string') return utf8Length(body);
  if (typeof Blob !== 'undefined' && body instanceof Blob) return body.size;
  if (body instanceof ArrayBuffer) return body.byteLength;
  if (ArrayBuffer.isView(body)) return body.byteLength;
  if (typeof URLSearchParams !== 'undefined' && body instanceof URLSearchParams) {
    return utf8Length(body.toString());
  }
  return undefined;
}

/** Parses a Content-Length header value; undefined when absent or invalid. */
export function contentLength(value: string | null | undefined): number | undefined {
  if (value == null || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}
