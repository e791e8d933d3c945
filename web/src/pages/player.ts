// The session player: the replay, its timeline and controls, and the side panels.
// URL: /sessions/{id}?t=<ms from the session's first event>

import { Replayer } from "@rrweb/replay";
import type { eventWithTime } from "@rrweb/types";
import { api, errorMessage, isUnauthorized } from "../api";
import { copyText } from "../clipboard";
import { clear, h, isTypingTarget } from "../dom";
import { bytes, clock, count, relative, shortUserAgent, urlHost, urlPath } from "../format";
import { appHeader } from "../shell";
import type { SessionDetail } from "../types";
import type { Ctx, View } from "../view";
import { MARKER_KINDS, buildEntries, deriveTimeline, type Entries } from "../player/entries";
import { icon } from "../player/icons";
import { loadEvents } from "../player/loader";
import { consolePanel, errorsPanel, infoPanel, networkPanel, type Panel } from "../player/panels";
import { Scrubber } from "../player/scrubber";
import { Stage } from "../player/stage";

/** A read-only hook for automated browser tests. */
export interface PlayheadHook {
  replayer: Replayer;
  ready: boolean;
  /** The play head, ms from the session's first event. */
  currentTime(): number;
  /** Moves the play head to `ms` and pauses there. */
  seek(ms: number): void;
}

declare global {
  interface Window {
    __playhead?: PlayheadHook;
  }
}

const SPEEDS = [1, 2, 4, 8];
const SEEK_STEP = 5000;
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

/** `?t=` as ms, or null when absent or invalid. */
function urlTime(): number | null {
  const raw = new URLSearchParams(location.search).get("t");
  if (raw === null || raw.trim() === "") return null;
  const t = Number(raw);
  return Number.isFinite(t) && t >= 0 ? t : null;
}

function linkAt(t: number): string {
  const q = new URLSearchParams(location.search);
  q.set("t", String(Math.round(t)));
  return `${location.origin}${location.pathname}?${q}`;
}

