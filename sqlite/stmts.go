package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"sync"
)

// The write path runs the same few statements for every group of batches.
// SQLite spends more time parsing and planning a short INSERT than running
// it, so the writer keeps its statements prepared: multi-row statements are
// cut into runs of a few fixed sizes (stmtSizes), which bounds how many
// distinct statements there are to keep.

// stmtSizes are the row counts multi-row statements are cut into, largest
// first; every count is a sum of them. The largest keeps the widest table
// (14 columns) far below SQLite's limit of 32766 bound variables.
var stmtSizes = []int{256, 64, 16, 4, 1}

// stmtCache holds statements prepared on the writer, by text.
type stmtCache struct {
	db   *sql.DB
	mu   sync.Mutex
	m    map[string]*sql.Stmt
	want map[string]bool // met inside a transaction, to prepare before the next
}

// prepared returns query as a statement of tx. database/sql reuses the
// writer connection's prepared statement inside the transaction. A query
// not prepared yet is prepared for tx alone and kept for the next
// transaction: preparing it on the writer's pool now would wait for the
// connection tx holds.
func (c *stmtCache) prepared(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	s := c.m[query]
	if s == nil {
		c.want[query] = true
	}
	c.mu.Unlock()
	if s == nil {
		return tx.PrepareContext(ctx, query)
	}
	return tx.StmtContext(ctx, s), nil
}

// warm prepares the statements wanted since the last call. It must run
// outside a transaction.
func (c *stmtCache) warm(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q := range c.want {
		s, err := c.db.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		c.m[q] = s
		delete(c.want, q)
	}
	return nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.m {
		s.Close()
	}
	c.m = map[string]*sql.Stmt{}
}

// wtx is a write transaction with the writer's statement cache.
type wtx struct {
	*sql.Tx
	stmts *stmtCache
}

// begin starts a write transaction.
func (db *DB) begin(ctx context.Context) (*wtx, error) {
	if err := db.stmts.warm(ctx); err != nil {
		return nil, err
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &wtx{Tx: tx, stmts: db.stmts}, nil
}

// rowsStatement returns prefix + n row tuples of width placeholders + suffix.
func rowsStatement(prefix string, width, n int, suffix string) string {
	one := "(" + strings.Repeat("?,", width-1) + "?)"
	var q strings.Builder
	q.Grow(len(prefix) + n*(len(one)+1) + len(suffix))
	q.WriteString(prefix)
	for i := range n {
		if i > 0 {
			q.WriteByte(',')
		}
		q.WriteString(one)
	}
	q.WriteString(suffix)
	return q.String()
}

// runs calls f for consecutive runs of rows [start, start+size) covering
// n rows, with sizes taken from stmtSizes.
func runs(n int, f func(start, size int) error) error {
	start := 0
	for _, size := range stmtSizes {
		for n-start >= size {
			if err := f(start, size); err != nil {
				return err
			}
			start += size
		}
	}
	return nil
}

// rows returns the statement for size rows and the values of rows
// [start, start+size).
func (tx *wtx) rows(ctx context.Context, prefix string, width, start, size int, suffix string, row func(i int, args []any) []any) (*sql.Stmt, []any, error) {
	s, err := tx.stmts.prepared(ctx, tx.Tx, rowsStatement(prefix, width, size, suffix))
	if err != nil {
		return nil, nil, err
	}
	args := make([]any, 0, size*width)
	for i := start; i < start+size; i++ {
		args = row(i, args)
	}
	return s, args, nil
}

// insertRows runs prefix + "(?,…),(?,…)…" + suffix over n rows, with
// prepared statements; row appends row i's values.
func insertRows(ctx context.Context, tx *wtx, prefix string, width, n int, row func(i int, args []any) []any, suffix string) error {
	return runs(n, func(start, size int) error {
		s, args, err := tx.rows(ctx, prefix, width, start, size, suffix, row)
		if err != nil {
			return err
		}
		_, err = s.ExecContext(ctx, args...)
		return err
	})
}

// insertRowsOnce is insertRows for a statement that leaves a row alone
// when it is there already (ON CONFLICT DO NOTHING): up to the largest
// size, the rows go in one statement, the last repeated up to its size.
// Every statement of a transaction that writes to a full-text index first
// writes out what the earlier ones left in the index's memory, as a
// segment of its own, which later merges read and write again: one
// statement makes one segment per commit.
func insertRowsOnce(ctx context.Context, tx *wtx, prefix string, width, n int, row func(i int, args []any) []any, suffix string) error {
	for start := 0; start < n; start += stmtSizes[0] {
		count := min(n-start, stmtSizes[0])
		size := stmtSizes[0]
		for _, s := range stmtSizes { // largest first: the last that holds count is the smallest
			if s >= count {
				size = s
			}
		}
		s, args, err := tx.rows(ctx, prefix, width, 0, size, suffix, func(i int, args []any) []any {
			return row(start+min(i, count-1), args)
		})
		if err != nil {
			return err
		}
		if _, err := s.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// selectRows runs prefix + "(?,…),…" + suffix over n keys, with prepared
// statements, and calls scan for every row. Keys are looked up by joining
// a VALUES list (prefix ends in "FROM (VALUES ", suffix joins it as k on
// k.column1, …): SQLite then searches the primary key with every column,
// where "(a, b) IN (VALUES …)" searches by the first column only.
func selectRows(ctx context.Context, tx *wtx, prefix string, width, n int, suffix string, key func(i int, args []any) []any, scan func(*sql.Rows) error) error {
	return runs(n, func(start, size int) error {
		s, args, err := tx.rows(ctx, prefix, width, start, size, suffix, key)
		if err != nil {
			return err
		}
		rows, err := s.QueryContext(ctx, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return err
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		return rows.Err()
	})
}

// readPool is the pool of read connections, which keeps the statements it
// runs prepared as the writer does: a player's requests run the same few
// queries (a session, its batches, its keyframes) again and again, and
// SQLite would parse and plan each anew. Query texts that vary with their
// arguments (search, IN lists) would make the cache grow without end: past
// maxReadStmts distinct texts a query runs unprepared.
type readPool struct {
	*sql.DB
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// maxReadStmts bounds the statements a readPool keeps prepared.
const maxReadStmts = 256

func newReadPool(db *sql.DB) *readPool { return &readPool{DB: db, stmts: map[string]*sql.Stmt{}} }

// stmt returns query prepared, or nil when it cannot be kept (the cache is
// full, or preparing it failed: running it unprepared then reports why).
func (p *readPool) stmt(ctx context.Context, query string) *sql.Stmt {
	p.mu.Lock()
	s, ok := p.stmts[query]
	full := len(p.stmts) >= maxReadStmts
	p.mu.Unlock()
	if ok || full {
		return s
	}
	s, err := p.DB.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if prev, ok := p.stmts[query]; ok || len(p.stmts) >= maxReadStmts {
		s.Close()
		return prev
	}
	p.stmts[query] = s
	return s
}

func (p *readPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := p.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return p.DB.QueryContext(ctx, query, args...)
}

func (p *readPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := p.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return p.DB.QueryRowContext(ctx, query, args...)
}

// Close closes the statements, then the pool.
func (p *readPool) Close() error {
	p.mu.Lock()
	for _, s := range p.stmts {
		s.Close()
	}
	p.stmts = map[string]*sql.Stmt{}
	p.mu.Unlock()
	return p.DB.Close()
}
