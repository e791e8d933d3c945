// Package sqlite implements Playhead's index (playhead.SessionIndex and
// playhead.AccountStore) on an embedded SQLite database, through the pure-Go
// modernc.org/sqlite driver so the binary needs no cgo.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/search"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

var (
	_ playhead.SessionIndex    = (*DB)(nil)
	_ playhead.AccountStore    = (*DB)(nil)
	_ playhead.SessionKeyStore = (*DB)(nil)
)

// DB is an open Playhead index. Writes go through one connection (SQLite has
// one writer at a time anyway); reads use a pool that WAL mode lets run beside
// the writer.
type DB struct {
	write *sql.DB
	read  *readPool
	stmts *stmtCache // the writer's
	// groups lets one WriteGroup run at a time.
	groups sync.Mutex

	stop, stopped chan struct{} // of the checkpoint loop
}

// Open opens (creating if needed) the database file at path and brings its
// schema up to date.
func Open(ctx context.Context, path string) (*DB, error) {
	// synchronous(FULL) makes every commit durable before it returns: an
	// acknowledged batch survives power loss, not only a process crash.
	q := url.Values{}
	// secure_delete(1) overwrites deleted rows with zeros, so an erased
	// session's data key leaves no copy in the file's free pages.
	// wal_autocheckpoint: the log is copied into the database file by a
	// background loop (checkpoints), not by the commit that happens to fill
	// it, so a commit never waits for one; a commit still does it past
	// 64 MiB of log, should the loop fall behind.
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)", "secure_delete(1)", "wal_autocheckpoint(16384)"} {
		q.Add("_pragma", p)
	}
	dsn := "file:" + path + "?" + q.Encode()
	// temp_store(MEMORY) on the writer: a statement's journal (the pages it
	// changed, kept to undo it alone) stays in memory instead of spilling
	// to a temporary file past 64 KiB, which a commit's multi-row inserts
	// of batch data do.
	w, err := sql.Open("sqlite", dsn+"&_txlock=immediate&_pragma=temp_store(MEMORY)")
	if err != nil {
		return nil, fmt.Errorf("open index %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	// Readers map the file (reads without a system call per page) and
	// keep a larger page cache: a search reads rows by id all over the
	// search table, which 2 MiB of default cache does not hold.
	r, err := sql.Open("sqlite", dsn+"&_pragma=mmap_size(1073741824)&_pragma=cache_size(-32768)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open index %s: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	// idle connections keep their prepared statements (see readPool)
	r.SetMaxIdleConns(8)
	db := &DB{write: w, read: newReadPool(r), stmts: &stmtCache{db: w, m: map[string]*sql.Stmt{}, want: map[string]bool{}},
		stop: make(chan struct{}), stopped: make(chan struct{})}
	// A file another process is creating at this moment (switching it to
	// WAL) can answer busy without waiting; try again for a while.
	err = db.migrate(ctx)
	for try := 0; err != nil && strings.Contains(err.Error(), "SQLITE_BUSY") && try < 50 && ctx.Err() == nil; try++ {
		time.Sleep(100 * time.Millisecond)
		err = db.migrate(ctx)
	}
	if err != nil {
		close(db.stopped)
		db.Close()
		return nil, fmt.Errorf("open index %s: %w", path, err)
	}
	go db.checkpoints(time.Second)
	return db, nil
}

// checkpoints copies the log into the database file every interval, on a
// reading connection: a passive checkpoint copies what no reader still
// needs and never holds up the writer.
func (db *DB) checkpoints(interval time.Duration) {
	defer close(db.stopped)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-db.stop:
			return
		case <-t.C:
		}
		db.read.Exec("PRAGMA wal_checkpoint(PASSIVE)")
	}
}

// Ping checks that the database answers on the writer's connection (so a
// stuck writer fails it), without writing.
func (db *DB) Ping(ctx context.Context) error {
	var v int
	return db.write.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
}

