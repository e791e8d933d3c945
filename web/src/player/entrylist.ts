// A scrolling list of time-stamped rows that follows the play head: rows at or
// before the current time are shown normally, later ones dimmed, the latest one
// at or before it highlighted and kept in view.
//
// The later rows are dimmed by one veil over them, moved (on its own layer)
// to the first of them, not by a class on each: a seek across the session
// then restyles two rows instead of hundreds, and repaints none.
//
// Rows are built progressively: the first few hundred at once, the rest in
// idle time (or at once when a filter or a selection needs them), so that a
// session with tens of thousands of console lines opens as fast as a short one.

import { h } from "../dom";
import { lastAtOrBefore } from "./entries";

interface Row<T> {
  t: number;
  entry: T;
  /** Null until built. */
  el: HTMLElement | null;
}

const USER_SCROLL_PAUSE_MS = 4000;
const FIRST_ROWS = 200;
/** Rows built at a time in idle time, until SLICE_MS have gone (a row takes about 0.06 ms). */
const ROWS_PER_STEP = 25;
/**
 * The most an idle slice builds for: a response the player waits for (a
 * seek's keyframe) is handled after the slice, so the page's idle time
 * is spent in short ones (300 rows at once took 18 ms, right in a seek).
 */
const SLICE_MS = 4;

export class EntryList<T extends { t: number }> {
  readonly el: HTMLElement;
  private readonly rows: Row<T>[];
  private readonly emptyEl: HTMLElement;
  private built = 0; // rows[0..built) have their elements, in order
  private filter: ((e: T) => boolean) | null = null;
  private past = 0; // rows[0..past) are at or before the time
  private current: Row<T> | null = null;
  private time = -Infinity;
  private userScrolledAt = -Infinity;
  private needsReveal = false;
  private selectedRow: Row<T> | null = null;
  private readonly byEntry = new Map<T, Row<T>>();
  private idle = 0;
  private readonly rowsEl: HTMLElement;
  private readonly veil: HTMLElement;
  private veilQueued = false;
  private readonly resized: ResizeObserver;

  constructor(
    entries: T[],
    private readonly render: (e: T) => HTMLElement,
    private readonly onPick: (e: T) => void,
    emptyText: string,
  ) {
    this.emptyEl = h("div", { class: "list-empty" }, emptyText);
    this.veil = h("div", { class: "entry-veil", "aria-hidden": "true" });
    this.rowsEl = h("div", { class: "entry-rows", role: "list" }, this.veil);
    this.el = h("div", { class: "entry-list" }, this.rowsEl, this.emptyEl);
    // rows laid out for the first time (off screen, a row's height is a guess) move the later ones
    this.resized = new ResizeObserver(() => this.placeVeil());
    this.resized.observe(this.rowsEl);
    this.rows = entries.map((entry) => {
      const row: Row<T> = { t: entry.t, entry, el: null };
      this.byEntry.set(entry, row);
      return row;
    });
    this.emptyEl.hidden = this.rows.length > 0;
    this.buildUpTo(FIRST_ROWS);
    this.buildRestLater();

    const userScroll = () => (this.userScrolledAt = performance.now());
    this.el.addEventListener("wheel", userScroll, { passive: true });
    this.el.addEventListener("touchmove", userScroll, { passive: true });
    this.el.addEventListener("keydown", userScroll);
  }

  get size(): number {
    return this.rows.length;
  }

  private buildUpTo(n: number): void {
    n = Math.min(n, this.rows.length);
    if (n <= this.built) return;
    const frag = document.createDocumentFragment();
    for (let i = this.built; i < n; i++) {
      const row = this.rows[i]!;
      const el = this.render(row.entry);
      el.classList.add("entry");
      el.setAttribute("role", "listitem");
      if (this.filter && !this.filter(row.entry)) el.hidden = true;
      el.addEventListener("click", (ev) => {
        if ((ev.target as Element).closest("button, a, .no-seek")) return;
        if (window.getSelection()?.toString()) return; // selecting text, not seeking
        this.onPick(row.entry);
      });
      row.el = el;
      frag.appendChild(el);
    }
    this.rowsEl.insertBefore(frag, this.veil);
    this.built = n;
    this.placeVeil();
  }

  /** Moves the veil to the first later row that is shown, before the next frame. */
  private placeVeil(): void {
    if (this.veilQueued) return;
    this.veilQueued = true;
    requestAnimationFrame(() => {
      this.veilQueued = false;
      let i = this.past;
      while (i < this.built && this.rows[i]!.el!.hidden) i++;
      // rows not built yet are all later ones: with none built, nothing to dim
      const first = i < this.built ? this.rows[i]!.el! : null;
      if (!this.el.offsetParent) return; // a hidden tab: placed when shown
      const top = first ? first.offsetTop : this.rowsEl.offsetHeight;
      this.veil.style.transform = `translateY(${top}px)`;
    });
  }

