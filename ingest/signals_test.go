package ingest

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/search"
)

// TestSignalsAndSearchText: one batch's frustration signals (a rage click,
// a dead click on a link, an error click on a button's label) and its
// searchable text, read after scrubbing, so the e-mail address a console
// message held is not among it.
func TestSignalsAndSearchText(t *testing.T) {
	const t0 = 1795807228000
	ev := func(ms int, format string, args ...any) string {
		return fmt.Sprintf(`{"timestamp":%d,`, t0+ms) + fmt.Sprintf(format, args...)[1:]
	}
	click := func(ms, id, x, y int) string {
		return ev(ms, `{"type":3,"data":{"source":2,"type":2,"id":%d,"x":%d,"y":%d}}`, id, x, y)
	}
	snapshot := `{"type":0,"id":1,"childNodes":[{"type":2,"id":2,"tagName":"html","attributes":{},"childNodes":[
		{"type":2,"id":3,"tagName":"head","attributes":{},"childNodes":[{"type":2,"id":4,"tagName":"title","attributes":{},"childNodes":[{"type":3,"id":5,"textContent":"Checkout - Shop"}]}]},
		{"type":2,"id":6,"tagName":"body","attributes":{},"childNodes":[
			{"type":2,"id":10,"tagName":"button","attributes":{},"childNodes":[{"type":3,"id":11,"textContent":" Place\n order "}]},
			{"type":2,"id":12,"tagName":"a","attributes":{"href":"/help"},"childNodes":[{"type":3,"id":13,"textContent":"Help"}]},
			{"type":2,"id":14,"tagName":"div","attributes":{},"childNodes":[{"type":3,"id":15,"textContent":"plain"}]}]}]}]}`
	events := []string{
		ev(0, `{"type":4,"data":{"href":"https://shop.test/checkout","width":800,"height":600}}`),
		ev(1, `{"type":2,"data":{"node":%s,"initialOffset":{"top":0,"left":0}}}`, snapshot),
		click(1000, 11, 100, 100),
		ev(1200, `{"type":3,"data":{"source":0,"texts":[],"attributes":[],"removes":[],"adds":[]}}`),
		ev(1500, `{"type":5,"data":{"tag":"playhead.error","payload":{"message":"TypeError: boom\n at x.js:1"}}}`),
		click(5000, 13, 300, 300),
		click(6000, 15, 50, 50), click(6200, 15, 55, 52), click(6400, 15, 60, 60),
		ev(8000, `{"type":5,"data":{"tag":"signup","payload":{}}}`),
		ev(8500, `{"type":5,"data":{"tag":"playhead.network","payload":{"method":"post","url":"https://api.test/order","status":503,"start":%d}}}`, t0+8400),
		ev(9000, `{"type":6,"data":{"plugin":"rrweb/console@1","payload":{"level":"warn","payload":["mail jane@example.com failed"]}}}`),
	}
	body := `{"v":1,"sid":"abcdefgh12345678","seq":0,"events":[` + strings.Join(events, ",") + `]}`
	now := time.UnixMilli(t0).Add(time.Hour)
	b, err := ParseBatch([]byte(body), DefaultLimits, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Scrub(b, now); err != nil {
		t.Fatal(err)
	}
	ib := extract(b, thresholdsOf(playhead.ProjectSettings{}), true)
	st := newStoredSession(t)
	s := st.store(ib)
	if s.RageClicks != 1 || s.DeadClicks != 1 || s.ErrorClicks != 1 {
		t.Errorf("rage, dead, error clicks = %d, %d, %d; want 1, 1, 1", s.RageClicks, s.DeadClicks, s.ErrorClicks)
	}
	// A project's own thresholds decide what counts: more clicks for a
	// rage click, longer to wait before a click is dead.
	strict := newStoredSession(t).store(extract(b, thresholdsOf(playhead.ProjectSettings{RageClicks: 10, DeadClickMs: 60_000}), true))
	if strict.RageClicks != 0 || strict.DeadClicks != 0 || strict.ErrorClicks != 1 {
		t.Errorf("with stricter thresholds: rage, dead, error clicks = %d, %d, %d; want 0, 0, 1", strict.RageClicks, strict.DeadClicks, strict.ErrorClicks)
	}
	signals := st.signals(t0)
	want := []string{"1000 error_click Error click: TypeError: boom", "5000 dead_click Dead click: Help", "6000 rage_click Rage click: 3 clicks"}
	if !reflect.DeepEqual(signals, want) {
		t.Errorf("signals:\n%s\nwant:\n%s", strings.Join(signals, "\n"), strings.Join(want, "\n"))
	}
	// A click's entry names what was clicked, and carries the values a
	// search found the session by, so a search finds the moment.
	var clicks []string
	for _, e := range ib.Timeline {
		if e.Kind != playhead.KindClick {
			continue
		}
		clicks = append(clicks, fmt.Sprintf("%d %s", e.Ts-t0, e.Label))
		if e.Ts == t0+1000 {
			if v := MomentValues(&e); !slices.Contains(v, search.FieldValue{Field: search.FieldClick, Value: "Place order"}) {
				t.Errorf("MomentValues of the click on Place order = %v", v)
			}
		}
	}
	if want := []string{"1000 Click: Place order", "5000 Click: Help", "6000 Click: plain", "6200 Click: plain", "6400 Click: plain"}; !slices.Equal(clicks, want) {
		t.Errorf("click entries:\n%s\nwant:\n%s", strings.Join(clicks, "\n"), strings.Join(want, "\n"))
	}
	for _, e := range ib.Timeline {
		var want []search.FieldValue
		switch e.Kind {
		case playhead.KindRequest:
			want = []search.FieldValue{{Field: search.FieldRequest, Value: "POST https://api.test/order"}, {Field: search.FieldRequestMethod, Value: "POST"},
				{Field: search.FieldRequestStatus, Value: "503"}, {Field: search.FieldRequestFailed, Value: "true"}}
		case playhead.KindError:
			want = []search.FieldValue{{Field: search.MomentError}, {Field: search.FieldError, Value: "TypeError: boom\n at x.js:1"}}
		case playhead.KindConsole:
			want = []search.FieldValue{{Field: search.FieldConsole, Value: "mail **************** failed"}, {Field: search.FieldConsoleLevel, Value: "warn"}}
		case playhead.KindCustom:
			want = []search.FieldValue{{Field: search.FieldEvent, Value: "signup"}}
		case playhead.KindRageClick:
			want = []search.FieldValue{{Field: search.MomentRage}}
		default:
			continue
		}
		if got := MomentValues(&e); !slices.Equal(got, want) {
			t.Errorf("MomentValues(%s entry) = %q, want %q", e.Kind, got, want)
		}
	}
	var got []string
	for _, s := range ib.Search {
		got = append(got, s.Field+"="+s.Value)
		if strings.Contains(s.Value, "jane@example.com") {
			t.Errorf("search text %q holds a value the scrubber masked", s.Value)
		}
	}
	for _, w := range []string{"url=https://shop.test/checkout", "title=Checkout - Shop", "click=Place order", "click=Help", "click=plain",
		"error=TypeError: boom\n at x.js:1", "request=POST https://api.test/order", "request.method=POST", "request.status=503",
		"request.failed=true", "event=signup", "console.level=warn"} {
		if !slices.Contains(got, w) {
			t.Errorf("search text lacks %q; has:\n%s", w, strings.Join(got, "\n"))
		}
	}
}

func TestParseUserAgent(t *testing.T) {
	tests := []struct{ ua, browser, os, device string }{
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1", "Safari", "iOS", "Mobile"},
		{"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox", "Linux", "Desktop"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome", "Windows", "Desktop"},
		{"", "", "", ""},
	}
	for _, tt := range tests {
		b, o, d := parseUserAgent(tt.ua)
		if b != tt.browser || o != tt.os || d != tt.device {
			t.Errorf("parseUserAgent(%q) = %q, %q, %q; want %q, %q, %q", tt.ua, b, o, d, tt.browser, tt.os, tt.device)
		}
	}
}

// TestErrorClickIsTheClickBeforeTheError: of several clicks before an
// error, only the last set it off; a second error after the same click
// does not count it again.
func TestErrorClickIsTheClickBeforeTheError(t *testing.T) {
	const t0 = 1795807228000
	ev := func(ms int, body string) string {
		return fmt.Sprintf(`{"timestamp":%d,`, t0+ms) + body[1:]
	}
	var events []string
	for i, ms := range []int{0, 150, 300, 450} {
		events = append(events, ev(ms, fmt.Sprintf(`{"type":3,"data":{"source":2,"type":2,"id":%d,"x":%d,"y":10}}`, 20+i, 100*i)))
	}
	events = append(events,
		ev(600, `{"type":5,"data":{"tag":"playhead.error","payload":{"message":"TypeError: first"}}}`),
		ev(700, `{"type":5,"data":{"tag":"playhead.error","payload":{"message":"TypeError: second"}}}`))
	body := `{"v":1,"sid":"abcdefgh12345678","seq":1,"events":[` + strings.Join(events, ",") + `]}`
	now := time.UnixMilli(t0).Add(time.Hour)
	b, err := ParseBatch([]byte(body), DefaultLimits, now)
	if err != nil {
		t.Fatal(err)
	}
	st := newStoredSession(t)
	if s := st.store(extract(b, thresholdsOf(playhead.ProjectSettings{}), true)); s.ErrorClicks != 1 {
		t.Fatalf("error clicks = %d, want 1 (the click at 450 ms)", s.ErrorClicks)
	}
	for _, e := range st.timeline {
		if e.Kind == playhead.KindErrorClick && e.Ts != t0+450 {
			t.Fatalf("error click at %d, want the last click before the error (%d)", e.Ts, t0+450)
		}
	}
}

// storedSession stores batches of one session as an index would, group by
// group: each group sees the state (summary, carried state) the earlier
// ones left.
type storedSession struct {
	t        *testing.T
	state    *playhead.GroupState
	timeline []playhead.TimelineEntry
	search   []string
}

func newStoredSession(t *testing.T) *storedSession {
	return &storedSession{t: t, state: &playhead.GroupState{Stored: map[playhead.BatchID]bool{},
		Sessions: map[playhead.SessionRef]*playhead.Session{}, Keys: map[playhead.SessionRef]*playhead.DataKey{},
		Carry: map[playhead.SessionRef]*playhead.SessionCarry{}}}
}

// store stores one group and returns the session's summary after it.
func (st *storedSession) store(group ...*playhead.IndexedBatch) *playhead.Session {
	st.t.Helper()
	w, results := decideGroup(group, st.state, playhead.SessionLimits{}, time.Now())
	for i, r := range results {
		if r.Err != nil || r.Duplicate {
			st.t.Fatalf("batch %d: %+v", i, r)
		}
	}
	for _, b := range w.Batches {
		st.state.Stored[playhead.BatchID{ProjectID: b.ProjectID, SessionID: b.SessionID, Seq: b.Ref.Seq}] = true
		st.timeline = append(st.timeline, b.Timeline...)
		for _, v := range b.Search {
			st.search = append(st.search, v.Field+"="+v.Value)
		}
	}
	var last *playhead.Session
	for _, s := range w.Sessions {
		ref := playhead.SessionRef{ProjectID: s.ProjectID, SessionID: s.ID}
		st.state.Sessions[ref], last = s, s
	}
	for _, c := range w.Carry {
		ref := playhead.SessionRef{ProjectID: c.ProjectID, SessionID: c.SessionID}
		old := st.state.Carry[ref]
		if old == nil {
			old = &playhead.SessionCarry{ProjectID: c.ProjectID, SessionID: c.SessionID}
			st.state.Carry[ref] = old
		}
		if c.Search != nil {
			old.Search = c.Search
		}
		if c.Signals != nil {
			old.Signals = c.Signals
		}
		if c.Nodes != nil {
			old.Nodes = c.Nodes
		}
	}
	return last
}

// signals returns the frustration signals stored, as "ms kind label"
// counted from t0, in order.
func (st *storedSession) signals(t0 int64) []string {
	var out []string
	for _, e := range st.timeline {
		switch e.Kind {
		case playhead.KindRageClick, playhead.KindDeadClick, playhead.KindErrorClick:
			out = append(out, fmt.Sprintf("%d %s %s", e.Ts-t0, e.Kind, e.Label))
		}
	}
	slices.Sort(out)
	return out
}

// splitBatches parses batches of one session, given as lists of events
// ("ms" prefixed JSON bodies, see ev), each read for its signals.
func splitBatches(t *testing.T, t0 int64, batches ...[]string) []*playhead.IndexedBatch {
	t.Helper()
	var out []*playhead.IndexedBatch
	for seq, events := range batches {
		body := fmt.Sprintf(`{"v":1,"sid":"abcdefgh12345678","seq":%d,"events":[%s]}`, seq, strings.Join(events, ","))
		now := time.UnixMilli(t0).Add(time.Hour)
		b, err := ParseBatch([]byte(body), DefaultLimits, now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Scrub(b, now); err != nil {
			t.Fatal(err)
		}
		ib := extract(b, thresholdsOf(playhead.ProjectSettings{}), true)
		ib.ProjectID = 1
		out = append(out, ib)
	}
	return out
}

// TestSignalsAcrossBatches: each frustration signal is found when its
// clicks and their aftermath are split between two batches, stored in
// separate groups and in one; and found once, not once per batch.
func TestSignalsAcrossBatches(t *testing.T) {
	const t0 = 1795807228000
	ev := func(ms int, format string, args ...any) string {
		return fmt.Sprintf(`{"timestamp":%d,`, t0+ms) + fmt.Sprintf(format, args...)[1:]
	}
	click := func(ms, id, x, y int) string {
		return ev(ms, `{"type":3,"data":{"source":2,"type":2,"id":%d,"x":%d,"y":%d}}`, id, x, y)
	}
	mutation := func(ms int) string {
		return ev(ms, `{"type":3,"data":{"source":0,"texts":[],"attributes":[],"removes":[],"adds":[]}}`)
	}
	mouseMove := func(ms int) string {
		return ev(ms, `{"type":3,"data":{"source":1,"positions":[{"x":1,"y":1,"id":6,"timeOffset":0}]}}`)
	}
	jsError := func(ms int, msg string) string {
		return ev(ms, `{"type":5,"data":{"tag":"playhead.error","payload":{"message":%q}}}`, msg)
	}
	snapshot := ev(1, `{"type":2,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":2,"id":2,"tagName":"html","attributes":{},"childNodes":[
		{"type":2,"id":6,"tagName":"body","attributes":{},"childNodes":[
			{"type":2,"id":10,"tagName":"button","attributes":{"type":"submit"},"childNodes":[{"type":2,"id":11,"tagName":"span","attributes":{},"childNodes":[{"type":3,"id":12,"textContent":"Place order"}]}]},
			{"type":2,"id":20,"tagName":"a","attributes":{"href":"/help"},"childNodes":[{"type":3,"id":21,"textContent":"Help"}]},
			{"type":2,"id":30,"tagName":"div","attributes":{},"childNodes":[{"type":3,"id":31,"textContent":"plain"}]}]}]}]},"initialOffset":{"top":0,"left":0}}}`)
	meta := ev(0, `{"type":4,"data":{"href":"https://shop.test/checkout","width":800,"height":600}}`)

	tests := []struct {
		name    string
		batches [][]string
		want    []string
	}{
		{"rage series split 2+2", [][]string{
			{meta, snapshot, mutation(100), click(5000, 31, 50, 50), click(5200, 31, 52, 50)},
			{click(5400, 31, 55, 55), click(5600, 31, 50, 52), mouseMove(9000)},
		}, []string{"5000 rage_click Rage click: 4 clicks"}},
		{"rage series split 1+3", [][]string{
			{meta, snapshot, mutation(100), click(5000, 31, 50, 50)},
			{click(5100, 31, 52, 50), click(5200, 31, 55, 55), click(5300, 31, 50, 52), mouseMove(9000)},
		}, []string{"5000 rage_click Rage click: 4 clicks"}},
		{"dead click whose window crosses into the next batch", [][]string{
			{meta, snapshot, mutation(100), click(5000, 12, 10, 10), mouseMove(5500)},
			{mouseMove(6000), mouseMove(8000)},
		}, []string{"5000 dead_click Dead click: Place order"}},
		{"click answered in the next batch is not dead", [][]string{
			{meta, snapshot, mutation(100), click(5000, 12, 10, 10), mouseMove(5500)},
			{mutation(6000), mouseMove(8000)},
		}, nil},
		{"error click whose error is in the next batch", [][]string{
			{meta, snapshot, mutation(100), click(5000, 31, 10, 10), mutation(5100)},
			{jsError(5600, "TypeError: late"), mutation(5700), mouseMove(9000)},
		}, []string{"5000 error_click Error click: TypeError: late"}},
		{"click on an element of an earlier batch's snapshot", [][]string{
			{meta, snapshot, mutation(100), mouseMove(4000)},
			{click(5000, 21, 10, 10), mouseMove(9000)},
		}, []string{"5000 dead_click Dead click: Help"}},
	}
	for _, tt := range tests {
		for _, grouped := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/one group=%v", tt.name, grouped), func(t *testing.T) {
				batches := splitBatches(t, t0, tt.batches...)
				st := newStoredSession(t)
				if grouped {
					st.store(batches...)
				} else {
					for _, b := range batches {
						st.store(b)
					}
				}
				if got := st.signals(t0); !reflect.DeepEqual(got, tt.want) {
					t.Errorf("signals:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
				}
			})
		}
	}
	// The text of a click on an earlier snapshot's element is searchable.
	st := newStoredSession(t)
	for _, b := range splitBatches(t, t0, tests[len(tests)-1].batches...) {
		st.store(b)
	}
	if !slices.Contains(st.search, "click=Help") {
		t.Errorf("search values %q lack click=Help", st.search)
	}
}

// TestSearchValuesAreSentOnce: a value the session's earlier batches
// gave is not sent to the index again.
func TestSearchValuesAreSentOnce(t *testing.T) {
	const t0 = 1795807228000
	console := func(ms int, msg string) string {
		return fmt.Sprintf(`{"timestamp":%d,"type":6,"data":{"plugin":"rrweb/console@1","payload":{"level":"log","payload":[%q]}}}`, t0+ms, msg)
	}
	batches := splitBatches(t, t0, []string{console(0, "ready"), console(10, "cart 1")}, []string{console(5000, "ready"), console(5010, "cart 2")})
	st := newStoredSession(t)
	st.store(batches[0])
	st.store(batches[1])
	want := []string{"console=cart 1", "console=ready", "console.level=log", "console=cart 2"}
	if !reflect.DeepEqual(st.search, want) {
		t.Errorf("values sent: %q; want %q", st.search, want)
	}
}

// TestInputLabels: a field typed into is searchable by its label (the
// aria-label, the <label> for it or around it, the placeholder, the name),
// never by what was typed, whether the batch that typed knew the field or
// an earlier batch's snapshot did; each field's first input in a batch is
// a moment on the timeline.
func TestInputLabels(t *testing.T) {
	const t0 = 1795807228000
	ev := func(ms int, format string, args ...any) string {
		return fmt.Sprintf(`{"timestamp":%d,`, t0+ms) + fmt.Sprintf(format, args...)[1:]
	}
	input := func(ms, id int, text string) string {
		return ev(ms, `{"type":3,"data":{"source":5,"text":%q,"isChecked":false,"id":%d}}`, text, id)
	}
	meta := ev(0, `{"type":4,"data":{"href":"https://shop.test/signup","width":800,"height":600}}`)
	snapshot := ev(1, `{"type":2,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":2,"id":2,"tagName":"html","attributes":{},"childNodes":[
		{"type":2,"id":6,"tagName":"body","attributes":{},"childNodes":[
			{"type":2,"id":10,"tagName":"label","attributes":{"for":"email"},"childNodes":[{"type":3,"id":11,"textContent":"Work e-mail"}]},
			{"type":2,"id":12,"tagName":"input","attributes":{"id":"email","type":"email","name":"mail"},"childNodes":[]},
			{"type":2,"id":20,"tagName":"label","attributes":{},"childNodes":[{"type":3,"id":21,"textContent":"Coupon "},
				{"type":2,"id":22,"tagName":"input","attributes":{"type":"text"},"childNodes":[]}]},
			{"type":2,"id":30,"tagName":"input","attributes":{"aria-label":"Search products","placeholder":"Search…"},"childNodes":[]},
			{"type":2,"id":40,"tagName":"textarea","attributes":{"placeholder":"Delivery notes"},"childNodes":[]},
			{"type":2,"id":50,"tagName":"select","attributes":{"name":"country"},"childNodes":[]},
			{"type":2,"id":60,"tagName":"input","attributes":{"type":"submit","value":"Go"},"childNodes":[]}]}]}]},"initialOffset":{"top":0,"left":0}}}`)
	want := []string{"input=Work e-mail", "input=Coupon", "input=Search products", "input=Delivery notes", "input=country"}
	typing := func(from int) []string {
		return []string{input(from, 12, "jane@example.com"), input(from+100, 12, "jane@example.org"), input(from+200, 22, "SAVE10"),
			input(from+300, 30, "red shoes"), input(from+400, 40, "ring twice"), input(from+500, 50, "FR"), input(from+600, 60, "Go")}
	}
	for _, tt := range []struct {
		name    string
		batches [][]string
	}{
		{"in the batch of the snapshot", [][]string{append([]string{meta, snapshot}, typing(1000)...)}},
		{"in a later batch", [][]string{{meta, snapshot}, typing(5000)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := newStoredSession(t)
			for _, b := range splitBatches(t, t0, tt.batches...) {
				st.store(b)
			}
			var got []string
			for _, s := range st.search {
				if strings.HasPrefix(s, "input=") {
					got = append(got, s)
				}
				for _, typed := range []string{"jane@", "SAVE10", "red shoes", "ring twice"} {
					if strings.Contains(s, typed) {
						t.Errorf("search value %q holds what was typed", s)
					}
				}
			}
			slices.Sort(got)
			w := slices.Sorted(slices.Values(want))
			if !slices.Equal(got, w) {
				t.Errorf("input search values = %q, want %q", got, w)
			}
			var moments []string
			for _, e := range st.timeline {
				if e.Kind == playhead.KindInput {
					moments = append(moments, e.Label)
					if v := MomentValues(&e); len(v) != 1 || v[0].Field != search.FieldInput {
						t.Errorf("MomentValues(%q) = %v, want its input label", e.Label, v)
					}
				}
			}
			if want := []string{"Input: Work e-mail", "Input: Coupon", "Input: Search products", "Input: Delivery notes", "Input: country"}; !slices.Equal(moments, want) {
				t.Errorf("input moments = %q, want %q", moments, want)
			}
		})
	}
}

// TestMentions: a mutation names a node by "id":N, or as the parent of
// what it adds by "parentId":N; other ids (nextId) and longer numbers do
// not count.
func TestMentions(t *testing.T) {
	ids := map[int64]bool{12: true, 7: true}
	for _, tt := range []struct {
		raw     string
		parents bool
		want    bool
	}{
		{`{"adds":[{"parentId":3,"nextId":null,"node":{"type":2,"id":12}}]}`, false, true},
		{`{"adds":[{"parentId":3,"nextId":12,"node":{"type":2,"id":123}}]}`, true, false},
		{`{"adds":[{"parentId":7,"nextId":null,"node":{"type":3,"id":40}}]}`, true, true},
		{`{"adds":[{"parentId":7,"nextId":null,"node":{"type":3,"id":40}}]}`, false, false},
		{`{"texts":[{"id":1200,"value":"x"}],"attributes":[{"id":7}]}`, false, true},
		{`{"source":0,"id":12`, false, true},
		{`{"source":0,"valid":12}`, false, false},
	} {
		// a few ids are looked for one by one, more in one pass: both alike
		many := map[int64]bool{90001: true, 90002: true, 90003: true}
		maps.Copy(many, ids)
		for _, with := range []map[int64]bool{ids, many} {
			if got := mentions([]byte(tt.raw), with, tt.parents); got != tt.want {
				t.Errorf("mentions(%s, %d ids, parents=%v) = %v, want %v", tt.raw, len(with), tt.parents, got, tt.want)
			}
		}
	}
}

// TestAddMutation: the nodes a mutation added, read from its adds alone
// (what comes before them, and an entry that is not an add, is skipped),
// with their parents and children; an event that cannot be read adds
// nothing.
func TestAddMutation(t *testing.T) {
	dom := domIndex{1: {tag: "body"}}
	dom.addMutation([]byte(`{"type":3,"timestamp":1,"data":{"source":0,"texts":[{"id":1,"value":"x"}],"attributes":[{"id":1,"attributes":{"class":"a"}}],"removes":[{"parentId":1,"id":9}],` +
		`"adds":[7,{"parentId":1,"nextId":null,"node":{"type":2,"id":2,"tagName":"BUTTON","attributes":{"type":"submit","class":"b"},"childNodes":[{"type":3,"id":3,"textContent":"Pay now"}]}},` +
		`{"parentId":2,"extra":{"adds":[]},"node":{"type":3,"id":4,"textContent":" €12"}}]}}`))
	b := dom[2]
	if b == nil || b.tag != "button" || !b.actionable || b.parent != 1 || !slices.Equal(b.children, []int64{3, 4}) {
		t.Fatalf("button = %+v", b)
	}
	if !slices.Equal(dom[1].children, []int64{2}) || dom[3] == nil || dom[3].text != "Pay now" || dom[4] == nil || dom[4].parent != 2 || dom[4].text != " €12" {
		t.Errorf("body %+v, text %+v, %+v", dom[1], dom[3], dom[4])
	}
	if got := dom.clickText(2, b); got != "Pay now €12" {
		t.Errorf("clickText = %q", got)
	}
	for _, bad := range []string{
		`{"type":3,"data":{"source":0,"adds":[{"parentId":1,"node":{"type":2,"id":5,"tagName":"a"}}`,
		`[1,2]`,
		``,
	} {
		before := len(dom)
		dom.addMutation([]byte(bad))
		if len(dom) != before {
			t.Errorf("addMutation(%q) added %d nodes", bad, len(dom)-before)
		}
	}
}

// TestClickDetail: a click's detail is what json.Marshal writes of it.
func TestClickDetail(t *testing.T) {
	for _, c := range []struct {
		id   int64
		x, y float64
	}{{0, 0, 0}, {42, 12.5, 300}, {-1, -0.25, 1e-7}, {1 << 40, 1e21, 123456789.125}} {
		want, _ := json.Marshal(map[string]any{"id": c.id, "x": c.x, "y": c.y})
		if got := clickDetail(c.id, c.x, c.y); string(got) != string(want) {
			t.Errorf("clickDetail(%v) = %s, want %s", c, got, want)
		}
	}
}

// TestConsoleOf: a console entry's level and the strings of its payload;
// what is not a string, and the trace, are left out.
func TestConsoleOf(t *testing.T) {
	for _, tt := range []struct {
		payload, level string
		args           []string
	}{
		{`{"level":"warn","trace":["at f (a.js:1:2)"],"payload":["\"quoted\"","line\nnext"]}`, "warn", []string{`"quoted"`, "line\nnext"}},
		{`{"payload":[1,"two",{"three":3},["four"],null],"level":"error"}`, "error", []string{"two"}},
		{`{"level":7,"payload":"text"}`, "", nil},
		{`["log"]`, "", nil},
		{``, "", nil},
	} {
		level, args := consoleOf([]byte(tt.payload))
		if level != tt.level || !slices.Equal(args, tt.args) {
			t.Errorf("consoleOf(%s) = %q, %q; want %q, %q", tt.payload, level, args, tt.level, tt.args)
		}
	}
}

// domIndexOf parses one batch of events (rrweb JSON, timestamps included)
// and builds its DOM index for clicks on ids.
func domIndexOf(t *testing.T, ids []int64, events ...string) domIndex {
	t.Helper()
	body := `{"v":1,"sid":"abcdefgh12345678","seq":0,"events":[` + strings.Join(events, ",") + `]}`
	b, err := ParseBatch([]byte(body), DefaultLimits, time.UnixMilli(1795807228000).Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	dom, _ := newDOMIndex(b, ids)
	return dom
}

// TestDOMIndexReadsEveryMutation: of several mutations, the one that added
// the clicked node is read whatever comes after it, and its ancestors are
// found in another.
func TestDOMIndexReadsEveryMutation(t *testing.T) {
	mut := func(ms int, adds string) string {
		return fmt.Sprintf(`{"type":3,"timestamp":%d,"data":{"source":0,"texts":[],"attributes":[],"removes":[],"adds":[%s]}}`, 1795807228000+ms, adds)
	}
	dom := domIndexOf(t, []int64{2},
		mut(0, `{"parentId":1,"nextId":null,"node":{"type":2,"id":2,"tagName":"button","attributes":{},"childNodes":[{"type":3,"id":3,"textContent":"Save"}]}}`),
		mut(10, `{"parentId":40,"nextId":null,"node":{"type":2,"id":41,"tagName":"div","attributes":{},"childNodes":[]}}`),
		mut(20, `{"parentId":9,"nextId":null,"node":{"type":2,"id":1,"tagName":"form","attributes":{},"childNodes":[]}}`),
		mut(30, `{"parentId":50,"nextId":null,"node":{"type":2,"id":51,"tagName":"span","attributes":{},"childNodes":[]}}`),
		`{"type":3,"timestamp":1795807228040,"data":{"source":2,"type":2,"id":2,"x":1,"y":1}}`)
	if dom[2] == nil || dom[2].tag != "button" || dom.textOf(dom[2]) != "Save" {
		t.Fatalf("clicked node = %+v", dom[2])
	}
	if dom[1] == nil || dom[1].tag != "form" {
		t.Errorf("its parent = %+v", dom[1])
	}
	if dom[41] != nil || dom[51] != nil {
		t.Errorf("mutations naming no wanted node were read: %+v %+v", dom[41], dom[51])
	}
}

// TestDOMIndexEndsOnCycles: a page that makes a node its own parent (twice,
// so that it is its own child twice) or two nodes each other's parent does
// not keep indexing from finishing.
func TestDOMIndexEndsOnCycles(t *testing.T) {
	mut := `{"type":3,"timestamp":1795807228000,"data":{"source":0,"adds":[` +
		`{"parentId":5,"node":{"type":2,"id":5,"tagName":"div","attributes":{}}},{"parentId":5,"node":{"type":2,"id":5,"tagName":"div","attributes":{}}},` +
		`{"parentId":7,"node":{"type":2,"id":6,"tagName":"a","attributes":{"href":"/x"}}},{"parentId":6,"node":{"type":2,"id":7,"tagName":"div","attributes":{}}}]}}`
	click := func(id int) string {
		return fmt.Sprintf(`{"type":3,"timestamp":1795807228100,"data":{"source":2,"type":2,"id":%d,"x":1,"y":1}}`, id)
	}
	done := make(chan string)
	go func() {
		dom := domIndexOf(t, []int64{5, 6}, mut, click(5), click(6))
		el, _ := dom.resolve(5)
		done <- fmt.Sprintf("%q %q %d", dom.clickText(5, el), dom.textOf(dom[6]), len(dom.actionableNodes()))
	}()
	select {
	case got := <-done:
		t.Log(got)
	case <-time.After(10 * time.Second):
		t.Fatal("the DOM index of a batch whose nodes are their own ancestors did not finish in 10 s")
	}
}
