package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/playhead/playhead"
)

// userColumns are the columns scanUser reads, in its order.
const userColumns = `u.id, u.username, u.password_hash, u.email, u.disabled, u.oidc_issuer, u.oidc_subject, u.password_changed_at, u.created_at, u.owner`

func scanUser(row pgx.Row) (*playhead.User, error) {
	u := &playhead.User{}
	var changed, created int64
	var disabled, owner int32
	if err := row.Scan(&u.ID, &u.Username, &u.PasswordHash, &u.Email, &disabled, &u.OIDCIssuer, &u.OIDCSubject, &changed, &created, &owner); err != nil {
		return nil, err
	}
	u.Disabled, u.Owner = disabled != 0, owner != 0
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
	u, err := scanUser(db.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE `+query, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, playhead.Errorf(playhead.ENOTFOUND, "no user %s", what)
	}
	if err != nil {
		return nil, fmt.Errorf("look up user: %w", err)
	}
	return u, nil
}

// UserByID returns a user, or ENOTFOUND.
func (db *DB) UserByID(ctx context.Context, id int64) (*playhead.User, error) {
	return db.oneUser(ctx, fmt.Sprintf("with ID %d", id), `u.id = $1`, id)
}

// UserByIdentity returns the user who signs in as subject at issuer.
func (db *DB) UserByIdentity(ctx context.Context, issuer, subject string) (*playhead.User, error) {
	return db.oneUser(ctx, "with that OpenID identity", `u.oidc_issuer = $1 AND u.oidc_subject = $2 AND u.oidc_subject <> ''`, text(issuer), text(subject))
}

// UserByEmail returns the user with the email address, compared without
// case.
func (db *DB) UserByEmail(ctx context.Context, email string) (*playhead.User, error) {
	return db.oneUser(ctx, fmt.Sprintf("with email %q", email), `lower(u.email) = $1 AND u.email <> '' ORDER BY u.id LIMIT 1`, text(strings.ToLower(email)))
}

// Users returns every user, oldest first.
func (db *DB) Users(ctx context.Context) ([]*playhead.User, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+userColumns+` FROM users u ORDER BY u.id`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*playhead.User, error) { return scanUser(row) })
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return list, nil
}

// inTx runs f in a transaction; errors other than the caller's
// *playhead.Error are wrapped with what.
func (db *DB) inTx(ctx context.Context, what string, f func(tx pgx.Tx) error) error {
	err := pgx.BeginFunc(ctx, db.pool, f)
	var pe *playhead.Error
	if err != nil && !errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return err
}

// SetPassword stores a new password hash and ends the user's other logins.
func (db *DB) SetPassword(ctx context.Context, userID int64, hash string, changedAt time.Time, keepLogin string) error {
	return db.inTx(ctx, "set password", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE id = $3`, hash, changedAt.UnixMilli(), userID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return playhead.Errorf(playhead.ENOTFOUND, "no user with ID %d", userID)
		}
		_, err = tx.Exec(ctx, `DELETE FROM logins WHERE user_id = $1 AND token_hash <> $2`, userID, text(keepLogin))
		return err
	})
}

// RehashPassword replaces a password hash by a stronger one of the same
// password, if it has not changed meanwhile.
func (db *DB) RehashPassword(ctx context.Context, userID int64, oldHash, newHash string) error {
	if _, err := db.pool.Exec(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3`, newHash, userID, oldHash); err != nil {
		return fmt.Errorf("rehash password: %w", err)
	}
	return nil
}

// SetDisabled disables a user, ending their logins, or enables them.
func (db *DB) SetDisabled(ctx context.Context, userID int64, disabled bool) error {
	return db.inTx(ctx, "disable user", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET disabled = $1 WHERE id = $2`, flag(disabled), userID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return playhead.Errorf(playhead.ENOTFOUND, "no user with ID %d", userID)
		}
		if disabled {
			_, err = tx.Exec(ctx, `DELETE FROM logins WHERE user_id = $1`, userID)
		}
		return err
	})
}