// Close closes the database.
func (db *DB) Close() error {
	select {
	case <-db.stop:
	default:
		close(db.stop)
	}
	<-db.stopped
	db.stmts.close()
	return errors.Join(db.read.Close(), db.write.Close())
}

// migrationFiles are the schema's migrations, applied in the order of their
// numbers; PRAGMA user_version counts those applied. A released migration
// is never edited: the schema changes by a new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations returns the migrations' statements in order.
func migrations() ([]string, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]string, len(names))
	for i, name := range names {
		n, err := strconv.Atoi(strings.SplitN(path.Base(name), "_", 2)[0])
		if err != nil || n != i+1 {
			return nil, fmt.Errorf("migration %s is out of sequence: want number %d", name, i+1)
		}
		data, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		out[i] = string(data)
	}
	return out, nil
}

// SchemaVersion is the number of the newest migration this build knows.
func SchemaVersion() int {
	m, _ := migrations()
	return len(m)
}

// migrate brings the schema up to date, one migration a transaction. It
// refuses a database whose schema is newer than this build knows: an older
// build would misread it.
func (db *DB) migrate(ctx context.Context) error {
	list, err := migrations()
	if err != nil {
		return err
	}
	// Each step reads the version inside its write transaction, so that
	// processes opening one file at once migrate it once.
	for {
		tx, err := db.write.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		var version int
		if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
			tx.Rollback()
			return fmt.Errorf("read schema version: %w", err)
		}
		if version > len(list) {
			tx.Rollback()
			return playhead.Errorf(playhead.EINVALID, "the index has schema version %d, newer than this build of Playhead knows (%d): run a newer Playhead", version, len(list))
		}
		if version == len(list) {
			return tx.Rollback()
		}
		if _, err := tx.ExecContext(ctx, list[version]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", version+1, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", version+1)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", version+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %d: %w", version+1, err)
		}
	}
}

