package sqlite

import (
	"path/filepath"
	"testing"
)

// TestInsertRowsOnce: the rows go in whole whatever their count (one
// statement up to the largest size, the last row repeated to fill it, which
// the statement leaves alone), and none twice.
func TestInsertRowsOnce(t *testing.T) {
	ctx := t.Context()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE rows_once (k INTEGER, v TEXT, UNIQUE (k))`); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 3, 4, 5, 17, 300, 513} {
		tx, err := db.begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		err = insertRowsOnce(ctx, tx, `INSERT INTO rows_once (k, v) VALUES `, 2, n, func(i int, args []any) []any {
			return append(args, i, "row")
		}, ` ON CONFLICT DO NOTHING`)
		if err != nil {
			t.Fatal(n, err)
		}
		var count, distinct, sum int
		if err := tx.QueryRowContext(ctx, `SELECT count(*), count(DISTINCT k), coalesce(sum(k), 0) FROM rows_once`).Scan(&count, &distinct, &sum); err != nil {
			t.Fatal(err)
		}
		if count != n || distinct != n || sum != n*(n-1)/2 {
			t.Errorf("%d rows: %d stored (%d distinct, keys adding up to %d)", n, count, distinct, sum)
		}
		tx.Rollback()
	}
}
