package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/search"
)

// summaryColumns are a session's summary row, as scanSummary reads it.
const summaryColumns = `s.project_id, s.id, s.started_at, s.ended_at, s.user_agent, s.client_ip, s.user_hash,
	s.clicks, s.errors, s.console_errors, s.failed_requests, s.events, s.bytes, s.batches,
	s.browser, s.os, s.device, s.rage_clicks, s.dead_clicks, s.error_clicks, s.app_release, s.imported_at, s.active_ms`

// sessionColumns are the summary row and the session's pages, in the order
// first seen (URL order among pages of one time, bytewise as in SQLite).
const sessionColumns = summaryColumns + `,
	ARRAY(SELECT url FROM session_pages p WHERE p.project_id = s.project_id AND p.session_id = s.id ORDER BY first_ts, url)`

func scanSummary(row pgx.Row, pages ...any) (*playhead.Session, error) {
	s := &playhead.Session{}
	dest := append([]any{&s.ProjectID, &s.ID, &s.StartedAt, &s.EndedAt, &s.UserAgent, &s.ClientIP, &s.UserHash,
		&s.Clicks, &s.Errors, &s.ConsoleErrors, &s.FailedRequests, &s.Events, &s.Bytes, &s.Batches,
		&s.Browser, &s.OS, &s.Device, &s.RageClicks, &s.DeadClicks, &s.ErrorClicks, &s.Release, &s.ImportedAt, &s.ActiveMs}, pages...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	s.DurationMs = s.EndedAt - s.StartedAt
	return s, nil
}

func scanSession(row pgx.Row) (*playhead.Session, error) {
	var pages []string
	s, err := scanSummary(row, &pages)
	if err != nil {
		return nil, err
	}
	s.Pages = pages
	if s.Pages == nil {
		s.Pages = []string{}
	}
	if len(s.Pages) > 0 {
		s.FirstURL = s.Pages[0]
	}
	return s, nil
}

// Session returns one session or an ENOTFOUND error.
func (db *DB) Session(ctx context.Context, projectID int64, id string) (*playhead.Session, error) {
	s, err := scanSession(db.pool.QueryRow(ctx, `SELECT `+sessionColumns+` FROM sessions s WHERE s.project_id = $1 AND s.id = $2`, projectID, text(id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, playhead.Errorf(playhead.ENOTFOUND, "session %s not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read session: %w", err)
	}
	return s, nil
}

// Sessions returns a page of sessions, newest first. The cursor is
// "startedAt:id" of the last session of the previous page, as SQLite's.
func (db *DB) Sessions(ctx context.Context, f playhead.SessionFilter) ([]*playhead.Session, string, error) {
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	where, args := "s.project_id = $1", []any{f.ProjectID}
	if f.Before != "" {
		ts, id, ok := strings.Cut(f.Before, ":")
		n, err := strconv.ParseInt(ts, 10, 64)
		if !ok || err != nil {
			return nil, "", playhead.Errorf(playhead.EINVALID, "cursor %q is not one this server returned", f.Before)
		}
		where += " AND (s.started_at, s.id) < ($2, $3)"
		args = append(args, n, text(id))
	}
	if f.Query != nil {
		now := f.Now
		if now.IsZero() {
			now = time.Now()
		}
		var cond string
		cond, args = search.ToSQL(f.Query, dialect{}, f.ProjectID, now, args)
		where += " AND (" + cond + ")"
	}
	rows, err := db.pool.Query(ctx, `SELECT `+sessionColumns+` FROM sessions s WHERE `+where+
		` ORDER BY s.started_at DESC, s.id DESC LIMIT `+strconv.Itoa(limit+1), args...)
	if err != nil {
		return nil, "", fmt.Errorf("list sessions: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*playhead.Session, error) { return scanSession(row) })
	if err != nil {
		return nil, "", fmt.Errorf("list sessions: %w", err)
	}
	next := ""
	if len(list) > limit {
		list = list[:limit]
		last := list[limit-1]
		next = fmt.Sprintf("%d:%s", last.StartedAt, last.ID)
	}
	return list, next, nil
}

// Batches returns a session's batch manifest in sequence order.
func (db *DB) Batches(ctx context.Context, projectID int64, sessionID string) ([]playhead.BatchRef, error) {
	return db.BatchRange(ctx, projectID, sessionID, math.MinInt, math.MaxInt)
}

// BatchRange returns the manifest of a session's batches from..to in sequence order.
func (db *DB) BatchRange(ctx context.Context, projectID int64, sessionID string, from, to int) ([]playhead.BatchRef, error) {
	// seq is an integer column: bounds past its range are clamped to it
	from, to = max(from, math.MinInt32), min(to, math.MaxInt32)
	if from > to {
		return nil, nil
	}
	rows, err := db.pool.Query(ctx, `SELECT seq, first_ts, last_ts, keyframe_ts, events, bytes, object_key, event_offset
		FROM batches WHERE project_id = $1 AND session_id = $2 AND seq BETWEEN $3 AND $4 ORDER BY seq`, projectID, text(sessionID), from, to)
	if err != nil {
		return nil, fmt.Errorf("list batches: %w", err)
	}
	refs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (playhead.BatchRef, error) {
		var r playhead.BatchRef
		err := row.Scan(&r.Seq, &r.FirstTs, &r.LastTs, &r.KeyframeTs, &r.Events, &r.Bytes, &r.ObjectKey, &r.EventOffset)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("list batches: %w", err)
	}
	return refs, nil
}

// Timeline returns a session's timeline entries by time, entries of one
// time in the order they were stored.
func (db *DB) Timeline(ctx context.Context, projectID int64, sessionID string) ([]playhead.TimelineEntry, error) {
	return db.readTimeline(ctx, `WHERE project_id = $1 AND session_id = $2 ORDER BY ts, id`, projectID, text(sessionID))
}

// readTimeline reads the timeline entries the rest of a query (from
// WHERE on) selects.
func (db *DB) readTimeline(ctx context.Context, where string, args ...any) ([]playhead.TimelineEntry, error) {
	rows, err := db.pool.Query(ctx, `SELECT ts, kind, level, label, detail FROM timeline `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("read timeline: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (playhead.TimelineEntry, error) {
		var e playhead.TimelineEntry
		var detail *string
		err := row.Scan(&e.Ts, &e.Kind, &e.Level, &e.Label, &detail)
		if detail != nil {
			e.Detail = []byte(*detail)
		}
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("read timeline: %w", err)
	}
	if list == nil {
		list = []playhead.TimelineEntry{}
	}
	return list, nil
}

// PendingData returns the data of a session's pending batches by seq; a
// batch sealed meanwhile is left out (the caller reads its chunk instead).
func (db *DB) PendingData(ctx context.Context, projectID int64, sessionID string, seqs []int) (map[int][]byte, error) {
	list := make([]int64, len(seqs))
	for i, s := range seqs {
		list[i] = int64(s)
	}
	rows, err := db.pool.Query(ctx, `SELECT seq, data FROM batches
		WHERE project_id = $1 AND session_id = $2 AND seq = ANY($3::bigint[]) AND data IS NOT NULL`, projectID, text(sessionID), list)
	if err != nil {
		return nil, fmt.Errorf("read pending batches: %w", err)
	}
	defer rows.Close()
	out := make(map[int][]byte, len(seqs))
	for rows.Next() {
		var seq int
		var data []byte
		if err := rows.Scan(&seq, &data); err != nil {
			return nil, fmt.Errorf("read pending batches: %w", err)
		}
		out[seq] = data
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read pending batches: %w", err)
	}
	return out, nil
}

// PendingRuns returns sessions whose pending batches are due for sealing,
// and claims them for this node: the claim (a lease of sealClaimLease,
// counted from now) keeps other nodes off the session while this one seals it,
// this node gets its claimed sessions back when it asks again, and
// MarkSealed ends the claim. Sessions another writer holds locked are
// skipped for now.
func (db *DB) PendingRuns(ctx context.Context, p playhead.SealPolicy, now time.Time, limit int) ([]playhead.PendingRun, error) {
	idleBefore, ageBefore := now.Add(-p.Idle).UnixMilli(), now.Add(-p.MaxAge).UnixMilli()
	var runs []playhead.PendingRun
	// Two statements in one transaction: the first locks the sessions that
	// look due; the second, reading afresh, claims those that still have
	// pending batches. In one statement, a session another node sealed
	// (and released) while this one ran would be claimed again: its lock
	// is taken on the row as it is now, but the batches are read as they
	// were when the statement began.
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `WITH due AS (
				SELECT project_id, session_id FROM batches WHERE data IS NOT NULL GROUP BY project_id, session_id
				HAVING sum(bytes) >= $1 OR max(received_at) <= $2 OR min(received_at) <= $3
			)
			SELECT s.project_id, s.id FROM due
			JOIN sessions s ON s.project_id = due.project_id AND s.id = due.session_id
			WHERE s.seal_claimed_until <= $4 OR s.seal_claimed_by = $5
			LIMIT $6
			FOR UPDATE OF s SKIP LOCKED`,
			p.MaxBytes, idleBefore, ageBefore, now.UnixMilli(), db.node, limit)
		if err != nil {
			return err
		}
		type key struct {
			project int64
			id      string
		}
		locked, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (key, error) {
			var k key
			return k, row.Scan(&k.project, &k.id)
		})
		if err != nil || len(locked) == 0 {
			return err
		}
		projects, ids := make([]int64, len(locked)), make([]string, len(locked))
		for i, k := range locked {
			projects[i], ids[i] = k.project, k.id
		}
		rows, err = tx.Query(ctx, `WITH due AS (
				SELECT b.project_id, b.session_id, sum(b.bytes) >= $1 AS full, max(b.received_at) <= $2 AS idle
				FROM batches b JOIN unnest($4::bigint[], $5::text[]) AS l(project_id, id)
					ON b.project_id = l.project_id AND b.session_id = l.id
				WHERE b.data IS NOT NULL GROUP BY b.project_id, b.session_id
				HAVING sum(b.bytes) >= $1 OR max(b.received_at) <= $2 OR min(b.received_at) <= $3
			)
			UPDATE sessions s SET seal_claimed_by = $6, seal_claimed_until = $7
			FROM due WHERE s.project_id = due.project_id AND s.id = due.session_id
			RETURNING s.project_id, s.id, due.full, due.idle`,
			p.MaxBytes, idleBefore, ageBefore, projects, ids, db.node, now.Add(sealClaimLease).UnixMilli())
		if err != nil {
			return err
		}
		runs, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (playhead.PendingRun, error) {
			var r playhead.PendingRun
			var full, idle bool
			err := row.Scan(&r.ProjectID, &r.SessionID, &full, &idle)
			r.Reason = playhead.CutReason(full, idle)
			return r, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("find pending runs: %w", err)
	}
	return runs, nil
}

// MoveChunk points the batches in chunk from at chunk to.
func (db *DB) MoveChunk(ctx context.Context, projectID int64, sessionID, from, to string) (int, error) {
	tag, err := db.pool.Exec(ctx, `UPDATE batches SET object_key = $4 WHERE project_id = $1 AND session_id = $2 AND object_key = $3`,
		projectID, text(sessionID), text(from), text(to))
	if err != nil {
		return 0, fmt.Errorf("move chunk: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// MarkSealed records that batches now live in the chunk objectKey and drops
// their pending data, then ends this node's claim on the session. Batches
// sealed already are left as they are, so two sealers racing on one
// session (a claim that outlived its lease) do no harm.
func (db *DB) MarkSealed(ctx context.Context, projectID int64, sessionID, objectKey string, offsets map[int]int) error {
	var seqs, offs []int64
	for seq, off := range offsets {
		seqs, offs = append(seqs, int64(seq)), append(offs, int64(off))
	}
	b := &pgx.Batch{}
	b.Queue(`UPDATE batches b SET data = NULL, object_key = $3, event_offset = o.off
		FROM unnest($4::bigint[], $5::bigint[]) AS o(seq, off)
		WHERE b.project_id = $1 AND b.session_id = $2 AND b.seq = o.seq AND b.data IS NOT NULL`,
		projectID, text(sessionID), objectKey, seqs, offs)
	b.Queue(`UPDATE sessions SET seal_claimed_by = '', seal_claimed_until = 0
		WHERE project_id = $1 AND id = $2 AND seal_claimed_by = $3`, projectID, text(sessionID), db.node)
	if err := db.sendTx(ctx, b); err != nil {
		return fmt.Errorf("mark sealed: %w", err)
	}
	return nil
}

// sendTx runs b's statements in one transaction.
func (db *DB) sendTx(ctx context.Context, b *pgx.Batch) error {
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error { return tx.SendBatch(ctx, b).Close() })
}

// ScrubCounts returns how many values the server masked in a project's
// events, by kind.
func (db *DB) ScrubCounts(ctx context.Context, projectID int64) (map[string]int, error) {
	rows, err := db.pool.Query(ctx, `SELECT kind, count FROM scrub_counts WHERE project_id = $1`, projectID)
	if err != nil {
		return nil, fmt.Errorf("read scrub counts: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, fmt.Errorf("read scrub counts: %w", err)
		}
		out[k] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read scrub counts: %w", err)
	}
	return out, nil
}

// DeleteSession removes every row of a session, its data key first, and
// queues the deletion of its chunks and of objectKeys, in one transaction;
// it returns the keys of the objects to delete.
// It holds the session's advisory lock, so a group being written to the
// session on any node commits before, or starts after.
//
// Unlike SQLite with secure_delete, PostgreSQL keeps deleted rows' bytes
// in its files until VACUUM reuses the space (and in its write-ahead log):
// the data key's erasure is logical until then.
func (db *DB) DeleteSession(ctx context.Context, projectID int64, sessionID string, objectKeys []string) ([]string, error) {
	sid := text(sessionID)
	var keys []string
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		lockSessions(b, []playhead.SessionRef{{ProjectID: projectID, SessionID: sid}})
		b.Queue(`SELECT object_key FROM batches WHERE project_id = $1 AND session_id = $2 AND object_key <> ''
			UNION SELECT object_key FROM keyframes WHERE project_id = $1 AND session_id = $2 ORDER BY object_key`,
			projectID, sid).Query(func(rows pgx.Rows) error {
			var err error
			keys, err = pgx.CollectRows(rows, pgx.RowTo[string])
			return err
		})
		for _, q := range []string{
			`DELETE FROM session_keys WHERE project_id = $1 AND session_id = $2`,
			`DELETE FROM keyframes WHERE project_id = $1 AND session_id = $2`,
			`DELETE FROM jobs WHERE project_id = $1 AND session_id = $2 AND kind <> 'delete_object'`,
			`DELETE FROM reports WHERE project_id = $1 AND session_id = $2`,
			`DELETE FROM backend_records WHERE project_id = $1 AND session_id = $2`,
			`DELETE FROM webhook_deliveries WHERE session_id = $2 AND webhook_id IN (SELECT id FROM webhooks WHERE project_id = $1)`,
			`DELETE FROM batches WHERE project_id = $1 AND session_id = $2`,
			`DELETE FROM timeline WHERE project_id = $1 AND session_id = $2`,
			`DELETE FROM session_pages WHERE project_id = $1 AND session_id = $2`,
			`DELETE FROM session_search WHERE project_id = $1 AND session_id = $2`,
			`DELETE FROM share_links WHERE project_id = $1 AND session_id = $2`,
			`DELETE FROM session_carry WHERE project_id = $1 AND session_id = $2`,
			`DELETE FROM sessions WHERE project_id = $1 AND id = $2`,
		} {
			b.Queue(q, projectID, sid)
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		keys = append(keys, objectKeys...)
		jobs := make([]playhead.Job, len(keys))
		for i, k := range keys {
			jobs[i] = playhead.Job{Kind: playhead.JobDeleteObject, Key: k, ProjectID: projectID}
		}
		return addJobs(ctx, tx, jobs, time.Now())
	})
	if err != nil {
		return nil, fmt.Errorf("delete session: %w", err)
	}
	return keys, nil
}

// ExpiredSessions returns sessions that ended before their project's
// retention period, counted back from now, and claims them for this node
// as PendingRuns does, so that two nodes do not erase the same session at
// once; erasing the session removes the claim with it.
func (db *DB) ExpiredSessions(ctx context.Context, now time.Time, limit int) ([]playhead.SessionRef, error) {
	rows, err := db.pool.Query(ctx, `WITH claimed AS (
			SELECT s.project_id, s.id FROM sessions s JOIN projects p ON p.id = s.project_id
			WHERE s.ended_at < $1 - p.retention_days::bigint * 86400000
				AND s.imported_at < $1 - p.retention_days::bigint * 86400000
				AND (s.erase_claimed_until <= $1 OR s.erase_claimed_by = $2)
			LIMIT $3
			FOR UPDATE OF s SKIP LOCKED
		)
		UPDATE sessions s SET erase_claimed_by = $2, erase_claimed_until = $4
		FROM claimed c WHERE s.project_id = c.project_id AND s.id = c.id
		RETURNING s.project_id, s.id`, now.UnixMilli(), db.node, limit, lease(now))
	if err != nil {
		return nil, fmt.Errorf("find expired sessions: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (playhead.SessionRef, error) {
		var r playhead.SessionRef
		err := row.Scan(&r.ProjectID, &r.SessionID)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("find expired sessions: %w", err)
	}
	return out, nil
}

// SessionsOfUser returns the IDs of the sessions identified with a user.
func (db *DB) SessionsOfUser(ctx context.Context, projectID int64, userHash string) ([]string, error) {
	rows, err := db.pool.Query(ctx, `SELECT id FROM sessions WHERE project_id = $1 AND user_hash = $2 AND user_hash <> '' ORDER BY id`,
		projectID, text(userHash))
	if err != nil {
		return nil, fmt.Errorf("find sessions of user: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("find sessions of user: %w", err)
	}
	return out, nil
}

// SetRetention sets how many days a project's sessions are kept.
func (db *DB) SetRetention(ctx context.Context, projectID int64, days int) error {
	if days < 1 {
		return playhead.Errorf(playhead.EINVALID, "retention must be at least 1 day, got %d", days)
	}
	if _, err := db.pool.Exec(ctx, `UPDATE projects SET retention_days = $1 WHERE id = $2`, days, projectID); err != nil {
		return fmt.Errorf("set retention: %w", err)
	}
	return nil
}
