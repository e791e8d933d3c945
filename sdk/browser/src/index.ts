export { init, getSessionId, flush, stop } from './lib/api';
export type { PlayheadOptions } from './lib/types';
