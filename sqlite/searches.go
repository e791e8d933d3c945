package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/playhead/playhead"
)

var _ playhead.SearchStore = (*DB)(nil)

// TimelineKinds returns a session's first limit timeline entries of the
// given kinds, by time.
func (db *DB) TimelineKinds(ctx context.Context, projectID int64, sessionID string, kinds []string, limit int) ([]playhead.TimelineEntry, error) {
	if len(kinds) == 0 || limit <= 0 {
		return []playhead.TimelineEntry{}, nil
	}
	args := []any{projectID, sessionID}
	for _, k := range kinds {
		args = append(args, k)
	}
	args = append(args, limit)
	return db.readTimeline(ctx, `WHERE project_id = ? AND session_id = ? AND kind IN (`+placeholders(len(kinds))+`) ORDER BY ts, rowid LIMIT ?`, args...)
}

// NavigationsBefore returns a session's last limit navigation entries at
// or before ts, the latest first. The kind is written out, not bound: the
// planner uses the index of navigations (migration 0012) only for a query
// that names its condition.
func (db *DB) NavigationsBefore(ctx context.Context, projectID int64, sessionID string, ts int64, limit int) ([]playhead.TimelineEntry, error) {
	if limit <= 0 {
		return []playhead.TimelineEntry{}, nil
	}
	return db.readTimeline(ctx, `WHERE project_id = ? AND session_id = ? AND ts <= ? AND kind = '`+playhead.KindNavigation+`' ORDER BY ts DESC, rowid DESC LIMIT ?`, projectID, sessionID, ts, limit)
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// summaryFields are the sessions' columns SearchValues may read.
var summaryFields = map[string]bool{playhead.SummaryBrowser: true, playhead.SummaryOS: true, playhead.SummaryDevice: true}

// SearchValues returns the values of field among the index's latest search
// rows (or the project's latest sessions, for a summary field) that hold
// part, most sessions first.
func (db *DB) SearchValues(ctx context.Context, projectID int64, field, part string, limit int) ([]playhead.SearchValue, error) {
	like := "%" + likeEscaper.Replace(part) + "%"
	var query string
	var args []any
	if summaryFields[field] {
		// field is one of summaryFields' keys, never user text.
		query = `SELECT v, count(*) AS n FROM (SELECT ` + field + ` AS v FROM sessions WHERE project_id = ? ORDER BY started_at DESC LIMIT ?)
			WHERE v != '' AND v LIKE ? ESCAPE '\' GROUP BY v ORDER BY n DESC, v LIMIT ?`
		args = []any{projectID, playhead.SearchValuesSessions, like, limit}
	} else {
		query = `SELECT value, count(*) AS n FROM (SELECT project_id, field, value FROM session_search ORDER BY id DESC LIMIT ?)
			WHERE project_id = ? AND field = ? AND value LIKE ? ESCAPE '\' GROUP BY value ORDER BY n DESC, value LIMIT ?`
		args = []any{playhead.SearchValuesRows, projectID, field, like, limit}
	}
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("suggest values of %s: %w", field, err)
	}
	defer rows.Close()
	list := []playhead.SearchValue{}
	for rows.Next() {
		var v playhead.SearchValue
		if err := rows.Scan(&v.Value, &v.Sessions); err != nil {
			return nil, fmt.Errorf("suggest values of %s: %w", field, err)
		}
		list = append(list, v)
	}
	return list, rows.Err()
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// CreateSavedSearch stores s and sets its ID and CreatedAt.
func (db *DB) CreateSavedSearch(ctx context.Context, s *playhead.SavedSearch) error {
	if s.CreatedAt.IsZero() {
		s.CreatedAt = time.Now()
	}
	err := db.write.QueryRowContext(ctx, `INSERT INTO saved_searches (project_id, name, query, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (project_id, name) DO NOTHING RETURNING id`, s.ProjectID, s.Name, s.Query, s.CreatedAt.UnixMilli()).Scan(&s.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return playhead.Errorf(playhead.EINVALID, "name: a saved search named %q exists already", s.Name)
	}
	if err != nil {
		return fmt.Errorf("create saved search: %w", err)
	}
	return nil
}

// SavedSearches lists a project's saved searches by name.
func (db *DB) SavedSearches(ctx context.Context, projectID int64) ([]*playhead.SavedSearch, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, project_id, name, query, created_at FROM saved_searches
		WHERE project_id = ? ORDER BY name, id`, projectID)
	if err != nil {
		return nil, fmt.Errorf("list saved searches: %w", err)
	}
	defer rows.Close()
	list := []*playhead.SavedSearch{}
	for rows.Next() {
		s, err := scanSavedSearch(rows)
		if err != nil {
			return nil, fmt.Errorf("list saved searches: %w", err)
		}
		list = append(list, s)
	}
	return list, rows.Err()
}

// SavedSearch returns one saved search, or ENOTFOUND.
func (db *DB) SavedSearch(ctx context.Context, projectID, id int64) (*playhead.SavedSearch, error) {
	s, err := scanSavedSearch(db.read.QueryRowContext(ctx, `SELECT id, project_id, name, query, created_at FROM saved_searches
		WHERE project_id = ? AND id = ?`, projectID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, playhead.Errorf(playhead.ENOTFOUND, "saved search %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read saved search: %w", err)
	}
	return s, nil
}

func scanSavedSearch(row interface{ Scan(...any) error }) (*playhead.SavedSearch, error) {
	s := &playhead.SavedSearch{}
	var created int64
	if err := row.Scan(&s.ID, &s.ProjectID, &s.Name, &s.Query, &created); err != nil {
		return nil, err
	}
	s.CreatedAt = time.UnixMilli(created)
	return s, nil
}

// RenameSavedSearch renames a saved search.
func (db *DB) RenameSavedSearch(ctx context.Context, projectID, id int64, name string) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var other int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM saved_searches WHERE project_id = ? AND name = ?`, projectID, name).Scan(&other)
	switch {
	case err == nil && other != id:
		return playhead.Errorf(playhead.EINVALID, "name: a saved search named %q exists already", name)
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("rename saved search: %w", err)
	}
	res, err := tx.ExecContext(ctx, `UPDATE saved_searches SET name = ? WHERE project_id = ? AND id = ?`, name, projectID, id)
	if err != nil {
		return fmt.Errorf("rename saved search: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return playhead.Errorf(playhead.ENOTFOUND, "saved search %d not found", id)
	}
	return tx.Commit()
}

// DeleteSavedSearch removes a saved search.
func (db *DB) DeleteSavedSearch(ctx context.Context, projectID, id int64) error {
	res, err := db.write.ExecContext(ctx, `DELETE FROM saved_searches WHERE project_id = ? AND id = ?`, projectID, id)
	if err != nil {
		return fmt.Errorf("delete saved search: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return playhead.Errorf(playhead.ENOTFOUND, "saved search %d not found", id)
	}
	return nil
}
