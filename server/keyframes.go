package server

import (
	"net/http"
)

// handleKeyframes lists the keyframes the server built for a session
// (docs/PROTOCOL.md, "Keyframes"). This server builds none yet: it answers
// an empty list, the answer for a session recorded before keyframes were
// built, so that a player asks without its console logging a 404 and seeks
// from its own checkpoints. The keyframe builder replaces this handler.
func (s *Server) handleKeyframes(w http.ResponseWriter, r *http.Request) error {
	p, id, err := s.sessionParam(r)
	if err != nil {
		return err
	}
	if _, err := s.Index.Session(r.Context(), p.ID, id); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"keyframes": []any{}})
}
