import { guard } from './safe';
import type { Teardown } from './teardown';

/** Calls `fn` every `ms` milliseconds until the returned teardown runs. */
export function every(ms: number, fn: () => void): Teardown {
  const id = setInterval(guard(fn), ms);
  return () => clearInterval(id);
}
