package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/playhead/playhead"
)

var _ playhead.BackendStore = (*DB)(nil)

// AddBackendRecords stores spans and logs in one transaction.
func (db *DB) AddBackendRecords(ctx context.Context, projectID int64, records []playhead.BackendRecord) error {
	if len(records) == 0 {
		return nil
	}
	tx, err := db.begin(ctx)
	if err != nil {
		return fmt.Errorf("store backend records: %w", err)
	}
	defer tx.Rollback()
	err = insertRows(ctx, tx, `INSERT INTO backend_records (project_id, session_id, kind, service, trace_id, span_id, parent_span_id,
		name, start_ms, end_ms, level, message, status, attributes) VALUES `, 14, len(records),
		func(i int, args []any) []any {
			r := records[i]
			var attrs any
			if len(r.Attributes) > 0 {
				b, _ := json.Marshal(r.Attributes)
				attrs = string(b)
			}
			return append(args, projectID, r.SessionID, r.Kind, r.Service, r.TraceID, r.SpanID, r.ParentSpanID,
				r.Name, r.StartMs, r.EndMs, r.Level, r.Message, r.Status, attrs)
		}, "")
	if err != nil {
		return fmt.Errorf("store backend records: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store backend records: %w", err)
	}
	return nil
}

// BackendRecords returns a session's spans and logs by start time.
func (db *DB) BackendRecords(ctx context.Context, projectID int64, sessionID string, limit int) ([]playhead.BackendRecord, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT session_id, kind, service, trace_id, span_id, parent_span_id, name, start_ms, end_ms,
		level, message, status, attributes FROM backend_records WHERE project_id = ? AND session_id = ? ORDER BY start_ms, rowid LIMIT ?`,
		projectID, sessionID, limit)
	if err != nil {
		return nil, fmt.Errorf("read backend records: %w", err)
	}
	defer rows.Close()
	list := []playhead.BackendRecord{}
	for rows.Next() {
		var r playhead.BackendRecord
		var attrs *string
		if err := rows.Scan(&r.SessionID, &r.Kind, &r.Service, &r.TraceID, &r.SpanID, &r.ParentSpanID, &r.Name, &r.StartMs, &r.EndMs,
			&r.Level, &r.Message, &r.Status, &attrs); err != nil {
			return nil, fmt.Errorf("read backend records: %w", err)
		}
		if attrs != nil {
			json.Unmarshal([]byte(*attrs), &r.Attributes)
		}
		list = append(list, r)
	}
	return list, rows.Err()
}
