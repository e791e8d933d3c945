/** One string value kept for the life of the tab. */
export interface Slot {
  read(): string | null;
  write(value: string): void;
  remove(): void;
}

/**
 * A slot in sessionStorage (one per tab and origin), or localStorage, under
 * `key`. Falls back to memory when the storage is unavailable or throws
 * (privacy modes, sandboxed frames, quota).
 */
export function storageSlot(key: string, area: 'sessionStorage' | 'localStorage' = 'sessionStorage'): Slot {
  let memory: string | null = null;
  const storage = (): Storage | undefined => {
    try {
      return window[area];
    } catch {
      return undefined;
    }
  };
  return {
    read() {
      try {
        const value = storage()?.getItem(key);
        if (value != null) return value;
      } catch {
        // use memory
      }
      return memory;
    },
    write(value) {
      memory = value;
      try {
        storage()?.setItem(key, value);
      } catch {
        // memory keeps it
      }
    },
    remove() {
      memory = null;
      try {
        storage()?.removeItem(key);
      } catch {
        // nothing to remove
      }
    },
  };
}
