package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/playhead/playhead"
)

var _ playhead.AccessStore = (*DB)(nil)

// Project returns a project by ID, or ENOTFOUND (also for one being
// deleted).
func (db *DB) Project(ctx context.Context, id int64) (*playhead.Project, error) {
	p, err := scanProject(db.read.QueryRowContext(ctx, `SELECT `+projectColumns+` FROM projects p WHERE p.id = ? AND p.deleting_at = 0`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, playhead.Errorf(playhead.ENOTFOUND, "no project %d", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read project %d: %w", id, err)
	}
	return p, nil
}

// UpdateProject stores p's name, retention and settings.
func (db *DB) UpdateProject(ctx context.Context, p *playhead.Project) error {
	if p.RetentionDays < 1 {
		return playhead.Errorf(playhead.EINVALID, "retention must be at least 1 day, got %d", p.RetentionDays)
	}
	settings, err := json.Marshal(p.Settings)
	if err != nil {
		return fmt.Errorf("update project: %w", err)
	}
	res, err := db.write.ExecContext(ctx, `UPDATE projects SET name = ?, settings = ?, retention_days = ? WHERE id = ? AND deleting_at = 0`,
		p.Name, string(settings), p.RetentionDays, p.ID)
	if err != nil {
		return fmt.Errorf("update project: %w", err)
	}
	return oneRow(res, "project %d", p.ID)
}

// oneRow turns a statement that changed no row into ENOTFOUND.
func oneRow(res sql.Result, format string, args ...any) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return playhead.Errorf(playhead.ENOTFOUND, "no "+format, args...)
	}
	return nil
}

// SetIngestKey makes key the project's ingest key; the one it replaces
// stays valid until previousUntil.
func (db *DB) SetIngestKey(ctx context.Context, projectID int64, key string, previousUntil time.Time) error {
	res, err := db.write.ExecContext(ctx, `UPDATE projects SET previous_ingest_key = ingest_key, previous_key_until = ?, ingest_key = ?
		WHERE id = ? AND deleting_at = 0`, previousUntil.UnixMilli(), key, projectID)
	if err != nil {
		return fmt.Errorf("set ingest key: %w", err)
	}
	return oneRow(res, "project %d", projectID)
}

// MarkProjectDeleting hides a project from every list and lookup.
func (db *DB) MarkProjectDeleting(ctx context.Context, projectID int64, now time.Time) error {
	res, err := db.write.ExecContext(ctx, `UPDATE projects SET deleting_at = ? WHERE id = ? AND deleting_at = 0`, now.UnixMilli(), projectID)
	if err != nil {
		return fmt.Errorf("mark project deleting: %w", err)
	}
	return oneRow(res, "project %d", projectID)
}

// DeletingProjects returns the projects marked for deletion.
func (db *DB) DeletingProjects(ctx context.Context) ([]*playhead.Project, error) {
	list, err := db.queryProjects(ctx, `SELECT `+projectColumns+` FROM projects p WHERE p.deleting_at != 0 ORDER BY p.id`)
	if err != nil {
		return nil, fmt.Errorf("list projects being deleted: %w", err)
	}
	return list, nil
}

// projectTables are the tables holding rows of a project (beside its
// sessions' own, which erasing them removes), deleted with it.
// A release's data key is kept among the sessions' (session_keys, under
// "release:" + its name), and goes with the project too.
var projectTables = []string{"webhooks", "reports", "backend_records", "assets", "scrub_counts", "session_search", "memberships", "api_tokens",
	"source_maps", "share_links", "session_keys"}

