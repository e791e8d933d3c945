package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/internal/testservers"
	"github.com/playhead/playhead/password"
	"github.com/playhead/playhead/postgres"
	"github.com/playhead/playhead/sqlite"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testservers.StopPostgreSQL()
	os.Exit(code)
}

// TestUsersCommand recovers a locked-out operator from the command line,
// on each index: create an account, reset a password (ending the logins),
// disable and enable, list.
func TestUsersCommand(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		testUsersCommand(t, []string{"-data", dir}, func(t *testing.T) playhead.Index {
			db, err := sqlite.Open(t.Context(), filepath.Join(dir, "index.db"))
			if err != nil {
				t.Fatal(err)
			}
			return db
		})
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := testservers.PostgreSQL(t)
		testUsersCommand(t, []string{"-data", t.TempDir(), "-index", dsn}, func(t *testing.T) playhead.Index {
			db, err := postgres.Open(t.Context(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			return db
		})
	})
}

func testUsersCommand(t *testing.T, flags []string, open func(t *testing.T) playhead.Index) {
	ctx := context.Background()
	env := map[string]string{}
	users := func(args ...string) (string, error) {
		t.Helper()
		var out bytes.Buffer
		err := runUsers(append(append(args[:1:1], flags...), args[1:]...), &out, func(k string) string { return env[k] })
		return out.String(), err
	}
	env["PLAYHEAD_NEW_PASSWORD"] = "password1"
	if _, err := users("create", "-username", "ops", "-email", "ops@example.com", "-owner"); err == nil || !strings.Contains(err.Error(), "10,000 most common") {
		t.Fatalf("create with a common password: %v; want it refused", err)
	}
	env["PLAYHEAD_NEW_PASSWORD"] = "a long operator passphrase"
	if _, err := users("create", "-username", "ops"); err == nil || !strings.Contains(err.Error(), "give -owner, or -project") {
		t.Fatalf("create in no project: %v", err)
	}
	if _, err := users("create", "-username", "ops", "-project", "nope"); playhead.ErrorCode(err) != playhead.ENOTFOUND {
		t.Fatalf("create in an unknown project: %v", err)
	}
	out, err := users("create", "-username", "ops", "-email", "ops@example.com", "-owner")
	if err != nil || !strings.Contains(out, "created ops") || !strings.Contains(out, "an owner") || strings.Contains(out, "password:") {
		t.Fatalf("create = %q, %v", out, err)
	}
	if _, err := users("create", "-username", "OPS", "-owner"); err == nil || !strings.Contains(err.Error(), "taken") {
		t.Fatalf("create of a taken name: %v", err)
	}
	out, err = users("create", "-username", "dev", "-project", "default", "-role", "developer")
	if err != nil || !strings.Contains(out, "developer of Default") {
		t.Fatalf("create a developer = %q, %v", out, err)
	}

	db := open(t)
	defer db.Close()
	u, err := db.UserByName(ctx, "ops")
	if err != nil || u.Email != "ops@example.com" || !u.Owner {
		t.Fatalf("the created user: %+v, %v", u, err)
	}
	dev, _ := db.UserByName(ctx, "dev")
	projects, _ := db.Projects(ctx)
	if role, err := db.MemberRole(ctx, projects[0].ID, dev.ID); err != nil || role != playhead.RoleDeveloper {
		t.Fatalf("dev's role: %q, %v", role, err)
	}
	if ok, _ := password.Verify(u.PasswordHash, "a long operator passphrase"); !ok {
		t.Fatal("the created user's password does not verify")
	}
	if err := db.CreateLogin(ctx, "ops-login", u.ID, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}

	// Locked out: a reset with a generated password ends every login.
	delete(env, "PLAYHEAD_NEW_PASSWORD")
	out, err = users("reset", "-username", "ops")
	if err != nil {
		t.Fatal(err)
	}
	pw := regexp.MustCompile(`password: (\S+)`).FindStringSubmatch(out)
	if pw == nil {
		t.Fatalf("reset printed no password: %q", out)
	}
	u, _ = db.UserByName(ctx, "ops")
	if ok, _ := password.Verify(u.PasswordHash, pw[1]); !ok || u.PasswordChangedAt.IsZero() {
		t.Fatalf("the printed password does not verify (changed at %v)", u.PasswordChangedAt)
	}
	if _, err := db.LoginUser(ctx, "ops-login", time.Now()); playhead.ErrorCode(err) != playhead.ENOTFOUND {
		t.Fatalf("a login survived the reset: %v", err)
	}

	if err := db.CreateLogin(ctx, "ops-login-2", u.ID, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if out, err := users("disable", "-username", "ops"); err != nil || !strings.Contains(out, "disabled ops") {
		t.Fatalf("disable = %q, %v", out, err)
	}
	if _, err := db.LoginUser(ctx, "ops-login-2", time.Now()); playhead.ErrorCode(err) != playhead.ENOTFOUND {
		t.Fatalf("a disabled user's login works: %v", err)
	}
	out, err = users("list")
	if err != nil || !regexp.MustCompile(`(?m)^\d+\s+ops\s+ops@example.com\s+owner\s+disabled\s+password\s+20`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^\d+\s+dev\s+-\s+-\s+active`).MatchString(out) {
		t.Fatalf("list =\n%s", out)
	}
	if _, err := users("enable", "-username", "ops"); err != nil {
		t.Fatal(err)
	}
	if u, _ := db.UserByName(ctx, "ops"); u.Disabled {
		t.Fatal("enable left the account disabled")
	}
	if _, err := users("disable", "-username", "nobody"); playhead.ErrorCode(err) != playhead.ENOTFOUND {
		t.Fatalf("disable of an unknown user: %v", err)
	}
	if _, err := users("reset"); err == nil || !strings.Contains(err.Error(), "give -username") {
		t.Fatalf("reset without a name: %v", err)
	}
	entries, err := db.AuditEntries(ctx, playhead.AuditFilter{Actor: "command line"})
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action+" "+e.Target)
	}
	for _, w := range []string{"user.create ops", "member.set dev", "password.reset ops", "user.disable ops", "user.enable ops"} {
		if !slices.Contains(actions, w) {
			t.Errorf("the audit log lacks %q: %v (%v)", w, actions, err)
		}
	}
}
