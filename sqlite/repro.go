package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/playhead/playhead"
)

var (
	_ playhead.SourceMapStore = (*DB)(nil)
	_ playhead.ShareStore     = (*DB)(nil)
)

// StoreKey stores k unless a key is stored under its name, and returns the
// stored one.
func (db *DB) StoreKey(ctx context.Context, k *playhead.DataKey) (*playhead.DataKey, error) {
	_, err := db.write.ExecContext(ctx, `INSERT INTO session_keys (project_id, session_id, master_key_id, wrapped) VALUES (?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, k.ProjectID, k.SessionID, k.MasterKeyID, k.Wrapped)
	if err != nil {
		return nil, fmt.Errorf("store data key: %w", err)
	}
	stored := &playhead.DataKey{ProjectID: k.ProjectID, SessionID: k.SessionID}
	err = db.write.QueryRowContext(ctx, `SELECT master_key_id, wrapped FROM session_keys WHERE project_id = ? AND session_id = ?`,
		k.ProjectID, k.SessionID).Scan(&stored.MasterKeyID, &stored.Wrapped)
	if err != nil {
		return nil, fmt.Errorf("store data key: %w", err)
	}
	return stored, nil
}

// PutSourceMap adds or replaces a release's source map.
func (db *DB) PutSourceMap(ctx context.Context, m *playhead.SourceMap) error {
	_, err := db.write.ExecContext(ctx, `INSERT INTO source_maps (project_id, app_release, name, object_key, size, uploaded_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (project_id, app_release, name) DO UPDATE SET
		object_key = excluded.object_key, size = excluded.size, uploaded_at = excluded.uploaded_at`,
		m.ProjectID, m.Release, m.Name, m.ObjectKey, m.Size, m.UploadedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("store source map: %w", err)
	}
	return nil
}

// SourceMaps lists a release's source maps by name.
func (db *DB) SourceMaps(ctx context.Context, projectID int64, release string) ([]*playhead.SourceMap, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT name, object_key, size, uploaded_at FROM source_maps
		WHERE project_id = ? AND app_release = ? ORDER BY name`, projectID, release)
	if err != nil {
		return nil, fmt.Errorf("list source maps: %w", err)
	}
	defer rows.Close()
	list := []*playhead.SourceMap{}
	for rows.Next() {
		m := &playhead.SourceMap{ProjectID: projectID, Release: release}
		var at int64
		if err := rows.Scan(&m.Name, &m.ObjectKey, &m.Size, &at); err != nil {
			return nil, fmt.Errorf("list source maps: %w", err)
		}
		m.UploadedAt = time.UnixMilli(at)
		list = append(list, m)
	}
	return list, rows.Err()
}

// DeleteRelease removes a release's source maps and key, queueing the
// deletion of their objects.
func (db *DB) DeleteRelease(ctx context.Context, projectID int64, release string) ([]string, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("delete release: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT object_key FROM source_maps WHERE project_id = ? AND app_release = ?`, projectID, release)
	if err != nil {
		return nil, fmt.Errorf("delete release: %w", err)
	}
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return nil, fmt.Errorf("delete release: %w", err)
		}
		keys = append(keys, k)
	}
	rows.Close()
	if _, err := tx.ExecContext(ctx, `DELETE FROM source_maps WHERE project_id = ? AND app_release = ?`, projectID, release); err != nil {
		return nil, fmt.Errorf("delete release: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM session_keys WHERE project_id = ? AND session_id = ?`, projectID, playhead.ReleaseKeyID(release)); err != nil {
		return nil, fmt.Errorf("delete release: %w", err)
	}
	jobs := make([]playhead.Job, len(keys))
	for i, k := range keys {
		jobs[i] = playhead.Job{Kind: playhead.JobDeleteObject, Key: k, ProjectID: projectID}
	}
	if err := addJobs(ctx, tx, jobs, time.Now()); err != nil {
		return nil, fmt.Errorf("delete release: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("delete release: %w", err)
	}
	return keys, nil
}

// ExpiredReleases returns releases past their project's retention that no
// session names.
func (db *DB) ExpiredReleases(ctx context.Context, now time.Time, limit int) ([]playhead.ReleaseRef, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT m.project_id, m.app_release FROM source_maps m JOIN projects p ON p.id = m.project_id
		GROUP BY m.project_id, m.app_release
		HAVING max(m.uploaded_at) < ?1 - max(p.retention_days) * 86400000
			AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.project_id = m.project_id AND s.app_release = m.app_release)
		LIMIT ?2`, now.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("find expired releases: %w", err)
	}
	defer rows.Close()
	var out []playhead.ReleaseRef
	for rows.Next() {
		var r playhead.ReleaseRef
		if err := rows.Scan(&r.ProjectID, &r.Release); err != nil {
			return nil, fmt.Errorf("find expired releases: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// CreateShareLink stores l and sets its ID.
func (db *DB) CreateShareLink(ctx context.Context, l *playhead.ShareLink) error {
	res, err := db.write.ExecContext(ctx, `INSERT INTO share_links (project_id, session_id, token_hash, start_at, created_by, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, l.ProjectID, l.SessionID, l.TokenHash, l.StartAt, l.CreatedBy, l.CreatedAt.UnixMilli(), l.ExpiresAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("create share link: %w", err)
	}
	l.ID, err = res.LastInsertId()
	return err
}

const shareColumns = `id, project_id, session_id, token_hash, start_at, created_by, created_at, expires_at, revoked_at, uses, last_used_at`

func scanShareLink(row interface{ Scan(...any) error }) (*playhead.ShareLink, error) {
	l := &playhead.ShareLink{}
	var created, expires, revoked, used int64
	if err := row.Scan(&l.ID, &l.ProjectID, &l.SessionID, &l.TokenHash, &l.StartAt, &l.CreatedBy, &created, &expires, &revoked, &l.Uses, &used); err != nil {
		return nil, err
	}
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
	l, err := scanShareLink(db.read.QueryRowContext(ctx, `SELECT `+shareColumns+` FROM share_links WHERE token_hash = ?`, tokenHash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, playhead.Errorf(playhead.ENOTFOUND, "share link not found")
	}
	if err != nil {
		return nil, fmt.Errorf("read share link: %w", err)
	}
	return l, nil
}

// ShareLinks lists a session's links, newest first.
func (db *DB) ShareLinks(ctx context.Context, projectID int64, sessionID string) ([]*playhead.ShareLink, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+shareColumns+` FROM share_links WHERE project_id = ? AND session_id = ? ORDER BY id DESC`, projectID, sessionID)
	if err != nil {
		return nil, fmt.Errorf("list share links: %w", err)
	}
	defer rows.Close()
	list := []*playhead.ShareLink{}
	for rows.Next() {
		l, err := scanShareLink(rows)
		if err != nil {
			return nil, fmt.Errorf("list share links: %w", err)
		}
		list = append(list, l)
	}
	return list, rows.Err()
}

// RevokeShareLink ends a link; a revoked link stays revoked at its first
// revocation time.
func (db *DB) RevokeShareLink(ctx context.Context, projectID, id int64, now time.Time) error {
	res, err := db.write.ExecContext(ctx, `UPDATE share_links SET revoked_at = CASE WHEN revoked_at = 0 THEN ? ELSE revoked_at END
		WHERE project_id = ? AND id = ?`, now.UnixMilli(), projectID, id)
	if err != nil {
		return fmt.Errorf("revoke share link: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return playhead.Errorf(playhead.ENOTFOUND, "share link %d not found", id)
	}
	return nil
}

// UseShareLink counts one use of a link.
func (db *DB) UseShareLink(ctx context.Context, id int64, now time.Time) error {
	_, err := db.write.ExecContext(ctx, `UPDATE share_links SET uses = uses + 1, last_used_at = ? WHERE id = ?`, now.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("count share link use: %w", err)
	}
	return nil
}
