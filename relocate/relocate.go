// Package relocate moves a Playhead install to other storage backends (its
// index from SQLite to PostgreSQL, its recordings from a local directory to
// an S3 bucket, or any such pair) and proves the copy whole: the same rows
// in every table, the same bytes in every object, and the same events read
// back from every session's first and last batch.
//
// Rows and objects are copied as they are. Recordings stay encrypted with
// their sessions' data keys, which travel wrapped in the index rows; the
// master keys that unwrap them stay in the keyring file, which the moved
// install keeps using.
package relocate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/keyring"
)

// Install is the storage of one Playhead install.
type Install struct {
	Index   playhead.Index
	Objects playhead.ObjectStore
}

// Move copies an install's index, its objects, or both, to other backends.
// To.Index is From.Index when the index stays where it is, and To.Objects
// is From.Objects when the objects stay.
type Move struct {
	From, To Install
	// Keyring unwraps the data keys of both installs' sessions.
	Keyring *keyring.Keyring
	// Workers is how many objects are copied, and sessions read back, at
	// once (4 when zero).
	Workers int
	// Progress receives a line every ProgressEvery (a second when zero)
	// while a step runs; nil for none.
	Progress      io.Writer
	ProgressEvery time.Duration

	counts *counters // of the step under way
}

// counters are the figures a progress line shows.
type counters struct {
	tables, tablesDone    atomic.Int64
	rows                  atomic.Int64
	objects, objectsDone  atomic.Int64
	bytes                 atomic.Int64
	sessions, sessionsRun atomic.Int64
}

// movesIndex and movesObjects say which parts of the install move.
func (mv *Move) movesIndex() bool   { return mv.To.Index != mv.From.Index }
func (mv *Move) movesObjects() bool { return mv.To.Objects != mv.From.Objects }

func (mv *Move) workers() int {
	if mv.Workers <= 0 {
		return 4
	}
	return mv.Workers
}

// Check makes sure the move can be made: the backends can be copied, the
// two indexes are at the same schema version, and the targets are empty.
func (mv *Move) Check(ctx context.Context) error {
	if !mv.movesIndex() && !mv.movesObjects() {
		return errors.New("nothing to move: name a target index, a target object store, or both")
	}
	if mv.movesIndex() {
		from, to, err := mv.copiers()
		if err != nil {
			return err
		}
		if err := sameVersion(ctx, from, to); err != nil {
			return err
		}
		tables, err := to.Tables(ctx)
		if err != nil {
			return fmt.Errorf("target index: %w", err)
		}
		for _, t := range tables {
			n, err := to.CountRows(ctx, t.Name)
			if err != nil {
				return fmt.Errorf("target index: %w", err)
			}
			if n > 0 {
				return fmt.Errorf("the target index is not empty: its table %s holds %d row(s); "+
					"an install is moved into an empty index only (a new database, not one a Playhead has served)", t.Name, n)
			}
		}
	}
	if mv.movesObjects() {
		_, to, err := mv.listers()
		if err != nil {
			return err
		}
		var found string
		errFound := errors.New("found")
		err = to.List(ctx, "", func(key string) error { found = key; return errFound })
		if err != nil && !errors.Is(err, errFound) {
			return fmt.Errorf("target object store: %w", err)
		}
		if found != "" {
			return fmt.Errorf("the target object store is not empty: it holds %s, among others; "+
				"recordings are moved into an empty bucket or prefix only", found)
		}
	}
	return nil
}

// copiers returns both indexes as TableCopiers.
func (mv *Move) copiers() (from, to playhead.TableCopier, err error) {
	from, ok := mv.From.Index.(playhead.TableCopier)
	if !ok {
		return nil, nil, fmt.Errorf("the source index (%T) cannot be copied table by table", mv.From.Index)
	}
	to, ok = mv.To.Index.(playhead.TableCopier)
	if !ok {
		return nil, nil, fmt.Errorf("the target index (%T) cannot be copied into table by table", mv.To.Index)
	}
	return from, to, nil
}

