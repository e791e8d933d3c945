package recording_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/recording"
)

// failingDeletes is an object store whose deletes fail while down is set:
// an object store out of reach during an erasure.
type failingDeletes struct {
	playhead.ObjectStore
	down bool
}

func (f *failingDeletes) Delete(ctx context.Context, key string) error {
	if f.down {
		return errors.New("object store unreachable")
	}
	return f.ObjectStore.Delete(ctx, key)
}

// TestErasureFinishesAfterTheObjectStoreComesBack: an erasure whose chunk
// deletes fail still erases the session, and the chunks go later, by the
// job the erasure queued, run by another node.
func TestErasureFinishesAfterTheObjectStoreComesBack(t *testing.T) {
	in, rs, _, p := newStore(t)
	ingestReal(t, in, p, "erasejobsession1", 800)
	if n, err := rs.Seal(t.Context(), p.ID, "erasejobsession1"); err != nil || n == 0 {
		t.Fatalf("Seal = %d, %v", n, err)
	}
	down := &failingDeletes{ObjectStore: rs.Objects, down: true}
	first := &recording.Store{Objects: down, Index: rs.Index, Keys: rs.Keys, Logger: rs.Logger, Now: rs.Now}
	if err := first.Erase(t.Context(), p.ID, "erasejobsession1"); err != nil {
		t.Fatalf("Erase with the object store down = %v, want the session erased all the same", err)
	}
	if _, err := rs.Index.Session(t.Context(), p.ID, "erasejobsession1"); playhead.ErrorCode(err) != playhead.ENOTFOUND {
		t.Fatalf("session after erasure: %v", err)
	}
	if storedBytes(t, rs) == 0 {
		t.Fatal("the chunks went although deletes failed")
	}
	// Another node runs the jobs once the failed attempt's retry is due.
	jobsEmptyTheStore(t, rs, 2*time.Minute, "the erased session")
}

// jobsEmptyTheStore runs the jobs on another node whose clock is ahead by
// ahead, and fails unless the object store is empty within 10 s.
func jobsEmptyTheStore(t *testing.T, rs *recording.Store, ahead time.Duration, what string) {
	t.Helper()
	other := &recording.Store{Objects: rs.Objects, Index: rs.Index, Keys: rs.Keys, Logger: rs.Logger,
		Now: func() time.Time { return time.Now().Add(ahead) }}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); other.RunJobs(ctx, 10*time.Millisecond) }()
	defer func() { cancel(); <-done }()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if storedBytes(t, rs) == 0 {
			return
		}
	}
	t.Fatalf("%d bytes of %s still stored", storedBytes(t, rs), what)
}

// TestCompactionOutlivesItsNode: compaction queued by one node and never run
// there is done by another.
func TestCompactionOutlivesItsNode(t *testing.T) {
	in, rs, db, p := newStore(t)
	want := ingestReal(t, in, p, "compactjobsess01", 3000)
	if n, err := rs.Seal(t.Context(), p.ID, "compactjobsess01"); err != nil || n != 1 {
		t.Fatalf("Seal = %d, %v", n, err)
	}
	if err := rs.QueueCompaction(t.Context(), p.ID, "compactjobsess01"); err != nil {
		t.Fatal(err)
	}
	sealed := chunkBytes(t, rs)
	// The node that queued it stops here; another one's sealer picks it up.
	other := &recording.Store{Objects: rs.Objects, Index: rs.Index, Keys: rs.Keys, Logger: rs.Logger, Now: rs.Now}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		other.RunSealer(ctx, recording.DefaultSealPolicy, 20*time.Millisecond, nil)
	}()
	defer func() { cancel(); <-done }()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if chunkBytes(t, rs) < sealed*85/100 {
			sameEvents(t, "compacted by another node", readAll(t, rs, db, p.ID, "compactjobsess01"), want)
			return
		}
	}
	t.Fatalf("the queued compaction was not done by another node (sealed %d bytes, now %d)", sealed, chunkBytes(t, rs))
}

