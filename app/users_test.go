package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/app"
	pwhash "github.com/playhead/playhead/password"
)

// signIn logs username in with pw and returns the client and the status.
func signIn(t *testing.T, m *app.Main, username, pw string) (*http.Client, int, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	body := `{"username":` + quote(username) + `,"password":` + quote(pw) + `}`
	resp, err := c.Post(m.URL()+"/api/v1/login", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	return c, resp.StatusCode, string(msg)
}

func quote(s string) string {
	return `"` + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) + `"`
}

func TestChangeOwnPassword(t *testing.T) {
	m := start(t)
	c1 := loggedIn(t, m)
	c2 := loggedIn(t, m)
	change := func(current, next string) scenario {
		return scenario{method: "POST", path: "/api/v1/me/password", login: true,
			body: []byte(`{"currentPassword":` + quote(current) + `,"newPassword":` + quote(next) + `}`)}
	}
	sc := change("not the password", "a brand new passphrase")
	sc.wantStatus, sc.want = 403, []string{"current password is wrong"}
	sc.run(t, m, c1)
	sc = change(password, "short")
	sc.wantStatus, sc.want = 400, []string{"the minimum is 8"}
	sc.run(t, m, c1)
	sc = change(password, "iloveyou2")
	sc.wantStatus, sc.want = 400, []string{"10,000 most common"}
	sc.run(t, m, c1)
	sc = change(password, "a brand new passphrase")
	sc.wantStatus = 200
	sc.run(t, m, c1)

	// The login that changed it goes on; the other one has ended.
	scenario{method: "GET", path: "/api/v1/me", login: true, wantStatus: 200}.run(t, m, c1)
	scenario{method: "GET", path: "/api/v1/me", login: true, wantStatus: 401}.run(t, m, c2)
	if _, status, _ := signIn(t, m, "admin", password); status != 401 {
		t.Fatalf("the old password signs in: %d", status)
	}
	if _, status, body := signIn(t, m, "admin", "a brand new passphrase"); status != 200 {
		t.Fatalf("the new password: %d %s", status, body)
	}
	u, _ := m.DB.UserByName(context.Background(), "admin")
	if u.PasswordChangedAt.IsZero() || !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
		t.Fatalf("after the change: hash %.12s…, changed %v", u.PasswordHash, u.PasswordChangedAt)
	}
}

func TestBcryptHashUpgradedOnSignIn(t *testing.T) {
	m := start(t)
	ctx := context.Background()
	old, _ := bcrypt.GenerateFromPassword([]byte("an older password"), bcrypt.MinCost)
	if err := m.DB.CreateUser(ctx, &playhead.User{Username: "veteran", PasswordHash: string(old)}); err != nil {
		t.Fatal(err)
	}
	if _, status, body := signIn(t, m, "veteran", "an older password"); status != 200 {
		t.Fatalf("sign-in with a bcrypt hash: %d %s", status, body)
	}
	u, _ := m.DB.UserByName(ctx, "veteran")
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
		t.Fatalf("the hash after sign-in is %.10s…; want it upgraded to argon2id", u.PasswordHash)
	}
	if _, status, _ := signIn(t, m, "veteran", "an older password"); status != 200 {
		t.Fatalf("sign-in after the upgrade: %d", status)
	}
	if _, status, _ := signIn(t, m, "veteran", "a wrong password"); status != 401 {
		t.Fatalf("a wrong password after the upgrade: %d", status)
	}
}

func TestDisabledUserCannotSignIn(t *testing.T) {
	m := start(t)
	ctx := context.Background()
	c := loggedIn(t, m)
	admin, _ := m.DB.UserByName(ctx, "admin")
	if err := m.DB.SetDisabled(ctx, admin.ID, true); err != nil {
		t.Fatal(err)
	}
	scenario{method: "GET", path: "/api/v1/me", login: true, wantStatus: 401}.run(t, m, c)
	if _, status, body := signIn(t, m, "admin", password); status != 403 || !strings.Contains(body, "disabled") {
		t.Fatalf("sign-in of a disabled user: %d %s; want 403 saying disabled", status, body)
	}
	// A wrong password learns nothing about the account.
	if _, status, body := signIn(t, m, "admin", "a wrong password"); status != 401 || strings.Contains(body, "disabled") {
		t.Fatalf("a wrong password for a disabled user: %d %s; want 401 without a word of it", status, body)
	}
}

func hashPassword(t *testing.T, pw string) string {
	t.Helper()
	h, err := pwhash.Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func hashOf(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
