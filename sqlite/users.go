package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/playhead/playhead"
)

// userColumns are the columns scanUser reads, in its order.
const userColumns = `u.id, u.username, u.password_hash, u.email, u.disabled, u.oidc_issuer, u.oidc_subject, u.password_changed_at, u.created_at, u.owner`

type scanner interface{ Scan(dest ...any) error }

func scanUser(row scanner) (*playhead.User, error) {
	u := &playhead.User{}
	var changed, created int64
	if err := row.Scan(&u.ID, &u.Username, &u.PasswordHash, &u.Email, &u.Disabled, &u.OIDCIssuer, &u.OIDCSubject, &changed, &created, &u.Owner); err != nil {
		return nil, err
	}
	u.PasswordChangedAt, u.CreatedAt = unixMilliOrZero(changed), unixMilliOrZero(created)
	return u, nil
}

func unixMilliOrZero(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

func milliOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// oneUser runs a query for one user and names what was not found.
func (db *DB) oneUser(ctx context.Context, what string, query string, args ...any) (*playhead.User, error) {
	u, err := scanUser(db.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE `+query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, playhead.Errorf(playhead.ENOTFOUND, "no user %s", what)
	}
	if err != nil {
		return nil, fmt.Errorf("look up user: %w", err)
	}
	return u, nil
}

// UserByID returns a user, or ENOTFOUND.
func (db *DB) UserByID(ctx context.Context, id int64) (*playhead.User, error) {
	return db.oneUser(ctx, fmt.Sprintf("with ID %d", id), `u.id = ?`, id)
}

// UserByIdentity returns the user who signs in as subject at issuer.
func (db *DB) UserByIdentity(ctx context.Context, issuer, subject string) (*playhead.User, error) {
	return db.oneUser(ctx, "with that OpenID identity", `u.oidc_issuer = ? AND u.oidc_subject = ? AND u.oidc_subject <> ''`, issuer, subject)
}

// UserByEmail returns the user with the email address, compared without
// case.
func (db *DB) UserByEmail(ctx context.Context, email string) (*playhead.User, error) {
	return db.oneUser(ctx, fmt.Sprintf("with email %q", email), `lower(u.email) = ? AND u.email <> '' ORDER BY u.id LIMIT 1`, strings.ToLower(email))
}

// Users returns every user, oldest first.
func (db *DB) Users(ctx context.Context) ([]*playhead.User, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+userColumns+` FROM users u ORDER BY u.id`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var list []*playhead.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		list = append(list, u)
	}
	return list, rows.Err()
}

// SetPassword stores a new password hash and ends the user's other logins.
func (db *DB) SetPassword(ctx context.Context, userID int64, hash string, changedAt time.Time, keepLogin string) error {
	return db.inTx(ctx, "set password", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?`, hash, changedAt.UnixMilli(), userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return playhead.Errorf(playhead.ENOTFOUND, "no user with ID %d", userID)
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM logins WHERE user_id = ? AND token_hash <> ?`, userID, keepLogin)
		return err
	})
}

// RehashPassword replaces a password hash by a stronger one of the same
// password, if it has not changed meanwhile.
func (db *DB) RehashPassword(ctx context.Context, userID int64, oldHash, newHash string) error {
	if _, err := db.write.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?`, newHash, userID, oldHash); err != nil {
		return fmt.Errorf("rehash password: %w", err)
	}
	return nil
}

// SetDisabled disables a user, ending their logins, or enables them.
func (db *DB) SetDisabled(ctx context.Context, userID int64, disabled bool) error {
	return db.inTx(ctx, "disable user", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET disabled = ? WHERE id = ?`, disabled, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return playhead.Errorf(playhead.ENOTFOUND, "no user with ID %d", userID)
		}
		if disabled {
			_, err = tx.ExecContext(ctx, `DELETE FROM logins WHERE user_id = ?`, userID)
		}
		return err
	})
}

// inTx runs f in a write transaction; errors other than the caller's
// *playhead.Error are wrapped with what.
func (db *DB) inTx(ctx context.Context, what string, f func(tx *sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		var pe *playhead.Error
		if errors.As(err, &pe) {
			return err
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// createUser stores u through ex and sets its ID; a username taken
// already (compared without case) is EINVALID.
func createUser(ctx context.Context, ex interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, u *playhead.User) error {
	var taken int
	if err := ex.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE lower(username) = lower(?)`, u.Username).Scan(&taken); err != nil {
		return err
	}
	if taken > 0 {
		return playhead.Errorf(playhead.EINVALID, "the username %q is taken; choose another", u.Username)
	}
	res, err := ex.ExecContext(ctx, `INSERT INTO users (username, password_hash, email, disabled, oidc_issuer, oidc_subject, password_changed_at, created_at, owner)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, u.Username, u.PasswordHash, u.Email, u.Disabled, u.OIDCIssuer, u.OIDCSubject,
		milliOrZero(u.PasswordChangedAt), milliOrZero(u.CreatedAt), u.Owner)
	if err != nil {
		return err
	}
	u.ID, err = res.LastInsertId()
	return err
}

const inviteColumns = `id, token_hash, project_id, role, email, coalesce(created_by, 0), created_at, expires_at, used_at, coalesce(used_by, 0)`

func scanInvite(row scanner) (*playhead.Invite, error) {
	inv := &playhead.Invite{}
	var created, expires, used int64
	if err := row.Scan(&inv.ID, &inv.TokenHash, &inv.ProjectID, &inv.Role, &inv.Email, &inv.CreatedBy, &created, &expires, &used, &inv.UsedBy); err != nil {
		return nil, err
	}
	inv.CreatedAt, inv.ExpiresAt, inv.UsedAt = time.UnixMilli(created), time.UnixMilli(expires), unixMilliOrZero(used)
	return inv, nil
}

// CreateInvite stores inv and sets its ID.
func (db *DB) CreateInvite(ctx context.Context, inv *playhead.Invite) error {
	var createdBy any
	if inv.CreatedBy != 0 {
		createdBy = inv.CreatedBy
	}
	res, err := db.write.ExecContext(ctx, `INSERT INTO invites (token_hash, project_id, role, email, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		inv.TokenHash, inv.ProjectID, inv.Role, inv.Email, createdBy, inv.CreatedAt.UnixMilli(), inv.ExpiresAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("create invite: %w", err)
	}
	inv.ID, err = res.LastInsertId()
	return err
}

// Invites returns a project's open invitations, newest first.
func (db *DB) Invites(ctx context.Context, projectID int64, now time.Time) ([]*playhead.Invite, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+inviteColumns+` FROM invites WHERE project_id = ? AND used_at = 0 AND expires_at > ? ORDER BY created_at DESC, id DESC`,
		projectID, now.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("list invites: %w", err)
	}
	defer rows.Close()
	var list []*playhead.Invite
	for rows.Next() {
		inv, err := scanInvite(rows)
		if err != nil {
			return nil, fmt.Errorf("list invites: %w", err)
		}
		list = append(list, inv)
	}
	return list, rows.Err()
}

var errNoInvite = playhead.Errorf(playhead.ENOTFOUND, "this invitation does not exist, was used already or has expired; ask for a new one")

// InviteByToken returns the open invitation whose token hashes to tokenHash.
func (db *DB) InviteByToken(ctx context.Context, tokenHash string, now time.Time) (*playhead.Invite, error) {
	inv, err := scanInvite(db.read.QueryRowContext(ctx, `SELECT `+inviteColumns+` FROM invites WHERE token_hash = ? AND used_at = 0 AND expires_at > ?`,
		tokenHash, now.UnixMilli()))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoInvite
	}
	if err != nil {
		return nil, fmt.Errorf("look up invite: %w", err)
	}
	return inv, nil
}

