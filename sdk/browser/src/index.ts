export {
  init,
  getSessionId,
  getReplayURL,
  identify,
  track,
  setMetadata,
  onError,
  openReport,
  flush,
  stop,
  consent,
  optOut,
} from './lib/api';
export type { ErrorContext } from './lib/api';
export type { PlayheadOptions, SentryLike, SentryEvent, SentryProcessor } from './lib/types';
