// The DOM inspector: pause anywhere, pick an element in the replay, see where
// it sits in the document, its attributes and its computed styles as they
// were at that moment.
//
// The replay iframe runs no script (its sandbox has no allow-scripts) and
// rrweb sets `pointer-events: none` on it, so the inspector never touches the
// replayed document: it listens on a layer over the stage in this page, finds
// the element under the pointer with the iframe document's elementFromPoint,
// and draws the highlight in this page too. Elements are remembered by their
// rrweb node id, which stays the same across seeks (and checkpoints), so a
// selection survives moving the play head.

import { h } from "../dom";

export interface InspectTarget {
  /** The replay iframe showing the current moment, or null while loading. */
  iframe(): HTMLIFrameElement | null;
  /** The rrweb node id of a replayed node, -1 when unknown. */
  idOf(n: Node): number;
  /** The replayed node with that id, now. */
  nodeOf(id: number): Node | null;
  /** Whether the play head is paused (the tree is rebuilt only then). */
  paused(): boolean;
  /** Pauses playback (picking an element needs a still picture). */
  pause(): void;
}

const STYLE_GROUPS: [string, string[]][] = [
  ["Layout", ["display", "position", "top", "right", "bottom", "left", "z-index", "float", "box-sizing", "width", "height", "min-width", "min-height", "max-width", "max-height", "overflow-x", "overflow-y"]],
  ["Spacing", ["margin-top", "margin-right", "margin-bottom", "margin-left", "padding-top", "padding-right", "padding-bottom", "padding-left"]],
  ["Flex & grid", ["flex-direction", "flex-wrap", "justify-content", "align-items", "align-self", "flex-grow", "flex-shrink", "flex-basis", "gap", "grid-template-columns", "grid-template-rows"]],
  ["Text", ["color", "font-family", "font-size", "font-weight", "font-style", "line-height", "text-align", "text-decoration-line", "text-transform", "white-space", "letter-spacing"]],
  ["Box", ["background-color", "background-image", "border-top", "border-right", "border-bottom", "border-left", "border-radius", "box-shadow", "opacity", "visibility", "transform", "cursor", "pointer-events"]],
];

export class Inspector {
  /** The Elements panel. */
  readonly panel: HTMLElement;
  /** The layer over the stage (pointer events only while picking). */
  readonly layer: HTMLElement;
  private readonly box: HTMLElement;
  private readonly label: HTMLElement;
  private readonly tree: HTMLElement;
  private readonly details: HTMLElement;
  private readonly pickBtn: HTMLButtonElement;
  private readonly note: HTMLElement;
  private picking = false;
  private selectedId = -1;
  private treeDoc: Document | null = null;
  private rows = new Map<Node, HTMLElement>();
  /** Whether the Elements panel is the visible tab (set by the page: reading layout to find out costs). */
  visible = false;
  private styleFilter = "";
  private allStyles = false;
  onPickChange: (on: boolean) => void = () => {};

  constructor(
    private readonly stage: HTMLElement,
    private readonly target: InspectTarget,
  ) {
    this.box = h("div", { class: "inspect-box", hidden: true });
    this.label = h("div", { class: "inspect-label", hidden: true });
    this.layer = h("div", { class: "inspect-layer" }, this.box, this.label);
    this.layer.addEventListener("pointermove", (ev) => this.onMove(ev));
    this.layer.addEventListener("pointerleave", () => {
      if (this.picking) this.hover(null);
    });
    this.layer.addEventListener("click", (ev) => {
      ev.stopPropagation();
      const el = this.elementAt(ev.clientX, ev.clientY);
      this.setPicking(false);
      if (el) this.select(el, true);
    });
    this.pickBtn = h("button", { class: "btn btn-small", type: "button", "aria-pressed": "false", title: "Pick an element in the replay (I)" }, "Pick element");
    this.pickBtn.addEventListener("click", () => this.setPicking(!this.picking));
    this.note = h("span", { class: "muted small" }, "Pause, then pick an element in the replay.");
    this.tree = h("div", { class: "el-tree", role: "tree", "aria-label": "Replayed document" });
    this.details = h("div", { class: "el-details" });
    this.panel = h("section", { class: "panel elements", "data-panel": "elements" }, h("div", { class: "panel-toolbar" }, this.pickBtn, this.note), this.tree, this.details);
  }