// AcceptInvite uses up an open invitation and creates u, in one
// transaction.
func (db *DB) AcceptInvite(ctx context.Context, tokenHash string, now time.Time, u *playhead.User) (*playhead.Invite, error) {
	var inv *playhead.Invite
	err := db.inTx(ctx, "accept invite", func(tx *sql.Tx) error {
		var err error
		inv, err = scanInvite(tx.QueryRowContext(ctx, `SELECT `+inviteColumns+` FROM invites WHERE token_hash = ? AND used_at = 0 AND expires_at > ?`,
			tokenHash, now.UnixMilli()))
		if errors.Is(err, sql.ErrNoRows) {
			return errNoInvite
		}
		if err != nil {
			return err
		}
		if err := createUser(ctx, tx, u); err != nil {
			return err
		}
		inv.UsedAt, inv.UsedBy = now, u.ID
		_, err = tx.ExecContext(ctx, `UPDATE invites SET used_at = ?, used_by = ? WHERE id = ?`, now.UnixMilli(), u.ID, inv.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return inv, nil
}

// DeleteInvite withdraws an open invitation of a project.
func (db *DB) DeleteInvite(ctx context.Context, projectID, id int64) error {
	res, err := db.write.ExecContext(ctx, `DELETE FROM invites WHERE project_id = ? AND id = ? AND used_at = 0`, projectID, id)
	if err != nil {
		return fmt.Errorf("delete invite: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return playhead.Errorf(playhead.ENOTFOUND, "no open invitation %d in this project", id)
	}
	return nil
}

// CreateSSOState stores a sign-on attempt and deletes expired ones.
func (db *DB) CreateSSOState(ctx context.Context, st *playhead.SSOState, now time.Time) error {
	return db.inTx(ctx, "store sign-on state", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sso_states WHERE expires_at <= ?`, now.UnixMilli()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sso_states (state_hash, nonce, verifier, next, expires_at) VALUES (?, ?, ?, ?, ?)`,
			st.StateHash, st.Nonce, st.Verifier, st.Next, st.ExpiresAt.UnixMilli())
		return err
	})
}

// TakeSSOState returns and deletes an unexpired sign-on attempt.
func (db *DB) TakeSSOState(ctx context.Context, stateHash string, now time.Time) (*playhead.SSOState, error) {
	st := &playhead.SSOState{StateHash: stateHash}
	var expires int64
	err := db.write.QueryRowContext(ctx, `DELETE FROM sso_states WHERE state_hash = ? RETURNING nonce, verifier, next, expires_at`, stateHash).
		Scan(&st.Nonce, &st.Verifier, &st.Next, &expires)
	if errors.Is(err, sql.ErrNoRows) || err == nil && expires <= now.UnixMilli() {
		return nil, playhead.Errorf(playhead.ENOTFOUND, "this sign-in was used already or took longer than it may; start again")
	}
	if err != nil {
		return nil, fmt.Errorf("take sign-on state: %w", err)
	}
	st.ExpiresAt = time.UnixMilli(expires)
	return st, nil
}
