// Keyframe-bounded playback.
//
// rrweb's Replayer takes its events up front and, to show a moment, replays
// from the last full snapshot before it. Handing it the whole session makes
// opening cost a full download and every seek cost all events since the
// snapshot. Here a Replayer only ever holds one *segment*: a checkpoint (a
// recorded keyframe, a keyframe the server built, or a synthetic snapshot,
// see checkpoints.ts) followed by the events after it, fetched by batch
// ranges from the manifest.
//
// - Open or seek to t: pick the latest checkpoint before t, fetch its batches
//   up to t, hand the replayer that segment and pause (or play) at t. The
//   cost is one rebuild plus the events between the checkpoint and t,
//   wherever t is. The batches a little further ahead load afterwards.
// - Play: the segment grows at its end as batches are prefetched ahead of the
//   play head (`addEvent`), and the events behind the play head are dropped
//   from it, so memory stays bounded however long one plays.
// - Every seek, every pause and every resume builds a new segment from a
//   checkpoint, but a short seek ahead while paused, which applies the
//   events on the way to the page already built (see forward()). rrweb's own
//   "forward seek after pause", which re-applies events it already applied
//   and can duplicate nodes (rrweb issue 1449), is never used as it is.
// - One Replayer (one replay iframe) serves the whole session: see reseat().

import { Replayer } from "@rrweb/replay";
import { errorMessage } from "../api";
import type { eventWithTime } from "@rrweb/types";
import { Checkpoints, FontLog, isFontEvent, serializeReplayDom, type Checkpoint, type CheckpointData, type NodeMirror } from "./checkpoints";
import { realmFonts } from "./fonts";
import { IdTracker } from "./idtracker";
import type { ServerKeyframes } from "./keyframes";
import type { EventStore } from "./store";

export type Status = "loading" | "paused" | "playing" | "buffering" | "ended";

export interface EngineOptions {
  root: HTMLElement;
  store: EventStore;
  checkpoints: Checkpoints;
  /** The keyframes the server built for the session (none: the player makes checkpoints itself). */
  keyframes: ServerKeyframes | null;
  /** The web fonts seen so far (the indexer adds them; so does every segment built). */
  fonts: FontLog;
  speed: number;
  skipInactive: boolean;
  onStatus(status: Status): void;
  onResize(width: number, height: number): void;
  onSkip(skipping: boolean): void;
  /** A replayer (and its replay iframe) was created: once per engine, unless reusing one failed. */
  onReplayer(r: Replayer): void;
  onError(err: unknown): void;
}

/** How far ahead of the play head to load, in session time, at 1×. */
const AHEAD_MS = 45_000;
/** Loaded beyond the target when opening or seeking. */
const OPEN_AHEAD_MS = 8_000;
/** Batches behind the play head kept in memory. */
const KEEP_BEHIND_MS = 90_000;
/** Events kept in memory by the store at most (outside the pinned ranges). */
const MAX_STORE_EVENTS = 10_000;
/** Events applied at once above which rrweb's virtual DOM pays off (below, its copy of the document costs more). */
const VDOM_ABOVE = 1500;
/** Events before a later checkpoint a seek ahead applies at most instead of rebuilding from that checkpoint. */
const FORWARD_PAST_CHECKPOINT = 200;
/** Time spent packing evicted batches in one idle callback, and in one frame while playing. */
const EVICT_IDLE_MS = 12;
const EVICT_FRAME_MS = 4;
/** Played events kept in the replayer's segment. */
const TRIM_KEEP = 400;

interface Segment {
  cp: Checkpoint;
  /** What `trim` dropped from the front of `events` (for checkpoints made later). */
  dropped: number;
  href: string;
  carry: eventWithTime[];
  /** Node ids as of the segment's last event: repairs mutations rrweb would stall on. */
  ids: IdTracker;
  /** Timestamp of the segment's first event: rrweb's time 0. */
  base: number;
  /** Manifest positions of the first and last batch in the segment. */
  firstPos: number;
  endPos: number;
  events: eventWithTime[];
}

export class Engine {
  replayer: Replayer | null = null;
  status: Status = "loading";
  private seg: Segment | null = null;
  private gen = 0;
  private pausedAt = 0; // Unix ms
  private speed: number;
  private skipInactive: boolean;
  private destroyed = false;
  private idleHandle = 0;
  private evictHandle = 0;
  private appending = false;
  private wantPlay = false;
  private fontRedraw = false;
  /** Fonts that became known only after a segment that needed them was shown (the timeline lists them all but the largest). */
  lateFonts = 0;
  /** rrweb has applied every event of the segment before this moment (Unix ms), and none after. */
  private shownBefore = 0;
  /** The checkpoint the last seek replayed from. */
  lastCheckpoint: Checkpoint | null = null;
  /** Whether the last seek went forward on the page already built (no checkpoint replayed). */
  lastSeekForward = false;
  /** Marks the first seek's steps on the page's performance timeline (playhead:open-*), where the benchmark reads them. */
  private marking = true;
  /** Batches the store must keep whatever the play head does (the indexer's), as [from, to]. */
  pinned: () => [number, number] = () => [-1, -1];