  get isPicking(): boolean {
    return this.picking;
  }

  setPicking(on: boolean): void {
    if (on && !this.target.iframe()) return;
    if (on && !this.target.paused()) this.target.pause();
    this.picking = on;
    this.layer.classList.toggle("picking", on);
    this.pickBtn.setAttribute("aria-pressed", String(on));
    this.pickBtn.classList.toggle("active", on);
    if (!on) this.hover(null);
    this.onPickChange(on);
    if (!on) this.showSelected();
  }

  /** The replay moved (a seek, a new replayer) or paused: rebuild what is shown. */
  refresh(): void {
    const iframe = this.target.iframe();
    const doc = iframe?.contentDocument ?? null;
    if (!this.target.paused()) {
      this.box.hidden = true;
      this.label.hidden = true;
      this.note.textContent = "Playing: pause to inspect the page as it is.";
      this.panel.classList.add("stale");
      return;
    }
    this.panel.classList.remove("stale");
    this.note.textContent = this.selectedId >= 0 ? "" : "Pick an element in the replay, or browse the tree.";
    if (!doc || !this.visible) {
      this.treeDoc = null; // rebuild when shown
      return;
    }
    this.buildTree(doc);
    const node = this.selectedId >= 0 ? this.target.nodeOf(this.selectedId) : null;
    if (node && node.nodeType === Node.ELEMENT_NODE && node.isConnected) this.select(node as Element, false);
    else this.renderDetails(null);
  }

  /** The panel became visible. */
  shown(): void {
    if (!this.treeDoc) this.refresh();
    else this.showSelected();
  }

  /** Follows the stage's size changes. */
  relayout(): void {
    this.showSelected();
  }

  // ---- picking ------------------------------------------------------------------

  private frameGeometry(): { rect: DOMRect; scale: number; stage: DOMRect } | null {
    const iframe = this.target.iframe();
    if (!iframe) return null;
    const rect = iframe.getBoundingClientRect();
    const w = iframe.offsetWidth;
    if (!w || !rect.width) return null;
    return { rect, scale: rect.width / w, stage: this.stage.getBoundingClientRect() };
  }

  private elementAt(clientX: number, clientY: number): Element | null {
    const g = this.frameGeometry();
    const doc = this.target.iframe()?.contentDocument;
    if (!g || !doc) return null;
    const x = (clientX - g.rect.left) / g.scale;
    const y = (clientY - g.rect.top) / g.scale;
    if (x < 0 || y < 0 || x > g.rect.width / g.scale || y > g.rect.height / g.scale) return null;
    return doc.elementFromPoint(x, y);
  }

  private onMove(ev: PointerEvent): void {
    if (!this.picking) return;
    this.hover(this.elementAt(ev.clientX, ev.clientY));
  }

  private hover(el: Element | null): void {
    if (!el) {
      this.box.hidden = true;
      this.label.hidden = true;
      return;
    }
    this.outline(el);
  }

  /** Draws the highlight over `el` (in this page, over the iframe). */
  private outline(el: Element): void {
    const g = this.frameGeometry();
    if (!g) return;
    const r = el.getBoundingClientRect();
    const left = g.rect.left - g.stage.left + r.left * g.scale;
    const top = g.rect.top - g.stage.top + r.top * g.scale;
    Object.assign(this.box.style, { left: `${left}px`, top: `${top}px`, width: `${Math.max(1, r.width * g.scale)}px`, height: `${Math.max(1, r.height * g.scale)}px` });
    this.box.hidden = false;
    this.label.textContent = `${describe(el)}  ${Math.round(r.width)}×${Math.round(r.height)}`;
    this.label.hidden = false;
    const ly = top > 22 ? top - 22 : top + r.height * g.scale + 2;
    Object.assign(this.label.style, { left: `${Math.max(0, left)}px`, top: `${ly}px` });
  }

  private showSelected(): void {
    if (this.picking) return;
    const node = this.selectedId >= 0 ? this.target.nodeOf(this.selectedId) : null;
    if (node && node.nodeType === Node.ELEMENT_NODE && node.isConnected && this.target.paused()) this.outline(node as Element);
    else {
      this.box.hidden = true;
      this.label.hidden = true;
    }
  }

  // ---- the tree -------------------------------------------------------------------------

