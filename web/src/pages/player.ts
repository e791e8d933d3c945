// The session player: the replay, its timeline and controls, and the side panels.
// URL: /sessions/{id}?t=<ms from the session's first event> or ?at=<Unix ms>
//      /sessions/{id}?error=<ts or index> | ?request=<ts> | ?console=<ts>
//      /sessions/{id}?steps=<Unix ms>: the Steps panel, with the steps before that moment
//      &q=<search>: its matches are marked and stepped through (N, P); without
//      a moment to open at, the player opens at the first one.

import type { Replayer } from "@rrweb/replay";
import type { eventWithTime } from "@rrweb/types";
import { api, errorMessage, isUnauthorized } from "../api";
import { copyText } from "../clipboard";
import { clear, h, isTypingTarget } from "../dom";
import { absolute, clock, count, duration, relative, shortUserAgent, urlHost, urlPath } from "../format";
import { momentText } from "../moments";
import { atLeast, withProject } from "../project";
import { appHeader } from "../shell";
import type { Gap, SearchMatch, SessionDetail, TimelineEntry } from "../types";
import type { Ctx, View } from "../view";
import { Checkpoints, FontLog, isFontEvent, loadSerializer } from "../player/checkpoints";
import { Engine, prepareReplayer, type Status } from "../player/engine";
import { realmFonts } from "../player/fonts";
import { MARKER_KINDS, buildEntries, type Entries, type Marker, type MarkerKind } from "../player/entries";
import { Help } from "../player/help";
import { icon } from "../player/icons";
import { Indexer, type Activity } from "../player/indexer";
import { ServerKeyframes } from "../player/keyframes";
import { Inspector } from "../player/inspector";
import { backendMarkers, backendPanel } from "../player/backend";
import { consolePanel, errorsPanel, infoPanel, networkPanel, type LinkKind, type Panel } from "../player/panels";
import { Scrubber, type Band } from "../player/scrubber";
import { exportMenu, shareMenu } from "../player/share";
import { ENTRY_PARAMS, serverKeyframes, type Prefetched } from "../player/prefetch";
import { Stage } from "../player/stage";
import { stepsPanel } from "../player/steps";
import { EventStore } from "../player/store";

/** A read-only hook for automated browser tests and the benchmark. */
export interface PlayheadHook {
  /** The replayer showing the current moment (a new one after every seek). */
  readonly replayer: Replayer;
  ready: boolean;
  /** The rrweb plugins the player's replayers carry (a bare replayer given them replays as the player does). */
  plugins: typeof realmFonts[];
  /** The play head, ms from the session's first event. */
  currentTime(): number;
  /** Moves the play head to `ms` and pauses there; resolves once the replay shows that moment. */
  seek(ms: number): Promise<void>;
  /** For the benchmark: what the player holds. */
  stats(): { status: string; keyframes: number; checkpoints: number; checkpointBytes: number; indexed: boolean; storeEvents: number; receivedBytes: number; lateFonts: number };
}

declare global {
  interface Window {
    __playhead?: PlayheadHook;
  }
}

const SPEEDS = [1, 2, 4, 8];
/** How often, and how long after opening, to ask about assets still being captured. */
const ASSET_WATCH_EVERY_MS = 1500;
const ASSET_WATCH_MS = 10 * 60_000;
const SEEK_STEP = 5000;
const SEEK_STEP_BIG = 30_000;
const PREFS = "playhead.player";

interface Prefs {
  speed: number;
  skipInactive: boolean;
}

function loadPrefs(): Prefs {
  const d: Prefs = { speed: 1, skipInactive: true };
  try {
    const p = JSON.parse(localStorage.getItem(PREFS) ?? "{}") as Partial<Prefs>;
    if (typeof p.speed === "number" && SPEEDS.includes(p.speed)) d.speed = p.speed;
    if (typeof p.skipInactive === "boolean") d.skipInactive = p.skipInactive;
  } catch {
    // no storage: defaults
  }
  return d;
}

function savePrefs(p: Prefs): void {
  try {
    localStorage.setItem(PREFS, JSON.stringify(p));
  } catch {
    // ignore
  }
}

/** A non-negative number from the query string, or null. */
function param(name: string): number | null {
  const raw = new URLSearchParams(location.search).get(name);
  if (raw === null || raw.trim() === "") return null;
  const t = Number(raw);
  return Number.isFinite(t) && t >= 0 ? t : null;
}

function pageUrl(set: Record<string, string>): string {
  const q = new URLSearchParams(location.search);
  for (const k of ["t", "at", ...ENTRY_PARAMS]) q.delete(k);
  for (const [k, v] of Object.entries(set)) q.set(k, v);
  return `${location.origin}${location.pathname}?${q}`;
}

/** Adds the web fonts of timeline entries to the log. */
function addFonts(fonts: FontLog, timeline: TimelineEntry[]): void {
  for (const e of timeline) {
    const f = e?.kind === "font" ? (e.detail as eventWithTime | undefined) : undefined;
    if (f && typeof f.timestamp === "number" && isFontEvent(f)) fonts.add(f);
  }
}

/** The moment (Unix ms) a deep link to an entry names, from the timeline alone. */
function entryMoment(timeline: TimelineEntry[], kind: LinkKind, key: number): number | null {
  const want = kind === "request" ? "request" : kind;
  const list = timeline.filter((e) => e && e.kind === want && typeof e.ts === "number").sort((a, b) => a.ts - b.ts);
  const hit = list.find((e) => e.ts === key);
  if (hit) return hit.ts;
  if (Number.isInteger(key) && key < list.length && key < 1e9) return list[key]!.ts;
  return null;
}

