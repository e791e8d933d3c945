package sqlite_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/sqlite"
)

func TestLoginExpiry(t *testing.T) {
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	u := &playhead.User{Username: "ada", PasswordHash: "x"}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	now := time.UnixMilli(1_800_000_000_000)
	for _, l := range []struct {
		hash    string
		expires time.Time
	}{{"expired", now.Add(-time.Minute)}, {"now", now}, {"idle", now.Add(time.Hour)}, {"fresh", now.Add(2 * time.Hour)}} {
		if err := db.CreateLogin(ctx, l.hash, u.ID, l.expires); err != nil {
			t.Fatal(err)
		}
	}
	// Extending moves an expiry later, never earlier.
	if err := db.ExtendLogin(ctx, "idle", now.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := db.ExtendLogin(ctx, "fresh", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.LoginUser(ctx, "idle", now.Add(150*time.Minute)); err != nil {
		t.Errorf("extended login at +150m: %v", err)
	}
	if _, err := db.LoginUser(ctx, "fresh", now.Add(90*time.Minute)); err != nil {
		t.Errorf("login at +90m, after an ExtendLogin to +1m: %v", err)
	}
	n, err := db.PurgeLogins(ctx, now)
	if err != nil || n != 2 {
		t.Fatalf("PurgeLogins = %d, %v; want the 2 expired at now", n, err)
	}
	if _, err := db.LoginUser(ctx, "idle", now); err != nil {
		t.Errorf("an unexpired login was purged: %v", err)
	}
	if n, _ := db.PurgeLogins(ctx, now); n != 0 {
		t.Errorf("second PurgeLogins = %d, want 0", n)
	}
}
