// The timeline under the replay: marker lanes, the seek bar and an activity
// density strip. Click or drag anywhere to seek; a marker under the pointer
// shows its label and seeks to its own time when clicked.

import { h } from "../dom";
import { clock } from "../format";
import { MARKER_KINDS, type Marker } from "./entries";

const LANE_HEIGHT = 7; // px, including the gap between lanes
const HIT_PX = 6;

export class Scrubber {
  readonly el: HTMLElement;
  private readonly lanes: HTMLElement;
  private readonly fill: HTMLElement;
  private readonly head: HTMLElement;
  private readonly hoverLine: HTMLElement;
  private readonly tip: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly byLane: Marker[][];
  private readonly ro: ResizeObserver;
  private offsets: Float64Array = new Float64Array(0);
  private time = 0;
  private dragging = false;
  private hoverMarker: Marker | null = null;

  constructor(
    private readonly total: number,
    markers: Marker[],
    private readonly onSeek: (t: number) => void,
  ) {
    this.byLane = MARKER_KINDS.map(({ kind }) => markers.filter((m) => m.kind === kind).sort((a, b) => a.t - b.t));
    this.lanes = h("div", { class: "sc-lanes" });
    MARKER_KINDS.forEach(({ kind, name }, i) => {
      const lane = h("div", { class: "sc-lane", "data-kind": kind, "aria-label": name });
      for (const m of this.byLane[i]!) {
        lane.appendChild(h("div", { class: "sc-marker", "data-kind": kind, style: `left:${this.pct(m.t)}%` }));
      }
      this.lanes.appendChild(lane);
    });
    this.fill = h("div", { class: "sc-fill" });
    this.head = h("div", { class: "sc-head" });
    this.hoverLine = h("div", { class: "sc-hover-line", hidden: true });
    this.tip = h("div", { class: "sc-tip", hidden: true });
    this.canvas = h("canvas", { class: "sc-density", "aria-hidden": "true" });
    this.el = h(
      "div",
      { class: "scrubber", role: "slider", "aria-label": "Seek", "aria-valuemin": "0", "aria-valuemax": String(Math.round(total)), "aria-valuenow": "0" },
      this.lanes,
      h("div", { class: "sc-bar" }, h("div", { class: "sc-rail" }, this.fill), this.head),
      this.canvas,
      this.hoverLine,
      this.tip,
    );

    this.el.addEventListener("pointermove", (ev) => this.onMove(ev));
    this.el.addEventListener("pointerdown", (ev) => this.onDown(ev));
    this.el.addEventListener("pointerup", (ev) => this.onUp(ev));
    this.el.addEventListener("pointercancel", () => this.endDrag(null));
    this.el.addEventListener("pointerleave", () => {
      if (!this.dragging) this.hideTip();
    });
    this.ro = new ResizeObserver(() => this.drawDensity());
    this.ro.observe(this.el);
  }

  /** Moves the play head (ignored while the user drags it). */
  setTime(t: number): void {
    this.time = t;
    if (!this.dragging) this.paint(t);
  }

  /** Event offsets (ms from the first event) for the activity strip. */
  setDensity(offsets: Float64Array): void {
    this.offsets = offsets;
    this.drawDensity();
  }

  destroy(): void {
    this.ro.disconnect();
  }

  private pct(t: number): number {
    if (this.total <= 0) return 0;
    return Math.min(100, Math.max(0, (t / this.total) * 100));
  }

  private paint(t: number): void {
    const p = this.pct(t).toFixed(3) + "%";
    this.fill.style.width = p;
    this.head.style.left = p;
    this.el.setAttribute("aria-valuenow", String(Math.round(t)));
  }

  private timeAt(clientX: number): number {
    const r = this.el.getBoundingClientRect();
    const f = r.width > 0 ? (clientX - r.left) / r.width : 0;
    return Math.min(1, Math.max(0, f)) * this.total;
  }

