// The answers the server put in the page to the first API calls of its route
// (server/boot.go): who is logged in and, on a player page, what the player
// asks for first. Each is taken once, by the exact URL the dashboard would
// have fetched; anything else, and anything asked after the first route,
// goes to the network.

export interface BootAnswer {
  body: unknown;
  headers?: Record<string, string>;
}

let answers: Map<string, BootAnswer> | null = null;
/** The page says no one is logged in (no login cookie, or one no longer valid). */
let loggedOut = false;

function all(): Map<string, BootAnswer> {
  if (answers) return answers;
  answers = new Map();
  const el = document.getElementById("playhead-boot");
  if (el) {
    try {
      const v = JSON.parse(el.textContent ?? "") as { answers?: Record<string, BootAnswer>; login?: boolean } | null;
      loggedOut = v?.login === false;
      for (const [url, a] of Object.entries(v?.answers ?? {})) if (a && typeof a === "object" && "body" in a) answers.set(url, a);
    } catch {
      // a page without usable answers: everything is fetched
    }
    el.remove();
  }
  return answers;
}

/** The server's answer for GET `url`, once; undefined when the page holds none. */
export function takeBoot(url: string): BootAnswer | undefined {
  const m = all();
  const a = m.get(url);
  if (a) m.delete(url);
  return a;
}

/** Whether the page says no one is logged in, once: the login form is shown without asking the server. */
export function takeLoggedOut(): boolean {
  all();
  const v = loggedOut;
  loggedOut = false;
  return v;
}

/** Drops the answers not taken: they are of the page's first route, and may be stale after it. */
export function forgetBoot(): void {
  all().clear();
  loggedOut = false;
}
