// The background indexer: reads the whole session once and reports what the
// manifest cannot tell: periods without user activity and input moments.
//
// For a session the server has built no keyframes for (one recorded before
// servers built them, or one not sealed yet), it also replays the session,
// event by event, in a hidden replayer, and serialises its DOM every few
// hundred events into a synthetic checkpoint. Afterwards a seek anywhere costs
// one rebuild plus at most a few hundred events, even for sessions recorded
// with a single full snapshot at their start. With server keyframes it only
// reads the events: no replayer, no serialising.
//
// It uses rrweb's live mode (`addEvent` applies each event as it comes) with
// the virtual DOM off, so that every event lands in the real DOM and can be
// serialised at any point. It works in small time slices and yields often;
// while the user plays, it slows down.

import { Replayer } from "@rrweb/replay";
import type { eventWithTime } from "@rrweb/types";
import { Checkpoints, FontLog, serializeReplayDom, type CheckpointData, type NodeMirror } from "./checkpoints";
import { IdTracker } from "./idtracker";
import type { EventStore } from "./store";

/** Events between two synthetic checkpoints at most, … */
export const CHECKPOINT_EVENTS = 400;
/** … and time between them at most (if anything happened), … */
export const CHECKPOINT_MAX_MS = 60_000;
/** … but not closer than this. */
export const CHECKPOINT_MIN_MS = 4_000;
/** rrweb's default: a stretch this long without user input is "inactive". */
export const INACTIVE_MS = 10_000;

const EV_META = 4;
const EV_FULL = 2;
const EV_INC = 3;
const SRC_MUTATION = 0;
const SRC_VIEWPORT = 4;
const SRC_INPUT = 5;
const SRC_STYLE_RULE = 8;
const SRC_STYLE_DECL = 13;
const SRC_FONT = 10;
const SRC_ADOPTED = 15;
const MAX_CARRY = 2000;
/** Without a replayer, the indexer's requests wait this long after the user's last seek. */
const SEEKS_FIRST_MS = 1500;

export interface Activity {
  /** Stretches without user input longer than INACTIVE_MS, [from, to] Unix ms. */
  inactive: [number, number][];
  /** Moments the user typed (first keystroke of a burst in one field). */
  inputs: number[];
  /** Everything before this (Unix ms) has been indexed. */
  until: number;
}

export interface IndexerHooks {
  /** New checkpoints, or more activity; called at most a few times a second. */
  progress(activity: Activity): void;
  /** Called before loading more batches, to keep memory bounded. */
  evict(): void;
  /** Whether the user is playing or waiting for a seek: slices get shorter and rarer. */
  busy(): boolean;
  /** Milliseconds since the user last moved the play head (a seek, a pause). */
  sinceSeek(): number;
}

export class Indexer {
  /** The manifest position the indexer is at; the batches from here on are pinned. */
  pos = 0;
  done = false;
  /** The whole session was indexed (not stopped or failed half way). */
  complete = false;
  readonly activity: Activity = { inactive: [], inputs: [], until: 0 };
  private replayer: Replayer | null = null;
  private stopped = false;
  private lastCpAt = -Infinity;
  private sinceCp = 0;
  private lastInteraction = -Infinity;
  private lastInput = { id: -1, ts: -Infinity };
  private meta = { href: "", width: 0, height: 0 };
  /** Events since the last full snapshot that a snapshot cannot carry (replayed after it). */
  private carry: eventWithTime[] = [];
  private readonly ids = new IdTracker();
  private canCheckpoint = false; // false until a full snapshot, and after something a snapshot cannot carry
  private lastReport = 0;
  private channel = new MessageChannel();
  private wake: (() => void) | null = null;

  constructor(
    private readonly store: EventStore,
    private readonly checkpoints: Checkpoints,
    private readonly host: HTMLElement,
    private readonly hooks: IndexerHooks,
    private readonly fonts: FontLog,
    /** Whether to replay the session and make checkpoints, or only read its activity. */
    private readonly makeCheckpoints = true,
  ) {
    this.channel.port1.onmessage = () => {
      const w = this.wake;
      this.wake = null;
      w?.();
    };
  }