// ScrubCounts returns how many values the server masked in a project's
// events, by kind.
func (db *DB) ScrubCounts(ctx context.Context, projectID int64) (map[string]int, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT kind, count FROM scrub_counts WHERE project_id = ?`, projectID)
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
	return out, rows.Err()
}

// PendingData returns the data of a session's pending batches by seq.
func (db *DB) PendingData(ctx context.Context, projectID int64, sessionID string, seqs []int) (map[int][]byte, error) {
	out := make(map[int][]byte, len(seqs))
	for _, seq := range seqs {
		var data []byte
		err := db.read.QueryRowContext(ctx, `SELECT data FROM batches
			WHERE project_id = ? AND session_id = ? AND seq = ? AND data IS NOT NULL`,
			projectID, sessionID, seq).Scan(&data)
		if errors.Is(err, sql.ErrNoRows) {
			continue // sealed meanwhile; the caller reads the chunk instead
		}
		if err != nil {
			return nil, fmt.Errorf("read pending batch: %w", err)
		}
		out[seq] = data
	}
	return out, nil
}

// PendingRuns returns sessions whose pending batches are due for sealing.
func (db *DB) PendingRuns(ctx context.Context, p playhead.SealPolicy, now time.Time, limit int) ([]playhead.PendingRun, error) {
	idleBefore, ageBefore := now.Add(-p.Idle).UnixMilli(), now.Add(-p.MaxAge).UnixMilli()
	rows, err := db.read.QueryContext(ctx, `SELECT project_id, session_id, sum(bytes) >= ?, max(received_at) <= ?
		FROM batches WHERE data IS NOT NULL GROUP BY project_id, session_id
		HAVING sum(bytes) >= ? OR max(received_at) <= ? OR min(received_at) <= ? LIMIT ?`,
		p.MaxBytes, idleBefore, p.MaxBytes, idleBefore, ageBefore, limit)
	if err != nil {
		return nil, fmt.Errorf("find pending runs: %w", err)
	}
	defer rows.Close()
	var runs []playhead.PendingRun
	for rows.Next() {
		var r playhead.PendingRun
		var full, idle bool
		if err := rows.Scan(&r.ProjectID, &r.SessionID, &full, &idle); err != nil {
			return nil, fmt.Errorf("find pending runs: %w", err)
		}
		r.Reason = playhead.CutReason(full, idle)
		runs = append(runs, r)
	}
	return runs, rows.Err()
}

// MoveChunk points the batches in chunk from at chunk to.
func (db *DB) MoveChunk(ctx context.Context, projectID int64, sessionID, from, to string) (int, error) {
	res, err := db.write.ExecContext(ctx, `UPDATE batches SET object_key = ? WHERE project_id = ? AND session_id = ? AND object_key = ?`,
		to, projectID, sessionID, from)
	if err != nil {
		return 0, fmt.Errorf("move chunk: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// MarkSealed records that batches now live in the chunk objectKey and drops
// their pending data. Batches sealed already are left as they are, so two
// sealers racing on one session do no harm.
func (db *DB) MarkSealed(ctx context.Context, projectID int64, sessionID, objectKey string, offsets map[int]int) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("mark sealed: %w", err)
	}
	defer tx.Rollback()
	for seq, off := range offsets {
		_, err := tx.ExecContext(ctx, `UPDATE batches SET data = NULL, object_key = ?, event_offset = ?
			WHERE project_id = ? AND session_id = ? AND seq = ? AND data IS NOT NULL`,
			objectKey, off, projectID, sessionID, seq)
		if err != nil {
			return fmt.Errorf("mark sealed: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("mark sealed: commit: %w", err)
	}
	return nil
}

const sessionColumns = `s.id, s.started_at, s.ended_at, s.user_agent, s.client_ip, s.clicks, s.errors, s.console_errors,
	s.failed_requests, s.events, s.bytes, s.batches, s.browser, s.os, s.device, s.rage_clicks, s.dead_clicks, s.error_clicks,
	s.app_release, s.imported_at, s.active_ms,
	(SELECT coalesce(json_group_array(url), '[]') FROM
		(SELECT url FROM session_pages p WHERE p.project_id = s.project_id AND p.session_id = s.id ORDER BY first_ts, url))`

func scanSession(projectID int64, row interface{ Scan(...any) error }) (*playhead.Session, error) {
	s := &playhead.Session{ProjectID: projectID}
	var pages string
	if err := row.Scan(&s.ID, &s.StartedAt, &s.EndedAt, &s.UserAgent, &s.ClientIP, &s.Clicks, &s.Errors, &s.ConsoleErrors,
		&s.FailedRequests, &s.Events, &s.Bytes, &s.Batches, &s.Browser, &s.OS, &s.Device, &s.RageClicks, &s.DeadClicks, &s.ErrorClicks,
		&s.Release, &s.ImportedAt, &s.ActiveMs, &pages); err != nil {
		return nil, err
	}
	s.DurationMs = s.EndedAt - s.StartedAt
	s.Pages = decodeStrings(pages)
	if len(s.Pages) > 0 {
		s.FirstURL = s.Pages[0]
	}
	return s, nil
}

// Session returns one session or an ENOTFOUND error.
func (db *DB) Session(ctx context.Context, projectID int64, id string) (*playhead.Session, error) {
	row := db.read.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions s WHERE s.project_id = ? AND s.id = ?`, projectID, id)
	s, err := scanSession(projectID, row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, playhead.Errorf(playhead.ENOTFOUND, "session %s not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read session: %w", err)
	}
	return s, nil
}

