// The project the dashboard shows. Every API call names it (?project=),
// and so do the links to sessions, so a link opens the right project
// whoever follows it. It comes from the page's ?project=, else the last
// one chosen here, else the server's choice (the user's first project).

import type { Role } from "./types";

const KEY = "playhead.project";

let current: number | null = null;

function parse(v: string | null): number | null {
  if (!v || !/^[1-9][0-9]{0,17}$/.test(v)) return null;
  return Number(v);
}

/** The current project's ID, or null until the server has named one. */
export function currentProject(): number | null {
  const fromUrl = parse(new URLSearchParams(location.search).get("project"));
  if (fromUrl !== null) return fromUrl;
  if (current !== null) return current;
  try {
    return parse(localStorage.getItem(KEY));
  } catch {
    return null;
  }
}

/** Makes id the current project, here and for the next visit. */
export function setProject(id: number): void {
  current = id;
  try {
    localStorage.setItem(KEY, String(id));
  } catch {
    // storage may be off: the URL still carries it
  }
}

/** Forgets the chosen project: the server chooses again. */
export function forgetProject(): void {
  current = null;
  try {
    localStorage.removeItem(KEY);
  } catch {
    // nothing stored
  }
}

/** Adds the current project to an API path or a dashboard link. */
export function withProject(path: string): string {
  const id = currentProject();
  if (id === null || /[?&]project=/.test(path)) return path;
  return path + (path.includes("?") ? "&" : "?") + "project=" + id;
}

/** The player's URL for a session, at a Unix time (ms) when given. */
export function sessionHref(id: string, at?: number): string {
  const q = new URLSearchParams();
  const p = currentProject();
  if (p !== null) q.set("project", String(p));
  if (at) q.set("at", String(Math.round(at)));
  const qs = q.toString();
  return `/sessions/${encodeURIComponent(id)}${qs ? "?" + qs : ""}`;
}

const RANK: Record<Role, number> = { viewer: 1, developer: 2, admin: 3 };

/** Whether role may do what min may (roles are ordered viewer < developer < admin). */
export function atLeast(role: Role | undefined, min: Role): boolean {
  return !!role && (RANK[role] ?? 0) >= RANK[min];
}
