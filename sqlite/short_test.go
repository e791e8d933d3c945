package sqlite

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/playhead/playhead"
)

// TestShortTrigrams: a text of two characters is looked up through the
// trigrams of the index's vocabulary that start or end with it.
func TestShortTrigrams(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p := &playhead.Project{Name: "Short", IngestKey: "phk_short_trigrams"}
	if err := db.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	err = db.WriteGroup(ctx, []playhead.BatchID{{ProjectID: p.ID, SessionID: "short"}}, func(*playhead.GroupState) (*playhead.GroupWrite, error) {
		return &playhead.GroupWrite{Now: now,
			Batches: []*playhead.IndexedBatch{{ProjectID: p.ID, SessionID: "short", Data: []byte("x"), Ref: playhead.BatchRef{Bytes: 1, FirstTs: now.UnixMilli(), LastTs: now.UnixMilli()},
				Search: []playhead.SearchText{{Field: "click", Value: "Menu"}, {Field: "console", Value: "signup done"}, {Field: "title", Value: "aaa"}}}},
			Sessions: []*playhead.Session{{ProjectID: p.ID, ID: "short", Batches: 1}}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		text string
		want []string
		ok   bool
	}{
		{"nu", []string{"gnu", "nup", "enu"}, true}, // signup, Menu
		{"me", []string{"men"}, true},
		{"aa", []string{"aaa"}, true}, // once, though it starts and ends with it
		{"qz", nil, true},
		{"u", nil, false}, // one character: not looked up this way
	} {
		got, ok, err := db.shortTrigrams(ctx, tt.text)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(tt.want))
		if ok != tt.ok || !slices.Equal(got, want) {
			t.Errorf("shortTrigrams(%q) = %q, %v; want %q, %v", tt.text, got, ok, want, tt.ok)
		}
	}
}
