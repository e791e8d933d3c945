package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/playhead/playhead"
)

var _ playhead.AccessStore = (*DB)(nil)

// Project returns a project by ID, or ENOTFOUND (also for one being
// deleted).
func (db *DB) Project(ctx context.Context, id int64) (*playhead.Project, error) {
	p, err := scanProject(db.pool.QueryRow(ctx, `SELECT `+projectColumns+` FROM projects p WHERE p.id = $1 AND p.deleting_at = 0`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, playhead.Errorf(playhead.ENOTFOUND, "no project %d", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read project %d: %w", id, err)
	}
	return p, nil
}

// oneRow turns a statement that changed no row into ENOTFOUND.
func oneRow(tag pgconn.CommandTag, format string, args ...any) error {
	if tag.RowsAffected() == 0 {
		return playhead.Errorf(playhead.ENOTFOUND, "no "+format, args...)
	}
	return nil
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
	tag, err := db.pool.Exec(ctx, `UPDATE projects SET name = $1, settings = $2, retention_days = $3 WHERE id = $4 AND deleting_at = 0`,
		text(p.Name), text(string(settings)), p.RetentionDays, p.ID)
	if err != nil {
		return fmt.Errorf("update project: %w", err)
	}
	return oneRow(tag, "project %d", p.ID)
}

// SetIngestKey makes key the project's ingest key; the one it replaces
// stays valid until previousUntil.
func (db *DB) SetIngestKey(ctx context.Context, projectID int64, key string, previousUntil time.Time) error {
	tag, err := db.pool.Exec(ctx, `UPDATE projects SET previous_ingest_key = ingest_key, previous_key_until = $1, ingest_key = $2
		WHERE id = $3 AND deleting_at = 0`, previousUntil.UnixMilli(), text(key), projectID)
	if err != nil {
		return fmt.Errorf("set ingest key: %w", err)
	}
	return oneRow(tag, "project %d", projectID)
}

// MarkProjectDeleting hides a project from every list and lookup.
func (db *DB) MarkProjectDeleting(ctx context.Context, projectID int64, now time.Time) error {
	tag, err := db.pool.Exec(ctx, `UPDATE projects SET deleting_at = $1 WHERE id = $2 AND deleting_at = 0`, now.UnixMilli(), projectID)
	if err != nil {
		return fmt.Errorf("mark project deleting: %w", err)
	}
	return oneRow(tag, "project %d", projectID)
}

// DeletingProjects returns the projects marked for deletion.
func (db *DB) DeletingProjects(ctx context.Context) ([]*playhead.Project, error) {
	list, err := db.queryProjects(ctx, `SELECT `+projectColumns+` FROM projects p WHERE p.deleting_at <> 0 ORDER BY p.id`)
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
	var keys []string
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		// The row lock keeps new sessions of the project out meanwhile
		// (their insert checks the foreign key).
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM sessions WHERE project_id = (SELECT id FROM projects WHERE id = $1 FOR UPDATE)`, projectID).Scan(&n); err != nil {
			return fmt.Errorf("delete project: %w", err)
		}
		if n > 0 {
			return playhead.Errorf(playhead.EINVALID, "project %d still has %d sessions: erase them first", projectID, n)
		}
		rows, err := tx.Query(ctx, `SELECT DISTINCT hash FROM assets WHERE project_id = $1 AND status = 'captured' AND hash <> ''`, projectID)
		if err != nil {
			return fmt.Errorf("delete project: %w", err)
		}
		hashes, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("delete project: %w", err)
		}
		for _, h := range hashes {
			keys = append(keys, assetKey(h))
		}
		rows, err = tx.Query(ctx, `SELECT object_key FROM source_maps WHERE project_id = $1`, projectID)
		if err != nil {
			return fmt.Errorf("delete project: %w", err)
		}
		maps, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("delete project: %w", err)
		}
		keys = append(keys, maps...)
		for _, t := range projectTables {
			if _, err := tx.Exec(ctx, `DELETE FROM `+t+` WHERE project_id = $1`, projectID); err != nil {
				return fmt.Errorf("delete project: %s: %w", t, err)
			}
		}
		tag, err := tx.Exec(ctx, `DELETE FROM projects WHERE id = $1`, projectID)
		if err != nil {
			return fmt.Errorf("delete project: %w", err)
		}
		if err := oneRow(tag, "project %d", projectID); err != nil {
			return err
		}
		jobs := make([]playhead.Job, len(keys))
		for i, k := range keys {
			jobs[i] = playhead.Job{Kind: playhead.JobDeleteObject, Key: k, ProjectID: projectID}
		}
		return addJobs(ctx, tx, jobs, time.Now())
	})
	if err != nil {
		return nil, err
	}
	return keys, nil
}

// SetOwner makes a user an owner of the installation, or not.
func (db *DB) SetOwner(ctx context.Context, userID int64, owner bool) error {
	tag, err := db.pool.Exec(ctx, `UPDATE users SET owner = $1 WHERE id = $2`, flag(owner), userID)
	if err != nil {
		return fmt.Errorf("set owner: %w", err)
	}
	return oneRow(tag, "user %d", userID)
}

// SetMember gives a user a role in a project, replacing any other.
func (db *DB) SetMember(ctx context.Context, projectID, userID int64, role playhead.Role) error {
	if !role.Valid() {
		_, err := playhead.ParseRole(string(role))
		return err
	}
	tag, err := db.pool.Exec(ctx, `INSERT INTO memberships (project_id, user_id, role)
		SELECT p.id, u.id, $3 FROM projects p, users u WHERE p.id = $1 AND p.deleting_at = 0 AND u.id = $2
		ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role`, projectID, userID, string(role))
	if err != nil {
		return fmt.Errorf("set member: %w", err)
	}
	return oneRow(tag, "project %d or no user %d", projectID, userID)
}

// RemoveMember ends a user's membership of a project.
func (db *DB) RemoveMember(ctx context.Context, projectID, userID int64) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM memberships WHERE project_id = $1 AND user_id = $2`, projectID, userID)
	if err != nil {
		return fmt.Errorf("remove member: %w", err)
	}
	return oneRow(tag, "membership of user %d in project %d", userID, projectID)
}

// Members lists a project's members and the owners, by username.
func (db *DB) Members(ctx context.Context, projectID int64) ([]playhead.Member, error) {
	rows, err := db.pool.Query(ctx, `SELECT u.id, u.username, coalesce(m.role, ''), u.owner <> 0 FROM users u
		LEFT JOIN memberships m ON m.user_id = u.id AND m.project_id = $1
		WHERE u.owner <> 0 OR m.user_id IS NOT NULL ORDER BY u.username COLLATE "C"`, projectID)
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (playhead.Member, error) {
		m := playhead.Member{ProjectID: projectID}
		err := row.Scan(&m.UserID, &m.Username, &m.Role, &m.Owner)
		if m.Owner {
			m.Role = playhead.RoleAdmin
		}
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	return list, nil
}

// UserProjects lists the projects a user may see with their role there.
func (db *DB) UserProjects(ctx context.Context, userID int64) ([]playhead.ProjectRole, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+projectColumns+`, CASE WHEN u.owner <> 0 THEN 'admin' ELSE m.role END
		FROM projects p JOIN users u ON u.id = $1
		LEFT JOIN memberships m ON m.project_id = p.id AND m.user_id = u.id
		WHERE p.deleting_at = 0 AND (u.owner <> 0 OR m.user_id IS NOT NULL) ORDER BY p.id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list projects of user: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (playhead.ProjectRole, error) {
		var role string
		p, err := scanProject(row, &role)
		return playhead.ProjectRole{Project: p, Role: playhead.Role(role)}, err
	})
	if err != nil {
		return nil, fmt.Errorf("list projects of user: %w", err)
	}
	return list, nil
}

// MemberRole returns a user's role in a project, or ENOTFOUND.
func (db *DB) MemberRole(ctx context.Context, projectID, userID int64) (playhead.Role, error) {
	var role string
	err := db.pool.QueryRow(ctx, `SELECT CASE WHEN u.owner <> 0 THEN 'admin' ELSE m.role END
		FROM projects p JOIN users u ON u.id = $1
		LEFT JOIN memberships m ON m.project_id = p.id AND m.user_id = u.id
		WHERE p.id = $2 AND p.deleting_at = 0 AND (u.owner <> 0 OR m.user_id IS NOT NULL)`, userID, projectID).Scan(&role)
	if errors.Is(err, pgx.ErrNoRows) {
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
	err := db.pool.QueryRow(ctx, `INSERT INTO api_tokens (project_id, name, scopes, token_hash, hint, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, t.ProjectID, text(t.Name), text(strings.Join(t.Scopes, " ")), text(t.Hash), text(t.Hint),
		t.CreatedBy, t.CreatedAt.UnixMilli()).Scan(&t.ID)
	if err != nil {
		return fmt.Errorf("create API token: %w", err)
	}
	return nil
}

const tokenColumns = `id, project_id, name, scopes, token_hash, hint, created_by, created_at, last_used_at`

func scanToken(row pgx.Row) (*playhead.APIToken, error) {
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
	rows, err := db.pool.Query(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE project_id = $1 ORDER BY id DESC`, projectID)
	if err != nil {
		return nil, fmt.Errorf("list API tokens: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*playhead.APIToken, error) { return scanToken(row) })
	if err != nil {
		return nil, fmt.Errorf("list API tokens: %w", err)
	}
	return list, nil
}

// APITokenByHash returns the token whose secret hashes to hash, or
// EUNAUTHORIZED.
func (db *DB) APITokenByHash(ctx context.Context, hash string) (*playhead.APIToken, error) {
	t, err := scanToken(db.pool.QueryRow(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE token_hash = $1`, text(hash)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, playhead.Errorf(playhead.EUNAUTHORIZED, "unknown or revoked API token")
	}
	if err != nil {
		return nil, fmt.Errorf("look up API token: %w", err)
	}
	return t, nil
}

// TouchAPIToken records that a token was used at at.
func (db *DB) TouchAPIToken(ctx context.Context, id int64, at time.Time) error {
	if _, err := db.pool.Exec(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, at.UnixMilli(), id); err != nil {
		return fmt.Errorf("touch API token: %w", err)
	}
	return nil
}

// DeleteAPIToken revokes a project's token.
func (db *DB) DeleteAPIToken(ctx context.Context, projectID, id int64) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM api_tokens WHERE project_id = $1 AND id = $2`, projectID, id)
	if err != nil {
		return fmt.Errorf("revoke API token: %w", err)
	}
	return oneRow(tag, "API token %d", id)
}

// AddAudit appends an entry to the audit log.
func (db *DB) AddAudit(ctx context.Context, e playhead.AuditEntry) error {
	detail, err := json.Marshal(e.Detail)
	if err != nil || e.Detail == nil {
		detail = []byte("{}")
	}
	_, err = db.pool.Exec(ctx, `INSERT INTO audit_log (at, actor_user_id, actor_token, actor_name, action, project_id, target, ip, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, e.At.UnixMilli(), e.ActorUserID, text(e.ActorToken), text(e.ActorName), text(e.Action),
		e.ProjectID, text(e.Target), text(e.IP), text(string(detail)))
	if err != nil {
		return fmt.Errorf("add audit entry: %w", err)
	}
	return nil
}

// AuditEntries returns the entries f selects, newest first.
func (db *DB) AuditEntries(ctx context.Context, f playhead.AuditFilter) ([]*playhead.AuditEntry, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "$", "$"+strconv.Itoa(len(args))))
	}
	if f.Projects != nil {
		if len(f.Projects) == 0 {
			return []*playhead.AuditEntry{}, nil
		}
		add(`project_id = ANY($)`, f.Projects)
	}
	if f.Actor != "" {
		add(`actor_name = $`, text(f.Actor))
	}
	if strings.HasSuffix(f.Action, ".") {
		add(`starts_with(action, $)`, text(f.Action))
	} else if f.Action != "" {
		add(`action = $`, text(f.Action))
	}
	if f.Target != "" {
		add(`target = $`, text(f.Target))
	}
	if !f.Since.IsZero() {
		add(`at >= $`, f.Since.UnixMilli())
	}
	if !f.Until.IsZero() {
		add(`at < $`, f.Until.UnixMilli())
	}
	if f.BeforeID > 0 {
		add(`id < $`, f.BeforeID)
	}
	q := `SELECT id, at, actor_user_id, actor_token, actor_name, action, project_id, target, ip, detail FROM audit_log`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	args = append(args, limit)
	q += ` ORDER BY id DESC LIMIT $` + strconv.Itoa(len(args))
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*playhead.AuditEntry, error) {
		e := &playhead.AuditEntry{}
		var at int64
		var detail string
		if err := row.Scan(&e.ID, &at, &e.ActorUserID, &e.ActorToken, &e.ActorName, &e.Action, &e.ProjectID, &e.Target, &e.IP, &detail); err != nil {
			return nil, err
		}
		e.At = time.UnixMilli(at)
		json.Unmarshal([]byte(detail), &e.Detail)
		if len(e.Detail) == 0 {
			e.Detail = nil
		}
		return e, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	return list, nil
}

// PurgeAudit deletes the entries older than before and says how many.
func (db *DB) PurgeAudit(ctx context.Context, before time.Time) (int, error) {
	tag, err := db.pool.Exec(ctx, `DELETE FROM audit_log WHERE at < $1`, before.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("purge audit log: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// Setting returns an installation-wide setting ("" when unset).
func (db *DB) Setting(ctx context.Context, name string) (string, error) {
	var v string
	err := db.pool.QueryRow(ctx, `SELECT value FROM settings WHERE name = $1`, text(name)).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read setting %s: %w", name, err)
	}
	return v, nil
}

// SetSetting stores an installation-wide setting.
func (db *DB) SetSetting(ctx context.Context, name, value string) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO settings (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, text(name), text(value))
	if err != nil {
		return fmt.Errorf("store setting %s: %w", name, err)
	}
	return nil
}