  start(): void {
    void this.run().catch((err) => {
      if (!this.stopped) console.warn("playhead: indexing stopped", err);
      this.finish();
    });
  }

  stop(): void {
    this.stopped = true;
    this.finish();
    this.channel.port1.close();
  }

  private finish(): void {
    this.done = true;
    this.replayer?.destroy();
    this.replayer = null;
    this.host.replaceChildren();
  }

  /** Yields to the event loop (a task, not a microtask: rrweb's addEvent applies in microtasks). */
  private tick(): Promise<void> {
    return new Promise((r) => {
      this.wake = r;
      this.channel.port2.postMessage(0);
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
  }

  private async run(): Promise<void> {
    const store = this.store;
    if (!store.size) return this.finish();
    if (this.makeCheckpoints) this.startReplayer();
    const LOOKAHEAD = 24; // batches fetched per request (about 2 minutes of 5-second batches)
    let sliceStart = performance.now();
    for (this.pos = 0; this.pos < store.size; this.pos++) {
      if (this.stopped) return;
      const pos = this.pos;
      if (!store.hasRange(pos, Math.min(pos + 1, store.size - 1))) {
        // Only reading the activity (server keyframes serve the seeks):
        // requests wait while the user seeks, so that theirs come first.
        while (!this.replayer && (this.hooks.busy() || this.hooks.sinceSeek() < SEEKS_FIRST_MS)) {
          await this.sleep(250);
          if (this.stopped) return;
        }
        this.hooks.evict();
        await store.ensure(pos, pos + LOOKAHEAD);
        if (this.stopped) return;
      }
      let evs = store.get(pos);
      if (!evs) {
        await store.ensure(pos, pos);
        if (this.stopped) return;
        evs = store.get(pos);
      }
      if (!evs) {
        // cannot be had: what follows is not the recorded page until the next full snapshot
        this.canCheckpoint = false;
        continue;
      }
      const next = store.get(pos + 1);
      for (let i = 0; i < evs.length; i++) {
        const e = evs[i]!;
        this.feed(e);
        const after = i + 1 < evs.length ? evs[i + 1] : next?.[0];
        if (this.due(e.timestamp) && (!after || after.timestamp > e.timestamp)) {
          await this.tick(); // let the added events apply
          if (this.stopped) return;
          this.capture(e.timestamp, i + 1 < evs.length ? pos : pos + 1, i + 1 < evs.length ? i + 1 : 0);
          sliceStart = performance.now();
        }
        const budget = this.hooks.busy() ? 4 : 12;
        if ((i & 31) === 31 && performance.now() - sliceStart > budget) {
          await (this.hooks.busy() ? this.sleep(32) : this.tick());
          if (this.stopped) return;
          sliceStart = performance.now();
        }
      }
      this.activity.until = store.batches[pos]!.lastTs;
      this.report(false);
    }
    await this.tick();
    // the end of the session counts as the end of an inactive stretch
    this.interaction(store.endTs, true);
    this.activity.until = store.endTs;
    this.complete = true;
    this.report(true);
    this.finish();
    // what it read last goes back under the player's bound too
    this.hooks.evict();
  }

  private startReplayer(): void {
    this.replayer = new Replayer([], {
      root: this.host,
      liveMode: true,
      useVirtualDom: false,
      mouseTail: false,
      showWarning: false,
      showDebug: false,
      UNSAFE_replayCanvas: false,
      triggerFocus: false,
      pauseAnimation: true,
      speed: 1,
    });
    this.replayer.startLive(Number.MAX_SAFE_INTEGER); // every event is "in the past": applied at once
  }

  /** Hands one event to the hidden replayer (if any) and notes what it says about activity. */
  private feed(e: eventWithTime): void {
    const r = this.replayer;
    if (r) {
      this.ids.apply(e);
      // a copy: rrweb writes into the events it applies (a `delay`, a mutation's `removes`)
      r.addEvent(e.type === EV_INC ? ({ ...e, data: { ...e.data } } as eventWithTime) : { ...e });
    }
    this.sinceCp++;
    const d = (e as { data?: Record<string, unknown> }).data ?? {};
    if (e.type === EV_META) {
      this.meta = { href: String(d.href ?? ""), width: Number(d.width) || this.meta.width, height: Number(d.height) || this.meta.height };
    } else if (e.type === EV_FULL) {
      this.carry = [];
      this.canCheckpoint = true;
      this.lastCpAt = e.timestamp; // a keyframe is a checkpoint already
      this.sinceCp = 0;
    } else if (e.type === EV_INC) {
      const src = d.source as number;
      if (src > SRC_MUTATION && src <= SRC_INPUT) this.interaction(e.timestamp, false);
      if (src === SRC_VIEWPORT) this.meta = { ...this.meta, width: Number(d.width) || this.meta.width, height: Number(d.height) || this.meta.height };
      if (src === SRC_INPUT) this.input(e.timestamp, Number(d.id));
      if (src === SRC_FONT) this.fonts.add(e); // kept for every checkpoint after it (see FontLog)
      // A FullSnapshot has no room for constructed style sheets: carry their events over.
      if (src === SRC_ADOPTED || ((src === SRC_STYLE_RULE || src === SRC_STYLE_DECL) && d.styleId !== undefined)) {
        this.carry.push(e);
        if (this.carry.length > MAX_CARRY) this.canCheckpoint = false;
      }
    }
    // the live replayer keeps every event it was given: keep one (rrweb reads events[0])
    const held = r?.service.state.context.events;
    if (held && held.length > 256) held.splice(0, held.length - 1);
  }

  private interaction(ts: number, end: boolean): void {
    if (this.lastInteraction > -Infinity && ts - this.lastInteraction > INACTIVE_MS) {
      this.activity.inactive.push([this.lastInteraction, ts]);
    } else if (this.lastInteraction === -Infinity && ts - this.store.startTs > INACTIVE_MS && !end) {
      this.activity.inactive.push([this.store.startTs, ts]);
    }
    this.lastInteraction = ts;
  }

  private input(ts: number, id: number): void {
    if (id !== this.lastInput.id || ts - this.lastInput.ts > 2000) this.activity.inputs.push(ts);
    this.lastInput = { id, ts };
  }

  private due(ts: number): boolean {
    if (!this.canCheckpoint || !this.replayer) return false;
    if (ts - this.lastCpAt < CHECKPOINT_MIN_MS) return false;
    // another checkpoint (a pause snapshot, a keyframe) may lie ahead already
    const near = this.checkpoints.atOrBefore(ts);
    if (near && near.at > this.lastCpAt) {
      this.lastCpAt = near.at;
      this.sinceCp = 0;
      return false;
    }
    return this.sinceCp >= CHECKPOINT_EVENTS || (ts - this.lastCpAt >= CHECKPOINT_MAX_MS && this.sinceCp >= 20);
  }

  private capture(at: number, pos: number, idx: number): void {
    const r = this.replayer!;
    const doc = r.iframe.contentDocument;
    this.lastCpAt = at; // even when it fails: try again later, not on every event
    this.sinceCp = 0;
    if (!doc) return;
    const snap = serializeReplayDom(doc, r.getMirror() as unknown as NodeMirror);
    if (!snap) return;
    const data: CheckpointData = { ...this.meta, node: snap.node, initialOffset: snap.initialOffset, carry: this.carry.slice() };
    this.checkpoints.addSynthetic(at, pos, idx, data);
    this.report(false);
  }

  private report(force: boolean): void {
    const now = performance.now();
    if (!force && now - this.lastReport < 400) return;
    this.lastReport = now;
    this.hooks.progress(this.activity);
  }
}
