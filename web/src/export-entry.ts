// The self-contained replay (assets/export.js): the server inlines this
// bundle, rrweb's replayer included, into an HTML file with the session's
// events, for an offline copy of a replay (export?format=html) and for a
// shared link's page. It reads everything from the page itself and makes
// no request: the page's CSP forbids any.
//
//   <div id="playhead-export"></div>
//   <script type="application/json" id="playhead-events">[events]</script>
//   <script type="application/json" id="playhead-meta">{"title","startAt"}</script>

import { Replayer } from "@rrweb/replay";
import type { eventWithTime } from "@rrweb/types";
import { realmFonts } from "./player/fonts";
import { h } from "./dom";
import { clock } from "./format";

interface ExportMeta {
  title?: string;
  /** The moment (Unix ms) to open at; the start when absent. */
  startAt?: number;
}

declare global {
  interface Window {
    __playheadExport?: { ready: boolean; seek(offsetMs: number): void; replayer: Replayer; duration: number };
  }
}

function readJSON<T>(id: string, fallback: T): T {
  const el = document.getElementById(id);
  if (!el?.textContent) return fallback;
  return JSON.parse(el.textContent) as T;
}

function start(): void {
  const root = document.getElementById("playhead-export") ?? document.body.appendChild(h("div", { id: "playhead-export" }));
  const events = readJSON<eventWithTime[]>("playhead-events", []);
  const meta = readJSON<ExportMeta>("playhead-meta", {});
  if (meta.title) document.title = meta.title;
  const stage = h("div", { class: "px-stage" });
  const frame = h("div", { class: "px-frame" });
  stage.appendChild(frame);
  if (events.length < 2) {
    root.append(h("p", { class: "px-empty" }, "This replay holds no events."));
    return;
  }
  const first = events[0]!.timestamp;
  const duration = events[events.length - 1]!.timestamp - first;
  const head = h("header", { class: "px-head" }, h("strong", null, meta.title ?? "Replay"), h("span", { class: "px-note" }, "Recorded with Playhead; masked values stay masked."));
  root.append(head, stage); // rrweb's iframe must be made in the document
  const replayer = new Replayer(events, {
    root: frame,
    showWarning: false,
    showDebug: false,
    mouseTail: false,
    UNSAFE_replayCanvas: false,
    triggerFocus: false,
    plugins: [realmFonts],
  });

  const play = h("button", { class: "px-btn", type: "button", "aria-label": "Play" }, "▶");
  const range = h("input", { class: "px-range", type: "range", min: "0", max: String(duration), step: "10", value: "0", "aria-label": "Position" });
  const time = h("span", { class: "px-time" }, `${clock(0)} / ${clock(duration)}`);
  const speed = h(
    "select",
    { class: "px-speed", "aria-label": "Speed" },
    ...[1, 2, 4, 8].map((s) => h("option", { value: String(s) }, `${s}×`)),
  );
  const skip = h("input", { type: "checkbox", checked: true });
  root.append(h("div", { class: "px-controls" }, play, range, time, speed, h("label", { class: "px-skip" }, skip, " Skip inactivity")));

  let playing = false;
  let tick = 0;
  const show = (offset: number): void => {
    range.value = String(offset);
    time.textContent = `${clock(offset)} / ${clock(duration)}`;
  };
  const fit = (w: number, h2: number): void => {
    const scale = Math.min(1, stage.clientWidth / w, stage.clientHeight / h2);
    frame.style.width = `${w}px`;
    frame.style.height = `${h2}px`;
    frame.style.transform = `scale(${scale})`;
  };
  replayer.on("resize", (p) => {
    const d = p as { width?: number; height?: number } | undefined;
    if (d?.width && d.height) fit(d.width, d.height);
  });
  const setPlaying = (on: boolean): void => {
    playing = on;
    play.textContent = on ? "❚❚" : "▶";
    play.setAttribute("aria-label", on ? "Pause" : "Play");
    window.clearInterval(tick);
    if (on) tick = window.setInterval(() => show(Math.min(duration, replayer.getCurrentTime())), 100);
  };
  const seek = (offset: number): void => {
    const at = Math.max(0, Math.min(duration, offset));
    // rrweb applies the events before the offset: the last one needs a step past it.
    const to = at >= duration ? duration + 1 : at;
    if (playing) replayer.play(to);
    else replayer.pause(to);
    show(at);
  };
  replayer.on("finish", () => {
    setPlaying(false);
    show(duration);
  });
  play.addEventListener("click", () => {
    const at = Number(range.value) >= duration ? 0 : Number(range.value);
    setPlaying(!playing);
    seek(at);
  });
  range.addEventListener("input", () => seek(Number(range.value)));
  speed.addEventListener("change", () => replayer.setConfig({ speed: Number(speed.value) }));
  skip.addEventListener("change", () => replayer.setConfig({ skipInactive: skip.checked }));
  replayer.setConfig({ skipInactive: true });

  const opening = meta.startAt ? meta.startAt - first : 0;
  seek(opening);
  window.__playheadExport = { ready: true, seek, replayer, duration };
}

start();
