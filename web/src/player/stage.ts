// The area the replay is shown in. The recorded page keeps its own size
// (the Meta event's width × height); the stage scales it to fit, keeping the
// aspect ratio, and centres it.

import { h } from "../dom";

export class Stage {
  readonly el: HTMLElement;
  /** The element the replayer mounts into. */
  readonly root: HTMLElement;
  private readonly overlay: HTMLElement;
  private readonly badge: HTMLElement;
  private readonly ro: ResizeObserver;
  private width = 1280;
  private height = 800;
  private fitQueued = false;

  constructor() {
    this.root = h("div", { class: "stage-root" });
    this.overlay = h("div", { class: "stage-overlay" });
    this.badge = h("div", { class: "stage-badge", hidden: true });
    this.el = h("div", { class: "stage" }, this.root, this.badge, this.overlay);
    this.ro = new ResizeObserver(() => this.fit());
    this.ro.observe(this.el);
  }

  setSize(width: number, height: number): void {
    if (!(width > 0 && height > 0)) return;
    this.width = width;
    this.height = height;
    this.root.style.width = `${width}px`;
    this.root.style.height = `${height}px`;
    // before the next frame: measuring now would lay the page out in the
    // middle of a rebuild, and again once it is done
    if (this.fitQueued) return;
    this.fitQueued = true;
    requestAnimationFrame(() => {
      this.fitQueued = false;
      this.fit();
    });
  }

  /** Shows a message over the stage (or hides it with null). */
  message(text: string | null, kind: "info" | "error" = "info"): void {
    this.overlay.textContent = text ?? "";
    this.overlay.hidden = text === null;
    this.overlay.classList.toggle("error", kind === "error");
  }

  setBadge(text: string | null): void {
    this.badge.textContent = text ?? "";
    this.badge.hidden = text === null;
  }

  fit(): void {
    const pad = 16;
    const cw = this.el.clientWidth - pad * 2;
    const ch = this.el.clientHeight - pad * 2;
    if (cw <= 0 || ch <= 0) return;
    const s = Math.min(cw / this.width, ch / this.height);
    const x = pad + (cw - this.width * s) / 2;
    const y = pad + (ch - this.height * s) / 2;
    this.root.style.transform = `translate(${x.toFixed(2)}px, ${y.toFixed(2)}px) scale(${s.toFixed(5)})`;
    this.el.dataset.scale = s.toFixed(3);
  }

  destroy(): void {
    this.ro.disconnect();
  }
}
