package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/playhead/playhead"
)

// SessionKey returns a session's wrapped data key, or ENOTFOUND.
func (db *DB) SessionKey(ctx context.Context, projectID int64, sessionID string) (*playhead.DataKey, error) {
	k := &playhead.DataKey{ProjectID: projectID, SessionID: sessionID}
	err := db.pool.QueryRow(ctx, `SELECT master_key_id, wrapped FROM session_keys WHERE project_id = $1 AND session_id = $2`,
		projectID, text(sessionID)).Scan(&k.MasterKeyID, &k.Wrapped)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, playhead.Errorf(playhead.ENOTFOUND, "session %s has no data key", sessionID)
	}
	if err != nil {
		return nil, fmt.Errorf("read data key: %w", err)
	}
	return k, nil
}

// SessionKeys lists wrapped data keys in (project, session) order after the
// cursor; next is nil on the last page.
func (db *DB) SessionKeys(ctx context.Context, after playhead.SessionKeyCursor, limit int) ([]*playhead.DataKey, *playhead.SessionKeyCursor, error) {
	rows, err := db.pool.Query(ctx, `SELECT project_id, session_id, master_key_id, wrapped FROM session_keys
		WHERE (project_id, session_id) > ($1, $2) ORDER BY project_id, session_id LIMIT $3`,
		after.ProjectID, text(after.SessionID), limitArg(limit))
	if err != nil {
		return nil, nil, fmt.Errorf("list data keys: %w", err)
	}
	keys, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*playhead.DataKey, error) {
		k := &playhead.DataKey{}
		err := row.Scan(&k.ProjectID, &k.SessionID, &k.MasterKeyID, &k.Wrapped)
		return k, err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list data keys: %w", err)
	}
	if len(keys) < limit || len(keys) == 0 {
		return keys, nil, nil
	}
	last := keys[len(keys)-1]
	return keys, &playhead.SessionKeyCursor{ProjectID: last.ProjectID, SessionID: last.SessionID}, nil
}

// RewrapSessionKeys stores re-wrapped keys in one statement, each only if
// its stored form is still k.Previous (a compare-and-swap: a key erased or
// re-wrapped meanwhile, by any node, is left alone).
func (db *DB) RewrapSessionKeys(ctx context.Context, keys []*playhead.DataKey) error {
	if len(keys) == 0 {
		return nil
	}
	var p []int64
	var s, m []string
	var wrapped, previous [][]byte
	for _, k := range keys {
		p, s, m = append(p, k.ProjectID), append(s, text(k.SessionID)), append(m, k.MasterKeyID)
		wrapped, previous = append(wrapped, k.Wrapped), append(previous, k.Previous)
	}
	_, err := db.pool.Exec(ctx, `UPDATE session_keys t SET master_key_id = k.m, wrapped = k.w
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bytea[], $5::bytea[]) AS k(p, s, m, w, prev)
		WHERE t.project_id = k.p AND t.session_id = k.s AND t.wrapped = k.prev`, p, s, m, wrapped, previous)
	if err != nil {
		return fmt.Errorf("rewrap data keys: %w", err)
	}
	return nil
}
