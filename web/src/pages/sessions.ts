// The sessions list: newest first, paged with `next`, filtered by a search
// kept in the page's URL (`/?q=…`), so a search is a link.

import { ApiError, api, errorMessage, isUnauthorized } from "../api";
import { copyText } from "../clipboard";
import { h, clear } from "../dom";
import { absolute, clock, count, duration, relative, shortUserAgent, urlPath } from "../format";
import { momentText } from "../moments";
import { atLeast, sessionHref, withProject } from "../project";
import { SearchSuggestions } from "../searchbox";
import { appHeader, installBox } from "../shell";
import type { SavedSearch, Session } from "../types";
import type { Ctx, View } from "../view";

const PAGE = 50;

export function sessionsView(ctx: Ctx): View {
  let next: string | undefined;
  let loading = false;
  // a search asked for while a page is loading runs once that is done
  let reloadAfter = false;
  let destroyed = false;
  let shown = 0;

  const install = installBox(ctx.me, h("h2", null, "Record sessions"));
  install.hidden = true;
  const installToggle = h("button", { class: "btn btn-ghost", type: "button", "aria-expanded": "false" }, "Install snippet");
  installToggle.addEventListener("click", () => {
    install.hidden = !install.hidden;
    installToggle.setAttribute("aria-expanded", String(!install.hidden));
  });
  const refresh = h("button", { class: "btn btn-ghost", type: "button", title: "Reload the list" }, "Refresh");
  const importFile = h("input", { type: "file", accept: ".json,.gz,application/json,application/gzip", hidden: true, "aria-label": "Recording file to import" });
  const importBtn = h(
    "button",
    { class: "btn btn-ghost", type: "button", title: "Import a recording: rrweb events, a Sentry replay's recording segments or a PostHog export (JSON, or gzip)" },
    "Import",
  );
  const importStatus = h("div", { class: "search-error", role: "alert", hidden: true });
  importBtn.addEventListener("click", () => importFile.click());
  importFile.addEventListener("change", async () => {
    const file = importFile.files?.[0];
    importFile.value = "";
    if (!file) return;
    importBtn.disabled = true;
    importStatus.hidden = false;
    importStatus.textContent = `Importing ${file.name}…`;
    try {
      const r = await api.importSession(file);
      ctx.navigate(sessionHref(r.sessionId));
    } catch (err) {
      if (isUnauthorized(err)) return ctx.unauthorized();
      importStatus.textContent = `${file.name} was not imported: ${errorMessage(err)}`;
    } finally {
      importBtn.disabled = false;
    }
  });

  const searchInput = h("input", {
    type: "search",
    name: "q",
    class: "search-input",
    placeholder: "Search: checkout  url:/cart  errors:>0  rage:>0  browser:firefox  -device:mobile",
    "aria-label": "Search sessions",
    spellcheck: "false",
    autocomplete: "off",
  }) as HTMLInputElement;
  searchInput.value = currentQuery();
  const suggestions = new SearchSuggestions(searchInput);
  const searchError = h("div", { class: "search-error", id: "search-error", role: "alert", hidden: true });
  const searchForm = h(
    "form",
    { class: "search", role: "search" },
    h("div", { class: "search-box" }, searchInput, suggestions.list),
    h("button", { class: "btn", type: "submit" }, "Search"),
    h(
      "details",
      { class: "muted search-help" },
      h("summary", null, "Syntax"),
      h(
        "p",
        null,
        "Words match URLs, titles, clicked text, console and error messages, requests and event names. " +
          "Keys: url: title: click: error: console: console.level: request: request.status: request.method: request.failed: event: " +
          "user: browser: os: device: duration: pages: clicks: errors: rage: dead: errorclick: started: " +
          "(numbers take > >= < <= =; started: takes a day or <24h). -key:value negates, OR and parentheses combine, quotes keep spaces, * is a wildcard.",
      ),
    ),
  );
  searchForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (suggestions.tookSuggestion) return;
    suggestions.close();
    const q = searchInput.value.trim();
    // a saved search stays named in the URL while its query is the one searched
    const saved = savedById(currentSaved());
    const url = !q ? searchUrl("") : saved && saved.query === q ? searchUrl(q, saved.id) : searchUrl(q);
    if (location.pathname + location.search !== url) history.pushState(null, "", url);
    void load(true);
  });

  // ---- saved searches: a bar of links (/?saved=ID), and actions on the current search
  let saved: SavedSearch[] = [];
  const savedBar = h("nav", { class: "saved-searches", "aria-label": "Saved searches" });
  const savedStatus = h("span", { class: "muted", role: "status" });
  function savedById(id: number | null): SavedSearch | undefined {
    return id === null ? undefined : saved.find((x) => x.id === id);
  }
  // saved searches are shared with the whole project: developers keep them
  const mayEdit = atLeast(ctx.me.role, "developer");
  function renderSaved(): void {
    clear(savedBar);
    const current = savedById(currentSaved());
    const q = currentQuery();
    const links = saved.map((x) =>
      h("a", { class: `saved-link${current?.id === x.id ? " active" : ""}`, href: withProject(`/?saved=${x.id}`), "data-link": true, title: x.query, "aria-current": current?.id === x.id ? "true" : undefined }, x.name),
    );
    if (links.length) savedBar.append(h("span", { class: "muted" }, "Saved:"), ...links);
    if (current) {
      const copy = h("button", { class: "btn btn-small", type: "button", title: "Copy a link to this saved search" }, "Copy link");
      copy.addEventListener("click", async () => {
        const ok = await copyText(location.origin + withProject(`/?saved=${current.id}`));
        savedStatus.textContent = ok ? "Link copied" : "Copy failed";
      });
      const rename = h("button", { class: "btn btn-small", type: "button" }, "Rename");
      rename.addEventListener("click", () => nameForm("Rename", current.name, async (name) => {
        await api.renameSearch(current.id, name);
        savedStatus.textContent = `Renamed to “${name}”`;
      }));
      const del = h("button", { class: "btn btn-small btn-danger", type: "button" }, "Delete");
      let armed = false;
      del.addEventListener("click", async () => {
        if (!armed) {
          armed = true;
          del.textContent = `Delete “${current.name}”?`;
          return;
        }
        try {
          await api.deleteSearch(current.id);
          history.replaceState(null, "", searchUrl(current.query));
          savedStatus.textContent = `Deleted “${current.name}”`;
          await refreshSaved();
        } catch (err) {
          if (isUnauthorized(err)) return ctx.unauthorized();
          savedStatus.textContent = "Could not delete: " + errorMessage(err);
        }
      });
      savedBar.append(h("span", { class: "saved-actions" }, copy, mayEdit ? [rename, del] : null));
    } else if (q && mayEdit) {
      const save = h("button", { class: "btn btn-small", type: "button", title: "Save this search under a name, for everyone on the project" }, "Save search");
      save.addEventListener("click", () => nameForm("Save", "", async (name) => {
        const r = await api.saveSearch(name, q);
        history.replaceState(null, "", searchUrl(q, r.search.id));
        savedStatus.textContent = `Saved as “${name}”`;
      }));
      savedBar.append(h("span", { class: "saved-actions" }, save));
    }
    savedBar.append(savedStatus);
  }
  /** An inline form asking for a name; `done` stores it. */
  function nameForm(action: string, value: string, done: (name: string) => Promise<void>): void {
    const input = h("input", { type: "text", class: "saved-name", "aria-label": "Name of the saved search", maxlength: "100", value, required: true }) as HTMLInputElement;
    const err = h("span", { class: "search-error", role: "alert" });
    const cancel = h("button", { class: "btn btn-small btn-ghost", type: "button" }, "Cancel");
    const form = h("form", { class: "saved-form" }, input, h("button", { class: "btn btn-small", type: "submit" }, action), cancel, err);
    cancel.addEventListener("click", () => renderSaved());
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        await done(input.value.trim());
        await refreshSaved();
      } catch (e) {
        if (isUnauthorized(e)) return ctx.unauthorized();
        err.textContent = errorMessage(e);
      }
    });
    form.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape") renderSaved();
    });
    clear(savedBar);
    savedBar.append(form);
    input.focus();
    input.select();
  }
  async function refreshSaved(): Promise<void> {
    try {
      saved = (await api.savedSearches()).searches ?? [];
    } catch (err) {
      if (isUnauthorized(err)) return ctx.unauthorized();
      savedStatus.textContent = "Saved searches unavailable: " + errorMessage(err);
    }
    if (!destroyed) renderSaved();
  }

  const tbody = h("tbody");
  const table = h(
    "table",
    { class: "sessions" },
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        h("th", null, "Started"),
        h("th", { class: "num" }, "Duration"),
        h("th", null, "Pages"),
        h("th", null, "Browser"),
        h("th", { class: "num" }, "Clicks"),
        h("th", { class: "num" }, "Errors"),
        h("th", { class: "num" }, "Failed requests"),
        h("th", null, "Frustration"),
      ),
    ),
    tbody,
  );
  const status = h("div", { class: "list-status" });
  const more = h("button", { class: "btn", type: "button", hidden: true }, "Load more");
  const empty = h(
    "div",
    { class: "empty", hidden: true },
    h("h2", null, "No sessions yet"),
    h("p", null, "Add the snippet below to your site. Sessions show up here a few seconds after someone visits a page."),
    installBox(ctx.me),
  );
  const noMatch = h("div", { class: "empty", hidden: true }, h("h2", null, "No sessions match this search"));

  const el = h(
    "div",
    { class: "page" },
    appHeader(ctx, [], [installToggle, atLeast(ctx.me.role, "developer") ? [importBtn, importFile] : null, refresh]),
    h("main", { class: "content" }, install, importStatus, scrubNotice(ctx.me.scrubbed), h("div", { class: "list-head" }, h("h1", null, "Sessions"), h("span", { class: "muted", id: "session-count" })), searchForm, searchError, savedBar, table, empty, noMatch, status, h("div", { class: "more" }, more)),
  );
  const countEl = el.querySelector<HTMLElement>("#session-count")!;

  function row(s: Session, query: string): HTMLTableRowElement[] {
    const matches = Array.isArray(s.matches) ? s.matches.filter((m) => m && typeof m.ts === "number") : [];
    // with a search, the player opens at the first match and can step through the others
    const href = playerUrl(s.id, query, matches[0]?.ts);
    const pages = Array.isArray(s.pages) ? s.pages : [];
    const first = s.firstUrl || pages[0] || "";
    const errBadge = s.errors > 0 ? h("span", { class: "badge badge-error", title: `${s.errors} uncaught error(s)` }, count(s.errors)) : h("span", { class: "muted" }, "0");
    const consoleBadge = s.consoleErrors > 0 ? h("span", { class: "badge badge-warn", title: `${s.consoleErrors} console error(s)` }, `${count(s.consoleErrors)} console`) : null;
    const failed = s.failedRequests > 0 ? h("span", { class: "failed" }, count(s.failedRequests)) : h("span", { class: "muted" }, "0");
    const tr = h(
      "tr",
      { tabindex: "0", "data-id": s.id },
      h("td", null, h("a", { href, "data-link": true, class: "reltime", "data-ts": String(s.startedAt), title: absolute(s.startedAt) }, relative(s.startedAt))),
      h("td", { class: "num" }, duration(s.durationMs)),
      h("td", { class: "pages-cell" }, h("span", null, pages.length === 1 ? "1 page" : `${count(pages.length)} pages`), h("span", { class: "path", title: first }, first ? urlPath(first) : "")),
      h("td", { title: s.userAgent }, browserLabel(s)),
      h("td", { class: "num" }, count(s.clicks)),
      h("td", { class: "num" }, consoleBadge, errBadge),
      h("td", { class: "num" }, failed),
      h("td", { class: "frustration" }, ...frustration(s)),
    );
    tr.addEventListener("click", (ev) => {
      if ((ev.target as Element).closest("a")) return; // the link handles itself
      if (ev.metaKey || ev.ctrlKey) window.open(href, "_blank", "noopener");
      else ctx.navigate(href);
    });
    tr.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter") ctx.navigate(href);
    });
    if (!matches.length) return [tr];
    // why it matched: the moments, each a link into the player at its time
    const why = h(
      "td",
      { colspan: "8", class: "why" },
      h("span", { class: "muted" }, "Matched: "),
      matches.map((m, i) => [
        i ? h("span", { class: "why-sep", "aria-hidden": "true" }, " · ") : null,
        h("a", { href: playerUrl(s.id, query, m.ts), "data-link": true, class: `moment moment-${m.kind}`, "data-ts": String(m.ts) }, momentText(m), " ", h("span", { class: "moment-time" }, clock(m.ts - s.startedAt))),
      ]),
    );
    return [tr, h("tr", { class: "why-row", "data-id": s.id }, why)];
  }

  async function load(reset: boolean): Promise<void> {
    if (loading) {
      reloadAfter ||= reset;
      return;
    }
    loading = true;
    more.disabled = true;
    status.textContent = "Loading…";
    status.classList.remove("error");
    const query = currentQuery();
    if (reset) {
      searchInput.value = query;
      searchError.hidden = true;
      renderSaved();
    }
    try {
      const page = await api.sessions(PAGE, reset ? undefined : next, query || undefined);
      if (destroyed) return;
      if (reset) {
        clear(tbody);
        shown = 0;
      }
      const sessions = Array.isArray(page.sessions) ? page.sessions : [];
      for (const s of sessions) tbody.append(...row(s, query));
      shown += sessions.length;
      next = page.next || undefined;
      more.hidden = !next;
      status.textContent = "";
      const none = shown === 0;
      empty.hidden = !none || query !== "";
      noMatch.hidden = !none || query === "";
      table.hidden = none;
      countEl.textContent = none ? "" : next ? `${count(shown)} shown` : `${count(shown)} total`;
    } catch (err) {
      if (destroyed) return;
      if (isUnauthorized(err)) return ctx.unauthorized();
      if (err instanceof ApiError && err.status === 400 && query) {
        // The server names the token and its position: "q: position 7: …".
        status.textContent = "";
        searchError.textContent = "This search does not parse: " + errorMessage(err).replace(/^q: /, "");
        const pos = /^q: position (\d+):/.exec(errorMessage(err));
        if (pos && document.activeElement !== searchInput) {
          // put the caret where the problem is
          const at = Math.min(Number(pos[1]) - 1, searchInput.value.length);
          searchInput.focus();
          searchInput.setSelectionRange(at, at);
        }
        searchError.hidden = false;
        clear(tbody);
        table.hidden = true;
        more.hidden = true;
        return;
      }
      status.textContent = "Could not load sessions: " + errorMessage(err);
      status.classList.add("error");
    } finally {
      loading = false;
      more.disabled = false;
      if (reloadAfter && !destroyed) {
        reloadAfter = false;
        void load(true);
      }
    }
  }

  more.addEventListener("click", () => void load(false));
  refresh.addEventListener("click", () => void load(true));
  const onPop = () => void load(true);
  window.addEventListener("popstate", onPop);

  const tick = window.setInterval(() => {
    const now = Date.now();
    for (const a of tbody.querySelectorAll<HTMLElement>(".reltime")) {
      a.textContent = relative(Number(a.dataset.ts), now);
    }
  }, 30_000);

  // A link to a saved search (/?saved=ID) runs its query.
  void refreshSaved().then(() => {
    const id = currentSaved();
    if (id === null || currentQuery()) return;
    const x = savedById(id);
    if (x) history.replaceState(null, "", searchUrl(x.query, x.id));
    void load(true).then(() => {
      if (x) return;
      searchError.textContent = `Saved search ${id} does not exist (any more).`;
      searchError.hidden = false;
    });
  });
  if (currentSaved() === null || currentQuery()) void load(true);

  return {
    el,
    title: "Sessions · Playhead",
    destroy() {
      destroyed = true;
      window.clearInterval(tick);
      window.removeEventListener("popstate", onPop);
      suggestions.close();
    },
  };
}

