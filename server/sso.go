package server

import (
	"net/http"
	"net/url"
	"unicode/utf8"

	"golang.org/x/oauth2"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/sso"
)

// ssoCookie carries a sign-on attempt's state through the browser, so
// that the attempt is finished only in the browser that began it (a link
// to the callback with someone else's code signs no one in). It is Lax,
// not Strict, because the provider's redirect back is a navigation from
// another site.
const ssoCookie = "playhead_sso"

// ssoPage turns a sign-on handler's error into a redirect to the login
// page, which shows its message: these are browser navigations, not API
// calls.
func (s *Server) ssoPage(h apiFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		if playhead.ErrorCode(err) == playhead.EINTERNAL {
			s.Logger.Error("single sign-on failed", "path", r.URL.Path, "err", err)
		}
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, "/login?sso_error="+url.QueryEscape(playhead.ErrorMessage(err)), http.StatusSeeOther)
	})
}

// handleSSOStart begins a sign-on: it stores the attempt (state, nonce,
// PKCE verifier) and sends the browser to the provider.
func (s *Server) handleSSOStart(w http.ResponseWriter, r *http.Request) error {
	if s.SSO == nil {
		return playhead.Errorf(playhead.ENOTFOUND, "single sign-on is not configured on this Playhead")
	}
	now := s.Now()
	// Each attempt is a row in the index: limited per address like
	// sign-ins by password.
	if ok, wait := s.loginIPLimits.allow(clientKey(ClientIP(r, s.TrustedProxies)), now); !ok {
		return tooManyLogins("from this client address", now, wait)
	}
	state, nonce, verifier := randomToken("", 32), randomToken("", 32), oauth2.GenerateVerifier()
	err := s.Users.CreateSSOState(r.Context(), &playhead.SSOState{StateHash: hashToken(state), Nonce: nonce, Verifier: verifier,
		Next: localPath(r.URL.Query().Get("next")), ExpiresAt: now.Add(ssoAttempt)}, now)
	if err != nil {
		return err
	}
	to, err := s.SSO.AuthCodeURL(r.Context(), state, nonce, verifier)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: ssoCookie, Value: state, Path: "/auth/sso/", MaxAge: int(ssoAttempt.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.viaHTTPS(r)})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to, http.StatusFound)
	return nil
}

// handleSSOCallback finishes a sign-on: the state must be this browser's
// and unused, the provider's code is exchanged, and the ID token checked
// (sso.Provider.Identify). The person is then found by issuer and
// subject, or, on first sign-in, made a member.
func (s *Server) handleSSOCallback(w http.ResponseWriter, r *http.Request) error {
	if s.SSO == nil {
		return playhead.Errorf(playhead.ENOTFOUND, "single sign-on is not configured on this Playhead")
	}
	http.SetCookie(w, &http.Cookie{Name: ssoCookie, Value: "", Path: "/auth/sso/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.viaHTTPS(r)})
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		return playhead.Errorf(playhead.EUNAUTHORIZED, "the single sign-on provider did not sign you in: %s %s", clip(e, 100), clip(q.Get("error_description"), 300))
	}
	state := q.Get("state")
	c, err := r.Cookie(ssoCookie)
	if err != nil || !equalSecret(c.Value, state) {
		return playhead.Errorf(playhead.EUNAUTHORIZED, "this sign-in did not begin in this browser, or took longer than %s; start again", ssoAttempt)
	}
	now := s.Now()
	st, err := s.Users.TakeSSOState(r.Context(), hashToken(state), now)
	if err != nil {
		return err
	}
	id, err := s.SSO.Identify(r.Context(), q.Get("code"), st.Verifier, st.Nonce)
	if err != nil {
		s.auditSSOFailure(r, "", err)
		return err
	}
	u, err := s.ssoUser(r, id)
	if err != nil {
		s.auditSSOFailure(r, id.Email, err)
		return err
	}
	if u.Disabled {
		err := playhead.Errorf(playhead.EFORBIDDEN, "the account %s is disabled; an owner can enable it again", u.Username)
		s.auditSSOFailure(r, u.Username, err)
		return err
	}
	if err := s.startLogin(w, r, u, "sso"); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, localPath(st.Next), http.StatusSeeOther)
	return nil
}

// ssoUser returns the user who signs in as id, creating them on their
// first sign-in as a viewer of the projects SSOProjects names. An
// address that is already another account's is refused: that account
// is not taken over by whoever the provider vouches for.
func (s *Server) ssoUser(r *http.Request, id *sso.Identity) (*playhead.User, error) {
	ctx := r.Context()
	u, err := s.Users.UserByIdentity(ctx, id.Issuer, id.Subject)
	if playhead.ErrorCode(err) != playhead.ENOTFOUND {
		return u, err
	}
	taken := playhead.Errorf(playhead.EFORBIDDEN, "an account for %s exists already and signs in with a password; an owner can tell you how to sign in", id.Email)
	if _, err := s.Users.UserByEmail(ctx, id.Email); err == nil {
		return nil, taken
	} else if playhead.ErrorCode(err) != playhead.ENOTFOUND {
		return nil, err
	}
	u = &playhead.User{Username: id.Email, Email: id.Email, OIDCIssuer: id.Issuer, OIDCSubject: id.Subject, CreatedAt: s.Now()}
	if err := s.Accounts.CreateUser(ctx, u); err != nil {
		// The same person signing in twice at once: the other made them.
		if again, err2 := s.Users.UserByIdentity(ctx, id.Issuer, id.Subject); err2 == nil {
			return again, nil
		}
		if playhead.ErrorCode(err) == playhead.EINVALID {
			return nil, taken
		}
		return nil, err
	}
	s.Logger.Info("single sign-on created a member", "user", u.Username)
	if err := s.addSSOMember(r, u); err != nil {
		return nil, err
	}
	return u, nil
}

// addSSOMember makes a person single sign-on created a viewer of
// SSOProjects. A project deleted since Playhead started is passed over.
func (s *Server) addSSOMember(r *http.Request, u *playhead.User) error {
	ctx := r.Context()
	s.audit(withUser(r, u), playhead.AuditUserCreate, u.Username, 0, map[string]any{"method": "sso", "issuer": u.OIDCIssuer})
	for _, id := range s.SSOProjects {
		if _, err := s.Accounts.Project(ctx, id); playhead.ErrorCode(err) == playhead.ENOTFOUND {
			s.Logger.Warn("single sign-on: a project new members join is gone", "project", id)
			continue
		}
		if err := s.Accounts.SetMember(ctx, id, u.ID, playhead.RoleViewer); err != nil {
			return err
		}
		s.audit(withUser(r, u), playhead.AuditMemberSet, u.Username, id, map[string]any{"role": string(playhead.RoleViewer), "by": "single sign-on"})
	}
	return nil
}

// auditSSOFailure records a refused single sign-on.
func (s *Server) auditSSOFailure(r *http.Request, who string, err error) {
	s.audit(r, playhead.AuditSignInFailed, who, 0, map[string]any{"method": "sso", "reason": playhead.ErrorMessage(err)})
}

// clip cuts a provider's text for a message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
