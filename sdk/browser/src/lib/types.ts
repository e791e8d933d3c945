/** Options of `Playhead.init`. */
export interface PlayheadOptions {
  /** Base URL of the Playhead server, e.g. `https://playhead.example.com`. */
  endpoint: string;
  /** The project's public ingest key. */
  projectKey: string;
  /**
   * How much of the page is masked before anything leaves the browser:
   * `'strict'` masks all text and input values and blocks media;
   * `'default'` masks input values and personal data in text and attributes;
   * `'relaxed'` records input values too, except passwords, card fields and
   * the like, and still masks personal data. Default `'default'`.
   */
  privacy?: 'strict' | 'default' | 'relaxed';
  /** Mask every input, textarea, select and contenteditable value; overrides the preset. Passwords and card fields are always masked. */
  maskAllInputs?: boolean;
  /** CSS selector of elements whose text and values are masked whole (like `data-private`). */
  maskSelector?: string;
  /** CSS selector of elements recorded as empty boxes (like `data-block`). */
  blockSelector?: string;
  /** CSS selector of elements where masking of all text and values is lifted (like `data-unmask`); personal data stays masked. */
  unmaskSelector?: string;
  /** Record headers and bodies of requests to these URLs (masked). Never recorded otherwise. */
  networkCapture?: {
    /** URL prefixes (relative ones resolve against the page) or regular expressions tested on the absolute URL. */
    allowUrls: Array<string | RegExp>;
    headers?: boolean;
    bodies?: boolean;
  };
  /** Print every batch to the console before it is sent. Also on with `?playhead_debug=1` in the page URL. */
  debug?: boolean;
  /** Record nothing until `consent()` is called. */
  requireConsent?: boolean;
  /** Record nothing when the browser sends Global Privacy Control or Do Not Track. */
  respectDoNotTrack?: boolean;
  /** Take a keyframe (full snapshot) this often, in ms, besides the one at page load; 0 (the default) takes none: the server builds keyframes. */
  checkoutEveryNms?: number;
  /** Send buffered events this often, in ms. Default 5000. */
  flushIntervalMs?: number;
  /** Start a new session after this long without activity, in ms. Default 30 minutes. */
  sessionTimeoutMs?: number;
  /** Bytes of unsent batches kept in memory at most; beyond, the oldest are dropped. Default 2 MB. */
  maxQueueBytes?: number;
  /**
   * Besides the page's own origin, the origins whose requests (fetch and XHR)
   * carry the session ID as `session.id` in a W3C `baggage` header. A string
   * is an origin (`'https://api.example.com'`; a path in it is ignored); a
   * regular expression is tested on the request's absolute URL (anchor it).
   * Each origin must allow the header in its CORS preflight.
   */
  propagateTo?: Array<string | RegExp>;
  /**
   * Sentry's browser SDK (v8 or later), when it is not on `window.Sentry`:
   * every Sentry event then gets the session ID and a replay URL.
   */
  sentry?: SentryLike;
  /**
   * The version of your app the page runs (`'shop@4.1.0'`, a commit hash),
   * as you upload its source maps under (`playhead sourcemaps upload
   * -release R DIR`): errors then show original files, lines and source.
   * Up to 200 printable ASCII characters without spaces; the server
   * ignores any other.
   */
  release?: string;
  /** Share of sessions recorded in full, 0 to 1. Default 1. */
  sampleRate?: number;
  /**
   * Share of the other sessions that keep only the last 60 seconds in memory
   * and upload them when an error happens or a report is sent, then record in
   * full, 0 to 1. Default 0.
   */
  errorSampleRate?: number;
  /** Advanced: how much an error-sampled session keeps in memory, in ms. Default 60000. */
  bufferMs?: number;
  /** Show a floating "Report a problem" button (loaded on demand, not part of this bundle). */
  feedback?: boolean;
}

/** The part of Sentry's browser SDK (v8 or later) that Playhead uses: its public event processor API. */
export interface SentryLike {
  addEventProcessor(processor: SentryProcessor): unknown;
  getGlobalScope?(): { addEventProcessor(processor: SentryProcessor): unknown };
}

/** Playhead's Sentry event processor: returns the event it gets, with the session added. */
export type SentryProcessor = <E extends SentryEvent>(event: E) => E;

/** The fields of a Sentry event that Playhead reads or sets. */
export interface SentryEvent {
  type?: string;
  level?: string;
  /** Seconds since the epoch. */
  timestamp?: number;
  tags?: Record<string, unknown>;
  contexts?: Record<string, unknown>;
}
