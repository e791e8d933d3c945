package server

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/playhead/playhead"
)

// Share links last DefaultShareHours unless asked otherwise, and at most
// MaxShareHours.
const (
	DefaultShareHours = 72
	MaxShareHours     = 30 * 24
)

// shareTokenPrefix starts every share token, so one found in a log or a
// chat is recognised for what it is.
const shareTokenPrefix = "phs_"

func (s *Server) handleShares(w http.ResponseWriter, r *http.Request) error {
	p, id, err := s.sessionParam(r)
	if err != nil {
		return err
	}
	if _, err := s.Index.Session(r.Context(), p.ID, id); err != nil {
		return err
	}
	links, err := s.Shares.ShareLinks(r.Context(), p.ID, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"shares": links})
}

// handleCreateShare makes a link that lets anyone who has it watch the
// session's replay, read-only, until it expires or is revoked. The token
// is in the answer only: the index keeps its hash.
func (s *Server) handleCreateShare(w http.ResponseWriter, r *http.Request) error {
	p, id, err := s.sessionParam(r)
	if err != nil {
		return err
	}
	var in struct {
		ExpiresInHours int   `json:"expiresInHours"`
		StartAt        int64 `json:"startAt"`
	}
	if err := decodeJSON(r, 4096, &in); err != nil {
		return err
	}
	if in.ExpiresInHours == 0 {
		in.ExpiresInHours = DefaultShareHours
	}
	if in.ExpiresInHours < 1 || in.ExpiresInHours > MaxShareHours {
		return playhead.Errorf(playhead.EINVALID, "expiresInHours: %d is not from 1 to %d (30 days)", in.ExpiresInHours, MaxShareHours)
	}
	sess, err := s.Index.Session(r.Context(), p.ID, id)
	if err != nil {
		return err
	}
	if in.StartAt != 0 && (in.StartAt < sess.StartedAt || in.StartAt > sess.EndedAt) {
		return playhead.Errorf(playhead.EINVALID, "startAt: %d is not a moment of the session (%d to %d)", in.StartAt, sess.StartedAt, sess.EndedAt)
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	token := shareTokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	now := s.Now()
	link := &playhead.ShareLink{ProjectID: p.ID, SessionID: id, TokenHash: hashToken(token), StartAt: in.StartAt,
		CreatedBy: actorName(r), CreatedAt: now, ExpiresAt: now.Add(time.Duration(in.ExpiresInHours) * time.Hour)}
	if err := s.Shares.CreateShareLink(r.Context(), link); err != nil {
		return err
	}
	s.audit(r, playhead.AuditShareLink, id, p.ID, map[string]any{"link": link.ID, "expiresAt": link.ExpiresAt.UTC(), "startAt": link.StartAt})
	return writeJSON(w, http.StatusCreated, map[string]any{"share": link, "url": strings.TrimRight(s.PublicURL, "/") + "/share/" + token})
}

func (s *Server) handleRevokeShare(w http.ResponseWriter, r *http.Request) error {
	p, id, err := s.sessionParam(r)
	if err != nil {
		return err
	}
	shareID, err := strconv.ParseInt(r.PathValue("share"), 10, 64)
	if err != nil {
		return playhead.Errorf(playhead.ENOTFOUND, "share link %q not found", r.PathValue("share"))
	}
	links, err := s.Shares.ShareLinks(r.Context(), p.ID, id)
	if err != nil {
		return err
	}
	found := false
	for _, l := range links {
		found = found || l.ID == shareID
	}
	if !found {
		return playhead.Errorf(playhead.ENOTFOUND, "share link %d of session %s not found", shareID, id)
	}
	if err := s.Shares.RevokeShareLink(r.Context(), p.ID, shareID, s.Now()); err != nil {
		return err
	}
	s.audit(r, playhead.AuditShareRevoke, id, p.ID, map[string]any{"link": shareID})
	return writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// actorName names who makes a request: a user's name, or an API token's.
func actorName(r *http.Request) string {
	if u := requestUser(r); u != nil {
		return u.Username
	}
	if t := requestToken(r); t != nil {
		return "token:" + t.Name
	}
	return ""
}

// shareErrors serves a shared page's errors as a short HTML page: the
// person who opened the link has no dashboard to read a JSON error in.
func (s *Server) shareErrors(h apiFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		code := playhead.ErrorCode(err)
		status := statusOf[code]
		msg := playhead.ErrorMessage(err)
		if code == playhead.EINTERNAL {
			s.Logger.Error("shared replay failed", "err", err)
		}
		hd := w.Header()
		hd.Set("Content-Type", "text/html; charset=utf-8")
		hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Playhead</title>`+
			`<style>body{font:15px system-ui,sans-serif;margin:15vh auto;max-width:32em;color:#1f2430}</style></head>`+
			`<body><h1>This replay cannot be shown</h1><p>%s</p></body></html>`, html.EscapeString(msg))
	})
}

// handleSharePage serves a shared replay: the session's self-contained
// replay page, which makes no request, to anyone holding an active link.
// Each use is counted on the link and logged.
func (s *Server) handleSharePage(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	gone := playhead.Errorf(playhead.ENOTFOUND, "the link is not valid: it may have expired or been revoked. Ask whoever shared it for a new one.")
	if len(token) < len(shareTokenPrefix)+40 || token[:len(shareTokenPrefix)] != shareTokenPrefix {
		return gone
	}
	link, err := s.Shares.ShareLinkByToken(r.Context(), hashToken(token))
	if playhead.ErrorCode(err) == playhead.ENOTFOUND {
		return gone
	}
	if err != nil {
		return err
	}
	now := s.Now()
	if !link.Active(now) {
		return gone
	}
	page, csp, err := s.replayPage(r.Context(), &playhead.Project{ID: link.ProjectID}, link.SessionID, link.StartAt)
	if playhead.ErrorCode(err) == playhead.ENOTFOUND {
		return gone
	}
	if err != nil {
		return err
	}
	if err := s.Shares.UseShareLink(r.Context(), link.ID, now); err != nil {
		return err
	}
	// Like a replay view, a shared one is shown only once it is recorded.
	if err := s.audit(r, playhead.AuditShareView, link.SessionID, link.ProjectID, map[string]any{"link": link.ID}); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// No frame-ancestors here: the replay's about:blank iframe inherits
	// the page's policy, and would not load under 'none'. X-Frame-Options
	// keeps the page itself from being framed; it is not inherited.
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Robots-Tag", "noindex")
	h.Set("Content-Length", strconv.Itoa(len(page)))
	_, err = w.Write(page)
	return err
}