export function playerView(ctx: Ctx, id: string): View {
  const prefs = loadPrefs();
  const abort = new AbortController();
  const cleanups: (() => void)[] = [];
  let destroyed = false;

  // ---- layout -------------------------------------------------------------
  const stage = new Stage();
  cleanups.push(() => stage.destroy());
  stage.message("Loading session…");

  const title = h("span", { class: "player-title" }, h("code", null, id));
  const copyLink = h("button", { class: "btn", type: "button", disabled: true, title: "Copy a link that opens the replay at the current moment" }, icon("link"), "Copy link at this moment");

  const playBtn = h("button", { class: "btn-icon play", type: "button", disabled: true, title: "Play (Space)", "aria-label": "Play" }, icon("play", 18));
  const backBtn = h("button", { class: "btn-icon", type: "button", disabled: true, title: "Back 5 s (←)", "aria-label": "Back 5 seconds" }, icon("back5", 16));
  const fwdBtn = h("button", { class: "btn-icon", type: "button", disabled: true, title: "Forward 5 s (→)", "aria-label": "Forward 5 seconds" }, icon("fwd5", 16));
  const timeNow = h("span", { class: "time-now" }, "0:00");
  const timeTotal = h("span", { class: "time-total" }, "0:00");
  const speedBtns = SPEEDS.map((s) => h("button", { class: "seg", type: "button", "data-speed": String(s), "aria-pressed": String(s === prefs.speed), title: `Play at ${s}× speed` }, `${s}×`));
  const skipBox = h("input", { type: "checkbox" });
  skipBox.checked = prefs.skipInactive;
  const legend = h("div", { class: "legend" });
  const scrubberSlot = h("div", { class: "scrubber-placeholder" });
  const timelineBox = h("div", { class: "timeline-box" }, legend, scrubberSlot);
  const controls = h(
    "div",
    { class: "controls" },
    backBtn,
    playBtn,
    fwdBtn,
    h("span", { class: "time" }, timeNow, h("span", { class: "time-sep" }, " / "), timeTotal),
    h("div", { class: "segmented", role: "group", "aria-label": "Speed" }, speedBtns),
    h("label", { class: "check", title: "Fast-forward through periods without user activity" }, skipBox, "Skip inactivity"),
    h("span", { class: "kbd-hint" }, "Space play/pause · ← → 5 s"),
  );

  const tabsNav = h("div", { class: "tabs", role: "tablist" });
  const panelsBox = h("div", { class: "panels" });
  const side = h("aside", { class: "side" }, tabsNav, panelsBox);

  const el = h(
    "div",
    { class: "page player-page" },
    appHeader(ctx, [h("a", { class: "back", href: "/", "data-link": true }, "← Sessions"), title], [copyLink]),
    h("div", { class: "player-main" }, h("div", { class: "player-left" }, stage.el, timelineBox, controls), side),
  );

  // ---- tabs -----------------------------------------------------------------
  const TABS: [string, string][] = [
    ["console", "Console"],
    ["network", "Network"],
    ["errors", "Errors"],
    ["info", "Info"],
  ];
  const panels = new Map<string, Panel>();
  const tabBtns = new Map<string, HTMLButtonElement>();
  const slots = new Map<string, HTMLElement>();
  let activeTab = "console";
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
    panels.get(tid)?.shown();
  }
  showTab(activeTab);

  // ---- playback state -------------------------------------------------------
  let replayer: Replayer | null = null;
  let total = 0;
  let firstSnapshot = 0; // offset of the first full snapshot: nothing to show before it
  let playing = false;
  let pausedAt = 0;
  let raf = 0;
  let scrubber: Scrubber | null = null;

  const now = (): number => {
    if (!replayer) return 0;
    const t = playing ? replayer.getCurrentTime() : pausedAt;
    return Math.min(total, Math.max(0, t));
  };

  function render(t: number): void {
    timeNow.textContent = clock(t);
    scrubber?.setTime(t);
    for (const p of panels.values()) p.update(t);
  }

  function setPlayingUi(): void {
    clear(playBtn);
    playBtn.appendChild(icon(playing ? "pause" : "play", 18));
    playBtn.title = playing ? "Pause (Space)" : "Play (Space)";
    playBtn.setAttribute("aria-label", playing ? "Pause" : "Play");
    el.classList.toggle("is-playing", playing);
    if (!playing) stage.setBadge(null);
  }

  function loop(): void {
    cancelAnimationFrame(raf);
    const step = () => {
      if (destroyed || !playing) return;
      render(now());
      raf = requestAnimationFrame(step);
    };
    raf = requestAnimationFrame(step);
  }

  function writeUrl(t: number): void {
    if (destroyed) return;
    const q = new URLSearchParams(location.search);
    q.set("t", String(Math.round(t)));
    history.replaceState(history.state, "", `${location.pathname}?${q}${location.hash}`);
  }

  /** Moves the play head; keeps playing when playing unless `pause`. */
  function seek(t: number, pause = false): void {
    if (!replayer) return;
    t = Math.min(total, Math.max(0, t));
    if (playing && !pause) {
      replayer.play(t);
    } else {
      replayer.pause(Math.max(t, firstSnapshot));
      playing = false;
      pausedAt = t;
      setPlayingUi();
      writeUrl(t);
    }
    render(t);
  }

  function play(): void {
    if (!replayer || playing) return;
    let t = pausedAt;
    if (t >= total - 1) t = 0; // at the end: start over
    replayer.play(t);
    playing = true;
    setPlayingUi();
    loop();
  }

  function pause(): void {
    if (!replayer || !playing) return;
    const t = now();
    replayer.pause();
    playing = false;
    pausedAt = t;
    setPlayingUi();
    render(t);
    writeUrl(t);
  }

  const toggle = () => (playing ? pause() : play());

  // ---- wiring -----------------------------------------------------------------
  playBtn.addEventListener("click", toggle);
  backBtn.addEventListener("click", () => seek(now() - SEEK_STEP));
  fwdBtn.addEventListener("click", () => seek(now() + SEEK_STEP));
  stage.el.addEventListener("click", () => replayer && toggle());
  for (const b of speedBtns) {
    b.addEventListener("click", () => {
      prefs.speed = Number(b.dataset.speed);
      savePrefs(prefs);
      for (const o of speedBtns) o.setAttribute("aria-pressed", String(o === b));
      replayer?.setConfig({ speed: prefs.speed });
    });
  }
  skipBox.addEventListener("change", () => {
    prefs.skipInactive = skipBox.checked;
    savePrefs(prefs);
    replayer?.setConfig({ skipInactive: prefs.skipInactive });
  });
  copyLink.addEventListener("click", async () => {
    const t = now();
    if (!playing) writeUrl(t);
    const ok = await copyText(linkAt(t));
    const label = copyLink.lastChild;
    if (label) label.textContent = ok ? `Copied link at ${clock(t)}` : "Copy failed";
    window.setTimeout(() => {
      if (label) label.textContent = "Copy link at this moment";
    }, 1800);
  });

  const onKey = (ev: KeyboardEvent) => {
    if (!replayer || ev.altKey || ev.ctrlKey || ev.metaKey || isTypingTarget(ev.target)) return;
    if (ev.key === " " || ev.code === "Space") {
      ev.preventDefault();
      // a focused button would also "click" on key-up
      if (document.activeElement instanceof HTMLElement && document.activeElement !== document.body) document.activeElement.blur();
      toggle();
    } else if (ev.key === "ArrowLeft") {
      ev.preventDefault();
      seek(now() - SEEK_STEP);
    } else if (ev.key === "ArrowRight") {
      ev.preventDefault();
      seek(now() + SEEK_STEP);
    }
  };
  document.addEventListener("keydown", onKey);
  cleanups.push(() => document.removeEventListener("keydown", onKey));

  // ---- loading ------------------------------------------------------------------
  async function start(): Promise<void> {
    let detail: SessionDetail;
    try {
      detail = await api.session(id);
    } catch (err) {
      if (destroyed) return;
      if (isUnauthorized(err)) return ctx.unauthorized();
      const missing = (err as { status?: number }).status === 404;
      stage.message(missing ? "This session does not exist (or was deleted)." : "Could not load the session: " + errorMessage(err), "error");
      return;
    }
    if (destroyed) return;
    const s = detail.session;
    const timeline = Array.isArray(detail.timeline) ? detail.timeline : [];
    const first = s.firstUrl || (Array.isArray(s.pages) ? s.pages[0] : "") || "";
    clear(title);
    title.append(
      h("span", { class: "player-path", title: first }, first ? urlPath(first) : id),
      h("span", { class: "muted" }, ` · ${shortUserAgent(s.userAgent)} · `),
      h("span", { class: "muted", title: new Date(s.startedAt).toLocaleString() }, relative(s.startedAt)),
    );
    document.title = `${first ? urlPath(first) : id} · Session · Playhead`;
    timeTotal.textContent = clock(s.durationMs);
    const eventsHref = api.eventsUrl(id);
    setPanel(infoPanel(s, id, null, eventsHref, (t) => seek(t, true)));

    let events: eventWithTime[];
    try {
      stage.message("Loading events…");
      events = await loadEvents(id, detail, {
        signal: abort.signal,
        onProgress: (n) => stage.message(`Loading events… ${bytes(n)}`),
      });
    } catch (err) {
      if (destroyed) return;
      if (isUnauthorized(err)) return ctx.unauthorized();
      stage.message("Could not load the events: " + errorMessage(err), "error");
      return;
    }
    if (destroyed) return;
    stage.message("Preparing the replay…");
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))); // let the message paint

    if (destroyed) return;
    const startTime = events.length ? events[0]!.timestamp : s.startedAt;
    total = events.length ? events[events.length - 1]!.timestamp - startTime : 0;
    const entries: Entries = buildEntries(timeline.length ? timeline : deriveTimeline(events), startTime);

    setPanel(consolePanel(entries.console, (t) => seek(t, true)));
    setPanel(networkPanel(entries.network, total, urlHost(first), (t) => seek(t, true)));
    setPanel(errorsPanel(entries.errors, (t) => seek(t, true)));
    setPanel(infoPanel(s, id, entries, eventsHref, (t) => seek(t, true)));
    if (entries.errors.length && !entries.console.length) showTab("errors");

    // legend with counts
    clear(legend);
    for (const { kind, name } of MARKER_KINDS) {
      const n = entries.markers.filter((m) => m.kind === kind).length;
      legend.appendChild(h("span", { class: "legend-item", title: `${n} ${name.toLowerCase()}` }, h("span", { class: "dot", "data-kind": kind }), `${name} ${count(n)}`));
    }

    scrubber = new Scrubber(total, entries.markers, (t) => seek(t));
    cleanups.push(() => scrubber?.destroy());
    scrubberSlot.replaceWith(scrubber.el);
    const offsets = new Float64Array(events.length);
    events.forEach((e, i) => (offsets[i] = e.timestamp - startTime));
    scrubber.setDensity(offsets);

    const snap = events.find((e) => e.type === 2);
    const meta = events.find((e) => e.type === 4) as { data?: { width?: number; height?: number } } | undefined;
    if (events.length < 2 || !snap) {
      stage.message(events.length < 2 ? "This session has too few events to replay yet." : "This session has no full snapshot to replay from.", "error");
      render(0);
      return;
    }
    firstSnapshot = snap.timestamp - startTime;
    if (meta?.data?.width && meta.data.height) stage.setSize(meta.data.width, meta.data.height);

    let r: Replayer;
    try {
      r = new Replayer(events, {
        root: stage.root,
        speed: prefs.speed,
        skipInactive: prefs.skipInactive,
        showWarning: false,
        mouseTail: { duration: 600, lineCap: "round", lineWidth: 3, strokeStyle: "rgba(79, 70, 229, 0.55)" },
        UNSAFE_replayCanvas: false,
        triggerFocus: false,
      });
    } catch (err) {
      stage.message("Could not start the replay: " + errorMessage(err), "error");
      return;
    }
    replayer = r;
    cleanups.push(() => r.destroy());
    r.on("resize", (p) => {
      const d = p as { width?: number; height?: number } | undefined;
      if (d?.width && d.height) stage.setSize(d.width, d.height);
    });
    r.on("finish", () => {
      if (!playing) return;
      playing = false;
      pausedAt = total;
      setPlayingUi();
      render(total);
    });
    r.on("skip-start", () => stage.setBadge("Skipping inactivity…"));
    r.on("skip-end", () => stage.setBadge(null));

    timeTotal.textContent = clock(total);
    for (const b of [playBtn, backBtn, fwdBtn, copyLink]) b.disabled = false;
    stage.message(null);

    const t0 = urlTime();
    if (t0 !== null) {
      seek(t0, true);
    } else {
      pausedAt = 0;
      r.pause(firstSnapshot);
      render(0);
      play();
    }

    window.__playhead = {
      replayer: r,
      ready: true,
      currentTime: now,
      seek: (ms: number) => seek(ms, true),
    };
    cleanups.push(() => {
      if (window.__playhead?.replayer === r) delete window.__playhead;
    });
  }

  void start();

  return {
    el,
    title: "Session · Playhead",
    destroy() {
      destroyed = true;
      playing = false;
      cancelAnimationFrame(raf);
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
