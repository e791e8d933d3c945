package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/playhead/playhead"
)

// CreateWebhook stores w and sets its ID.
func (db *DB) CreateWebhook(ctx context.Context, w *playhead.Webhook) error {
	if w.CreatedAt.IsZero() {
		w.CreatedAt = time.Now()
	}
	err := db.pool.QueryRow(ctx, `INSERT INTO webhooks (project_id, url, secret, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		w.ProjectID, text(w.URL), text(w.Secret), w.CreatedAt.UnixMilli()).Scan(&w.ID)
	if err != nil {
		return fmt.Errorf("create webhook: %w", err)
	}
	return nil
}

// Webhooks returns a project's webhooks, oldest first.
func (db *DB) Webhooks(ctx context.Context, projectID int64) ([]*playhead.Webhook, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, project_id, url, secret, created_at FROM webhooks WHERE project_id = $1 ORDER BY id`, projectID)
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*playhead.Webhook, error) {
		w := &playhead.Webhook{}
		var created int64
		err := row.Scan(&w.ID, &w.ProjectID, &w.URL, &w.Secret, &created)
		w.CreatedAt = time.UnixMilli(created)
		return w, err
	})
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	if list == nil {
		list = []*playhead.Webhook{}
	}
	return list, nil
}

// DeleteWebhook removes a webhook and its delivery log.
func (db *DB) DeleteWebhook(ctx context.Context, projectID, id int64) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM webhooks WHERE project_id = $1 AND id = $2`, projectID, id)
	if err != nil {
		return fmt.Errorf("delete webhook: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return playhead.Errorf(playhead.ENOTFOUND, "webhook %d not found", id)
	}
	return nil
}

const deliveryColumns = `d.id, d.webhook_id, d.event, d.session_id, d.ts, d.message, d.page_url, d.status, d.attempts,
	d.last_status, d.last_error, d.next_attempt_at, d.created_at, d.delivered_at`

func scanDelivery(row pgx.Row, extra ...any) (*playhead.Delivery, error) {
	d := &playhead.Delivery{}
	var next, created int64
	var delivered *int64
	dest := append([]any{&d.ID, &d.WebhookID, &d.Event, &d.SessionID, &d.Ts, &d.Message, &d.PageURL, &d.Status, &d.Attempts,
		&d.LastStatus, &d.LastError, &next, &created, &delivered}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	d.NextAttempt, d.CreatedAt = time.UnixMilli(next), time.UnixMilli(created)
	if delivered != nil {
		t := time.UnixMilli(*delivered)
		d.DeliveredAt = &t
	}
	return d, nil
}

// Deliveries returns a webhook's latest deliveries, newest first.
func (db *DB) Deliveries(ctx context.Context, projectID, webhookID int64, limit int) ([]*playhead.Delivery, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d
		JOIN webhooks w ON w.id = d.webhook_id WHERE w.project_id = $1 AND d.webhook_id = $2 ORDER BY d.id DESC LIMIT $3`,
		projectID, webhookID, limitArg(limit))
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*playhead.Delivery, error) { return scanDelivery(row) })
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	if list == nil {
		list = []*playhead.Delivery{}
	}
	return list, nil
}

// DueDeliveries returns pending deliveries whose next attempt is due, with
// their webhook, and claims them: their next attempt moves claimLease past
// now, so that no other node takes them while this one delivers, and comes
// due again by itself if this node dies. UpdateDelivery then stores the
// outcome, with the next attempt the deliverer chose. The deliveries are
// returned as they were before the claim. Rows another node is claiming at
// the same moment are skipped, not waited for.
func (db *DB) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]*playhead.Delivery, error) {
	rows, err := db.pool.Query(ctx, `WITH due AS (
			SELECT `+deliveryColumns+` FROM webhook_deliveries d
			WHERE d.status = 'pending' AND d.next_attempt_at <= $1
			ORDER BY d.next_attempt_at LIMIT $2
			FOR UPDATE SKIP LOCKED
		), claimed AS (
			UPDATE webhook_deliveries c SET next_attempt_at = $3 FROM due WHERE c.id = due.id
		)
		SELECT d.*, w.project_id, w.url, w.secret FROM due d JOIN webhooks w ON w.id = d.webhook_id
		ORDER BY d.next_attempt_at, d.id`, now.UnixMilli(), limitArg(limit), lease(now))
	if err != nil {
		return nil, fmt.Errorf("find due deliveries: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*playhead.Delivery, error) {
		w := &playhead.Webhook{}
		d, err := scanDelivery(row, &w.ProjectID, &w.URL, &w.Secret)
		if err != nil {
			return nil, err
		}
		w.ID = d.WebhookID
		d.Webhook = w
		return d, nil
	})
	if err != nil {
		return nil, fmt.Errorf("find due deliveries: %w", err)
	}
	return list, nil
}

// UpdateDelivery stores the outcome of an attempt (which ends its claim).
func (db *DB) UpdateDelivery(ctx context.Context, d *playhead.Delivery) error {
	var delivered *int64
	if d.DeliveredAt != nil {
		ms := d.DeliveredAt.UnixMilli()
		delivered = &ms
	}
	_, err := db.pool.Exec(ctx, `UPDATE webhook_deliveries SET status = $1, attempts = $2, last_status = $3, last_error = $4,
		next_attempt_at = $5, delivered_at = $6 WHERE id = $7`,
		text(d.Status), d.Attempts, d.LastStatus, text(d.LastError), d.NextAttempt.UnixMilli(), delivered, d.ID)
	if err != nil {
		return fmt.Errorf("update delivery: %w", err)
	}
	return nil
}

// Reports returns a project's bug reports, newest first, each with its
// session's error count.
func (db *DB) Reports(ctx context.Context, projectID int64, limit int) ([]*playhead.Report, error) {
	rows, err := db.pool.Query(ctx, `SELECT r.id, r.session_id, r.ts, r.text, r.contact_sealed, r.page_url, coalesce(s.errors, 0)
		FROM reports r LEFT JOIN sessions s ON s.project_id = r.project_id AND s.id = r.session_id
		WHERE r.project_id = $1 ORDER BY r.ts DESC, r.id DESC LIMIT $2`, projectID, limitArg(limit))
	if err != nil {
		return nil, fmt.Errorf("list reports: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*playhead.Report, error) {
		r := &playhead.Report{}
		err := row.Scan(&r.ID, &r.SessionID, &r.Ts, &r.Text, &r.ContactSealed, &r.PageURL, &r.Errors)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("list reports: %w", err)
	}
	if list == nil {
		list = []*playhead.Report{}
	}
	return list, nil
}
