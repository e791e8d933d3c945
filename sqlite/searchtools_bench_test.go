package sqlite_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/ingest"
	"github.com/playhead/playhead/search"
	"github.com/playhead/playhead/sqlite"
)

// BenchmarkSearchTools measures what the search box and the results need
// beyond the search itself, on an index of 100,000 sessions (about 15
// search rows and 20 timeline entries each): suggesting values of a key,
// and finding the matched moments of a page of 50 results.
//
//	go test -run '^$' -bench SearchTools -benchtime 200x ./sqlite/
func BenchmarkSearchTools(b *testing.B) {
	ctx := context.Background()
	const sessions = 100_000
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "index.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	p := &playhead.Project{Name: "Shop", IngestKey: "phk_bench"}
	if err := db.CreateProject(ctx, p); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	now := time.Date(2027, 1, 15, 8, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(1, 2))
	var group []*playhead.IndexedBatch
	ids := make([]string, sessions)
	for i := range sessions {
		ids[i] = fmt.Sprintf("benchsession%06d", i)
		t0 := now.Add(-time.Duration(sessions-i) * time.Minute).UnixMilli()
		ib := &playhead.IndexedBatch{ProjectID: p.ID, SessionID: ids[i], UserAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
			Ref: playhead.BatchRef{Seq: 0, FirstTs: t0, LastTs: t0 + 120_000, Events: 100, Bytes: 10_000}}
		add := func(ts int64, kind, field, value, label string, detail string) {
			ib.Search = append(ib.Search, playhead.SearchText{Field: field, Value: value})
			e := playhead.TimelineEntry{Ts: ts, Kind: kind, Label: label}
			if detail != "" {
				e.Detail = []byte(detail)
			}
			ib.Timeline = append(ib.Timeline, e)
		}
		for k := range 3 {
			u := fmt.Sprintf("https://shop.example/products/%d", r.IntN(2000))
			add(t0+int64(k)*30_000, playhead.KindNavigation, search.FieldURL, u, u, fmt.Sprintf(`{"url":%q,"kind":"push"}`, u))
		}
		for k := range 4 {
			text := fmt.Sprintf("Button %d", r.IntN(500))
			add(t0+int64(k)*20_000+500, playhead.KindClick, search.FieldClick, text, "Click: "+text, `{"id":1,"x":1,"y":1}`)
		}
		for k := range 2 {
			msg := fmt.Sprintf("console message %d", r.IntN(300))
			add(t0+int64(k)*25_000+700, playhead.KindConsole, search.FieldConsole, msg, msg, fmt.Sprintf(`{"level":"log","payload":[%q]}`, msg))
		}
		for k := range 3 {
			u := fmt.Sprintf("https://api.shop.example/v1/items/%d", r.IntN(500))
			status := []int{200, 200, 200, 404, 500}[r.IntN(5)]
			add(t0+int64(k)*15_000+900, playhead.KindRequest, search.FieldRequest, "GET "+u, "GET "+u, fmt.Sprintf(`{"method":"GET","url":%q,"status":%d}`, u, status))
			ib.Search = append(ib.Search, playhead.SearchText{Field: search.FieldRequestStatus, Value: fmt.Sprint(status)})
		}
		if r.IntN(4) == 0 {
			msg := fmt.Sprintf("TypeError: thing %d is undefined", r.IntN(100))
			add(t0+61_000, playhead.KindError, search.FieldError, msg, msg, fmt.Sprintf(`{"message":%q}`, msg))
			ib.Errors = 1
		}
		group = append(group, ib)
		if len(group) == 1000 || i == sessions-1 {
			if _, err := ingest.AddBatches(ctx, db, group, playhead.SessionLimits{}, now); err != nil {
				b.Fatal(err)
			}
			group = nil
		}
	}
	b.Logf("stored %d sessions in %s", sessions, time.Since(start).Round(time.Second))

	for _, tt := range []struct{ field, part string }{
		{search.FieldClick, ""}, {search.FieldClick, "button 4"}, {search.FieldURL, "products/1"},
		{search.FieldRequest, "items"}, {search.FieldError, "nothing-like-this"}, {playhead.SummaryBrowser, "fire"},
	} {
		b.Run(fmt.Sprintf("SearchValues/%s=%q", tt.field, tt.part), func(b *testing.B) {
			for b.Loop() {
				if _, err := db.SearchValues(ctx, p.ID, tt.field, tt.part, 50); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, query := range []string{`click:"button 4"`, `request.status:>=500 OR errors:>0`, `products`} {
		q, err := search.Parse(query)
		if err != nil {
			b.Fatal(err)
		}
		terms := search.MomentsOf(q)
		kinds := ingest.MomentKinds(terms.Fields())
		b.Run(fmt.Sprintf("PageOfMatches/%s", query), func(b *testing.B) {
			page := 0
			for b.Loop() {
				for k := range 50 {
					entries, err := db.TimelineKinds(ctx, p.ID, ids[(page*50+k)%sessions], kinds, 1000)
					if err != nil {
						b.Fatal(err)
					}
					for i := range entries {
						terms.Match(ingest.MomentValues(&entries[i]))
					}
				}
				page++
			}
		})
	}
}
