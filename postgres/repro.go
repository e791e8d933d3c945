package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/playhead/playhead"
)

var (
	_ playhead.SourceMapStore = (*DB)(nil)
	_ playhead.ShareStore     = (*DB)(nil)
)

// StoreKey stores k unless a key is stored under its name, and returns the
// stored one.
func (db *DB) StoreKey(ctx context.Context, k *playhead.DataKey) (*playhead.DataKey, error) {
	stored := &playhead.DataKey{ProjectID: k.ProjectID, SessionID: k.SessionID}
	// The insert's RETURNING is empty when the row exists: read it then.
	err := db.pool.QueryRow(ctx, `WITH added AS (
			INSERT INTO session_keys (project_id, session_id, master_key_id, wrapped) VALUES ($1, $2, $3, $4)
			ON CONFLICT DO NOTHING RETURNING master_key_id, wrapped)
		SELECT master_key_id, wrapped FROM added
		UNION ALL SELECT master_key_id, wrapped FROM session_keys WHERE project_id = $1 AND session_id = $2
		LIMIT 1`, k.ProjectID, text(k.SessionID), k.MasterKeyID, k.Wrapped).Scan(&stored.MasterKeyID, &stored.Wrapped)
	if err != nil {
		return nil, fmt.Errorf("store data key: %w", err)
	}
	return stored, nil
}

// PutSourceMap adds or replaces a release's source map.
func (db *DB) PutSourceMap(ctx context.Context, m *playhead.SourceMap) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO source_maps (project_id, app_release, name, object_key, size, uploaded_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (project_id, app_release, name) DO UPDATE SET
		object_key = excluded.object_key, size = excluded.size, uploaded_at = excluded.uploaded_at`,
		m.ProjectID, text(m.Release), text(m.Name), m.ObjectKey, m.Size, m.UploadedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("store source map: %w", err)
	}
	return nil
}

// SourceMaps lists a release's source maps by name.
func (db *DB) SourceMaps(ctx context.Context, projectID int64, release string) ([]*playhead.SourceMap, error) {
	rows, err := db.pool.Query(ctx, `SELECT name, object_key, size, uploaded_at FROM source_maps
		WHERE project_id = $1 AND app_release = $2 ORDER BY name`, projectID, text(release))
	if err != nil {
		return nil, fmt.Errorf("list source maps: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*playhead.SourceMap, error) {
		m := &playhead.SourceMap{ProjectID: projectID, Release: release}
		var at int64
		err := row.Scan(&m.Name, &m.ObjectKey, &m.Size, &at)
		m.UploadedAt = time.UnixMilli(at)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("list source maps: %w", err)
	}
	if list == nil {
		list = []*playhead.SourceMap{}
	}
	return list, nil
}

// DeleteRelease removes a release's source maps and key, queueing the
// deletion of their objects.
func (db *DB) DeleteRelease(ctx context.Context, projectID int64, release string) ([]string, error) {
	var keys []string
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `DELETE FROM source_maps WHERE project_id = $1 AND app_release = $2 RETURNING object_key`, projectID, text(release))
		if err != nil {
			return err
		}
		if keys, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM session_keys WHERE project_id = $1 AND session_id = $2`, projectID, text(playhead.ReleaseKeyID(release))); err != nil {
			return err
		}
		jobs := make([]playhead.Job, len(keys))
		for i, k := range keys {
			jobs[i] = playhead.Job{Kind: playhead.JobDeleteObject, Key: k, ProjectID: projectID}
		}
		return addJobs(ctx, tx, jobs, time.Now())
	})
	if err != nil {
		return nil, fmt.Errorf("delete release: %w", err)
	}
	return keys, nil
}

