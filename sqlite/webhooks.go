package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/playhead/playhead"
)

var _ playhead.WebhookStore = (*DB)(nil)

// CreateWebhook stores w and sets its ID.
func (db *DB) CreateWebhook(ctx context.Context, w *playhead.Webhook) error {
	if w.CreatedAt.IsZero() {
		w.CreatedAt = time.Now()
	}
	res, err := db.write.ExecContext(ctx, `INSERT INTO webhooks (project_id, url, secret, created_at) VALUES (?, ?, ?, ?)`,
		w.ProjectID, w.URL, w.Secret, w.CreatedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("create webhook: %w", err)
	}
	w.ID, err = res.LastInsertId()
	return err
}

// Webhooks returns a project's webhooks.
func (db *DB) Webhooks(ctx context.Context, projectID int64) ([]*playhead.Webhook, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, project_id, url, secret, created_at FROM webhooks WHERE project_id = ? ORDER BY id`, projectID)
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	defer rows.Close()
	list := []*playhead.Webhook{}
	for rows.Next() {
		w := &playhead.Webhook{}
		var created int64
		if err := rows.Scan(&w.ID, &w.ProjectID, &w.URL, &w.Secret, &created); err != nil {
			return nil, fmt.Errorf("list webhooks: %w", err)
		}
		w.CreatedAt = time.UnixMilli(created)
		list = append(list, w)
	}
	return list, rows.Err()
}

// DeleteWebhook removes a webhook and its delivery log.
func (db *DB) DeleteWebhook(ctx context.Context, projectID, id int64) error {
	res, err := db.write.ExecContext(ctx, `DELETE FROM webhooks WHERE project_id = ? AND id = ?`, projectID, id)
	if err != nil {
		return fmt.Errorf("delete webhook: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return playhead.Errorf(playhead.ENOTFOUND, "webhook %d not found", id)
	}
	return nil
}

const deliveryColumns = `d.id, d.webhook_id, d.event, d.session_id, d.ts, d.message, d.page_url, d.status, d.attempts,
	d.last_status, d.last_error, d.next_attempt_at, d.created_at, d.delivered_at`

func scanDelivery(rows *sql.Rows, extra ...any) (*playhead.Delivery, error) {
	d := &playhead.Delivery{}
	var next, created int64
	var delivered sql.NullInt64
	dest := append([]any{&d.ID, &d.WebhookID, &d.Event, &d.SessionID, &d.Ts, &d.Message, &d.PageURL, &d.Status, &d.Attempts,
		&d.LastStatus, &d.LastError, &next, &created, &delivered}, extra...)
	if err := rows.Scan(dest...); err != nil {
		return nil, err
	}
	d.NextAttempt, d.CreatedAt = time.UnixMilli(next), time.UnixMilli(created)
	if delivered.Valid {
		t := time.UnixMilli(delivered.Int64)
		d.DeliveredAt = &t
	}
	return d, nil
}

// Deliveries returns a webhook's latest deliveries, newest first.
func (db *DB) Deliveries(ctx context.Context, projectID, webhookID int64, limit int) ([]*playhead.Delivery, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d
		JOIN webhooks w ON w.id = d.webhook_id WHERE w.project_id = ? AND d.webhook_id = ? ORDER BY d.id DESC LIMIT ?`,
		projectID, webhookID, limit)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	defer rows.Close()
	list := []*playhead.Delivery{}
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("list deliveries: %w", err)
		}
		list = append(list, d)
	}
	return list, rows.Err()
}

// DueDeliveries returns pending deliveries whose next attempt is due, with
// their webhook.
func (db *DB) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]*playhead.Delivery, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+deliveryColumns+`, w.project_id, w.url, w.secret FROM webhook_deliveries d
		JOIN webhooks w ON w.id = d.webhook_id WHERE d.status = 'pending' AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at LIMIT ?`,
		now.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("find due deliveries: %w", err)
	}
	defer rows.Close()
	var list []*playhead.Delivery
	for rows.Next() {
		w := &playhead.Webhook{}
		d, err := scanDelivery(rows, &w.ProjectID, &w.URL, &w.Secret)
		if err != nil {
			return nil, fmt.Errorf("find due deliveries: %w", err)
		}
		w.ID = d.WebhookID
		d.Webhook = w
		list = append(list, d)
	}
	return list, rows.Err()
}

// UpdateDelivery stores the outcome of an attempt.
func (db *DB) UpdateDelivery(ctx context.Context, d *playhead.Delivery) error {
	var delivered any
	if d.DeliveredAt != nil {
		delivered = d.DeliveredAt.UnixMilli()
	}
	_, err := db.write.ExecContext(ctx, `UPDATE webhook_deliveries SET status = ?, attempts = ?, last_status = ?, last_error = ?,
		next_attempt_at = ?, delivered_at = ? WHERE id = ?`,
		d.Status, d.Attempts, d.LastStatus, d.LastError, d.NextAttempt.UnixMilli(), delivered, d.ID)
	if err != nil {
		return fmt.Errorf("update delivery: %w", err)
	}
	return nil
}

// Reports returns a project's bug reports, newest first, each with its
// session's error count.
func (db *DB) Reports(ctx context.Context, projectID int64, limit int) ([]*playhead.Report, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT r.id, r.session_id, r.ts, r.text, r.contact_sealed, r.page_url, coalesce(s.errors, 0)
		FROM reports r LEFT JOIN sessions s ON s.project_id = r.project_id AND s.id = r.session_id
		WHERE r.project_id = ? ORDER BY r.ts DESC LIMIT ?`, projectID, limit)
	if err != nil {
		return nil, fmt.Errorf("list reports: %w", err)
	}
	defer rows.Close()
	list := []*playhead.Report{}
	for rows.Next() {
		r := &playhead.Report{}
		if err := rows.Scan(&r.ID, &r.SessionID, &r.Ts, &r.Text, &r.ContactSealed, &r.PageURL, &r.Errors); err != nil {
			return nil, fmt.Errorf("list reports: %w", err)
		}
		list = append(list, r)
	}
	return list, rows.Err()
}
