package server

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/ingest"
	"github.com/playhead/playhead/search"
)

// Bounds of the work a search's matches take: a result row of the
// sessions list reads at most rowScan of its session's timeline entries
// (of the kinds the query looks at) and shows the first rowMatches; the
// player's list of matches reads at most sessionScan and returns at most
// sessionMatches.
const (
	rowScan        = 1000
	rowMatches     = 4
	sessionScan    = 20000
	sessionMatches = 1000
)

// match is a moment of a session a search found.
type match struct {
	Ts    int64  `json:"ts"`
	Kind  string `json:"kind"`
	Level string `json:"level,omitempty"`
	Label string `json:"label"`
	// Status is a request's HTTP status (0 when it got no answer).
	Status *int `json:"status,omitempty"`
}

// parseQuery parses the q parameter, user: terms turned into the keyed
// hashes the index holds.
func (s *Server) parseQuery(r *http.Request, p *playhead.Project) (search.Expr, error) {
	q, err := search.Parse(r.URL.Query().Get("q"))
	if err != nil {
		return nil, playhead.Errorf(playhead.EINVALID, "q: %v", err)
	}
	search.MapUsers(q, func(id string) string { return s.Ingester.Keys.Keyring.UserHash(p.ID, id) })
	return q, nil
}

// matches returns the first max moments of a session that terms match,
// reading at most scan timeline entries, and whether there may be more.
func (s *Server) matches(ctx context.Context, projectID int64, sessionID string, terms *search.Moments, scan, limit int) ([]match, bool, error) {
	out := []match{}
	if terms == nil {
		return out, false, nil
	}
	entries, err := s.Index.TimelineKinds(ctx, projectID, sessionID, ingest.MomentKinds(terms.Fields()), scan)
	if err != nil {
		return nil, false, err
	}
	for i := range entries {
		e := &entries[i]
		if !terms.Match(ingest.MomentValues(e)) {
			continue
		}
		if len(out) == limit {
			return out, true, nil
		}
		m := match{Ts: e.Ts, Kind: e.Kind, Level: e.Level, Label: e.Label}
		if e.Kind == playhead.KindRequest {
			var d struct {
				Status int `json:"status"`
			}
			if json.Unmarshal(e.Detail, &d) == nil {
				st := max(d.Status, 0)
				m.Status = &st
			}
		}
		out = append(out, m)
	}
	return out, len(entries) == scan, nil
}

// handleMatches lists the moments of a session a search matches, for the
// player to mark and step through.
func (s *Server) handleMatches(w http.ResponseWriter, r *http.Request) error {
	p, id, err := s.sessionParam(r)
	if err != nil {
		return err
	}
	q, err := s.parseQuery(r, p)
	if err != nil {
		return err
	}
	if _, err := s.Index.Session(r.Context(), p.ID, id); err != nil {
		return err
	}
	list, more, err := s.matches(r.Context(), p.ID, id, search.MomentsOf(q), sessionScan, sessionMatches)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"matches": list, "truncated": more})
}

// Bounds of a suggestion request.
const (
	maxSuggestPrefix = 200
	suggestions      = 10
)

// handleSuggest suggests keys (without key) or values of a key seen in
// the project's recent sessions, for the search box.
func (s *Server) handleSuggest(w http.ResponseWriter, r *http.Request) error {
	p, err := s.project(r.Context())
	if err != nil {
		return err
	}
	key := strings.ToLower(r.URL.Query().Get("key"))
	prefix := r.URL.Query().Get("prefix")
	if n := utf8.RuneCountInString(prefix); n > maxSuggestPrefix {
		return playhead.Errorf(playhead.EINVALID, "prefix: %d characters, over the limit of %d", n, maxSuggestPrefix)
	}
	if key == "" {
		keys := []search.KeyDoc{}
		for _, k := range search.Keys {
			if strings.HasPrefix(k.Key, strings.ToLower(prefix)) {
				keys = append(keys, k)
			}
		}
		return writeJSON(w, http.StatusOK, map[string]any{"keys": keys})
	}
	i := slices.IndexFunc(search.Keys, func(k search.KeyDoc) bool { return k.Key == key })
	if i < 0 {
		return playhead.Errorf(playhead.EINVALID, "key: unknown key %q (keys: %s)", key, strings.Join(search.KeyNames(), ", "))
	}
	doc := search.Keys[i]
	values := []playhead.SearchValue{}
	field, ok := search.KeyField(key)
	if ok {
		// More than are shown, so that values starting with the prefix
		// can go first.
		found, err := s.Searches.SearchValues(r.Context(), p.ID, field, prefix, 5*suggestions)
		if err != nil {
			return err
		}
		lower := strings.ToLower(prefix)
		slices.SortStableFunc(found, func(a, b playhead.SearchValue) int {
			return boolRank(strings.HasPrefix(strings.ToLower(a.Value), lower)) - boolRank(strings.HasPrefix(strings.ToLower(b.Value), lower))
		})
		values = append(values, found[:min(len(found), suggestions)]...)
	}
	for _, ex := range doc.Examples {
		if len(values) < suggestions && strings.HasPrefix(strings.ToLower(ex), strings.ToLower(prefix)) &&
			!slices.ContainsFunc(values, func(v playhead.SearchValue) bool { return strings.EqualFold(v.Value, ex) }) {
			values = append(values, playhead.SearchValue{Value: ex})
		}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"key": doc, "values": values})
}

