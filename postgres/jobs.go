package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/playhead/playhead"
)

var _ playhead.JobStore = (*DB)(nil)

// AddJobs queues jobs due at due, leaving those queued already.
func (db *DB) AddJobs(ctx context.Context, jobs []playhead.Job, due time.Time) error {
	if len(jobs) == 0 {
		return nil
	}
	if err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error { return addJobs(ctx, tx, jobs, due) }); err != nil {
		return fmt.Errorf("add jobs: %w", err)
	}
	return nil
}

// addJobs queues jobs in tx, in one statement.
func addJobs(ctx context.Context, tx pgx.Tx, jobs []playhead.Job, due time.Time) error {
	kinds, keys, projects, sessions := make([]string, len(jobs)), make([]string, len(jobs)), make([]int64, len(jobs)), make([]string, len(jobs))
	for i, j := range jobs {
		kinds[i], keys[i], projects[i], sessions[i] = j.Kind, text(j.Key), j.ProjectID, text(j.SessionID)
	}
	_, err := tx.Exec(ctx, `INSERT INTO jobs (kind, key, project_id, session_id, due_at)
		SELECT k, key, p, s, $5 FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[]) AS j(k, key, p, s)
		ON CONFLICT DO NOTHING`, kinds, keys, projects, sessions, due.UnixMilli())
	return err
}

// ClaimJobs returns up to limit due jobs of kind and pushes their due time
// to now+lease in the same statement. Rows another claimer is taking at
// this moment are skipped (SKIP LOCKED), so no two claimers, on any node,
// get the same job.
func (db *DB) ClaimJobs(ctx context.Context, kind string, now time.Time, lease time.Duration, limit int) ([]playhead.Job, error) {
	rows, err := db.pool.Query(ctx, `WITH due AS (
			SELECT kind, key FROM jobs WHERE kind = $1 AND due_at <= $2
			ORDER BY due_at LIMIT $3 FOR UPDATE SKIP LOCKED
		)
		UPDATE jobs j SET due_at = $4 FROM due WHERE j.kind = due.kind AND j.key = due.key
		RETURNING j.kind, j.key, j.project_id, j.session_id, j.attempts, j.last_error`,
		kind, now.UnixMilli(), limit, now.Add(lease).UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("claim %s jobs: %w", kind, err)
	}
	jobs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (playhead.Job, error) {
		var j playhead.Job
		err := row.Scan(&j.Kind, &j.Key, &j.ProjectID, &j.SessionID, &j.Attempts, &j.LastError)
		return j, err
	})
	if err != nil {
		return nil, fmt.Errorf("claim %s jobs: %w", kind, err)
	}
	return jobs, nil
}

// FinishJob removes a job.
func (db *DB) FinishJob(ctx context.Context, kind, key string) error {
	if _, err := db.pool.Exec(ctx, `DELETE FROM jobs WHERE kind = $1 AND key = $2`, kind, text(key)); err != nil {
		return fmt.Errorf("finish job %s %s: %w", kind, key, err)
	}
	return nil
}

// RetryJob records a failed attempt and when to try again.
func (db *DB) RetryJob(ctx context.Context, j playhead.Job, next time.Time) error {
	_, err := db.pool.Exec(ctx, `UPDATE jobs SET attempts = $1, last_error = $2, due_at = $3 WHERE kind = $4 AND key = $5`,
		j.Attempts, text(j.LastError), next.UnixMilli(), j.Kind, text(j.Key))
	if err != nil {
		return fmt.Errorf("retry job %s %s: %w", j.Kind, j.Key, err)
	}
	return nil
}

// AcquireLease takes or renews the lease called name for holder. The
// upsert's row lock orders racing takers: one inserts or updates, the
// other then finds the lease held and changes nothing.
func (db *DB) AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error) {
	tag, err := db.pool.Exec(ctx, `INSERT INTO leases (name, holder, until_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until_at = excluded.until_at
		WHERE leases.until_at <= $4 OR leases.holder = excluded.holder`,
		text(name), holder, until.UnixMilli(), now.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	return tag.RowsAffected() == 1, nil
}

// ReleaseLease gives up the lease called name if holder has it.
func (db *DB) ReleaseLease(ctx context.Context, name, holder string) error {
	if _, err := db.pool.Exec(ctx, `DELETE FROM leases WHERE name = $1 AND holder = $2`, text(name), holder); err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	return nil
}
