package server

import (
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/ingest"
	"github.com/playhead/playhead/recording"
	"github.com/playhead/playhead/sourcemaps"
)

// releaseParam returns the ?release= of a request, checked.
func releaseParam(r *http.Request) (string, error) {
	release := r.URL.Query().Get("release")
	if release == "" {
		return "", playhead.Errorf(playhead.EINVALID, "release: missing (?release=, the release the SDK's release option names)")
	}
	return release, ingest.ValidRelease(release)
}

// maxSourceMapName bounds the name a source map is uploaded under.
const maxSourceMapName = 1024

// handleUploadSourceMap stores one source map of a release: the body is
// the map, ?name= the path (or URL) of the minified file it maps, as stack
// frames name it.
func (s *Server) handleUploadSourceMap(w http.ResponseWriter, r *http.Request) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return playhead.Errorf(playhead.EMEDIATYPE, "Content-Type must be application/json, not %q", r.Header.Get("Content-Type"))
	}
	release, err := releaseParam(r)
	if err != nil {
		return err
	}
	name := strings.TrimPrefix(r.URL.Query().Get("name"), "./")
	if name == "" || len(name) > maxSourceMapName || strings.ContainsFunc(name, unicode.IsControl) {
		return playhead.Errorf(playhead.EINVALID, "name: the path of the minified file the map is for (app.min.js, static/app.min.js or its URL), at most %d characters, is required", maxSourceMapName)
	}
	p, err := s.project(r.Context())
	if err != nil {
		return err
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, recording.MaxSourceMapBytes+1))
	if err != nil {
		return playhead.Errorf(playhead.EINVALID, "read body: %v", err)
	}
	if len(data) > recording.MaxSourceMapBytes {
		return playhead.Errorf(playhead.ETOOLARGE, "the source map is larger than the limit of %d bytes", recording.MaxSourceMapBytes)
	}
	if _, err := sourcemaps.Parse(data); err != nil {
		return playhead.Errorf(playhead.EINVALID, "%s: %v", name, err)
	}
	m, err := s.Recordings.StoreSourceMap(r.Context(), p.ID, release, name, data)
	if err != nil {
		return err
	}
	s.audit(r, playhead.AuditSourceMaps, release, p.ID, map[string]any{"name": name, "bytes": len(data)})
	return writeJSON(w, http.StatusCreated, map[string]any{"sourceMap": m})
}

func (s *Server) handleSourceMaps(w http.ResponseWriter, r *http.Request) error {
	release, err := releaseParam(r)
	if err != nil {
		return err
	}
	p, err := s.project(r.Context())
	if err != nil {
		return err
	}
	list, err := s.SourceMaps.SourceMaps(r.Context(), p.ID, release)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"sourceMaps": list})
}

func (s *Server) handleDeleteSourceMaps(w http.ResponseWriter, r *http.Request) error {
	release, err := releaseParam(r)
	if err != nil {
		return err
	}
	p, err := s.project(r.Context())
	if err != nil {
		return err
	}
	n, err := s.Recordings.DeleteRelease(r.Context(), p.ID, release)
	if err != nil {
		return err
	}
	s.audit(r, playhead.AuditSourceMapsDrop, release, p.ID, map[string]any{"maps": n})
	return writeJSON(w, http.StatusOK, map[string]any{"ok": true, "deleted": n})
}

// parsedMaps keeps parsed source maps, so a player opening session after
// session of one release parses its maps once.
type parsedMaps struct {
	mu   sync.Mutex
	maps map[string]*sourcemaps.Map
}

const maxParsedMaps = 32

func (s *Server) parsedMap(ctx context.Context, m *playhead.SourceMap) (*sourcemaps.Map, error) {
	key := m.ObjectKey + "@" + strconv.FormatInt(m.UploadedAt.UnixMilli(), 10)
	c := &s.parsed
	c.mu.Lock()
	pm := c.maps[key]
	c.mu.Unlock()
	if pm != nil {
		return pm, nil
	}
	data, err := s.Recordings.SourceMapData(ctx, m)
	if err != nil {
		return nil, err
	}
	pm, err = sourcemaps.Parse(data)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.maps == nil || len(c.maps) >= maxParsedMaps {
		c.maps = map[string]*sourcemaps.Map{}
	}
	c.maps[key] = pm
	c.mu.Unlock()
	return pm, nil
}

// symbolicate adds to the session's error and console entries the frames
// of their stack traces mapped to the original source ("frames"), when the
// session's release has source maps covering them. Entries of a release
// without maps, and frames no map covers, stay as recorded.
func (s *Server) symbolicate(ctx context.Context, projectID int64, release string, timeline []playhead.TimelineEntry) error {
	if release == "" {
		return nil
	}
	maps, err := s.SourceMaps.SourceMaps(ctx, projectID, release)
	if err != nil || len(maps) == 0 {
		return err
	}
	byName := make(map[string]*playhead.SourceMap, len(maps))
	names := make([]string, len(maps))
	for i, m := range maps {
		byName[m.Name], names[i] = m, m.Name
	}
	for i, e := range timeline {
		if e.Kind != playhead.KindError && e.Kind != playhead.KindConsole {
			continue
		}
		var d map[string]json.RawMessage
		if json.Unmarshal(e.Detail, &d) != nil {
			continue
		}
		frames := recordedFrames(d)
		resolved := false
		for j := range frames {
			m := byName[sourcemaps.Match(frames[j].File, names)]
			if m == nil {
				continue
			}
			pm, err := s.parsedMap(ctx, m)
			if err != nil {
				s.Logger.Warn("source map unreadable", "release", release, "name", m.Name, "err", err)
				continue
			}
			pm.Resolve(&frames[j])
			resolved = resolved || frames[j].Original != nil
		}
		if !resolved {
			continue
		}
		d["frames"], _ = json.Marshal(frames)
		timeline[i].Detail, _ = json.Marshal(d)
	}
	return nil
}

// recordedFrames reads the stack frames an entry's detail holds: an
// error's stack (or its source, line and column), a console message's
// trace.
func recordedFrames(d map[string]json.RawMessage) []sourcemaps.Frame {
	var stack string
	if json.Unmarshal(d["stack"], &stack) == nil && stack != "" {
		if f := sourcemaps.ParseStack(stack); len(f) > 0 {
			return f
		}
	}
	var trace []string
	if json.Unmarshal(d["trace"], &trace) == nil && len(trace) > 0 {
		return sourcemaps.ParseFrames(trace)
	}
	var source string
	var line, col int
	if json.Unmarshal(d["source"], &source) == nil && json.Unmarshal(d["line"], &line) == nil && source != "" && line > 0 {
		json.Unmarshal(d["column"], &col)
		return []sourcemaps.Frame{{File: source, Line: line, Column: col}}
	}
	return nil
}
