package postgres

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/playhead/playhead"
)

// A group is read and written in two round trips, whatever its size: one
// pgx.Batch takes the locks and reads the state, another writes every
// table, each statement binding whole columns as arrays (INSERT … SELECT
// FROM unnest(…)), so 512 batches cost what one does, give or take the
// bytes.

// WriteGroup stores a group of batches in one transaction. It first takes
// a transaction-scoped advisory lock on every session of the group, in the
// order of their lock keys so that two groups sharing sessions cannot
// deadlock: any other writer of those sessions, on any node, waits until
// this one commits. Then it reads their state, lets decide choose, and
// writes what it chose.
func (db *DB) WriteGroup(ctx context.Context, ids []playhead.BatchID, decide func(*playhead.GroupState) (*playhead.GroupWrite, error)) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("write group: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	state, err := readGroup(ctx, tx, ids)
	if err != nil {
		return fmt.Errorf("write group: %w", err)
	}
	w, err := decide(state)
	if err != nil || w == nil {
		return err
	}
	if err := writeGroup(ctx, tx, w); err != nil {
		return fmt.Errorf("write group: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("write group: commit: %w", err)
	}
	return nil
}

// sessionLockKey is the advisory lock key of a session: a 64-bit FNV-1a hash
// of its project and ID. Two sessions that share a key only wait for each
// other.
func sessionLockKey(projectID int64, sessionID string) int64 {
	h := fnv.New64a()
	var p [8]byte
	binary.BigEndian.PutUint64(p[:], uint64(projectID))
	h.Write(p[:])
	h.Write([]byte(sessionID))
	return int64(h.Sum64())
}

// lockSessions queues, on b, the statement that locks refs' sessions for
// the rest of the transaction, in key order. unnest yields the array in
// order and the aggregate calls the lock function row by row, so the locks
// are taken in that order.
func lockSessions(b *pgx.Batch, refs []playhead.SessionRef) {
	keys := make([]int64, 0, len(refs))
	for _, r := range refs {
		keys = append(keys, sessionLockKey(r.ProjectID, text(r.SessionID)))
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	b.Queue(`SELECT count(pg_advisory_xact_lock(k)) FROM unnest($1::bigint[]) AS k`, keys)
}

// readGroup locks the sessions of ids and reads their state.
func readGroup(ctx context.Context, tx pgx.Tx, ids []playhead.BatchID) (*playhead.GroupState, error) {
	state := &playhead.GroupState{
		Stored:   map[playhead.BatchID]bool{},
		Sessions: map[playhead.SessionRef]*playhead.Session{},
		Keys:     map[playhead.SessionRef]*playhead.DataKey{},
		Carry:    map[playhead.SessionRef]*playhead.SessionCarry{},
	}
	if len(ids) == 0 {
		return state, nil
	}
	var refs []playhead.SessionRef
	seen := map[playhead.SessionRef]bool{}
	var bp, bq []int64
	var bs []string
	for _, id := range ids {
		if r := id.Session(); !seen[r] {
			seen[r] = true
			refs = append(refs, r)
		}
		bp, bs, bq = append(bp, id.ProjectID), append(bs, text(id.SessionID)), append(bq, int64(id.Seq))
	}
	sp, ss := make([]int64, len(refs)), make([]string, len(refs))
	for i, r := range refs {
		sp[i], ss[i] = r.ProjectID, text(r.SessionID)
	}

	b := &pgx.Batch{}
	lockSessions(b, refs)
	b.Queue(`SELECT b.project_id, b.session_id, b.seq
		FROM unnest($1::bigint[], $2::text[], $3::bigint[]) AS k(p, s, q)
		JOIN batches b ON b.project_id = k.p AND b.session_id = k.s AND b.seq = k.q`, bp, bs, bq).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var id playhead.BatchID
				if err := rows.Scan(&id.ProjectID, &id.SessionID, &id.Seq); err != nil {
					return err
				}
				state.Stored[id] = true
			}
			return rows.Err()
		})
	b.Queue(`SELECT `+summaryColumns+` FROM unnest($1::bigint[], $2::text[]) AS k(p, s)
		JOIN sessions s ON s.project_id = k.p AND s.id = k.s`, sp, ss).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				s, err := scanSummary(rows)
				if err != nil {
					return err
				}
				state.Sessions[playhead.SessionRef{ProjectID: s.ProjectID, SessionID: s.ID}] = s
			}
			return rows.Err()
		})
	b.Queue(`SELECT t.project_id, t.session_id, t.master_key_id, t.wrapped FROM unnest($1::bigint[], $2::text[]) AS k(p, s)
		JOIN session_keys t ON t.project_id = k.p AND t.session_id = k.s`, sp, ss).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				k := &playhead.DataKey{}
				if err := rows.Scan(&k.ProjectID, &k.SessionID, &k.MasterKeyID, &k.Wrapped); err != nil {
					return err
				}
				state.Keys[playhead.SessionRef{ProjectID: k.ProjectID, SessionID: k.SessionID}] = k
			}
			return rows.Err()
		})
	b.Queue(`SELECT t.project_id, t.session_id, t.search, t.signals, t.nodes FROM unnest($1::bigint[], $2::text[]) AS k(p, s)
		JOIN session_carry t ON t.project_id = k.p AND t.session_id = k.s`, sp, ss).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				c := &playhead.SessionCarry{}
				if err := rows.Scan(&c.ProjectID, &c.SessionID, &c.Search, &c.Signals, &c.Nodes); err != nil {
					return err
				}
				state.Carry[playhead.SessionRef{ProjectID: c.ProjectID, SessionID: c.SessionID}] = c
			}
			return rows.Err()
		})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("read group state: %w", err)
	}
	return state, nil
}

