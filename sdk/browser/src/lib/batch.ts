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
 * them again: `{v, sid, seq, sdk, events}`.
 */
export function makeBatch(sid: string, seq: number, sdk: string, events: string[]): Batch {
  const body =
    '{"v":' + PROTOCOL_VERSION +
    ',"sid":' + JSON.stringify(sid) +
    ',"seq":' + seq +
    ',"sdk":' + JSON.stringify(sdk) +
    ',"events":[' + events.join(',') + ']}';
  return { sid, seq, body };
}