/** The search in the page's URL, `?q=`. */
function currentQuery(): string {
  return new URLSearchParams(location.search).get("q") ?? "";
}

/** The saved search the page's URL names, `?saved=`, or null. */
function currentSaved(): number | null {
  const v = Number(new URLSearchParams(location.search).get("saved") ?? "");
  return Number.isInteger(v) && v > 0 ? v : null;
}

function searchUrl(q: string, saved?: number): string {
  const p = new URLSearchParams();
  if (q) p.set("q", q);
  if (saved !== undefined) p.set("saved", String(saved));
  const qs = p.toString();
  return withProject(qs ? `/?${qs}` : "/");
}

/** The player of session `id`, with the search (to step through its matches) and a moment to open at. */
function playerUrl(id: string, query: string, at?: number): string {
  const p = new URLSearchParams();
  if (query) p.set("q", query);
  if (at !== undefined) p.set("at", String(at));
  const qs = p.toString();
  return withProject(`/sessions/${encodeURIComponent(id)}${qs ? "?" + qs : ""}`);
}

/** "Firefox · Linux", from the server's parse of the user agent when it knew it. */
function browserLabel(s: Session): string {
  const parts = [s.browser, s.os].filter((p) => typeof p === "string" && p !== "");
  return parts.length ? parts.join(" · ") : shortUserAgent(s.userAgent);
}