  constructor(private readonly o: EngineOptions) {
    this.speed = o.speed;
    this.skipInactive = o.skipInactive;
    // A font the timeline did not list (too large to index) is unknown to a
    // seek made before the indexer has gone past it: show the moment again
    // once the font is known.
    o.fonts.onAdd = (e) => {
      const seg = this.seg;
      // a server keyframe carries the fonts added before it
      if (!seg || e.timestamp >= seg.base || seg.cp.kind === "server") return;
      this.lateFonts++;
      if (this.status !== "paused" || this.fontRedraw) return;
      this.fontRedraw = true;
      queueMicrotask(() => {
        this.fontRedraw = false;
        if (this.status === "paused" && !this.destroyed) void this.seek(this.pausedAt - this.store.startTs, false).catch(() => {});
      });
    };
    // The replay iframe costs tens of milliseconds to create: make it while the
    // first events are still on their way (rrweb accepts no events only in live mode).
    window.setTimeout(() => {
      if (this.replayer || this.destroyed || !o.root.isConnected) return;
      try {
        this.create([]);
      } catch {
        this.replayer = null; // made on the first build instead
      }
    }, 0);
  }

  get store(): EventStore {
    return this.o.store;
  }

  /** The manifest positions of the first and last batch the current segment holds. */
  segmentBatches(): [number, number] | null {
    return this.seg ? [this.seg.firstPos, this.seg.endPos] : null;
  }

  /** The play head as a Unix ms timestamp. */
  nowTs(): number {
    const r = this.replayer;
    const seg = this.seg;
    if (!r || !seg || this.status !== "playing") return this.pausedAt;
    return Math.min(this.store.endTs, seg.base + r.getCurrentTime());
  }

  /** The play head in ms from the session's start. */
  now(): number {
    return Math.max(0, this.nowTs() - this.store.startTs);
  }

  get total(): number {
    return this.store.endTs - this.store.startTs;
  }

  /**
   * Moves the play head to `t` (ms from the session's start) and pauses there,
   * or plays from there. Resolves once the replay shows that moment.
   */
  async seek(t: number, play: boolean): Promise<void> {
    const gen = ++this.gen;
    this.wantPlay = play;
    const store = this.store;
    const total = this.total;
    t = Math.min(total, Math.max(0, t));
    // rrweb shows the events strictly before its time: at the end, show the last one too
    let ts = t >= total ? store.endTs + 1 : store.startTs + t;
    if (play && t >= total - 1) ts = store.startTs; // at the end: start over
    this.cancelIdle();
    let cp = this.o.checkpoints.best(ts);
    if (!cp) throw new Error("This session has no full snapshot to replay from.");
    // Before the first keyframe (page lifecycle events, or batches whose
    // keyframe was lost) there is no page to show yet: show the first one.
    if (cp.at >= ts) ts = cp.at + 1;
    this.lastSeekForward = !play && this.forward(ts, cp);
    if (this.lastSeekForward) return;
    // what the moment needs; the rest of the way ahead loads after it is shown
    const toPos = Math.max(cp.pos, store.posAt(ts));
    const fromPos = cp.pos;
    const kfs = this.o.keyframes;
    // the events' request first: a keyframe held deflated is inflated while it is answered
    const fetching = store.hasRange(fromPos, toPos) ? null : store.ensure(fromPos, toPos);
    let frame = cp.kind === "server" && kfs ? kfs.get(cp.at) : undefined;
    if (fetching || (cp.kind === "server" && !frame)) {
      if (this.status !== "playing") this.setStatus("loading");
      else {
        this.replayer?.pause();
        this.setStatus("loading");
      }
      this.pausedAt = ts;
      // the keyframe and the events after it, at once
      let lost: unknown = null;
      const loading = cp.kind === "server" && kfs ? kfs.load(cp.at).catch((err: unknown) => ((lost = err), undefined)) : undefined;
      [, frame] = await Promise.all([fetching ?? store.ensure(fromPos, toPos), loading]);
      if (gen !== this.gen || this.destroyed) return;
      if (lost) {
        // a server keyframe that cannot be had: seek from the checkpoint before it
        console.warn("playhead: keyframe not loaded:", errorMessage(lost));
        this.o.checkpoints.remove(cp);
        return this.seek(t, play);
      }
      // a better checkpoint may have appeared while loading
      const again = this.o.checkpoints.best(ts);
      if (again && again !== cp && again.kind !== "server" && store.hasRange(again.pos, toPos)) cp = again;
    }
    const marking = this.marking;
    this.marking = false;
    if (marking) performance.mark("playhead:open-data");
    const data = cp.kind === "synthetic" ? this.o.checkpoints.load(cp) : null;
    this.lastCheckpoint = cp;
    this.build(cp, data, cp.kind === "server" ? (frame ?? null) : null, ts, this.wantPlay);
    if (marking) performance.mark("playhead:open-built");
    this.evictWhenIdle();
    // with server keyframes every moment is near one already
    if (!this.wantPlay && !kfs) this.scheduleCheckpoint();
    // a little ahead, once this frame is out
    window.setTimeout(() => {
      if (gen === this.gen && !this.destroyed) void store.ensure(toPos, store.posAt(ts + OPEN_AHEAD_MS)).catch(() => {});
    }, 0);
  }

  play(): Promise<void> {
    if (this.status === "playing") return Promise.resolve();
    return this.seek(this.pausedAt - this.store.startTs, true);
  }

  pause(): void {
    if (this.status === "loading") {
      this.wantPlay = false; // the pending seek will pause when it lands
      return;
    }
    if (this.status !== "playing" && this.status !== "buffering") return;
    const ts = this.nowTs();
    this.gen++;
    this.replayer?.pause();
    this.pausedAt = ts;
    // Playing leaves the DOM as the animation got it (smooth scrolls half way,
    // hover states): show the exact moment instead, as a seek would, so that
    // what is inspected (and any checkpoint made here) is the recorded state.
    void this.seek(ts - this.store.startTs, false).catch((err) => this.o.onError(err));
  }

