package indextest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/playhead/playhead"
)

// RunUsers runs the suite's tests of accounts: users' emails, OpenID
// identities, passwords, disabling, and invitations. newIndex returns a
// fresh, empty index for each subtest.
func RunUsers(t *testing.T, newIndex func(t *testing.T) playhead.Index) {
	ctx := context.Background()
	now := time.UnixMilli(1_800_000_000_000)
	user := func(t *testing.T, db playhead.Index, u *playhead.User) *playhead.User {
		t.Helper()
		if err := db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		return u
	}
	wantCode := func(t *testing.T, what string, err error, code string) {
		t.Helper()
		if got := playhead.ErrorCode(err); got != code {
			t.Fatalf("%s: error %v (code %q); want code %q", what, err, got, code)
		}
	}

	t.Run("UsersAndIdentities", func(t *testing.T) {
		db := newIndex(t)
		ada := user(t, db, &playhead.User{Username: "ada", PasswordHash: "h1", Email: "Ada@Example.com", CreatedAt: now})
		sso := user(t, db, &playhead.User{Username: "grace@example.com", Email: "grace@example.com",
			OIDCIssuer: "https://id.example.com", OIDCSubject: "sub-1", CreatedAt: now})
		got, err := db.UserByID(ctx, ada.ID)
		if err != nil || got.Username != "ada" || got.Email != "Ada@Example.com" || got.PasswordHash != "h1" || !got.CreatedAt.Equal(now) || got.Disabled {
			t.Fatalf("UserByID = %+v, %v", got, err)
		}
		if got, err := db.UserByEmail(ctx, "ada@example.COM"); err != nil || got.ID != ada.ID {
			t.Fatalf("UserByEmail (other case) = %+v, %v; want ada", got, err)
		}
		if got, err := db.UserByIdentity(ctx, "https://id.example.com", "sub-1"); err != nil || got.ID != sso.ID || got.PasswordHash != "" {
			t.Fatalf("UserByIdentity = %+v, %v; want grace", got, err)
		}
		_, err = db.UserByIdentity(ctx, "https://other.example.com", "sub-1")
		wantCode(t, "identity at another issuer", err, playhead.ENOTFOUND)
		_, err = db.UserByIdentity(ctx, "", "")
		wantCode(t, "empty identity (password users have one)", err, playhead.ENOTFOUND)
		_, err = db.UserByEmail(ctx, "")
		wantCode(t, "empty email", err, playhead.ENOTFOUND)
		_, err = db.UserByID(ctx, 999)
		wantCode(t, "unknown ID", err, playhead.ENOTFOUND)
		err = db.CreateUser(ctx, &playhead.User{Username: "ADA", PasswordHash: "h"})
		wantCode(t, "a username taken in another case", err, playhead.EINVALID)
		err = db.CreateUser(ctx, &playhead.User{Username: "other", OIDCIssuer: "https://id.example.com", OIDCSubject: "sub-1"})
		if err == nil {
			t.Fatal("a second user with the same OpenID identity was created")
		}
		list, err := db.Users(ctx)
		if err != nil || len(list) != 2 || list[0].ID != ada.ID || list[1].OIDCSubject != "sub-1" {
			t.Fatalf("Users = %v, %v", list, err)
		}
		if n, err := db.CountUsers(ctx); err != nil || n != 2 {
			t.Fatalf("CountUsers = %d, %v; want 2", n, err)
		}
	})

	t.Run("PasswordsAndLogins", func(t *testing.T) {
		db := newIndex(t)
		ada := user(t, db, &playhead.User{Username: "ada", PasswordHash: "old"})
		bob := user(t, db, &playhead.User{Username: "bob", PasswordHash: "bob's"})
		for _, l := range []struct {
			token string
			id    int64
		}{{"ada-1", ada.ID}, {"ada-2", ada.ID}, {"ada-3", ada.ID}, {"bob-1", bob.ID}} {
			if err := db.CreateLogin(ctx, l.token, l.id, now.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		changed := now.Add(time.Minute)
		if err := db.SetPassword(ctx, ada.ID, "new", changed, "ada-2"); err != nil {
			t.Fatal(err)
		}
		for token, want := range map[string]bool{"ada-1": false, "ada-2": true, "ada-3": false, "bob-1": true} {
			_, err := db.LoginUser(ctx, token, now)
			if (err == nil) != want {
				t.Errorf("login %s after ada's password change: err %v; want alive %v", token, err, want)
			}
		}
		got, _ := db.UserByID(ctx, ada.ID)
		if got.PasswordHash != "new" || !got.PasswordChangedAt.Equal(changed) {
			t.Fatalf("after SetPassword: hash %q changed %v; want new at %v", got.PasswordHash, got.PasswordChangedAt, changed)
		}
		// A reset by someone else keeps no login of the user.
		if err := db.SetPassword(ctx, ada.ID, "reset", changed, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := db.LoginUser(ctx, "ada-2", now); err == nil {
			t.Fatal("a login survived a password reset")
		}
		wantCode(t, "SetPassword of an unknown user", db.SetPassword(ctx, 999, "x", now, ""), playhead.ENOTFOUND)

		// Rehashing replaces only the hash it was computed from.
		if err := db.RehashPassword(ctx, ada.ID, "stale", "argon"); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.UserByID(ctx, ada.ID); got.PasswordHash != "reset" {
			t.Fatalf("rehash of a hash changed meanwhile replaced it: %q", got.PasswordHash)
		}
		if err := db.RehashPassword(ctx, ada.ID, "reset", "argon"); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.UserByID(ctx, ada.ID); got.PasswordHash != "argon" || !got.PasswordChangedAt.Equal(changed) {
			t.Fatalf("after rehash: %q changed %v; want argon, unchanged date", got.PasswordHash, got.PasswordChangedAt)
		}
	})

	t.Run("Disable", func(t *testing.T) {
		db := newIndex(t)
		ada := user(t, db, &playhead.User{Username: "ada", PasswordHash: "h"})
		if err := db.CreateLogin(ctx, "ada-1", ada.ID, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := db.SetDisabled(ctx, ada.ID, true); err != nil {
			t.Fatal(err)
		}
		_, err := db.LoginUser(ctx, "ada-1", now)
		wantCode(t, "login of a disabled user", err, playhead.ENOTFOUND)
		if got, _ := db.UserByName(ctx, "ada"); !got.Disabled {
			t.Fatal("UserByName does not say the user is disabled")
		}
		// A login made while disabled (a race with sign-in) is no use either.
		if err := db.CreateLogin(ctx, "ada-2", ada.ID, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		_, err = db.LoginUser(ctx, "ada-2", now)
		wantCode(t, "login created while disabled", err, playhead.ENOTFOUND)
		if err := db.SetDisabled(ctx, ada.ID, false); err != nil {
			t.Fatal(err)
		}
		if got, err := db.LoginUser(ctx, "ada-2", now); err != nil || got.Disabled {
			t.Fatalf("login after enabling: %+v, %v", got, err)
		}
		wantCode(t, "SetDisabled of an unknown user", db.SetDisabled(ctx, 999, true), playhead.ENOTFOUND)
	})

	t.Run("Invites", func(t *testing.T) {
		db := newIndex(t)
		p := &playhead.Project{Name: "Shop", IngestKey: "phk_invites_" + t.Name()}
		other := &playhead.Project{Name: "Other", IngestKey: "phk_invites_other_" + t.Name()}
		for _, pr := range []*playhead.Project{p, other} {
			if err := db.CreateProject(ctx, pr); err != nil {
				t.Fatal(err)
			}
		}
		owner := user(t, db, &playhead.User{Username: "owner", PasswordHash: "h"})
		invite := func(token string, expires time.Time, role playhead.Role) *playhead.Invite {
			t.Helper()
			inv := &playhead.Invite{TokenHash: token, ProjectID: p.ID, Role: role, Email: token + "@example.com",
				CreatedBy: owner.ID, CreatedAt: now, ExpiresAt: expires}
			if err := db.CreateInvite(ctx, inv); err != nil {
				t.Fatal(err)
			}
			return inv
		}
		open := invite("open", now.Add(time.Hour), inviteRole(0))
		invite("expired", now, inviteRole(1))
		second := invite("second", now.Add(2*time.Hour), inviteRole(1))

		got, err := db.InviteByToken(ctx, "open", now)
		if err != nil || got.ID != open.ID || got.ProjectID != p.ID || got.Role != inviteRole(0) || got.CreatedBy != owner.ID ||
			!got.ExpiresAt.Equal(now.Add(time.Hour)) || got.Email != "open@example.com" {
			t.Fatalf("InviteByToken = %+v, %v", got, err)
		}
		_, err = db.InviteByToken(ctx, "expired", now)
		wantCode(t, "an expired invite", err, playhead.ENOTFOUND)
		list, err := db.Invites(ctx, p.ID, now)
		if err != nil || len(list) != 2 {
			t.Fatalf("Invites = %v, %v; want the two open ones", list, err)
		}
		if list, _ := db.Invites(ctx, other.ID, now); len(list) != 0 {
			t.Fatalf("another project's Invites = %v; want none", list)
		}

		// A taken username leaves the invitation open.
		_, err = db.AcceptInvite(ctx, "open", now, &playhead.User{Username: "Owner", PasswordHash: "h"})
		wantCode(t, "accepting with a taken username", err, playhead.EINVALID)
		newbie := &playhead.User{Username: "newbie", PasswordHash: "h", Email: "open@example.com", CreatedAt: now}
		inv, err := db.AcceptInvite(ctx, "open", now, newbie)
		if err != nil || inv.ID != open.ID || inv.Role != inviteRole(0) || newbie.ID == 0 || inv.UsedBy != newbie.ID {
			t.Fatalf("AcceptInvite = %+v, %v (user %d)", inv, err, newbie.ID)
		}
		if got, err := db.UserByName(ctx, "newbie"); err != nil || got.Email != "open@example.com" {
			t.Fatalf("the accepted user: %+v, %v", got, err)
		}
		_, err = db.AcceptInvite(ctx, "open", now, &playhead.User{Username: "again", PasswordHash: "h"})
		wantCode(t, "accepting a used invite", err, playhead.ENOTFOUND)
		_, err = db.AcceptInvite(ctx, "expired", now, &playhead.User{Username: "late", PasswordHash: "h"})
		wantCode(t, "accepting an expired invite", err, playhead.ENOTFOUND)
		if _, err := db.UserByName(ctx, "late"); playhead.ErrorCode(err) != playhead.ENOTFOUND {
			t.Fatal("a refused acceptance created its user")
		}

		wantCode(t, "deleting through another project", db.DeleteInvite(ctx, other.ID, second.ID), playhead.ENOTFOUND)
		wantCode(t, "deleting a used invite", db.DeleteInvite(ctx, p.ID, open.ID), playhead.ENOTFOUND)
		if err := db.DeleteInvite(ctx, p.ID, second.ID); err != nil {
			t.Fatal(err)
		}
		_, err = db.InviteByToken(ctx, "second", now)
		wantCode(t, "a deleted invite", err, playhead.ENOTFOUND)
	})

	t.Run("SSOStates", func(t *testing.T) { runSSOStates(t, newIndex(t), now) })

	t.Run("InviteUsedOnce", func(t *testing.T) {
		db := newIndex(t)
		p := &playhead.Project{Name: "Shop", IngestKey: "phk_once_" + t.Name()}
		if err := db.CreateProject(ctx, p); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateInvite(ctx, &playhead.Invite{TokenHash: "race", ProjectID: p.ID, Role: inviteRole(0), CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = db.AcceptInvite(ctx, "race", now, &playhead.User{Username: fmt.Sprintf("racer%d", i), PasswordHash: "h"})
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch playhead.ErrorCode(err) {
			case "":
				ok++
			case playhead.ENOTFOUND:
			default:
				t.Errorf("a concurrent acceptance failed otherwise: %v", err)
			}
		}
		if n, _ := db.CountUsers(ctx); ok != 1 || n != 1 {
			t.Fatalf("%d of 8 concurrent acceptances succeeded, %d users exist; want 1 and 1", ok, n)
		}
	})
}

// inviteRole returns a role to invite with, the i-th one.
func inviteRole(i int) playhead.Role { return []playhead.Role{"viewer", "developer"}[i] }

// runSSOStates tests single sign-on attempts: taken once, never expired.
func runSSOStates(t *testing.T, db playhead.Index, now time.Time) {
	ctx := context.Background()
	for _, st := range []*playhead.SSOState{
		{StateHash: "live", Nonce: "n1", Verifier: "v1", Next: "/sessions/abc", ExpiresAt: now.Add(10 * time.Minute)},
		{StateHash: "old", Nonce: "n2", Verifier: "v2", ExpiresAt: now.Add(time.Minute)},
	} {
		if err := db.CreateSSOState(ctx, st, now); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.TakeSSOState(ctx, "live", now)
	if err != nil || got.Nonce != "n1" || got.Verifier != "v1" || got.Next != "/sessions/abc" {
		t.Fatalf("TakeSSOState = %+v, %v", got, err)
	}
	if _, err := db.TakeSSOState(ctx, "live", now); playhead.ErrorCode(err) != playhead.ENOTFOUND {
		t.Fatalf("taking an attempt twice: %v; want ENOTFOUND", err)
	}
	if _, err := db.TakeSSOState(ctx, "old", now.Add(time.Minute)); playhead.ErrorCode(err) != playhead.ENOTFOUND {
		t.Fatalf("taking an expired attempt: %v; want ENOTFOUND", err)
	}
	// Storing another purges the expired.
	if err := db.CreateSSOState(ctx, &playhead.SSOState{StateHash: "a", ExpiresAt: now.Add(time.Hour)}, now); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateSSOState(ctx, &playhead.SSOState{StateHash: "b", ExpiresAt: now.Add(3 * time.Hour)}, now.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.TakeSSOState(ctx, "a", now); playhead.ErrorCode(err) != playhead.ENOTFOUND {
		t.Fatalf("an attempt expired when another was stored is still there: %v", err)
	}
}