const nextFrame = () => new Promise<void>((r) => requestAnimationFrame(() => setTimeout(r, 0)));

/** The player for session `id`; `pre`: its first requests, already started (see prefetch.ts). */
export function playerView(ctx: Ctx, id: string, pre: Prefetched | null = null): View {
  performance.mark("playhead:open-view");
  const prefs = loadPrefs();
  const abort = new AbortController();
  const cleanups: (() => void)[] = [];
  let destroyed = false;
  // opened from a search: its matches in this session, asked for at once
  const query = new URLSearchParams(location.search).get("q") ?? "";
  const matchesLoading: Promise<SearchMatch[]> = query
    ? api.matches(id, query, abort.signal).then(
        (r) => (Array.isArray(r.matches) ? r.matches.filter((m) => m && typeof m.ts === "number") : []),
        (err: unknown) => {
          if (!abort.signal.aborted) console.warn("playhead: search matches not loaded:", errorMessage(err));
          return [];
        },
      )
    : Promise.resolve([]);

  // ---- layout -------------------------------------------------------------
  const stage = new Stage();
  cleanups.push(() => stage.destroy());
  stage.message("Loading session…");
  prepareReplayer(stage.root); // its iframe, while the first requests are on their way

  const title = h("span", { class: "player-title" }, h("code", null, id));
  // Only admins may erase; the server refuses anyone else regardless.
  const eraseBtn = atLeast(ctx.me.role, "admin") ? h("button", { class: "btn btn-danger", type: "button", title: "Erase this session for good" }, "Erase") : null;
  const copyLink = h("button", { class: "btn", type: "button", disabled: true, title: "Copy a link that opens the replay at the current moment" }, icon("link"), "Copy link at this moment");

  const playBtn = h("button", { class: "btn-icon play", type: "button", disabled: true, title: "Play (Space)", "aria-label": "Play" }, icon("play", 18));
  const backBtn = h("button", { class: "btn-icon", type: "button", disabled: true, title: "Back 5 s (←)", "aria-label": "Back 5 seconds" }, icon("back5", 16));
  const fwdBtn = h("button", { class: "btn-icon", type: "button", disabled: true, title: "Forward 5 s (→)", "aria-label": "Forward 5 seconds" }, icon("fwd5", 16));
  const prevErr = h("button", { class: "btn-icon", type: "button", disabled: true, title: "Previous error ([)", "aria-label": "Previous error" }, icon("prevErr", 16));
  const nextErr = h("button", { class: "btn-icon", type: "button", disabled: true, title: "Next error (])", "aria-label": "Next error" }, icon("nextErr", 16));
  const prevMatch = h("button", { class: "btn btn-small", type: "button", disabled: true, title: "Previous search match (P)", "aria-label": "Previous search match" }, "‹ Match");
  const nextMatch = h("button", { class: "btn btn-small", type: "button", disabled: true, title: "Next search match (N)", "aria-label": "Next search match" }, "Match ›");
  const matchStatus = h("span", { class: "match-status", "aria-live": "polite" }, "Finding matches…");
  const searchBar = query
    ? h(
        "div",
        { class: "match-bar", role: "group", "aria-label": "Search matches" },
        h("span", { class: "muted" }, "Search: "),
        h("a", { href: withProject(`/?q=${encodeURIComponent(query)}`), "data-link": true, class: "match-query" }, query),
        prevMatch,
        matchStatus,
        nextMatch,
      )
    : null;
  const timeNow = h("span", { class: "time-now" }, "0:00");
  const timeTotal = h("span", { class: "time-total" }, "0:00");
  const speedBtns = SPEEDS.map((s) => h("button", { class: "seg", type: "button", "data-speed": String(s), "aria-pressed": String(s === prefs.speed), title: `Play at ${s}× speed (${s})` }, `${s}×`));
  const skipBox = h("input", { type: "checkbox" });
  skipBox.checked = prefs.skipInactive;
  const inspectBtn = h("button", { class: "btn btn-small", type: "button", disabled: true, "aria-pressed": "false", title: "Pick an element in the replay to inspect it (I)" }, icon("inspect", 14), "Inspect");
  const helpBtn = h("button", { class: "btn-icon help-btn", type: "button", title: "Keyboard shortcuts (?)", "aria-label": "Keyboard shortcuts" }, "?");
  const statusText = h("span", { class: "status-text", "aria-live": "polite" });
  const legend = h("div", { class: "legend" });
  const scrubberSlot = h("div", { class: "scrubber-placeholder" });
  const timelineBox = h("div", { class: "timeline-box" }, legend, scrubberSlot);
  const controls = h(
    "div",
    { class: "controls" },
    prevErr,
    backBtn,
    playBtn,
    fwdBtn,
    nextErr,
    h("span", { class: "time" }, timeNow, h("span", { class: "time-sep" }, " / "), timeTotal),
    h("div", { class: "segmented", role: "group", "aria-label": "Speed" }, speedBtns),
    h("label", { class: "check", title: "Fast-forward through periods without user activity" }, skipBox, "Skip inactivity"),
    statusText,
    inspectBtn,
    helpBtn,
  );

  const tabsNav = h("div", { class: "tabs", role: "tablist" });
  const panelsBox = h("div", { class: "panels" });
  const side = h("aside", { class: "side" }, tabsNav, panelsBox);
  const help = new Help();

  const el = h(
    "div",
    { class: "page player-page" },
    appHeader(ctx),
    // the session's own bar: the dashboard's header keeps its links on one line however many actions a session has
    h(
      "div",
      { class: "player-bar" },
      h("a", { class: "back", href: withProject(query ? `/?q=${encodeURIComponent(query)}` : "/"), "data-link": true }, "← Sessions"),
      title,
      h(
        "div",
        { class: "player-actions" },
        copyLink,
        exportMenu(id),
        atLeast(ctx.me.role, "developer") ? shareMenu(id, () => startTs + now(), () => now()) : null,
        eraseBtn,
      ),
    ),
    h("div", { class: "player-main" }, h("div", { class: "player-left" }, stage.el, timelineBox, searchBar, controls), side),
    help.el,
  );

  // ---- tabs -----------------------------------------------------------------
  const TABS: [string, string][] = [
    ["steps", "Steps"],
    ["console", "Console"],
    ["network", "Network"],
    ["errors", "Errors"],
    ["backend", "Backend"],
    ["elements", "Elements"],
    ["info", "Info"],
  ];
  const panels = new Map<string, Panel>();
  const tabBtns = new Map<string, HTMLButtonElement>();
  const slots = new Map<string, HTMLElement>();
  let activeTab = "console";
  let panelsAt = -1; // the time the panels were last asked to show
  let panelsQueued = false;
  let seeking = 0; // seeks under way
  let holdPanels = false; // a seek's frame is being drawn
  for (const [tid, name] of TABS) {
    const btn = h("button", { class: "tab", type: "button", role: "tab", "data-tab": tid, "aria-selected": "false" }, name);
    btn.addEventListener("click", () => showTab(tid));
    tabBtns.set(tid, btn);
    tabsNav.appendChild(btn);
    const slot = h("div", { class: "panel-slot", "data-slot": tid, role: "tabpanel", hidden: true }, h("div", { class: "list-empty" }, "Loading…"));
    slots.set(tid, slot);
    panelsBox.appendChild(slot);
  }
  function setPanel(p: Panel): void {
    panels.set(p.id, p);
    const slot = slots.get(p.id)!;
    clear(slot);
    slot.appendChild(p.el);
    const btn = tabBtns.get(p.id)!;
    clear(btn);
    btn.append(p.title, p.badge ? h("span", { class: `tab-badge${p.alert ? " alert" : ""}` }, p.badge) : "");
    if (p.id === activeTab) p.shown();
  }
  function showTab(tid: string): void {
    activeTab = tid;
    for (const [k, b] of tabBtns) b.setAttribute("aria-selected", String(k === tid));
    for (const [k, s] of slots) s.hidden = k !== tid;
    inspector.visible = tid === "elements";
    const p = panels.get(tid);
    if (p && panelsAt >= 0) p.update(panelsAt);
    p?.shown();
  }

  // ---- playback state -------------------------------------------------------
  let engine: Engine | null = null;
  let total = 0;
  /** The session's first event (Unix ms), once loaded. */
  let startTs = 0;
  let raf = 0;
  let scrubber: Scrubber | null = null;
  let entries: Entries | null = null;
  let keepEntryParam = true; // the deep link stays in the URL until the play head moves
  let lastSeekAt = 0; // performance.now() of the last seek
  const now = (): number => (engine ? Math.min(total, engine.now()) : 0);
  const isPlaying = (): boolean => engine?.status === "playing" || engine?.status === "buffering";

  const inspector = new Inspector(stage.el, {
    iframe: () => engine?.replayer?.iframe ?? null,
    idOf: (n) => engine?.replayer?.getMirror().getId(n) ?? -1,
    nodeOf: (nid) => engine?.replayer?.getMirror().getNode(nid) ?? null,
    paused: () => !!engine && !isPlaying() && engine.status !== "loading",
    pause: () => pause(),
  });
  stage.el.appendChild(inspector.layer);
  inspector.onPickChange = (on) => {
    inspectBtn.setAttribute("aria-pressed", String(on));
    inspectBtn.classList.toggle("active", on);
    el.classList.toggle("is-picking", on);
  };
  const elementsPanel: Panel = {
    id: "elements",
    title: "Elements",
    badge: "",
    alert: false,
    el: inspector.panel,
    update: () => {},
    shown: () => inspector.shown(),
  };
  setPanel(elementsPanel);
  showTab(activeTab);
  const stageRo = new ResizeObserver(() => inspector.relayout());
  stageRo.observe(stage.el);
  cleanups.push(() => stageRo.disconnect());

  /**
   * Shows the play head `t`: the clock and timeline now, the visible panel on
   * the next frame, or, while a seek is loading, once its replayed frame is
   * drawn (a panel following a jump lays out and paints a new stretch of its
   * list: the replay comes first).
   */
  function render(t: number): void {
    timeNow.textContent = clock(t);
    scrubber?.setTime(t);
    panelsAt = t;
    if (panelsQueued) return;
    panelsQueued = true;
    requestAnimationFrame(() => {
      panelsQueued = false;
      if (!destroyed && !seeking && !holdPanels) panels.get(activeTab)?.update(panelsAt);
    });
  }

  function setPlayingUi(): void {
    const on = isPlaying();
    clear(playBtn);
    playBtn.appendChild(icon(on ? "pause" : "play", 18));
    playBtn.title = on ? "Pause (Space)" : "Play (Space)";
    playBtn.setAttribute("aria-label", on ? "Pause" : "Play");
    el.classList.toggle("is-playing", on);
  }

  function onStatus(st: Status): void {
    setPlayingUi();
    stage.setBadge(st === "loading" ? "Loading…" : st === "buffering" ? "Loading more…" : null);
    if (st === "playing") {
      if (inspector.isPicking) inspector.setPicking(false);
      loop();
    }
    if (st === "paused" || st === "ended") {
      const t = now();
      render(t);
      writeUrl(t);
    }
    inspector.refresh();
  }

  function loop(): void {
    cancelAnimationFrame(raf);
    let lastTick = 0;
    const step = (ts: number) => {
      if (destroyed || !engine || !isPlaying()) return;
      render(now());
      if (ts - lastTick > 250) {
        lastTick = ts;
        engine.tick();
      }
      raf = requestAnimationFrame(step);
    };
    raf = requestAnimationFrame(step);
  }

  let urlTimer = 0;
  /** Writes `t` into the URL (a moment later: replaceState is slow, and seeks come in bursts). */
  function writeUrl(t: number): void {
    if (destroyed) return;
    window.clearTimeout(urlTimer);
    urlTimer = window.setTimeout(() => {
      if (destroyed) return;
      const q = new URLSearchParams(location.search);
      if (!keepEntryParam) for (const k of ENTRY_PARAMS) q.delete(k);
      q.delete("at");
      q.set("t", String(Math.round(t)));
      history.replaceState(history.state, "", `${location.pathname}?${q}${location.hash}`);
    }, 250);
  }

  function fail(err: unknown): void {
    if (destroyed) return;
    if (isUnauthorized(err)) return ctx.unauthorized();
    stage.message("Could not load the replay: " + errorMessage(err), "error");
  }

  /** Moves the play head; keeps playing when playing unless `pause`. */
  function seek(t: number, pause = false): Promise<void> {
    if (!engine) return Promise.resolve();
    lastSeekAt = performance.now();
    keepEntryParam = false;
    t = Math.min(total, Math.max(0, t));
    const play = isPlaying() && !pause;
    render(t);
    seeking++;
    const done = () => {
      if (--seeking) return;
      // the panels on the frame after the one the seek built
      holdPanels = true;
      requestAnimationFrame(() => {
        holdPanels = false;
        render(now());
      });
    };
    return engine.seek(t, play).then(
      () => {
        if (!isPlaying()) {
          render(now());
          writeUrl(now());
        }
        done();
        inspector.refresh();
      },
      (err) => {
        done();
        fail(err);
      },
    );
  }

  function play(): void {
    if (!engine || isPlaying()) return;
    keepEntryParam = false;
    void engine.play().catch(fail);
  }

  function pause(): void {
    engine?.pause();
  }

  const toggle = () => (isPlaying() ? pause() : play());

  /** The previous (dir −1) or next (dir 1) error moment from the play head. */
  function stepProblem(dir: -1 | 1): void {
    const list = entries?.problems ?? [];
    if (!list.length) return;
    const t = now();
    let target: number | undefined;
    if (dir > 0) target = list.find((p) => p > t + 1);
    else for (const p of list) if (p < t - 1) target = p;
    if (target === undefined) return;
    void seek(target, true);
    const m = entries?.markers.find((mk) => mk.t === target && (mk.kind === "error" || mk.kind === "console-error" || mk.kind === "request-failed"));
    if (m) {
      const tab = m.kind === "error" ? "errors" : m.kind === "request-failed" ? "network" : "console";
      showTab(tab);
    }
  }

  /** The search's matches, as offsets from the session's first event. */
  let matchTimes: number[] = [];
  let matchList: SearchMatch[] = [];

  function showMatch(i: number): void {
    const m = matchList[i];
    matchStatus.textContent = m ? `Match ${i + 1} of ${matchList.length}: ${momentText(m)}` : "";
  }

  /** The previous (dir −1) or next (dir 1) match from the play head. */
  function stepMatch(dir: -1 | 1): void {
    if (!matchTimes.length) return;
    const t = now();
    let i = -1;
    if (dir > 0) i = matchTimes.findIndex((m) => m > t + 1);
    else for (let k = 0; k < matchTimes.length; k++) if (matchTimes[k]! < t - 1) i = k;
    if (i < 0) return;
    showMatch(i);
    void seek(matchTimes[i]!, true);
  }

  function setSpeed(s: number): void {
    prefs.speed = s;
    savePrefs(prefs);
    for (const o of speedBtns) o.setAttribute("aria-pressed", String(Number(o.dataset.speed) === s));
    engine?.setSpeed(s);
  }

  function togglePick(): void {
    if (!engine?.replayer) return;
    showTab("elements");
    inspector.setPicking(!inspector.isPicking);
  }

  // ---- wiring -----------------------------------------------------------------
  playBtn.addEventListener("click", toggle);
  backBtn.addEventListener("click", () => void seek(now() - SEEK_STEP));
  fwdBtn.addEventListener("click", () => void seek(now() + SEEK_STEP));
  prevMatch.addEventListener("click", () => stepMatch(-1));
  nextMatch.addEventListener("click", () => stepMatch(1));
  prevErr.addEventListener("click", () => stepProblem(-1));
  nextErr.addEventListener("click", () => stepProblem(1));
  inspectBtn.addEventListener("click", togglePick);
  helpBtn.addEventListener("click", () => help.toggle());
  stage.el.addEventListener("click", () => {
    if (engine && !inspector.isPicking) toggle();
  });
  for (const b of speedBtns) b.addEventListener("click", () => setSpeed(Number(b.dataset.speed)));
  skipBox.addEventListener("change", () => {
    prefs.skipInactive = skipBox.checked;
    savePrefs(prefs);
    engine?.setSkipInactive(prefs.skipInactive);
  });
  eraseBtn?.addEventListener("click", async () => {
    if (!confirm("Erase this session? Its recording, timeline and backend records are deleted for good.")) return;
    try {
      await api.eraseSession(id);
      ctx.navigate("/");
    } catch (err) {
      if (isUnauthorized(err)) return ctx.unauthorized();
      alert("Could not erase the session: " + errorMessage(err));
    }
  });
  copyLink.addEventListener("click", async () => {
    const t = now();
    const ok = await copyText(pageUrl({ t: String(Math.round(t)) }));
    const label = copyLink.lastChild;
    if (label) label.textContent = ok ? `Copied link at ${clock(t)}` : "Copy failed";
    window.setTimeout(() => {
      if (label) label.textContent = "Copy link at this moment";
    }, 1800);
  });

  const onKey = (ev: KeyboardEvent) => {
    if (ev.altKey || ev.ctrlKey || ev.metaKey || isTypingTarget(ev.target)) return;
    if (ev.key === "Escape") {
      if (help.open) help.hide();
      else if (inspector.isPicking) inspector.setPicking(false);
      return;
    }
    if (ev.key === "?") {
      ev.preventDefault();
      help.toggle();
      return;
    }
    if (help.open || !engine) return;
    const key = ev.key;
    if (key === " " || ev.code === "Space") {
      ev.preventDefault();
      // a focused button would also "click" on key-up
      if (document.activeElement instanceof HTMLElement && document.activeElement !== document.body) document.activeElement.blur();
      toggle();
    } else if (key === "ArrowLeft" || key === "ArrowRight") {
      ev.preventDefault();
      const step = ev.shiftKey ? SEEK_STEP_BIG : SEEK_STEP;
      void seek(now() + (key === "ArrowLeft" ? -step : step));
    } else if (key === "[" || key === "]") {
      ev.preventDefault();
      stepProblem(key === "[" ? -1 : 1);
    } else if (key === "n" || key === "N" || key === "p" || key === "P") {
      ev.preventDefault();
      stepMatch(key === "p" || key === "P" ? -1 : 1);
    } else if (key === "Home" || key === "End") {
      ev.preventDefault();
      void seek(key === "Home" ? 0 : total);
    } else if (["1", "2", "4", "8"].includes(key)) {
      setSpeed(Number(key));
    } else if (key === "i" || key === "I") {
      togglePick();
    }
  };
  document.addEventListener("keydown", onKey);
  cleanups.push(() => document.removeEventListener("keydown", onKey));

  // ---- loading ------------------------------------------------------------------
  async function start(): Promise<void> {
    /** What waits for the first frame (see showPanels). */
    const whenShown: (() => void)[] = [];
    let detail: SessionDetail;
    const listingKeyframes = pre?.keyframes ?? serverKeyframes(id);
    try {
      detail = await (pre?.detail ?? api.session(id));
    } catch (err) {
      if (destroyed) return;
      if (isUnauthorized(err)) return ctx.unauthorized();
      const missing = (err as { status?: number }).status === 404;
      stage.message(missing ? "This session does not exist (or was deleted)." : "Could not load the session: " + errorMessage(err), "error");
      return;
    }
    if (destroyed) return;
    performance.mark("playhead:open-detail");
    const s = detail.session;
    let timeline = Array.isArray(detail.timeline) ? detail.timeline : [];
    /** The whole manifest, when the player opened with the partial one. */
    const wholeManifest = async (): Promise<void> => {
      if (!detail.partial) return;
      try {
        const whole = await api.session(id);
        detail = whole;
        timeline = Array.isArray(whole.timeline) ? whole.timeline : [];
        addFonts(fonts, timeline); // beyond the partial manifest's bound, if any
      } catch (err) {
        if (!destroyed) console.warn("playhead: the session's timeline not loaded:", errorMessage(err));
      }
    };
    const first = s.firstUrl || (Array.isArray(s.pages) ? s.pages[0] : "") || "";
    clear(title);
    const startedEl = h("span", { class: "muted" }, relative(s.startedAt));
    title.append(
      h("span", { class: "player-path", title: first }, first ? urlPath(first) : id),
      h("span", { class: "muted" }, ` · ${shortUserAgent(s.userAgent)} · `),
      startedEl,
    );
    // its exact time as a tooltip, once the first frame is out (the first
    // date a page formats costs tens of milliseconds of locale data)
    whenShown.push(() => (startedEl.title = absolute(s.startedAt)));
    document.title = `${first ? urlPath(first) : id} · Session · Playhead`;
    timeTotal.textContent = clock(s.durationMs);
    const eventsHref = api.eventsUrl(id);

    const store = new EventStore(id, Array.isArray(detail.batches) ? detail.batches : [], { signal: abort.signal });
    const seeded = pre?.first ? await pre.first : null;
    if (seeded) store.seed(0, 0, seeded.events, seeded.pendingAssets);
    performance.mark("playhead:open-first");
    const checkpoints = new Checkpoints();
    const fonts = new FontLog();
    const keyframeTimes = await listingKeyframes;
    if (destroyed) return;
    performance.mark("playhead:open-keyframes");
    // With server keyframes every moment is near one, for the first viewer as
    // for the next: the player makes no checkpoints of its own.
    const keyframes = keyframeTimes.length ? new ServerKeyframes(id, keyframeTimes, abort.signal) : null;
    for (const ts of keyframeTimes) checkpoints.addServer(ts, store.posAt(ts));
    // the web fonts the page added, whichever segment is shown first (see FontLog)
    addFonts(fonts, timeline);
    store.batches.forEach((b, pos) => {
      if (typeof b.keyframeTs === "number") checkpoints.addKeyframe(b.keyframeTs, pos);
    });
    // Checkpoints an earlier viewer's player made and stored: with them a
    // seek anywhere is fast before this player has indexed anything.
    const posOfSeq = new Map(store.batches.map((b, pos) => [b.seq, pos] as [number, number]));
    let loadedCheckpoints = 0;
    const loadingCheckpoints = keyframes
      ? Promise.resolve()
      : api
          .checkpoints(id)
          .then((stored) => {
            if (!destroyed) loadedCheckpoints = checkpoints.addStored(stored, posOfSeq, store.batches.length);
          })
          .catch((err: unknown) => console.warn("playhead: stored checkpoints not loaded:", errorMessage(err)));
    if (!store.size) {
      setPanel(infoPanel(s, id, null, eventsHref, (t) => void seek(t, true)));
      stage.message("This session has no recorded events yet.", "error");
      return;
    }
    const startTime = store.startTs;
    startTs = startTime;
    total = store.endTs - startTime;
    timeTotal.textContent = clock(total);

    // where to open: an entry's moment, ?t=, or the start (and play)
    let linked: { kind: LinkKind; key: number } | null = null;
    let openAt: number | null = null;
    for (const kind of ENTRY_PARAMS) {
      const key = param(kind);
      if (key === null) continue;
      const ts = entryMoment(timeline, kind, key);
      if (ts !== null) {
        linked = { kind, key };
        openAt = ts - startTime;
        break;
      }
    }
    if (openAt === null) openAt = param("t");
    if (openAt === null) {
      // ?at=<Unix ms>: an absolute moment (Playhead.getReplayURL())
      const at = param("at");
      if (at !== null) openAt = Math.min(Math.max(0, at - startTime), Math.max(0, total));
    }
    if (query) {
      const found = await matchesLoading;
      if (destroyed) return;
      matchList = found.slice().sort((a, b) => a.ts - b.ts);
      matchTimes = matchList.map((m) => Math.min(Math.max(0, m.ts - startTime), Math.max(0, total)));
      prevMatch.disabled = nextMatch.disabled = !matchTimes.length;
      matchStatus.textContent = matchTimes.length ? `${count(matchTimes.length)} match${matchTimes.length === 1 ? "" : "es"}` : "No moment of this session matches the search";
      // a search without a moment to open at opens at its first match
      if (openAt === null && matchTimes.length) openAt = matchTimes[0]!;
      if (openAt !== null) {
        const at = matchTimes.indexOf(openAt);
        if (at >= 0) showMatch(at);
      }
    }
    keepEntryParam = linked !== null;

    /** Builds the panels, the timeline and its legend from the manifest and the timeline. */
    function showPanels(): { sc: Scrubber; indexStatus: HTMLElement; legendCount: Map<MarkerKind, HTMLElement> } {
      entries = buildEntries(timeline, startTime);
      const ents = entries;
      prevErr.disabled = nextErr.disabled = !ents.problems.length;
      const pctx = {
        seek: (t: number) => void seek(t, true),
        link: (kind: LinkKind, ts: number) => pageUrl({ [kind]: String(ts) }),
      };
      const indexStatus = h("span", null, "Preparing fast seeking…");
      const stepsAround = param("steps");
      setPanel(stepsPanel(id, startTime, (t) => void seek(t, true), stepsAround));
      setPanel(consolePanel(ents.console, pctx));
      setPanel(networkPanel(ents.network, total, urlHost(first), pctx));
      setPanel(errorsPanel(ents.errors, pctx));
      setPanel(backendPanel(detail.backend, ents.network, startTime, pctx));
      const bm = backendMarkers(detail.backend ?? [], startTime);
      if (bm.length) {
        ents.markers.push(...bm);
        for (const m of bm) ents.problems.push(m.t);
        ents.problems.sort((a, b) => a - b);
        prevErr.disabled = nextErr.disabled = false;
      }
      setPanel(infoPanel(s, id, ents, eventsHref, (t) => void seek(t, true), indexStatus));
      if (linked) {
        const tab = linked.kind === "error" ? "errors" : linked.kind === "request" ? "network" : "console";
        showTab(tab);
        panels.get(tab)?.select?.(linked.key);
      } else if (stepsAround !== null) showTab("steps");
      else if (ents.errors.length && !ents.console.length) showTab("errors");

      ents.markers.push(...matchList.map((m, i) => ({ t: matchTimes[i]!, kind: "match" as const, label: `Match: ${momentText(m)}` })));
      const counts = new Map<MarkerKind, number>();
      for (const m of ents.markers) counts.set(m.kind, (counts.get(m.kind) ?? 0) + 1);
      const legendCount = new Map<MarkerKind, HTMLElement>();
      clear(legend);
      for (const { kind, name } of MARKER_KINDS) {
        if (kind === "match" && !query) continue;
        const c = h("span", null, count(counts.get(kind) ?? 0));
        legendCount.set(kind, c);
        legend.appendChild(h("span", { class: "legend-item", "data-kind": kind, title: kind === "input" ? "Inputs appear while the session is indexed" : name }, h("span", { class: "dot", "data-kind": kind }), `${name} `, c));
      }
      const sc = new Scrubber(total, ents.markers, (t) => void seek(t));
      scrubber = sc;
      cleanups.push(() => sc.destroy());
      scrubberSlot.replaceWith(sc.el);
      const offsets: number[] = [];
      for (const b of store.batches) {
        // the manifest knows each batch's event count and time range: spread them
        const n = Math.min(b.events, 200);
        for (let i = 0; i < n; i++) offsets.push(b.firstTs - startTime + ((b.lastTs - b.firstTs) * (i + 0.5)) / n);
      }
      sc.setDensity(Float64Array.from(offsets));
      sc.setGaps(gapBands(detail, store, startTime));
      render(now());
      for (const f of whenShown.splice(0)) f();
      return { sc, indexStatus, legendCount };
    }

    if (!checkpoints.all.length) {
      // nothing to replay, but what the session logged is worth reading
      stage.message("This session has no full snapshot to replay from: its timeline and panels are below.", "error");
      await wholeManifest();
      if (destroyed) return;
      showPanels().indexStatus.textContent = "Nothing to index";
      return;
    }

    performance.mark("playhead:open-engine");
    const eng = new Engine({
      root: stage.root,
      store,
      checkpoints,
      keyframes,
      fonts,
      speed: prefs.speed,
      skipInactive: prefs.skipInactive,
      onStatus,
      onResize: (w, hh) => stage.setSize(w, hh),
      onSkip: (on) => stage.setBadge(on ? "Skipping inactivity…" : null),
      onReplayer: () => {},
      onError: fail,
    });
    engine = eng;
    cleanups.push(() => eng.destroy());

    // 1. the first frame, before anything else (a link to a later moment
    // waits for the stored checkpoints, which spare replaying up to it)
    if (openAt !== null && openAt > 0) await loadingCheckpoints;
    if (destroyed) return;
    try {
      stage.message("Loading the replay…");
      await eng.seek(openAt ?? 0, openAt === null);
    } catch (err) {
      return fail(err);
    }
    if (destroyed) return;
    stage.message(null);
    render(now());
    performance.mark("playhead:first-frame");
    for (const b of [playBtn, backBtn, fwdBtn, copyLink, inspectBtn]) b.disabled = false;

    // 2. timeline and panels, once the first frame is on screen
    await Promise.all([nextFrame(), wholeManifest()]);
    if (destroyed) return;
    const { sc, indexStatus, legendCount } = showPanels();


    // 3. index the session in the background: activity for the timeline, and
    // checkpoints for fast seeks when the server built no keyframes
    if (!keyframes) {
      try {
        await loadSerializer();
      } catch (err) {
        console.warn("playhead: no checkpoints:", errorMessage(err));
      }
    }
    if (destroyed) return;
    const host = h("div", { class: "indexer-host", "aria-hidden": "true" });
    el.appendChild(host); // after the stage: the replay iframe stays the first iframe of the page
    let inputsShown = 0;
    let bandsShown = 0;
    let savingCheckpoints = false;
    let checkpointsSaved = false;
    const newIndexer = (): Indexer => new Indexer(store, checkpoints, host, {
      progress: (a: Activity) => {
        const pct = total > 0 ? Math.min(100, Math.round(((a.until - startTime) / total) * 100)) : 100;
        const done = ix.done || pct >= 100;
        // every server keyframe again once the session is indexed anew (see the assets watch)
        if (ix.complete && keyframes && !keyframes.prefetched) void keyframes.prefetch(() => eng.status === "loading");
        statusText.textContent = done ? "" : `Indexing ${pct}%`;
        statusText.title = keyframes ? "Reading the session's activity for the timeline" : "Making checkpoints so that seeking anywhere is fast";
        const made = keyframes ? `${count(keyframes.times.length)} server keyframes` : `${count(checkpoints.syntheticCount)} checkpoints`;
        indexStatus.textContent = `${done ? "Indexed" : `Indexing (${pct}%)`} · ${made} · ${count(store.eventCount)} events in memory`;
        // Checkpoints made from events that still point at the placeholder for
        // an asset being captured are for this viewing only, never stored for
        // the next viewers (see the assets watch below).
        if (ix.complete && !loadedCheckpoints && !savingCheckpoints && store.pendingAssets === 0 && checkpoints.syntheticCount > 0) {
          // the first to index this session: store the checkpoints for the next viewers
          savingCheckpoints = true;
          const body = checkpoints.toStored((pos) => store.batches[pos]!.seq, store.batches.length);
          void loadingCheckpoints
            .then(() => api.putCheckpoints(id, body))
            .then(() => (checkpointsSaved = true))
            .catch((err: unknown) => console.warn("playhead: checkpoints not stored:", errorMessage(err)));
        }
        if (a.inputs.length !== inputsShown) {
          inputsShown = a.inputs.length;
          const ms: Marker[] = a.inputs.map((ts) => ({ t: ts - startTime, kind: "input", label: "Input" }));
          sc.setMarkers("input", ms);
          legendCount.get("input")!.textContent = count(ms.length);
        }
        if (a.inactive.length !== bandsShown) {
          bandsShown = a.inactive.length;
          sc.setInactive(a.inactive.map(([f, t]) => ({ from: f - startTime, to: t - startTime, label: "" })));
        }
      },
      evict: () => eng.evictSoon(),
      busy: () => eng.status === "playing" || eng.status === "loading",
      sinceSeek: () => performance.now() - lastSeekAt,
    }, fonts, !keyframes);
    let ix = newIndexer();
    eng.pinned = () => (ix.done ? [-1, -1] : [ix.pos, ix.pos + 25]);
    cleanups.push(() => ix.stop());
    ix.start();
    // and every server keyframe, one at a time, so that seeks soon need no request
    if (keyframes) void keyframes.prefetch(() => eng.status === "loading");

    // Assets the server is still capturing (a replay opened right after the
    // visit) are shown as the placeholder: ask now and then how many are
    // left, and show the moment again, with what was captured, once fewer
    // are (no reload).
    let assetsShown = Math.max(store.pendingAssets, keyframes?.pendingAssets ?? 0);
    const assetsUntil = Date.now() + ASSET_WATCH_MS;
    let assetTimer = 0;
    const watchAssets = async (): Promise<void> => {
      assetTimer = 0;
      const range = eng.segmentBatches();
      if (destroyed || !range) return;
      let left: number;
      try {
        left = await store.probePendingAssets(range[0], range[1]);
      } catch {
        left = assetsShown; // asked again later
      }
      if (destroyed) return;
      if (left < assetsShown) {
        store.reset();
        keyframes?.reset();
        try {
          // the timeline's fonts too (the ones a segment from a recorded keyframe is given)
          const again = await api.session(id, true);
          addFonts(fonts, Array.isArray(again.timeline) ? again.timeline : []);
        } catch {
          // the fonts known already
        }
        if (destroyed) return;
        if (!keyframes) {
          // the checkpoints made so far show the placeholder: make them again
          ix.stop();
          host.replaceChildren();
          checkpoints.dropSynthetic();
          ix = newIndexer();
          ix.start();
        }
        await eng.seek(now(), isPlaying()).catch(fail);
        left = Math.max(left, store.pendingAssets, keyframes?.pendingAssets ?? 0);
      }
      assetsShown = left;
      if (left > 0 && Date.now() < assetsUntil && !destroyed) assetTimer = window.setTimeout(() => void watchAssets(), ASSET_WATCH_EVERY_MS);
    };
    if (assetsShown > 0) assetTimer = window.setTimeout(() => void watchAssets(), ASSET_WATCH_EVERY_MS);
    cleanups.push(() => window.clearTimeout(assetTimer));

    window.__playhead = {
      get replayer() {
        return eng.replayer as Replayer;
      },
      ready: true,
      plugins: [realmFonts],
      currentTime: now,
      seek: (ms: number) => seek(ms, true),
      stats: () => ({
        status: eng.status,
        keyframes: keyframeTimes.length,
        checkpoints: checkpoints.syntheticCount,
        checkpointBytes: checkpoints.bytes,
        indexed: ix.done,
        storeEvents: store.eventCount,
        receivedBytes: store.receivedBytes,
        lateFonts: eng.lateFonts,
        loadedCheckpoints,
        checkpointsSaved,
        forward: eng.lastSeekForward,
        keyframesHeld: keyframes?.held ?? 0,
        keyframesPrefetched: !keyframes || keyframes.prefetched,
        keyframeBytes: keyframes?.packedBytes ?? 0,
        seekFrom: eng.lastCheckpoint ? { kind: eng.lastCheckpoint.kind, at: eng.lastCheckpoint.at, stored: !!eng.lastCheckpoint.stored } : null,
      }),
    };
    cleanups.push(() => {
      if (engine === eng) delete window.__playhead;
    });
  }

  void start();

  return {
    el,
    title: "Session · Playhead",
    destroy() {
      destroyed = true;
      cancelAnimationFrame(raf);
      window.clearTimeout(urlTimer);
      abort.abort();
      for (const c of cleanups.reverse()) {
        try {
          c();
        } catch {
          // keep tearing down
        }
      }
    },
  };
}

