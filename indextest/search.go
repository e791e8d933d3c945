package indextest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/ingest"
	"github.com/playhead/playhead/search"
)

// User agents of the search suite's sessions, parsed by ingest.
const (
	uaFirefoxLinux   = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
	uaFirefoxWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
	uaSafariIPhone   = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
	uaSafariMac      = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15"
	uaChromeWindows  = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	uaChromeAndroid  = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"
)

// searchSession is one session of the search suite: what its batches say.
type searchSession struct {
	id      string
	started time.Time
	dur     time.Duration
	ua      string
	user    string // the user hash
	pages   []string
	// text is "field=value" lines.
	text                                    []string
	errors, rage, dead, errorClicks, clicks int
	active                                  time.Duration
}

// RunSearch runs the shared table of searches against an index: about a
// dozen sessions, stored through ingest, and queries with the sessions
// each must find, in order. newIndex returns a fresh, empty index.
func RunSearch(t *testing.T, newIndex func(t *testing.T) Index) {
	ctx := context.Background()
	now := time.Date(2027, 1, 15, 8, 0, 0, 0, time.UTC)
	day := func(d, h, m int) time.Time { return time.Date(2027, 1, d, h, m, 0, 0, time.UTC) }
	sessions := []searchSession{
		{id: "s01", started: now.Add(-30 * time.Minute), dur: 3 * time.Minute, ua: uaFirefoxLinux, user: "hash-alice",
			pages: []string{"https://shop.test/", "https://shop.test/checkout"},
			text: []string{"click=Place order", "error=TypeError: cannot read properties of undefined",
				"request=POST https://api.shop.test/order", "request.method=POST", "request.status=503", "request.failed=true"},
			errors: 1, rage: 1, clicks: 5, active: 2 * time.Minute},
		{id: "s02", started: now.Add(-22 * time.Hour), dur: 30 * time.Second, ua: uaSafariIPhone,
			pages: []string{"https://shop.test/"},
			text: []string{"click=Add to cart", "console=cart updated", "console.level=log", "meta=plan=pro", "input=Work e-mail",
				"referrer=https://news.example/item?id=7"}, dead: 2, clicks: 2},
		{id: "s03", started: day(10, 12, 0), dur: 10 * time.Minute, ua: uaChromeWindows, user: "hash-bob",
			pages: []string{"https://shop.test/", "https://shop.test/products/42", "https://shop.test/cart"},
			text: []string{"request=GET https://api.shop.test/products", "request.method=GET", "request.status=200",
				"request.failed=false", "event=signup", "event.prop=tier=gold", "meta=plan=free"},
			errors: 2, errorClicks: 1, active: 40 * time.Second},
		{id: "s04", started: day(1, 0, 0), dur: time.Minute, ua: uaFirefoxWindows,
			pages: []string{"https://blog.test/post/100%-off"},
			text:  []string{"console=warning: deprecated API", "console.level=warn"}},
		{id: "s05", started: time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC), dur: 2 * time.Minute, ua: uaChromeAndroid,
			pages: []string{"https://shop.test/checkout/confirm"},
			text: []string{"console=Failed to fetch", "console.level=error", "request=GET https://api.shop.test/cart",
				"request.method=GET", "request.status=0", "request.failed=true"}},
		{id: "s06", started: day(12, 9, 0), dur: 5 * time.Second},
		{id: "s07", started: day(13, 9, 0), dur: 90 * time.Second, ua: uaSafariMac, user: "hash-alice",
			pages: []string{"https://shop.test/search?q=shoes"},
			text:  []string{"click=Search", "title=Shoes – Shop"}},
		{id: "s08", started: day(14, 9, 0), dur: 20 * time.Second, ua: uaChromeWindows,
			pages: []string{"https://docs.test/a_b"},
			text:  []string{"event=checkout_started", "event.prop=coupon=tier=gold", "referrer=https://www.google.com/"}},
		{id: "s09", started: day(11, 9, 0), dur: 4 * time.Minute, ua: uaChromeWindows,
			pages: []string{"https://docs.test/guide"}, text: []string{"event=purchase"}, rage: 1, dead: 1},
		{id: "s10", started: day(9, 9, 0), dur: 45 * time.Second, ua: uaFirefoxLinux,
			pages: []string{"https://docs.test/guide"}, text: []string{"console=Ünïcode ready", "console.level=info"}},
		{id: "s11", started: day(8, 9, 0), dur: 50 * time.Second, ua: uaSafariIPhone,
			pages: []string{"https://shop.test/"}, errors: 3},
		{id: "s12", started: day(7, 9, 0), dur: 70 * time.Second, ua: uaChromeAndroid,
			pages: []string{"https://docs.test/"}, text: []string{"click=Menu", "click=OK"}, dead: 1},
	}

	db := newIndex(t)
	p := &playhead.Project{Name: "Shop", IngestKey: "phk_search_" + t.Name()}
	other := &playhead.Project{Name: "Other", IngestKey: "phk_search_other_" + t.Name()}
	for _, pr := range []*playhead.Project{p, other} {
		if err := db.CreateProject(ctx, pr); err != nil {
			t.Fatal(err)
		}
	}
	add := func(batches ...*playhead.IndexedBatch) {
		t.Helper()
		if _, err := ingest.AddBatches(ctx, db, batches, playhead.SessionLimits{}, now); err != nil {
			t.Fatal(err)
		}
	}
	var group []*playhead.IndexedBatch
	for _, s := range sessions {
		group = append(group, s.batches(p.ID)...)
	}
	add(group...)
	// A session of another project that every query of the table would
	// find, if projects were not kept apart.
	add(searchSession{id: "s01", started: now.Add(-time.Minute), dur: time.Hour, ua: uaFirefoxLinux, user: "hash-alice",
		pages: []string{"https://shop.test/checkout"}, text: []string{"click=Place order", "console.level=error", "meta=plan=pro",
			"event.prop=tier=gold", "referrer=https://news.example/"}, rage: 5}.batches(other.ID)...)
	// A bug report on s07 and backend records on s10 (an error log) and s11
	// (an info log), and an error of the other project's s01.
	add(&playhead.IndexedBatch{ProjectID: p.ID, SessionID: "s07", UserAgent: uaSafariMac,
		Ref:     playhead.BatchRef{Seq: 2, FirstTs: day(13, 9, 1).UnixMilli(), LastTs: day(13, 9, 1).UnixMilli() + 1, Events: 1, Bytes: 10},
		Reports: []playhead.Report{{SessionID: "s07", Ts: day(13, 9, 1).UnixMilli(), Text: "the search is slow"}}})
	for _, r := range []struct {
		project   int64
		id, level string
	}{{p.ID, "s10", "error"}, {p.ID, "s11", "info"}, {other.ID, "s01", "fatal"}} {
		if err := db.AddBackendRecords(ctx, r.project, []playhead.BackendRecord{{SessionID: r.id, Kind: "log", Service: "api",
			StartMs: day(9, 9, 0).UnixMilli(), EndMs: day(9, 9, 0).UnixMilli(), Level: r.level, Message: "payment failed"}}); err != nil {
			t.Fatal(err)
		}
	}
	// A later batch of s09, in a group of its own: its text and signals
	// join the session's.
	add(&playhead.IndexedBatch{ProjectID: p.ID, SessionID: "s09", UserAgent: uaChromeWindows,
		Ref:        playhead.BatchRef{Seq: 2, FirstTs: day(11, 9, 1).UnixMilli(), LastTs: day(11, 9, 2).UnixMilli(), Events: 5, Bytes: 50},
		Search:     []playhead.SearchText{{Field: search.FieldEvent, Value: "purchase"}, {Field: search.FieldEvent, Value: "refund"}},
		RageClicks: 1, DeadClicks: 2})

	all := []string{"s01", "s02", "s08", "s07", "s06", "s09", "s03", "s10", "s11", "s12", "s04", "s05"}
	except := func(out ...string) []string {
		return slices.DeleteFunc(slices.Clone(all), func(id string) bool { return slices.Contains(out, id) })
	}
	tests := []struct {
		query string
		want  []string // newest first
	}{
		{"", all},
		{"checkout", []string{"s01", "s08", "s05"}},
		{"url:/checkout", []string{"s01", "s05"}},
		{"page:SHOP.test/checkout", []string{"s01", "s05"}},
		{"url:https://shop.test/*", []string{"s01", "s02", "s07", "s03", "s11", "s05"}},
		{"url:*/cart", []string{"s03"}},
		{`url:"100%-off"`, []string{"s04"}},
		{"url:a_b", []string{"s08"}},
		{"url:42", []string{"s03"}},
		{`click:"place order"`, []string{"s01"}},
		{`"add to cart"`, []string{"s02"}},
		{"error:typeerror", []string{"s01"}},
		{"console:fetch", []string{"s05"}},
		{"console:Ünïcode", []string{"s10"}},
		{"console.level:error", []string{"s05"}},
		{"console.level:warn OR console.level:error", []string{"s04", "s05"}},
		{"request:api.shop.test", []string{"s01", "s03", "s05"}},
		{"request.status:>=500", []string{"s01"}},
		{"request.method:post", []string{"s01"}},
		{"request.failed:true", []string{"s01", "s05"}},
		{"event:signup", []string{"s03"}},
		{"event:refund event:purchase", []string{"s09"}},
		{"title:shoes", []string{"s07"}},
		{"browser:firefox", []string{"s01", "s10", "s04"}},
		{"os:ios device:mobile", []string{"s02", "s11"}},
		{"device:mobile", []string{"s02", "s11", "s12", "s05"}},
		{"browser:chrom*", []string{"s08", "s09", "s03", "s12", "s05"}},
		{"-browser:firefox", except("s01", "s10", "s04")},
		{"duration:>2m", []string{"s01", "s09", "s03"}},
		{"duration:<=30s", []string{"s02", "s08", "s06"}},
		{"pages:>=3", []string{"s03"}},
		{"errors:>0", []string{"s01", "s03", "s11"}},
		{"rage:>0", []string{"s01", "s09"}},
		{"rage:>=2", []string{"s09"}},
		{"dead:>0", []string{"s02", "s09", "s12"}},
		{"errorclick:>0", []string{"s03"}},
		{"rage:>0 OR dead:>0 OR errorclick:>0", []string{"s01", "s02", "s09", "s03", "s12"}},
		{"started:<24h", []string{"s01", "s02", "s08"}},
		{"started:>2026-12-31", except("s05")},
		{"started:2026-12-31", []string{"s05"}},
		{"started:<=2027-01-01", []string{"s04", "s05"}},
		{"started:>=2027-01-13T09:00:00Z", []string{"s01", "s02", "s08", "s07"}},
		{"user:hash-alice", []string{"s01", "s07"}},
		{"-user:hash-alice", except("s01", "s07")},
		{"(browser:firefox OR browser:safari) errors:0", []string{"s02", "s07", "s10", "s04"}},
		{"shop -checkout", []string{"s02", "s07", "s03", "s11"}},
		{"shop.test/products/42 OR signup", []string{"s03"}},
		{"-(docs.test OR shop.test)", []string{"s06", "s04"}},
		{"nothing-matches-this", nil},
		{"meta.plan:pro", []string{"s02"}},
		{"meta.PLAN:free OR meta.plan:pro", []string{"s02", "s03"}},
		{"meta.plan:*", []string{"s02", "s03"}},
		{"meta.tier:gold", nil},
		{"event.prop.tier:gold", []string{"s03"}},
		{"event.prop.coupon:gold", []string{"s08"}},
		{"-event.prop.tier:gold url:docs.test", []string{"s08", "s09", "s10", "s12"}},
		{"referrer:news.example", []string{"s02"}},
		{"referrer:https://www.google.com/*", []string{"s08"}},
		{"has:report", []string{"s07"}},
		{"-has:report browser:safari", []string{"s02", "s11"}},
		{"backend.error:true", []string{"s10"}},
		{"active:>30s", []string{"s01", "s03"}},
		{"active:>1m", []string{"s01"}},
		{"active:0 duration:>2m", []string{"s09"}},
		{"backend.error:false errors:>0", []string{"s01", "s03", "s11"}},
		{"input:e-mail", []string{"s02"}},
		{`input:"work e-mail"`, []string{"s02"}},
		{"e-mail", nil}, // labels are not free text
		{"-input:mail device:mobile", []string{"s11", "s12", "s05"}},
		// Texts shorter than a trigram: a whole value ("OK"), the start
		// and the end of one ("Menu"), the middle ("signup"), a
		// character, and none.
		{"ok", []string{"s12"}},
		{"click:Ok", []string{"s12"}},
		{"me", []string{"s12"}},
		{"nu", []string{"s03", "s12"}},
		{"Ü", []string{"s10"}},
		{"qz", nil},
		{"-qz browser:firefox", []string{"s01", "s10", "s04"}},
		{"nu OR ok OR qz OR shoes", []string{"s07", "s03", "s12"}},
	}
	for _, tt := range tests {
		q, err := search.Parse(tt.query)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.query, err)
			continue
		}
		list, next, err := db.Sessions(ctx, playhead.SessionFilter{ProjectID: p.ID, Query: q, Now: now, Limit: 100})
		if err != nil {
			t.Errorf("search %q: %v", tt.query, err)
			continue
		}
		if got := ids(list); !slices.Equal(got, tt.want) || next != "" {
			t.Errorf("search %q = %v (next %q), want %v", tt.query, got, next, tt.want)
		}
	}

	t.Run("PagesThroughResults", func(t *testing.T) {
		q, _ := search.Parse("url:https://shop.test/*")
		var got []string
		cursor := ""
		for range 10 {
			list, next, err := db.Sessions(ctx, playhead.SessionFilter{ProjectID: p.ID, Query: q, Now: now, Limit: 4, Before: cursor})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ids(list)...)
			if cursor = next; cursor == "" {
				break
			}
		}
		if want := []string{"s01", "s02", "s07", "s03", "s11", "s05"}; !slices.Equal(got, want) {
			t.Errorf("pages of results = %v, want %v", got, want)
		}
	})

	t.Run("SummaryHoldsParsedAgentAndSignals", func(t *testing.T) {
		s, err := db.Session(ctx, p.ID, "s09")
		if err != nil {
			t.Fatal(err)
		}
		if s.Browser != "Chrome" || s.OS != "Windows" || s.Device != "Desktop" || s.RageClicks != 2 || s.DeadClicks != 3 || s.ErrorClicks != 0 {
			t.Errorf("session s09 = %+v, want Chrome on Windows, Desktop, with 2 rage and 3 dead clicks", s)
		}
	})

	// Frustration signals whose clicks and aftermath lie in batches stored
	// by different groups: the state ingest carries between them goes
	// through the index.
	t.Run("SignalsSpanGroups", func(t *testing.T) {
		sp := &playhead.Project{Name: "Signals", IngestKey: "phk_search_signals_" + t.Name()}
		if err := db.CreateProject(ctx, sp); err != nil {
			t.Fatal(err)
		}
		t0 := now.Add(-time.Hour).UnixMilli()
		batch := func(seq int, first, last int64, sig *playhead.BatchSignals) *playhead.IndexedBatch {
			return &playhead.IndexedBatch{ProjectID: sp.ID, SessionID: "split", Signals: sig,
				Ref: playhead.BatchRef{Seq: seq, FirstTs: t0 + first, LastTs: t0 + last, Events: 2, Bytes: 20}}
		}
		click := func(ms int64, id int64) playhead.SignalClick {
			return playhead.SignalClick{Ts: t0 + ms, ID: id, X: 10, Y: 10, Lookup: id}
		}
		// The first batch's snapshot holds a link (node 21, "Help"), in
		// ingest's encoding of a snapshot's actionable elements.
		add(batch(0, 0, 100, &playhead.BatchSignals{Nodes: []byte(`{"t":["Help"],"n":[20,0,21,0]}`)}))
		// Two clicks, then two more in the next group: one rage click.
		add(batch(1, 1000, 1300, &playhead.BatchSignals{Clicks: []playhead.SignalClick{click(1000, 5), click(1200, 5)}}))
		add(batch(2, 1400, 1500, &playhead.BatchSignals{Clicks: []playhead.SignalClick{click(1400, 5), click(1500, 5)}}))
		// A click on the link, and nothing answers it before the next
		// group's batch ends: a dead click, named by the link's text.
		add(batch(3, 5000, 5100, &playhead.BatchSignals{Clicks: []playhead.SignalClick{click(5000, 21)}}))
		add(batch(4, 6000, 9000, nil))
		s, err := db.Session(ctx, sp.ID, "split")
		if err != nil {
			t.Fatal(err)
		}
		if s.RageClicks != 1 || s.DeadClicks != 1 {
			t.Errorf("rage, dead clicks = %d, %d; want 1, 1", s.RageClicks, s.DeadClicks)
		}
		tl, err := db.Timeline(ctx, sp.ID, "split")
		if err != nil {
			t.Fatal(err)
		}
		var labels []string
		for _, e := range tl {
			labels = append(labels, e.Label)
		}
		if want := []string{"Rage click: 4 clicks", "Dead click: Help"}; !slices.Equal(labels, want) {
			t.Errorf("timeline = %q, want %q", labels, want)
		}
		q, _ := search.Parse("click:help")
		if list, _, err := db.Sessions(ctx, playhead.SessionFilter{ProjectID: sp.ID, Query: q, Now: now}); err != nil || !slices.Equal(ids(list), []string{"split"}) {
			t.Errorf("search click:help = %v, %v; want the session", ids(list), err)
		}
	})

	t.Run("ErasedSessionIsNotFound", func(t *testing.T) {
		if _, err := db.DeleteSession(ctx, p.ID, "s01", nil); err != nil {
			t.Fatal(err)
		}
		for query, want := range map[string][]string{
			"checkout":        {"s08", "s05"},
			"user:hash-alice": {"s07"},
			"rage:>0":         {"s09"},
		} {
			q, _ := search.Parse(query)
			list, _, err := db.Sessions(ctx, playhead.SessionFilter{ProjectID: p.ID, Query: q, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(list); !slices.Equal(got, want) {
				t.Errorf("after erasing s01, search %q = %v, want %v", query, got, want)
			}
		}
	})

	// playhead reindex: a session's search rows replaced by values derived
	// anew, those stored after the mark kept.
	t.Run("ReplaceSearch", func(t *testing.T) {
		rp := &playhead.Project{Name: "Reindex", IngestKey: "phk_search_reindex_" + t.Name()}
		if err := db.CreateProject(ctx, rp); err != nil {
			t.Fatal(err)
		}
		find := func(query string) []string {
			t.Helper()
			q, err := search.Parse(query)
			if err != nil {
				t.Fatal(err)
			}
			list, _, err := db.Sessions(ctx, playhead.SessionFilter{ProjectID: rp.ID, Query: q, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			return ids(list)
		}
		add(searchSession{id: "r1", started: now.Add(-time.Hour), dur: time.Minute, ua: uaFirefoxLinux,
			text: []string{"click=Old label", "event.prop=userId=kept-in-clear", "console=stays"}}.batches(rp.ID)...)
		add(searchSession{id: "r2", started: now.Add(-2 * time.Hour), dur: time.Minute, ua: uaFirefoxLinux,
			text: []string{"click=Old label"}}.batches(rp.ID)...)
		mark, err := db.LastSearchRow(ctx, rp.ID, "r1")
		if err != nil || mark == 0 {
			t.Fatalf("LastSearchRow(r1) = %d, %v; want the id of its newest row", mark, err)
		}
		if none, err := db.LastSearchRow(ctx, rp.ID, "no-such-session"); err != nil || none != 0 {
			t.Errorf("LastSearchRow of a session with no rows = %d, %v; want 0", none, err)
		}
		// A batch stored while the values are derived.
		add(&playhead.IndexedBatch{ProjectID: rp.ID, SessionID: "r1", UserAgent: uaFirefoxLinux,
			Ref:    playhead.BatchRef{Seq: 5, FirstTs: now.Add(-50 * time.Minute).UnixMilli(), LastTs: now.Add(-50*time.Minute).UnixMilli() + 1, Events: 1, Bytes: 10},
			Search: []playhead.SearchText{{Field: search.FieldEvent, Value: "arrived-meanwhile"}}})
		values := []playhead.SearchText{{Field: search.FieldClick, Value: "New label"}, {Field: search.FieldConsole, Value: "stays"},
			{Field: search.FieldInput, Value: "Email"}, {Field: search.FieldInput, Value: "Email"}}
		if err := db.ReplaceSearch(ctx, rp.ID, "r1", values, []byte{}, mark); err != nil {
			t.Fatal(err)
		}
		for query, want := range map[string][]string{
			`click:"old label"`:          {"r2"},
			`click:"new label"`:          {"r1"},
			"console:stays":              {"r1"},
			"input:email":                {"r1"},
			"event:arrived-meanwhile":    {"r1"},
			"event.prop.userId:kept":     nil,
			`"kept-in-clear"`:            nil,
			`-click:"old label" url:zzz`: nil,
		} {
			if got := find(query); !slices.Equal(got, want) {
				t.Errorf("after ReplaceSearch, search %q = %v, want %v", query, got, want)
			}
		}
		// A session the index does not hold (erased meanwhile) is left alone.
		if err := db.ReplaceSearch(ctx, rp.ID, "erased", values, nil, 1<<62); err != nil {
			t.Errorf("ReplaceSearch of a session the index does not hold: %v", err)
		}
		if got := find("input:email"); !slices.Equal(got, []string{"r1"}) {
			t.Errorf("after replacing the rows of a session not held, input:email = %v, want r1 alone", got)
		}
	})
}

// batches returns the session's batches: the first carries its pages, the
// second (a second later) its text and counts.
func (s searchSession) batches(projectID int64) []*playhead.IndexedBatch {
	start := s.started.UnixMilli()
	end := s.started.Add(s.dur).UnixMilli()
	first := &playhead.IndexedBatch{ProjectID: projectID, SessionID: s.id, UserAgent: s.ua, UserHash: s.user, Pages: s.pages,
		Ref: playhead.BatchRef{Seq: 0, FirstTs: start, LastTs: start + 1, Events: 3, Bytes: 30}}
	for _, u := range s.pages {
		first.Search = append(first.Search, playhead.SearchText{Field: search.FieldURL, Value: u})
	}
	second := &playhead.IndexedBatch{ProjectID: projectID, SessionID: s.id, UserAgent: s.ua,
		Ref:    playhead.BatchRef{Seq: 1, FirstTs: start + 1, LastTs: end, Events: 3, Bytes: 30},
		Clicks: s.clicks, Errors: s.errors, RageClicks: s.rage, DeadClicks: s.dead, ErrorClicks: s.errorClicks,
		ActiveMs: s.active.Milliseconds()}
	for _, line := range s.text {
		field, value, ok := strings.Cut(line, "=")
		if !ok {
			panic(fmt.Sprintf("search text %q is not field=value", line))
		}
		second.Search = append(second.Search, playhead.SearchText{Field: field, Value: value})
	}
	return []*playhead.IndexedBatch{first, second}
}

func ids(list []*playhead.Session) []string {
	var out []string
	for _, s := range list {
		out = append(out, s.ID)
	}
	return out
}
