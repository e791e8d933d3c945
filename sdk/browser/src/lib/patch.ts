import { noop, type Teardown } from './teardown';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFunction = (...args: any[]) => any;

/**
 * Replaces the method `name` of `host` with the function `make` builds around
 * the original. The teardown puts the original back; if another script has
 * wrapped ours in the meantime, ours stays in the chain but becomes a plain
 * pass-through, so that script's wrapper keeps working.
 */
export function patchMethod<F extends AnyFunction>(
  host: object,
  name: string,
  make: (original: F) => F,
): Teardown {
  const target = host as Record<string, unknown>;
  const original = target[name];
  if (typeof original !== 'function') return noop;
  const hadOwn = Object.prototype.hasOwnProperty.call(host, name);
  const replacement = make(original as F);
  let enabled = true;
  const wrapper = function (this: unknown, ...args: unknown[]): unknown {
    return (enabled ? replacement : (original as F)).apply(this, args);
  };
  target[name] = wrapper;
  return () => {
    enabled = false;
    if (target[name] !== wrapper) return;
    if (hadOwn) target[name] = original;
    else delete target[name];
  };
}