  private buildTree(doc: Document): void {
    this.treeDoc = doc;
    this.rows = new Map();
    this.tree.replaceChildren();
    if (doc.documentElement) this.tree.appendChild(this.nodeRow(doc.documentElement, 0, true));
  }

  private nodeRow(n: Node, depth: number, open: boolean): HTMLElement {
    const wrap = h("div", { class: "el-node", role: "treeitem" });
    const kids = childrenOf(n);
    const line = h("div", { class: "el-line", style: `padding-left:${depth * 12 + 4}px` });
    const twist = h("span", { class: "el-twist" }, kids.length ? (open ? "▾" : "▸") : "");
    line.appendChild(twist);
    if (n.nodeType === Node.ELEMENT_NODE) line.appendChild(tagLabel(n as Element));
    else line.appendChild(h("span", { class: "el-text" }, `"${(n.textContent ?? "").trim().slice(0, 80)}"`));
    wrap.appendChild(line);
    const box = h("div", { class: "el-kids", hidden: !open });
    wrap.appendChild(box);
    let built = false;
    const build = () => {
      if (built) return;
      built = true;
      for (const k of kids.slice(0, 1000)) box.appendChild(this.nodeRow(k, depth + 1, false));
      if (kids.length > 1000) box.appendChild(h("div", { class: "muted small", style: `padding-left:${(depth + 1) * 12 + 16}px` }, `… ${kids.length - 1000} more`));
    };
    if (open) build();
    const toggle = () => {
      if (!kids.length) return;
      build();
      box.hidden = !box.hidden;
      twist.textContent = box.hidden ? "▸" : "▾";
      wrap.setAttribute("aria-expanded", String(!box.hidden));
    };
    twist.addEventListener("click", (ev) => {
      ev.stopPropagation();
      toggle();
    });
    line.addEventListener("click", () => {
      if (n.nodeType === Node.ELEMENT_NODE) this.select(n as Element, false);
    });
    line.addEventListener("dblclick", toggle);
    line.addEventListener("mouseenter", () => {
      if (n.nodeType === Node.ELEMENT_NODE && this.target.paused()) this.outline(n as Element);
    });
    line.addEventListener("mouseleave", () => this.showSelected());
    (wrap as unknown as { __open: () => void }).__open = () => {
      build();
      box.hidden = false;
      twist.textContent = kids.length ? "▾" : "";
    };
    this.rows.set(n, wrap);
    return wrap;
  }

  /** Selects an element: reveals it in the tree, outlines it, shows its attributes and styles. */
  select(el: Element, reveal: boolean): void {
    const doc = el.ownerDocument;
    if (this.treeDoc !== doc) this.buildTree(doc);
    this.selectedId = this.target.idOf(el);
    // open the ancestors
    const chain: Node[] = [];
    for (let n: Node | null = el; n && n !== doc; n = n.parentNode) chain.unshift(n);
    for (const n of chain) {
      const row = this.rows.get(n);
      if (row && n !== el) (row as unknown as { __open: () => void }).__open();
    }
    for (const r of this.tree.querySelectorAll(".el-line.selected")) r.classList.remove("selected");
    const row = this.rows.get(el);
    const line = row?.firstElementChild as HTMLElement | undefined;
    line?.classList.add("selected");
    if (line && reveal) {
      const t = line.offsetTop - this.tree.offsetTop;
      if (t < this.tree.scrollTop || t > this.tree.scrollTop + this.tree.clientHeight - 20) this.tree.scrollTop = Math.max(0, t - this.tree.clientHeight / 3);
    }
    this.note.textContent = "";
    this.renderDetails(el);
    this.showSelected();
  }