// DeleteProject removes a project with everything the index holds of it,
// once its sessions are erased, and queues the deletion of its assets' and
// source maps' objects.
func (db *DB) DeleteProject(ctx context.Context, projectID int64, assetKey func(hash string) string) ([]string, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("delete project: %w", err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sessions WHERE project_id = ?`, projectID).Scan(&n); err != nil {
		return nil, fmt.Errorf("delete project: %w", err)
	}
	if n > 0 {
		return nil, playhead.Errorf(playhead.EINVALID, "project %d still has %d sessions: erase them first", projectID, n)
	}
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT hash FROM assets WHERE project_id = ? AND status = 'captured' AND hash != ''`, projectID)
	if err != nil {
		return nil, fmt.Errorf("delete project: %w", err)
	}
	var keys []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			rows.Close()
			return nil, fmt.Errorf("delete project: %w", err)
		}
		keys = append(keys, assetKey(h))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("delete project: %w", err)
	}
	maps, err := tx.QueryContext(ctx, `SELECT object_key FROM source_maps WHERE project_id = ?`, projectID)
	if err != nil {
		return nil, fmt.Errorf("delete project: %w", err)
	}
	for maps.Next() {
		var k string
		if err := maps.Scan(&k); err != nil {
			maps.Close()
			return nil, fmt.Errorf("delete project: %w", err)
		}
		keys = append(keys, k)
	}
	maps.Close()
	for _, t := range projectTables {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+t+` WHERE project_id = ?`, projectID); err != nil {
			return nil, fmt.Errorf("delete project: %s: %w", t, err)
		}
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM projects WHERE id = ?`, projectID)
	if err != nil {
		return nil, fmt.Errorf("delete project: %w", err)
	}
	if err := oneRow(res, "project %d", projectID); err != nil {
		return nil, err
	}
	jobs := make([]playhead.Job, len(keys))
	for i, k := range keys {
		jobs[i] = playhead.Job{Kind: playhead.JobDeleteObject, Key: k, ProjectID: projectID}
	}
	if err := addJobs(ctx, tx, jobs, time.Now()); err != nil {
		return nil, fmt.Errorf("delete project: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("delete project: %w", err)
	}
	return keys, nil
}

// SetOwner makes a user an owner of the installation, or not.
func (db *DB) SetOwner(ctx context.Context, userID int64, owner bool) error {
	res, err := db.write.ExecContext(ctx, `UPDATE users SET owner = ? WHERE id = ?`, owner, userID)
	if err != nil {
		return fmt.Errorf("set owner: %w", err)
	}
	return oneRow(res, "user %d", userID)
}

// SetMember gives a user a role in a project, replacing any other.
func (db *DB) SetMember(ctx context.Context, projectID, userID int64, role playhead.Role) error {
	if !role.Valid() {
		_, err := playhead.ParseRole(string(role))
		return err
	}
	var ok bool
	err := db.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM projects WHERE id = ? AND deleting_at = 0)
		AND EXISTS (SELECT 1 FROM users WHERE id = ?)`, projectID, userID).Scan(&ok)
	if err != nil {
		return fmt.Errorf("set member: %w", err)
	}
	if !ok {
		return playhead.Errorf(playhead.ENOTFOUND, "no project %d or no user %d", projectID, userID)
	}
	_, err = db.write.ExecContext(ctx, `INSERT INTO memberships (project_id, user_id, role) VALUES (?, ?, ?)
		ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role`, projectID, userID, string(role))
	if err != nil {
		return fmt.Errorf("set member: %w", err)
	}
	return nil
}

// RemoveMember ends a user's membership of a project.
func (db *DB) RemoveMember(ctx context.Context, projectID, userID int64) error {
	res, err := db.write.ExecContext(ctx, `DELETE FROM memberships WHERE project_id = ? AND user_id = ?`, projectID, userID)
	if err != nil {
		return fmt.Errorf("remove member: %w", err)
	}
	return oneRow(res, "membership of user %d in project %d", userID, projectID)
}

// Members lists a project's members and the owners, by username.
func (db *DB) Members(ctx context.Context, projectID int64) ([]playhead.Member, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT u.id, u.username, coalesce(m.role, ''), u.owner FROM users u
		LEFT JOIN memberships m ON m.user_id = u.id AND m.project_id = ?
		WHERE u.owner OR m.user_id IS NOT NULL ORDER BY u.username`, projectID)
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	defer rows.Close()
	list := []playhead.Member{}
	for rows.Next() {
		m := playhead.Member{ProjectID: projectID}
		if err := rows.Scan(&m.UserID, &m.Username, &m.Role, &m.Owner); err != nil {
			return nil, fmt.Errorf("list members: %w", err)
		}
		if m.Owner {
			m.Role = playhead.RoleAdmin
		}
		list = append(list, m)
	}
	return list, rows.Err()
}

// UserProjects lists the projects a user may see with their role there.
func (db *DB) UserProjects(ctx context.Context, userID int64) ([]playhead.ProjectRole, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+projectColumns+`, CASE WHEN u.owner THEN 'admin' ELSE m.role END
		FROM projects p JOIN users u ON u.id = ?
		LEFT JOIN memberships m ON m.project_id = p.id AND m.user_id = u.id
		WHERE p.deleting_at = 0 AND (u.owner OR m.user_id IS NOT NULL) ORDER BY p.id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list projects of user: %w", err)
	}
	defer rows.Close()
	list := []playhead.ProjectRole{}
	for rows.Next() {
		var role string
		p, err := scanProject(rowWith{rows, &role})
		if err != nil {
			return nil, fmt.Errorf("list projects of user: %w", err)
		}
		list = append(list, playhead.ProjectRole{Project: p, Role: playhead.Role(role)})
	}
	return list, rows.Err()
}