// Sessions returns a page of sessions, newest first. The cursor is
// "startedAt:id" of the last session of the previous page.
func (db *DB) Sessions(ctx context.Context, f playhead.SessionFilter) ([]*playhead.Session, string, error) {
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	where, args := "s.project_id = ?", []any{f.ProjectID}
	if f.Before != "" {
		ts, id, ok := strings.Cut(f.Before, ":")
		n, err := strconv.ParseInt(ts, 10, 64)
		if !ok || err != nil {
			return nil, "", playhead.Errorf(playhead.EINVALID, "cursor %q is not one this server returned", f.Before)
		}
		where += " AND (s.started_at < ? OR (s.started_at = ? AND s.id < ?))"
		args = append(args, n, n, id)
	}
	if f.Query != nil {
		now := f.Now
		if now.IsZero() {
			now = time.Now()
		}
		d, err := db.dialectFor(ctx, f.Query, f.ProjectID)
		if err != nil {
			return nil, "", fmt.Errorf("list sessions: %w", err)
		}
		var cond string
		cond, args = search.ToSQL(f.Query, d, f.ProjectID, now, args)
		where += " AND (" + cond + ")"
	}
	rows, err := db.read.DB.QueryContext(ctx, `SELECT `+sessionColumns+` FROM sessions s WHERE `+where+
		` ORDER BY s.started_at DESC, s.id DESC LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("list sessions: %w", err)
	}
	defer rows.Close()
	var list []*playhead.Session
	for rows.Next() {
		s, err := scanSession(f.ProjectID, rows)
		if err != nil {
			return nil, "", fmt.Errorf("list sessions: %w", err)
		}
		list = append(list, s)
	}
	if err := rows.Err(); err != nil {
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

// BatchRange returns the manifest of a session's batches from..to by sequence number.
func (db *DB) BatchRange(ctx context.Context, projectID int64, sessionID string, from, to int) ([]playhead.BatchRef, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT seq, first_ts, last_ts, keyframe_ts, events, bytes, object_key, event_offset
		FROM batches WHERE project_id = ? AND session_id = ? AND seq BETWEEN ? AND ? ORDER BY seq`, projectID, sessionID, from, to)
	if err != nil {
		return nil, fmt.Errorf("list batches: %w", err)
	}
	defer rows.Close()
	var refs []playhead.BatchRef
	for rows.Next() {
		var r playhead.BatchRef
		if err := rows.Scan(&r.Seq, &r.FirstTs, &r.LastTs, &r.KeyframeTs, &r.Events, &r.Bytes, &r.ObjectKey, &r.EventOffset); err != nil {
			return nil, fmt.Errorf("list batches: %w", err)
		}
		refs = append(refs, r)
	}
	return refs, rows.Err()
}

// Timeline returns a session's timeline entries by time.
func (db *DB) Timeline(ctx context.Context, projectID int64, sessionID string) ([]playhead.TimelineEntry, error) {
	return db.readTimeline(ctx, `WHERE project_id = ? AND session_id = ? ORDER BY ts, rowid`, projectID, sessionID)
}

