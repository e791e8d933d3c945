package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/playhead/playhead"
)

var _ playhead.TableCopier = (*DB)(nil)

// SchemaVersion returns the number of the newest migration the database
// has applied.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := db.pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// Tables returns the tables of the current schema (schema_migrations
// aside) in the order they were created, with their columns (generated
// ones aside, which take no values) and the tables their foreign keys name.
func (db *DB) Tables(ctx context.Context) ([]playhead.Table, error) {
	rows, err := db.pool.Query(ctx, `SELECT c.relname::text,
		array(SELECT a.attname::text FROM pg_attribute a
			WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
			ORDER BY a.attnum),
		array(SELECT DISTINCT r.relname::text FROM pg_constraint f JOIN pg_class r ON r.oid = f.confrelid
			WHERE f.conrelid = c.oid AND f.contype = 'f' AND f.confrelid <> c.oid)
		FROM pg_class c
		WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
			AND c.relname <> 'schema_migrations'
		ORDER BY c.oid`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	tables, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (playhead.Table, error) {
		var t playhead.Table
		err := row.Scan(&t.Name, &t.Columns, &t.References)
		if len(t.References) == 0 {
			t.References = nil
		}
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	return tables, nil
}

// copyColumn is what WriteRows needs to know of a column.
type copyColumn struct {
	typ      string // the type's name: text, bytea, int8, …
	identity bool
}

// table checks that name is a table with cols and returns what WriteRows
// needs to know of cols.
func (db *DB) table(ctx context.Context, name string, cols []string) ([]copyColumn, error) {
	tables, err := db.Tables(ctx)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(tables, func(t playhead.Table) bool { return t.Name == name })
	if i < 0 {
		return nil, playhead.Errorf(playhead.EINVALID, "the index has no table %q", name)
	}
	for _, c := range cols {
		if !slices.Contains(tables[i].Columns, c) {
			return nil, playhead.Errorf(playhead.EINVALID, "table %s has no column %q", name, c)
		}
	}
	rows, err := db.pool.Query(ctx, `SELECT a.attname::text, t.typname::text, a.attidentity <> ''
		FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid JOIN pg_class c ON c.oid = a.attrelid
		WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = $1 AND a.attnum > 0 AND NOT a.attisdropped`, name)
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", name, err)
	}
	byName := map[string]copyColumn{}
	var col string
	var c copyColumn
	_, err = pgx.ForEachRow(rows, []any{&col, &c.typ, &c.identity}, func() error {
		byName[col] = c
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", name, err)
	}
	out := make([]copyColumn, len(cols))
	for i, col := range cols {
		out[i] = byName[col]
	}
	return out, nil
}

// CountRows returns how many rows a table holds.
func (db *DB) CountRows(ctx context.Context, table string) (int64, error) {
	if _, err := db.table(ctx, table, nil); err != nil {
		return 0, err
	}
	var n int64
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{table}.Sanitize()).Scan(&n); err != nil {
		return 0, fmt.Errorf("count rows of %s: %w", table, err)
	}
	return n, nil
}

// ReadTable calls fn with the values of cols of every row of table, by id
// when the table has an id column (the order rows were stored). Values are
// pgx's: int64, int32, string, []byte or nil.
func (db *DB) ReadTable(ctx context.Context, table string, cols []string, fn func(row []any) error) error {
	if _, err := db.table(ctx, table, cols); err != nil {
		return err
	}
	if len(cols) == 0 {
		return playhead.Errorf(playhead.EINVALID, "read table %s: no columns named", table)
	}
	tables, err := db.Tables(ctx)
	if err != nil {
		return err
	}
	order := ""
	for _, t := range tables {
		if t.Name == table && slices.Contains(t.Columns, "id") {
			order = " ORDER BY id"
		}
	}
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = pgx.Identifier{c}.Sanitize()
	}
	rows, err := db.pool.Query(ctx, `SELECT `+strings.Join(quoted, ", ")+` FROM `+pgx.Identifier{table}.Sanitize()+order)
	if err != nil {
		return fmt.Errorf("read table %s: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		row, err := rows.Values()
		if err != nil {
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

// WriteRows adds rows to table with COPY, in one transaction that also
// moves the sequence of each identity column written past the highest id
// the table holds, so that rows added later get new ids. Text that
// PostgreSQL refuses (NUL bytes, invalid UTF-8, which SQLite keeps) is
// stored as WriteGroup stores it, each bad byte as U+FFFD.
func (db *DB) WriteRows(ctx context.Context, table string, cols []string, rows [][]any) error {
	types, err := db.table(ctx, table, cols)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return nil
	}
	for _, row := range rows {
		if len(row) != len(cols) {
			return playhead.Errorf(playhead.EINVALID, "write rows of %s: a row of %d values for %d columns", table, len(row), len(cols))
		}
		for i, v := range row {
			row[i] = copyValue(types[i].typ, v)
		}
	}
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		for i, c := range cols {
			if !types[i].identity {
				continue
			}
			id := pgx.Identifier{c}.Sanitize()
			_, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, $2), max(`+id+`)) FROM `+pgx.Identifier{table}.Sanitize(),
				pgx.Identifier{table}.Sanitize(), c)
			if err != nil {
				return fmt.Errorf("move the sequence of %s past the ids copied: %w", c, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("write rows of %s: %w", table, err)
	}
	return nil
}

// copyValue converts a value another backend read into one a column of
// type typ takes: SQLite may hand text as bytes and the other way round.
func copyValue(typ string, v any) any {
	switch typ {
	case "text", "varchar":
		switch s := v.(type) {
		case string:
			return text(s)
		case []byte:
			return text(string(s))
		}
	case "bytea":
		if s, ok := v.(string); ok {
			return []byte(s)
		}
	}
	return v
}
