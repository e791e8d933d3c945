package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/playhead/playhead"
)

// AddBackendRecords stores spans and logs in one statement.
func (db *DB) AddBackendRecords(ctx context.Context, projectID int64, records []playhead.BackendRecord) error {
	if len(records) == 0 {
		return nil
	}
	var c struct {
		s, kind, service, trace, span, parent, name, level, message, status []string
		start, end                                                          []int64
		attrs                                                               []*string
	}
	for _, r := range records {
		var attrs *string
		if len(r.Attributes) > 0 {
			b, err := json.Marshal(r.Attributes)
			if err != nil {
				return fmt.Errorf("store backend records: attributes: %w", err)
			}
			a := text(string(b))
			attrs = &a
		}
		c.s, c.kind, c.service = append(c.s, text(r.SessionID)), append(c.kind, text(r.Kind)), append(c.service, text(r.Service))
		c.trace, c.span, c.parent = append(c.trace, text(r.TraceID)), append(c.span, text(r.SpanID)), append(c.parent, text(r.ParentSpanID))
		c.name, c.start, c.end = append(c.name, text(r.Name)), append(c.start, r.StartMs), append(c.end, r.EndMs)
		c.level, c.message, c.status = append(c.level, text(r.Level)), append(c.message, text(r.Message)), append(c.status, text(r.Status))
		c.attrs = append(c.attrs, attrs)
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO backend_records (project_id, session_id, kind, service, trace_id, span_id, parent_span_id,
			name, start_ms, end_ms, level, message, status, attributes)
		SELECT $1, s, k, sv, t, sp, ps, n, st, en, l, m, x, a
		FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::bigint[],
			$11::text[], $12::text[], $13::text[], $14::text[]) WITH ORDINALITY AS r(s, k, sv, t, sp, ps, n, st, en, l, m, x, a, i)
		ORDER BY i`,
		projectID, c.s, c.kind, c.service, c.trace, c.span, c.parent, c.name, c.start, c.end, c.level, c.message, c.status, c.attrs)
	if err != nil {
		return fmt.Errorf("store backend records: %w", err)
	}
	return nil
}

// BackendRecords returns a session's spans and logs by start time.
func (db *DB) BackendRecords(ctx context.Context, projectID int64, sessionID string, limit int) ([]playhead.BackendRecord, error) {
	rows, err := db.pool.Query(ctx, `SELECT session_id, kind, service, trace_id, span_id, parent_span_id, name, start_ms, end_ms,
		level, message, status, attributes FROM backend_records WHERE project_id = $1 AND session_id = $2 ORDER BY start_ms, id LIMIT $3`,
		projectID, text(sessionID), limitArg(limit))
	if err != nil {
		return nil, fmt.Errorf("read backend records: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (playhead.BackendRecord, error) {
		var r playhead.BackendRecord
		var attrs *string
		err := row.Scan(&r.SessionID, &r.Kind, &r.Service, &r.TraceID, &r.SpanID, &r.ParentSpanID, &r.Name, &r.StartMs, &r.EndMs,
			&r.Level, &r.Message, &r.Status, &attrs)
		if err == nil && attrs != nil {
			// Written by AddBackendRecords from a map, so it decodes.
			json.Unmarshal([]byte(*attrs), &r.Attributes)
		}
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("read backend records: %w", err)
	}
	if list == nil {
		list = []playhead.BackendRecord{}
	}
	return list, nil
}
