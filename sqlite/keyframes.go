package sqlite

import (
	"context"
	"fmt"

	"github.com/playhead/playhead"
)

// AddKeyframes records keyframes built from a session's chunks, leaving
// those recorded already; ENOTFOUND when the session is gone.
func (db *DB) AddKeyframes(ctx context.Context, projectID int64, sessionID string, refs []playhead.KeyframeRef) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("add keyframes: %w", err)
	}
	defer tx.Rollback()
	var one int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sessions WHERE project_id = ? AND id = ?`, projectID, sessionID).Scan(&one); err != nil {
		return fmt.Errorf("add keyframes: %w", err)
	}
	if one == 0 {
		return playhead.Errorf(playhead.ENOTFOUND, "session %q not found", sessionID)
	}
	for _, r := range refs {
		_, err := tx.ExecContext(ctx, `INSERT INTO keyframes (project_id, session_id, ts, object_key, position) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, projectID, sessionID, r.Ts, r.ObjectKey, r.Position)
		if err != nil {
			return fmt.Errorf("add keyframes: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("add keyframes: %w", err)
	}
	return nil
}

// Keyframes returns a session's recorded keyframes by time.
func (db *DB) Keyframes(ctx context.Context, projectID int64, sessionID string) ([]playhead.KeyframeRef, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT ts, object_key, position FROM keyframes
		WHERE project_id = ? AND session_id = ? ORDER BY ts`, projectID, sessionID)
	if err != nil {
		return nil, fmt.Errorf("list keyframes: %w", err)
	}
	defer rows.Close()
	out := []playhead.KeyframeRef{}
	for rows.Next() {
		var r playhead.KeyframeRef
		if err := rows.Scan(&r.Ts, &r.ObjectKey, &r.Position); err != nil {
			return nil, fmt.Errorf("list keyframes: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
