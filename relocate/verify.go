package relocate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/keyring"
	"github.com/playhead/playhead/recording"
)

// maxShown is how many differences a Report keeps to show.
const maxShown = 10

// Report is what Verify found.
type Report struct {
	// Tables are the row counts of each table of the source index, and of
	// the same table in the target; none when the index did not move.
	Tables []TableCount
	// Objects and Bytes count the source's objects; zero when they did
	// not move.
	Objects int
	Bytes   int64
	// Sessions counts the sessions read back.
	Sessions int
	// Differences counts every difference found; Shown holds the first.
	Differences int
	Shown       []string

	mu sync.Mutex
}

// TableCount is the number of rows of one table in both indexes.
type TableCount struct {
	Table          string
	Source, Target int64
}

// differ records a difference.
func (r *Report) differ(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Differences++
	if len(r.Shown) < maxShown {
		r.Shown = append(r.Shown, fmt.Sprintf(format, args...))
	}
}

// Err returns an error naming the first differences, or nil when there
// are none.
func (r *Report) Err() error {
	if r.Differences == 0 {
		return nil
	}
	more := ""
	if r.Differences > len(r.Shown) {
		more = fmt.Sprintf("\n  … and %d more", r.Differences-len(r.Shown))
	}
	return fmt.Errorf("the copy differs from the source in %d places:\n  %s%s", r.Differences, strings.Join(r.Shown, "\n  "), more)
}

// Print writes a summary of the report.
func (r *Report) Print(w io.Writer) {
	for _, t := range r.Tables {
		mark := "ok"
		if t.Source != t.Target {
			mark = "DIFFERS"
		}
		fmt.Fprintf(w, "  table %-20s %10d rows, target %10d  %s\n", t.Table, t.Source, t.Target, mark)
	}
	if r.Objects > 0 {
		fmt.Fprintf(w, "  objects: %d (%s), each compared by SHA-256\n", r.Objects, sizeString(r.Bytes))
	}
	fmt.Fprintf(w, "  sessions read back at their first and last batch: %d\n", r.Sessions)
	if r.Differences == 0 {
		fmt.Fprintln(w, "  no differences")
	}
}

// Verify compares the target with the source: the row count of every
// table, the SHA-256 of every object, and, for every session, the events
// of its first and last batch read through the target's storage with the
// keyring (byte for byte the source's). Differences go in the report; an
// error means the comparison itself could not be made.
func (mv *Move) Verify(ctx context.Context) (*Report, error) {
	r := &Report{}
	if mv.movesIndex() {
		stop := mv.report("comparing tables")
		err := mv.verifyTables(ctx, r)
		stop()
		if err != nil {
			return nil, err
		}
	}
	if mv.movesObjects() {
		stop := mv.report("comparing objects")
		err := mv.verifyObjects(ctx, r)
		stop()
		if err != nil {
			return nil, err
		}
	}
	stop := mv.report("reading sessions back")
	err := mv.verifySessions(ctx, r)
	stop()
	if err != nil {
		return nil, err
	}
	return r, nil
}

// verifyTables compares the row counts of every table.
func (mv *Move) verifyTables(ctx context.Context, r *Report) error {
	from, to, err := mv.copiers()
	if err != nil {
		return err
	}
	if err := sameVersion(ctx, from, to); err != nil {
		return err
	}
	tables, err := plan(ctx, from, to)
	if err != nil {
		return err
	}
	mv.counts.tables.Store(int64(len(tables)))
	for _, t := range tables {
		tc := TableCount{Table: t.name}
		if tc.Source, err = from.CountRows(ctx, t.name); err != nil {
			return fmt.Errorf("source index: %w", err)
		}
		if tc.Target, err = to.CountRows(ctx, t.name); err != nil {
			return fmt.Errorf("target index: %w", err)
		}
		if tc.Source != tc.Target {
			r.differ("table %s: %d rows in the source, %d in the target", t.name, tc.Source, tc.Target)
		}
		r.Tables = append(r.Tables, tc)
		mv.counts.tablesDone.Add(1)
		mv.counts.rows.Add(tc.Source)
	}
	return nil
}

// verifyObjects lists both stores and compares their keys and the SHA-256
// of every object.
func (mv *Move) verifyObjects(ctx context.Context, r *Report) error {
	from, to, err := mv.listers()
	if err != nil {
		return err
	}
	fromKeys, err := listKeys(ctx, from)
	if err != nil {
		return fmt.Errorf("list the source objects: %w", err)
	}
	toKeys, err := listKeys(ctx, to)
	if err != nil {
		return fmt.Errorf("list the target objects: %w", err)
	}
	mv.counts.objects.Store(int64(len(fromKeys) + len(toKeys)))
	fromSums, err := mv.sums(ctx, mv.From.Objects, fromKeys)
	if err != nil {
		return fmt.Errorf("read the source objects: %w", err)
	}
	r.Objects, r.Bytes = len(fromKeys), mv.counts.bytes.Load()
	toSums, err := mv.sums(ctx, mv.To.Objects, toKeys)
	if err != nil {
		return fmt.Errorf("read the target objects: %w", err)
	}
	if len(fromKeys) != len(toKeys) {
		r.differ("objects: %d in the source, %d in the target", len(fromKeys), len(toKeys))
	}
	sort.Strings(fromKeys)
	for _, k := range fromKeys {
		want := fromSums[k]
		got, ok := toSums[k]
		switch {
		case !ok:
			r.differ("object %s: missing from the target", k)
		case got != want:
			r.differ("object %s: its SHA-256 differs (%x… in the source, %x… in the target)", k, want[:8], got[:8])
		}
	}
	sort.Strings(toKeys)
	for _, k := range toKeys {
		if _, ok := fromSums[k]; !ok {
			r.differ("object %s: in the target only", k)
		}
	}
	return nil
}

