// Places playback can start from: the recording's keyframes (Meta + FullSnapshot,
// listed by the manifest), the keyframes the server built (keyframes.ts), and,
// for a session the server has built none for yet, synthetic checkpoints that
// the player makes itself by serialising a replayed DOM into a FullSnapshot.
//
// A checkpoint "covers" every event with a timestamp at or before `at`: to
// show a moment t > at, rebuild the checkpoint's snapshot and apply the events
// after it up to t. With checkpoints every few hundred events a seek costs one
// rebuild and a bounded number of events, wherever it lands, even in a
// session that was recorded with a single full snapshot at its start.
//
// Synthetic snapshots reuse the replayer's node ids (its mirror), so that the
// recorded incremental events after the checkpoint apply to the rebuilt DOM
// exactly as they did to the replayed one.

import type { eventWithTime } from "@rrweb/types";
import { deflateText, inflateText } from "./pack";
import type { Mirror, snapshot as Snapshot } from "rrweb-snapshot";
import { loadScript } from "../scripts";
import type { StoredCheckpoints } from "../types";

function toBase64(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Loads the serialiser (assets/snapshot.js); checkpoints are made once it is there. */
export function loadSerializer(): Promise<typeof Snapshot> {
  return loadScript("/assets/snapshot.js", () => window.__playheadSnapshot);
}

export type CheckpointKind = "keyframe" | "server" | "synthetic";

export interface Checkpoint {
  /** Every event with a timestamp at or before this (Unix ms) is part of the checkpoint. */
  at: number;
  kind: CheckpointKind;
  /**
   * Manifest position of the batch that holds the first event after the
   * checkpoint (synthetic), of the keyframe's batch (keyframe), or of the
   * last batch that starts at or before it (server).
   */
  pos: number;
  /** Synthetic: index in that batch of the first event not covered. */
  idx: number;
  /** Synthetic: the serialised Meta + FullSnapshot (and carried events), deflated JSON (outside the JS heap). */
  z?: Uint8Array;
  bytes: number;
  /** Made by an earlier viewer's player and loaded from the server. */
  stored?: boolean;
}

/** What a synthetic checkpoint holds once parsed. */
export interface CheckpointData {
  href: string;
  width: number;
  height: number;
  node: unknown;
  initialOffset: { left: number; top: number };
  /** Events a FullSnapshot does not capture (constructed style sheets, fonts), replayed after it. */
  carry: eventWithTime[];
}

/** The subset of rrweb's node mirror that serialising needs. */
export interface NodeMirror {
  getId(n: Node | undefined | null): number;
  hasNode(n: Node): boolean;
  getNode(id: number): Node | null;
  getMeta(n: Node): unknown;
  has(id: number): boolean;
}

const IGNORED = -2;

/** Which checkpoint of one moment is kept (the cheapest to start from). */
const RANK: Record<CheckpointKind, number> = { keyframe: 2, server: 1, synthetic: 0 };

/**
 * The web fonts a page added through the FontFace API (rrweb Font events).
 * rrweb records each one once, when it is added, and not again at a
 * checkout: a replay that starts at any checkpoint, recorded or synthetic,
 * must be handed every one added before it. The session's timeline lists
 * them (kind "font"), so the log is filled before the first segment is
 * built; the indexer and every segment built add the ones it could not list.
 */
export class FontLog {
  private list: eventWithTime[] = [];
  private readonly seen = new Set<string>();
  /** Called with each font not seen before. */
  onAdd: ((e: eventWithTime) => void) | null = null;

  /**
   * Identifies a font event whichever copy it comes from (the timeline's or
   * the batch's): its moment, family and descriptors, not its source, whose
   * URL the server may have pointed elsewhere between the two requests.
   */
  static key(e: eventWithTime): string {
    const d = e.data as { family?: unknown; descriptors?: unknown; buffer?: unknown };
    return `${e.timestamp}:${JSON.stringify([d.family, d.descriptors ?? null, !!d.buffer])}`;
  }

  /** Adds a font; a copy of one known already (its source now captured, say) takes its place. */
  add(e: eventWithTime): void {
    const key = FontLog.key(e);
    if (this.seen.has(key)) {
      const i = this.list.findIndex((f) => FontLog.key(f) === key);
      if (i >= 0) this.list[i] = e;
      return;
    }
    this.seen.add(key);
    let i = this.list.length;
    while (i > 0 && this.list[i - 1]!.timestamp > e.timestamp) i--;
    this.list.splice(i, 0, e);
    this.onAdd?.(e);
  }

  /** The fonts added at or before `ts`, in order. */
  before(ts: number): eventWithTime[] {
    return this.list.filter((e) => e.timestamp <= ts);
  }
}

/** Whether an event adds a web font (rrweb's Font source). */
export function isFontEvent(e: eventWithTime): boolean {
  return e.type === 3 && (e.data as { source?: number } | null)?.source === 10;
}

export class Checkpoints {
  private list: Checkpoint[] = [];
  private syntheticBytes = 0;

  constructor(private readonly budgetBytes = 16 * 1024 * 1024) {}

  get all(): readonly Checkpoint[] {
    return this.list;
  }

  get bytes(): number {
    return this.syntheticBytes;
  }

  get syntheticCount(): number {
    let n = 0;
    for (const c of this.list) if (c.kind === "synthetic") n++;
    return n;
  }

  addKeyframe(at: number, pos: number): void {
    this.insert({ at, kind: "keyframe", pos, idx: -1, bytes: 0 });
  }

  /** A keyframe the server built at `at` (its events are fetched when a seek uses it). */
  addServer(at: number, pos: number): void {
    this.insert({ at, kind: "server", pos, idx: -1, bytes: 0 });
  }

  /** Forgets every synthetic checkpoint (made from events that have changed since). */
  dropSynthetic(): void {
    this.list = this.list.filter((c) => c.kind !== "synthetic");
    this.syntheticBytes = 0;
    this.parsed.clear();
  }

  /** Forgets a checkpoint that cannot be used (a server keyframe that cannot be had). */
  remove(cp: Checkpoint): void {
    const i = this.list.indexOf(cp);
    if (i < 0) return;
    this.list.splice(i, 1);
    if (cp.kind === "synthetic") this.syntheticBytes -= cp.bytes;
  }

  addSynthetic(at: number, pos: number, idx: number, data: CheckpointData): Checkpoint {
    // deflated: about a seventh of the JSON, and seeking needs no asynchronous step
    const z = deflateText(JSON.stringify(data));
    const cp: Checkpoint = { at, kind: "synthetic", pos, idx, z, bytes: z.byteLength };
    if (!this.insert(cp)) return cp; // that moment has one already
    this.syntheticBytes += cp.bytes;
    this.remember(cp, data);
    while (this.syntheticBytes > this.budgetBytes && this.thinOne()) {
      // keep thinning
    }
    return cp;
  }

  /** Adds a synthetic checkpoint made earlier (stored on the server), still deflated. */
  addDeflated(at: number, pos: number, idx: number, z: Uint8Array): void {
    const cp: Checkpoint = { at, kind: "synthetic", pos, idx, z, bytes: z.byteLength, stored: true };
    if (!this.insert(cp)) return;
    this.syntheticBytes += cp.bytes;
    while (this.syntheticBytes > this.budgetBytes && this.thinOne()) {
      // keep thinning
    }
  }

  /** The synthetic checkpoints as the server stores them, batches named by seq. */
  toStored(seqOf: (pos: number) => number, batches: number): StoredCheckpoints {
    const list = this.list.filter((c) => c.kind === "synthetic" && c.z);
    return { v: 1, batches, checkpoints: list.map((c) => ({ at: c.at, seq: seqOf(c.pos), idx: c.idx, z: toBase64(c.z!) })) };
  }

  /**
   * Adds the checkpoints a server stored, when they were made from the
   * batches the session has now; returns how many were added.
   */
  addStored(stored: StoredCheckpoints | null, posOf: Map<number, number>, batches: number): number {
    if (!stored || stored.v !== 1 || stored.batches !== batches || !Array.isArray(stored.checkpoints)) return 0;
    let n = 0;
    for (const c of stored.checkpoints) {
      const pos = posOf.get(c.seq);
      if (pos === undefined || typeof c.at !== "number" || typeof c.idx !== "number" || typeof c.z !== "string") continue;
      try {
        this.addDeflated(c.at, pos, c.idx, fromBase64(c.z));
        n++;
      } catch {
        // not base64: skipped
      }
    }
    return n;
  }

  /** The snapshot of a synthetic checkpoint (the last few used are kept parsed). */
  load(cp: Checkpoint): CheckpointData {
    let data = this.parsed.get(cp);
    if (data) this.parsed.delete(cp); // most recently used last
    else data = JSON.parse(cp.z ? inflateText(cp.z) : "null") as CheckpointData;
    this.remember(cp, data);
    return data;
  }

  private readonly parsed = new Map<Checkpoint, CheckpointData>();

  private remember(cp: Checkpoint, data: CheckpointData): void {
    this.parsed.set(cp, data);
    while (this.parsed.size > 3) this.parsed.delete(this.parsed.keys().next().value!);
  }

  /** The latest checkpoint that can show `ts` (at < ts), or the earliest one when none can. */
  best(ts: number): Checkpoint | undefined {
    let lo = 0;
    let hi = this.list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.list[mid]!.at < ts) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 ? this.list[lo - 1] : this.list[0];
  }

  /** The most recent checkpoint at or before `ts`. */
  atOrBefore(ts: number): Checkpoint | undefined {
    const cp = this.best(ts + 1);
    return cp && cp.at <= ts ? cp : undefined;
  }

  /**
   * Adds `cp` in order; false when the list has one of that moment already
   * that is as cheap to start from: a recorded keyframe (its batch is loaded
   * anyway), else a server keyframe (no serialising was needed).
   */
  private insert(cp: Checkpoint): boolean {
    let i = this.list.length;
    while (i > 0 && this.list[i - 1]!.at > cp.at) i--;
    const same = this.list[i - 1];
    if (same && same.at === cp.at) {
      if (RANK[same.kind] >= RANK[cp.kind]) return false;
      if (same.kind === "synthetic") this.syntheticBytes -= same.bytes;
      this.list[i - 1] = cp;
      return true;
    }
    this.list.splice(i, 0, cp);
    return true;
  }

  /** Drops the synthetic checkpoint whose neighbours are closest together. */
  private thinOne(): boolean {
    let best = -1;
    let bestSpan = Infinity;
    for (let i = 1; i < this.list.length - 1; i++) {
      if (this.list[i]!.kind !== "synthetic") continue;
      const span = this.list[i + 1]!.at - this.list[i - 1]!.at;
      if (span < bestSpan) {
        bestSpan = span;
        best = i;
      }
    }
    if (best < 0) {
      const last = this.list.length - 1;
      if (last >= 0 && this.list[last]!.kind === "synthetic") best = last;
      else return false;
    }
    this.syntheticBytes -= this.list[best]!.bytes;
    this.list.splice(best, 1);
    return true;
  }
}

