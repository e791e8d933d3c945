package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/playhead/playhead"
)

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
	err = db.pool.QueryRow(ctx, `INSERT INTO projects (name, ingest_key, created_at, retention_days, settings) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		text(p.Name), text(p.IngestKey), p.CreatedAt.UnixMilli(), p.RetentionDays, string(settings)).Scan(&p.ID)
	if err != nil {
		return fmt.Errorf("create project: %w", err)
	}
	return nil
}

// projectColumns are the columns scanProject reads, of a table p.
const projectColumns = `p.id, p.name, p.ingest_key, p.created_at, p.retention_days, p.settings, p.previous_ingest_key, p.previous_key_until`

func scanProject(row pgx.Row, extra ...any) (*playhead.Project, error) {
	p := &playhead.Project{}
	var created, previousUntil int64
	var settings string
	if err := row.Scan(append([]any{&p.ID, &p.Name, &p.IngestKey, &created, &p.RetentionDays, &settings, &p.PreviousIngestKey, &previousUntil}, extra...)...); err != nil {
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
	rows, err := db.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*playhead.Project, error) { return scanProject(row) })
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
	p, err := scanProject(db.pool.QueryRow(ctx, `SELECT `+projectColumns+` FROM projects p
		WHERE (p.ingest_key = $1 OR (p.previous_ingest_key = $1 AND $1 <> '')) AND p.deleting_at = 0`, text(key)))
	if errors.Is(err, pgx.ErrNoRows) {
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
	return db.inTx(ctx, "create user", func(tx pgx.Tx) error { return createUser(ctx, tx, u) })
}

// flag is a boolean as the schema stores it (an integer, as in SQLite, so
// that rows copy between the two as they are).
func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}

// UserByName returns the user called username, or ENOTFOUND.
func (db *DB) UserByName(ctx context.Context, username string) (*playhead.User, error) {
	return db.oneUser(ctx, fmt.Sprintf("%q", username), `u.username = $1`, text(username))
}

// CountUsers returns how many users exist.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// CreateLogin stores a login token's hash for a user until expires.
func (db *DB) CreateLogin(ctx context.Context, tokenHash string, userID int64, expires time.Time) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO logins (token_hash, user_id, expires_at) VALUES ($1, $2, $3)`,
		text(tokenHash), userID, expires.UnixMilli())
	if err != nil {
		return fmt.Errorf("create login: %w", err)
	}
	return nil
}

// LoginUser returns the user of an unexpired login, or ENOTFOUND. A
// disabled user's logins have ended.
func (db *DB) LoginUser(ctx context.Context, tokenHash string, now time.Time) (*playhead.User, error) {
	u, err := scanUser(db.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM logins l
		JOIN users u ON u.id = l.user_id WHERE l.token_hash = $1 AND l.expires_at > $2 AND u.disabled = 0`, text(tokenHash), now.UnixMilli()))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, playhead.Errorf(playhead.ENOTFOUND, "no such login")
	}
	if err != nil {
		return nil, fmt.Errorf("look up login: %w", err)
	}
	return u, nil
}

// DeleteLogin ends a login.
func (db *DB) DeleteLogin(ctx context.Context, tokenHash string) error {
	if _, err := db.pool.Exec(ctx, `DELETE FROM logins WHERE token_hash = $1`, text(tokenHash)); err != nil {
		return fmt.Errorf("delete login: %w", err)
	}
	return nil
}

// ExtendLogin moves a login's expiry later, to expires; never earlier.
func (db *DB) ExtendLogin(ctx context.Context, tokenHash string, expires time.Time) error {
	_, err := db.pool.Exec(ctx, `UPDATE logins SET expires_at = $1 WHERE token_hash = $2 AND expires_at < $1`,
		expires.UnixMilli(), text(tokenHash))
	if err != nil {
		return fmt.Errorf("extend login: %w", err)
	}
	return nil
}

// PurgeLogins deletes the logins expired at now and returns how many.
func (db *DB) PurgeLogins(ctx context.Context, now time.Time) (int, error) {
	tag, err := db.pool.Exec(ctx, `DELETE FROM logins WHERE expires_at <= $1`, now.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("purge logins: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
