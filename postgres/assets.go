package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/playhead/playhead"
)

// AddAssetURLs queues URLs not seen before for capture.
func (db *DB) AddAssetURLs(ctx context.Context, projectID int64, urls []string, now time.Time) error {
	if len(urls) == 0 {
		return nil
	}
	p, u := make([]int64, len(urls)), make([]string, len(urls))
	for i, url := range urls {
		p[i], u[i] = projectID, text(url)
	}
	b := &pgx.Batch{}
	queueAssets(b, p, u, now.UnixMilli())
	if err := db.pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("queue assets: %w", err)
	}
	return nil
}

const assetColumns = `a.project_id, a.url, a.status, a.hash, a.content_type, a.size, a.error, a.attempts, a.next_attempt_at`

func scanAsset(row pgx.Row) (*playhead.AssetRecord, error) {
	a := &playhead.AssetRecord{}
	var next int64
	if err := row.Scan(&a.ProjectID, &a.URL, &a.Status, &a.Hash, &a.ContentType, &a.Size, &a.Error, &a.Attempts, &next); err != nil {
		return nil, err
	}
	a.NextAttempt = time.UnixMilli(next)
	return a, nil
}

func collectAssets(rows pgx.Rows) ([]*playhead.AssetRecord, error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*playhead.AssetRecord, error) { return scanAsset(row) })
}

// DueAssets returns pending assets whose next attempt is due and claims
// them as DueDeliveries claims deliveries: their next attempt moves
// claimLease past now, so no other node captures them meanwhile, and
// UpdateAsset stores the outcome. The assets are returned as they were
// before the claim.
func (db *DB) DueAssets(ctx context.Context, now time.Time, limit int) ([]*playhead.AssetRecord, error) {
	rows, err := db.pool.Query(ctx, `WITH due AS (
			SELECT `+assetColumns+` FROM assets a
			WHERE a.status = 'pending' AND a.next_attempt_at <= $1
			ORDER BY a.next_attempt_at LIMIT $2
			FOR UPDATE SKIP LOCKED
		), claimed AS (
			UPDATE assets c SET next_attempt_at = $3 FROM due WHERE c.project_id = due.project_id AND c.url = due.url
		)
		SELECT * FROM due a ORDER BY a.next_attempt_at`, now.UnixMilli(), limitArg(limit), lease(now))
	if err != nil {
		return nil, fmt.Errorf("find due assets: %w", err)
	}
	list, err := collectAssets(rows)
	if err != nil {
		return nil, fmt.Errorf("find due assets: %w", err)
	}
	return list, nil
}

// UpdateAsset stores the outcome of a capture attempt (which ends its
// claim).
func (db *DB) UpdateAsset(ctx context.Context, a *playhead.AssetRecord) error {
	_, err := db.pool.Exec(ctx, `UPDATE assets SET status = $1, hash = $2, content_type = $3, size = $4, error = $5,
		attempts = $6, next_attempt_at = $7 WHERE project_id = $8 AND url = $9`,
		text(a.Status), text(a.Hash), text(a.ContentType), a.Size, text(a.Error), a.Attempts, a.NextAttempt.UnixMilli(), a.ProjectID, text(a.URL))
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
	if len(urls) == 0 {
		return out, nil
	}
	// The result is keyed by the caller's URLs, which text may have
	// changed on the way in.
	byStored := make(map[string]string, len(urls))
	list := make([]string, len(urls))
	for i, u := range urls {
		list[i] = text(u)
		byStored[list[i]] = u
	}
	rows, err := db.pool.Query(ctx, `SELECT url, hash FROM assets WHERE project_id = $1 AND status = $2 AND url = ANY($3::text[])`,
		projectID, status, list)
	if err != nil {
		return nil, fmt.Errorf("look up assets: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var u, h string
		if err := rows.Scan(&u, &h); err != nil {
			return nil, fmt.Errorf("look up assets: %w", err)
		}
		out[byStored[u]] = h
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("look up assets: %w", err)
	}
	return out, nil
}

// AssetByHash returns a captured asset of a project, or ENOTFOUND.
func (db *DB) AssetByHash(ctx context.Context, projectID int64, hash string) (*playhead.AssetRecord, error) {
	a, err := scanAsset(db.pool.QueryRow(ctx, `SELECT `+assetColumns+` FROM assets a
		WHERE a.project_id = $1 AND a.hash = $2 AND a.status = 'captured' LIMIT 1`, projectID, text(hash)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, playhead.Errorf(playhead.ENOTFOUND, "asset %s not found", hash)
	}
	if err != nil {
		return nil, fmt.Errorf("look up asset: %w", err)
	}
	return a, nil
}

// Assets lists a project's asset URLs, the most recently queued first.
func (db *DB) Assets(ctx context.Context, projectID int64, limit int) ([]*playhead.AssetRecord, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+assetColumns+` FROM assets a WHERE a.project_id = $1 ORDER BY a.id DESC LIMIT $2`,
		projectID, limitArg(limit))
	if err != nil {
		return nil, fmt.Errorf("list assets: %w", err)
	}
	list, err := collectAssets(rows)
	if err != nil {
		return nil, fmt.Errorf("list assets: %w", err)
	}
	if list == nil {
		list = []*playhead.AssetRecord{}
	}
	return list, nil
}
