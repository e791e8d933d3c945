// Suggestions for the search box: the query language's keys (with what
// each matches) and, once a key is typed, the values the project's sessions
// hold for it (GET /api/v1/search/suggest). An ARIA 1.2 combobox: the input
// keeps the focus, arrows move through a listbox, Enter or Tab takes the
// highlighted suggestion, Escape closes the list.

import { api } from "./api";
import { clear, h } from "./dom";
import { count } from "./format";
import type { SearchKey } from "./types";

/** The term the caret is in: where it starts and ends, and its parts. */
export interface Term {
  start: number;
  end: number;
  negated: boolean;
  /** The key before ":", or null while the key itself is being typed. */
  key: string | null;
  /** A comparison typed before the value (">=", "<", …). */
  op: string;
  /** The value typed so far (the key so far, without a key), quotes off. */
  value: string;
}

/** The term of query `q` the caret at `caret` is in (or right after). */
export function termAt(q: string, caret: number): Term {
  let start = 0;
  let quoted = false;
  for (let i = 0; i < caret; i++) {
    const c = q[i]!;
    if (c === '"' && q[i - 1] !== "\\") quoted = !quoted;
    else if (!quoted && (/\s/.test(c) || c === "(" || c === ")")) start = i + 1;
  }
  let end = caret;
  for (; end < q.length; end++) {
    const c = q[end]!;
    if (c === '"' && q[end - 1] !== "\\") quoted = !quoted;
    else if (!quoted && (/\s/.test(c) || c === "(" || c === ")")) break;
  }
  let text = q.slice(start, caret);
  const negated = text.startsWith("-");
  if (negated) text = text.slice(1);
  const colon = text.indexOf(":");
  if (colon < 0 || !/^[a-zA-Z.]+$/.test(text.slice(0, colon))) return { start, end, negated, key: null, op: "", value: text };
  let value = text.slice(colon + 1);
  const op = /^(>=|<=|>|<|=)/.exec(value)?.[0] ?? "";
  value = value.slice(op.length);
  if (value.startsWith('"')) value = value.slice(1).replace(/\\(["\\])/g, "$1");
  return { start, end, negated, key: text.slice(0, colon).toLowerCase(), op, value };
}

/** `v` as a query value: quoted when it holds what would end or change an unquoted one. */
export function quoteValue(v: string): string {
  if (v !== "" && !/[\s()"*\\]/.test(v) && !v.startsWith("//") && v !== "OR" && v !== "AND") return v;
  return '"' + v.replace(/\\/g, "\\\\").replace(/"/g, '\\"') + '"';
}

interface Option {
  /** What the option puts in place of the term. */
  insert: string;
  /** Whether the term is finished (a value) or goes on (a key). */
  done: boolean;
  label: string;
  note: string;
}

let keysCache: Promise<SearchKey[]> | null = null;

function searchKeys(): Promise<SearchKey[]> {
  keysCache ??= api.suggest("", "").then(
    (r) => r.keys ?? [],
    (err: unknown) => {
      keysCache = null;
      throw err;
    },
  );
  return keysCache;
}

export class SearchSuggestions {
  readonly list: HTMLElement;
  private options: Option[] = [];
  private active = -1;
  private timer = 0;
  private abort: AbortController | null = null;
  private seq = 0;
  /**
   * Set from the Enter that took a suggestion until its key is released:
   * a form submission in between is that same key press (a browser that
   * sends the key's character apart from its keydown submits on it).
   */
  tookSuggestion = false;

  constructor(private readonly input: HTMLInputElement) {
    this.list = h("ul", { class: "suggestions", role: "listbox", id: "search-suggestions", "aria-label": "Suggestions", hidden: true });
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", "search-suggestions");
    input.addEventListener("input", () => this.schedule());
    input.addEventListener("focus", () => this.schedule());
    input.addEventListener("click", () => this.schedule());
    input.addEventListener("blur", () => this.close());
    input.addEventListener("keydown", (ev) => this.onKey(ev));
    input.addEventListener("keyup", () => (this.tookSuggestion = false));
    // a click on an option must not take the focus from the input first
    this.list.addEventListener("mousedown", (ev) => ev.preventDefault());
  }

  get open(): boolean {
    return !this.list.hidden;
  }

  close(): void {
    window.clearTimeout(this.timer);
    this.abort?.abort();
    this.seq++;
    this.options = [];
    this.active = -1;
    this.list.hidden = true;
    clear(this.list);
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
  }

  private schedule(): void {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.update(), 120);
  }

  private async update(): Promise<void> {
    const seq = ++this.seq;
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    const t = termAt(this.input.value, this.input.selectionStart ?? this.input.value.length);
    const neg = t.negated ? "-" : "";
    let options: Option[] = [];
    try {
      if (t.key === null) {
        if (!/^[a-zA-Z.]*$/.test(t.value)) return this.close();
        const lower = t.value.toLowerCase();
        options = (await searchKeys())
          .filter((k) => k.key.startsWith(lower))
          // meta and event.prop take a property's name after a dot: meta.plan:pro
          .map((k) => (k.values === "prop" ? { insert: `${neg}${k.key}.`, done: false, label: `${k.key}.KEY:`, note: k.description } : { insert: `${neg}${k.key}:`, done: false, label: `${k.key}:`, note: k.description }));
      } else {
        const r = await api.suggest(t.key, t.value, abort.signal);
        const key = t.key;
        options = (r.values ?? []).map((v) => {
          const hasOp = /^(>=|<=|>|<|=)/.test(v.value);
          const value = hasOp ? v.value : t.op + quoteValue(v.value);
          return { insert: `${neg}${key}:${value} `, done: true, label: v.value, note: v.sessions > 0 ? `${count(v.sessions)} session${v.sessions === 1 ? "" : "s"}` : "" };
        });
      }
    } catch {
      if (seq === this.seq) this.close();
      return; // suggestions are a help: a failure leaves the box as it is
    }
    if (seq !== this.seq || document.activeElement !== this.input) return;
    this.show(options);
  }

  private show(options: Option[]): void {
    this.options = options;
    this.active = -1;
    clear(this.list);
    this.input.removeAttribute("aria-activedescendant");
    if (!options.length) {
      this.list.hidden = true;
      this.input.setAttribute("aria-expanded", "false");
      return;
    }
    options.forEach((o, i) => {
      const li = h("li", { role: "option", id: `search-suggestion-${i}`, "aria-selected": "false", class: "suggestion" }, h("span", { class: "suggestion-label" }, o.label), o.note ? h("span", { class: "suggestion-note" }, o.note) : null);
      li.addEventListener("click", () => this.accept(i));
      li.addEventListener("mousemove", () => this.highlight(i));
      this.list.appendChild(li);
    });
    this.list.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
  }

  private highlight(i: number): void {
    if (i === this.active) return;
    this.list.children[this.active]?.setAttribute("aria-selected", "false");
    this.active = i;
    const li = this.list.children[i] as HTMLElement | undefined;
    if (!li) {
      this.input.removeAttribute("aria-activedescendant");
      return;
    }
    li.setAttribute("aria-selected", "true");
    li.scrollIntoView({ block: "nearest" });
    this.input.setAttribute("aria-activedescendant", li.id);
  }

  private accept(i: number): void {
    const o = this.options[i];
    if (!o) return;
    const q = this.input.value;
    const t = termAt(q, this.input.selectionStart ?? q.length);
    let rest = q.slice(t.end);
    if (o.done) rest = rest.replace(/^\s+/, "");
    this.input.value = q.slice(0, t.start) + o.insert + rest;
    const caret = t.start + o.insert.length;
    this.input.setSelectionRange(caret, caret);
    this.close();
    if (!o.done) void this.update(); // now the key's values
  }

  private onKey(ev: KeyboardEvent): void {
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      ev.preventDefault();
      if (!this.open) {
        void this.update();
        return;
      }
      const n = this.options.length;
      const next = ev.key === "ArrowDown" ? (this.active + 1) % n : this.active <= 0 ? n - 1 : this.active - 1;
      this.highlight(next);
    } else if ((ev.key === "Enter" || ev.key === "Tab") && this.open && this.active >= 0) {
      ev.preventDefault();
      this.tookSuggestion = ev.key === "Enter";
      this.accept(this.active);
    } else if (ev.key === "Escape" && this.open) {
      ev.preventDefault();
      this.close();
    } else if (ev.key === "Enter") {
      this.close();
    }
  }
}