// writeGroup queues one statement per table w changes and sends them all
// at once.
func writeGroup(ctx context.Context, tx pgx.Tx, w *playhead.GroupWrite) error {
	now := w.Now.UnixMilli()
	b := &pgx.Batch{}

	if len(w.Keys) > 0 {
		var c struct {
			p       []int64
			s, m    []string
			wrapped [][]byte
		}
		for _, k := range w.Keys {
			c.p, c.s, c.m, c.wrapped = append(c.p, k.ProjectID), append(c.s, text(k.SessionID)), append(c.m, k.MasterKeyID), append(c.wrapped, k.Wrapped)
		}
		b.Queue(`INSERT INTO session_keys (project_id, session_id, master_key_id, wrapped)
			SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bytea[])`, c.p, c.s, c.m, c.wrapped)
	}

	if len(w.Sessions) > 0 {
		// One row per session (the last summary given wins), since one
		// statement cannot update a row twice.
		latest := map[playhead.SessionRef]*playhead.Session{}
		var order []playhead.SessionRef
		for _, s := range w.Sessions {
			r := playhead.SessionRef{ProjectID: s.ProjectID, SessionID: s.ID}
			if latest[r] == nil {
				order = append(order, r)
			}
			latest[r] = s
		}
		var c struct {
			p, started, ended, bytes                                []int64
			id, ua, ip, user, browser, os, device                   []string
			clicks, errors, consoleErrors, failed, events, nbatches []int64
			rage, dead, errorClicks, imported, active               []int64
			release                                                 []string
		}
		for _, r := range order {
			s := latest[r]
			c.p, c.id = append(c.p, s.ProjectID), append(c.id, text(s.ID))
			c.started, c.ended, c.bytes = append(c.started, s.StartedAt), append(c.ended, s.EndedAt), append(c.bytes, s.Bytes)
			c.ua, c.ip, c.user = append(c.ua, text(s.UserAgent)), append(c.ip, text(s.ClientIP)), append(c.user, text(s.UserHash))
			c.clicks, c.errors, c.consoleErrors = append(c.clicks, int64(s.Clicks)), append(c.errors, int64(s.Errors)), append(c.consoleErrors, int64(s.ConsoleErrors))
			c.failed, c.events, c.nbatches = append(c.failed, int64(s.FailedRequests)), append(c.events, int64(s.Events)), append(c.nbatches, int64(s.Batches))
			c.browser, c.os, c.device = append(c.browser, text(s.Browser)), append(c.os, text(s.OS)), append(c.device, text(s.Device))
			c.rage, c.dead, c.errorClicks = append(c.rage, int64(s.RageClicks)), append(c.dead, int64(s.DeadClicks)), append(c.errorClicks, int64(s.ErrorClicks))
			c.release, c.imported, c.active = append(c.release, text(s.Release)), append(c.imported, s.ImportedAt), append(c.active, s.ActiveMs)
		}
		b.Queue(`INSERT INTO sessions (project_id, id, started_at, ended_at, user_agent, client_ip, user_hash,
				clicks, errors, console_errors, failed_requests, events, bytes, batches,
				browser, os, device, rage_clicks, dead_clicks, error_clicks, app_release, imported_at, active_ms)
			SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[],
				$8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[], $14::bigint[],
				$15::text[], $16::text[], $17::text[], $18::bigint[], $19::bigint[], $20::bigint[], $21::text[], $22::bigint[], $23::bigint[])
			ON CONFLICT (project_id, id) DO UPDATE SET
				started_at = excluded.started_at, ended_at = excluded.ended_at,
				user_agent = excluded.user_agent, client_ip = excluded.client_ip, user_hash = excluded.user_hash,
				clicks = excluded.clicks, errors = excluded.errors, console_errors = excluded.console_errors,
				failed_requests = excluded.failed_requests, events = excluded.events,
				bytes = excluded.bytes, batches = excluded.batches,
				browser = excluded.browser, os = excluded.os, device = excluded.device,
				rage_clicks = excluded.rage_clicks, dead_clicks = excluded.dead_clicks, error_clicks = excluded.error_clicks,
				app_release = excluded.app_release, imported_at = excluded.imported_at, active_ms = excluded.active_ms`,
			c.p, c.id, c.started, c.ended, c.ua, c.ip, c.user,
			c.clicks, c.errors, c.consoleErrors, c.failed, c.events, c.bytes, c.nbatches,
			c.browser, c.os, c.device, c.rage, c.dead, c.errorClicks, c.release, c.imported, c.active)
	}

	if len(w.Carry) > 0 {
		var p []int64
		var s []string
		var search, signals, nodes [][]byte
		for _, c := range w.Carry {
			p, s = append(p, c.ProjectID), append(s, text(c.SessionID))
			search, signals, nodes = append(search, c.Search), append(signals, c.Signals), append(nodes, c.Nodes)
		}
		b.Queue(`INSERT INTO session_carry (project_id, session_id, search, signals, nodes)
			SELECT * FROM unnest($1::bigint[], $2::text[], $3::bytea[], $4::bytea[], $5::bytea[])
			ON CONFLICT (project_id, session_id) DO UPDATE SET search = coalesce(excluded.search, session_carry.search),
				signals = coalesce(excluded.signals, session_carry.signals), nodes = coalesce(excluded.nodes, session_carry.nodes)`,
			p, s, search, signals, nodes)
	}
	if len(w.Batches) > 0 {
		queueBatches(b, w.Batches, now)
	}
	queueDeliveries(b, w.Events, now)
	return tx.SendBatch(ctx, b).Close()
}

