/** Limits of one batch: the server takes up to 20,000 events in one. */
export const MAX_BATCH_CHARS = 512 * 1024;
export const MAX_BATCH_EVENTS = 20000;

export interface EventBuffer {
  /** Number of events held. */
  readonly length: number;
  /** Keeps a serialised event; returns true once the buffer is full enough to be sent. */
  add(json: string): boolean;
  /** Empties the buffer, returning the serialised events in order. */
  take(): string[];
}

/** An event as JSON, or undefined when it cannot be serialised (it is then dropped). */
export function serialize(event: unknown): string | undefined {
  try {
    return JSON.stringify(event);
  } catch {
    return undefined;
  }
}

/**
 * Holds events as JSON text. Each event is serialised once, when it arrives,
 * which also gives the batch size for free.
 */
export function createBuffer(maxChars = MAX_BATCH_CHARS, maxEvents = MAX_BATCH_EVENTS): EventBuffer {
  let parts: string[] = [];
  let chars = 0;
  return {
    get length() {
      return parts.length;
    },
    add(json) {
      parts.push(json);
      chars += json.length + 1;
      return chars >= maxChars || parts.length >= maxEvents;
    },
    take() {
      const out = parts;
      parts = [];
      chars = 0;
      return out;
    },
  };
}