/**
 * Serialises a replayed document into a FullSnapshot node tree with the
 * replayer's node ids. Returns null when the document holds something a
 * FullSnapshot cannot carry (nested documents).
 */
export function serializeReplayDom(doc: Document, mirror: NodeMirror): { node: unknown; initialOffset: { left: number; top: number } } | null {
  const view = doc.defaultView;
  if (!view || !doc.documentElement) return null;
  // The replayer adds nodes of its own (a <style> of replay rules): leave out
  // every node its mirror does not know, and keep the mirror as it is.
  const ids = {
    getId: (n: Node) => (mirror.hasNode(n) ? mirror.getId(n) : IGNORED),
    hasNode: () => true,
    getNode: (id: number) => mirror.getNode(id),
    getMeta: (n: Node) => mirror.getMeta(n),
    has: (id: number) => mirror.has(id),
    add: () => {},
    removeNodeFromMap: () => {},
    replace: () => {},
    reset: () => {},
    getIds: () => [],
  };
  const snapshot = window.__playheadSnapshot;
  if (!snapshot) return null; // not loaded yet
  let node: unknown;
  try {
    node = snapshot(doc, {
      mirror: ids as unknown as Mirror,
      inlineStylesheet: true,
      recordCanvas: true,
      maskAllInputs: false,
      slimDOM: false,
      inlineImages: false,
    });
  } catch {
    return null;
  }
  if (!node) return null;
  if (!fixTree(node as SNode, mirror)) return null;
  return { node, initialOffset: { left: Math.round(view.scrollX), top: Math.round(view.scrollY) } };
}

