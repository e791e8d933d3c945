package recording_test

import (
	"cmp"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/ingest"
	"github.com/playhead/playhead/internal/testutil"
	"github.com/playhead/playhead/objects/file"
	"github.com/playhead/playhead/recording"
	"github.com/playhead/playhead/rrdom"
	"github.com/playhead/playhead/testdata"
)

// sealInStages ingests the real recording in stages, sealing each into a
// chunk of its own, and building the keyframes queued so far after the
// stages build says.
func sealInStages(t *testing.T, rs *recording.Store, in ingester, sid string, stages int, build func(stage int) bool) {
	t.Helper()
	events, err := testdata.Real60()
	if err != nil {
		t.Fatal(err)
	}
	batches := testdata.Batches(events, sid, 5000)
	per := (len(batches) + stages - 1) / stages
	for s := range stages {
		for _, body := range batches[s*per : min(len(batches), (s+1)*per)] {
			in.ingest(t, body)
		}
		if n, err := rs.SealIdle(t.Context(), 0); err != nil || n != 1 {
			t.Fatalf("stage %d: SealIdle = %d, %v; want 1 chunk", s, n, err)
		}
		if build(s) {
			if _, err := rs.BuildQueuedKeyframes(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// byTime sorts events by timestamp, keeping the order of equal ones, as
// rrweb's replayer plays them.
func byTime(t *testing.T, events [][]byte) ([][]byte, []int64) {
	t.Helper()
	type ev struct {
		raw []byte
		ts  int64
	}
	list := make([]ev, len(events))
	for i, e := range events {
		var h struct {
			Timestamp float64 `json:"timestamp"`
		}
		if err := json.Unmarshal(e, &h); err != nil {
			t.Fatal(err)
		}
		list[i] = ev{e, int64(h.Timestamp)}
	}
	slices.SortStableFunc(list, func(a, b ev) int { return cmp.Compare(a.ts, b.ts) })
	raws, ts := make([][]byte, len(list)), make([]int64, len(list))
	for i, e := range list {
		raws[i], ts[i] = e.raw, e.ts
	}
	return raws, ts
}

// TestServerKeyframesReplayTheSession seals the real 60-minute recording
// into four chunks, builds their keyframes (two chunks one by one, two in
// one job, so each builder starts from the chunk before's end state), and
// checks, for keyframes of every chunk, that the keyframe then the events
// after it replay the page the events from the start replay, node for
// node, right after the keyframe and at later moments. The keyframes are
// stored encrypted, survive compaction and go with the session.
func TestServerKeyframesReplayTheSession(t *testing.T) {
	in, rs, db, p := newStore(t)
	sid := "keyframesession1"
	sealInStages(t, rs, ingester{in, p}, sid, 4, func(stage int) bool { return stage != 2 })
	events, ts := byTime(t, readAll(t, rs, db, p.ID, sid))
	list, err := rs.Keyframes(t.Context(), p.ID, sid)
	if err != nil {
		t.Fatal(err)
	}
	minutes := float64(ts[len(ts)-1]-ts[0]) / 60000
	t.Logf("%d keyframes over %.1f minutes", len(list), minutes)
	if want := int(minutes * 60 / recording.KeyframeInterval.Seconds()); len(list) < want*8/10 || len(list) > want*2 {
		t.Fatalf("%d keyframes over %.1f minutes; want about one every %v (%d)", len(list), minutes, recording.KeyframeInterval, want)
	}
	objects := map[string]bool{}
	for i, k := range list {
		objects[k.ObjectKey] = true
		if i > 0 && k.Ts <= list[i-1].Ts {
			t.Fatalf("keyframes out of order: %d then %d", list[i-1].Ts, k.Ts)
		}
	}
	if len(objects) != 4 {
		t.Fatalf("keyframes in %d objects, want one beside each of the 4 chunks", len(objects))
	}

	// Each chunk's keyframes, first and last (its end state), and random ones.
	rng := rand.New(rand.NewPCG(1, 15))
	check := map[int]bool{0: true, len(list) - 1: true}
	for i, k := range list {
		if i+1 < len(list) && list[i+1].ObjectKey != k.ObjectKey {
			check[i], check[i+1] = true, true
		}
	}
	for range 6 {
		check[rng.IntN(len(list))] = true
	}
	whole := rrdom.NewTree()
	type replay struct {
		ts   int64
		tree *rrdom.Tree
		at   map[int]bool // event indexes to compare after
	}
	var replays []*replay
	next := 0
	for i, e := range events {
		if err := whole.Apply(e); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		for _, r := range replays {
			if ts[i] > r.ts {
				if err := r.tree.Apply(e); err != nil {
					t.Fatalf("event %d after the keyframe at %d: %v", i, r.ts, err)
				}
			}
			if r.at[i] {
				if err := rrdom.Diff(whole, r.tree); err != nil {
					t.Fatalf("keyframe at %d (+%.1f s), then the events to %d: %v", r.ts, float64(r.ts-ts[0])/1000, i, err)
				}
			}
		}
		if i+1 < len(events) && ts[i+1] == ts[i] {
			continue
		}
		for next < len(list) && list[next].Ts <= ts[i] {
			k := list[next]
			next++
			if k.Ts != ts[i] {
				t.Fatalf("keyframe at %d, a moment without an event", k.Ts)
			}
			if !check[next-1] {
				continue
			}
			kf, err := rs.Keyframe(t.Context(), p.ID, sid, k.Ts)
			if err != nil {
				t.Fatal(err)
			}
			tree := rrdom.NewTree()
			for j, e := range kf {
				if err := tree.Apply(e); err != nil {
					t.Fatalf("keyframe at %d, event %d: %v", k.Ts, j, err)
				}
				var h struct{ Timestamp int64 }
				if json.Unmarshal(e, &h); h.Timestamp != k.Ts {
					t.Fatalf("keyframe at %d holds an event at %d", k.Ts, h.Timestamp)
				}
			}
			if err := rrdom.Diff(whole, tree); err != nil {
				t.Fatalf("keyframe at %d (+%.1f s): %v", k.Ts, float64(k.Ts-ts[0])/1000, err)
			}
			r := &replay{ts: k.Ts, tree: tree, at: map[int]bool{len(events) - 1: true}}
			for _, d := range []int{1, 50, 400, 2000} {
				r.at[min(i+d, len(events)-1)] = true
			}
			replays = append(replays, r)
		}
	}
	if len(replays) < len(check)-1 {
		t.Fatalf("checked %d keyframes, want %d", len(replays), len(check))
	}

	// Encrypted like the chunks: no text of the page in the clear.
	if files := testutil.FilesHolding(t, rs.Objects.(*file.Store).Root, []byte("Northwind Ops")); len(files) > 0 {
		t.Fatalf("page text in the clear in %v", files)
	}

	// Compaction moves the chunks; the keyframes stay where they are.
	if st, err := rs.CompactProject(t.Context(), p.ID); err != nil || st.Chunks != 4 {
		t.Fatalf("CompactProject = %+v, %v", st, err)
	}
	again, err := rs.Keyframes(t.Context(), p.ID, sid)
	if err != nil || !slices.Equal(again, list) {
		t.Fatalf("keyframes after compaction: %d, %v; want the same %d", len(again), err, len(list))
	}
	if _, err := rs.Keyframe(t.Context(), p.ID, sid, list[len(list)/2].Ts); err != nil {
		t.Fatalf("a keyframe after compaction: %v", err)
	}
	if _, err := rs.Keyframe(t.Context(), p.ID, sid, list[0].Ts+1); playhead.ErrorCode(err) != playhead.ENOTFOUND {
		t.Fatalf("a keyframe at a moment without one: %v, want ENOTFOUND", err)
	}

	// Erased with the session, objects and rows.
	if err := rs.Erase(t.Context(), p.ID, sid); err != nil {
		t.Fatal(err)
	}
	if n := storedBytes(t, rs); n != 0 {
		t.Fatalf("%d bytes stored after erasure", n)
	}
	if left, _ := db.Keyframes(t.Context(), p.ID, sid); len(left) != 0 {
		t.Fatalf("%d keyframe rows after erasure", len(left))
	}
}

// ingester stores batch bodies as the SDK sent them.
type ingester struct {
	in *ingest.Ingester
	p  *playhead.Project
}

func (g ingester) ingest(t testing.TB, body []byte) {
	t.Helper()
	b, err := ingest.ParseBatch(body, ingest.DefaultLimits, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.in.Ingest(t.Context(), g.p, b, ingest.Origin{}); err != nil {
		t.Fatal(err)
	}
}
