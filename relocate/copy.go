package relocate

import (
	"context"
	"fmt"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/playhead/playhead"
)

// A copy writes rows in batches of at most batchRows rows or about
// batchBytes bytes (pending batches' data make some rows large).
const (
	batchRows  = 1000
	batchBytes = 16 << 20
)

// tableCopy is one table to copy and the columns both indexes have.
type tableCopy struct {
	name string
	cols []string
	// left are the source's columns the target lacks (PostgreSQL's claims
	// of background work, copied to SQLite): not copied.
	left []string
}

// plan returns the source's tables in the order they are copied, each with
// the columns the target has too.
func plan(ctx context.Context, from, to playhead.TableCopier) ([]tableCopy, error) {
	fromTables, err := from.Tables(ctx)
	if err != nil {
		return nil, fmt.Errorf("source index: %w", err)
	}
	toTables, err := to.Tables(ctx)
	if err != nil {
		return nil, fmt.Errorf("target index: %w", err)
	}
	ordered, err := copyOrder(fromTables)
	if err != nil {
		return nil, err
	}
	var out []tableCopy
	for _, t := range ordered {
		i := slices.IndexFunc(toTables, func(o playhead.Table) bool { return o.Name == t.Name })
		if i < 0 {
			return nil, fmt.Errorf("the target index has no table %s, which the source has", t.Name)
		}
		tc := tableCopy{name: t.Name}
		for _, c := range t.Columns {
			if slices.Contains(toTables[i].Columns, c) {
				tc.cols = append(tc.cols, c)
			} else {
				tc.left = append(tc.left, c)
			}
		}
		out = append(out, tc)
	}
	return out, nil
}

// copyIndex copies every row of the source index into the target.
func (mv *Move) copyIndex(ctx context.Context) error {
	from, to, err := mv.copiers()
	if err != nil {
		return err
	}
	tables, err := plan(ctx, from, to)
	if err != nil {
		return err
	}
	mv.counts.tables.Store(int64(len(tables)))
	for _, t := range tables {
		if len(t.left) > 0 && mv.Progress != nil {
			fmt.Fprintf(mv.Progress, "table %s: the target has no column %v, left behind\n", t.name, t.left)
		}
		var rows [][]any
		size := 0
		flush := func() error {
			if len(rows) == 0 {
				return nil
			}
			if err := to.WriteRows(ctx, t.name, t.cols, rows); err != nil {
				return err
			}
			mv.counts.rows.Add(int64(len(rows)))
			rows, size = nil, 0
			return nil
		}
		err := from.ReadTable(ctx, t.name, t.cols, func(row []any) error {
			rows = append(rows, row)
			for _, v := range row {
				switch v := v.(type) {
				case []byte:
					size += len(v)
				case string:
					size += len(v)
				}
			}
			if len(rows) >= batchRows || size >= batchBytes {
				return flush()
			}
			return nil
		})
		if err == nil {
			err = flush()
		}
		if err != nil {
			return fmt.Errorf("table %s: %w", t.name, err)
		}
		mv.counts.tablesDone.Add(1)
	}
	return nil
}

// listKeys returns every key of a store.
func listKeys(ctx context.Context, store playhead.ObjectLister) ([]string, error) {
	var keys []string
	err := store.List(ctx, "", func(key string) error {
		keys = append(keys, key)
		return nil
	})
	return keys, err
}

// copyObjects copies every object of the source store into the target,
// its bytes unchanged, several at once.
func (mv *Move) copyObjects(ctx context.Context) error {
	from, _, err := mv.listers()
	if err != nil {
		return err
	}
	keys, err := listKeys(ctx, from)
	if err != nil {
		return fmt.Errorf("list the source objects: %w", err)
	}
	mv.counts.objects.Store(int64(len(keys)))
	return each(ctx, mv.workers(), keys, func(ctx context.Context, key string) error {
		data, err := mv.From.Objects.Get(ctx, key)
		if err != nil {
			return fmt.Errorf("read %s: %w", key, err)
		}
		if err := mv.To.Objects.Put(ctx, key, data); err != nil {
			return fmt.Errorf("write %s: %w", key, err)
		}
		mv.counts.bytes.Add(int64(len(data)))
		mv.counts.objectsDone.Add(1)
		return nil
	})
}

// each calls fn for every item, workers at once, and returns the first
// error (the calls not started by then are not made).
func each[T any](ctx context.Context, workers int, items []T, fn func(ctx context.Context, item T) error) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for _, it := range items {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error { return fn(ctx, it) })
	}
	return g.Wait()
}
