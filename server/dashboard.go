package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/ingest"
	"github.com/playhead/playhead/search"
)

const loginCookie = "playhead_login"

// dashboardCSP lets the dashboard and the replay iframe (which inherits it)
// load from Playhead's own origin only: a replayed page can make no request
// to the recorded site, and nothing recorded can run as script.
const dashboardCSP = "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; " +
	"font-src 'self' data:; frame-src 'self' blob: about:; script-src 'self'; connect-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func (s *Server) dashboardHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", dashboardCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		next.ServeHTTP(w, r)
	})
}

// script serves one of the SDK's bundles to any page (compressed once, on
// its first request).
func script(name string, body []byte) http.HandlerFunc {
	file := sync.OnceValue(func() *staticFile { return newStaticFile(name, body) })
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		file().serve(w, r)
	}
}

type userKey struct{}

// authed lets a request through only with a valid login cookie, and a
// state-changing one only from Playhead's own pages (see sameOrigin): the
// need of a route any signed-in user may call (see authorize).
func (s *Server) authed(h apiFunc) apiFunc { return s.authorize(signedIn, h) }

// loginOf returns the user of the request's login cookie, moving the
// login's idle deadline on.
func (s *Server) loginOf(r *http.Request) (*playhead.User, error) {
	c, err := r.Cookie(loginCookie)
	if err != nil || c.Value == "" {
		return nil, playhead.Errorf(playhead.EUNAUTHORIZED, "log in first")
	}
	now := s.Now()
	expired := playhead.Errorf(playhead.EUNAUTHORIZED, "the login has expired; log in again")
	if issued, ok := loginIssued(c.Value); !ok || now.Sub(issued) >= loginLifetime {
		return nil, expired
	}
	hash := hashToken(c.Value)
	u, err := s.Accounts.LoginUser(r.Context(), hash, now)
	if playhead.ErrorCode(err) == playhead.ENOTFOUND {
		return nil, expired
	}
	if err != nil {
		return nil, err
	}
	if s.loginTouches.due(hash, now) {
		if err := s.Accounts.ExtendLogin(r.Context(), hash, now.Add(loginIdle)); err != nil {
			return nil, err
		}
	}
	return u, nil
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// decodeJSON reads a JSON body of at most limit bytes into v. The body must
// be declared application/json: a type an HTML form or a fetch without
// preflight can send from another site (text/plain, form encodings) is
// refused before it is read.
func decodeJSON(r *http.Request, limit int64, v any) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return playhead.Errorf(playhead.EMEDIATYPE, "Content-Type must be application/json, not %q", r.Header.Get("Content-Type"))
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return playhead.Errorf(playhead.EINVALID, "read body: %v", err)
	}
	if int64(len(data)) > limit {
		return playhead.Errorf(playhead.ETOOLARGE, "body is larger than the limit of %d bytes", limit)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return playhead.Errorf(playhead.EINVALID, "body is not the expected JSON: %v", err)
	}
	return nil
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := decodeJSON(r, 4096, &in); err != nil {
		return err
	}
	if err := s.allowLogin(r, in.Username); err != nil {
		return err
	}
	u, err := s.Accounts.UserByName(r.Context(), in.Username)
	if err != nil && playhead.ErrorCode(err) != playhead.ENOTFOUND {
		return err
	}
	if err := s.checkPassword(r, u, in.Password); err != nil {
		reason := "wrong password"
		switch {
		case u == nil:
			reason = "unknown user"
		case playhead.ErrorCode(err) == playhead.EFORBIDDEN:
			reason = "disabled"
		}
		s.audit(r, playhead.AuditSignInFailed, in.Username, 0, map[string]any{"reason": reason, "method": "password"})
		return err
	}
	if err := s.startLogin(w, r, u, "password"); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) error {
	if u, err := s.loginOf(r); err == nil {
		s.audit(withUser(r, u), playhead.AuditSignOut, u.Username, 0)
	}
	if c, err := r.Cookie(loginCookie); err == nil {
		if err := s.Accounts.DeleteLogin(r.Context(), hashToken(c.Value)); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.viaHTTPS(r)})
	return writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// project returns the project of the request, as authorize found it for
// a project route.
func (s *Server) project(ctx context.Context) (*playhead.Project, error) {
	if c, _ := ctx.Value(callerKey{}).(*caller); c != nil && c.project != nil {
		return c.project, nil
	}
	return nil, playhead.Errorf(playhead.EINTERNAL, "the route does not declare a project role")
}