  setSpeed(speed: number): void {
    this.speed = speed;
    this.replayer?.setConfig({ speed });
  }

  setSkipInactive(skip: boolean): void {
    this.skipInactive = skip;
    this.replayer?.setConfig({ skipInactive: skip });
  }

  /** Call often while playing (every frame is fine): loads ahead, feeds and trims the segment. */
  tick(): void {
    if (this.destroyed || !this.seg || !this.replayer) return;
    if (this.status !== "playing" && this.status !== "buffering") return;
    const store = this.store;
    const now = this.nowTs();
    const ahead = now + AHEAD_MS * Math.max(1, this.speed);
    const want = store.posAt(ahead);
    if (this.seg.endPos < want && !this.appending) {
      const from = this.seg.endPos + 1;
      if (store.hasRange(from, from)) this.append();
      else {
        this.appending = true;
        const gen = this.gen;
        store
          .ensure(from, Math.min(want, from + 23))
          .then(() => {
            this.appending = false;
            if (gen === this.gen && !this.destroyed) this.append();
          })
          .catch((err) => {
            this.appending = false;
            if (!this.destroyed) this.o.onError(err);
          });
      }
    }
    this.trim(now);
    this.evict(EVICT_FRAME_MS);
  }

  destroy(): void {
    this.destroyed = true;
    this.gen++;
    this.cancelIdle();
    if (this.evictHandle) cancelIdle(this.evictHandle);
    this.evictHandle = 0;
    this.replayer?.destroy();
    this.replayer = null;
    this.seg = null;
  }

  // ---------------------------------------------------------------------------

  private setStatus(s: Status): void {
    if (this.status === s) return;
    this.status = s;
    this.o.onStatus(s);
  }

  /**
   * Shows a later moment on the page already built, applying the events
   * between the play head and `ts` to it, where that is cheaper than a
   * rebuild from a checkpoint: while paused, with the batches on the way in
   * memory and no new page load among them, when the checkpoint a rebuild
   * would start from is not far past the play head. Stepping ahead, to the
   * next match or a few seconds on, then costs those events only.
   *
   * rrweb's own "forward seek after pause" decides what it applied already
   * from the last event it played, which for a batch of pointer moves is
   * the time of its first position: events it had applied were applied
   * again (rrweb issue 1449). The shown moment is told to it exactly here:
   * every event before the moment it was paused at has been applied, none
   * after.
   */
  private forward(ts: number, cp: Checkpoint): boolean {
    const r = this.replayer;
    const seg = this.seg;
    // what rrweb applied: every event before shownBefore (past the end, the
    // play head stays at the end but the last events are shown too)
    const shown = this.shownBefore;
    if (!r || !seg || this.status !== "paused" || ts <= shown) return false;
    const store = this.store;
    const toPos = store.posAt(ts);
    // Too far past a later checkpoint, by the manifest's counts, before any
    // batch is unpacked: a seek far ahead rebuilds from its checkpoint.
    if (cp.at > shown) {
      let past = 0;
      for (let p = store.posAt(shown); p <= Math.min(cp.pos, toPos) && past <= FORWARD_PAST_CHECKPOINT * 2; p++) past += store.batches[p]!.events;
      if (past > FORWARD_PAST_CHECKPOINT * 2) return false;
    }
    if (!store.hasRange(seg.endPos + 1, toPos)) return false;
    // the batches on the way, into the segment at once (rrweb's addEvent
    // hands an event over in a microtask, after this seek)
    for (let p = seg.endPos + 1; p <= toPos; p++) {
      for (const e of store.get(p)!) {
        seg.ids.apply(e);
        seg.events.push(own(e));
      }
      seg.endPos = p;
    }
    // A rebuild from a checkpoint at or before the play head would apply
    // these events and more; from a later one, the events before it are
    // the extra cost of going forward.
    let shownTs = -Infinity;
    let ahead = 0;
    let beforeCp = 0;
    for (const e of seg.events) {
      if (e.timestamp < shown) shownTs = Math.max(shownTs, e.timestamp);
      else if (e.timestamp < ts) {
        if (e.type === 2) return false;
        ahead++;
        if (e.timestamp < cp.at) beforeCp++;
      }
    }
    if (shownTs === -Infinity || beforeCp > FORWARD_PAST_CHECKPOINT) return false;
    this.cancelIdle();
    if (ahead >= 64) {
      // as a rebuild does: only the last scroll, input and pointer position
      // of each node on the way, scrolls once the DOM is complete
      const ev = seg.events;
      const done = ev.filter((e) => e.timestamp < shown);
      const rest = compactBefore(ev.filter((e) => e.timestamp >= shown), ts);
      ev.length = 0;
      for (const e of done) ev.push(e);
      for (const e of rest) ev.push(e);
    }
    r.setConfig({ useVirtualDom: ahead > VDOM_ABOVE });
    const ctx = r.service.state.context as unknown as { lastPlayedEvent: unknown };
    ctx.lastPlayedEvent = { type: 5, timestamp: shownTs, data: { tag: "playhead/shown", payload: null } };
    // A rebuild hovers the pointer's element and selects the last selection
    // once every event is in: mutations on the way may have replaced the
    // hovered nodes' classes, or the selected text. rrweb does the same
    // here when handed the last pointer position and selection (a later one
    // on the way takes their place).
    const { pointer, selection } = pointerAndSelection(seg.events, ts);
    const rr = r as unknown as { mousePos: unknown; lastSelectionData: unknown };
    if (pointer) rr.mousePos = pointer;
    if (selection) {
      r.iframe.contentDocument?.getSelection()?.removeAllRanges();
      rr.lastSelectionData = selection;
    }
    this.pausedAt = Math.min(ts, store.endTs);
    this.shownBefore = ts;
    atOnce(r, () => r.pause(ts - seg.base));
    putScroll(r, seg.events, ts);
    if (!this.o.keyframes) this.scheduleCheckpoint();
    return true;
  }

