package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/reproduce"
)

// sessionSteps derives the reproduction steps of the route's session: all
// of them, or the window before a moment (?around=UNIX_MS) or before its
// nth error or failed request (?error=N).
func (s *Server) sessionSteps(r *http.Request) (*playhead.Project, *reproduce.Steps, error) {
	p, id, err := s.sessionParam(r)
	if err != nil {
		return nil, nil, err
	}
	q := r.URL.Query()
	var around int64
	if v := q.Get("around"); v != "" {
		if around, err = strconv.ParseInt(v, 10, 64); err != nil || around <= 0 {
			return nil, nil, playhead.Errorf(playhead.EINVALID, "around: %q is not a time in Unix milliseconds", v)
		}
	}
	nth := 0
	if v := q.Get("error"); v != "" {
		if nth, err = strconv.Atoi(v); err != nil || nth < 1 {
			return nil, nil, playhead.Errorf(playhead.EINVALID, "error: %q is not a number from 1 on (the session's nth error or failed request)", v)
		}
		if around != 0 {
			return nil, nil, playhead.Errorf(playhead.EINVALID, "around and error: give one window, not both")
		}
	}
	refs, err := s.Index.Batches(r.Context(), p.ID, id)
	if err != nil {
		return nil, nil, err
	}
	if len(refs) == 0 {
		return nil, nil, playhead.Errorf(playhead.ENOTFOUND, "session %q not found", id)
	}
	// the steps tell what the replay shows: seeing them is viewing it
	if err := s.auditView(r, p.ID, id); err != nil {
		return nil, nil, err
	}
	events, err := s.Recordings.ReadEvents(r.Context(), p.ID, id, refs)
	if err != nil {
		return nil, nil, fmt.Errorf("read events of %s: %w", id, err)
	}
	st, err := reproduce.Derive(id, events)
	if err != nil {
		return nil, nil, err
	}
	if nth > 0 {
		if around, err = st.Problem(nth); err != nil {
			return nil, nil, playhead.Errorf(playhead.ENOTFOUND, "%v", err)
		}
	}
	if around != 0 {
		st = st.Window(around)
	}
	return p, st, nil
}

// replayURL is the player's address for the steps' first moment, with the
// Steps panel on their window when they are one.
func (s *Server) replayURL(r *http.Request, projectID int64, st *reproduce.Steps) string {
	base := s.OwnOrigin
	if base == "" {
		scheme := "http"
		if s.viaHTTPS(r) {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	u := base + "/sessions/" + url.PathEscape(st.SessionID) + "?project=" + strconv.FormatInt(projectID, 10) +
		"&t=" + strconv.FormatInt(max(0, st.From-st.Start), 10)
	if st.Around != 0 {
		u += "&steps=" + strconv.FormatInt(st.Around, 10)
	}
	return u
}

func (s *Server) handleSteps(w http.ResponseWriter, r *http.Request) error {
	_, st, err := s.sessionSteps(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

// handleExport answers a session in the format ?format= names. A session
// that is not there is not found whatever the format.
func (s *Server) handleExport(w http.ResponseWriter, r *http.Request) error {
	p, id, err := s.sessionParam(r)
	if err != nil {
		return err
	}
	if _, err := s.Index.Session(r.Context(), p.ID, id); err != nil {
		return err
	}
	switch format := r.URL.Query().Get("format"); format {
	case "playwright":
		return s.exportSteps(w, r, "text/plain; charset=utf-8", ".spec.ts", func(st *reproduce.Steps, replay string) []byte {
			return st.Playwright(replay)
		})
	case "markdown":
		return s.exportSteps(w, r, "text/markdown; charset=utf-8", ".md", func(st *reproduce.Steps, replay string) []byte {
			return []byte(st.Markdown(replay))
		})
	case "rrweb":
		return s.exportRRWeb(w, r, p, id)
	case "html":
		return s.exportHTML(w, r, p, id)
	default:
		return playhead.Errorf(playhead.EINVALID, "format: %q is not one of playwright, markdown, rrweb, html", format)
	}
}

// exportSteps writes a session's steps (in the window the query asks for)
// rendered by render, as a file to download named after the session.
func (s *Server) exportSteps(w http.ResponseWriter, r *http.Request, contentType, ext string, render func(*reproduce.Steps, string) []byte) error {
	p, st, err := s.sessionSteps(r)
	if err != nil {
		return err
	}
	body := render(st, s.replayURL(r, p.ID, st))
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", `attachment; filename="session-`+st.SessionID+ext+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	_, err = w.Write(body)
	return err
}
