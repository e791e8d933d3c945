package server

import (
	"net/http"
	"strings"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/ingest"
)

func setIngestCORS(w http.ResponseWriter) {
	h := w.Header()
	// The ingest key is write-only and no cookie is read, so any page may send.
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Content-Type, Content-Encoding, X-Playhead-Key")
	h.Set("Access-Control-Max-Age", "86400")
}

func (s *Server) handleIngestPreflight(w http.ResponseWriter, r *http.Request) {
	setIngestCORS(w)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleIngest(w http.ResponseWriter, r *http.Request) error {
	setIngestCORS(w)
	key := r.URL.Query().Get("k")
	if key == "" {
		key = r.Header.Get("X-Playhead-Key")
	}
	if key == "" {
		return playhead.Errorf(playhead.EUNAUTHORIZED, "missing ingest key: pass it as ?k=KEY or in X-Playhead-Key")
	}
	project, err := s.Accounts.ProjectByKey(r.Context(), key)
	if err != nil {
		return err
	}
	gzipped := strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip")
	body, err := ingest.ReadBody(r.Body, gzipped, s.Limits)
	if err != nil {
		return err
	}
	batch, err := ingest.ParseBatch(body, s.Limits, s.Now())
	if err != nil {
		return err
	}
	res, err := s.Ingester.Ingest(r.Context(), project, batch, r.UserAgent())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"ok": true, "sid": batch.SessionID, "seq": batch.Seq, "duplicate": res.Duplicate})
}