  /** Builds the segment that starts at `cp` and a replayer on it, then shows `ts`. */
  private build(cp: Checkpoint, data: CheckpointData | null, frame: eventWithTime[] | null, ts: number, play: boolean): void {
    const store = this.store;
    const events: eventWithTime[] = [];
    let href = "";
    let carry: eventWithTime[] = [];
    let frameLen = 0; // the keyframe's own events at the segment's start
    if (cp.kind === "server" && frame) {
      for (const e of frame) events.push(e);
      frameLen = events.length;
      const meta = frame.find((e) => e.type === 4);
      href = String((meta?.data as { href?: unknown } | undefined)?.href ?? "");
      // the recorded events after the keyframe's moment
      const first = store.get(cp.pos);
      if (first) for (const e of first) if (e.timestamp > cp.at) events.push(e);
    } else if (cp.kind === "synthetic" && data) {
      href = data.href;
      carry = data.carry ?? [];
      events.push(
        { type: 4, timestamp: cp.at, data: { href: data.href, width: data.width, height: data.height } } as eventWithTime,
        { type: 2, timestamp: cp.at, data: { node: data.node, initialOffset: data.initialOffset } } as unknown as eventWithTime,
      );
      for (const c of data.carry ?? []) events.push({ ...c, timestamp: cp.at });
      const first = store.get(cp.pos);
      if (first) for (let i = cp.idx; i < first.length; i++) events.push(first[i]!);
    } else {
      const first = store.get(cp.pos) ?? [];
      let k = first.findIndex((e) => e.type === 4 && e.timestamp === cp.at);
      if (k < 0) k = Math.max(0, first.findIndex((e) => e.type === 4));
      for (let i = k; i < first.length; i++) events.push(first[i]!);
      href = String((events[0]?.data as { href?: unknown } | undefined)?.href ?? "");
      // the FullSnapshot must be strictly before the shown moment
      const full = events.find((e) => e.type === 2);
      if (full && ts <= full.timestamp) ts = full.timestamp + 1;
    }
    let endPos = cp.pos;
    for (let p = cp.pos + 1; p < store.size && store.has(p); p++) {
      for (const e of store.get(p)!) events.push(e);
      endPos = p;
      if (store.batches[p]!.firstTs > ts + AHEAD_MS) break;
    }
    if (events.length < 2) throw new Error("This session has too few events to replay.");
    // the web fonts added before the checkpoint, right after its FullSnapshot
    // (a server keyframe holds them already)
    const segFonts = events.slice(frameLen).filter(isFontEvent);
    const full = events.findIndex((e) => e.type === 2);
    if (full >= 0 && cp.kind !== "server") {
      const at = events[full]!.timestamp;
      const held = new Set(segFonts.map(FontLog.key));
      const fonts = this.o.fonts.before(at).filter((f) => !held.has(FontLog.key(f)));
      events.splice(full + 1, 0, ...fonts.map((f) => ({ ...f, timestamp: at })));
    }
    const ids = new IdTracker();
    for (const e of events) ids.apply(e);

    // rrweb applies everything before ts at once: only the last scroll, input,
    // pointer position and selection of each node matter there
    const shown = compactBefore(events, ts).map(own);

    const r = this.reseat(shown) ?? this.create(shown);
    // A short run of events is cheapest applied to the DOM directly; a long one
    // (a seek far from any checkpoint) through rrweb's virtual DOM, which
    // touches the real document once at the end.
    let before = 0;
    while (before < shown.length && shown[before]!.timestamp < ts) before++;
    r.setConfig({ useVirtualDom: before > VDOM_ABOVE });
    const base = events[0]!.timestamp;
    this.seg = { cp, base, firstPos: cp.pos, endPos, events: r.service.state.context.events as unknown as eventWithTime[], dropped: 0, href, carry: [...carry], ids };
    // the segment's own fonts, for the segments after it
    for (const e of segFonts) this.o.fonts.add(e);
    const offset = Math.max(0, ts - base);
    this.pausedAt = Math.min(ts, store.endTs);
    this.shownBefore = base + offset;
    atOnce(r, () => (play ? r.play(offset) : r.pause(offset)));
    // after the rebuild: document.open() drops the window's listeners
    quietMedia(r.iframe.contentWindow);
    // Opening a modal dialog (or anything focusing an element) scrolls the
    // replayed page, which the recording never saw as a scroll: put the page
    // where it was at ts.
    putScroll(r, shown, ts);
    this.setStatus(play ? "playing" : "paused");
  }

