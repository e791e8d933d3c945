// The Backend panel: spans and logs from the app's backends (OpenTelemetry)
// tied to this session. Spans are drawn as a waterfall, one group per trace,
// nested by parentSpanId; a trace goes under the frontend request that started
// it (the request's `detail.traceId`), otherwise it stands on its own at its
// start. Logs are interleaved by time (inside their span or trace when known).
// Like the other panels it follows the play head and seeks on click.

import { h } from "../dom";
import { clock, count, duration } from "../format";
import type { BackendItem } from "../types";
import { str, type Marker, type NetworkEntry } from "./entries";
import type { Panel, PanelContext } from "./panels";

interface Node {
  item: BackendItem;
  /** Offsets from the session's first event, ms. */
  t: number;
  end: number;
  children: Node[];
  error: boolean;
}

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

function isErrorSpan(i: BackendItem): boolean {
  const s = str(i.status).toLowerCase();
  return s === "error" || s === "2" || s.includes("error");
}

function isErrorLog(i: BackendItem): boolean {
  const l = str(i.level).toLowerCase();
  return l === "error" || l === "fatal" || l === "critical" || l === "crit" || l === "emerg" || l === "alert";
}

export function backendMarkers(items: BackendItem[], startTime: number): Marker[] {
  const out: Marker[] = [];
  for (const i of clean(items)) {
    const kind = str(i.kind);
    if (kind === "span" && isErrorSpan(i)) out.push({ t: num(i.start)! - startTime, kind: "backend-error", label: `${str(i.service)} ${str(i.name)}`.trim() || "Span error" });
    else if (kind === "log" && isErrorLog(i)) out.push({ t: num(i.start)! - startTime, kind: "backend-error", label: str(i.message) || "Error log" });
  }
  return out.sort((a, b) => a.t - b.t);
}

function clean(items: unknown): BackendItem[] {
  if (!Array.isArray(items)) return [];
  return items.filter((i): i is BackendItem => !!i && typeof i === "object" && num((i as BackendItem).start) !== undefined);
}