// queueBatches queues the statements that store batches and what comes
// with them: timeline entries, reports, pages, scrub counts and asset URLs.
func queueBatches(b *pgx.Batch, batches []*playhead.IndexedBatch, now int64) {
	var bc struct {
		p, seq, first, last, events, bytes []int64
		s                                  []string
		keyframe                           []*int64
		data                               [][]byte
	}
	var tc struct {
		p, ts                 []int64
		s, kind, level, label []string
		detail                []*string
	}
	var rc struct {
		p, ts         []int64
		s, text, page []string
		contact       [][]byte
	}
	type pageKey struct {
		s   playhead.SessionRef
		url string
	}
	pageTs := map[pageKey]int64{}
	var pages []pageKey
	type scrubKey struct {
		project int64
		kind    string
	}
	scrubbed := map[scrubKey]int64{}
	var kinds []scrubKey
	type assetKey struct {
		project int64
		url     string
	}
	seenAsset := map[assetKey]bool{}
	var assets []assetKey
	type searchKey struct {
		s   playhead.SessionRef
		key int64
	}
	seenSearch := map[searchKey]bool{}
	var sc struct {
		p, key          []int64
		s, field, value []string
	}

	for _, x := range batches {
		sid, r := text(x.SessionID), x.Ref
		bc.p, bc.s, bc.seq = append(bc.p, x.ProjectID), append(bc.s, sid), append(bc.seq, int64(r.Seq))
		bc.first, bc.last, bc.keyframe = append(bc.first, r.FirstTs), append(bc.last, r.LastTs), append(bc.keyframe, r.KeyframeTs)
		bc.events, bc.bytes, bc.data = append(bc.events, int64(r.Events)), append(bc.bytes, int64(r.Bytes)), append(bc.data, x.Data)
		for _, e := range x.Timeline {
			var detail *string
			if len(e.Detail) > 0 {
				d := text(string(e.Detail))
				detail = &d
			}
			tc.p, tc.s, tc.ts = append(tc.p, x.ProjectID), append(tc.s, sid), append(tc.ts, e.Ts)
			tc.kind, tc.level, tc.label, tc.detail = append(tc.kind, text(e.Kind)), append(tc.level, text(e.Level)), append(tc.label, text(e.Label)), append(tc.detail, detail)
		}
		for _, rep := range x.Reports {
			rc.p, rc.s, rc.ts = append(rc.p, x.ProjectID), append(rc.s, sid), append(rc.ts, rep.Ts)
			rc.text, rc.contact, rc.page = append(rc.text, text(rep.Text)), append(rc.contact, rep.ContactSealed), append(rc.page, text(rep.PageURL))
		}
		// A page keeps the earliest time it was seen; the i-th page of a
		// batch counts as seen at its first timestamp plus i, which keeps
		// a batch's pages in their order.
		for i, u := range x.Pages {
			k := pageKey{playhead.SessionRef{ProjectID: x.ProjectID, SessionID: sid}, text(u)}
			ts := r.FirstTs + int64(i)
			if old, ok := pageTs[k]; !ok {
				pages = append(pages, k)
				pageTs[k] = ts
			} else if ts < old {
				pageTs[k] = ts
			}
		}
		for kind, n := range x.Scrubbed {
			k := scrubKey{x.ProjectID, text(kind)}
			if _, ok := scrubbed[k]; !ok {
				kinds = append(kinds, k)
			}
			scrubbed[k] += int64(n)
		}
		for _, t := range x.Search {
			t = playhead.SearchText{Field: text(t.Field), Value: text(t.Value)}
			if k := (searchKey{playhead.SessionRef{ProjectID: x.ProjectID, SessionID: sid}, t.Key()}); !seenSearch[k] {
				seenSearch[k] = true
				sc.p, sc.s, sc.field, sc.value = append(sc.p, x.ProjectID), append(sc.s, sid), append(sc.field, t.Field), append(sc.value, t.Value)
				sc.key = append(sc.key, k.key)
			}
		}
		for _, u := range x.AssetURLs {
			if k := (assetKey{x.ProjectID, text(u)}); !seenAsset[k] {
				seenAsset[k] = true
				assets = append(assets, k)
			}
		}
	}

	b.Queue(`INSERT INTO batches (project_id, session_id, seq, first_ts, last_ts, keyframe_ts, events, bytes, received_at, data)
		SELECT p, s, q, f, l, k, e, n, $9, d
		FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $10::bytea[])
			AS u(p, s, q, f, l, k, e, n, d)`,
		bc.p, bc.s, bc.seq, bc.first, bc.last, bc.keyframe, bc.events, bc.bytes, now, bc.data)
	if len(tc.p) > 0 {
		// WITH ORDINALITY keeps the entries' order in their ids.
		b.Queue(`INSERT INTO timeline (project_id, session_id, ts, kind, level, label, detail)
			SELECT p, s, t, k, l, b, d FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[])
				WITH ORDINALITY AS u(p, s, t, k, l, b, d, n) ORDER BY n`,
			tc.p, tc.s, tc.ts, tc.kind, tc.level, tc.label, tc.detail)
	}
	if len(rc.p) > 0 {
		b.Queue(`INSERT INTO reports (project_id, session_id, ts, text, contact_sealed, page_url)
			SELECT p, s, t, x, c, u FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::bytea[], $6::text[])
				WITH ORDINALITY AS r(p, s, t, x, c, u, n) ORDER BY n`,
			rc.p, rc.s, rc.ts, rc.text, rc.contact, rc.page)
	}
	if len(pages) > 0 {
		var p, ts []int64
		var s, u []string
		for _, k := range pages {
			p, s, u, ts = append(p, k.s.ProjectID), append(s, k.s.SessionID), append(u, k.url), append(ts, pageTs[k])
		}
		b.Queue(`INSERT INTO session_pages (project_id, session_id, url, first_ts)
			SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[])
			ON CONFLICT (project_id, session_id, url) DO UPDATE SET first_ts = least(session_pages.first_ts, excluded.first_ts)`,
			p, s, u, ts)
	}
	if len(sc.p) > 0 {
		b.Queue(`INSERT INTO session_search (project_id, session_id, field, value, key)
			SELECT p, s, f, v, k FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[]) WITH ORDINALITY AS u(p, s, f, v, k, n) ORDER BY n
			ON CONFLICT (project_id, session_id, key) DO NOTHING`, sc.p, sc.s, sc.field, sc.value, sc.key)
	}
	if len(kinds) > 0 {
		var p, n []int64
		var kind []string
		for _, k := range kinds {
			p, kind, n = append(p, k.project), append(kind, k.kind), append(n, scrubbed[k])
		}
		b.Queue(`INSERT INTO scrub_counts (project_id, kind, count) SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[])
			ON CONFLICT (project_id, kind) DO UPDATE SET count = scrub_counts.count + excluded.count`, p, kind, n)
	}
	if len(assets) > 0 {
		var p []int64
		var u []string
		for _, k := range assets {
			p, u = append(p, k.project), append(u, k.url)
		}
		queueAssets(b, p, u, now)
	}
}

