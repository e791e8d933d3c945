/**
 * Runs `fn` and returns its result, or `undefined` if it threw.
 * The SDK must never throw into the host page.
 */
export function attempt<R>(fn: () => R): R | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

/** Wraps a callback so that an exception inside it is swallowed. */
export function guard<A extends unknown[]>(fn: (...args: A) => unknown): (...args: A) => void {
  return (...args: A) => {
    try {
      fn(...args);
    } catch {
      // deliberately ignored: a recorder bug must not break the page
    }
  };
}