// sums reads the objects keys of store and returns their SHA-256.
func (mv *Move) sums(ctx context.Context, store playhead.ObjectStore, keys []string) (map[string][sha256.Size]byte, error) {
	var mu sync.Mutex
	out := make(map[string][sha256.Size]byte, len(keys))
	err := each(ctx, mv.workers(), keys, func(ctx context.Context, key string) error {
		data, err := store.Get(ctx, key)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		mu.Lock()
		out[key] = sum
		mu.Unlock()
		mv.counts.bytes.Add(int64(len(data)))
		mv.counts.objectsDone.Add(1)
		return nil
	})
	return out, err
}

// verifySessions reads every session's first and last batch back from both
// installs and compares the events.
func (mv *Move) verifySessions(ctx context.Context, r *Report) error {
	projects, err := mv.From.Index.Projects(ctx)
	if err != nil {
		return fmt.Errorf("source index: %w", err)
	}
	var sessions []playhead.SessionRef
	for _, p := range projects {
		f := playhead.SessionFilter{ProjectID: p.ID, Limit: 500}
		for {
			list, next, err := mv.From.Index.Sessions(ctx, f)
			if err != nil {
				return fmt.Errorf("source index: %w", err)
			}
			for _, s := range list {
				sessions = append(sessions, playhead.SessionRef{ProjectID: p.ID, SessionID: s.ID})
			}
			if next == "" {
				break
			}
			f.Before = next
		}
	}
	mv.counts.sessions.Store(int64(len(sessions)))
	r.Sessions = len(sessions)
	from, to := mv.recordings(mv.From), mv.recordings(mv.To)
	return each(ctx, mv.workers(), sessions, func(ctx context.Context, s playhead.SessionRef) error {
		defer mv.counts.sessionsRun.Add(1)
		return compareSession(ctx, r, from, to, s)
	})
}

// recordings returns a reader of an install's sessions.
func (mv *Move) recordings(in Install) *recording.Store {
	return &recording.Store{Objects: in.Objects, Index: in.Index, Keys: &keyring.DataKeys{Keyring: mv.Keyring, Index: in.Index}}
}

// compareSession compares the manifests of one session in both installs
// and the events of its first and last batch. Only a failure to reach
// the source's index is returned as an error: everything else is a
// difference.
func compareSession(ctx context.Context, r *Report, from, to *recording.Store, s playhead.SessionRef) error {
	fromRefs, err := from.Index.Batches(ctx, s.ProjectID, s.SessionID)
	if err != nil {
		return fmt.Errorf("source index: %w", err)
	}
	toRefs, err := to.Index.Batches(ctx, s.ProjectID, s.SessionID)
	if err != nil {
		r.differ("session %s: the target's batches: %v", s.SessionID, err)
		return nil
	}
	if len(fromRefs) != len(toRefs) {
		r.differ("session %s: %d batches in the source, %d in the target", s.SessionID, len(fromRefs), len(toRefs))
		return nil
	}
	if len(fromRefs) == 0 {
		return nil
	}
	ends := []int{0}
	if len(fromRefs) > 1 {
		ends = append(ends, len(fromRefs)-1)
	}
	for _, i := range ends {
		f, t := fromRefs[i], toRefs[i]
		if f.Seq != t.Seq || f.ObjectKey != t.ObjectKey || f.EventOffset != t.EventOffset || f.Events != t.Events {
			r.differ("session %s: batch %d is stored differently (%+v in the source, %+v in the target)", s.SessionID, f.Seq, f, t)
			continue
		}
		want, err := from.ReadEvents(ctx, s.ProjectID, s.SessionID, []playhead.BatchRef{f})
		if err != nil {
			r.differ("session %s: batch %d does not read back from the source: %v", s.SessionID, f.Seq, err)
			continue
		}
		got, err := to.ReadEvents(ctx, s.ProjectID, s.SessionID, []playhead.BatchRef{t})
		if err != nil {
			r.differ("session %s: batch %d does not read back from the target: %v", s.SessionID, t.Seq, err)
			continue
		}
		if !sameEvents(want, got) {
			r.differ("session %s: batch %d reads back different events from the target", s.SessionID, t.Seq)
		}
	}
	return nil
}

// sameEvents reports whether two lists of events are the same bytes.
func sameEvents(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
