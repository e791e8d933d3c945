/*! @playhead/browser 0.1.0 | includes rrweb (MIT License) https://github.com/rrweb-io/rrweb */
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
    getGlobalScope?(): {
        addEventProcessor(processor: SentryProcessor): unknown;
    };
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

/** What `onError` callbacks get. */
export interface ErrorContext {
    sessionId: string;
    /** Opens the replay at the moment of the error. */
    replayURL: string;
    /** What was thrown (for an `error` event without an error object, its message) or rejected. */
    error: unknown;
}
/**
 * Starts recording this page and sending it to the Playhead server.
 * Calling it again while recording (or waiting for consent) does nothing.
 * With `requireConsent`, or after `optOut()`, it waits for `consent()`; with
 * `respectDoNotTrack` and GPC or DNT on, it records nothing at all. A session
 * that sampling leaves out records nothing either.
 */
export declare function init(options: PlayheadOptions): void;
/** The user agreed to be recorded: starts a recording that `init` left waiting, and forgets an earlier opt-out. */
export declare function consent(): void;
/**
 * The user does not want to be recorded: stops recording, deletes what is
 * buffered and queued and the tab's session, and remembers the choice in
 * localStorage so that later pages record nothing until `consent()`.
 */
export declare function optOut(): void;
/** The current session ID, or undefined when not recording. */
export declare function getSessionId(): string | undefined;
/**
 * A link that opens the session's replay in the Playhead player at a moment
 * (`at`, epoch ms or a Date; default now): `${endpoint}/sessions/{id}?at=…`.
 * Undefined when not recording.
 */
export declare function getReplayURL(options?: {
    at?: number | Date;
}): string | undefined;
/**
 * Says who the visitor is: a custom event `playhead.identify` `{userId,
 * traits}`. `traits` are masked like every payload (personal data, secret
 * keys); `userId` is sent as it is: the server indexes only a keyed hash of it.
 */
export declare function identify(userId: string, traits?: Record<string, unknown>): void;
/**
 * Records a custom event `name` with `properties` (masked) on the session's
 * timeline. Names starting with `playhead.` are reserved and refused.
 */
export declare function track(name: string, properties?: Record<string, unknown>): void;
/** Sets a property of the session: a custom event `playhead.metadata` `{key, value}`, the value masked. */
export declare function setMetadata(key: string, value: string | number | boolean): void;
/**
 * Calls `callback` with the session ID and the replay URL of the moment for
 * every uncaught error and unhandled rejection Playhead records, so that any
 * error tracker can attach the session. Returns a function that unsubscribes.
 */
export declare function onError(callback: (info: ErrorContext) => void): () => void;
/**
 * Opens the bug report dialog (loading it first: it is not part of the
 * recording bundle). The report goes out with the session at once. Resolves
 * once the dialog is open; does nothing when not recording.
 */
export declare function openReport(): Promise<void>;
/** Sends the buffered events now; resolves once everything queued was sent or given up on. */
export declare function flush(): Promise<void>;
/** Stops recording, restores every patched API, removes the report button and sends what is buffered. */
export declare function stop(): void;
