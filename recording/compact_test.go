package recording_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/ingest"
	"github.com/playhead/playhead/keyring"
	"github.com/playhead/playhead/objects/file"
	"github.com/playhead/playhead/privacy"
	"github.com/playhead/playhead/recording"
	"github.com/playhead/playhead/sqlite"
	"github.com/playhead/playhead/testdata"
)

// ingestReal stores the first n events of the real recording as one session
// and returns the events as stored (scrubbed).
func ingestReal(t *testing.T, in *ingest.Ingester, p *playhead.Project, sid string, n int) [][]byte {
	t.Helper()
	events, err := testdata.Real60()
	if err != nil {
		t.Fatal(err)
	}
	events = events[:n]
	for i, body := range testdata.Batches(events, sid, 5000) {
		b, err := ingest.ParseBatch(body, ingest.DefaultLimits, now)
		if err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		if _, err := in.Ingest(t.Context(), p, b, ingest.Origin{}); err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
	}
	want := make([][]byte, len(events))
	for i, e := range events {
		want[i] = privacy.ScrubJSON(e.Raw, nil)
	}
	return want
}

// storedBytes counts the bytes of every stored object.
func storedBytes(t testing.TB, rs *recording.Store) int64 {
	return objectBytes(t, rs, func(string) bool { return true })
}

// chunkBytes counts the bytes of the stored chunks (not their keyframes).
func chunkBytes(t testing.TB, rs *recording.Store) int64 {
	return objectBytes(t, rs, func(name string) bool { return !strings.HasSuffix(name, ".kf") })
}

func objectBytes(t testing.TB, rs *recording.Store, counts func(name string) bool) int64 {
	t.Helper()
	var n int64
	root := rs.Objects.(*file.Store).Root
	filepath.Walk(root, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && !strings.HasPrefix(fi.Name(), ".tmp-") && counts(fi.Name()) {
			n += fi.Size()
		}
		return nil
	})
	return n
}

func readAll(t *testing.T, rs *recording.Store, db playhead.SessionIndex, projectID int64, sid string) [][]byte {
	t.Helper()
	refs, err := db.Batches(t.Context(), projectID, sid)
	if err != nil {
		t.Fatal(err)
	}
	got, err := rs.ReadEvents(t.Context(), projectID, sid, refs)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func sameEvents(t *testing.T, when string, got, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d events, want %d", when, len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("%s: event %d differs", when, i)
		}
	}
}

func TestSealIdleThenCompact(t *testing.T) {
	in, rs, db, p := newStore(t)
	want := ingestReal(t, in, p, "compactsession1", 3000)
	n, err := rs.SealIdle(t.Context(), 0)
	if err != nil || n != 1 {
		t.Fatalf("SealIdle = %d, %v; want 1 chunk", n, err)
	}
	sealed := chunkBytes(t, rs)
	sameEvents(t, "sealed", readAll(t, rs, db, p.ID, "compactsession1"), want)

	st, err := rs.CompactProject(t.Context(), p.ID)
	if err != nil || st.Chunks != 1 {
		t.Fatalf("CompactProject = %+v, %v; want 1 chunk", st, err)
	}
	compact := chunkBytes(t, rs)
	if st.Before != sealed || st.After != compact || compact > sealed*85/100 {
		t.Fatalf("compaction: %+v; stored %d bytes before, %d after: want at least 15%% smaller", st, sealed, compact)
	}
	sameEvents(t, "compacted", readAll(t, rs, db, p.ID, "compactsession1"), want)

	// A second pass finds nothing to do.
	if st, err := rs.Compact(t.Context(), p.ID, "compactsession1"); err != nil || st.Chunks != 0 {
		t.Fatalf("second Compact = %+v, %v; want nothing to do", st, err)
	}
}

func TestCompactErasedSession(t *testing.T) {
	in, rs, _, p := newStore(t)
	ingestReal(t, in, p, "compactsession2", 500)
	if _, err := rs.SealIdle(t.Context(), 0); err != nil {
		t.Fatal(err)
	}
	if err := rs.Erase(t.Context(), p.ID, "compactsession2"); err != nil {
		t.Fatal(err)
	}
	if st, err := rs.Compact(t.Context(), p.ID, "compactsession2"); st.Chunks != 0 {
		t.Fatalf("Compact of an erased session = %+v, %v", st, err)
	}
	if n := storedBytes(t, rs); n != 0 {
		t.Fatalf("%d bytes stored after erasure and compaction", n)
	}
}

