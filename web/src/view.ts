import type { Me } from "./types";

/** One page of the app. `destroy` releases timers, listeners and the replayer. */
export interface View {
  el: HTMLElement;
  title: string;
  destroy?(): void;
}

/** What a page gets from the app shell. */
export interface Ctx {
  me: Me;
  navigate(url: string, opts?: { replace?: boolean }): void;
  /** Shows another project (null: the user's first). */
  switchProject(id: number | null): void;
  /** Reads who the user is and their projects again (after a change to them), and shows the page anew. */
  refreshMe(): void;
  /** The login ended (a 401 from the API): show the login form in place. */
  unauthorized(): void;
  logout(): void;
}