// listers returns both object stores as ObjectListers.
func (mv *Move) listers() (from, to playhead.ObjectLister, err error) {
	from, ok := mv.From.Objects.(playhead.ObjectLister)
	if !ok {
		return nil, nil, fmt.Errorf("the source object store (%T) cannot list its objects", mv.From.Objects)
	}
	to, ok = mv.To.Objects.(playhead.ObjectLister)
	if !ok {
		return nil, nil, fmt.Errorf("the target object store (%T) cannot list its objects", mv.To.Objects)
	}
	return from, to, nil
}

// sameVersion refuses indexes whose schemas are at different migrations.
func sameVersion(ctx context.Context, from, to playhead.TableCopier) error {
	fv, err := from.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("source index: %w", err)
	}
	tv, err := to.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("target index: %w", err)
	}
	if fv != tv {
		return fmt.Errorf("the source index is at schema version %d and the target index at version %d: "+
			"both must be at the same version (open both with the same Playhead release)", fv, tv)
	}
	return nil
}

// Copy copies the index (when it moves) and then the objects (when they
// move). It stops at the first error; the targets then hold a partial copy,
// to be emptied before the next attempt.
func (mv *Move) Copy(ctx context.Context) error {
	if err := mv.Check(ctx); err != nil {
		return err
	}
	if mv.movesIndex() {
		stop := mv.report("copying the index")
		err := mv.copyIndex(ctx)
		stop()
		if err != nil {
			return fmt.Errorf("copy the index: %w", err)
		}
	}
	if mv.movesObjects() {
		stop := mv.report("copying objects")
		err := mv.copyObjects(ctx)
		stop()
		if err != nil {
			return fmt.Errorf("copy objects: %w", err)
		}
	}
	return nil
}

// report starts the counters of a step afresh and prints them every
// ProgressEvery until the returned function is called, which prints them
// once more.
func (mv *Move) report(step string) (stop func()) {
	mv.counts = &counters{}
	if mv.Progress == nil {
		return func() {}
	}
	every := mv.ProgressEvery
	if every <= 0 {
		every = time.Second
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprintf(mv.Progress, "%s: %s (done)\n", step, mv.counts.line())
				return
			case <-t.C:
				fmt.Fprintf(mv.Progress, "%s: %s\n", step, mv.counts.line())
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// line shows the counters of the steps under way.
func (c *counters) line() string {
	var parts []string
	if n := c.tables.Load(); n > 0 {
		parts = append(parts, fmt.Sprintf("tables %d/%d, rows %d", c.tablesDone.Load(), n, c.rows.Load()))
	}
	if n := c.objects.Load(); n > 0 {
		parts = append(parts, fmt.Sprintf("objects %d/%d, %s", c.objectsDone.Load(), n, sizeString(c.bytes.Load())))
	}
	if n := c.sessions.Load(); n > 0 {
		parts = append(parts, fmt.Sprintf("sessions %d/%d", c.sessionsRun.Load(), n))
	}
	if len(parts) == 0 {
		return "starting"
	}
	return strings.Join(parts, "; ")
}

// sizeString shows a byte count in binary units.
func sizeString(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// copyOrder returns tables so that each comes after the tables it refers
// to, keeping the given order otherwise.
func copyOrder(tables []playhead.Table) ([]playhead.Table, error) {
	var out []playhead.Table
	placed := map[string]bool{}
	for len(out) < len(tables) {
		progress := false
		for _, t := range tables {
			if placed[t.Name] {
				continue
			}
			ready := true
			for _, r := range t.References {
				if !placed[r] && slices.ContainsFunc(tables, func(o playhead.Table) bool { return o.Name == r }) {
					ready = false
				}
			}
			if ready {
				out = append(out, t)
				placed[t.Name] = true
				progress = true
			}
		}
		if !progress {
			return nil, errors.New("the index's tables refer to each other in a cycle")
		}
	}
	return out, nil
}