  /**
   * Hands the current replayer a new segment. One replayer (and so one replay
   * iframe) serves every seek: creating one costs an iframe, and its CSS cache
   * would be lost. Its events are swapped in place and it forgets what it
   * played, so that the next pause/play replays from the segment's checkpoint
   * (and never takes rrweb's "forward seek after pause" shortcut).
   */
  private reseat(shown: eventWithTime[]): Replayer | null {
    const r = this.replayer;
    if (!r) return null;
    try {
      r.pause();
      r.setConfig({ skipInactive: false }); // leaves a fast-forward through inactivity
      // What a rebuild leaves in place: rrweb rebuilds with document.open(),
      // which keeps the Document, its web fonts and the style sheets it
      // adopted. Earlier segments' fonts and sheets are not this one's (its
      // own come back with its events).
      resetDocument(r.iframe.contentDocument);
      // nor the pointer position or selection an earlier segment left to show
      const rr = r as unknown as { mousePos: unknown; lastSelectionData: unknown };
      rr.mousePos = null;
      rr.lastSelectionData = null;
      const ctx = r.service.state.context as unknown as { events: eventWithTime[]; lastPlayedEvent: unknown };
      const held = ctx.events;
      held.length = 0;
      for (const e of shown) held.push(e);
      ctx.lastPlayedEvent = null;
      r.setConfig({ skipInactive: this.skipInactive });
      return r;
    } catch (err) {
      console.warn("playhead: cannot reuse the replayer", err);
      this.replayer = null;
      try {
        r.destroy();
      } catch {
        // gone already
      }
      return null;
    }
  }

  private create(shown: eventWithTime[]): Replayer {
    const root = this.o.root;
    claimedRoots.add(root);
    const prepared = preparedReplayers.get(root);
    preparedReplayers.delete(root);
    if (prepared) {
      // made ahead with no events: given this segment's as a later seek gives its own
      this.replayer = prepared;
      if (!this.reseat(shown)) return this.create(shown);
    }
    const r = prepared ?? newReplayer(root, shown);
    r.setConfig({ speed: this.speed, skipInactive: this.skipInactive });
    this.replayer = r;
    r.on("resize", (p) => {
      const d = p as { width?: number; height?: number } | undefined;
      if (d?.width && d.height) this.o.onResize(d.width, d.height);
    });
    r.on("skip-start", () => this.o.onSkip(true));
    r.on("skip-end", () => this.o.onSkip(false));
    r.on("finish", () => this.onFinish(r));
    this.o.onReplayer(r);
    return r;
  }

  /** Appends the loaded batches after the segment's end to the playing replayer. */
  private append(): void {
    const seg = this.seg;
    const r = this.replayer;
    if (!seg || !r) return;
    const store = this.store;
    let added = false;
    while (seg.endPos + 1 < store.size && store.has(seg.endPos + 1)) {
      seg.endPos++;
      for (const e of store.get(seg.endPos)!) {
        seg.ids.apply(e);
        r.addEvent(own(e));
      }
      added = true;
    }
    if (added && this.status === "buffering") {
      // rrweb stopped at the end of what it had: start again from a checkpoint
      void this.seek(this.pausedAt - store.startTs, true).catch((err) => this.o.onError(err));
    }
  }

  private onFinish(r: Replayer): void {
    // rrweb also says "finish" when a pause lands after the last event it holds
    if (r !== this.replayer || this.destroyed || this.status !== "playing") return;
    const seg = this.seg;
    if (!seg) return;
    const last = seg.events[seg.events.length - 1];
    const at = seg.base + r.getCurrentTime();
    if (last && at < last.timestamp - 100) {
      // a late timer of an earlier segment (rrweb cannot cancel it): carry on playing
      void this.seek(at - this.store.startTs, true).catch((err) => this.o.onError(err));
      return;
    }
    if (seg.endPos >= this.store.size - 1) {
      this.pausedAt = this.store.endTs;
      this.setStatus("ended");
      return;
    }
    // ran out of loaded events before the end of the session
    this.pausedAt = Math.min(this.store.endTs, seg.base + r.getCurrentTime());
    this.setStatus("buffering");
    const from = seg.endPos + 1;
    const gen = this.gen;
    this.store
      .ensure(from, from + 23)
      .then(() => {
        if (gen === this.gen && !this.destroyed) this.append();
      })
      .catch((err) => this.o.onError(err));
  }

  /** Drops played events from the segment (rrweb keeps every event it was given). */
  private trim(now: number): void {
    const ev = this.seg?.events;
    if (!ev || ev.length < TRIM_KEEP * 4) return;
    // keep events[0]: rrweb measures time from it
    let k = 1;
    const limit = ev.length - TRIM_KEEP;
    while (k < limit && ev[k]!.timestamp < now - 5000) k++;
    if (k <= TRIM_KEEP) return;
    const seg = this.seg!;
    const gone = ev.splice(1, k - 1 - TRIM_KEEP);
    for (const e of gone) noteSegmentEvent(seg, e);
    seg.dropped += gone.length;
  }

  /**
   * Keeps the store small: what is around the play head, the current
   * checkpoint's batches and the indexer's. Packing what goes takes up to
   * `ms` (then the rest waits for the next call): false when some is left.
   */
  evict(ms = Infinity): boolean {
    const store = this.store;
    if (store.eventCount <= MAX_STORE_EVENTS) return true;
    const now = this.status === "playing" ? this.nowTs() : this.pausedAt;
    const cp = this.o.checkpoints.best(now);
    const keepFrom = Math.min(cp ? cp.pos : 0, store.posAt(now - KEEP_BEHIND_MS));
    const keepTo = store.posAt(now + AHEAD_MS * Math.max(1, this.speed) + OPEN_AHEAD_MS);
    const [pf, pt] = this.pinned();
    const until = performance.now() + ms;
    return store.evict(
      (pos) => (pos >= keepFrom && pos <= keepTo) || (pos >= pf && pos <= pt),
      () => performance.now() < until,
    );
  }

  /** Evicts a slice now, the rest once the page is idle. */
  evictSoon(): void {
    if (!this.evict(EVICT_IDLE_MS)) this.evictWhenIdle();
  }

