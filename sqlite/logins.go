package sqlite

import (
	"context"
	"fmt"
	"time"
)

// ExtendLogin moves a login's expiry later, to expires: a login ends after
// a while without use, and each use moves that end. It never moves it
// earlier.
func (db *DB) ExtendLogin(ctx context.Context, tokenHash string, expires time.Time) error {
	_, err := db.write.ExecContext(ctx, `UPDATE logins SET expires_at = ? WHERE token_hash = ? AND expires_at < ?`,
		expires.UnixMilli(), tokenHash, expires.UnixMilli())
	if err != nil {
		return fmt.Errorf("extend login: %w", err)
	}
	return nil
}

// PurgeLogins deletes the logins expired at now and returns how many.
func (db *DB) PurgeLogins(ctx context.Context, now time.Time) (int, error) {
	res, err := db.write.ExecContext(ctx, `DELETE FROM logins WHERE expires_at <= ?`, now.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("purge logins: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