/** Missing batches as timeline bands: the server's `gaps`, else holes in the seq numbers. */
function gapBands(detail: SessionDetail, store: EventStore, startTime: number): Band[] {
  let gaps: Gap[] = [];
  const raw: unknown = detail.gaps;
  if (Array.isArray(raw)) {
    gaps = raw.filter((g): g is Gap => !!g && typeof g === "object" && ["fromSeq", "toSeq", "fromTs", "toTs"].every((k) => typeof (g as Record<string, unknown>)[k] === "number"));
  } else {
    let next = 0;
    let lastTs = store.startTs;
    for (const b of store.batches) {
      if (b.seq > next) gaps.push({ fromSeq: next, toSeq: b.seq - 1, fromTs: lastTs, toTs: b.firstTs });
      next = b.seq + 1;
      lastTs = Math.max(lastTs, b.lastTs);
    }
  }
  return gaps.map((g) => {
    const n = g.toSeq - g.fromSeq + 1;
    const ms = Math.max(0, g.toTs - g.fromTs);
    const what = `${n} batch${n === 1 ? "" : "es"} (${g.fromSeq === g.toSeq ? `#${g.fromSeq}` : `#${g.fromSeq}–${g.toSeq}`})`;
    return { from: g.fromTs - startTime, to: g.toTs - startTime, label: ms >= 1000 ? `${duration(ms)} missing` : `${what} missing`, title: what };
  });
}
