/*! @playhead/browser 0.1.0 | includes rrweb (MIT License) https://github.com/rrweb-io/rrweb */
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

/**
 * Starts recording this page and sending it to the Playhead server.
 * Calling it again while recording does nothing.
 */
export declare function init(options: PlayheadOptions): void;
/** The current session ID, or undefined when not recording. */
export declare function getSessionId(): string | undefined;
/** Sends the buffered events now; resolves once everything queued was sent or given up on. */
export declare function flush(): Promise<void>;
/** Stops recording, restores every patched API and sends what is buffered. */
export declare function stop(): void;
