// Package indextest is the test suite every Playhead index (SQLite,
// PostgreSQL) must pass. Batches are stored through ingest.AddBatches, so
// the rules of ingestion are proven on every index too.
package indextest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/ingest"
)

// Index is what the suite needs of an implementation: all of it.
type Index = playhead.Index

// Run runs the suite; newIndex returns a fresh, empty index for each subtest.
func Run(t *testing.T, newIndex func(t *testing.T) Index) {
	ctx := context.Background()

	project := func(t *testing.T, db Index) *playhead.Project {
		t.Helper()
		p := &playhead.Project{Name: "Shop", IngestKey: "phk_test_" + t.Name()}
		if err := db.CreateProject(ctx, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	kf := func(v int64) *int64 { return &v }
	now := time.UnixMilli(1_800_000_000_000)
	add := func(t *testing.T, db Index, batches ...*playhead.IndexedBatch) []playhead.AddResult {
		t.Helper()
		res, err := ingest.AddBatches(ctx, db, batches, playhead.SessionLimits{}, now)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	t.Run("AddBatchIsIdempotent", func(t *testing.T) {
		db := newIndex(t)
		p := project(t, db)
		b := &playhead.IndexedBatch{
			ProjectID: p.ID, SessionID: "s1", UserAgent: "UA",
			Ref:    playhead.BatchRef{Seq: 0, FirstTs: 1000, LastTs: 2000, KeyframeTs: kf(1000), Events: 10, Bytes: 100},
			Pages:  []string{"http://a/"},
			Clicks: 2, Errors: 1,
			Timeline: []playhead.TimelineEntry{{Ts: 1500, Kind: playhead.KindError, Label: "boom", Detail: []byte(`{"message":"boom"}`)}},
		}
		for i, want := range []bool{false, true} {
			if res := add(t, db, b); res[0].Duplicate != want {
				t.Fatalf("AddBatches #%d duplicate = %v, want %v", i+1, res[0].Duplicate, want)
			}
		}
		// A duplicate inside one group is stored once too.
		b2 := *b
		b2.Ref.Seq = 1
		if res := add(t, db, &b2, &b2); res[0].Duplicate || !res[1].Duplicate {
			t.Fatalf("same batch twice in a group: %+v", res)
		}
		s, err := db.Session(ctx, p.ID, "s1")
		if err != nil {
			t.Fatal(err)
		}
		if s.Batches != 2 || s.Clicks != 4 || s.Errors != 2 || s.Events != 20 {
			t.Fatalf("session after duplicate batch = %+v, want it counted once", s)
		}
		tl, err := db.Timeline(ctx, p.ID, "s1")
		if err != nil || len(tl) != 2 {
			t.Fatalf("Timeline = %v, %v; want two entries", tl, err)
		}
	})

	t.Run("SessionAggregatesOutOfOrderBatches", func(t *testing.T) {
		db := newIndex(t)
		p := project(t, db)
		for _, b := range []*playhead.IndexedBatch{
			{Ref: playhead.BatchRef{Seq: 2, FirstTs: 3000, LastTs: 4000, Events: 3}, Pages: []string{"http://a/checkout"}, FailedRequests: 1},
			{Ref: playhead.BatchRef{Seq: 0, FirstTs: 1000, LastTs: 1500, KeyframeTs: kf(1000), Events: 5}, Pages: []string{"http://a/"}, UserAgent: "Chrome", ConsoleErrors: 2},
			{Ref: playhead.BatchRef{Seq: 1, FirstTs: 1500, LastTs: 3000, Events: 4}, Pages: []string{"http://a/"}},
		} {
			b.ProjectID, b.SessionID = p.ID, "s1"
			add(t, db, b)
		}
		s, err := db.Session(ctx, p.ID, "s1")
		if err != nil {
			t.Fatal(err)
		}
		if s.StartedAt != 1000 || s.EndedAt != 4000 || s.DurationMs != 3000 || s.Events != 12 || s.Batches != 3 {
			t.Errorf("session times/counts = %+v", s)
		}
		if s.UserAgent != "Chrome" || s.ConsoleErrors != 2 || s.FailedRequests != 1 {
			t.Errorf("session facts = %+v", s)
		}
		if len(s.Pages) != 2 || s.Pages[0] != "http://a/" || s.Pages[1] != "http://a/checkout" || s.FirstURL != "http://a/" {
			t.Errorf("pages = %v (first %q), want [http://a/ http://a/checkout]", s.Pages, s.FirstURL)
		}
		refs, err := db.Batches(ctx, p.ID, "s1")
		if err != nil {
			t.Fatal(err)
		}
		if len(refs) != 3 || refs[0].Seq != 0 || refs[2].Seq != 2 || refs[0].KeyframeTs == nil || *refs[0].KeyframeTs != 1000 || refs[1].KeyframeTs != nil {
			t.Errorf("Batches = %+v", refs)
		}
		for _, c := range []struct{ from, to, want int }{{1, 2, 2}, {1, 1, 1}, {2, math.MaxInt, 1}, {math.MinInt, 0, 1}, {0, math.MaxInt, 3}, {3, 9, 0}, {2, 1, 0}} {
			got, err := db.BatchRange(ctx, p.ID, "s1", c.from, c.to)
			if err != nil {
				t.Fatalf("BatchRange(%d, %d): %v", c.from, c.to, err)
			}
			if len(got) != c.want {
				t.Errorf("BatchRange(%d, %d) = %d batches, want %d", c.from, c.to, len(got), c.want)
				continue
			}
			same := func(a, b playhead.BatchRef) bool {
				ka, kb := a.KeyframeTs, b.KeyframeTs
				a.KeyframeTs, b.KeyframeTs = nil, nil
				return a == b && (ka == nil) == (kb == nil) && (ka == nil || *ka == *kb)
			}
			if c.want > 0 && !slices.EqualFunc(got, refs[got[0].Seq:got[0].Seq+c.want], same) {
				t.Errorf("BatchRange(%d, %d) = %+v, want the same as Batches' %+v", c.from, c.to, got, refs)
			}
		}
		if got, err := db.BatchRange(ctx, p.ID, "nosuchsession", 0, math.MaxInt); err != nil || len(got) != 0 {
			t.Errorf("BatchRange of an unknown session = %v, %v; want none", got, err)
		}
	})

	t.Run("SessionsNewestFirstWithCursor", func(t *testing.T) {
		db := newIndex(t)
		p := project(t, db)
		other := &playhead.Project{Name: "Other", IngestKey: "phk_other_" + t.Name()}
		if err := db.CreateProject(ctx, other); err != nil {
			t.Fatal(err)
		}
		for i, id := range []string{"a", "b", "c", "d", "e"} {
			b := &playhead.IndexedBatch{ProjectID: p.ID, SessionID: id, Ref: playhead.BatchRef{FirstTs: int64(1000 * i), LastTs: int64(1000*i + 1), Events: 1}}
			add(t, db, b)
		}
		add(t, db, &playhead.IndexedBatch{ProjectID: other.ID, SessionID: "x", Ref: playhead.BatchRef{FirstTs: 9999, LastTs: 9999}})
		var got []string
		cursor := ""
		for range 5 {
			list, next, err := db.Sessions(ctx, playhead.SessionFilter{ProjectID: p.ID, Limit: 2, Before: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range list {
				got = append(got, s.ID)
			}
			if next == "" {
				break
			}
			cursor = next
		}
		if want := "edcba"; joined(got) != want {
			t.Fatalf("sessions in order = %q, want %q", joined(got), want)
		}
		if _, _, err := db.Sessions(ctx, playhead.SessionFilter{ProjectID: p.ID, Before: "garbage"}); playhead.ErrorCode(err) != playhead.EINVALID {
			t.Fatalf("bad cursor: err = %v, want EINVALID", err)
		}
	})

	t.Run("SessionNotFound", func(t *testing.T) {
		db := newIndex(t)
		p := project(t, db)
		_, err := db.Session(ctx, p.ID, "nope")
		if playhead.ErrorCode(err) != playhead.ENOTFOUND {
			t.Fatalf("err = %v, want ENOTFOUND", err)
		}
	})

	t.Run("SessionLimitsRefuseOneBatchOfAGroup", func(t *testing.T) {
		db := newIndex(t)
		p := project(t, db)
		lim := playhead.SessionLimits{MaxDuration: time.Hour, MaxBytes: 1000}
		ok := &playhead.IndexedBatch{ProjectID: p.ID, SessionID: "s1", Ref: playhead.BatchRef{Seq: 0, FirstTs: 0, LastTs: 1000, Events: 1, Bytes: 100}}
		long := &playhead.IndexedBatch{ProjectID: p.ID, SessionID: "s1", Ref: playhead.BatchRef{Seq: 1, FirstTs: 1000, LastTs: 2 * 3600_000, Events: 1, Bytes: 100}}
		big := &playhead.IndexedBatch{ProjectID: p.ID, SessionID: "s1", Ref: playhead.BatchRef{Seq: 2, FirstTs: 2000, LastTs: 3000, Events: 1, Bytes: 950}}
		other := &playhead.IndexedBatch{ProjectID: p.ID, SessionID: "s2", Ref: playhead.BatchRef{Seq: 0, FirstTs: 0, LastTs: 1, Events: 1, Bytes: 10}}
		res, err := ingest.AddBatches(ctx, db, []*playhead.IndexedBatch{ok, long, big, other}, lim, now)
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Err != nil || res[3].Err != nil {
			t.Fatalf("batches within the limits refused: %+v", res)
		}
		for i, want := range map[int]string{1: "longer than the limit of 1h0m0s", 2: "more than the limit of 1000 stored bytes"} {
			if playhead.ErrorCode(res[i].Err) != playhead.ETOOLARGE || !strings.Contains(res[i].Err.Error(), want) {
				t.Errorf("batch %d: err = %v, want ETOOLARGE %q", i, res[i].Err, want)
			}
		}
		s, _ := db.Session(ctx, p.ID, "s1")
		if s.Batches != 1 || s.Bytes != 100 || s.EndedAt != 1000 {
			t.Errorf("refused batches changed the session: %+v", s)
		}
		if refs, _ := db.Batches(ctx, p.ID, "s1"); len(refs) != 1 {
			t.Errorf("refused batches stored: %+v", refs)
		}
	})

	t.Run("WriteGroupReadsStateAndWritesOnlyWhatIsDecided", func(t *testing.T) {
		db := newIndex(t)
		p := project(t, db)
		key := &playhead.DataKey{ProjectID: p.ID, SessionID: "s1", MasterKeyID: "m1", Wrapped: []byte("wrapped-1")}
		add(t, db, &playhead.IndexedBatch{ProjectID: p.ID, SessionID: "s1", Key: key, UserAgent: "UA", ClientIP: "192.0.2.0", UserHash: "hash-1",
			Ref: playhead.BatchRef{Seq: 0, FirstTs: 1000, LastTs: 2000, Events: 3, Bytes: 10}, Clicks: 1, Errors: 2, ConsoleErrors: 3, FailedRequests: 4})
		ids := []playhead.BatchID{{ProjectID: p.ID, SessionID: "s1", Seq: 0}, {ProjectID: p.ID, SessionID: "s1", Seq: 1}, {ProjectID: p.ID, SessionID: "new", Seq: 0}}
		var st *playhead.GroupState
		errDecided := errors.New("decided against")
		err := db.WriteGroup(ctx, ids, func(s *playhead.GroupState) (*playhead.GroupWrite, error) {
			st = s
			return &playhead.GroupWrite{Now: now, Sessions: []*playhead.Session{{ProjectID: p.ID, ID: "ghost"}}}, errDecided
		})
		if !errors.Is(err, errDecided) {
			t.Fatalf("WriteGroup = %v, want decide's error", err)
		}
		if !st.Stored[ids[0]] || st.Stored[ids[1]] || st.Stored[ids[2]] {
			t.Errorf("Stored = %v, want only %v", st.Stored, ids[0])
		}
		s := st.Sessions[playhead.SessionRef{ProjectID: p.ID, SessionID: "s1"}]
		if s == nil || s.StartedAt != 1000 || s.EndedAt != 2000 || s.UserAgent != "UA" || s.ClientIP != "192.0.2.0" || s.UserHash != "hash-1" ||
			s.Clicks != 1 || s.Errors != 2 || s.ConsoleErrors != 3 || s.FailedRequests != 4 || s.Events != 3 || s.Bytes != 10 || s.Batches != 1 {
			t.Errorf("stored session = %+v", s)
		}
		if st.Sessions[playhead.SessionRef{ProjectID: p.ID, SessionID: "new"}] != nil {
			t.Errorf("a session never stored has a summary")
		}
		if k := st.Keys[playhead.SessionRef{ProjectID: p.ID, SessionID: "s1"}]; k == nil || k.MasterKeyID != "m1" || string(k.Wrapped) != "wrapped-1" {
			t.Errorf("stored key = %+v", k)
		}
		if _, err := db.Session(ctx, p.ID, "ghost"); playhead.ErrorCode(err) != playhead.ENOTFOUND {
			t.Errorf("a group decided against was written: %v", err)
		}
		if err := db.WriteGroup(ctx, ids, func(*playhead.GroupState) (*playhead.GroupWrite, error) { return nil, nil }); err != nil {
			t.Errorf("WriteGroup with nothing to write = %v", err)
		}
	})

	t.Run("KeyConflictRefusesTheBatch", func(t *testing.T) {
		db := newIndex(t)
		p := project(t, db)
		batch := func(seq int, wrapped string) *playhead.IndexedBatch {
			return &playhead.IndexedBatch{ProjectID: p.ID, SessionID: "s1", Ref: playhead.BatchRef{Seq: seq, FirstTs: 1, LastTs: 2},
				Key: &playhead.DataKey{ProjectID: p.ID, SessionID: "s1", MasterKeyID: "m", Wrapped: []byte(wrapped)}}
		}
		if res := add(t, db, batch(0, "a")); res[0].Err != nil {
			t.Fatal(res[0].Err)
		}
		res := add(t, db, batch(1, "b"), batch(2, "a"))
		if !errors.Is(res[0].Err, playhead.ErrKeyConflict) || playhead.ErrorCode(res[0].Err) != playhead.EUNAVAILABLE || res[1].Err != nil {
			t.Fatalf("results = %+v, want the batch with another key refused alone", res)
		}
		if k, err := db.SessionKey(ctx, p.ID, "s1"); err != nil || string(k.Wrapped) != "a" {
			t.Fatalf("stored key = %+v, %v; want the first one kept", k, err)
		}
	})

	t.Run("FirstErrorAndReportsQueueDeliveries", func(t *testing.T) {
		db := newIndex(t)
		p := project(t, db)
		hook := &playhead.Webhook{ProjectID: p.ID, URL: "https://hooks.example/x", Secret: "s"}
		if err := db.CreateWebhook(ctx, hook); err != nil {
			t.Fatal(err)
		}
		errBatch := func(seq int) *playhead.IndexedBatch {
			return &playhead.IndexedBatch{ProjectID: p.ID, SessionID: "s1", Ref: playhead.BatchRef{Seq: seq, FirstTs: int64(seq * 10), LastTs: int64(seq*10 + 5)},
				Errors: 1, Pages: []string{"http://a/p"},
				Timeline: []playhead.TimelineEntry{{Ts: int64(seq*10 + 1), Kind: playhead.KindError, Label: fmt.Sprintf("boom %d", seq)}}}
		}
		withReport := errBatch(2)
		withReport.Reports = []playhead.Report{{Ts: 21, Text: "it broke", PageURL: "http://a/p"}}
		add(t, db, errBatch(0), errBatch(1))
		add(t, db, withReport)
		got, err := db.Deliveries(ctx, p.ID, hook.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		var events []string
		for _, d := range got {
			events = append(events, d.Event+":"+d.Message)
		}
		slices.Sort(events)
		want := []string{playhead.EventReport + ":it broke", playhead.EventFirstError + ":boom 0"}
		if !slices.Equal(events, want) {
			t.Fatalf("deliveries = %q, want %q", events, want)
		}
		reports, err := db.Reports(ctx, p.ID, 10)
		if err != nil || len(reports) != 1 || reports[0].Text != "it broke" || reports[0].SessionID != "s1" {
			t.Fatalf("Reports = %+v, %v", reports, err)
		}
	})

	t.Run("ConcurrentGroupsOfOneSessionCountOnce", func(t *testing.T) {
		db := newIndex(t)
		p := project(t, db)
		const writers, perWriter = 4, 25
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perWriter {
					// Every writer sends every batch: each must be stored once.
					seq := (i + w*7) % perWriter
					b := &playhead.IndexedBatch{ProjectID: p.ID, SessionID: "s1", Clicks: 1,
						Ref: playhead.BatchRef{Seq: seq, FirstTs: int64(seq * 100), LastTs: int64(seq*100 + 50), Events: 2, Bytes: 10}}
					if _, err := ingest.AddBatches(ctx, db, []*playhead.IndexedBatch{b}, playhead.SessionLimits{}, now); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		s, err := db.Session(ctx, p.ID, "s1")
		if err != nil {
			t.Fatal(err)
		}
		if s.Batches != perWriter || s.Clicks != perWriter || s.Events != 2*perWriter || s.Bytes != 10*perWriter || s.StartedAt != 0 || s.EndedAt != (perWriter-1)*100+50 {
			t.Fatalf("session after concurrent writers = %+v, want every batch counted once", s)
		}
	})

	t.Run("JobsAreClaimedOnceAndRetakenAfterTheirLease", func(t *testing.T) {
		db := newIndex(t)
		p := project(t, db)
		jobs := []playhead.Job{
			{Kind: playhead.JobCompact, Key: "k1", ProjectID: p.ID, SessionID: "s1"},
			{Kind: playhead.JobCompact, Key: "k2", ProjectID: p.ID, SessionID: "s1"},
			{Kind: playhead.JobDeleteObject, Key: "k1", ProjectID: p.ID},
		}
		if err := db.AddJobs(ctx, jobs, now); err != nil {
			t.Fatal(err)
		}
		// Queued again: left as it is (not due later, not twice).
		if err := db.AddJobs(ctx, jobs[:1], now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got, err := db.ClaimJobs(ctx, playhead.JobCompact, now.Add(-time.Second), time.Minute, 10); err != nil || len(got) != 0 {
			t.Fatalf("ClaimJobs before they are due = %+v, %v", got, err)
		}
		first, err := db.ClaimJobs(ctx, playhead.JobCompact, now, time.Minute, 1)
		if err != nil || len(first) != 1 || first[0].ProjectID != p.ID || first[0].SessionID != "s1" {
			t.Fatalf("first claim = %+v, %v", first, err)
		}
		second, err := db.ClaimJobs(ctx, playhead.JobCompact, now, time.Minute, 10)
		if err != nil || len(second) != 1 || second[0].Key == first[0].Key {
			t.Fatalf("second claim = %+v, %v; want the other job alone", second, err)
		}
		if got, _ := db.ClaimJobs(ctx, playhead.JobCompact, now.Add(30*time.Second), time.Minute, 10); len(got) != 0 {
			t.Fatalf("claimed jobs handed out again within their lease: %+v", got)
		}
		// The first claimer fails and says when to retry; the second dies.
		failed := first[0]
		failed.Attempts, failed.LastError = 1, "object store down"
		if err := db.RetryJob(ctx, failed, now.Add(5*time.Minute)); err != nil {
			t.Fatal(err)
		}
		got, err := db.ClaimJobs(ctx, playhead.JobCompact, now.Add(2*time.Minute), time.Minute, 10)
		if err != nil || len(got) != 1 || got[0].Key != second[0].Key {
			t.Fatalf("claim after the lease = %+v, %v; want the dead claimer's job", got, err)
		}
		if err := db.FinishJob(ctx, got[0].Kind, got[0].Key); err != nil {
			t.Fatal(err)
		}
		got, err = db.ClaimJobs(ctx, playhead.JobCompact, now.Add(6*time.Minute), time.Minute, 10)
		if err != nil || len(got) != 1 || got[0].Key != failed.Key || got[0].Attempts != 1 || got[0].LastError != "object store down" {
			t.Fatalf("claim of the retried job = %+v, %v", got, err)
		}
		for _, j := range jobs {
			if err := db.FinishJob(ctx, j.Kind, j.Key); err != nil {
				t.Fatal(err)
			}
		}
		for _, kind := range []string{playhead.JobCompact, playhead.JobDeleteObject} {
			if got, _ := db.ClaimJobs(ctx, kind, now.Add(24*time.Hour), time.Minute, 10); len(got) != 0 {
				t.Fatalf("finished %s jobs still claimed: %+v", kind, got)
			}
		}
	})

	t.Run("LeasesHaveOneHolder", func(t *testing.T) {
		db := newIndex(t)
		take := func(holder string, at time.Time) bool {
			t.Helper()
			ok, err := db.AcquireLease(ctx, "seal/1/s1", holder, at, at.Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !take("a", now) || take("b", now.Add(30*time.Second)) || !take("a", now.Add(30*time.Second)) {
			t.Fatal("a lease went to a second holder while the first held it")
		}
		if take("b", now.Add(80*time.Second)) {
			t.Fatal("a renewed lease was taken before it ran out")
		}
		if !take("b", now.Add(91*time.Second)) {
			t.Fatal("a lease that ran out was not taken")
		}
		if err := db.ReleaseLease(ctx, "seal/1/s1", "a"); err != nil {
			t.Fatal(err)
		}
		if take("a", now.Add(92*time.Second)) {
			t.Fatal("a holder that lost the lease released the new holder's")
		}
		if err := db.ReleaseLease(ctx, "seal/1/s1", "b"); err != nil {
			t.Fatal(err)
		}
		if !take("a", now.Add(93*time.Second)) {
			t.Fatal("a released lease was not free")
		}
	})

	t.Run("DeleteSessionQueuesItsObjectsDeletion", func(t *testing.T) {
		db := newIndex(t)
		p := project(t, db)
		add(t, db, &playhead.IndexedBatch{ProjectID: p.ID, SessionID: "s1", Data: []byte{1}, Ref: playhead.BatchRef{Seq: 0, FirstTs: 1, LastTs: 2, Events: 1}},
			&playhead.IndexedBatch{ProjectID: p.ID, SessionID: "s1", Data: []byte{2}, Ref: playhead.BatchRef{Seq: 1, FirstTs: 2, LastTs: 3, Events: 1}})
		if err := db.MarkSealed(ctx, p.ID, "s1", "chunk-0", map[int]int{0: 0}); err != nil {
			t.Fatal(err)
		}
		if err := db.AddJobs(ctx, []playhead.Job{{Kind: playhead.JobCompact, Key: "chunk-0", ProjectID: p.ID, SessionID: "s1"}}, now); err != nil {
			t.Fatal(err)
		}
		keys, err := db.DeleteSession(ctx, p.ID, "s1", []string{"checkpoints-s1"})
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, []string{"checkpoints-s1", "chunk-0"}) {
			t.Fatalf("DeleteSession = %q", keys)
		}
		jobs, err := db.ClaimJobs(ctx, playhead.JobDeleteObject, time.Now().Add(time.Minute), time.Minute, 10)
		if err != nil {
			t.Fatal(err)
		}
		var queued []string
		for _, j := range jobs {
			queued = append(queued, j.Key)
		}
		slices.Sort(queued)
		if !slices.Equal(queued, keys) {
			t.Fatalf("deletions queued = %q, want %q", queued, keys)
		}
		if got, _ := db.ClaimJobs(ctx, playhead.JobCompact, time.Now().Add(time.Hour), time.Minute, 10); len(got) != 0 {
			t.Fatalf("an erased session's compaction is still queued: %+v", got)
		}
	})

	t.Run("KeyframesAreListedByTimeAndErasedWithTheSession", func(t *testing.T) {
		db := newIndex(t)
		p := project(t, db)
		add(t, db, &playhead.IndexedBatch{ProjectID: p.ID, SessionID: "s1", Data: []byte{1}, Ref: playhead.BatchRef{Seq: 0, FirstTs: 1, LastTs: 9, Events: 1}})
		if list, err := db.Keyframes(ctx, p.ID, "s1"); err != nil || list == nil || len(list) != 0 {
			t.Fatalf("Keyframes before any = %#v, %v; want an empty list", list, err)
		}
		refs := []playhead.KeyframeRef{{Ts: 9, ObjectKey: "chunk-0.kf", Position: 1}, {Ts: 5, ObjectKey: "chunk-0.kf", Position: 0}}
		if err := db.AddKeyframes(ctx, p.ID, "s1", refs); err != nil {
			t.Fatal(err)
		}
		// Again, as a second builder would: left as they are.
		if err := db.AddKeyframes(ctx, p.ID, "s1", []playhead.KeyframeRef{{Ts: 5, ObjectKey: "other.kf", Position: 7}, {Ts: 12, ObjectKey: "chunk-1.kf"}}); err != nil {
			t.Fatal(err)
		}
		list, err := db.Keyframes(ctx, p.ID, "s1")
		want := []playhead.KeyframeRef{{Ts: 5, ObjectKey: "chunk-0.kf"}, {Ts: 9, ObjectKey: "chunk-0.kf", Position: 1}, {Ts: 12, ObjectKey: "chunk-1.kf"}}
		if err != nil || !slices.Equal(list, want) {
			t.Fatalf("Keyframes = %+v, %v; want %+v", list, err, want)
		}
		if other, _ := db.Keyframes(ctx, p.ID, "s2"); len(other) != 0 {
			t.Fatalf("another session's keyframes: %+v", other)
		}
		if err := db.AddKeyframes(ctx, p.ID, "gone", refs); playhead.ErrorCode(err) != playhead.ENOTFOUND {
			t.Fatalf("AddKeyframes of an unknown session: %v, want ENOTFOUND", err)
		}
		keys, err := db.DeleteSession(ctx, p.ID, "s1", nil)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, []string{"chunk-0.kf", "chunk-1.kf"}) {
			t.Fatalf("DeleteSession = %q, want the keyframes' objects", keys)
		}
		if list, _ := db.Keyframes(ctx, p.ID, "s1"); len(list) != 0 {
			t.Fatalf("keyframes outlive their session: %+v", list)
		}
		if err := db.AddKeyframes(ctx, p.ID, "s1", refs); playhead.ErrorCode(err) != playhead.ENOTFOUND {
			t.Fatalf("AddKeyframes after erasure: %v, want ENOTFOUND", err)
		}
	})

	t.Run("PendingAndSealed", func(t *testing.T) {
		db := newIndex(t)
		p := project(t, db)
		for seq := range 3 {
			add(t, db, &playhead.IndexedBatch{ProjectID: p.ID, SessionID: "s1", Data: []byte{byte(seq)},
				Ref: playhead.BatchRef{Seq: seq, FirstTs: int64(seq), LastTs: int64(seq), Events: 2, Bytes: 400}})
		}
		policy := playhead.SealPolicy{Idle: time.Minute, MaxAge: time.Hour, MaxBytes: 10_000}
		if runs, err := db.PendingRuns(ctx, policy, now, 10); err != nil || len(runs) != 0 {
			t.Fatalf("PendingRuns right after ingest = %v, %v; want none", runs, err)
		}
		runs, err := db.PendingRuns(ctx, policy, now.Add(2*time.Minute), 10)
		if err != nil || len(runs) != 1 || runs[0].SessionID != "s1" || runs[0].Reason != playhead.CutIdle {
			t.Fatalf("PendingRuns when idle = %+v, %v", runs, err)
		}
		policy.MaxBytes = 1200
		if runs, _ := db.PendingRuns(ctx, policy, now, 10); len(runs) != 1 || runs[0].Reason != playhead.CutFull {
			t.Fatalf("PendingRuns when full = %+v", runs)
		}
		data, err := db.PendingData(ctx, p.ID, "s1", []int{0, 1, 2, 7})
		if err != nil || len(data) != 3 || data[2][0] != 2 {
			t.Fatalf("PendingData = %v, %v", data, err)
		}
		if err := db.MarkSealed(ctx, p.ID, "s1", "chunk-a", map[int]int{0: 0, 1: 2}); err != nil {
			t.Fatal(err)
		}
		refs, _ := db.Batches(ctx, p.ID, "s1")
		if refs[0].ObjectKey != "chunk-a" || refs[1].ObjectKey != "chunk-a" || refs[1].EventOffset != 2 || refs[2].ObjectKey != "" {
			t.Fatalf("after MarkSealed: %+v", refs)
		}
		if data, _ := db.PendingData(ctx, p.ID, "s1", []int{0, 1, 2}); len(data) != 1 {
			t.Fatalf("sealed batches still pending: %v", data)
		}
		// Sealing again (a racing sealer) changes nothing.
		if err := db.MarkSealed(ctx, p.ID, "s1", "chunk-b", map[int]int{0: 5}); err != nil {
			t.Fatal(err)
		}
		if refs, _ := db.Batches(ctx, p.ID, "s1"); refs[0].ObjectKey != "chunk-a" || refs[0].EventOffset != 0 {
			t.Fatalf("second MarkSealed overwrote the first: %+v", refs[0])
		}
	})

	t.Run("MoveChunk", func(t *testing.T) {
		db := newIndex(t)
		p := project(t, db)
		for seq := range 3 {
			add(t, db, &playhead.IndexedBatch{ProjectID: p.ID, SessionID: "s1", Data: []byte{byte(seq)},
				Ref: playhead.BatchRef{Seq: seq, FirstTs: int64(seq), LastTs: int64(seq), Events: 2, Bytes: 10}})
		}
		if err := db.MarkSealed(ctx, p.ID, "s1", "chunk-a", map[int]int{0: 0, 1: 2}); err != nil {
			t.Fatal(err)
		}
		if err := db.MarkSealed(ctx, p.ID, "s1", "chunk-b", map[int]int{2: 0}); err != nil {
			t.Fatal(err)
		}
		if n, err := db.MoveChunk(ctx, p.ID, "s1", "chunk-a", "chunk-a.c"); err != nil || n != 2 {
			t.Fatalf("MoveChunk = %d, %v; want 2 batches moved", n, err)
		}
		refs, _ := db.Batches(ctx, p.ID, "s1")
		if refs[0].ObjectKey != "chunk-a.c" || refs[1].ObjectKey != "chunk-a.c" || refs[1].EventOffset != 2 || refs[2].ObjectKey != "chunk-b" {
			t.Fatalf("after MoveChunk: %+v", refs)
		}
		for _, c := range []struct{ session, from string }{{"s1", "chunk-a"}, {"gone", "chunk-b"}} {
			if n, err := db.MoveChunk(ctx, p.ID, c.session, c.from, "x"); err != nil || n != 0 {
				t.Fatalf("MoveChunk(%s, %s) = %d, %v; want nothing moved", c.session, c.from, n, err)
			}
		}
	})

	t.Run("Accounts", func(t *testing.T) {
		db := newIndex(t)
		p := project(t, db)
		got, err := db.ProjectByKey(ctx, p.IngestKey)
		if err != nil || got.ID != p.ID {
			t.Fatalf("ProjectByKey = %+v, %v", got, err)
		}
		if _, err := db.ProjectByKey(ctx, "phk_wrong"); playhead.ErrorCode(err) != playhead.EUNAUTHORIZED {
			t.Fatalf("unknown key: err = %v, want EUNAUTHORIZED", err)
		}
		u := &playhead.User{Username: "admin", PasswordHash: "hash"}
		if err := db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if n, err := db.CountUsers(ctx); n != 1 || err != nil {
			t.Fatalf("CountUsers = %d, %v", n, err)
		}
		now := time.Now()
		if err := db.CreateLogin(ctx, "tok", u.ID, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if lu, err := db.LoginUser(ctx, "tok", now); err != nil || lu.Username != "admin" {
			t.Fatalf("LoginUser = %+v, %v", lu, err)
		}
		if _, err := db.LoginUser(ctx, "tok", now.Add(2*time.Hour)); playhead.ErrorCode(err) != playhead.ENOTFOUND {
			t.Fatalf("expired login: err = %v, want ENOTFOUND", err)
		}
		if err := db.DeleteLogin(ctx, "tok"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.LoginUser(ctx, "tok", now); !errors.As(err, new(*playhead.Error)) {
			t.Fatalf("deleted login: err = %v", err)
		}
	})
}

func joined(ids []string) string {
	s := ""
	for _, id := range ids {
		s += id
	}
	return s
}