// readTimeline reads the timeline entries the rest of a query (from
// WHERE on) selects.
func (db *DB) readTimeline(ctx context.Context, where string, args ...any) ([]playhead.TimelineEntry, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT ts, kind, level, label, detail FROM timeline `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("read timeline: %w", err)
	}
	defer rows.Close()
	list := []playhead.TimelineEntry{}
	for rows.Next() {
		var e playhead.TimelineEntry
		var detail sql.NullString
		if err := rows.Scan(&e.Ts, &e.Kind, &e.Level, &e.Label, &detail); err != nil {
			return nil, fmt.Errorf("read timeline: %w", err)
		}
		if detail.Valid {
			e.Detail = []byte(detail.String)
		}
		list = append(list, e)
	}
	return list, rows.Err()
}

// CreateProject stores p and sets its ID.
func (db *DB) CreateProject(ctx context.Context, p *playhead.Project) error {
	if p.CreatedAt.IsZero() {
		p.CreatedAt = time.Now()
	}
	if p.RetentionDays <= 0 {
		p.RetentionDays = 30
	}
	settings, err := json.Marshal(p.Settings)
	if err != nil {
		return fmt.Errorf("create project: %w", err)
	}
	res, err := db.write.ExecContext(ctx, `INSERT INTO projects (name, ingest_key, created_at, retention_days, settings) VALUES (?, ?, ?, ?, ?)`,
		p.Name, p.IngestKey, p.CreatedAt.UnixMilli(), p.RetentionDays, string(settings))
	if err != nil {
		return fmt.Errorf("create project: %w", err)
	}
	p.ID, err = res.LastInsertId()
	return err
}

// projectColumns are the columns scanProject reads, of a table p.
const projectColumns = `p.id, p.name, p.ingest_key, p.created_at, p.retention_days, p.settings, p.previous_ingest_key, p.previous_key_until`

func scanProject(row interface{ Scan(...any) error }) (*playhead.Project, error) {
	p := &playhead.Project{}
	var created, previousUntil int64
	var settings string
	if err := row.Scan(&p.ID, &p.Name, &p.IngestKey, &created, &p.RetentionDays, &settings, &p.PreviousIngestKey, &previousUntil); err != nil {
		return nil, err
	}
	p.CreatedAt = time.UnixMilli(created)
	if previousUntil > 0 {
		p.PreviousKeyUntil = time.UnixMilli(previousUntil)
	}
	if err := json.Unmarshal([]byte(settings), &p.Settings); err != nil {
		return nil, fmt.Errorf("settings of project %d: %w", p.ID, err)
	}
	return p, nil
}

func (db *DB) queryProjects(ctx context.Context, query string, args ...any) ([]*playhead.Project, error) {
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []*playhead.Project
	for rows.Next() {
		p, err := scanProject(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, p)
	}
	return list, rows.Err()
}

// Projects returns every project, oldest first, but those being deleted.
func (db *DB) Projects(ctx context.Context) ([]*playhead.Project, error) {
	list, err := db.queryProjects(ctx, `SELECT `+projectColumns+` FROM projects p WHERE p.deleting_at = 0 ORDER BY p.id`)
	if err != nil {
		return nil, fmt.Errorf("list projects: %w", err)
	}
	return list, nil
}

// ProjectByKey returns the project whose current or previous ingest key
// is key, or EUNAUTHORIZED.
func (db *DB) ProjectByKey(ctx context.Context, key string) (*playhead.Project, error) {
	p, err := scanProject(db.read.QueryRowContext(ctx, `SELECT `+projectColumns+` FROM projects p
		WHERE (p.ingest_key = ?1 OR (p.previous_ingest_key = ?1 AND ?1 != '')) AND p.deleting_at = 0`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, playhead.Errorf(playhead.EUNAUTHORIZED, "unknown ingest key")
	}
	if err != nil {
		return nil, fmt.Errorf("look up ingest key: %w", err)
	}
	return p, nil
}

// CreateUser stores u and sets its ID; a username taken already
// (compared without case) is EINVALID.
func (db *DB) CreateUser(ctx context.Context, u *playhead.User) error {
	if err := createUser(ctx, db.write, u); err != nil {
		var pe *playhead.Error
		if errors.As(err, &pe) {
			return err
		}
		return fmt.Errorf("create user: %w", err)
	}
	return nil
}

// UserByName returns the user called username, or ENOTFOUND.
func (db *DB) UserByName(ctx context.Context, username string) (*playhead.User, error) {
	return db.oneUser(ctx, fmt.Sprintf("%q", username), `u.username = ?`, username)
}

// CountUsers returns how many users exist.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// CreateLogin stores a login token's hash for a user until expires.
func (db *DB) CreateLogin(ctx context.Context, tokenHash string, userID int64, expires time.Time) error {
	_, err := db.write.ExecContext(ctx, `INSERT INTO logins (token_hash, user_id, expires_at) VALUES (?, ?, ?)`,
		tokenHash, userID, expires.UnixMilli())
	if err != nil {
		return fmt.Errorf("create login: %w", err)
	}
	return nil
}

// LoginUser returns the user of an unexpired login, or ENOTFOUND. A
// disabled user's logins have ended.
func (db *DB) LoginUser(ctx context.Context, tokenHash string, now time.Time) (*playhead.User, error) {
	u, err := scanUser(db.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM logins l
		JOIN users u ON u.id = l.user_id WHERE l.token_hash = ? AND l.expires_at > ? AND u.disabled = 0`, tokenHash, now.UnixMilli()))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, playhead.Errorf(playhead.ENOTFOUND, "no such login")
	}
	if err != nil {
		return nil, fmt.Errorf("look up login: %w", err)
	}
	return u, nil
}