func TestSealerCompactsQuietSessions(t *testing.T) {
	in, rs, db, p := newStore(t)
	want := ingestReal(t, in, p, "compactsession3", 3000)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Idle 0: every session is quiet at once (the clock is fixed).
		rs.RunSealer(ctx, playhead.SealPolicy{Idle: 0, MaxAge: time.Hour, MaxBytes: 1 << 40}, 20*time.Millisecond, nil)
	}()
	defer func() { cancel(); <-done }()
	var sealedAt int64
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		refs, err := db.Batches(t.Context(), p.ID, "compactsession3")
		if err != nil {
			t.Fatal(err)
		}
		if refs[len(refs)-1].ObjectKey != "" {
			if sealedAt == 0 {
				sealedAt = chunkBytes(t, rs)
			}
			// compacted: the chunk shrank under the same key
			if n := chunkBytes(t, rs); n < sealedAt*85/100 {
				sameEvents(t, "compacted in the background", readAll(t, rs, db, p.ID, "compactsession3"), want)
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the sealer did not compact the session within 30 s (sealed %d bytes, now %d)", sealedAt, chunkBytes(t, rs))
}

var now = time.UnixMilli(1795807228200).Add(time.Hour) // an hour after real60 starts

// newStore returns an ingester and a recording store over one fresh data
// directory, with a project.
func newStore(t testing.TB) (*ingest.Ingester, *recording.Store, *sqlite.DB, *playhead.Project) {
	t.Helper()
	dir := t.TempDir()
	db, err := sqlite.Open(t.Context(), filepath.Join(dir, "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	objects, err := file.New(filepath.Join(dir, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	p := &playhead.Project{Name: "Test", IngestKey: "phk_test"}
	if err := db.CreateProject(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	ring, _, err := keyring.Open(filepath.Join(dir, "keyring.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return now }
	keys := &keyring.DataKeys{Keyring: ring, Index: db}
	in := &ingest.Ingester{Index: db, Logger: logger, Now: clock, Keys: keys}
	t.Cleanup(in.Close)
	return in, &recording.Store{Objects: objects, Index: db, Keys: keys, Logger: logger, Now: clock}, db, p
}

// TestSealCutsChunksBySize: a session's consecutive batches go into one
// chunk whatever page loads (keyframes) they hold, up to MaxChunkEvents
// bytes of events; a missing batch cuts the run too.
func TestSealCutsChunksBySize(t *testing.T) {
	in, rs, db, p := newStore(t)
	g := ingester{in, p}
	const sid = "chunkcutsession1"
	// every batch a page load of about 900 KB: four fit in a chunk, a fifth does not
	text := strings.Repeat("x", 900<<10)
	ts := now.UnixMilli() - 60_000
	for _, seq := range []int{0, 1, 2, 3, 4, 5, 6, 7, 9, 10} {
		at := ts + int64(seq)*1000
		body := fmt.Appendf(nil, `{"v":1,"sid":%q,"seq":%d,"events":[`+
			`{"type":4,"timestamp":%d,"data":{"href":"https://shop.example/p%d","width":800,"height":600}},`+
			`{"type":2,"timestamp":%d,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":2,"id":2,"tagName":"html","attributes":{},"childNodes":[{"type":3,"id":3,"textContent":%q}]}]},"initialOffset":{"left":0,"top":0}}}]}`,
			sid, seq, at, seq, at+1, text)
		g.ingest(t, body)
	}
	want := readAll(t, rs, db, p.ID, sid)
	n, err := rs.Seal(t.Context(), p.ID, sid)
	if err != nil || n != 3 {
		t.Fatalf("Seal = %d, %v; want 3 chunks: batches 0-3, 4-7 (the size bound), 9-10 (after the missing 8)", n, err)
	}
	refs, err := db.Batches(t.Context(), p.ID, sid)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string][]int{}
	for _, r := range refs {
		keys[r.ObjectKey] = append(keys[r.ObjectKey], r.Seq)
	}
	for key, seqs := range keys {
		if key == "" || (len(seqs) != 4 && !slices.Equal(seqs, []int{9, 10})) {
			t.Errorf("chunk %q holds batches %v", key, seqs)
		}
	}
	sameEvents(t, "sealed", readAll(t, rs, db, p.ID, sid), want)
}
