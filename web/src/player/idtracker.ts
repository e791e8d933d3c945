// Follows which rrweb node ids exist while events are replayed, to repair one
// kind of mutation before rrweb applies it.
//
// rrweb inserts an added node before its recorded next sibling (`nextId`).
// When that sibling does not exist (its creation was in a batch that never
// arrived, or the recording is otherwise inconsistent), rrweb re-queues the
// node in a loop until a 500 ms timeout, for every such mutation: a session
// with missing batches then replays at a few events a second. Here an add
// whose `nextId` can never resolve gets no `nextId` (rrweb appends it to its
// parent instead). A consistent recording never has such adds, so nothing
// changes for it.

import type { eventWithTime } from "@rrweb/types";

interface SN {
  id?: number;
  childNodes?: SN[];
}

interface Add {
  parentId: number;
  nextId?: number | null;
  node: SN;
}

interface MutationData {
  source: number;
  adds?: Add[];
  removes?: { parentId: number; id: number }[];
}

const EV_FULL = 2;
const EV_INC = 3;

export class IdTracker {
  private parent = new Map<number, number>();
  private kids = new Map<number, Set<number>>();
  /** Adds repaired so far. */
  repaired = 0;

  has(id: number): boolean {
    return this.parent.has(id);
  }

  /** Notes one event (in replay order), repairing it first if needed. */
  apply(e: eventWithTime): void {
    if (e.type === EV_FULL) {
      this.parent.clear();
      this.kids.clear();
      const node = (e.data as { node?: SN }).node;
      if (node) this.addTree(node, -1);
      return;
    }
    if (e.type !== EV_INC) return;
    const d = e.data as unknown as MutationData;
    if (d.source !== 0) return;
    if (Array.isArray(d.removes)) for (const r of d.removes) if (r && typeof r.id === "number") this.remove(r.id);
    if (!Array.isArray(d.adds) || !d.adds.length) return;
    const adds = d.adds.filter((a) => a && a.node && typeof a.node.id === "number");
    // which of the added nodes can be placed: their parent exists or is placed in this mutation
    const placed = new Set<number>();
    let grew = true;
    for (let round = 0; grew && round < 50; round++) {
      grew = false;
      for (const a of adds) {
        const id = a.node.id!;
        if (placed.has(id)) continue;
        if (this.parent.has(a.parentId) || placed.has(a.parentId)) {
          placed.add(id);
          grew = true;
        }
      }
    }
    for (const a of adds) {
      const next = a.nextId;
      if (next !== null && next !== undefined && next !== -1 && !this.parent.has(next) && !placed.has(next)) {
        a.nextId = null; // rrweb would spin for 500 ms, then drop the node
        this.repaired++;
      }
    }
    for (const a of adds) if (placed.has(a.node.id!)) this.addTree(a.node, a.parentId);
  }

  private addTree(n: SN, parentId: number): void {
    if (typeof n.id !== "number") return;
    const old = this.parent.get(n.id);
    if (old !== undefined) this.kids.get(old)?.delete(n.id);
    this.parent.set(n.id, parentId);
    if (parentId !== -1) {
      let set = this.kids.get(parentId);
      if (!set) this.kids.set(parentId, (set = new Set()));
      set.add(n.id);
    }
    if (Array.isArray(n.childNodes)) for (const c of n.childNodes) this.addTree(c, n.id);
  }

  private remove(id: number): void {
    const p = this.parent.get(id);
    if (p === undefined) return;
    this.kids.get(p)?.delete(id);
    const stack = [id];
    while (stack.length) {
      const x = stack.pop()!;
      this.parent.delete(x);
      const k = this.kids.get(x);
      if (k) {
        for (const c of k) stack.push(c);
        this.kids.delete(x);
      }
    }
  }
}
