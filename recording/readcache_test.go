package recording_test

import (
	"bytes"
	"context"
	"sync/atomic"
	"testing"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/recording"
)

// countingGets counts the reads of an object store.
type countingGets struct {
	playhead.ObjectStore
	gets atomic.Int64
}

func (c *countingGets) Get(ctx context.Context, key string) ([]byte, error) {
	c.gets.Add(1)
	return c.ObjectStore.Get(ctx, key)
}

// TestRepeatReadsUseTheDecodedChunk: a player reads a sealed session a few
// batches at a time; the chunk those batches are in is fetched and decoded
// once, whatever the callers do with what they got, and an erased session
// is not read from it.
func TestRepeatReadsUseTheDecodedChunk(t *testing.T) {
	in, base, db, p := newStore(t)
	objects := &countingGets{ObjectStore: base.Objects}
	rs := &recording.Store{Objects: objects, Index: db, Keys: base.Keys, Logger: base.Logger, Now: base.Now}
	const sid = "decodedchunk0001"
	want := ingestReal(t, in, p, sid, 3000)
	in.Close()
	if _, err := rs.Seal(t.Context(), p.ID, sid); err != nil {
		t.Fatal(err)
	}
	refs, err := db.Batches(t.Context(), p.ID, sid)
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) < 6 || refs[0].ObjectKey == "" || refs[0].ObjectKey != refs[5].ObjectKey {
		t.Fatalf("want a sealed chunk of 6 batches or more; refs %+v", refs[:min(len(refs), 6)])
	}
	read := func(from, to int) [][]byte {
		t.Helper()
		got, err := rs.ReadEvents(t.Context(), p.ID, sid, refs[from:to])
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	first := read(0, 3)
	gets := objects.gets.Load()
	// what a caller does with its answer is its own
	for i := range first {
		first[i] = []byte("changed")
	}
	again := read(0, 6)
	if objects.gets.Load() != gets {
		t.Errorf("reading the same chunk again fetched it %d more times", objects.gets.Load()-gets)
	}
	n := 0
	for _, r := range refs[:6] {
		n += r.Events
	}
	if len(again) != n {
		t.Fatalf("%d events, want %d", len(again), n)
	}
	for i, e := range again {
		if !bytes.Equal(e, want[i]) {
			t.Fatalf("event %d read again differs from the one stored:\n%.200s\n%.200s", i, e, want[i])
		}
	}
	// the server's keyframes, asked for one at a time
	if _, err := rs.BuildQueuedKeyframes(t.Context()); err != nil {
		t.Fatal(err)
	}
	kfs, err := rs.Keyframes(t.Context(), p.ID, sid)
	if err != nil || len(kfs) < 2 || kfs[0].ObjectKey != kfs[1].ObjectKey {
		t.Fatalf("want 2 keyframes or more from one chunk: %+v, %v", kfs, err)
	}
	k0, err := rs.Keyframe(t.Context(), p.ID, sid, kfs[0].Ts)
	if err != nil {
		t.Fatal(err)
	}
	gets = objects.gets.Load()
	k1, err := rs.Keyframe(t.Context(), p.ID, sid, kfs[1].Ts)
	if err != nil {
		t.Fatal(err)
	}
	if objects.gets.Load() != gets {
		t.Errorf("the next keyframe of the same chunk fetched its object again")
	}
	k0[0] = []byte("changed")
	if again, err := rs.Keyframe(t.Context(), p.ID, sid, kfs[0].Ts); err != nil || bytes.Equal(again[0], k0[0]) || len(k1) == 0 {
		t.Errorf("a keyframe read again: %v, first event %.80s", err, again[0])
	}

	// erased: gone for every reader, the decoded chunk too
	if err := rs.Erase(t.Context(), p.ID, sid); err != nil {
		t.Fatal(err)
	}
	if got, err := rs.ReadEvents(t.Context(), p.ID, sid, refs[:3]); err == nil {
		t.Errorf("an erased session read back %d events", len(got))
	}
}
