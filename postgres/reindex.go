package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/playhead/playhead"
)

// LastSearchRow returns the id of the session's newest search row.
func (db *DB) LastSearchRow(ctx context.Context, projectID int64, sessionID string) (int64, error) {
	var id int64
	err := db.pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM session_search WHERE project_id = $1 AND session_id = $2`,
		projectID, text(sessionID)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("search rows of %s: %w", sessionID, err)
	}
	return id, nil
}

// ReplaceSearch replaces the session's search rows up to upTo with values,
// holding the session's lock as a group's write does (see
// playhead.SessionIndex).
func (db *DB) ReplaceSearch(ctx context.Context, projectID int64, sessionID string, values []playhead.SearchText, keys []byte, upTo int64) error {
	sid := text(sessionID)
	var p []int64
	var s, field, value []string
	key := []int64{} // never NULL: = ANY(NULL) would keep every row
	seen := make(map[int64]bool, len(values))
	for _, v := range values {
		k := v.Key()
		if seen[k] {
			continue
		}
		seen[k] = true
		p, s, field, value, key = append(p, projectID), append(s, sid), append(field, v.Field), append(value, text(v.Value)), append(key, k)
	}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		lockSessions(b, []playhead.SessionRef{{ProjectID: projectID, SessionID: sid}})
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		var held bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM sessions WHERE project_id = $1 AND id = $2)`, projectID, sid).Scan(&held); err != nil || !held {
			return err // erased meanwhile: nothing to replace
		}
		b = &pgx.Batch{}
		b.Queue(`DELETE FROM session_search WHERE project_id = $1 AND session_id = $2 AND id <= $3 AND NOT (key = ANY($4::bigint[]))`,
			projectID, sid, upTo, key)
		if len(p) > 0 {
			b.Queue(`INSERT INTO session_search (project_id, session_id, field, value, key)
				SELECT p, s, f, v, k FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[]) WITH ORDINALITY AS u(p, s, f, v, k, n) ORDER BY n
				ON CONFLICT (project_id, session_id, key) DO NOTHING`, p, s, field, value, key)
		}
		b.Queue(`INSERT INTO session_carry (project_id, session_id, search) VALUES ($1, $2, $3)
			ON CONFLICT (project_id, session_id) DO UPDATE SET search = excluded.search`, projectID, sid, keys)
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return fmt.Errorf("replace search rows of %s: %w", sessionID, err)
	}
	return nil
}
