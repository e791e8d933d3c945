package server

import (
	"mime"
	"net/http"
	"strings"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/ingest"
)

// handleImport stores an rrweb recording file (rrweb's own, Sentry's
// recording segments, PostHog's export) as a new session. The file is
// JSON, or gzip-compressed JSON; what is not a recording, or breaks a
// limit, is refused with a 400 that names the problem, and nothing is
// stored.
func (s *Server) handleImport(w http.ResponseWriter, r *http.Request) error {
	// A file upload from a script or the dashboard; a form on another
	// site cannot send these types.
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" && mt != "application/gzip" {
		return playhead.Errorf(playhead.EMEDIATYPE, "Content-Type must be application/json (gzip-compressed or not) or application/gzip, not %q", r.Header.Get("Content-Type"))
	}
	p, err := s.project(r.Context())
	if err != nil {
		return err
	}
	lim := ingest.DefaultImportLimits
	gzipped := mt == "application/gzip"
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip":
		gzipped = true
	default:
		return playhead.Errorf(playhead.EINVALID, "Content-Encoding %q is not supported: send gzip or plain JSON", enc)
	}
	raw, err := ingest.ReadRaw(r.Body, ingest.Limits{MaxBodyBytes: lim.MaxBodyBytes})
	if err != nil {
		return importError(err)
	}
	data, err := ingest.Decompress(raw, gzipped, ingest.Limits{MaxDecodedBytes: lim.MaxDecodedBytes})
	if err != nil {
		return importError(err)
	}
	rec, err := ingest.ParseImport(data, lim, s.Now())
	if err != nil {
		return importError(err)
	}
	res, err := s.Ingester.Import(r.Context(), p, rec, ingest.Origin{UserAgent: r.UserAgent()})
	if err != nil {
		return importError(err)
	}
	s.audit(r, playhead.AuditSessionImport, res.SessionID, p.ID, map[string]any{"format": res.Format, "events": res.Events})
	return writeJSON(w, http.StatusCreated, map[string]any{"ok": true, "import": res})
}

// importError answers a file over a limit as a bad file (400), like any
// other file that cannot be imported, with the message naming the limit.
func importError(err error) error {
	if playhead.ErrorCode(err) == playhead.ETOOLARGE {
		return playhead.Errorf(playhead.EINVALID, "%s", playhead.ErrorMessage(err))
	}
	return err
}
