package server

import (
	"net/http"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/narrate"
)

// summaryOff answers a summary asked of a Playhead with no model.
var summaryOff = playhead.Errorf(playhead.ENOTFOUND, "summaries are off: the operator turns them on with -summary-endpoint and -summary-model")

// handleSummary asks the configured language model for a narrative of the
// session's steps (the window the query names, as for the steps). It
// answers what was sent with the summary, so that anyone can see that only
// the already-masked steps leave Playhead.
func (s *Server) handleSummary(w http.ResponseWriter, r *http.Request) error {
	if s.Narrator == nil {
		return summaryOff
	}
	p, st, err := s.sessionSteps(r)
	if err != nil {
		return err
	}
	sent := narrate.Prompt(st.Markdown(""))
	// The steps leave Playhead only once that is on record.
	if err := s.audit(r, playhead.AuditSessionSummary, st.SessionID, p.ID, map[string]any{"model": s.Narrator.Model(), "endpoint": s.Narrator.Host()}); err != nil {
		return err
	}
	text, err := s.Narrator.Summarize(r.Context(), sent)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{
		"summary":  text,
		"model":    s.Narrator.Model(),
		"endpoint": s.Narrator.Host(),
		"sent":     sent,
	})
}
