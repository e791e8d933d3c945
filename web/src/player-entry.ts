// The player's bundle (assets/player.js): rrweb and everything the player page
// needs. The app (assets/app.js) loads it only for a player URL, and starts the
// player's first requests before it does, so that downloading and evaluating
// this bundle overlaps the network.

import { playerView } from "./pages/player";

export type PlayerModule = { playerView: typeof playerView };

declare global {
  interface Window {
    __playheadPlayer?: PlayerModule;
  }
}

window.__playheadPlayer = { playerView };
