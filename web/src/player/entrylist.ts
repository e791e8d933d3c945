// A scrolling list of time-stamped rows that follows the play head: rows at or
// before the current time are shown normally, later ones dimmed, the latest one
// at or before it highlighted and kept in view.

import { h } from "../dom";
import { lastAtOrBefore } from "./entries";

interface Row<T> {
  t: number;
  entry: T;
  el: HTMLElement;
}

const USER_SCROLL_PAUSE_MS = 4000;

export class EntryList<T extends { t: number }> {
  readonly el: HTMLElement;
  private readonly rows: Row<T>[];
  private readonly emptyEl: HTMLElement;
  private past = 0; // rows[0..past) are at or before the time
  private current: Row<T> | null = null;
  private time = -Infinity;
  private userScrolledAt = -Infinity;
  private needsReveal = false;

  constructor(
    entries: T[],
    render: (e: T) => HTMLElement,
    onPick: (e: T) => void,
    emptyText: string,
  ) {
    this.emptyEl = h("div", { class: "list-empty" }, emptyText);
    this.el = h("div", { class: "entry-list", role: "list" });
    this.rows = entries.map((entry) => {
      const el = render(entry);
      el.classList.add("entry", "future");
      el.setAttribute("role", "listitem");
      el.addEventListener("click", (ev) => {
        if ((ev.target as Element).closest("button, a, .no-seek")) return;
        if (window.getSelection()?.toString()) return; // selecting text, not seeking
        onPick(entry);
      });
      return { t: entry.t, entry, el };
    });
    const frag = document.createDocumentFragment();
    for (const r of this.rows) frag.appendChild(r.el);
    this.el.appendChild(frag);
    this.el.appendChild(this.emptyEl);
    this.emptyEl.hidden = this.rows.length > 0;

    const userScroll = () => (this.userScrolledAt = performance.now());
    this.el.addEventListener("wheel", userScroll, { passive: true });
    this.el.addEventListener("touchmove", userScroll, { passive: true });
    this.el.addEventListener("keydown", userScroll);
  }

  get size(): number {
    return this.rows.length;
  }

  setFilter(filter: ((e: T) => boolean) | null): void {
    let shown = 0;
    for (const r of this.rows) {
      const ok = !filter || filter(r.entry);
      r.el.hidden = !ok;
      if (ok) shown++;
    }
    this.emptyEl.hidden = shown > 0;
    this.emptyEl.textContent = this.rows.length ? "Nothing matches the filter." : this.emptyEl.textContent;
    this.current?.el.classList.remove("current");
    this.current = null;
    this.highlight(true);
  }

  /** Follows the play head to `t` (ms from the session's first event). */
  update(t: number): void {
    if (t === this.time) return;
    this.time = t;
    const past = lastAtOrBefore(this.rows, t) + 1;
    if (past !== this.past) {
      const [a, b] = past > this.past ? [this.past, past] : [past, this.past];
      for (let i = a; i < b; i++) this.rows[i]!.el.classList.toggle("future", i >= past);
      this.past = past;
    }
    this.highlight(false);
  }

  /** Call when the list becomes visible: scrolls the highlighted row into view. */
  shown(): void {
    if (this.needsReveal || this.current) this.reveal(true);
  }

  private highlight(force: boolean): void {
    let i = this.past - 1;
    while (i >= 0 && this.rows[i]!.el.hidden) i--;
    const row = i >= 0 ? this.rows[i]! : null;
    if (row === this.current && !force) return;
    this.current?.el.classList.remove("current");
    this.current = row;
    row?.el.classList.add("current");
    this.reveal(force);
  }

  private reveal(force: boolean): void {
    const list = this.el;
    if (!list.offsetParent) {
      this.needsReveal = true; // hidden tab: do it when shown
      return;
    }
    this.needsReveal = false;
    if (!force && performance.now() - this.userScrolledAt < USER_SCROLL_PAUSE_MS) return;
    const row = this.current?.el ?? this.firstVisibleFuture();
    if (!row) return;
    const top = row.offsetTop;
    const bottom = top + row.offsetHeight;
    if (top < list.scrollTop || bottom > list.scrollTop + list.clientHeight) {
      list.scrollTop = Math.max(0, top - list.clientHeight / 2 + row.offsetHeight / 2);
    }
  }

  private firstVisibleFuture(): HTMLElement | null {
    for (let i = this.past; i < this.rows.length; i++) if (!this.rows[i]!.el.hidden) return this.rows[i]!.el;
    return null;
  }
}
