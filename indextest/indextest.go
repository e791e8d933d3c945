// Package indextest is the test suite every Playhead index (SQLite,
// PostgreSQL) must pass.
package indextest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/playhead/playhead"
)

// Index is what the suite needs of an implementation.
type Index interface {
	playhead.SessionIndex
	playhead.AccountStore
}

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

	t.Run("AddBatchIsIdempotent", func(t *testing.T) {
		db := newIndex(t)
		p := project(t, db)
		b := &playhead.IndexedBatch{
			ProjectID: p.ID, SessionID: "s1", UserAgent: "UA",
			Ref:    playhead.BatchRef{Seq: 0, FirstTs: 1000, LastTs: 2000, KeyframeTs: kf(1000), Events: 10, Bytes: 100, ObjectKey: "k0"},
			Pages:  []string{"http://a/"},
			Clicks: 2, Errors: 1,
			Timeline: []playhead.TimelineEntry{{Ts: 1500, Kind: playhead.KindError, Label: "boom", Detail: []byte(`{"message":"boom"}`)}},
		}
		for i, want := range []bool{true, false} {
			added, err := db.AddBatch(ctx, b)
			if err != nil {
				t.Fatal(err)
			}
			if added != want {
				t.Fatalf("AddBatch #%d added = %v, want %v", i+1, added, want)
			}
		}
		s, err := db.Session(ctx, p.ID, "s1")
		if err != nil {
			t.Fatal(err)
		}
		if s.Batches != 1 || s.Clicks != 2 || s.Errors != 1 || s.Events != 10 {
			t.Fatalf("session after duplicate batch = %+v, want it counted once", s)
		}
		tl, err := db.Timeline(ctx, p.ID, "s1")
		if err != nil || len(tl) != 1 {
			t.Fatalf("Timeline = %v, %v; want one entry", tl, err)
		}
		if has, err := db.HasBatch(ctx, p.ID, "s1", 0); !has || err != nil {
			t.Fatalf("HasBatch = %v, %v", has, err)
		}
		if has, _ := db.HasBatch(ctx, p.ID, "s1", 1); has {
			t.Fatal("HasBatch(seq 1) = true before it was added")
		}
	})

	t.Run("SessionAggregatesOutOfOrderBatches", func(t *testing.T) {
		db := newIndex(t)
		p := project(t, db)
		for _, b := range []*playhead.IndexedBatch{
			{Ref: playhead.BatchRef{Seq: 2, FirstTs: 3000, LastTs: 4000, Events: 3, ObjectKey: "k2"}, Pages: []string{"http://a/checkout"}, FailedRequests: 1},
			{Ref: playhead.BatchRef{Seq: 0, FirstTs: 1000, LastTs: 1500, KeyframeTs: kf(1000), Events: 5, ObjectKey: "k0"}, Pages: []string{"http://a/"}, UserAgent: "Chrome", ConsoleErrors: 2},
			{Ref: playhead.BatchRef{Seq: 1, FirstTs: 1500, LastTs: 3000, Events: 4, ObjectKey: "k1"}, Pages: []string{"http://a/"}},
		} {
			b.ProjectID, b.SessionID = p.ID, "s1"
			if _, err := db.AddBatch(ctx, b); err != nil {
				t.Fatal(err)
			}
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
	})

	t.Run("SessionsNewestFirstWithCursor", func(t *testing.T) {
		db := newIndex(t)
		p := project(t, db)
		other := &playhead.Project{Name: "Other", IngestKey: "phk_other_" + t.Name()}
		if err := db.CreateProject(ctx, other); err != nil {
			t.Fatal(err)
		}
		for i, id := range []string{"a", "b", "c", "d", "e"} {
			b := &playhead.IndexedBatch{ProjectID: p.ID, SessionID: id, Ref: playhead.BatchRef{FirstTs: int64(1000 * i), LastTs: int64(1000*i + 1), Events: 1, ObjectKey: id}}
			if _, err := db.AddBatch(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.AddBatch(ctx, &playhead.IndexedBatch{ProjectID: other.ID, SessionID: "x", Ref: playhead.BatchRef{FirstTs: 9999, LastTs: 9999, ObjectKey: "x"}}); err != nil {
			t.Fatal(err)
		}
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