// rowWith scans a row into a scanner's destinations and then extra ones.
type rowWith struct {
	row   interface{ Scan(...any) error }
	extra any
}

func (r rowWith) Scan(dest ...any) error { return r.row.Scan(append(dest, r.extra)...) }

// MemberRole returns a user's role in a project, or ENOTFOUND.
func (db *DB) MemberRole(ctx context.Context, projectID, userID int64) (playhead.Role, error) {
	var role string
	err := db.read.QueryRowContext(ctx, `SELECT CASE WHEN u.owner THEN 'admin' ELSE m.role END
		FROM projects p JOIN users u ON u.id = ?
		LEFT JOIN memberships m ON m.project_id = p.id AND m.user_id = u.id
		WHERE p.id = ? AND p.deleting_at = 0 AND (u.owner OR m.user_id IS NOT NULL)`, userID, projectID).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return "", playhead.Errorf(playhead.ENOTFOUND, "no project %d", projectID)
	}
	if err != nil {
		return "", fmt.Errorf("read role: %w", err)
	}
	return playhead.Role(role), nil
}

// CreateAPIToken stores t and sets its ID.
func (db *DB) CreateAPIToken(ctx context.Context, t *playhead.APIToken) error {
	if t.CreatedAt.IsZero() {
		t.CreatedAt = time.Now()
	}
	res, err := db.write.ExecContext(ctx, `INSERT INTO api_tokens (project_id, name, scopes, token_hash, hint, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, t.ProjectID, t.Name, strings.Join(t.Scopes, " "), t.Hash, t.Hint, t.CreatedBy, t.CreatedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("create API token: %w", err)
	}
	t.ID, err = res.LastInsertId()
	return err
}

const tokenColumns = `id, project_id, name, scopes, token_hash, hint, created_by, created_at, last_used_at`

func scanToken(row interface{ Scan(...any) error }) (*playhead.APIToken, error) {
	t := &playhead.APIToken{}
	var scopes string
	var created, used int64
	if err := row.Scan(&t.ID, &t.ProjectID, &t.Name, &scopes, &t.Hash, &t.Hint, &t.CreatedBy, &created, &used); err != nil {
		return nil, err
	}
	t.Scopes = strings.Fields(scopes)
	t.CreatedAt = time.UnixMilli(created)
	if used > 0 {
		t.LastUsedAt = time.UnixMilli(used)
	}
	return t, nil
}

// APITokens lists a project's tokens, newest first.
func (db *DB) APITokens(ctx context.Context, projectID int64) ([]*playhead.APIToken, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE project_id = ? ORDER BY id DESC`, projectID)
	if err != nil {
		return nil, fmt.Errorf("list API tokens: %w", err)
	}
	defer rows.Close()
	list := []*playhead.APIToken{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list API tokens: %w", err)
		}
		list = append(list, t)
	}
	return list, rows.Err()
}

// APITokenByHash returns the token whose secret hashes to hash, or
// EUNAUTHORIZED.
func (db *DB) APITokenByHash(ctx context.Context, hash string) (*playhead.APIToken, error) {
	t, err := scanToken(db.read.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE token_hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, playhead.Errorf(playhead.EUNAUTHORIZED, "unknown or revoked API token")
	}
	if err != nil {
		return nil, fmt.Errorf("look up API token: %w", err)
	}
	return t, nil
}

