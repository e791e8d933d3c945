/** Protocol version of the batch envelope. */
export const PROTOCOL_VERSION = 1;

import type { Gap } from './queue';

/** A batch ready to send: its identity and its JSON body. */
export interface Batch {
  sid: string;
  seq: number;
  body: string;
  /** The gap markers its events carry: reported again should this batch be lost too. */
  gaps?: Gap[];
}

/**
 * Builds the JSON of a batch from already serialised events, without parsing
 * them again: `{sid, seq, v, sdk, release?, events}`.
 */
export function makeBatch(sid: string, seq: number, sdk: string, events: string[], release?: string): Batch {
  // The envelope's fields, then the events joined as they are.
  return { sid, seq, body: JSON.stringify({ sid, seq, v: PROTOCOL_VERSION, sdk, release }).slice(0, -1) + ',"events":[' + events.join(',') + ']}' };
}
