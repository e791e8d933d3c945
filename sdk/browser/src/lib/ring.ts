import { EventType } from './recorder';

interface Segment {
  /** Timestamp of its keyframe. */
  start: number;
  /** Its events, serialised; the first two are the keyframe (Meta, FullSnapshot). */
  parts: string[];
  chars: number;
  /** Characters of its keyframe. */
  base: number;
}

export interface Ring {
  /** Keeps a serialised event of type `type` at `at`; returns true when a new keyframe is due. */
  add(type: number, at: number, json: string): boolean;
  /** Empties the ring, returning its events by segment, each beginning with its keyframe. */
  take(): string[][];
}

/**
 * The recording of an error-sampled session, in memory: segments that each
 * begin with a keyframe. It keeps the last segment that began at or before
 * `windowMs` ago and every later one, so that it always holds at least the
 * last `windowMs` and begins with a keyframe; older segments are dropped.
 * Above `maxChars`, old segments go even when recent. A keyframe is due when
 * the current segment began more than `windowMs` ago, or its events since its
 * keyframe reach half of `maxChars`.
 */
export function createRing(windowMs: number, maxChars: number): Ring {
  let segments: Segment[] = [];
  let chars = 0;
  return {
    add(type, at, json) {
      if (type === EventType.Meta || !segments.length) segments.push({ start: at, parts: [], chars: 0, base: 0 });
      const last = segments[segments.length - 1]!;
      last.parts.push(json);
      last.chars += json.length;
      chars += json.length;
      if (last.parts.length === 2) last.base = last.chars;
      while (segments.length > 1 && (segments[1]!.start <= at - windowMs || chars > maxChars)) {
        chars -= segments.shift()!.chars;
      }
      return at - last.start > windowMs || last.chars - last.base > maxChars / 2;
    },
    take() {
      const out = segments.map((segment) => segment.parts);
      segments = [];
      chars = 0;
      return out;
    },
  };
}
