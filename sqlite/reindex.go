package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/playhead/playhead"
)

// LastSearchRow returns the id of the session's newest search row.
func (db *DB) LastSearchRow(ctx context.Context, projectID int64, sessionID string) (int64, error) {
	var id sql.NullInt64
	err := db.read.QueryRowContext(ctx, `SELECT max(id) FROM session_search WHERE project_id = ? AND session_id = ?`, projectID, sessionID).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("search rows of %s: %w", sessionID, err)
	}
	return id.Int64, nil
}

// ReplaceSearch replaces the session's search rows up to upTo with values,
// in one transaction taken like a group's (see playhead.SessionIndex).
func (db *DB) ReplaceSearch(ctx context.Context, projectID int64, sessionID string, values []playhead.SearchText, keys []byte, upTo int64) error {
	db.groups.Lock()
	defer db.groups.Unlock()
	tx, err := db.begin(ctx)
	if err != nil {
		return fmt.Errorf("replace search rows: %w", err)
	}
	defer tx.Rollback()
	var one int
	err = tx.QueryRowContext(ctx, `SELECT 1 FROM sessions WHERE project_id = ? AND id = ?`, projectID, sessionID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // erased meanwhile
	}
	if err != nil {
		return fmt.Errorf("replace search rows of %s: %w", sessionID, err)
	}
	want := make(map[int64]bool, len(values))
	for _, v := range values {
		want[v.Key()] = true
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, key FROM session_search WHERE project_id = ? AND session_id = ? AND id <= ?`, projectID, sessionID, upTo)
	if err != nil {
		return fmt.Errorf("replace search rows of %s: %w", sessionID, err)
	}
	var stale []int64
	for rows.Next() {
		var id, key int64
		if err := rows.Scan(&id, &key); err != nil {
			rows.Close()
			return fmt.Errorf("replace search rows of %s: %w", sessionID, err)
		}
		if !want[key] {
			stale = append(stale, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("replace search rows of %s: %w", sessionID, err)
	}
	// One by one through a prepared statement: the trigger takes each row
	// out of the trigram index too.
	del, err := tx.PrepareContext(ctx, `DELETE FROM session_search WHERE id = ?`)
	if err != nil {
		return fmt.Errorf("replace search rows of %s: %w", sessionID, err)
	}
	defer del.Close()
	for _, id := range stale {
		if _, err := del.ExecContext(ctx, id); err != nil {
			return fmt.Errorf("replace search rows of %s: %w", sessionID, err)
		}
	}
	batch := &playhead.IndexedBatch{ProjectID: projectID, SessionID: sessionID, Search: values}
	if err := writeSearch(ctx, tx, []*playhead.IndexedBatch{batch}); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO session_carry (project_id, session_id, search) VALUES (?, ?, ?)
		ON CONFLICT DO UPDATE SET search = excluded.search`, projectID, sessionID, keys); err != nil {
		return fmt.Errorf("replace the carried search keys of %s: %w", sessionID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("replace search rows of %s: commit: %w", sessionID, err)
	}
	return nil
}
