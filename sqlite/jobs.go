package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/playhead/playhead"
)

var _ playhead.JobStore = (*DB)(nil)

// AddJobs queues jobs due at due, leaving those queued already.
func (db *DB) AddJobs(ctx context.Context, jobs []playhead.Job, due time.Time) error {
	if len(jobs) == 0 {
		return nil
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("add jobs: %w", err)
	}
	defer tx.Rollback()
	if err := addJobs(ctx, tx, jobs, due); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("add jobs: %w", err)
	}
	return nil
}

func addJobs(ctx context.Context, tx *sql.Tx, jobs []playhead.Job, due time.Time) error {
	for _, j := range jobs {
		_, err := tx.ExecContext(ctx, `INSERT INTO jobs (kind, key, project_id, session_id, due_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, j.Kind, j.Key, j.ProjectID, j.SessionID, due.UnixMilli())
		if err != nil {
			return fmt.Errorf("add job %s %s: %w", j.Kind, j.Key, err)
		}
	}
	return nil
}

// ClaimJobs returns up to limit due jobs of kind and pushes their due time
// to now+lease, in one transaction (SQLite has one writer, so no two
// claimers see the same job due).
func (db *DB) ClaimJobs(ctx context.Context, kind string, now time.Time, lease time.Duration, limit int) ([]playhead.Job, error) {
	rows, err := db.write.QueryContext(ctx, `UPDATE jobs SET due_at = ?
		WHERE rowid IN (SELECT rowid FROM jobs WHERE kind = ? AND due_at <= ? ORDER BY due_at LIMIT ?)
		RETURNING kind, key, project_id, session_id, attempts, last_error`,
		now.Add(lease).UnixMilli(), kind, now.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("claim %s jobs: %w", kind, err)
	}
	defer rows.Close()
	var out []playhead.Job
	for rows.Next() {
		var j playhead.Job
		if err := rows.Scan(&j.Kind, &j.Key, &j.ProjectID, &j.SessionID, &j.Attempts, &j.LastError); err != nil {
			return nil, fmt.Errorf("claim %s jobs: %w", kind, err)
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// FinishJob removes a job.
func (db *DB) FinishJob(ctx context.Context, kind, key string) error {
	if _, err := db.write.ExecContext(ctx, `DELETE FROM jobs WHERE kind = ? AND key = ?`, kind, key); err != nil {
		return fmt.Errorf("finish job %s %s: %w", kind, key, err)
	}
	return nil
}

// RetryJob records a failed attempt and when to try again.
func (db *DB) RetryJob(ctx context.Context, j playhead.Job, next time.Time) error {
	_, err := db.write.ExecContext(ctx, `UPDATE jobs SET attempts = ?, last_error = ?, due_at = ? WHERE kind = ? AND key = ?`,
		j.Attempts, j.LastError, next.UnixMilli(), j.Kind, j.Key)
	if err != nil {
		return fmt.Errorf("retry job %s %s: %w", j.Kind, j.Key, err)
	}
	return nil
}

// AcquireLease takes or renews the lease called name for holder.
func (db *DB) AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error) {
	res, err := db.write.ExecContext(ctx, `INSERT INTO leases (name, holder, until_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until_at = excluded.until_at
		WHERE leases.until_at <= ? OR leases.holder = excluded.holder`,
		name, holder, until.UnixMilli(), now.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	return n == 1, nil
}

// ReleaseLease gives up the lease called name if holder has it.
func (db *DB) ReleaseLease(ctx context.Context, name, holder string) error {
	if _, err := db.write.ExecContext(ctx, `DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder); err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	return nil
}
