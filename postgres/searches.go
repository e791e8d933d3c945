package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/playhead/playhead"
)

var _ playhead.SearchStore = (*DB)(nil)

// TimelineKinds returns a session's first limit timeline entries of the
// given kinds, by time.
func (db *DB) TimelineKinds(ctx context.Context, projectID int64, sessionID string, kinds []string, limit int) ([]playhead.TimelineEntry, error) {
	if len(kinds) == 0 || limit <= 0 {
		return []playhead.TimelineEntry{}, nil
	}
	return db.readTimeline(ctx, `WHERE project_id = $1 AND session_id = $2 AND kind = ANY($3) ORDER BY ts, id LIMIT $4`,
		projectID, text(sessionID), kinds, limit)
}

// NavigationsBefore returns a session's last limit navigation entries at
// or before ts, the latest first. The kind is written out, not bound: the
// planner uses the index of navigations (migration 0012) only for a query
// that names its condition.
func (db *DB) NavigationsBefore(ctx context.Context, projectID int64, sessionID string, ts int64, limit int) ([]playhead.TimelineEntry, error) {
	if limit <= 0 {
		return []playhead.TimelineEntry{}, nil
	}
	return db.readTimeline(ctx, `WHERE project_id = $1 AND session_id = $2 AND ts <= $3 AND kind = '`+playhead.KindNavigation+`' ORDER BY ts DESC, id DESC LIMIT $4`,
		projectID, text(sessionID), ts, limit)
}

// summaryFields are the sessions' columns SearchValues may read.
var summaryFields = map[string]bool{playhead.SummaryBrowser: true, playhead.SummaryOS: true, playhead.SummaryDevice: true}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// SearchValues returns the values of field among the index's latest search
// rows (or the project's latest sessions, for a summary field) that hold
// part, most sessions first.
func (db *DB) SearchValues(ctx context.Context, projectID int64, field, part string, limit int) ([]playhead.SearchValue, error) {
	like := "%" + likeEscaper.Replace(text(part)) + "%"
	var query string
	var args []any
	if summaryFields[field] {
		// field is one of summaryFields' keys, never user text.
		query = `SELECT v, count(*) AS n FROM (SELECT ` + field + ` AS v FROM sessions WHERE project_id = $1 ORDER BY started_at DESC LIMIT $2) w
			WHERE v != '' AND v ILIKE $3 ESCAPE '\' GROUP BY v ORDER BY n DESC, v COLLATE "C" LIMIT $4`
		args = []any{projectID, playhead.SearchValuesSessions, like, limit}
	} else {
		query = `SELECT value, count(*) AS n FROM (SELECT project_id, field, value FROM session_search ORDER BY id DESC LIMIT $1) w
			WHERE project_id = $2 AND field = $3 AND value ILIKE $4 ESCAPE '\' GROUP BY value ORDER BY n DESC, value COLLATE "C" LIMIT $5`
		args = []any{playhead.SearchValuesRows, projectID, text(field), like, limit}
	}
	rows, err := db.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("suggest values of %s: %w", field, err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (playhead.SearchValue, error) {
		var v playhead.SearchValue
		err := row.Scan(&v.Value, &v.Sessions)
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("suggest values of %s: %w", field, err)
	}
	if list == nil {
		list = []playhead.SearchValue{}
	}
	return list, nil
}

// CreateSavedSearch stores s and sets its ID and CreatedAt.
func (db *DB) CreateSavedSearch(ctx context.Context, s *playhead.SavedSearch) error {
	if s.CreatedAt.IsZero() {
		s.CreatedAt = time.Now()
	}
	err := db.pool.QueryRow(ctx, `INSERT INTO saved_searches (project_id, name, query, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (project_id, name) DO NOTHING RETURNING id`, s.ProjectID, text(s.Name), text(s.Query), s.CreatedAt.UnixMilli()).Scan(&s.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return playhead.Errorf(playhead.EINVALID, "name: a saved search named %q exists already", s.Name)
	}
	if err != nil {
		return fmt.Errorf("create saved search: %w", err)
	}
	return nil
}

const savedSearchColumns = `id, project_id, name, query, created_at`

func scanSavedSearch(row pgx.Row) (*playhead.SavedSearch, error) {
	s := &playhead.SavedSearch{}
	var created int64
	if err := row.Scan(&s.ID, &s.ProjectID, &s.Name, &s.Query, &created); err != nil {
		return nil, err
	}
	s.CreatedAt = time.UnixMilli(created)
	return s, nil
}

// SavedSearches lists a project's saved searches by name.
func (db *DB) SavedSearches(ctx context.Context, projectID int64) ([]*playhead.SavedSearch, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+savedSearchColumns+` FROM saved_searches WHERE project_id = $1 ORDER BY name COLLATE "C", id`, projectID)
	if err != nil {
		return nil, fmt.Errorf("list saved searches: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*playhead.SavedSearch, error) { return scanSavedSearch(row) })
	if err != nil {
		return nil, fmt.Errorf("list saved searches: %w", err)
	}
	if list == nil {
		list = []*playhead.SavedSearch{}
	}
	return list, nil
}

// SavedSearch returns one saved search, or ENOTFOUND.
func (db *DB) SavedSearch(ctx context.Context, projectID, id int64) (*playhead.SavedSearch, error) {
	s, err := scanSavedSearch(db.pool.QueryRow(ctx, `SELECT `+savedSearchColumns+` FROM saved_searches WHERE project_id = $1 AND id = $2`, projectID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, playhead.Errorf(playhead.ENOTFOUND, "saved search %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read saved search: %w", err)
	}
	return s, nil
}

// RenameSavedSearch renames a saved search.
func (db *DB) RenameSavedSearch(ctx context.Context, projectID, id int64, name string) error {
	var renamed, taken bool
	err := db.pool.QueryRow(ctx, `WITH other AS (
			SELECT 1 FROM saved_searches WHERE project_id = $1 AND name = $3 AND id != $2
		), renamed AS (
			UPDATE saved_searches SET name = $3 WHERE project_id = $1 AND id = $2 AND NOT EXISTS (SELECT 1 FROM other) RETURNING 1
		)
		SELECT EXISTS (SELECT 1 FROM renamed), EXISTS (SELECT 1 FROM other)`, projectID, id, text(name)).Scan(&renamed, &taken)
	switch {
	case err != nil:
		return fmt.Errorf("rename saved search: %w", err)
	case taken:
		return playhead.Errorf(playhead.EINVALID, "name: a saved search named %q exists already", name)
	case !renamed:
		return playhead.Errorf(playhead.ENOTFOUND, "saved search %d not found", id)
	}
	return nil
}

// DeleteSavedSearch removes a saved search.
func (db *DB) DeleteSavedSearch(ctx context.Context, projectID, id int64) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM saved_searches WHERE project_id = $1 AND id = $2`, projectID, id)
	if err != nil {
		return fmt.Errorf("delete saved search: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return playhead.Errorf(playhead.ENOTFOUND, "saved search %d not found", id)
	}
	return nil
}
