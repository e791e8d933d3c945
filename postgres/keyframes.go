package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/playhead/playhead"
)

// AddKeyframes records keyframes built from a session's chunks, leaving
// those recorded already; ENOTFOUND when the session is gone. It holds the
// session's lock, as DeleteSession does, so that no row outlives an erasure.
func (db *DB) AddKeyframes(ctx context.Context, projectID int64, sessionID string, refs []playhead.KeyframeRef) error {
	sid := text(sessionID)
	ts := make([]int64, len(refs))
	keys := make([]string, len(refs))
	pos := make([]int64, len(refs))
	for i, r := range refs {
		ts[i], keys[i], pos[i] = r.Ts, r.ObjectKey, int64(r.Position)
	}
	found := false
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		lockSessions(b, []playhead.SessionRef{{ProjectID: projectID, SessionID: sid}})
		b.Queue(`SELECT EXISTS (SELECT 1 FROM sessions WHERE project_id = $1 AND id = $2)`, projectID, sid).QueryRow(func(row pgx.Row) error {
			return row.Scan(&found)
		})
		b.Queue(`INSERT INTO keyframes (project_id, session_id, ts, object_key, position)
			SELECT $1, $2, k.ts, k.key, k.pos FROM unnest($3::bigint[], $4::text[], $5::bigint[]) AS k(ts, key, pos)
			WHERE EXISTS (SELECT 1 FROM sessions WHERE project_id = $1 AND id = $2)
			ON CONFLICT DO NOTHING`, projectID, sid, ts, keys, pos)
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return fmt.Errorf("add keyframes: %w", err)
	}
	if !found {
		return playhead.Errorf(playhead.ENOTFOUND, "session %q not found", sessionID)
	}
	return nil
}

// Keyframes returns a session's recorded keyframes by time.
func (db *DB) Keyframes(ctx context.Context, projectID int64, sessionID string) ([]playhead.KeyframeRef, error) {
	rows, err := db.pool.Query(ctx, `SELECT ts, object_key, position FROM keyframes
		WHERE project_id = $1 AND session_id = $2 ORDER BY ts`, projectID, text(sessionID))
	if err != nil {
		return nil, fmt.Errorf("list keyframes: %w", err)
	}
	out := []playhead.KeyframeRef{}
	for rows.Next() {
		var r playhead.KeyframeRef
		var pos int64
		if err := rows.Scan(&r.Ts, &r.ObjectKey, &pos); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list keyframes: %w", err)
		}
		r.Position = int(pos)
		out = append(out, r)
	}
	return out, rows.Err()
}