/** Badges of the session's rage, dead and error clicks. */
function frustration(s: Session): HTMLElement[] {
  const out: HTMLElement[] = [];
  const add = (n: unknown, label: string, title: string) => {
    if (typeof n === "number" && n > 0) out.push(h("span", { class: "badge badge-warn", title: `${n} ${title}` }, `${count(n)} ${label}`));
  };
  add(s.rageClicks, "rage", "rage click(s): 3 or more clicks within 1 s in one place");
  add(s.deadClicks, "dead", "dead click(s): a link or button nothing answered");
  add(s.errorClicks, "error", "error click(s): a JS error within 1 s of a click");
  if (!out.length) out.push(h("span", { class: "muted" }, "–"));
  return out;
}

/** "Server-side scrubbing caught N values the SDK missed (email 3, card 1)", or nothing. */
export function scrubNotice(scrubbed: unknown): HTMLElement | null {
  if (!scrubbed || typeof scrubbed !== "object") return null;
  const kinds = Object.entries(scrubbed as Record<string, unknown>)
    .filter((e): e is [string, number] => typeof e[1] === "number" && Number.isFinite(e[1]) && e[1] > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (!kinds.length) return null;
  const n = kinds.reduce((a, [, v]) => a + v, 0);
  const list = kinds.map(([k, v]) => `${k} ${count(v)}`).join(", ");
  return h(
    "div",
    { class: "scrub-notice", role: "note" },
    h("strong", null, `Server-side scrubbing caught ${count(n)} value${n === 1 ? "" : "s"} the SDK missed`),
    ` (${list}). `,
    h("span", { class: "muted" }, "They were masked before storage. See the privacy docs (docs/PRIVACY.md) to mask them in the SDK too."),
  );
}