// handleMe says who the user is, the projects they may see with their
// role in each, and the project of ?project= (or their first) with what
// the server masked in it.
func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) error {
	u := requestUser(r)
	projects, err := s.Accounts.UserProjects(r.Context(), u.ID)
	if err != nil {
		return err
	}
	out := map[string]any{"user": u, "projects": projects}
	if s.Narrator != nil {
		out["summaries"] = map[string]string{"model": s.Narrator.Model(), "endpoint": s.Narrator.Host()}
	}
	want := r.URL.Query().Get(projectParam)
	var current *playhead.ProjectRole
	for i, pr := range projects {
		if want == "" || want == strconv.FormatInt(pr.Project.ID, 10) {
			current = &projects[i]
			break
		}
	}
	if current == nil && want != "" {
		return playhead.Errorf(playhead.ENOTFOUND, "project %s not found", want)
	}
	if current != nil {
		scrubbed, err := s.Index.ScrubCounts(r.Context(), current.Project.ID)
		if err != nil {
			return err
		}
		out["project"], out["role"], out["scrubbed"] = current.Project, current.Role, scrubbed
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleSessions(w http.ResponseWriter, r *http.Request) error {
	p, err := s.project(r.Context())
	if err != nil {
		return err
	}
	q := r.URL.Query()
	limit := 50
	if v := q.Get("limit"); v != "" {
		limit, err = strconv.Atoi(v)
		if err != nil || limit < 1 || limit > 500 {
			return playhead.Errorf(playhead.EINVALID, "limit: %q is not a number from 1 to 500", v)
		}
	}
	f := playhead.SessionFilter{ProjectID: p.ID, Before: q.Get("cursor"), Limit: limit}
	if f.Before == "" {
		f.Before = q.Get("before") // the name the first API gave the cursor
	}
	if f.Query, err = s.parseQuery(r, p); err != nil {
		return err
	}
	list, next, err := s.Index.Sessions(r.Context(), f)
	if err != nil {
		return err
	}
	// Each result shows the moments its search matched (bounded per row).
	type result struct {
		*playhead.Session
		Matches []match `json:"matches,omitempty"`
	}
	terms := search.MomentsOf(f.Query)
	out := make([]result, len(list))
	for i, sess := range list {
		out[i].Session = sess
		if out[i].Matches, _, err = s.matches(r.Context(), p.ID, sess.ID, terms, rowScan, rowMatches); err != nil {
			return err
		}
	}
	page := map[string]any{"sessions": out}
	if next != "" {
		page["next"] = next
	}
	return writeJSON(w, http.StatusOK, page)
}

// maxOpenEntries bounds the font and page-load entries of a session's
// manifest for opening.
const maxOpenEntries = 10000

func (s *Server) handleSession(w http.ResponseWriter, r *http.Request) error {
	p, id, err := s.sessionParam(r)
	if err != nil {
		return err
	}
	sess, err := s.Index.Session(r.Context(), p.ID, id)
	if err != nil {
		return err
	}
	if err := s.auditView(r, p.ID, id); err != nil {
		return err
	}
	refs, err := s.Index.Batches(r.Context(), p.ID, id)
	if err != nil {
		return err
	}
	// ?for=open: what the player needs before its first frame, the batches
	// and the web fonts (with the page loads their URLs resolve against);
	// the rest of the timeline and the backend records follow.
	open := r.URL.Query().Get("for") == "open"
	var timeline []playhead.TimelineEntry
	if open {
		timeline, err = s.Index.TimelineKinds(r.Context(), p.ID, id, []string{playhead.KindFont, playhead.KindNavigation}, maxOpenEntries)
	} else {
		timeline, err = s.Index.Timeline(r.Context(), p.ID, id)
	}
	if err != nil {
		return err
	}
	// A font entry holds the recorded event, which the player replays: its
	// source points at Playhead's origin like the events' (see handleEvents).
	for i, e := range timeline {
		if e.Kind != playhead.KindFont {
			continue
		}
		font := [][]byte{e.Detail}
		if err := s.rewriteAssets(r.Context(), p.ID, font, pageAt(timeline, e.Ts)); err != nil {
			return err
		}
		timeline[i].Detail = font[0]
	}
	gaps := playhead.Gaps(refs)
	if gaps == nil {
		gaps = []playhead.Gap{}
	}
	if open {
		return writeJSON(w, http.StatusOK, map[string]any{"session": sess, "batches": refs, "timeline": timeline, "gaps": gaps, "partial": true})
	}
	if err := s.symbolicate(r.Context(), p.ID, sess.Release, timeline); err != nil {
		return err
	}
	backend, err := s.Backend.BackendRecords(r.Context(), p.ID, id, 5000)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"session": sess, "batches": refs, "timeline": timeline, "gaps": gaps, "backend": backend})
}

