/** Options of `Playhead.init`. */
export interface PlayheadOptions {
  /** Base URL of the Playhead server, e.g. `https://playhead.example.com`. */
  endpoint: string;
  /** The project's public ingest key. */
  projectKey: string;
  /** Mask the value of every input, select and textarea. Default true. Passwords are always masked. */
  maskAllInputs?: boolean;
  /** Take a keyframe (full snapshot) this often, in ms; 0 turns it off. Default 5 minutes. */
  checkoutEveryNms?: number;
  /** Send buffered events this often, in ms. Default 5000. */
  flushIntervalMs?: number;
  /** Start a new session after this long without activity, in ms. Default 30 minutes. */
  sessionTimeoutMs?: number;
}
