// Playhead dashboard: a small client-side router over its pages. Every page
// but the login shows one project: its ?project=, or the last one chosen.
//   /login            the login form
//   /                 the sessions list
//   /sessions/{id}    the player (?t=<ms from the session's first event>, ?at=<Unix ms>)
//   /reports          user reports
//   /webhooks         webhooks and their deliveries (developer)
//   /settings         the project's settings and ingest key (developer)
//   /tokens           the project's API tokens (developer)
//   /members          the project's members (admin)
//   /audit            the audit log (admin; owners see every project's)

import { api, ApiError, errorMessage, isUnauthorized } from "./api";
import { forgetBoot, takeLoggedOut } from "./boot";
import { auditView } from "./pages/audit";
import { membersView } from "./pages/members";
import { settingsView } from "./pages/settings";
import { tokensView } from "./pages/tokens";
import { atLeast, currentProject, forgetProject, setProject } from "./project";
import { clear, h } from "./dom";
import { accountView } from "./pages/account";
import { inviteView } from "./pages/invite";
import { usersView } from "./pages/users";
import { loginView } from "./pages/login";
import type { PlayerModule } from "./player-entry";
import { prefetchSession, takePrefetch } from "./player/prefetch";
import { loadScript } from "./scripts";
import { reportsView } from "./pages/reports";
import { sessionsView } from "./pages/sessions";
import { webhooksView } from "./pages/webhooks";
import type { Me, Role } from "./types";
import type { Ctx, View } from "./view";

const app = document.getElementById("app") ?? document.body.appendChild(h("div", { id: "app" }));

let view: View | null = null;
let me: Me | null = null;
let generation = 0;
/** Logged out by this page: the next route shows the login form without asking. */
let signedOut = false;

function mount(v: View): void {
  if (view?.destroy) view.destroy();
  clear(app);
  view = v;
  document.title = v.title;
  app.appendChild(v.el);
}

function navigate(url: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  void route();
}

/** The page to go to after logging in at /login: `?next=` when it is a local path. */
function afterLogin(): string {
  const next = new URLSearchParams(location.search).get("next");
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : "/";
}

function showLogin(): void {
  me = null;
  mount(
    loginView(() => {
      if (location.pathname === "/login") navigate(afterLogin(), { replace: true });
      else void route();
    }),
  );
}

/** Shows another project (null: the server's choice), from the sessions list. */
function switchProject(id: number | null): void {
  me = null;
  if (id === null) {
    forgetProject();
    navigate("/", { replace: true });
    return;
  }
  setProject(id);
  navigate(`/?project=${id}`);
}

const ctx = (m: Me): Ctx => ({
  me: m,
  navigate,
  switchProject,
  refreshMe: () => {
    me = null;
    void route();
  },
  unauthorized: showLogin,
  logout: async () => {
    try {
      await api.logout();
      signedOut = true; // asking who is logged in now would log a 401
    } catch (err) {
      // the cookie may be gone already (a 401): the login form; any other
      // failure may have left the login valid, and the route asks
      if (isUnauthorized(err)) signedOut = true;
    }
    me = null;
    navigate("/login", { replace: true });
  },
});

function messageView(title: string, text: string, retry?: () => void): View {
  return {
    title: `${title} · Playhead`,
    el: h(
      "main",
      { class: "message-page" },
      h("h1", null, title),
      h("p", null, text),
      retry ? h("button", { class: "btn", type: "button", onclick: retry }, "Try again") : h("a", { href: "/", "data-link": true }, "Back to sessions"),
    ),
  };
}

/** The session id of a player URL, or null. */
function playerId(path: string): string | null {
  const m = /^\/sessions\/([^/]+)\/?$/.exec(path);
  if (!m || !m[1]) return null;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}

/** Loads assets/player.js (the player and rrweb), once. */
function loadPlayer(): Promise<PlayerModule> {
  return loadScript("/assets/player.js", () => window.__playheadPlayer);
}

async function route(): Promise<void> {
  const gen = ++generation;
  if (gen > 1) forgetBoot(); // the page's answers are for the route it was loaded at
  const loggedOut = takeLoggedOut() || signedOut;
  signedOut = false;
  const pid = playerId(location.pathname);
  if (pid !== null && !loggedOut) {
    // a player URL: start what the player asks for first, and load the player, while the login is checked
    prefetchSession(pid);
    void loadPlayer().catch(() => {});
  }
  if (location.pathname === "/invite") {
    // Accepting an invitation needs no login: it makes one.
    me = null;
    return mount(inviteView(() => void route()));
  }
  const wanted = currentProject();
  if (me && me.project && wanted !== null && wanted !== me.project.id) me = null; // another project: ask again
  if (!me) {
    if (loggedOut) return showLogin(); // the page says so: asking would log a 401
    try {
      const got = await api.me();
      performance.mark("playhead:open-me");
      if (gen !== generation) return;
      me = got;
    } catch (err) {
      if (gen !== generation) return;
      if (isUnauthorized(err)) return showLogin();
      if (err instanceof ApiError && err.status === 404 && wanted !== null) {
        return mount(messageView("Project not found", "This project does not exist, or you are not a member of it.", () => switchProject(null)));
      }
      return mount(messageView("Server unavailable", errorMessage(err), () => void route()));
    }
  }
  const path = location.pathname;
  if (path === "/login") return navigate(afterLogin(), { replace: true });
  if (!me.project) {
    return mount(messageView("No project yet", "You are not a member of any project yet: ask an owner or an admin of one to add you.", () => void route()));
  }
  setProject(me.project.id);
  const c = ctx(me);
  const only = (min: Role, v: () => View): void =>
    mount(atLeast(me?.role, min) ? v() : messageView("Not allowed", `This page needs the ${min} role in ${me?.project.name ?? "this project"}; yours is ${me?.role ?? "none"}.`));
  if (path === "/" || path === "/sessions" || path === "/sessions/") return mount(sessionsView(c));
  if (path === "/reports" || path === "/reports/") return mount(reportsView(c));
  if (path === "/webhooks" || path === "/webhooks/") return only("developer", () => webhooksView(c));
  if (path === "/settings" || path === "/settings/") return only("developer", () => settingsView(c));
  if (path === "/tokens" || path === "/tokens/") return only("developer", () => tokensView(c));
  if (path === "/members" || path === "/members/") return only("admin", () => membersView(c));
  if (path === "/audit" || path === "/audit/") return only("admin", () => auditView(c));
  if (path === "/account" || path === "/account/") return mount(accountView(c));
  if (path === "/users" || path === "/users/") return me.user.owner ? mount(usersView(c)) : mount(messageView("Not allowed", "Managing accounts takes an owner of this Playhead."));
  const id = playerId(path);
  if (id !== null) {
    let mod: PlayerModule;
    try {
      mod = await loadPlayer();
    } catch (err) {
      if (gen !== generation) return;
      return mount(messageView("Player unavailable", errorMessage(err), () => void route()));
    }
    if (gen !== generation || !me) return;
    return mount(mod.playerView(ctx(me), id, takePrefetch(id)));
  }
  mount(messageView("Not found", `There is no page at ${path}.`));
}

// Same-document links: <a data-link href="/…">.
document.addEventListener("click", (ev) => {
  if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  const a = (ev.target as Element | null)?.closest?.("a[data-link]");
  if (!(a instanceof HTMLAnchorElement) || a.origin !== location.origin) return;
  ev.preventDefault();
  if (a.pathname + a.search !== location.pathname + location.search) navigate(a.pathname + a.search);
});

window.addEventListener("popstate", () => void route());

void route();
