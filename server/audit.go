package server

import (
	"context"
	"fmt"
	"net/http"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/privacy"
)

// tokenKey holds the API token a request was made with.
type tokenKey struct{}

// withUser returns r carrying u as its signed-in user, as authed does, for
// handlers that establish who someone is (sign-in) and then audit it.
func withUser(r *http.Request, u *playhead.User) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), userKey{}, u))
}

// requestUser returns the signed-in user of a request, or nil.
func requestUser(r *http.Request) *playhead.User {
	u, _ := r.Context().Value(userKey{}).(*playhead.User)
	return u
}

// requestToken returns the API token a request was made with, or nil.
func requestToken(r *http.Request) *playhead.APIToken {
	t, _ := r.Context().Value(tokenKey{}).(*playhead.APIToken)
	return t
}

// audit appends an entry to the audit log: action done to target in
// projectID (0 for the installation) by the request's user or API token,
// from its client address, anonymised as sessions' addresses are. detail,
// when given, is kept with it. A failure is logged and returned: a handler
// whose action must not happen unrecorded (watching a replay) returns it.
func (s *Server) audit(r *http.Request, action, target string, projectID int64, detail ...map[string]any) error {
	e := playhead.AuditEntry{At: s.Now(), Action: action, Target: target, ProjectID: projectID}
	if u := requestUser(r); u != nil {
		e.ActorUserID, e.ActorName = u.ID, u.Username
	}
	if t := requestToken(r); t != nil {
		e.ActorToken = fmt.Sprintf("%s (#%d)", t.Name, t.ID)
		if e.ActorName == "" {
			e.ActorName = "token:" + t.Name
		}
	}
	if ip := ClientIP(r, s.TrustedProxies); ip.IsValid() {
		e.IP = privacy.AnonymizeIP(ip).String()
	}
	if len(detail) > 0 && len(detail[0]) > 0 {
		e.Detail = detail[0]
	}
	if err := s.Accounts.AddAudit(r.Context(), e); err != nil {
		s.Logger.Error("audit log write failed", "action", action, "target", target, "err", err)
		return err
	}
	return nil
}
