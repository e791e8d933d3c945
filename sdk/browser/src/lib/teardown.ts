/** Undoes whatever a listener, patch or timer set up. Safe to call twice. */
export type Teardown = () => void;

export const noop: Teardown = () => {};

/** Combines teardowns into one that runs them in reverse order, each guarded. */
export function combine(teardowns: Teardown[]): Teardown {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    for (let i = teardowns.length - 1; i >= 0; i--) {
      try {
        teardowns[i]!();
      } catch {
        // keep tearing down the rest
      }
    }
  };
}
