export { init, getSessionId, flush, stop, consent, optOut } from './lib/api';
export type { PlayheadOptions } from './lib/types';