// ExpiredReleases returns releases past their project's retention that no
// session names.
func (db *DB) ExpiredReleases(ctx context.Context, now time.Time, limit int) ([]playhead.ReleaseRef, error) {
	rows, err := db.pool.Query(ctx, `SELECT m.project_id, m.app_release FROM source_maps m JOIN projects p ON p.id = m.project_id
		GROUP BY m.project_id, m.app_release
		HAVING max(m.uploaded_at) < $1 - max(p.retention_days)::bigint * 86400000
			AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.project_id = m.project_id AND s.app_release = m.app_release)
		ORDER BY m.project_id, m.app_release LIMIT $2`, now.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("find expired releases: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (playhead.ReleaseRef, error) {
		var r playhead.ReleaseRef
		err := row.Scan(&r.ProjectID, &r.Release)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("find expired releases: %w", err)
	}
	return out, nil
}

// CreateShareLink stores l and sets its ID.
func (db *DB) CreateShareLink(ctx context.Context, l *playhead.ShareLink) error {
	err := db.pool.QueryRow(ctx, `INSERT INTO share_links (project_id, session_id, token_hash, start_at, created_by, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, l.ProjectID, text(l.SessionID), l.TokenHash, l.StartAt, text(l.CreatedBy),
		l.CreatedAt.UnixMilli(), l.ExpiresAt.UnixMilli()).Scan(&l.ID)
	if err != nil {
		return fmt.Errorf("create share link: %w", err)
	}
	return nil
}

const shareColumns = `id, project_id, session_id, token_hash, start_at, created_by, created_at, expires_at, revoked_at, uses, last_used_at`

func scanShareLink(row pgx.Row) (*playhead.ShareLink, error) {
	l := &playhead.ShareLink{}
	var created, expires, revoked, used, uses int64
	if err := row.Scan(&l.ID, &l.ProjectID, &l.SessionID, &l.TokenHash, &l.StartAt, &l.CreatedBy, &created, &expires, &revoked, &uses, &used); err != nil {
		return nil, err
	}
	l.Uses = int(uses)
	l.CreatedAt, l.ExpiresAt = time.UnixMilli(created), time.UnixMilli(expires)
	if revoked != 0 {
		t := time.UnixMilli(revoked)
		l.RevokedAt = &t
	}
	if used != 0 {
		t := time.UnixMilli(used)
		l.LastUsedAt = &t
	}
	return l, nil
}

// ShareLinkByToken returns the link of a token hash, or ENOTFOUND.
func (db *DB) ShareLinkByToken(ctx context.Context, tokenHash string) (*playhead.ShareLink, error) {
	l, err := scanShareLink(db.pool.QueryRow(ctx, `SELECT `+shareColumns+` FROM share_links WHERE token_hash = $1`, text(tokenHash)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, playhead.Errorf(playhead.ENOTFOUND, "share link not found")
	}
	if err != nil {
		return nil, fmt.Errorf("read share link: %w", err)
	}
	return l, nil
}

// ShareLinks lists a session's links, newest first.
func (db *DB) ShareLinks(ctx context.Context, projectID int64, sessionID string) ([]*playhead.ShareLink, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+shareColumns+` FROM share_links WHERE project_id = $1 AND session_id = $2 ORDER BY id DESC`, projectID, text(sessionID))
	if err != nil {
		return nil, fmt.Errorf("list share links: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*playhead.ShareLink, error) { return scanShareLink(row) })
	if err != nil {
		return nil, fmt.Errorf("list share links: %w", err)
	}
	if list == nil {
		list = []*playhead.ShareLink{}
	}
	return list, nil
}

// RevokeShareLink ends a link; a revoked link stays revoked at its first
// revocation time.
func (db *DB) RevokeShareLink(ctx context.Context, projectID, id int64, now time.Time) error {
	tag, err := db.pool.Exec(ctx, `UPDATE share_links SET revoked_at = CASE WHEN revoked_at = 0 THEN $1 ELSE revoked_at END
		WHERE project_id = $2 AND id = $3`, now.UnixMilli(), projectID, id)
	if err != nil {
		return fmt.Errorf("revoke share link: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return playhead.Errorf(playhead.ENOTFOUND, "share link %d not found", id)
	}
	return nil
}

// UseShareLink counts one use of a link.
func (db *DB) UseShareLink(ctx context.Context, id int64, now time.Time) error {
	if _, err := db.pool.Exec(ctx, `UPDATE share_links SET uses = uses + 1, last_used_at = $1 WHERE id = $2`, now.UnixMilli(), id); err != nil {
		return fmt.Errorf("count share link use: %w", err)
	}
	return nil
}
