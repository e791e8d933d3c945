// The player's in-memory compression: JSON it may need again (evicted
// batches, server keyframes, synthetic checkpoints) is kept deflated, about
// a seventh of its size, outside the JS heap, and read back synchronously.

import { deflateSync, inflateSync, strFromU8, strToU8 } from "fflate";

/** Deflates text. */
export function deflateText(text: string): Uint8Array {
  return deflateSync(strToU8(text), { level: 3 });
}

/** The text `deflateText` deflated. */
export function inflateText(z: Uint8Array): string {
  return strFromU8(inflateSync(z));
}
