// The serialiser of checkpoints (assets/snapshot.js): rrweb-snapshot's
// `snapshot`. The player loads it after its first frame, when it starts making
// checkpoints: nothing before the first frame needs it.

import { snapshot } from "rrweb-snapshot";

declare global {
  interface Window {
    __playheadSnapshot?: typeof snapshot;
  }
}

window.__playheadSnapshot = snapshot;
