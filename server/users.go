package server

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/password"
)

// startLogin starts a login for u: a new login token in the index, and
// its cookie. method ("password", "sso", "invite") is logged and audited.
func (s *Server) startLogin(w http.ResponseWriter, r *http.Request, u *playhead.User, method string) error {
	now := s.Now()
	if _, err := s.Accounts.PurgeLogins(r.Context(), now); err != nil {
		return err
	}
	value := newLoginToken(now)
	if err := s.Accounts.CreateLogin(r.Context(), hashToken(value), u.ID, now.Add(loginIdle)); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: loginCookie, Value: value, Path: "/", Expires: now.Add(loginLifetime),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.viaHTTPS(r),
	})
	s.Logger.Info("login", "user", u.Username, "method", method)
	s.audit(withUser(r, u), playhead.AuditSignIn, u.Username, 0, map[string]any{"method": method})
	return nil
}

// checkPassword verifies a sign-in's password for u (nil when no such
// user exists, which takes as long), and upgrades an older kind of hash
// to the current one. A disabled account is refused only once the
// password is right, so the refusal tells nothing to a guesser.
func (s *Server) checkPassword(r *http.Request, u *playhead.User, pw string) error {
	wrong := playhead.Errorf(playhead.EUNAUTHORIZED, "wrong username or password")
	if u == nil {
		password.VerifyNothing(pw)
		return wrong
	}
	ok, rehash := password.Verify(u.PasswordHash, pw)
	if !ok {
		return wrong
	}
	if u.Disabled {
		return playhead.Errorf(playhead.EFORBIDDEN, "the account %s is disabled; an owner can enable it again", u.Username)
	}
	if rehash {
		if h, err := password.Hash(pw); err == nil {
			if err := s.Users.RehashPassword(r.Context(), u.ID, u.PasswordHash, h); err != nil {
				s.Logger.Warn("upgrading a password hash failed", "user", u.Username, "err", err)
			}
		}
	}
	return nil
}

// handleLoginOptions tells the login page how one may sign in.
func (s *Server) handleLoginOptions(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]any{"password": true, "sso": s.SSO != nil})
}

// handleChangePassword changes the signed-in user's own password. The
// current password is asked for (and counted as a sign-in attempt), and
// every other login of the user ends: whoever else knew the old password
// is signed out.
func (s *Server) handleChangePassword(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Current string `json:"currentPassword"`
		New     string `json:"newPassword"`
	}
	if err := decodeJSON(r, 4096, &in); err != nil {
		return err
	}
	u := requestUser(r)
	if u.PasswordHash == "" {
		return playhead.Errorf(playhead.EINVALID, "%s signs in through single sign-on and has no password here to change", u.Username)
	}
	if err := s.allowLogin(r, u.Username); err != nil {
		return err
	}
	if ok, _ := password.Verify(u.PasswordHash, in.Current); !ok {
		return playhead.Errorf(playhead.EFORBIDDEN, "the current password is wrong")
	}
	if err := password.Check(in.New, u.Username, u.Email); err != nil {
		return err
	}
	if in.New == in.Current {
		return playhead.Errorf(playhead.EINVALID, "the new password is the current one")
	}
	h, err := password.Hash(in.New)
	if err != nil {
		return err
	}
	c, _ := r.Cookie(loginCookie)
	if err := s.Users.SetPassword(r.Context(), u.ID, h, s.Now(), hashToken(c.Value)); err != nil {
		return err
	}
	s.Logger.Info("password changed", "user", u.Username)
	s.audit(r, playhead.AuditPasswordChange, u.Username, 0)
	return writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// randomToken returns n random bytes, base64url-encoded, after prefix.
func randomToken(prefix string, n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// localPath returns next when it is a path on Playhead itself, and "/"
// otherwise, so that a link cannot send a signed-in browser elsewhere.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return next
}

func equalSecret(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// ssoAttempt is how long a browser has to come back from the provider.
const ssoAttempt = 10 * time.Minute
