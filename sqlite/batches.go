package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"time"

	"github.com/playhead/playhead"
)

// WriteGroup stores a group of batches in one transaction, so one commit
// (one fsync) makes them all durable. SQLite has one writer at a time, so
// the state read at the start holds until the commit. The group is read
// and written with a handful of multi-row statements (the group's batches,
// sessions and keys read once, then one insert per table), not a few
// statements per batch: with SQLite's single writer, the cost per
// statement is what bounds ingest.
func (db *DB) WriteGroup(ctx context.Context, ids []playhead.BatchID, decide func(*playhead.GroupState) (*playhead.GroupWrite, error)) error {
	// One group at a time: the writer's statement cache is warmed outside
	// a transaction, which must not wait for another group's.
	db.groups.Lock()
	defer db.groups.Unlock()
	tx, err := db.begin(ctx)
	if err != nil {
		return fmt.Errorf("write group: %w", err)
	}
	defer tx.Rollback()
	st, err := readGroup(ctx, tx, ids)
	if err != nil {
		return fmt.Errorf("write group: %w", err)
	}
	w, err := decide(st)
	if err != nil || w == nil {
		return err
	}
	if err := writeGroup(ctx, tx, w); err != nil {
		return fmt.Errorf("write group: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("write group: commit: %w", err)
	}
	return nil
}

// readGroup reads which of ids are stored, and the summaries and data keys
// of their sessions.
func readGroup(ctx context.Context, tx *wtx, ids []playhead.BatchID) (*playhead.GroupState, error) {
	st := &playhead.GroupState{
		Stored:   map[playhead.BatchID]bool{},
		Sessions: map[playhead.SessionRef]*playhead.Session{},
		Keys:     map[playhead.SessionRef]*playhead.DataKey{},
		Carry:    map[playhead.SessionRef]*playhead.SessionCarry{},
	}
	seen := make(map[playhead.BatchID]bool, len(ids))
	batches := make([]playhead.BatchID, 0, len(ids))
	sessionSeen := map[playhead.SessionRef]bool{}
	var sessions []playhead.SessionRef
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			batches = append(batches, id)
		}
		if r := id.Session(); !sessionSeen[r] {
			sessionSeen[r] = true
			sessions = append(sessions, r)
		}
	}
	err := selectRows(ctx, tx, `SELECT t.project_id, t.session_id, t.seq FROM (VALUES `, 3, len(batches),
		`) AS k JOIN batches t ON t.project_id = k.column1 AND t.session_id = k.column2 AND t.seq = k.column3`,
		func(i int, args []any) []any {
			return append(args, batches[i].ProjectID, batches[i].SessionID, batches[i].Seq)
		},
		func(rows *sql.Rows) error {
			var id playhead.BatchID
			if err := rows.Scan(&id.ProjectID, &id.SessionID, &id.Seq); err != nil {
				return err
			}
			st.Stored[id] = true
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("look up batches: %w", err)
	}
	sessionKeys := func(i int, args []any) []any { return append(args, sessions[i].ProjectID, sessions[i].SessionID) }
	err = selectRows(ctx, tx, `SELECT t.project_id, t.id, t.started_at, t.ended_at, t.user_agent, t.client_ip, t.user_hash,
		t.clicks, t.errors, t.console_errors, t.failed_requests, t.events, t.bytes, t.batches,
		t.browser, t.os, t.device, t.rage_clicks, t.dead_clicks, t.error_clicks, t.app_release, t.imported_at, t.active_ms FROM (VALUES `, 2, len(sessions),
		`) AS k JOIN sessions t ON t.project_id = k.column1 AND t.id = k.column2`, sessionKeys,
		func(rows *sql.Rows) error {
			s := &playhead.Session{}
			if err := rows.Scan(&s.ProjectID, &s.ID, &s.StartedAt, &s.EndedAt, &s.UserAgent, &s.ClientIP, &s.UserHash,
				&s.Clicks, &s.Errors, &s.ConsoleErrors, &s.FailedRequests, &s.Events, &s.Bytes, &s.Batches,
				&s.Browser, &s.OS, &s.Device, &s.RageClicks, &s.DeadClicks, &s.ErrorClicks, &s.Release, &s.ImportedAt, &s.ActiveMs); err != nil {
				return err
			}
			st.Sessions[playhead.SessionRef{ProjectID: s.ProjectID, SessionID: s.ID}] = s
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("look up sessions: %w", err)
	}
	err = selectRows(ctx, tx, `SELECT t.project_id, t.session_id, t.master_key_id, t.wrapped FROM (VALUES `, 2, len(sessions),
		`) AS k JOIN session_keys t ON t.project_id = k.column1 AND t.session_id = k.column2`, sessionKeys,
		func(rows *sql.Rows) error {
			k := &playhead.DataKey{}
			if err := rows.Scan(&k.ProjectID, &k.SessionID, &k.MasterKeyID, &k.Wrapped); err != nil {
				return err
			}
			st.Keys[playhead.SessionRef{ProjectID: k.ProjectID, SessionID: k.SessionID}] = k
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("look up data keys: %w", err)
	}
	err = selectRows(ctx, tx, `SELECT t.project_id, t.session_id, t.search, t.signals, t.nodes FROM (VALUES `, 2, len(sessions),
		`) AS k JOIN session_carry t ON t.project_id = k.column1 AND t.session_id = k.column2`, sessionKeys,
		func(rows *sql.Rows) error {
			c := &playhead.SessionCarry{}
			if err := rows.Scan(&c.ProjectID, &c.SessionID, &c.Search, &c.Signals, &c.Nodes); err != nil {
				return err
			}
			st.Carry[playhead.SessionRef{ProjectID: c.ProjectID, SessionID: c.SessionID}] = c
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("look up carried state: %w", err)
	}
	return st, nil
}

// writeGroup writes what ingest decided.
func writeGroup(ctx context.Context, tx *wtx, w *playhead.GroupWrite) error {
	err := insertRows(ctx, tx, `INSERT INTO session_keys (project_id, session_id, master_key_id, wrapped) VALUES `, 4, len(w.Keys),
		func(i int, args []any) []any {
			k := w.Keys[i]
			return append(args, k.ProjectID, k.SessionID, k.MasterKeyID, k.Wrapped)
		}, "")
	if err != nil {
		return fmt.Errorf("store data keys: %w", err)
	}
	receivedAt := w.Now.UnixMilli()
	err = insertRows(ctx, tx, `INSERT INTO batches
		(project_id, session_id, seq, first_ts, last_ts, keyframe_ts, events, bytes, received_at, data) VALUES `, 10, len(w.Batches),
		func(i int, args []any) []any {
			b := w.Batches[i]
			r := b.Ref
			return append(args, b.ProjectID, b.SessionID, r.Seq, r.FirstTs, r.LastTs, r.KeyframeTs, r.Events, r.Bytes, receivedAt, b.Data)
		}, "")
	if err != nil {
		return fmt.Errorf("insert batches: %w", err)
	}
	err = insertRows(ctx, tx, `INSERT INTO sessions
		(project_id, id, started_at, ended_at, user_agent, client_ip, user_hash, clicks, errors, console_errors, failed_requests, events, bytes, batches,
		browser, os, device, rage_clicks, dead_clicks, error_clicks, app_release, imported_at, active_ms) VALUES `, 23, len(w.Sessions),
		func(i int, args []any) []any {
			s := w.Sessions[i]
			return append(args, s.ProjectID, s.ID, s.StartedAt, s.EndedAt, s.UserAgent, s.ClientIP, s.UserHash,
				s.Clicks, s.Errors, s.ConsoleErrors, s.FailedRequests, s.Events, s.Bytes, s.Batches,
				s.Browser, s.OS, s.Device, s.RageClicks, s.DeadClicks, s.ErrorClicks, s.Release, s.ImportedAt, s.ActiveMs)
		}, ` ON CONFLICT (project_id, id) DO UPDATE SET
			started_at = excluded.started_at,
			ended_at = excluded.ended_at,
			user_agent = excluded.user_agent,
			client_ip = excluded.client_ip,
			user_hash = excluded.user_hash,
			clicks = excluded.clicks,
			errors = excluded.errors,
			console_errors = excluded.console_errors,
			failed_requests = excluded.failed_requests,
			events = excluded.events,
			bytes = excluded.bytes,
			batches = excluded.batches,
			browser = excluded.browser,
			os = excluded.os,
			device = excluded.device,
			rage_clicks = excluded.rage_clicks,
			dead_clicks = excluded.dead_clicks,
			error_clicks = excluded.error_clicks,
			app_release = excluded.app_release,
			imported_at = excluded.imported_at,
			active_ms = excluded.active_ms`)
	if err != nil {
		return fmt.Errorf("update sessions: %w", err)
	}
	if err := writePages(ctx, tx, w.Batches); err != nil {
		return err
	}
	if err := writeTimeline(ctx, tx, w.Batches); err != nil {
		return err
	}
	if err := writeSearch(ctx, tx, w.Batches); err != nil {
		return err
	}
	err = insertRows(ctx, tx, `INSERT INTO session_carry (project_id, session_id, search, signals, nodes) VALUES `, 5, len(w.Carry),
		func(i int, args []any) []any {
			c := w.Carry[i]
			return append(args, c.ProjectID, c.SessionID, c.Search, c.Signals, c.Nodes)
		}, ` ON CONFLICT DO UPDATE SET search = coalesce(excluded.search, search),
			signals = coalesce(excluded.signals, signals), nodes = coalesce(excluded.nodes, nodes)`)
	if err != nil {
		return fmt.Errorf("store carried state: %w", err)
	}
	if err := writeScrubCounts(ctx, tx, w.Batches); err != nil {
		return err
	}
	if err := writeReports(ctx, tx, w.Batches); err != nil {
		return err
	}
	if err := queueEvents(ctx, tx, w.Events, w.Now); err != nil {
		return err
	}
	return queueAssets(ctx, tx, w.Batches, w.Now)
}

// writePages merges the batches' pages into their sessions': a page keeps
// the earliest time it was seen.
func writePages(ctx context.Context, tx *wtx, batches []*playhead.IndexedBatch) error {
	type pageKey struct {
		s   playhead.SessionRef
		url string
	}
	firstSeen := map[pageKey]int64{}
	var pages []pageKey
	for _, b := range batches {
		for i, u := range b.Pages {
			k := pageKey{playhead.SessionRef{ProjectID: b.ProjectID, SessionID: b.SessionID}, u}
			ts := b.Ref.FirstTs + int64(i)
			if old, ok := firstSeen[k]; !ok {
				pages = append(pages, k)
				firstSeen[k] = ts
			} else if ts < old {
				firstSeen[k] = ts
			}
		}
	}
	err := insertRows(ctx, tx, `INSERT INTO session_pages (project_id, session_id, url, first_ts) VALUES `, 4, len(pages),
		func(i int, args []any) []any {
			k := pages[i]
			return append(args, k.s.ProjectID, k.s.SessionID, k.url, firstSeen[k])
		}, ` ON CONFLICT DO UPDATE SET first_ts = min(first_ts, excluded.first_ts)`)
	if err != nil {
		return fmt.Errorf("update pages: %w", err)
	}
	return nil
}

func writeTimeline(ctx context.Context, tx *wtx, batches []*playhead.IndexedBatch) error {
	type entry struct {
		b *playhead.IndexedBatch
		e *playhead.TimelineEntry
	}
	var entries []entry
	for _, b := range batches {
		for i := range b.Timeline {
			entries = append(entries, entry{b, &b.Timeline[i]})
		}
	}
	err := insertRows(ctx, tx, `INSERT INTO timeline (project_id, session_id, ts, kind, level, label, detail) VALUES `, 7, len(entries),
		func(i int, args []any) []any {
			x := entries[i]
			var detail any
			if len(x.e.Detail) > 0 {
				detail = string(x.e.Detail)
			}
			return append(args, x.b.ProjectID, x.b.SessionID, x.e.Ts, x.e.Kind, x.e.Level, x.e.Label, detail)
		}, "")
	if err != nil {
		return fmt.Errorf("insert timeline: %w", err)
	}
	return nil
}

// writeSearch adds the batches' searchable values their sessions do not
// have yet (one row per key); triggers put those of the text fields in the
// trigram index.
func writeSearch(ctx context.Context, tx *wtx, batches []*playhead.IndexedBatch) error {
	type row struct {
		b   *playhead.IndexedBatch
		t   playhead.SearchText
		key int64
	}
	type rowKey struct {
		s   playhead.SessionRef
		key int64
	}
	n := 0
	for _, b := range batches {
		n += len(b.Search)
	}
	seen := make(map[rowKey]bool, n)
	rows := make([]row, 0, n)
	for _, b := range batches {
		for _, t := range b.Search {
			k := rowKey{playhead.SessionRef{ProjectID: b.ProjectID, SessionID: b.SessionID}, t.Key()}
			if !seen[k] {
				seen[k] = true
				rows = append(rows, row{b, t, k.key})
			}
		}
	}
	err := insertRowsOnce(ctx, tx, `INSERT INTO session_search (project_id, session_id, field, value, key) VALUES `, 5, len(rows),
		func(i int, args []any) []any {
			r := rows[i]
			return append(args, r.b.ProjectID, r.b.SessionID, r.t.Field, r.t.Value, r.key)
		}, ` ON CONFLICT DO NOTHING`)
	if err != nil {
		return fmt.Errorf("index search text: %w", err)
	}
	return nil
}

// writeScrubCounts adds the batches' counts of masked values to their
// projects'.
func writeScrubCounts(ctx context.Context, tx *wtx, batches []*playhead.IndexedBatch) error {
	type scrubKey struct {
		project int64
		kind    string
	}
	scrubbed := map[scrubKey]int{}
	var kinds []scrubKey
	for _, b := range batches {
		for kind, n := range b.Scrubbed {
			k := scrubKey{b.ProjectID, kind}
			if _, ok := scrubbed[k]; !ok {
				kinds = append(kinds, k)
			}
			scrubbed[k] += n
		}
	}
	err := insertRows(ctx, tx, `INSERT INTO scrub_counts (project_id, kind, count) VALUES `, 3, len(kinds),
		func(i int, args []any) []any {
			return append(args, kinds[i].project, kinds[i].kind, scrubbed[kinds[i]])
		},
		` ON CONFLICT DO UPDATE SET count = count + excluded.count`)
	if err != nil {
		return fmt.Errorf("count scrubbed values: %w", err)
	}
	return nil
}

func writeReports(ctx context.Context, tx *wtx, batches []*playhead.IndexedBatch) error {
	for _, b := range batches {
		for _, r := range b.Reports {
			_, err := tx.ExecContext(ctx, `INSERT INTO reports (project_id, session_id, ts, text, contact_sealed, page_url) VALUES (?, ?, ?, ?, ?, ?)`,
				b.ProjectID, b.SessionID, r.Ts, r.Text, r.ContactSealed, r.PageURL)
			if err != nil {
				return fmt.Errorf("store report: %w", err)
			}
		}
	}
	return nil
}

// queueEvents queues one delivery of each event to every webhook of its
// project.
func queueEvents(ctx context.Context, tx *wtx, events []playhead.WebhookEvent, now time.Time) error {
	for _, e := range events {
		_, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries
			(webhook_id, event, session_id, ts, message, page_url, status, next_attempt_at, created_at)
			SELECT id, ?, ?, ?, ?, ?, 'pending', ?, ? FROM webhooks WHERE project_id = ?`,
			e.Event, e.SessionID, e.Ts, e.Message, e.PageURL, now.UnixMilli(), now.UnixMilli(), e.ProjectID)
		if err != nil {
			return fmt.Errorf("queue webhook deliveries: %w", err)
		}
	}
	return nil
}

// queueAssets queues the batches' asset URLs for capture, unless their
// project knows them already.
func queueAssets(ctx context.Context, tx *wtx, batches []*playhead.IndexedBatch, now time.Time) error {
	type assetKey struct {
		project int64
		url     string
	}
	seen := map[assetKey]bool{}
	var urls []assetKey
	for _, b := range batches {
		for _, u := range b.AssetURLs {
			if k := (assetKey{b.ProjectID, u}); !seen[k] {
				seen[k] = true
				urls = append(urls, k)
			}
		}
	}
	err := insertRows(ctx, tx, `INSERT INTO assets (project_id, url, status, next_attempt_at) VALUES `, 4, len(urls),
		func(i int, args []any) []any {
			return append(args, urls[i].project, urls[i].url, "pending", now.UnixMilli())
		},
		` ON CONFLICT DO NOTHING`)
	if err != nil {
		return fmt.Errorf("queue assets: %w", err)
	}
	return nil
}
