package server

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

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
	if e.ActorName == "" && action == playhead.AuditSignInFailed {
		e.ActorName = target // the name tried: nobody signed in
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

// handleAudit answers the audit log of the request's project; with
// format=csv or format=json it is a download (an export, itself logged).
func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) error {
	p, err := s.project(r.Context())
	if err != nil {
		return err
	}
	return s.writeAudit(w, r, []int64{p.ID}, p.ID)
}

// handleAuditAll answers the whole audit log, sign-ins and every project's
// entries, to an owner.
func (s *Server) handleAuditAll(w http.ResponseWriter, r *http.Request) error {
	return s.writeAudit(w, r, nil, 0)
}

// Limits of an audit log answer.
const (
	auditPage      = 100
	maxAuditPage   = 1000
	maxAuditExport = 100_000
)

func (s *Server) writeAudit(w http.ResponseWriter, r *http.Request, projects []int64, projectID int64) error {
	q := r.URL.Query()
	f := playhead.AuditFilter{Projects: projects, Actor: q.Get("actor"), Action: q.Get("action"), Target: q.Get("target"), Limit: auditPage}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := q.Get(t.name); v != "" {
			at, err := parseAuditTime(v)
			if err != nil {
				return playhead.Errorf(playhead.EINVALID, "%s: %q is not a date (2026-12-06) or time (RFC 3339)", t.name, v)
			}
			*t.dst = at
		}
	}
	if v := q.Get("before"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return playhead.Errorf(playhead.EINVALID, "before: %q is not an entry ID", v)
		}
		f.BeforeID = id
	}
	format := q.Get("format")
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		limit := maxAuditPage
		if format != "" {
			limit = maxAuditExport
		}
		if err != nil || n < 1 || n > limit {
			return playhead.Errorf(playhead.EINVALID, "limit: %q is not a number from 1 to %d", v, limit)
		}
		f.Limit = n
	} else if format != "" {
		f.Limit = maxAuditExport
	}
	switch format {
	case "", "json", "csv":
	default:
		return playhead.Errorf(playhead.EINVALID, "format: %q is not json or csv", format)
	}
	list, err := s.Accounts.AuditEntries(r.Context(), f)
	if err != nil {
		return err
	}
	if format == "" {
		out := map[string]any{"entries": list}
		if len(list) == f.Limit {
			out["next"] = strconv.FormatInt(list[len(list)-1].ID, 10)
		}
		return writeJSON(w, http.StatusOK, out)
	}
	s.audit(r, playhead.AuditExport, format, projectID, map[string]any{"entries": len(list), "filter": r.URL.RawQuery})
	name := "playhead-audit-" + s.Now().UTC().Format("20060102-150405") + "." + format
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	if format == "json" {
		return writeJSON(w, http.StatusOK, map[string]any{"entries": list})
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "at", "actor", "actor_user_id", "actor_token", "action", "project_id", "target", "ip", "detail"})
	for _, e := range list {
		detail := ""
		if e.Detail != nil {
			b, _ := json.Marshal(e.Detail)
			detail = string(b)
		}
		cw.Write([]string{strconv.FormatInt(e.ID, 10), e.At.UTC().Format(time.RFC3339Nano), csvSafe(e.ActorName), strconv.FormatInt(e.ActorUserID, 10),
			csvSafe(e.ActorToken), e.Action, strconv.FormatInt(e.ProjectID, 10), csvSafe(e.Target), e.IP, csvSafe(detail)})
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a spreadsheet from reading a value (a username someone
// chose, a name tried at sign-in) as a formula.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

func parseAuditTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	return time.Parse("2006-01-02", v)
}

// Installation-wide settings.
const (
	// settingAuditRetention is how many days audit entries are kept.
	settingAuditRetention = "audit_retention_days"
	// DefaultAuditRetentionDays is the audit log's retention until an
	// owner sets one: a year, long enough for a yearly review.
	DefaultAuditRetentionDays = 365
	maxAuditRetentionDays     = 3650
)

// AuditRetentionDays returns how many days the audit log keeps entries.
func AuditRetentionDays(ctx context.Context, accounts playhead.AccessStore) (int, error) {
	v, err := accounts.Setting(ctx, settingAuditRetention)
	if err != nil || v == "" {
		return DefaultAuditRetentionDays, err
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return DefaultAuditRetentionDays, nil
	}
	return n, nil
}

// handleInstallation answers the installation-wide settings.
func (s *Server) handleInstallation(w http.ResponseWriter, r *http.Request) error {
	days, err := AuditRetentionDays(r.Context(), s.Accounts)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"auditRetentionDays": days})
}

// handleUpdateInstallation changes the installation-wide settings.
func (s *Server) handleUpdateInstallation(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		AuditRetentionDays *int `json:"auditRetentionDays"`
	}
	if err := decodeJSON(r, 4096, &in); err != nil {
		return err
	}
	if in.AuditRetentionDays != nil {
		d := *in.AuditRetentionDays
		if d < 1 || d > maxAuditRetentionDays {
			return playhead.Errorf(playhead.EINVALID, "auditRetentionDays: %d is outside 1 to %d", d, maxAuditRetentionDays)
		}
		before, err := AuditRetentionDays(r.Context(), s.Accounts)
		if err != nil {
			return err
		}
		if err := s.Accounts.SetSetting(r.Context(), settingAuditRetention, strconv.Itoa(d)); err != nil {
			return err
		}
		s.audit(r, playhead.AuditSettingsChange, "installation", 0, map[string]any{"auditRetentionDays": map[string]int{"from": before, "to": d}})
	}
	return s.handleInstallation(w, r)
}

// viewEvery is how often one viewer's watching of one session is logged
// again: the player asks for a session's events in several requests.
const viewEvery = 30 * time.Minute

// auditView logs that the caller watched a session, once per viewEvery per
// viewer and session on this node. A view that cannot be logged is refused.
func (s *Server) auditView(r *http.Request, projectID int64, sessionID string) error {
	who := ""
	if u := requestUser(r); u != nil {
		who = "u" + strconv.FormatInt(u.ID, 10)
	} else if t := requestToken(r); t != nil {
		who = "t" + strconv.FormatInt(t.ID, 10)
	}
	key := who + "/" + strconv.FormatInt(projectID, 10) + "/" + sessionID
	if !s.views.dueEvery(key, s.Now(), viewEvery) {
		return nil
	}
	if err := s.audit(r, playhead.AuditReplayView, sessionID, projectID); err != nil {
		s.views.clear(key)
		return playhead.Errorf(playhead.EUNAVAILABLE, "the replay cannot be shown: its viewing could not be written to the audit log")
	}
	return nil
}