  /** The marker nearest the pointer in the lane it is over, within a few pixels. */
  private markerAt(ev: PointerEvent): Marker | null {
    const lr = this.lanes.getBoundingClientRect();
    if (ev.clientY < lr.top - 2 || ev.clientY > lr.bottom + 1) return null;
    const lane = Math.min(this.byLane.length - 1, Math.max(0, Math.floor((ev.clientY - lr.top) / LANE_HEIGHT)));
    const list = this.byLane[lane]!;
    if (!list.length || lr.width <= 0) return null;
    const msPerPx = this.total / lr.width;
    const t = this.timeAt(ev.clientX);
    // binary search for the first marker at or after t, then look both ways
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.t < t) lo = mid + 1;
      else hi = mid;
    }
    let best: Marker | null = null;
    let bestD = HIT_PX * msPerPx;
    for (const i of [lo - 1, lo]) {
      const m = list[i];
      if (m && Math.abs(m.t - t) <= bestD) {
        best = m;
        bestD = Math.abs(m.t - t);
      }
    }
    return best;
  }

  private onMove(ev: PointerEvent): void {
    const t = this.timeAt(ev.clientX);
    if (this.dragging) {
      this.paint(t);
      this.showTip(t, null);
      return;
    }
    this.hoverMarker = this.markerAt(ev);
    this.el.classList.toggle("on-marker", !!this.hoverMarker);
    this.showTip(this.hoverMarker ? this.hoverMarker.t : t, this.hoverMarker);
  }

  private onDown(ev: PointerEvent): void {
    if (ev.button !== 0) return;
    ev.preventDefault();
    const m = this.markerAt(ev);
    if (m) {
      this.paint(m.t);
      this.onSeek(m.t);
      return;
    }
    this.dragging = true;
    this.el.classList.add("dragging");
    this.el.setPointerCapture(ev.pointerId);
    const t = this.timeAt(ev.clientX);
    this.paint(t);
    this.showTip(t, null);
  }

  private onUp(ev: PointerEvent): void {
    if (!this.dragging) return;
    this.endDrag(this.timeAt(ev.clientX));
  }

  private endDrag(t: number | null): void {
    if (!this.dragging) return;
    this.dragging = false;
    this.el.classList.remove("dragging");
    if (t === null) this.paint(this.time);
    else this.onSeek(t);
  }

  private showTip(t: number, m: Marker | null): void {
    const r = this.el.getBoundingClientRect();
    const x = r.width * (this.pct(t) / 100);
    this.tip.textContent = "";
    if (m) {
      const dot = h("span", { class: "sc-tip-dot", "data-kind": m.kind });
      const label = m.label.length > 140 ? m.label.slice(0, 140) + "…" : m.label;
      this.tip.append(dot, h("span", { class: "sc-tip-time" }, clock(t)), " ", label);
    } else {
      this.tip.append(h("span", { class: "sc-tip-time" }, clock(t)));
    }
    this.tip.hidden = false;
    this.hoverLine.hidden = false;
    this.hoverLine.style.left = `${x}px`;
    // keep the tooltip inside the bar
    const w = this.tip.offsetWidth;
    this.tip.style.left = `${Math.min(Math.max(0, x - w / 2), Math.max(0, r.width - w))}px`;
  }

  private hideTip(): void {
    this.tip.hidden = true;
    this.hoverLine.hidden = true;
    this.hoverMarker = null;
    this.el.classList.remove("on-marker");
  }

  private drawDensity(): void {
    const c = this.canvas;
    const cssW = c.clientWidth;
    const cssH = c.clientHeight;
    if (cssW <= 0 || cssH <= 0) return;
    const dpr = window.devicePixelRatio || 1;
    c.width = Math.round(cssW * dpr);
    c.height = Math.round(cssH * dpr);
    const ctx = c.getContext("2d");
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cssW, cssH);
    const n = Math.max(1, Math.floor(cssW / 3));
    const counts = new Uint32Array(n);
    const span = this.total > 0 ? this.total : 1;
    for (const o of this.offsets) {
      const i = Math.min(n - 1, Math.max(0, Math.floor((o / span) * n)));
      counts[i]!++;
    }
    let max = 0;
    for (const v of counts) if (v > max) max = v;
    if (!max) return;
    const bw = cssW / n;
    ctx.fillStyle = getComputedStyle(c).color || "#94a3b8";
    for (let i = 0; i < n; i++) {
      const v = counts[i]!;
      if (!v) continue;
      const bh = Math.max(1, Math.sqrt(v / max) * cssH);
      ctx.fillRect(i * bw, cssH - bh, Math.max(1, bw - 1), bh);
    }
  }
}