// TestChunksLiveUnderTheirRetentionPeriod: a chunk's key starts with the
// retention period its project had when it was sealed, for bucket
// lifecycle rules; chunks of either period read back alike.
func TestChunksLiveUnderTheirRetentionPeriod(t *testing.T) {
	in, rs, db, p := newStore(t)
	ingestReal(t, in, p, "retentionkeys001", 400)
	if _, err := rs.Seal(t.Context(), p.ID, "retentionkeys001"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetRetention(t.Context(), p.ID, 7); err != nil {
		t.Fatal(err)
	}
	want := ingestReal(t, in, p, "retentionkeys002", 800)
	later := &recording.Store{Objects: rs.Objects, Index: rs.Index, Keys: rs.Keys, Logger: rs.Logger, Now: rs.Now}
	if _, err := later.Seal(t.Context(), p.ID, "retentionkeys002"); err != nil {
		t.Fatal(err)
	}
	for sid, prefix := range map[string]string{"retentionkeys001": "r30/sessions/", "retentionkeys002": "r7/sessions/"} {
		refs, err := db.Batches(t.Context(), p.ID, sid)
		if err != nil || len(refs) == 0 {
			t.Fatalf("Batches(%s) = %v, %v", sid, refs, err)
		}
		for _, r := range refs {
			if !strings.HasPrefix(r.ObjectKey, prefix) {
				t.Fatalf("%s: chunk key %q, want it under %q", sid, r.ObjectKey, prefix)
			}
		}
	}
	sameEvents(t, "read from r7/", readAll(t, later, db, p.ID, "retentionkeys002"), want)
}

// TestCompactionWritesANewChunk: compaction never rewrites a chunk in
// place: the compact form gets a key of its own, the batches move to it,
// the old object goes, and a reader that listed the old key reads on.
func TestCompactionWritesANewChunk(t *testing.T) {
	in, rs, db, p := newStore(t)
	want := ingestReal(t, in, p, "immutablechunk01", 3000)
	if n, err := rs.Seal(t.Context(), p.ID, "immutablechunk01"); err != nil || n != 1 {
		t.Fatalf("Seal = %d, %v", n, err)
	}
	before, err := db.Batches(t.Context(), p.ID, "immutablechunk01")
	if err != nil {
		t.Fatal(err)
	}
	old := before[0].ObjectKey
	if st, err := rs.Compact(t.Context(), p.ID, "immutablechunk01"); err != nil || st.Chunks != 1 {
		t.Fatalf("Compact = %+v, %v", st, err)
	}
	after, _ := db.Batches(t.Context(), p.ID, "immutablechunk01")
	for _, r := range after {
		if r.ObjectKey == old || !strings.HasPrefix(r.ObjectKey, old) {
			t.Fatalf("batch %d after compaction lives in %q; want a new key beside %q", r.Seq, r.ObjectKey, old)
		}
	}
	if _, err := rs.Objects.Get(t.Context(), old); !errors.Is(err, playhead.ErrObjectNotFound) {
		t.Fatalf("the sealed chunk is still stored after compaction: %v", err)
	}
	got, err := rs.ReadEvents(t.Context(), p.ID, "immutablechunk01", before)
	if err != nil {
		t.Fatalf("reading with the refs listed before compaction: %v", err)
	}
	sameEvents(t, "stale refs", got, want)
	sameEvents(t, "fresh refs", readAll(t, rs, db, p.ID, "immutablechunk01"), want)
	if st, err := rs.Compact(t.Context(), p.ID, "immutablechunk01"); err != nil || st.Chunks != 0 {
		t.Fatalf("second Compact = %+v, %v; want nothing to do", st, err)
	}
}

// diesAfterPut stores objects and then fails, as a node would that died
// right after writing a chunk.
type diesAfterPut struct{ playhead.ObjectStore }

func (d diesAfterPut) Put(ctx context.Context, key string, data []byte) error {
	if err := d.ObjectStore.Put(ctx, key, data); err != nil {
		return err
	}
	return errors.New("the node died")
}

// TestChunkOfADeadSealerIsDeleted: a sealer that dies between writing a
// chunk and the index pointing at it leaves no object behind for good.
func TestChunkOfADeadSealerIsDeleted(t *testing.T) {
	in, rs, db, p := newStore(t)
	ingestReal(t, in, p, "deadsealer000001", 400)
	dying := &recording.Store{Objects: diesAfterPut{rs.Objects}, Index: rs.Index, Keys: rs.Keys, Logger: rs.Logger, Now: rs.Now}
	if _, err := dying.Seal(t.Context(), p.ID, "deadsealer000001"); err == nil {
		t.Fatal("Seal with a dying object store: no error")
	}
	if storedBytes(t, rs) == 0 {
		t.Fatal("the dying sealer wrote nothing; the test proves nothing")
	}
	if refs, _ := db.Batches(t.Context(), p.ID, "deadsealer000001"); refs[0].ObjectKey != "" {
		t.Fatal("the index points at the dead sealer's chunk")
	}
	jobsEmptyTheStore(t, rs, 3*time.Minute, "the dead sealer's chunk")
}

// TestSealedChunkOutlivesItsOrphanJob: the job that would delete a chunk
// nobody pointed at leaves it alone once the index does.
func TestSealedChunkOutlivesItsOrphanJob(t *testing.T) {
	in, rs, db, p := newStore(t)
	want := ingestReal(t, in, p, "sealedchunk00001", 400)
	dying := &recording.Store{Objects: diesAfterPut{rs.Objects}, Index: rs.Index, Keys: rs.Keys, Logger: rs.Logger, Now: rs.Now}
	dying.Seal(t.Context(), p.ID, "sealedchunk00001")
	// Another sealer seals the same batches, under the same key, before
	// the dead one's job is due.
	if n, err := rs.Seal(t.Context(), p.ID, "sealedchunk00001"); err != nil || n != 1 {
		t.Fatalf("Seal = %d, %v", n, err)
	}
	jobs, err := rs.Index.ClaimJobs(t.Context(), playhead.JobDeleteObject, time.Now().Add(time.Hour), time.Minute, 10)
	if err != nil || len(jobs) != 0 {
		t.Fatalf("delete jobs left after a good seal = %+v, %v", jobs, err)
	}
	sameEvents(t, "sealed", readAll(t, rs, db, p.ID, "sealedchunk00001"), want)
}