  /**
   * Evicts once the page is idle, after the frame a seek built is painted:
   * packing what goes (its JSON stringified and deflated, about 5 ms a seek
   * on the real 60-minute recording) is no part of showing the moment. After
   * the indexer or a long play, hundreds of batches can go at once (a
   * 200 ms task): they are packed a slice at a time, between the page's
   * other work.
   */
  private evictWhenIdle(): void {
    if (this.evictHandle) return;
    this.evictHandle = onIdle(() => {
      this.evictHandle = 0;
      if (!this.destroyed && !this.evict(EVICT_IDLE_MS)) this.evictWhenIdle();
    });
  }

  // ---- checkpoints at pauses -------------------------------------------------

  private cancelIdle(): void {
    if (this.idleHandle) cancelIdle(this.idleHandle);
    this.idleHandle = 0;
  }

  /**
   * While paused, the replayed DOM is exactly "every event before the play
   * head": a checkpoint there makes the next seek nearby, and resuming, cheap.
   */
  private scheduleCheckpoint(): void {
    this.cancelIdle();
    const r = this.replayer;
    const seg = this.seg;
    if (!r || !seg) return;
    const ts = this.pausedAt;
    const gen = this.gen;
    this.idleHandle = onIdle(() => {
      this.idleHandle = 0;
      if (gen !== this.gen || r !== this.replayer || this.status !== "paused" || this.destroyed) return;
      this.checkpointAt(r, seg, ts);
    });
  }

  private checkpointAt(r: Replayer, seg: Segment, ts: number): void {
    const store = this.store;
    const cps = this.o.checkpoints;
    const prev = cps.best(ts);
    if (prev && ts - prev.at < 2000) return; // one is close enough
    // the first event not shown: the checkpoint covers everything before it
    let pos = store.posAt(ts);
    const evs = store.get(pos);
    if (!evs) return;
    let idx = evs.findIndex((e) => e.timestamp >= ts);
    if (idx < 0) {
      pos++;
      idx = 0;
      if (pos >= store.size) return;
    }
    const firstAfter = pos < store.size ? store.get(pos)?.[idx] : undefined;
    const prevBatch = store.get(pos - 1);
    const lastBefore = idx > 0 ? evs[idx - 1] : prevBatch ? prevBatch[prevBatch.length - 1] : undefined;
    if (!lastBefore) return;
    if (firstAfter && firstAfter.timestamp <= lastBefore.timestamp) return;
    const doc = r.iframe.contentDocument;
    if (!doc) return;
    // worth it only if rebuilding from the previous checkpoint costs more than a few events
    let between = seg.dropped;
    for (const e of seg.events) if (e.timestamp > (prev?.at ?? 0) && e.timestamp < ts) between++;
    if (between < 60) return;
    const snap = serializeReplayDom(doc, r.getMirror() as unknown as NodeMirror);
    if (!snap) return;
    // the page's URL and what a snapshot cannot carry, as of ts
    const state = { href: seg.href, carry: [...seg.carry] } as Segment;
    for (let i = 1; i < seg.events.length; i++) {
      const e = seg.events[i]!;
      if (e.timestamp >= ts) break;
      noteSegmentEvent(state, e);
    }
    const { href, carry } = state;
    const width = Number(r.iframe.getAttribute("width")) || 0;
    const height = Number(r.iframe.getAttribute("height")) || 0;
    cps.addSynthetic(lastBefore.timestamp, pos, idx, { href, width, height, node: snap.node, initialOffset: snap.initialOffset, carry });
  }
}

/**
 * The event as rrweb may keep it: rrweb writes into the events it replays (a
 * `delay`, and a mutation's `removes` without the nodes it could not find),
 * and the same events are replayed again from other checkpoints.
 */
function own(e: eventWithTime): eventWithTime {
  if (e.type !== 3) return e.type === 2 || e.type === 4 ? e : { ...e };
  const d = e.data as { source?: number; removes?: unknown[] };
  return d.source === 0 ? ({ ...e, data: { ...e.data } } as eventWithTime) : { ...e };
}

const SRC_MOUSEMOVE = 1;
const SRC_MOUSE_INTERACTION = 2;
/** The mouse interactions rrweb moves the pointer to while applying events at once: mouse up, mouse down, click, touch start, touch end. */
const POINTER_INTERACTIONS = new Set([0, 1, 2, 7, 9]);
const SRC_SCROLL = 3;
const SRC_VIEWPORT = 4;
const SRC_INPUT = 5;
const SRC_TOUCHMOVE = 6;
const SRC_DRAG = 12;
const SRC_SELECTION = 14;

/**
 * The events with the ones before `ts` that a later event of the same kind
 * (for the same node) overrides left out. rrweb applies the events before the
 * shown moment in one go, where only the final scroll position and value of
 * each node count; every scroll it applies costs a layout.
 */
