/** Limits of one batch: the server takes up to 20,000 events in one. */
export const MAX_BATCH_CHARS = 512 * 1024;
export const MAX_BATCH_EVENTS = 20000;

export interface EventBuffer {
  /** Number of events held. */
  readonly length: number;
  /**
   * Serialises and keeps `event`; returns true once the buffer is full enough
   * to be sent. Events that cannot be serialised are dropped.
   */
  add(event: unknown): boolean;
  /** Empties the buffer, returning the serialised events in order. */
  take(): string[];
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
    add(event) {
      let json: string | undefined;
      try {
        json = JSON.stringify(event);
      } catch {
        return false;
      }
      if (json === undefined) return false;
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