func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) error {
	p, id, err := s.sessionParam(r)
	if err != nil {
		return err
	}
	from, err := seqParam(r, "from", 0)
	if err != nil {
		return err
	}
	to, err := seqParam(r, "to", math.MaxInt)
	if err != nil {
		return err
	}
	// the range only: a player reads a long session a few batches at a time
	want, err := s.Index.BatchRange(r.Context(), p.ID, id, from, to)
	if err != nil {
		return err
	}
	if len(want) == 0 { // none in the range: is there a session at all?
		if refs, err := s.Index.Batches(r.Context(), p.ID, id); err != nil {
			return err
		} else if len(refs) == 0 {
			return playhead.Errorf(playhead.ENOTFOUND, "session %q not found", id)
		}
	}
	if err := s.auditView(r, p.ID, id); err != nil {
		return err
	}
	events, err := s.Recordings.ReadEvents(r.Context(), p.ID, id, want)
	if err != nil {
		return fmt.Errorf("read events of %s: %w", id, err)
	}
	// The page the first event was recorded on, for its relative asset
	// references, unless a Meta event names it first.
	var page *url.URL
	if len(events) > 0 {
		if _, meta := metaHref(events[0]); !meta {
			if page, err = s.pageBefore(r.Context(), p.ID, id, want[0].FirstTs); err != nil {
				return err
			}
		}
	}
	return s.writeEvents(w, r, p.ID, events, page)
}

// recentNavigations is how many of the navigations before a moment
// pageBefore looks at first: a page load is almost always among them
// (the others are a single-page app's own).
const recentNavigations = 16

// pageBefore returns the page a session was on at ts (see pageAt), reading
// the navigations just before ts first, all of them only when no page
// load is among those.
func (s *Server) pageBefore(ctx context.Context, projectID int64, sessionID string, ts int64) (*url.URL, error) {
	recent, err := s.Index.NavigationsBefore(ctx, projectID, sessionID, ts, recentNavigations)
	if err != nil {
		return nil, err
	}
	slices.Reverse(recent) // by time, as pageAt reads them: of loads at one moment, the last stored
	if page := pageAt(recent, ts); page != nil || len(recent) < recentNavigations {
		return page, nil
	}
	all, err := s.Index.TimelineKinds(ctx, projectID, sessionID, []string{playhead.KindNavigation}, maxNavigations)
	if err != nil {
		return nil, err
	}
	return pageAt(all, ts), nil
}

// writeEvents answers events as one JSON array, their captured assets'
// addresses rewritten to Playhead's (page is the address relative ones
// resolve against, nil for the events' own), saying how many are still
// being captured.
func (s *Server) writeEvents(w http.ResponseWriter, r *http.Request, projectID int64, events [][]byte, page *url.URL) error {
	pending, err := s.rewriteEventAssets(r.Context(), projectID, events, page)
	if err != nil {
		return err
	}
	if pending > 0 {
		w.Header().Set(pendingAssetsHeader, strconv.Itoa(pending))
	}
	out := joinEvents(events)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	_, err = w.Write(out)
	return err
}

// joinEvents makes a JSON array of events. Stored events are validated
// JSON: they are joined without re-parsing.
func joinEvents(events [][]byte) []byte {
	n := 2
	for _, e := range events {
		n += len(e) + 1
	}
	out := make([]byte, 0, n)
	out = append(out, '[')
	for i, e := range events {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, e...)
	}
	return append(out, ']')
}

func seqParam(r *http.Request, name string, def int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, playhead.Errorf(playhead.EINVALID, "%s: %q is not a sequence number", name, v)
	}
	return n, nil
}

func (s *Server) handleDeleteSession(w http.ResponseWriter, r *http.Request) error {
	p, id, err := s.sessionParam(r)
	if err != nil {
		return err
	}
	if _, err := s.Index.Session(r.Context(), p.ID, id); err != nil {
		return err
	}
	if err := s.Recordings.Erase(r.Context(), p.ID, id); err != nil {
		return err
	}
	s.audit(r, playhead.AuditSessionErase, id, p.ID)
	return writeJSON(w, http.StatusOK, map[string]any{"ok": true, "erased": 1})
}

func (s *Server) handleEraseUser(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		UserID string `json:"userId"`
	}
	if err := decodeJSON(r, 4096, &in); err != nil {
		return err
	}
	if in.UserID == "" {
		return playhead.Errorf(playhead.EINVALID, "userId: missing")
	}
	p, err := s.project(r.Context())
	if err != nil {
		return err
	}
	n, err := s.Recordings.EraseUser(r.Context(), p.ID, in.UserID)
	if err != nil {
		return err
	}
	// The log names the user by keyed hash, as the index does: an erased
	// user's ID is not kept anywhere.
	s.audit(r, playhead.AuditUserErase, "user:"+s.Ingester.Keys.Keyring.UserHash(p.ID, in.UserID), p.ID, map[string]any{"sessions": n})
	return writeJSON(w, http.StatusOK, map[string]any{"ok": true, "erased": n})
}

// sessionParam returns the dashboard's project and the session named by the
// route's {id}; an ID that cannot be a session's is simply not found.
func (s *Server) sessionParam(r *http.Request) (*playhead.Project, string, error) {
	id := r.PathValue("id")
	if err := ingest.ValidSessionID(id); err != nil {
		return nil, "", playhead.Errorf(playhead.ENOTFOUND, "session %q not found", id)
	}
	p, err := s.project(r.Context())
	return p, id, err
}