// queueAssets queues the statement that adds asset URLs (of projects p)
// for capture, unless known already.
func queueAssets(b *pgx.Batch, p []int64, urls []string, now int64) {
	b.Queue(`INSERT INTO assets (project_id, url, status, next_attempt_at)
		SELECT p, u, 'pending', $3 FROM unnest($1::bigint[], $2::text[]) WITH ORDINALITY AS a(p, u, n) ORDER BY n
		ON CONFLICT (project_id, url) DO NOTHING`, p, urls, now)
}

// queueDeliveries queues one pending delivery of each event to each webhook
// of its project.
func queueDeliveries(b *pgx.Batch, events []playhead.WebhookEvent, now int64) {
	if len(events) == 0 {
		return
	}
	var p, ts []int64
	var event, s, msg, page []string
	for _, e := range events {
		p, event, s, ts = append(p, e.ProjectID), append(event, text(e.Event)), append(s, text(e.SessionID)), append(ts, e.Ts)
		msg, page = append(msg, text(e.Message)), append(page, text(e.PageURL))
	}
	b.Queue(`INSERT INTO webhook_deliveries (webhook_id, event, session_id, ts, message, page_url, status, next_attempt_at, created_at)
		SELECT w.id, e.event, e.s, e.ts, e.msg, e.page, 'pending', $7, $7
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[]) WITH ORDINALITY AS e(p, event, s, ts, msg, page, n)
		JOIN webhooks w ON w.project_id = e.p
		ORDER BY e.n, w.id`, p, event, s, ts, msg, page, now)
}