// TouchAPIToken records that a token was used at at.
func (db *DB) TouchAPIToken(ctx context.Context, id int64, at time.Time) error {
	if _, err := db.write.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, at.UnixMilli(), id); err != nil {
		return fmt.Errorf("touch API token: %w", err)
	}
	return nil
}

// DeleteAPIToken revokes a project's token.
func (db *DB) DeleteAPIToken(ctx context.Context, projectID, id int64) error {
	res, err := db.write.ExecContext(ctx, `DELETE FROM api_tokens WHERE project_id = ? AND id = ?`, projectID, id)
	if err != nil {
		return fmt.Errorf("revoke API token: %w", err)
	}
	return oneRow(res, "API token %d", id)
}

// AddAudit appends an entry to the audit log.
func (db *DB) AddAudit(ctx context.Context, e playhead.AuditEntry) error {
	detail, err := json.Marshal(e.Detail)
	if err != nil || e.Detail == nil {
		detail = []byte("{}")
	}
	_, err = db.write.ExecContext(ctx, `INSERT INTO audit_log (at, actor_user_id, actor_token, actor_name, action, project_id, target, ip, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.At.UnixMilli(), e.ActorUserID, e.ActorToken, e.ActorName, e.Action, e.ProjectID, e.Target, e.IP, string(detail))
	if err != nil {
		return fmt.Errorf("add audit entry: %w", err)
	}
	return nil
}

// AuditEntries returns the entries f selects, newest first.
func (db *DB) AuditEntries(ctx context.Context, f playhead.AuditFilter) ([]*playhead.AuditEntry, error) {
	var where []string
	var args []any
	if f.Projects != nil {
		if len(f.Projects) == 0 {
			return []*playhead.AuditEntry{}, nil
		}
		where = append(where, `project_id IN (`+strings.TrimSuffix(strings.Repeat("?,", len(f.Projects)), ",")+`)`)
		for _, p := range f.Projects {
			args = append(args, p)
		}
	}
	add := func(cond string, v any) { where = append(where, cond); args = append(args, v) }
	if f.Actor != "" {
		add(`actor_name = ?`, f.Actor)
	}
	if strings.HasSuffix(f.Action, ".") {
		add(`substr(action, 1, ?) = ?`, len(f.Action))
		args = append(args, f.Action)
	} else if f.Action != "" {
		add(`action = ?`, f.Action)
	}
	if f.Target != "" {
		add(`target = ?`, f.Target)
	}
	if !f.Since.IsZero() {
		add(`at >= ?`, f.Since.UnixMilli())
	}
	if !f.Until.IsZero() {
		add(`at < ?`, f.Until.UnixMilli())
	}
	if f.BeforeID > 0 {
		add(`id < ?`, f.BeforeID)
	}
	q := `SELECT id, at, actor_user_id, actor_token, actor_name, action, project_id, target, ip, detail FROM audit_log`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := db.read.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	defer rows.Close()
	list := []*playhead.AuditEntry{}
	for rows.Next() {
		e := &playhead.AuditEntry{}
		var at int64
		var detail string
		if err := rows.Scan(&e.ID, &at, &e.ActorUserID, &e.ActorToken, &e.ActorName, &e.Action, &e.ProjectID, &e.Target, &e.IP, &detail); err != nil {
			return nil, fmt.Errorf("read audit log: %w", err)
		}
		e.At = time.UnixMilli(at)
		json.Unmarshal([]byte(detail), &e.Detail)
		if len(e.Detail) == 0 {
			e.Detail = nil
		}
		list = append(list, e)
	}
	return list, rows.Err()
}

// PurgeAudit deletes the entries older than before and says how many.
func (db *DB) PurgeAudit(ctx context.Context, before time.Time) (int, error) {
	res, err := db.write.ExecContext(ctx, `DELETE FROM audit_log WHERE at < ?`, before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("purge audit log: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// Setting returns an installation-wide setting ("" when unset).
func (db *DB) Setting(ctx context.Context, name string) (string, error) {
	var v string
	err := db.read.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read setting %s: %w", name, err)
	}
	return v, nil
}

// SetSetting stores an installation-wide setting.
func (db *DB) SetSetting(ctx context.Context, name, value string) error {
	_, err := db.write.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	if err != nil {
		return fmt.Errorf("store setting %s: %w", name, err)
	}
	return nil
}