// boolRank orders true before false.
func boolRank(b bool) int {
	if b {
		return 0
	}
	return 1
}

// maxSavedSearches bounds a project's saved searches (their names are
// bounded like other names, by maxNameLen).
const maxSavedSearches = 500

// savedSearchInput is the body of a request that creates or renames a
// saved search.
type savedSearchInput struct {
	Name  string `json:"name"`
	Query string `json:"query"`
}

func (s *Server) handleSavedSearches(w http.ResponseWriter, r *http.Request) error {
	p, err := s.project(r.Context())
	if err != nil {
		return err
	}
	list, err := s.Searches.SavedSearches(r.Context(), p.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"searches": list})
}

func (s *Server) handleCreateSavedSearch(w http.ResponseWriter, r *http.Request) error {
	var in savedSearchInput
	if err := decodeJSON(r, 8192, &in); err != nil {
		return err
	}
	name, err := validName("name", in.Name)
	if err != nil {
		return err
	}
	query := strings.TrimSpace(in.Query)
	if query == "" {
		return playhead.Errorf(playhead.EINVALID, "query: missing")
	}
	if _, err := search.Parse(query); err != nil {
		return playhead.Errorf(playhead.EINVALID, "query: %v", err)
	}
	p, err := s.project(r.Context())
	if err != nil {
		return err
	}
	list, err := s.Searches.SavedSearches(r.Context(), p.ID)
	if err != nil {
		return err
	}
	if len(list) >= maxSavedSearches {
		return playhead.Errorf(playhead.EINVALID, "the project has %d saved searches, the limit", maxSavedSearches)
	}
	saved := &playhead.SavedSearch{ProjectID: p.ID, Name: name, Query: query, CreatedAt: s.Now()}
	if err := s.Searches.CreateSavedSearch(r.Context(), saved); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"search": saved})
}

// savedSearchParam returns the dashboard's project and the saved search
// the route's {id} names.
func (s *Server) savedSearchParam(r *http.Request) (*playhead.Project, int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, 0, playhead.Errorf(playhead.ENOTFOUND, "saved search %q not found", r.PathValue("id"))
	}
	p, err := s.project(r.Context())
	return p, id, err
}

func (s *Server) handleSavedSearch(w http.ResponseWriter, r *http.Request) error {
	p, id, err := s.savedSearchParam(r)
	if err != nil {
		return err
	}
	saved, err := s.Searches.SavedSearch(r.Context(), p.ID, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"search": saved})
}

func (s *Server) handleRenameSavedSearch(w http.ResponseWriter, r *http.Request) error {
	p, id, err := s.savedSearchParam(r)
	if err != nil {
		return err
	}
	var in savedSearchInput
	if err := decodeJSON(r, 8192, &in); err != nil {
		return err
	}
	name, err := validName("name", in.Name)
	if err != nil {
		return err
	}
	if err := s.Searches.RenameSavedSearch(r.Context(), p.ID, id, name); err != nil {
		return err
	}
	saved, err := s.Searches.SavedSearch(r.Context(), p.ID, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"search": saved})
}

func (s *Server) handleDeleteSavedSearch(w http.ResponseWriter, r *http.Request) error {
	p, id, err := s.savedSearchParam(r)
	if err != nil {
		return err
	}
	if err := s.Searches.DeleteSavedSearch(r.Context(), p.ID, id); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}