  private renderDetails(el: Element | null): void {
    this.details.replaceChildren();
    if (!el) return;
    const attrs = Array.from(el.attributes).filter((a) => !(a.name === "class" && /^\s*(:hover|rrweb-paused)?\s*$/.test(a.value)));
    const win = el.ownerDocument.defaultView;
    const cs = win ? win.getComputedStyle(el) : null;
    const r = el.getBoundingClientRect();
    const crumbs: Element[] = [];
    for (let n: Element | null = el; n; n = n.parentElement) crumbs.unshift(n);
    const crumbEl = h(
      "div",
      { class: "el-crumbs" },
      crumbs.map((c, i) => {
        const b = h("button", { type: "button", class: `el-crumb${c === el ? " current" : ""}` }, describe(c));
        b.addEventListener("click", () => this.select(c, true));
        return [i ? h("span", { class: "el-crumb-sep" }, "›") : null, b];
      }),
    );
    const attrTable = attrs.length
      ? h("table", { class: "el-attrs" }, h("tbody", null, attrs.map((a) => h("tr", null, h("th", null, a.name), h("td", null, cleanClass(a.name, a.value))))))
      : h("p", { class: "muted small" }, "No attributes.");
    const stylesBox = h("div", { class: "el-styles" });
    const renderStyles = () => {
      stylesBox.replaceChildren();
      if (!cs) return;
      const q = this.styleFilter;
      if (this.allStyles || q) {
        const names = Array.from(cs).sort();
        const rows = names.filter((n) => !q || n.includes(q) || cs.getPropertyValue(n).toLowerCase().includes(q));
        stylesBox.appendChild(h("table", { class: "el-css" }, h("tbody", null, rows.map((n) => h("tr", null, h("th", null, n), h("td", null, cs.getPropertyValue(n)))))));
        if (!rows.length) stylesBox.appendChild(h("p", { class: "muted small" }, "No property matches."));
        return;
      }
      for (const [group, props] of STYLE_GROUPS) {
        stylesBox.append(h("h5", null, group), h("table", { class: "el-css" }, h("tbody", null, props.map((n) => h("tr", null, h("th", null, n), h("td", null, cs.getPropertyValue(n)))))));
      }
    };
    const filter = h("input", { type: "search", class: "filter-input", placeholder: "Filter properties", "aria-label": "Filter computed styles", value: this.styleFilter });
    filter.addEventListener("input", () => {
      this.styleFilter = filter.value.trim().toLowerCase();
      renderStyles();
    });
    const all = h("input", { type: "checkbox" });
    all.checked = this.allStyles;
    all.addEventListener("change", () => {
      this.allStyles = all.checked;
      renderStyles();
    });
    renderStyles();
    this.details.append(
      crumbEl,
      h("div", { class: "el-size muted small" }, `${Math.round(r.width)} × ${Math.round(r.height)} px at ${Math.round(r.left)}, ${Math.round(r.top)}`),
      h("h4", null, "Attributes"),
      attrTable,
      h("h4", null, "Computed styles"),
      h("div", { class: "panel-toolbar inline" }, filter, h("label", { class: "check" }, all, "All")),
      stylesBox,
    );
  }
}

function childrenOf(n: Node): Node[] {
  const out: Node[] = [];
  for (const c of Array.from(n.childNodes)) {
    if (c.nodeType === Node.ELEMENT_NODE) out.push(c);
    else if (c.nodeType === Node.TEXT_NODE && (c.textContent ?? "").trim()) out.push(c);
  }
  return out;
}

function cleanClass(name: string, value: string): string {
  if (name !== "class") return value;
  return value
    .split(/\s+/)
    .filter((c) => c && c !== ":hover" && c !== "rrweb-paused")
    .join(" ");
}

/** "div#main.card.wide" (truncated). */
export function describe(el: Element): string {
  let s = el.tagName.toLowerCase();
  if (el.id) s += "#" + el.id;
  const cls = cleanClass("class", el.getAttribute("class") ?? "")
    .split(" ")
    .filter(Boolean)
    .slice(0, 3);
  if (cls.length) s += "." + cls.join(".");
  return s.length > 60 ? s.slice(0, 60) + "…" : s;
}

function tagLabel(el: Element): HTMLElement {
  const tag = el.tagName.toLowerCase();
  const parts: (Node | string)[] = [h("span", { class: "el-tag" }, `<${tag}`)];
  const id = el.getAttribute("id");
  if (id) parts.push(" ", h("span", { class: "el-an" }, "id"), "=", h("span", { class: "el-av" }, `"${id}"`));
  const cls = cleanClass("class", el.getAttribute("class") ?? "");
  if (cls) parts.push(" ", h("span", { class: "el-an" }, "class"), "=", h("span", { class: "el-av" }, `"${cls.length > 50 ? cls.slice(0, 50) + "…" : cls}"`));
  parts.push(h("span", { class: "el-tag" }, ">"));
  return h("span", { class: "el-label" }, parts);
}
