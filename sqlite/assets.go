package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/playhead/playhead"
)

var _ playhead.AssetStore = (*DB)(nil)

// AddAssetURLs queues URLs not seen before for capture.
func (db *DB) AddAssetURLs(ctx context.Context, projectID int64, urls []string, now time.Time) error {
	if len(urls) == 0 {
		return nil
	}
	tx, err := db.begin(ctx)
	if err != nil {
		return fmt.Errorf("queue assets: %w", err)
	}
	defer tx.Rollback()
	err = insertRows(ctx, tx, `INSERT INTO assets (project_id, url, status, next_attempt_at) VALUES `, 4, len(urls),
		func(i int, args []any) []any { return append(args, projectID, urls[i], "pending", now.UnixMilli()) },
		` ON CONFLICT DO NOTHING`)
	if err != nil {
		return fmt.Errorf("queue assets: %w", err)
	}
	return tx.Commit()
}

const assetColumns = `project_id, url, status, hash, content_type, size, error, attempts, next_attempt_at`

func scanAsset(row interface{ Scan(...any) error }) (*playhead.AssetRecord, error) {
	a := &playhead.AssetRecord{}
	var next int64
	if err := row.Scan(&a.ProjectID, &a.URL, &a.Status, &a.Hash, &a.ContentType, &a.Size, &a.Error, &a.Attempts, &next); err != nil {
		return nil, err
	}
	a.NextAttempt = time.UnixMilli(next)
	return a, nil
}

// DueAssets returns pending assets whose next attempt is due.
func (db *DB) DueAssets(ctx context.Context, now time.Time, limit int) ([]*playhead.AssetRecord, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+assetColumns+` FROM assets
		WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?`, now.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("find due assets: %w", err)
	}
	defer rows.Close()
	var list []*playhead.AssetRecord
	for rows.Next() {
		a, err := scanAsset(rows)
		if err != nil {
			return nil, fmt.Errorf("find due assets: %w", err)
		}
		list = append(list, a)
	}
	return list, rows.Err()
}

// UpdateAsset stores the outcome of a capture attempt.
func (db *DB) UpdateAsset(ctx context.Context, a *playhead.AssetRecord) error {
	_, err := db.write.ExecContext(ctx, `UPDATE assets SET status = ?, hash = ?, content_type = ?, size = ?, error = ?,
		attempts = ?, next_attempt_at = ? WHERE project_id = ? AND url = ?`,
		a.Status, a.Hash, a.ContentType, a.Size, a.Error, a.Attempts, a.NextAttempt.UnixMilli(), a.ProjectID, a.URL)
	if err != nil {
		return fmt.Errorf("update asset: %w", err)
	}
	return nil
}

// CapturedAssets maps those of urls that were captured to their hash.
func (db *DB) CapturedAssets(ctx context.Context, projectID int64, urls []string) (map[string]string, error) {
	return db.assetsIn(ctx, projectID, "captured", urls)
}

// PendingAssets returns those of urls that are still to be captured.
func (db *DB) PendingAssets(ctx context.Context, projectID int64, urls []string) (map[string]bool, error) {
	found, err := db.assetsIn(ctx, projectID, "pending", urls)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(found))
	for u := range found {
		out[u] = true
	}
	return out, nil
}

// assetsIn maps those of urls whose asset has the status to its hash.
func (db *DB) assetsIn(ctx context.Context, projectID int64, status string, urls []string) (map[string]string, error) {
	out := map[string]string{}
	for start := 0; start < len(urls); start += maxRowsPerStatement {
		end := min(len(urls), start+maxRowsPerStatement)
		q := `SELECT url, hash FROM assets WHERE project_id = ? AND status = ? AND url IN (?` + strings.Repeat(",?", end-start-1) + `)`
		args := []any{projectID, status}
		for _, u := range urls[start:end] {
			args = append(args, u)
		}
		rows, err := db.read.DB.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("look up assets: %w", err)
		}
		for rows.Next() {
			var u, h string
			if err := rows.Scan(&u, &h); err != nil {
				rows.Close()
				return nil, fmt.Errorf("look up assets: %w", err)
			}
			out[u] = h
		}
		rows.Close()
	}
	return out, nil
}

// AssetByHash returns a captured asset of a project, or ENOTFOUND.
func (db *DB) AssetByHash(ctx context.Context, projectID int64, hash string) (*playhead.AssetRecord, error) {
	a, err := scanAsset(db.read.QueryRowContext(ctx, `SELECT `+assetColumns+` FROM assets
		WHERE project_id = ? AND hash = ? AND status = 'captured' LIMIT 1`, projectID, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, playhead.Errorf(playhead.ENOTFOUND, "asset %s not found", hash)
	}
	if err != nil {
		return nil, fmt.Errorf("look up asset: %w", err)
	}
	return a, nil
}

// Assets lists a project's asset URLs, the most recently queued first.
func (db *DB) Assets(ctx context.Context, projectID int64, limit int) ([]*playhead.AssetRecord, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+assetColumns+` FROM assets WHERE project_id = ? ORDER BY rowid DESC LIMIT ?`, projectID, limit)
	if err != nil {
		return nil, fmt.Errorf("list assets: %w", err)
	}
	defer rows.Close()
	list := []*playhead.AssetRecord{}
	for rows.Next() {
		a, err := scanAsset(rows)
		if err != nil {
			return nil, fmt.Errorf("list assets: %w", err)
		}
		list = append(list, a)
	}
	return list, rows.Err()
}

// maxRowsPerStatement keeps a statement with one bound variable per row
// under SQLite's limit of bound variables (32766).
const maxRowsPerStatement = 2000
