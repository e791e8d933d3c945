// Web fonts added through the FontFace API, replayed in the replay's own
// window.
//
// rrweb replays a Font event with `new FontFace(...)` in the player's window
// and adds the face to the replay document's FontFaceSet. Chromium then uses
// that face only for text laid out after it has loaded: text the document
// laid out while it was loading keeps its fallback (or, in the block period,
// stays invisible) for good, because the load's end is announced to the
// player's document, not the replay's. A first viewer, whose fonts come over
// the network, saw such text blank. A face made by the replay window's own
// FontFace constructor behaves as on the recorded page: text using it is laid
// out again once it loads.

import type { playerConfig } from "@rrweb/replay";
import type { eventWithTime } from "@rrweb/types";
import { isFontEvent } from "./checkpoints";

type ReplayPlugin = NonNullable<playerConfig["plugins"]>[number];

interface FontData {
  family: string;
  fontSource: string;
  buffer: boolean;
  descriptors?: FontFaceDescriptors;
}

type FontWindow = Window & typeof globalThis;

/**
 * Replaces the face rrweb just added for a Font event by one of the replay
 * window's realm. Every player replayer (and the benchmark's and tests'
 * bare ones, through `window.__playhead.plugins`) carries it.
 */
export const realmFonts: ReplayPlugin = {
  handler(event, _isSync, context) {
    if (!isFontEvent(event as unknown as eventWithTime)) return;
    const d = event.data as unknown as FontData;
    const w = context.replayer.iframe.contentWindow as FontWindow | null;
    const set = w?.document.fonts;
    if (!w || !set || typeof w.FontFace !== "function") return;
    // rrweb's face for this event is the only one of another realm: each is
    // replaced right after it is added
    const foreign: FontFace[] = [];
    set.forEach((f) => {
      if (!(f instanceof w.FontFace)) foreign.push(f);
    });
    for (const f of foreign) set.delete(f);
    try {
      set.add(new w.FontFace(d.family, fontSource(d), d.descriptors));
    } catch (err) {
      console.warn("playhead: cannot replay a web font", d.family, err);
    }
  },
};

/** The face's source: its bytes, or its `src` with each URL made absolute against the player's page (as rrweb's own face resolved them). */
function fontSource(d: FontData): string | BufferSource {
  if (d.buffer) return new Uint8Array(JSON.parse(d.fontSource) as number[]).buffer;
  return d.fontSource.replace(/url\(\s*(['"]?)(.*?)\1\s*\)/g, (whole, _q: string, u: string) => {
    try {
      return `url(${JSON.stringify(new URL(u, document.baseURI).href)})`;
    } catch {
      return whole;
    }
  });
}
