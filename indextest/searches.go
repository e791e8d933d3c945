package indextest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/ingest"
	"github.com/playhead/playhead/search"
)

// RunSearchTools runs the suite of what the search box and the search
// results need of an index beyond the search itself: the moments of a
// session by kind, suggested values and saved searches.
func RunSearchTools(t *testing.T, newIndex func(t *testing.T) Index) {
	ctx := context.Background()
	now := time.Date(2027, 1, 15, 8, 0, 0, 0, time.UTC)
	db := newIndex(t)
	p := &playhead.Project{Name: "Shop", IngestKey: "phk_tools_" + t.Name()}
	other := &playhead.Project{Name: "Other", IngestKey: "phk_tools_other_" + t.Name()}
	for _, pr := range []*playhead.Project{p, other} {
		if err := db.CreateProject(ctx, pr); err != nil {
			t.Fatal(err)
		}
	}
	session := func(projectID int64, id string, start int64, ua string, text ...string) *playhead.IndexedBatch {
		b := &playhead.IndexedBatch{ProjectID: projectID, SessionID: id, UserAgent: ua,
			Ref: playhead.BatchRef{Seq: 0, FirstTs: start, LastTs: start + 60_000, Events: 10, Bytes: 100}}
		for i := 0; i+1 < len(text); i += 2 {
			b.Search = append(b.Search, playhead.SearchText{Field: text[i], Value: text[i+1]})
		}
		return b
	}
	t0 := now.Add(-time.Hour).UnixMilli()
	first := session(p.ID, "t1", t0, uaFirefoxLinux, search.FieldClick, "Place order", search.FieldClick, "Add to cart", search.FieldConsoleLevel, "error")
	first.Timeline = []playhead.TimelineEntry{
		{Ts: t0 + 5000, Kind: playhead.KindRequest, Label: "POST https://shop.test/api/order", Detail: []byte(`{"method":"POST","url":"https://shop.test/api/order","status":500}`)},
		{Ts: t0 + 1000, Kind: playhead.KindNavigation, Label: "https://shop.test/"},
		{Ts: t0 + 4000, Kind: playhead.KindClick, Label: "Click: Place order"},
		{Ts: t0 + 4500, Kind: playhead.KindError, Level: "error", Label: "TypeError: boom", Detail: []byte(`{"message":"TypeError: boom"}`)},
		{Ts: t0 + 6000, Kind: playhead.KindClick, Label: "Click: Place order"},
	}
	batches := []*playhead.IndexedBatch{
		first,
		session(p.ID, "t2", t0+1000, uaFirefoxWindows, search.FieldClick, "Place order", search.FieldURL, "https://shop.test/checkout"),
		session(p.ID, "t3", t0+2000, uaSafariIPhone, search.FieldClick, "Order history", search.FieldConsoleLevel, "warn"),
		session(other.ID, "t1", t0, uaChromeWindows, search.FieldClick, "Place order secretly", search.FieldClick, "Other project's button"),
	}
	if _, err := ingest.AddBatches(ctx, db, batches, playhead.SessionLimits{}, now); err != nil {
		t.Fatal(err)
	}

	t.Run("TimelineKinds", func(t *testing.T) {
		got, err := db.TimelineKinds(ctx, p.ID, "t1", []string{playhead.KindClick, playhead.KindError}, 2)
		if err != nil {
			t.Fatal(err)
		}
		var labels []string
		for _, e := range got {
			labels = append(labels, fmt.Sprintf("%d %s", e.Ts-t0, e.Label))
		}
		if want := []string{"4000 Click: Place order", "4500 TypeError: boom"}; !slices.Equal(labels, want) {
			t.Errorf("TimelineKinds(click, error; 2) = %q, want %q", labels, want)
		}
		if len(got) == 2 && string(got[1].Detail) != `{"message":"TypeError: boom"}` {
			t.Errorf("entry detail = %s, want it as stored", got[1].Detail)
		}
		if got, err := db.TimelineKinds(ctx, other.ID, "t1", []string{playhead.KindClick}, 10); err != nil || len(got) != 0 {
			t.Errorf("TimelineKinds of another project's session of the same ID = %v, %v; want none", got, err)
		}
		if got, err := db.TimelineKinds(ctx, p.ID, "t1", nil, 10); err != nil || len(got) != 0 {
			t.Errorf("TimelineKinds of no kinds = %v, %v; want none", got, err)
		}
	})

	t.Run("NavigationsBefore", func(t *testing.T) {
		// in the other project: the subtests after this one count p's sessions
		nav := session(other.ID, "t4", t0, "")
		for i, u := range []string{"https://shop.test/", "https://shop.test/cart", "https://shop.test/checkout"} {
			nav.Timeline = append(nav.Timeline,
				playhead.TimelineEntry{Ts: t0 + int64(1000*i), Kind: playhead.KindNavigation, Label: u},
				playhead.TimelineEntry{Ts: t0 + int64(1000*i) + 500, Kind: playhead.KindClick, Label: "Click: next"})
		}
		if _, err := ingest.AddBatches(ctx, db, []*playhead.IndexedBatch{nav}, playhead.SessionLimits{}, now); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			ts    int64
			limit int
			want  []string
		}{
			{2500, 10, []string{"2000 https://shop.test/checkout", "1000 https://shop.test/cart", "0 https://shop.test/"}},
			{2000, 1, []string{"2000 https://shop.test/checkout"}},
			{1999, 2, []string{"1000 https://shop.test/cart", "0 https://shop.test/"}},
			{-1, 10, nil},
		} {
			got, err := db.NavigationsBefore(ctx, other.ID, "t4", t0+c.ts, c.limit)
			if err != nil {
				t.Fatal(err)
			}
			var labels []string
			for _, e := range got {
				labels = append(labels, fmt.Sprintf("%d %s", e.Ts-t0, e.Label))
			}
			if !slices.Equal(labels, c.want) {
				t.Errorf("NavigationsBefore(%d; %d) = %q, want %q", c.ts, c.limit, labels, c.want)
			}
		}
		if got, err := db.NavigationsBefore(ctx, p.ID, "t4", t0+9000, 10); err != nil || len(got) != 0 {
			t.Errorf("NavigationsBefore of another project's session = %v, %v; want none", got, err)
		}
	})

	t.Run("SearchValues", func(t *testing.T) {
		tests := []struct {
			field, part string
			want        []playhead.SearchValue
		}{
			{search.FieldClick, "ORDER", []playhead.SearchValue{{Value: "Place order", Sessions: 2}, {Value: "Order history", Sessions: 1}}},
			{search.FieldClick, "", []playhead.SearchValue{{Value: "Place order", Sessions: 2}, {Value: "Add to cart", Sessions: 1}, {Value: "Order history", Sessions: 1}}},
			{search.FieldClick, "cart", []playhead.SearchValue{{Value: "Add to cart", Sessions: 1}}},
			{search.FieldClick, "50%", []playhead.SearchValue{}},
			{search.FieldConsoleLevel, "", []playhead.SearchValue{{Value: "error", Sessions: 1}, {Value: "warn", Sessions: 1}}},
			{search.FieldURL, "checkout", []playhead.SearchValue{{Value: "https://shop.test/checkout", Sessions: 1}}},
			{search.FieldEvent, "", []playhead.SearchValue{}},
			{playhead.SummaryBrowser, "", []playhead.SearchValue{{Value: "Firefox", Sessions: 2}, {Value: "Safari", Sessions: 1}}},
			{playhead.SummaryOS, "win", []playhead.SearchValue{{Value: "Windows", Sessions: 1}}},
			{playhead.SummaryDevice, "mob", []playhead.SearchValue{{Value: "Mobile", Sessions: 1}}},
		}
		for _, tt := range tests {
			got, err := db.SearchValues(ctx, p.ID, tt.field, tt.part, 3)
			if err != nil {
				t.Errorf("SearchValues(%s, %q): %v", tt.field, tt.part, err)
				continue
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("SearchValues(%s, %q) = %v, want %v", tt.field, tt.part, got, tt.want)
			}
		}
	})

	t.Run("SavedSearches", func(t *testing.T) {
		a := &playhead.SavedSearch{ProjectID: p.ID, Name: "Checkout errors", Query: "url:/checkout errors:>0", CreatedAt: now}
		b := &playhead.SavedSearch{ProjectID: p.ID, Name: "Angry users", Query: "rage:>0"}
		for _, s := range []*playhead.SavedSearch{a, b} {
			if err := db.CreateSavedSearch(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		if a.ID == 0 || b.ID == a.ID {
			t.Fatalf("saved search IDs %d and %d, want two distinct ones", a.ID, b.ID)
		}
		dup := &playhead.SavedSearch{ProjectID: p.ID, Name: "Angry users", Query: "dead:>0"}
		if err := db.CreateSavedSearch(ctx, dup); playhead.ErrorCode(err) != playhead.EINVALID {
			t.Errorf("a second search named %q: err = %v, want invalid", dup.Name, err)
		}
		// Another project may use the same name.
		if err := db.CreateSavedSearch(ctx, &playhead.SavedSearch{ProjectID: other.ID, Name: "Angry users", Query: "rage:>5"}); err != nil {
			t.Errorf("the same name in another project: %v", err)
		}
		names := func() []string {
			t.Helper()
			list, err := db.SavedSearches(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, s := range list {
				out = append(out, s.Name+"="+s.Query)
			}
			return out
		}
		if got, want := names(), []string{"Angry users=rage:>0", "Checkout errors=url:/checkout errors:>0"}; !slices.Equal(got, want) {
			t.Errorf("saved searches = %q, want %q", got, want)
		}
		got, err := db.SavedSearch(ctx, p.ID, a.ID)
		if err != nil || got.Name != a.Name || got.Query != a.Query || !got.CreatedAt.Equal(now) {
			t.Errorf("SavedSearch(%d) = %+v, %v; want %+v", a.ID, got, err, a)
		}
		if _, err := db.SavedSearch(ctx, other.ID, a.ID); playhead.ErrorCode(err) != playhead.ENOTFOUND {
			t.Errorf("another project's SavedSearch: err = %v, want not found", err)
		}
		if err := db.RenameSavedSearch(ctx, p.ID, a.ID, "Checkout broke"); err != nil {
			t.Fatal(err)
		}
		if err := db.RenameSavedSearch(ctx, p.ID, a.ID, "Checkout broke"); err != nil {
			t.Errorf("renaming to its own name: %v", err)
		}
		if err := db.RenameSavedSearch(ctx, p.ID, a.ID, "Angry users"); playhead.ErrorCode(err) != playhead.EINVALID {
			t.Errorf("renaming to a name in use: err = %v, want invalid", err)
		}
		if err := db.RenameSavedSearch(ctx, other.ID, a.ID, "Stolen"); playhead.ErrorCode(err) != playhead.ENOTFOUND {
			t.Errorf("renaming another project's search: err = %v, want not found", err)
		}
		if err := db.DeleteSavedSearch(ctx, other.ID, b.ID); playhead.ErrorCode(err) != playhead.ENOTFOUND {
			t.Errorf("deleting another project's search: err = %v, want not found", err)
		}
		if err := db.DeleteSavedSearch(ctx, p.ID, b.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteSavedSearch(ctx, p.ID, b.ID); playhead.ErrorCode(err) != playhead.ENOTFOUND {
			t.Errorf("deleting twice: err = %v, want not found", err)
		}
		if got, want := names(), []string{"Checkout broke=url:/checkout errors:>0"}; !slices.Equal(got, want) {
			t.Errorf("saved searches after rename and delete = %q, want %q", got, want)
		}
	})
}
