// The timeline under the replay: one marker lane per kind, the seek bar, an
// activity density strip, stretches without user activity (grey bands) and
// stretches whose batches never arrived (hatched bands, "4 s missing").
// Click or drag anywhere to seek; a marker under the pointer shows its label
// and seeks to its own time when clicked.
//
// Markers and bands are drawn on a canvas, so a session with tens of
// thousands of clicks costs no more DOM than one with ten.

import { h } from "../dom";
import { clock, duration } from "../format";
import { MARKER_KINDS, type Marker, type MarkerKind } from "./entries";

const LANE_H = 6; // px per marker lane
const LANES_GAP = 3;
const BAR_H = 14;
const DENSITY_H = 18;
const HIT_PX = 5;

export interface Band {
  /** Offsets from the session's start, ms. */
  from: number;
  to: number;
  label: string;
  /** More detail for the tooltip. */
  title?: string;
}

const COLORS: Record<MarkerKind, string> = {
  navigation: "#1f6feb",
  click: "#8b5cf6",
  input: "#0e9384",
  error: "#d92d20",
  "console-error": "#dc6803",
  "request-failed": "#c11574",
  "backend-error": "#b93815",
  "rage-click": "#e31b54",
  "dead-click": "#7a5af8",
  "error-click": "#f04438",
  custom: "#667085",
  match: "#eab308",
};

export class Scrubber {
  readonly el: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly bar: HTMLElement;
  private readonly fill: HTMLElement;
  private readonly head: HTMLElement;
  private readonly hoverLine: HTMLElement;
  private readonly tip: HTMLElement;
  private readonly gapLabels: HTMLElement;
  private readonly byLane: Marker[][];
  private readonly ro: ResizeObserver;
  private density: Float64Array = new Float64Array(0);
  private gaps: Band[] = [];
  private inactive: Band[] = [];
  private time = 0;
  private dragging = false;
  private drawQueued = false;

