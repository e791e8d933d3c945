package sqlite

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/playhead/playhead"
)

var _ playhead.TableCopier = (*DB)(nil)

// SchemaVersion returns the number of the newest migration the database
// has applied (PRAGMA user_version).
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := db.read.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// Tables returns the database's tables in the order they were created,
// with their columns and the tables their foreign keys name; full-text
// indexes aside.
func (db *DB) Tables(ctx context.Context) ([]playhead.Table, error) {
	// Full-text indexes (virtual tables and their shadow tables) are
	// left out: triggers fill them as the rows they index are written.
	rows, err := db.read.QueryContext(ctx, `SELECT s.name FROM sqlite_schema s
		JOIN pragma_table_list l ON l.schema = 'main' AND l.name = s.name AND l.type = 'table'
		WHERE s.type = 'table' AND s.name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY s.rowid`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	var tables []playhead.Table
	for rows.Next() {
		var t playhead.Table
		if err := rows.Scan(&t.Name); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list tables: %w", err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	for i := range tables {
		t := &tables[i]
		if t.Columns, err = db.pragmaNames(ctx, "SELECT name FROM pragma_table_info(?) ORDER BY cid", t.Name); err != nil {
			return nil, fmt.Errorf("columns of %s: %w", t.Name, err)
		}
		refs, err := db.pragmaNames(ctx, `SELECT DISTINCT "table" FROM pragma_foreign_key_list(?)`, t.Name)
		if err != nil {
			return nil, fmt.Errorf("foreign keys of %s: %w", t.Name, err)
		}
		for _, r := range refs {
			if r != t.Name {
				t.References = append(t.References, r)
			}
		}
	}
	return tables, nil
}

// pragmaNames runs a query of one text column on table and returns its
// values.
func (db *DB) pragmaNames(ctx context.Context, query, table string) ([]string, error) {
	rows, err := db.read.DB.QueryContext(ctx, query, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

// table checks that name is one of the database's tables and that it has
// cols, and returns it quoted for a statement, with cols quoted.
func (db *DB) table(ctx context.Context, name string, cols []string) (string, string, error) {
	tables, err := db.Tables(ctx)
	if err != nil {
		return "", "", err
	}
	i := slices.IndexFunc(tables, func(t playhead.Table) bool { return t.Name == name })
	if i < 0 {
		return "", "", playhead.Errorf(playhead.EINVALID, "the index has no table %q", name)
	}
	quoted := make([]string, len(cols))
	for j, c := range cols {
		if !slices.Contains(tables[i].Columns, c) {
			return "", "", playhead.Errorf(playhead.EINVALID, "table %s has no column %q", name, c)
		}
		quoted[j] = quoteName(c)
	}
	return quoteName(name), strings.Join(quoted, ", "), nil
}

// quoteName quotes an identifier for SQLite.
func quoteName(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// CountRows returns how many rows a table holds.
func (db *DB) CountRows(ctx context.Context, table string) (int64, error) {
	name, _, err := db.table(ctx, table, nil)
	if err != nil {
		return 0, err
	}
	var n int64
	if err := db.read.DB.QueryRowContext(ctx, `SELECT count(*) FROM `+name).Scan(&n); err != nil {
		return 0, fmt.Errorf("count rows of %s: %w", table, err)
	}
	return n, nil
}

// ReadTable calls fn with the values of cols of every row of table, in
// rowid order (the order rows were stored). Values are int64, float64,
// string, []byte or nil, as SQLite holds them.
func (db *DB) ReadTable(ctx context.Context, table string, cols []string, fn func(row []any) error) error {
	name, list, err := db.table(ctx, table, cols)
	if err != nil {
		return err
	}
	if len(cols) == 0 {
		return playhead.Errorf(playhead.EINVALID, "read table %s: no columns named", table)
	}
	rows, err := db.read.DB.QueryContext(ctx, `SELECT `+list+` FROM `+name+` ORDER BY rowid`)
	if err != nil {
		return fmt.Errorf("read table %s: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		row := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range row {
			ptrs[i] = &row[i]
		}
		// Scanning into *any copies []byte values: fn may keep them.
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("read table %s: %w", table, err)
		}
		if err := fn(row); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read table %s: %w", table, err)
	}
	return nil
}

// WriteRows adds rows to table in one transaction. A row that holds an
// INTEGER PRIMARY KEY keeps it, and SQLite gives later rows higher ones.
func (db *DB) WriteRows(ctx context.Context, table string, cols []string, rows [][]any) error {
	name, list, err := db.table(ctx, table, cols)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return nil
	}
	if len(cols) == 0 {
		return playhead.Errorf(playhead.EINVALID, "write rows of %s: no columns named", table)
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("write rows of %s: %w", table, err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO `+name+` (`+list+`) VALUES (?`+strings.Repeat(", ?", len(cols)-1)+`)`)
	if err != nil {
		return fmt.Errorf("write rows of %s: %w", table, err)
	}
	defer stmt.Close()
	for _, row := range rows {
		if len(row) != len(cols) {
			return playhead.Errorf(playhead.EINVALID, "write rows of %s: a row of %d values for %d columns", table, len(row), len(cols))
		}
		if _, err := stmt.ExecContext(ctx, row...); err != nil {
			return fmt.Errorf("write rows of %s: %w", table, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("write rows of %s: commit: %w", table, err)
	}
	return nil
}