interface SNode {
  type: number;
  id: number;
  tagName?: string;
  attributes?: Record<string, unknown>;
  childNodes?: SNode[];
  textContent?: string;
  isStyle?: boolean;
  isShadowHost?: boolean;
}

const ELEMENT = 2;
const TEXT = 3;
const REPLAY_CLASSES = new Set([":hover", "rrweb-paused"]);

/**
 * Undoes what rebuilding added to the DOM so that the snapshot is the recorded
 * page again: the replayer's `:hover` selectors and classes, and input values
 * that live in properties rather than attributes. False when the tree holds
 * something a snapshot cannot carry.
 */
function fixTree(n: SNode, mirror: NodeMirror): boolean {
  if (n.type === ELEMENT && n.attributes) {
    const a = n.attributes;
    if (typeof a.class === "string") {
      const cls = a.class.split(/\s+/).filter((c) => c && !REPLAY_CLASSES.has(c));
      if (cls.length) a.class = cls.join(" ");
      else delete a.class;
    }
    if (typeof a._cssText === "string") a._cssText = stripHoverSelectors(a._cssText);
    const tag = n.tagName;
    if (tag === "input" || tag === "textarea" || tag === "select") {
      // The serialiser falls back to the value attribute when the value is
      // empty; the replayed value (a property) is what counts.
      const el = mirror.getNode(n.id) as (HTMLInputElement & { type?: string }) | null;
      if (el) {
        if (el.type === "checkbox" || el.type === "radio") {
          if (el.checked) a.checked = true;
          else delete a.checked;
        } else if (tag === "textarea") {
          a.value = el.value;
          n.childNodes = [];
        } else if (el.value) a.value = el.value;
        else delete a.value;
      }
    }
    if (tag === "iframe") {
      const el = mirror.getNode(n.id) as HTMLIFrameElement | null;
      let inner: Document | null = null;
      try {
        inner = el?.contentDocument ?? null;
      } catch {
        inner = null;
      }
      if (inner?.documentElement && mirror.hasNode(inner.documentElement)) return false; // a replayed nested document
    }
  } else if (n.type === TEXT && n.isStyle && typeof n.textContent === "string" && n.textContent) {
    n.textContent = stripHoverSelectors(n.textContent);
  }
  if (n.childNodes) for (const c of n.childNodes) if (!fixTree(c, mirror)) return false;
  return true;
}