export function compactBefore(events: eventWithTime[], ts: number): eventWithTime[] {
  let end = 0;
  while (end < events.length && events[end]!.timestamp < ts) end++;
  if (end < 64) return events;
  const seen = new Set<string>();
  const keep: boolean[] = new Array<boolean>(end);
  for (let i = end - 1; i >= 0; i--) {
    const e = events[i]!;
    keep[i] = true;
    if (e.type !== 3) continue;
    const d = e.data as { source?: number; id?: number };
    let key: string | null = null;
    switch (d.source) {
      case SRC_SCROLL:
      case SRC_INPUT:
        key = `${d.source}:${d.id}`;
        break;
      case SRC_MOUSEMOVE:
      case SRC_TOUCHMOVE:
      case SRC_DRAG:
        key = "pointer";
        break;
      case SRC_SELECTION:
      case SRC_VIEWPORT:
        key = String(d.source);
        break;
    }
    if (key === null) continue;
    if (seen.has(key)) keep[i] = false;
    else seen.add(key);
  }
  // Scroll positions last, after the DOM they scroll is complete: each one forces a layout.
  const out: eventWithTime[] = [];
  const scrolls: eventWithTime[] = [];
  const lastTs = events[end - 1]!.timestamp;
  let full = -1; // scrolls before the last full snapshot are overridden by it
  for (let i = 0; i < end; i++) if (events[i]!.type === 2) full = i;
  for (let i = 0; i < end; i++) {
    if (!keep[i]) continue;
    const e = events[i]!;
    if (i > full && e.type === 3 && (e.data as { source?: number }).source === SRC_SCROLL) scrolls.push({ ...e, timestamp: lastTs });
    else out.push(e);
  }
  for (const e of scrolls) out.push(e);
  for (let i = end; i < events.length; i++) out.push(events[i]!);
  return out;
}

/**
 * The pointer's last position before ts, as rrweb keeps it while applying
 * events at once (a move's last position, or where a click, press or touch
 * was), and the last selection before ts.
 */
function pointerAndSelection(events: eventWithTime[], ts: number): { pointer: { x: number; y: number; id: number; debugData: unknown } | null; selection: unknown } {
  let pointer: { x: number; y: number; id: number; debugData: unknown } | null = null;
  let pointerTs = -Infinity;
  let selection: unknown = null;
  let selectionTs = -Infinity;
  for (const e of events) {
    if (e.type !== 3 || e.timestamp >= ts) continue;
    const d = e.data as { source?: number; type?: number; id?: number; x?: number; y?: number; positions?: { x: number; y: number; id: number }[] };
    if (d.source === SRC_MOUSEMOVE || d.source === SRC_TOUCHMOVE || d.source === SRC_DRAG) {
      const p = d.positions?.[d.positions.length - 1];
      if (p && e.timestamp >= pointerTs) {
        pointer = { x: p.x, y: p.y, id: p.id, debugData: d };
        pointerTs = e.timestamp;
      }
    } else if (d.source === SRC_MOUSE_INTERACTION && POINTER_INTERACTIONS.has(d.type ?? -1) && e.timestamp >= pointerTs) {
      pointer = { x: d.x || 0, y: d.y || 0, id: Number(d.id), debugData: d };
      pointerTs = e.timestamp;
    } else if (d.source === SRC_SELECTION && e.timestamp >= selectionTs) {
      selection = d;
      selectionTs = e.timestamp;
    }
  }
  return { pointer, selection };
}

/**
 * Runs `apply` (rrweb applying the events before a moment at once) with the
 * scrolls it makes held back until the end: each scroll makes the browser lay
 * the replayed page out there and then, and rrweb scrolls before its last
 * steps (a rebuilt page to the snapshot's offset before the events after it
 * change it; the pointer's hover classes, which restyle most of the page,
 * after every event). Held, the page is laid out once, when the first held
 * scroll (or putScroll) asks for it. Only the last scroll of each node is
 * applied, as rrweb would leave it.
 */
function atOnce(r: Replayer, apply: () => void): void {
  const rr = r as unknown as { applyScroll?: (d: ScrollData, isSync: boolean) => void };
  const own = rr.applyScroll;
  const w = r.iframe.contentWindow;
  if (typeof own !== "function" || !w) return apply();
  const held = new Map<number, ScrollData>();
  rr.applyScroll = (d, isSync) => {
    if (!isSync) return own.call(r, d, isSync);
    held.delete(d.id); // in the order of each node's last scroll
    held.set(d.id, d);
  };
  // the snapshot's own offset: putScroll puts the page there (or where a later scroll of it took it)
  const windowScroll = Object.getOwnPropertyDescriptor(w, "scrollTo");
  const skip = (): void => {};
  try {
    w.scrollTo = skip;
    apply();
  } finally {
    delete rr.applyScroll;
    if (w.scrollTo === skip) {
      if (windowScroll) Object.defineProperty(w, "scrollTo", windowScroll);
      else delete (w as { scrollTo?: unknown }).scrollTo;
    }
  }
  for (const d of held.values()) own.call(r, d, true);
}

interface ScrollData {
  id: number;
  x: number;
  y: number;
}

/** Scrolls the replayed page to where it was at ts, if it is not there (see build). */
function putScroll(r: Replayer, events: eventWithTime[], ts: number): void {
  const scroll = documentScroll(events, ts);
  if (!scroll) return;
  try {
    const w = r.iframe.contentWindow;
    if (w && (Math.round(w.scrollX) !== scroll.left || Math.round(w.scrollY) !== scroll.top)) w.scrollTo({ left: scroll.left, top: scroll.top, behavior: "instant" });
  } catch {
    // no window
  }
}

/** Where the page was scrolled at ts: the last full snapshot's offset, or a later scroll of its document. */
function documentScroll(events: eventWithTime[], ts: number): { left: number; top: number } | null {
  let pos: { left: number; top: number } | null = null;
  let docId = -1;
  for (const e of events) {
    if (e.timestamp >= ts) break;
    if (e.type === 2) {
      const d = e.data as { node?: { id?: number }; initialOffset?: { left?: number; top?: number } };
      docId = typeof d.node?.id === "number" ? d.node.id : -1;
      pos = { left: Number(d.initialOffset?.left) || 0, top: Number(d.initialOffset?.top) || 0 };
    } else if (e.type === 3) {
      const d = e.data as { source?: number; id?: number; x?: number; y?: number };
      if (d.source === SRC_SCROLL && d.id === docId) pos = { left: Number(d.x) || 0, top: Number(d.y) || 0 };
    }
  }
  return pos;
}