// DeleteLogin ends a login.
func (db *DB) DeleteLogin(ctx context.Context, tokenHash string) error {
	if _, err := db.write.ExecContext(ctx, `DELETE FROM logins WHERE token_hash = ?`, tokenHash); err != nil {
		return fmt.Errorf("delete login: %w", err)
	}
	return nil
}

func decodeStrings(s string) []string {
	list := []string{}
	json.Unmarshal([]byte(s), &list)
	return list
}

// SessionKey returns a session's wrapped data key, or ENOTFOUND.
func (db *DB) SessionKey(ctx context.Context, projectID int64, sessionID string) (*playhead.DataKey, error) {
	k := &playhead.DataKey{ProjectID: projectID, SessionID: sessionID}
	err := db.read.QueryRowContext(ctx, `SELECT master_key_id, wrapped FROM session_keys WHERE project_id = ? AND session_id = ?`,
		projectID, sessionID).Scan(&k.MasterKeyID, &k.Wrapped)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, playhead.Errorf(playhead.ENOTFOUND, "session %s has no data key", sessionID)
	}
	if err != nil {
		return nil, fmt.Errorf("read data key: %w", err)
	}
	return k, nil
}

// SessionKeys lists wrapped data keys in (project, session) order.
func (db *DB) SessionKeys(ctx context.Context, after playhead.SessionKeyCursor, limit int) ([]*playhead.DataKey, *playhead.SessionKeyCursor, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT project_id, session_id, master_key_id, wrapped FROM session_keys
		WHERE project_id > ? OR (project_id = ? AND session_id > ?) ORDER BY project_id, session_id LIMIT ?`,
		after.ProjectID, after.ProjectID, after.SessionID, limit)
	if err != nil {
		return nil, nil, fmt.Errorf("list data keys: %w", err)
	}
	defer rows.Close()
	var keys []*playhead.DataKey
	for rows.Next() {
		k := &playhead.DataKey{}
		if err := rows.Scan(&k.ProjectID, &k.SessionID, &k.MasterKeyID, &k.Wrapped); err != nil {
			return nil, nil, fmt.Errorf("list data keys: %w", err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if len(keys) == 0 || len(keys) < limit {
		return keys, nil, nil
	}
	last := keys[len(keys)-1]
	return keys, &playhead.SessionKeyCursor{ProjectID: last.ProjectID, SessionID: last.SessionID}, nil
}

// RewrapSessionKeys stores re-wrapped keys, each only if its stored form is
// still k.Previous.
func (db *DB) RewrapSessionKeys(ctx context.Context, keys []*playhead.DataKey) error {
	if len(keys) == 0 {
		return nil
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("rewrap data keys: %w", err)
	}
	defer tx.Rollback()
	for _, k := range keys {
		_, err := tx.ExecContext(ctx, `UPDATE session_keys SET master_key_id = ?, wrapped = ?
			WHERE project_id = ? AND session_id = ? AND wrapped = ?`, k.MasterKeyID, k.Wrapped, k.ProjectID, k.SessionID, k.Previous)
		if err != nil {
			return fmt.Errorf("rewrap data keys: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("rewrap data keys: %w", err)
	}
	return db.checkpoint(ctx)
}

// checkpoint copies the WAL into the database file and truncates it, so
// that overwritten rows (old wrapped keys, erased sessions) leave no copy in
// the log.
func (db *DB) checkpoint(ctx context.Context) error {
	if _, err := db.write.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// DeleteSession removes every row of a session, its data key first, and
// queues the deletion of its chunks and of objectKeys, in one transaction.
// It returns the keys of the objects to delete.
func (db *DB) DeleteSession(ctx context.Context, projectID int64, sessionID string, objectKeys []string) ([]string, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("delete session: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT object_key FROM batches WHERE project_id = ? AND session_id = ? AND object_key != ''`, projectID, sessionID)
	if err != nil {
		return nil, fmt.Errorf("delete session: %w", err)
	}
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return nil, fmt.Errorf("delete session: %w", err)
		}
		keys = append(keys, k)
	}
	rows.Close()
	rows, err = tx.QueryContext(ctx, `SELECT DISTINCT object_key FROM keyframes WHERE project_id = ? AND session_id = ?`, projectID, sessionID)
	if err != nil {
		return nil, fmt.Errorf("delete session: %w", err)
	}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return nil, fmt.Errorf("delete session: %w", err)
		}
		keys = append(keys, k)
	}
	rows.Close()
	keys = append(keys, objectKeys...)
	for _, q := range []string{
		`DELETE FROM session_keys WHERE project_id = ? AND session_id = ?`,
		`DELETE FROM keyframes WHERE project_id = ? AND session_id = ?`,
		`DELETE FROM jobs WHERE project_id = ? AND session_id = ? AND kind != 'delete_object'`,
		`DELETE FROM reports WHERE project_id = ? AND session_id = ?`,
		`DELETE FROM backend_records WHERE project_id = ? AND session_id = ?`,
		`DELETE FROM webhook_deliveries WHERE session_id = ?2 AND webhook_id IN (SELECT id FROM webhooks WHERE project_id = ?1)`,
		`DELETE FROM batches WHERE project_id = ? AND session_id = ?`,
		`DELETE FROM timeline WHERE project_id = ? AND session_id = ?`,
		`DELETE FROM session_pages WHERE project_id = ? AND session_id = ?`,
		`DELETE FROM session_search WHERE project_id = ? AND session_id = ?`,
		`DELETE FROM share_links WHERE project_id = ? AND session_id = ?`,
		`DELETE FROM session_carry WHERE project_id = ? AND session_id = ?`,
		`DELETE FROM sessions WHERE project_id = ? AND id = ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, projectID, sessionID); err != nil {
			return nil, fmt.Errorf("delete session: %w", err)
		}
	}
	jobs := make([]playhead.Job, len(keys))
	for i, k := range keys {
		jobs[i] = playhead.Job{Kind: playhead.JobDeleteObject, Key: k, ProjectID: projectID}
	}
	if err := addJobs(ctx, tx, jobs, time.Now()); err != nil {
		return nil, fmt.Errorf("delete session: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("delete session: %w", err)
	}
	return keys, db.checkpoint(ctx)
}

// ExpiredSessions returns sessions that ended before their project's
// retention period, counted back from now.
func (db *DB) ExpiredSessions(ctx context.Context, now time.Time, limit int) ([]playhead.SessionRef, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT s.project_id, s.id FROM sessions s JOIN projects p ON p.id = s.project_id
		WHERE s.ended_at < ?1 - p.retention_days * 86400000 AND s.imported_at < ?1 - p.retention_days * 86400000 LIMIT ?2`, now.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("find expired sessions: %w", err)
	}
	defer rows.Close()
	var out []playhead.SessionRef
	for rows.Next() {
		var r playhead.SessionRef
		if err := rows.Scan(&r.ProjectID, &r.SessionID); err != nil {
			return nil, fmt.Errorf("find expired sessions: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// SessionsOfUser returns the IDs of the sessions identified with a user.
func (db *DB) SessionsOfUser(ctx context.Context, projectID int64, userHash string) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id FROM sessions WHERE project_id = ? AND user_hash = ? AND user_hash != ''`, projectID, userHash)
	if err != nil {
		return nil, fmt.Errorf("find sessions of user: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// SetRetention sets how many days a project's sessions are kept.
func (db *DB) SetRetention(ctx context.Context, projectID int64, days int) error {
	if days < 1 {
		return playhead.Errorf(playhead.EINVALID, "retention must be at least 1 day, got %d", days)
	}
	if _, err := db.write.ExecContext(ctx, `UPDATE projects SET retention_days = ? WHERE id = ?`, days, projectID); err != nil {
		return fmt.Errorf("set retention: %w", err)
	}
	return nil
}