// createUser stores u through q and sets its ID; a username taken
// already (compared without case) is EINVALID. Two accounts created at
// once under names differing only in case can both pass the check; the
// unique column still refuses exact duplicates.
func createUser(ctx context.Context, q interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}, u *playhead.User) error {
	var taken int
	if err := q.QueryRow(ctx, `SELECT count(*) FROM users WHERE lower(username) = lower($1)`, text(u.Username)).Scan(&taken); err != nil {
		return err
	}
	if taken > 0 {
		return playhead.Errorf(playhead.EINVALID, "the username %q is taken; choose another", u.Username)
	}
	return q.QueryRow(ctx, `INSERT INTO users (username, password_hash, email, disabled, oidc_issuer, oidc_subject, password_changed_at, created_at, owner)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, text(u.Username), u.PasswordHash, text(u.Email), flag(u.Disabled),
		text(u.OIDCIssuer), text(u.OIDCSubject), milliOrZero(u.PasswordChangedAt), milliOrZero(u.CreatedAt), flag(u.Owner)).Scan(&u.ID)
}

const inviteColumns = `id, token_hash, project_id, role, email, coalesce(created_by, 0), created_at, expires_at, used_at, coalesce(used_by, 0)`

func scanInvite(row pgx.Row) (*playhead.Invite, error) {
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
	var createdBy *int64
	if inv.CreatedBy != 0 {
		createdBy = &inv.CreatedBy
	}
	err := db.pool.QueryRow(ctx, `INSERT INTO invites (token_hash, project_id, role, email, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		text(inv.TokenHash), inv.ProjectID, inv.Role, text(inv.Email), createdBy, inv.CreatedAt.UnixMilli(), inv.ExpiresAt.UnixMilli()).Scan(&inv.ID)
	if err != nil {
		return fmt.Errorf("create invite: %w", err)
	}
	return nil
}

// Invites returns a project's open invitations, newest first.
func (db *DB) Invites(ctx context.Context, projectID int64, now time.Time) ([]*playhead.Invite, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+inviteColumns+` FROM invites WHERE project_id = $1 AND used_at = 0 AND expires_at > $2 ORDER BY created_at DESC, id DESC`,
		projectID, now.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("list invites: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*playhead.Invite, error) { return scanInvite(row) })
	if err != nil {
		return nil, fmt.Errorf("list invites: %w", err)
	}
	return list, nil
}

var errNoInvite = playhead.Errorf(playhead.ENOTFOUND, "this invitation does not exist, was used already or has expired; ask for a new one")

// InviteByToken returns the open invitation whose token hashes to tokenHash.
func (db *DB) InviteByToken(ctx context.Context, tokenHash string, now time.Time) (*playhead.Invite, error) {
	inv, err := scanInvite(db.pool.QueryRow(ctx, `SELECT `+inviteColumns+` FROM invites WHERE token_hash = $1 AND used_at = 0 AND expires_at > $2`,
		text(tokenHash), now.UnixMilli()))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errNoInvite
	}
	if err != nil {
		return nil, fmt.Errorf("look up invite: %w", err)
	}
	return inv, nil
}

// AcceptInvite uses up an open invitation and creates u, in one
// transaction: the invitation's row is locked, so of two acceptances at
// once one finds it used.
func (db *DB) AcceptInvite(ctx context.Context, tokenHash string, now time.Time, u *playhead.User) (*playhead.Invite, error) {
	var inv *playhead.Invite
	err := db.inTx(ctx, "accept invite", func(tx pgx.Tx) error {
		var err error
		inv, err = scanInvite(tx.QueryRow(ctx, `SELECT `+inviteColumns+` FROM invites WHERE token_hash = $1 AND used_at = 0 AND expires_at > $2 FOR UPDATE`,
			text(tokenHash), now.UnixMilli()))
		if errors.Is(err, pgx.ErrNoRows) {
			return errNoInvite
		}
		if err != nil {
			return err
		}
		if err := createUser(ctx, tx, u); err != nil {
			return err
		}
		inv.UsedAt, inv.UsedBy = now, u.ID
		_, err = tx.Exec(ctx, `UPDATE invites SET used_at = $1, used_by = $2 WHERE id = $3`, now.UnixMilli(), u.ID, inv.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return inv, nil
}

// DeleteInvite withdraws an open invitation of a project.
func (db *DB) DeleteInvite(ctx context.Context, projectID, id int64) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM invites WHERE project_id = $1 AND id = $2 AND used_at = 0`, projectID, id)
	if err != nil {
		return fmt.Errorf("delete invite: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return playhead.Errorf(playhead.ENOTFOUND, "no open invitation %d in this project", id)
	}
	return nil
}

// CreateSSOState stores a sign-on attempt and deletes expired ones.
func (db *DB) CreateSSOState(ctx context.Context, st *playhead.SSOState, now time.Time) error {
	return db.inTx(ctx, "store sign-on state", func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM sso_states WHERE expires_at <= $1`, now.UnixMilli()); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO sso_states (state_hash, nonce, verifier, next, expires_at) VALUES ($1, $2, $3, $4, $5)`,
			text(st.StateHash), text(st.Nonce), text(st.Verifier), text(st.Next), st.ExpiresAt.UnixMilli())
		return err
	})
}

// TakeSSOState returns and deletes an unexpired sign-on attempt.
func (db *DB) TakeSSOState(ctx context.Context, stateHash string, now time.Time) (*playhead.SSOState, error) {
	st := &playhead.SSOState{StateHash: stateHash}
	var expires int64
	err := db.pool.QueryRow(ctx, `DELETE FROM sso_states WHERE state_hash = $1 RETURNING nonce, verifier, next, expires_at`, text(stateHash)).
		Scan(&st.Nonce, &st.Verifier, &st.Next, &expires)
	if errors.Is(err, pgx.ErrNoRows) || err == nil && expires <= now.UnixMilli() {
		return nil, playhead.Errorf(playhead.ENOTFOUND, "this sign-in was used already or took longer than it may; start again")
	}
	if err != nil {
		return nil, fmt.Errorf("take sign-on state: %w", err)
	}
	st.ExpiresAt = time.UnixMilli(expires)
	return st, nil
}