const HOVER_CLASS = /\.\\:hover/;

/**
 * rrweb adds `sel.\:hover` next to every `sel:hover` when it rebuilds CSS (to
 * show hover states); snapshotting the replayed CSS would carry them into the
 * checkpoint and rebuilding it would add more. Drops those selectors again.
 */
export function stripHoverSelectors(css: string): string {
  if (!HOVER_CLASS.test(css)) return css;
  let out = "";
  let i = 0;
  let prelude = 0; // start of the text before the next '{'
  let depthParen = 0;
  let quote = "";
  while (i < css.length) {
    const c = css[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = "";
    } else if (c === "\\") i++;
    else if (c === '"' || c === "'") quote = c;
    else if (c === "(") depthParen++;
    else if (c === ")") depthParen = Math.max(0, depthParen - 1);
    else if (c === "/" && css[i + 1] === "*") {
      const end = css.indexOf("*/", i + 2);
      i = end < 0 ? css.length : end + 2;
      continue;
    } else if (c === "{" && depthParen === 0) {
      const sel = css.slice(prelude, i);
      out += HOVER_CLASS.test(sel) && !sel.trimStart().startsWith("@") ? dropHoverParts(sel) : sel;
      out += "{";
      prelude = i + 1;
    } else if ((c === "}" || c === ";") && depthParen === 0) {
      out += css.slice(prelude, i + 1);
      prelude = i + 1;
    }
    i++;
  }
  return out + css.slice(prelude);
}

function dropHoverParts(sel: string): string {
  const lead = /^\s*/.exec(sel)![0];
  const trail = /\s*$/.exec(sel)![0];
  const body = sel.slice(lead.length, sel.length - trail.length);
  const parts: string[] = [];
  let depth = 0;
  let quote = "";
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = "";
    } else if (c === "\\") i++;
    else if (c === '"' || c === "'") quote = c;
    else if (c === "(" || c === "[") depth++;
    else if (c === ")" || c === "]") depth = Math.max(0, depth - 1);
    else if (c === "," && depth === 0) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(body.slice(start));
  const kept = parts.filter((p) => !HOVER_CLASS.test(p));
  if (!kept.length) return sel; // nothing but hover copies: leave it alone
  return lead + kept.map((p, i) => (i === 0 ? p.trim() : " " + p.trim())).join(",") + trail;
}