  constructor(
    private readonly total: number,
    markers: Marker[],
    private readonly onSeek: (t: number) => void,
  ) {
    this.byLane = MARKER_KINDS.map(({ kind }) => markers.filter((m) => m.kind === kind).sort((a, b) => a.t - b.t));
    const lanesH = MARKER_KINDS.length * LANE_H;
    this.canvas = h("canvas", { class: "sc-canvas", "aria-hidden": "true" });
    this.fill = h("div", { class: "sc-fill" });
    this.head = h("div", { class: "sc-head" });
    this.bar = h("div", { class: "sc-bar", style: `top:${lanesH + LANES_GAP}px` }, h("div", { class: "sc-rail" }, this.fill), this.head);
    this.hoverLine = h("div", { class: "sc-hover-line", hidden: true });
    this.tip = h("div", { class: "sc-tip", hidden: true });
    this.gapLabels = h("div", { class: "sc-gap-labels" });
    this.el = h(
      "div",
      {
        class: "scrubber",
        role: "slider",
        tabindex: "-1",
        "aria-label": "Seek",
        "aria-valuemin": "0",
        "aria-valuemax": String(Math.round(total)),
        "aria-valuenow": "0",
        style: `height:${lanesH + LANES_GAP + BAR_H + DENSITY_H}px`,
      },
      this.canvas,
      this.gapLabels,
      this.bar,
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
    this.ro = new ResizeObserver(() => this.draw());
    this.ro.observe(this.el);
  }

  /** Moves the play head (ignored while the user drags it). */
  setTime(t: number): void {
    this.time = t;
    if (!this.dragging) this.paint(t);
  }

  /** Event offsets (ms from the start) or weights per offset, for the activity strip. */
  setDensity(offsets: Float64Array): void {
    this.density = offsets;
    this.queueDraw();
  }

  setGaps(gaps: Band[]): void {
    this.gaps = gaps;
    this.gapLabels.replaceChildren();
    this.queueDraw();
  }

  setInactive(bands: Band[]): void {
    this.inactive = bands;
    this.queueDraw();
  }

  /** Replaces the markers of one kind (the inputs arrive while the session is indexed). */
  setMarkers(kind: MarkerKind, markers: Marker[]): void {
    const i = MARKER_KINDS.findIndex((k) => k.kind === kind);
    if (i < 0) return;
    this.byLane[i] = markers.slice().sort((a, b) => a.t - b.t);
    this.queueDraw();
  }

  destroy(): void {
    this.ro.disconnect();
  }

  private x(t: number, w: number): number {
    return this.total > 0 ? Math.min(w, Math.max(0, (t / this.total) * w)) : 0;
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
    this.el.setAttribute("aria-valuetext", clock(t));
  }

  private queueDraw(): void {
    if (this.drawQueued) return;
    this.drawQueued = true;
    requestAnimationFrame(() => {
      this.drawQueued = false;
      this.draw();
    });
  }

  private draw(): void {
    const c = this.canvas;
    const w = this.el.clientWidth;
    const hh = this.el.clientHeight;
    if (w <= 0 || hh <= 0) return;
    const dpr = window.devicePixelRatio || 1;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(hh * dpr)) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(hh * dpr);
      c.style.width = `${w}px`;
      c.style.height = `${hh}px`;
    }
    const ctx = c.getContext("2d");
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, hh);
    const lanesH = MARKER_KINDS.length * LANE_H;
    const densTop = lanesH + LANES_GAP + BAR_H;

    // inactive stretches: a quiet grey band
    ctx.fillStyle = "rgba(148, 163, 184, 0.16)";
    for (const b of this.inactive) {
      const x0 = this.x(b.from, w);
      const x1 = this.x(b.to, w);
      if (x1 - x0 >= 1) ctx.fillRect(x0, 0, x1 - x0, hh);
    }

    // lane guides
    ctx.fillStyle = "rgba(148, 163, 184, 0.10)";
    for (let i = 0; i < MARKER_KINDS.length; i++) ctx.fillRect(0, i * LANE_H + LANE_H - 1, w, 1);

    // markers: one path per lane (a fill per marker is slow on a software canvas)
    MARKER_KINDS.forEach(({ kind }, i) => {
      const list = this.byLane[i]!;
      if (!list.length) return;
      ctx.fillStyle = COLORS[kind];
      ctx.globalAlpha = kind === "click" || kind === "input" ? 0.75 : 1;
      const y = i * LANE_H;
      const mw = kind === "error" || kind === "navigation" ? 3 : 2;
      let lastX = -10;
      ctx.beginPath();
      for (const m of list) {
        const x = Math.round(this.x(m.t, w) - mw / 2);
        if (x === lastX) continue;
        lastX = x;
        ctx.rect(x, y, mw, LANE_H - 2);
      }
      ctx.fill();
    });
    ctx.globalAlpha = 1;

    // density
    const n = Math.max(1, Math.floor(w / 3));
    const counts = new Float64Array(n);
    const span = this.total > 0 ? this.total : 1;
    for (const o of this.density) counts[Math.min(n - 1, Math.max(0, Math.floor((o / span) * n)))]! += 1;
    let max = 0;
    for (const v of counts) if (v > max) max = v;
    if (max) {
      const bw = w / n;
      ctx.fillStyle = "#b4bcc8";
      ctx.beginPath();
      for (let i = 0; i < n; i++) {
        const v = counts[i]!;
        if (!v) continue;
        const bh = Math.max(1, Math.sqrt(v / max) * DENSITY_H);
        ctx.rect(i * bw, densTop + DENSITY_H - bh, Math.max(1, bw - 1), bh);
      }
      ctx.fill();
    }

    // missing batches: hatched, with a label where it fits
    this.gapLabels.replaceChildren();
    for (const g of this.gaps) {
      const x0 = this.x(g.from, w);
      const x1 = Math.max(x0 + 3, this.x(g.to, w));
      ctx.save();
      ctx.beginPath();
      ctx.rect(x0, 0, x1 - x0, hh);
      ctx.clip();
      ctx.fillStyle = "rgba(217, 45, 32, 0.07)";
      ctx.fillRect(x0, 0, x1 - x0, hh);
      ctx.strokeStyle = "rgba(217, 45, 32, 0.55)";
      ctx.lineWidth = 1;
      ctx.beginPath();
      for (let x = x0 - hh; x < x1; x += 5) {
        ctx.moveTo(x, hh);
        ctx.lineTo(x + hh, 0);
      }
      ctx.stroke();
      ctx.restore();
      if (x1 - x0 >= 56) {
        this.gapLabels.appendChild(h("span", { class: "sc-gap-label", style: `left:${x0}px;width:${x1 - x0}px;top:${densTop}px;height:${DENSITY_H}px` }, g.label));
      }
    }
  }

  private timeAt(clientX: number): number {
    const r = this.el.getBoundingClientRect();
    const f = r.width > 0 ? (clientX - r.left) / r.width : 0;
    return Math.min(1, Math.max(0, f)) * this.total;
  }

  /** The marker nearest the pointer in the lane it is over, within a few pixels. */
  private markerAt(ev: PointerEvent): Marker | null {
    const r = this.el.getBoundingClientRect();
    const y = ev.clientY - r.top;
    if (y < -2 || y > MARKER_KINDS.length * LANE_H + 1) return null;
    const lane = Math.min(this.byLane.length - 1, Math.max(0, Math.floor(y / LANE_H)));
    const list = this.byLane[lane]!;
    if (!list.length || r.width <= 0) return null;
    const msPerPx = this.total / r.width;
    const t = this.timeAt(ev.clientX);
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

  private bandAt(t: number): { band: Band; gap: boolean } | null {
    for (const g of this.gaps) if (t >= g.from && t <= g.to) return { band: g, gap: true };
    for (const b of this.inactive) if (t >= b.from && t <= b.to) return { band: b, gap: false };
    return null;
  }

  private onMove(ev: PointerEvent): void {
    const t = this.timeAt(ev.clientX);
    if (this.dragging) {
      this.paint(t);
      this.showTip(t, null);
      return;
    }
    const m = this.markerAt(ev);
    this.el.classList.toggle("on-marker", !!m);
    this.showTip(m ? m.t : t, m);
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
      const label = m.label.length > 140 ? m.label.slice(0, 140) + "…" : m.label;
      this.tip.append(h("span", { class: "sc-tip-dot", "data-kind": m.kind }), h("span", { class: "sc-tip-time" }, clock(t)), " ", label);
    } else {
      this.tip.append(h("span", { class: "sc-tip-time" }, clock(t)));
      const b = this.bandAt(t);
      if (b) this.tip.append(" ", h("span", { class: b.gap ? "sc-tip-gap" : "sc-tip-idle" }, b.gap ? `${b.band.label}${b.band.title && b.band.title !== b.band.label ? ` – ${b.band.title}` : ""}` : `No user activity for ${duration(b.band.to - b.band.from)}`));
    }
    this.tip.hidden = false;
    this.hoverLine.hidden = false;
    this.hoverLine.style.left = `${x}px`;
    const w = this.tip.offsetWidth;
    this.tip.style.left = `${Math.min(Math.max(0, x - w / 2), Math.max(0, r.width - w))}px`;
  }

  private hideTip(): void {
    this.tip.hidden = true;
    this.hoverLine.hidden = true;
    this.el.classList.remove("on-marker");
  }
}
