package ingest

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/playhead/playhead"
)

// AddBatches stores a group of batches through idx in one durable
// transaction and says what became of each: added, a duplicate of a stored
// (session, seq), or refused alone (a session limit, a data key that is not
// the session's). The error is for the whole group: storage failed.
//
// The rules live here, above the adapters, so that every index applies them
// alike; the index only reads the group's state and writes what was decided.
func AddBatches(ctx context.Context, idx playhead.SessionIndex, batches []*playhead.IndexedBatch, lim playhead.SessionLimits, now time.Time) ([]playhead.AddResult, error) {
	ids := make([]playhead.BatchID, len(batches))
	for i, b := range batches {
		ids[i] = playhead.BatchID{ProjectID: b.ProjectID, SessionID: b.SessionID, Seq: b.Ref.Seq}
	}
	var results []playhead.AddResult
	err := idx.WriteGroup(ctx, ids, func(st *playhead.GroupState) (*playhead.GroupWrite, error) {
		var w *playhead.GroupWrite
		w, results = decideGroup(batches, st, lim, now)
		return w, nil
	})
	if err != nil {
		return nil, fmt.Errorf("index batches: %w", err)
	}
	return results, nil
}

// decideGroup applies the rules of ingestion to a group, in arrival order:
// a batch stored before (or earlier in the group) is a duplicate; one
// encrypted with a data key other than its session's stored one is refused
// as unavailable (another node stored its session's first batch with its own
// key; the SDK retries and the key is looked up again); one that would take
// its session past lim is refused alone. The frustration signals of each
// accepted batch are decided with what its session's earlier batches left
// (GroupState.Carry), and only search values the session lacks are kept.
// The sessions' new summaries and carried state, their first errors and the
// group's reports become the write.
func decideGroup(batches []*playhead.IndexedBatch, st *playhead.GroupState, lim playhead.SessionLimits, now time.Time) (*playhead.GroupWrite, []playhead.AddResult) {
	results := make([]playhead.AddResult, len(batches))
	w := &playhead.GroupWrite{Now: now}
	seen := make(map[playhead.BatchID]bool, len(batches))
	sessions := map[playhead.SessionRef]*playhead.Session{}
	keys := map[playhead.SessionRef]*playhead.DataKey{}
	carries := map[playhead.SessionRef]*carried{}
	var order []playhead.SessionRef
	for i, b := range batches {
		id := playhead.BatchID{ProjectID: b.ProjectID, SessionID: b.SessionID, Seq: b.Ref.Seq}
		if seen[id] || st.Stored[id] {
			results[i].Duplicate = true
			continue
		}
		seen[id] = true
		ref := id.Session()
		if b.Key != nil {
			stored := st.Keys[ref]
			if stored == nil {
				stored = keys[ref]
			}
			if stored == nil {
				keys[ref] = b.Key
				w.Keys = append(w.Keys, b.Key)
			} else if !bytes.Equal(stored.Wrapped, b.Key.Wrapped) {
				results[i].Err = fmt.Errorf("%w: %w", playhead.Errorf(playhead.EUNAVAILABLE, "session %s: storage changed under the batch; retry", b.SessionID), playhead.ErrKeyConflict)
				continue
			}
		}
		s := sessions[ref]
		if s == nil {
			if old := st.Sessions[ref]; old != nil {
				c := *old
				s = &c
			}
		}
		started, ended := b.Ref.FirstTs, b.Ref.LastTs
		var bytesBefore int64
		if s != nil {
			started, ended, bytesBefore = min(started, s.StartedAt), max(ended, s.EndedAt), s.Bytes
		}
		if lim.MaxDuration > 0 && time.Duration(ended-started)*time.Millisecond > lim.MaxDuration {
			results[i].Err = playhead.Errorf(playhead.ETOOLARGE, "session %s would last longer than the limit of %s", b.SessionID, lim.MaxDuration)
			continue
		}
		if lim.MaxBytes > 0 && bytesBefore+int64(b.Ref.Bytes) > lim.MaxBytes {
			results[i].Err = playhead.Errorf(playhead.ETOOLARGE, "session %s would hold more than the limit of %d stored bytes", b.SessionID, lim.MaxBytes)
			continue
		}
		if s == nil {
			s = &playhead.Session{ProjectID: b.ProjectID, ID: b.SessionID}
		}
		if sessions[ref] == nil {
			sessions[ref] = s
			carries[ref] = newCarried(ref, st.Carry[ref])
			order = append(order, ref)
		}
		// Frustration signals may span batches: what the session's earlier
		// batches left undecided is decided with this one.
		b, found := carries[ref].add(b)
		// The running summary counts the group's earlier batches too.
		hadErrors := s.Errors > 0
		s.StartedAt, s.EndedAt, s.Bytes = started, ended, bytesBefore+int64(b.Ref.Bytes)
		if s.UserAgent == "" && b.UserAgent != "" {
			s.UserAgent = b.UserAgent
			s.Browser, s.OS, s.Device = parseUserAgent(b.UserAgent)
		}
		if s.ClientIP == "" {
			s.ClientIP = b.ClientIP
		}
		if b.UserHash != "" {
			s.UserHash = b.UserHash
		}
		if b.Release != "" {
			s.Release = b.Release
		}
		if b.ImportedAt != 0 {
			s.ImportedAt = b.ImportedAt
		}
		s.Clicks += b.Clicks
		s.Errors += b.Errors
		s.ConsoleErrors += b.ConsoleErrors
		s.FailedRequests += b.FailedRequests
		s.RageClicks += b.RageClicks + found.rage
		s.DeadClicks += b.DeadClicks + found.dead
		s.ErrorClicks += b.ErrorClicks + found.errorClicks
		s.ActiveMs += b.ActiveMs
		s.Events += b.Ref.Events
		s.Batches++
		w.Batches = append(w.Batches, b)
		w.Events = append(w.Events, webhookEvents(b, !hadErrors)...)
	}
	for _, ref := range order {
		w.Sessions = append(w.Sessions, sessions[ref])
		if c := carries[ref].write(); c != nil {
			w.Carry = append(w.Carry, c)
		}
	}
	return w, results
}

// webhookEvents returns what a stored batch tells a project's webhooks: each
// of its reports and, when firstError and the batch has an error, the
// session's first error.
func webhookEvents(b *playhead.IndexedBatch, firstError bool) []playhead.WebhookEvent {
	var out []playhead.WebhookEvent
	for _, r := range b.Reports {
		out = append(out, playhead.WebhookEvent{ProjectID: b.ProjectID, Event: playhead.EventReport,
			SessionID: b.SessionID, Ts: r.Ts, Message: r.Text, PageURL: r.PageURL})
	}
	if !firstError || b.Errors == 0 {
		return out
	}
	page := ""
	if len(b.Pages) > 0 {
		page = b.Pages[len(b.Pages)-1]
	}
	for _, e := range b.Timeline {
		if e.Kind == playhead.KindError {
			return append(out, playhead.WebhookEvent{ProjectID: b.ProjectID, Event: playhead.EventFirstError,
				SessionID: b.SessionID, Ts: e.Ts, Message: e.Label, PageURL: page})
		}
	}
	return out
}