/** Follows the page URL and the events a FullSnapshot cannot carry (constructed sheets, fonts). */
function noteSegmentEvent(seg: Segment, e: eventWithTime): void {
  if (e.type === 4) seg.href = String((e.data as { href?: unknown }).href ?? seg.href);
  else if (e.type === 2) seg.carry = [];
  else if (e.type === 3) {
    const d = e.data as { source?: number; styleId?: unknown };
    if (d.source === 15 || ((d.source === 8 || d.source === 13) && d.styleId !== undefined)) seg.carry.push(e);
  }
}

/**
 * Clears the state a replay document keeps across rebuilds: its web fonts,
 * adopted style sheets and selection (collapsed into whatever node took the
 * place of the one it was in).
 */
function resetDocument(doc: Document | null): void {
  if (!doc) return;
  doc.fonts?.clear();
  if (doc.adoptedStyleSheets?.length) doc.adoptedStyleSheets = [];
  doc.getSelection()?.removeAllRanges();
}

/**
 * rrweb starts recorded media playing (`void media.play()`) and pauses it
 * again when it applies events up to a paused moment, or plays media whose
 * source was not captured: the promise it drops rejects (AbortError,
 * NotSupportedError) and would be logged as an uncaught error in this page's
 * console. Nothing else runs in the replay's window (no scripts), so those
 * rejections are rrweb's own and are silenced there.
 */
function quietMediaRejection(e: PromiseRejectionEvent): void {
  const name = (e.reason as { name?: unknown } | null)?.name;
  if (name === "AbortError" || name === "NotSupportedError" || name === "NotAllowedError") e.preventDefault();
}

/** Listens for rrweb's media rejections in a replay window (the same listener once, however often it is added). */
function quietMedia(w: Window | null): void {
  w?.addEventListener("unhandledrejection", quietMediaRejection);
}

const preparedReplayers = new WeakMap<HTMLElement, Replayer>();
/** Roots an engine has made or taken its replayer for: none is prepared there any more. */
const claimedRoots = new WeakSet<HTMLElement>();

/** A replayer with no events yet (rrweb allows none only in live mode, switched off right after). */
function newReplayer(root: HTMLElement, events: eventWithTime[]): Replayer {
  const r = new Replayer(events, {
    liveMode: !events.length,
    root,
    showWarning: false,
    showDebug: false,
    mouseTail: { duration: 600, lineCap: "round", lineWidth: 3, strokeStyle: "rgba(79, 70, 229, 0.55)" },
    UNSAFE_replayCanvas: false,
    triggerFocus: false,
    useVirtualDom: false, // see build()
    plugins: [realmFonts],
  });
  // (after the frame: the events applied with the snapshot, which may fill its iframes, included)
  r.on("fullsnapshot-rebuilded", () => finishSoon(r));
  if (!events.length) r.setConfig({ liveMode: false });
  return r;
}

/**
 * Makes the replayer (and its iframe, tens of milliseconds) for `root` ahead
 * of time, while the player's first requests are on their way; the engine
 * made for `root` later takes it.
 */
export function prepareReplayer(root: HTMLElement): void {
  window.setTimeout(() => {
    if (preparedReplayers.has(root) || claimedRoots.has(root) || !root.isConnected) return;
    try {
      preparedReplayers.set(root, newReplayer(root, []));
    } catch {
      // made when needed
    }
  }, 0);
}

/**
 * Ends the parse that rrweb leaves open in the documents it rebuilds (with
 * document.open()), here and in the iframes within. An open document is
 * still loading, and holds back the load event of every page above it: this
 * page's too, when the replay is built before it has loaded, for good. The
 * doctype written first keeps the document in the mode it is in: a parse
 * that ends without one switches to quirks mode (rrweb has written one
 * already for a recording in quirks mode, and a second is ignored).
 */
function finishSoon(r: Replayer): void {
  // once the frame is drawn: closing a document lays it out, as drawing it
  // does, and the first frame should not wait for that twice (a hidden page
  // draws no frame: at once)
  const finish = () => window.setTimeout(() => finishDocuments(r.iframe.contentDocument), 0);
  if (document.visibilityState === "hidden") finish();
  else requestAnimationFrame(finish);
}

/** Closes doc and the documents of its iframes that are still open. */
function finishDocuments(doc: Document | null | undefined): void {
  if (!doc) return;
  if (doc.readyState === "loading") {
    try {
      doc.write("<!DOCTYPE html>");
      doc.close();
    } catch {
      // a document this page may not write to: nothing of the replay
    }
  }
  for (const f of doc.querySelectorAll("iframe")) {
    try {
      finishDocuments(f.contentDocument);
    } catch {
      // cross-origin: not one the replay built
    }
  }
}

type IdleWindow = Window & {
  requestIdleCallback?: (cb: () => void, opts?: { timeout: number }) => number;
  cancelIdleCallback?: (h: number) => void;
};

function onIdle(cb: () => void): number {
  const w = window as IdleWindow;
  return w.requestIdleCallback ? w.requestIdleCallback(cb, { timeout: 1500 }) : window.setTimeout(cb, 200);
}

function cancelIdle(h: number): void {
  const w = window as IdleWindow;
  if (w.cancelIdleCallback) w.cancelIdleCallback(h);
  else window.clearTimeout(h);
}
