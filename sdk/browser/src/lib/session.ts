import { randomId } from './random';
import type { Slot } from './storage';

/**
 * How a session is recorded, decided once when it starts: `full`, `buffer`
 * (the last moments kept in memory, uploaded when an error happens or a
 * report is sent; then `full`), or `off` (not sampled: nothing is recorded).
 */
export type Mode = 'full' | 'buffer' | 'off';

/** What is kept in the tab's storage between page loads. */
interface SessionState {
  id: string;
  nextSeq: number;
  lastActivity: number;
  /** Absent in records written before sampling existed: those are `full`. */
  mode?: Mode;
}

export interface Session {
  /** The current session ID. */
  readonly id: string;
  /** How it is recorded. */
  readonly mode: Mode;
  /** Changes how it is recorded (buffer to full) and saves it. */
  setMode(mode: Mode): void;
  /** True when nothing happened for longer than the timeout. */
  expired(now: number): boolean;
  /** Notes activity at `now` (kept in memory; saved by `save`). */
  touch(now: number): void;
  /** Starts a new session: fresh ID, sequence back at 0, a new sampling decision. */
  renew(now: number): void;
  /** Hands out the next batch sequence number and saves it at once. */
  takeSeq(): number;
  /** Writes the state to storage. */
  save(): void;
}

const ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

function parse(raw: string | null): SessionState | undefined {
  if (!raw) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<SessionState> | null;
    if (
      value &&
      typeof value.id === 'string' &&
      ID_PATTERN.test(value.id) &&
      Number.isSafeInteger(value.nextSeq) &&
      (value.nextSeq as number) >= 0 &&
      typeof value.lastActivity === 'number'
    ) {
      return value as SessionState;
    }
  } catch {
    // corrupt: start over
  }
  return undefined;
}

/**
 * Opens the tab's session: continues the stored one unless it has been idle
 * for more than `timeoutMs`, in which case a new one starts, recorded as
 * `decide()` says.
 *
 * Storage is the source of truth for the sequence number, so that a page
 * restored from the back/forward cache, or a second document of the same tab,
 * never reuses a number another page already sent.
 */
export function openSession(slot: Slot, timeoutMs: number, now: number, decide: () => Mode = () => 'full'): Session {
  const fresh = (at: number): SessionState => ({ id: randomId(), nextSeq: 0, lastActivity: at, mode: decide() });
  /** Takes in what another page of the same session wrote meanwhile. */
  const merge = (): void => {
    const other = parse(slot.read());
    if (!other || other.id !== state.id) return;
    state.nextSeq = Math.max(state.nextSeq, other.nextSeq);
    state.lastActivity = Math.max(state.lastActivity, other.lastActivity);
    // another page of the session had an error: it is recorded in full now
    if (other.mode === 'full') state.mode = 'full';
  };
  const save = (): void => {
    merge();
    slot.write(JSON.stringify(state));
  };

  let state = parse(slot.read()) ?? fresh(now);
  if (now - state.lastActivity > timeoutMs) state = fresh(now);
  state.lastActivity = Math.max(state.lastActivity, now);
  save();

  return {
    get id() {
      return state.id;
    },
    get mode() {
      const mode = state.mode;
      return mode === 'buffer' || mode === 'off' ? mode : 'full';
    },
    setMode(mode) {
      state.mode = mode;
      save();
    },
    expired(at) {
      if (at - state.lastActivity <= timeoutMs) return false;
      merge(); // another page of this tab may have been active meanwhile
      return at - state.lastActivity > timeoutMs;
    },
    touch(at) {
      if (at > state.lastActivity) state.lastActivity = at;
    },
    renew(at) {
      state = fresh(at);
      save();
    },
    takeSeq() {
      merge();
      const seq = state.nextSeq++;
      save();
      return seq;
    },
    save,
  };
}
