import { guard } from './safe';
import type { Teardown } from './teardown';

/** Adds a guarded event listener and returns the function that removes it. */
export function listen<E extends Event = Event>(
  target: EventTarget,
  type: string,
  handler: (event: E) => void,
  options?: AddEventListenerOptions,
): Teardown {
  const wrapped = guard(handler as (event: Event) => void);
  target.addEventListener(type, wrapped, options);
  return () => target.removeEventListener(type, wrapped, options);
}