export function backendPanel(raw: BackendItem[] | undefined, network: NetworkEntry[], startTime: number, ctx: PanelContext): Panel {
  const items = clean(raw);
  const nodes = items.map((item): Node => {
    const t = num(item.start)! - startTime;
    const end = Math.max(t, (num(item.end) ?? num(item.start)!) - startTime);
    return { item, t, end, children: [], error: str(item.kind) === "span" ? isErrorSpan(item) : isErrorLog(item) };
  });
  // trace id → its roots; spans nested by parentSpanId, logs under their span when known
  const traces = new Map<string, Node[]>();
  const bySpan = new Map<string, Node>();
  for (const n of nodes) if (str(n.item.kind) === "span" && n.item.spanId) bySpan.set(`${str(n.item.traceId)}/${str(n.item.spanId)}`, n);
  const loose: Node[] = [];
  for (const n of nodes) {
    const trace = str(n.item.traceId);
    const parentKey = str(n.item.kind) === "span" ? str(n.item.parentSpanId) : str(n.item.spanId);
    const parent = parentKey ? bySpan.get(`${trace}/${parentKey}`) : undefined;
    if (parent && parent !== n) parent.children.push(n);
    else if (trace) {
      const list = traces.get(trace) ?? [];
      list.push(n);
      traces.set(trace, list);
    } else loose.push(n);
  }
  const byTime = (a: Node, b: Node) => a.t - b.t;
  const requests = new Map<string, NetworkEntry>();
  for (const r of network) if (r.traceId && !requests.has(r.traceId)) requests.set(r.traceId, r);

  interface Group {
    t: number;
    trace: string;
    roots: Node[];
    req: NetworkEntry | undefined;
    from: number;
    to: number;
  }
  const groups: Group[] = [];
  for (const [trace, roots] of traces) {
    let from = Infinity;
    let to = -Infinity;
    const walk = (n: Node) => {
      from = Math.min(from, n.t);
      to = Math.max(to, n.end);
      n.children.sort(byTime).forEach(walk);
    };
    roots.sort(byTime).forEach(walk);
    const req = requests.get(trace);
    if (req) {
      from = Math.min(from, req.start);
      to = Math.max(to, req.start + req.duration);
    }
    groups.push({ t: req ? req.start : from, trace, roots, req, from, to });
  }
  // top level: trace groups and loose logs, by time
  type Top = { t: number; group?: Group; node?: Node };
  const top: Top[] = [...groups.map((g) => ({ t: g.t, group: g })), ...loose.sort(byTime).map((n) => ({ t: n.t, node: n }))].sort((a, b) => a.t - b.t);

  const rows: { t: number; el: HTMLElement }[] = [];
  const listEl = h("div", { class: "entry-list backend-list", role: "list" });
  const addRow = (t: number, el: HTMLElement) => {
    el.classList.add("entry");
    el.setAttribute("role", "listitem");
    el.addEventListener("click", (ev) => {
      if ((ev.target as Element).closest("button, a, .no-seek")) return;
      if (window.getSelection()?.toString()) return;
      ctx.seek(Math.max(0, t));
    });
    rows.push({ t, el });
    listEl.appendChild(el);
  };
  const bar = (from: number, to: number, g: { from: number; to: number }, error: boolean) => {
    const span = Math.max(1, g.to - g.from);
    const left = ((from - g.from) / span) * 100;
    const width = Math.max(0.5, ((to - from) / span) * 100);
    return h("span", { class: "n-wf" }, h("span", { class: `n-wf-bar${error ? " b-err" : ""}`, style: `left:${left.toFixed(2)}%;width:${width.toFixed(2)}%` }));
  };
  const logRow = (n: Node, depth: number) =>
    h(
      "div",
      { class: `row b-log${n.error ? " b-error" : ""}`, style: `--depth:${depth}` },
      h("span", { class: "e-time" }, clock(n.t)),
      h("span", { class: "b-indent" }),
      h("span", { class: `b-level lvl-${str(n.item.level, "info").toLowerCase()}` }, str(n.item.level, "log")),
      h("span", { class: "b-msg", title: str(n.item.message) }, str(n.item.message) || str(n.item.name)),
      n.item.service ? h("span", { class: "b-svc" }, str(n.item.service)) : null,
    );
  const spanRow = (n: Node, depth: number, g: Group) => {
    const attrs = n.item.attributes && typeof n.item.attributes === "object" ? Object.entries(n.item.attributes as Record<string, unknown>) : [];
    const title = [`${str(n.item.service)} · ${str(n.item.name)}`, `${duration(n.end - n.t)}${n.item.status ? ` · status ${str(n.item.status)}` : ""}`, ...attrs.slice(0, 30).map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)].join("\n");
    return h(
      "div",
      { class: `row b-span${n.error ? " b-error" : ""}`, style: `--depth:${depth}`, title },
      h("span", { class: "e-time" }, clock(n.t)),
      h("span", { class: "b-indent" }),
      h("span", { class: "b-name" }, n.item.service ? h("span", { class: "b-svc" }, str(n.item.service)) : null, " ", str(n.item.name) || "span"),
      h("span", { class: "b-dur" }, duration(n.end - n.t)),
      bar(n.t, n.end, g, n.error),
    );
  };
  const walk = (n: Node, depth: number, g: Group) => {
    addRow(n.t, str(n.item.kind) === "log" ? logRow(n, depth) : spanRow(n, depth, g));
    for (const c of n.children) walk(c, depth + 1, g);
  };
  for (const it of top) {
    if (it.node) {
      addRow(it.node.t, logRow(it.node, 0));
      continue;
    }
    const g = it.group!;
    const head = g.req
      ? h(
          "div",
          { class: `row b-trace${g.req.failed ? " b-error" : ""}`, style: "--depth:0" },
          h("span", { class: "e-time" }, clock(g.req.start)),
          h("span", { class: "b-name" }, h("span", { class: "b-method" }, g.req.method), " ", g.req.url),
          h("span", { class: "b-dur" }, g.req.status ? String(g.req.status) : "—"),
          bar(g.req.start, g.req.start + g.req.duration, g, g.req.failed),
        )
      : h(
          "div",
          { class: "row b-trace", style: "--depth:0" },
          h("span", { class: "e-time" }, clock(g.from)),
          h("span", { class: "b-name muted" }, `Trace ${g.trace.slice(0, 12)}`),
          h("span", { class: "b-dur" }, duration(g.to - g.from)),
        );
    head.title = `Trace ${g.trace}`;
    addRow(g.t, head);
    for (const r of g.roots) walk(r, 1, g);
  }
  const empty = h("div", { class: "list-empty" }, "No backend spans or logs for this session.");
  empty.hidden = rows.length > 0;
  listEl.appendChild(empty);

  let last = NaN;
  let current: HTMLElement | null = null;
  function update(t: number): void {
    if (t === last) return;
    last = t;
    let best: { t: number; el: HTMLElement } | null = null;
    for (const r of rows) {
      const future = r.t > t;
      r.el.classList.toggle("future", future);
      if (!future && (!best || r.t >= best.t)) best = r;
    }
    if (current !== (best?.el ?? null)) {
      current?.classList.remove("current");
      current = best?.el ?? null;
      current?.classList.add("current");
    }
  }
  const errors = nodes.filter((n) => n.error).length;
  return {
    id: "backend",
    title: "Backend",
    badge: count(nodes.length),
    alert: errors > 0,
    el: h("section", { class: "panel", "data-panel": "backend" }, listEl),
    update,
    shown: () => {
      if (current && listEl.offsetParent) {
        const top = current.offsetTop;
        if (top < listEl.scrollTop || top > listEl.scrollTop + listEl.clientHeight) listEl.scrollTop = Math.max(0, top - listEl.clientHeight / 3);
      }
    },
  };
}