  private buildRestLater(): void {
    if (this.built >= this.rows.length || this.idle) return;
    const step = (deadline?: IdleDeadline) => {
      this.idle = 0;
      const until = performance.now() + SLICE_MS;
      do this.buildUpTo(this.built + ROWS_PER_STEP);
      // a callback run for its timeout (a page never idle) still builds a whole slice
      while (this.built < this.rows.length && performance.now() < until && (!deadline || deadline.didTimeout || deadline.timeRemaining() > 0));
      this.buildRestLater();
    };
    const w = window as Window & { requestIdleCallback?: (cb: (d: IdleDeadline) => void, o?: { timeout: number }) => number };
    this.idle = w.requestIdleCallback ? w.requestIdleCallback(step, { timeout: 1000 }) : window.setTimeout(step, 50);
  }

  setFilter(filter: ((e: T) => boolean) | null): void {
    this.buildUpTo(this.rows.length);
    this.filter = filter;
    let shown = 0;
    for (const r of this.rows) {
      const ok = !filter || filter(r.entry);
      r.el!.hidden = !ok;
      if (ok) shown++;
    }
    this.emptyEl.hidden = shown > 0;
    this.emptyEl.textContent = this.rows.length ? "Nothing matches the filter." : this.emptyEl.textContent;
    this.current?.el?.classList.remove("current");
    this.current = null;
    this.highlight(true);
    this.placeVeil();
  }

  /** Follows the play head to `t` (ms from the session's first event). */
  update(t: number): void {
    if (t === this.time) return;
    this.time = t;
    const past = lastAtOrBefore(this.rows, t) + 1;
    if (past !== this.past) {
      this.past = past;
      if (past > this.built) this.buildUpTo(past); // the current row must exist
      this.placeVeil();
    }
    this.highlight(false);
  }

  /** Call when the list becomes visible: scrolls the highlighted row into view. */
  shown(): void {
    this.placeVeil();
    if (this.selectedRow?.el) this.scrollTo(this.selectedRow.el);
    else if (this.needsReveal || this.current) this.reveal(true);
  }

  /** Marks one row as selected (a deep link, a click) and scrolls it into view. */
  select(entry: T | null): void {
    this.selectedRow?.el?.classList.remove("selected");
    this.selectedRow = entry ? (this.byEntry.get(entry) ?? null) : null;
    if (!this.selectedRow) return;
    this.buildUpTo(this.rows.indexOf(this.selectedRow) + 1);
    const el = this.selectedRow.el!;
    el.classList.add("selected");
    el.hidden = false;
    this.userScrolledAt = performance.now(); // keep it in view rather than following the play head
    this.scrollTo(el);
  }

  get selected(): T | null {
    return this.selectedRow?.entry ?? null;
  }

  /** The rows that pass the filter. */
  visibleRows(): { entry: T; el: HTMLElement }[] {
    this.buildUpTo(this.rows.length);
    return this.rows.filter((r) => !r.el!.hidden) as { entry: T; el: HTMLElement }[];
  }

  private scrollTo(row: HTMLElement): void {
    const list = this.el;
    if (!list.offsetParent) return;
    const top = row.offsetTop;
    if (top < list.scrollTop || top + row.offsetHeight > list.scrollTop + list.clientHeight) {
      list.scrollTop = Math.max(0, top - list.clientHeight / 3);
    }
  }

  private highlight(force: boolean): void {
    let i = Math.min(this.past, this.built) - 1;
    while (i >= 0 && this.rows[i]!.el!.hidden) i--;
    const row = i >= 0 ? this.rows[i]! : null;
    if (row === this.current && !force) return;
    this.current?.el?.classList.remove("current");
    this.current = row;
    row?.el?.classList.add("current");
    this.reveal(force);
  }

  private reveal(force: boolean, again = 3): void {
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
      // Rows never drawn have a guessed height (content-visibility): once
      // those now in view are laid out, the row may have moved. Look again.
      if (again > 0) {
        requestAnimationFrame(() => {
          if ((this.current?.el ?? this.firstVisibleFuture()) === row) this.reveal(force, again - 1);
        });
      }
    }
  }

  private firstVisibleFuture(): HTMLElement | null {
    for (let i = this.past; i < this.built; i++) if (!this.rows[i]!.el!.hidden) return this.rows[i]!.el;
    return null;
  }
}
