declare const __PLAYHEAD_VERSION__: string | undefined;

/** The SDK's version, injected by the build from package.json. */
export const VERSION: string = typeof __PLAYHEAD_VERSION__ === 'string' ? __PLAYHEAD_VERSION__ : '0.0.0-dev';

/** The `sdk` field of every batch. */
export const SDK_NAME = 'playhead-js/' + VERSION;
