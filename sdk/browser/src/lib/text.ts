/** Cuts `text` to at most `max` characters. */
export function truncate(text: string, max: number): string {
  return text.length > max ? text.slice(0, max) + '…' : text;
}

/** A short human-readable description of any thrown or rejected value. */
export function describe(value: unknown): string {
  if (value instanceof Error) return value.name + ': ' + value.message;
  if (typeof value === 'string') return value;
  try {
    const json = JSON.stringify(value);
    if (json !== undefined) return json;
  } catch {
    // not serialisable: fall through
  }
  return String(value);
}
