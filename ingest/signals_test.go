package ingest

import (
	"fmt"
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
	ib := extract(b, thresholdsOf(playhead.ProjectSettings{}))
	if ib.RageClicks != 1 || ib.DeadClicks != 1 || ib.ErrorClicks != 1 {
		t.Errorf("rage, dead, error clicks = %d, %d, %d; want 1, 1, 1", ib.RageClicks, ib.DeadClicks, ib.ErrorClicks)
	}
	// A project's own thresholds decide what counts: more clicks for a
	// rage click, longer to wait before a click is dead.
	strict := extract(b, thresholdsOf(playhead.ProjectSettings{RageClicks: 10, DeadClickMs: 60_000}))
	if strict.RageClicks != 0 || strict.DeadClicks != 0 || strict.ErrorClicks != 1 {
		t.Errorf("with stricter thresholds: rage, dead, error clicks = %d, %d, %d; want 0, 0, 1", strict.RageClicks, strict.DeadClicks, strict.ErrorClicks)
	}
	var signals []string
	for _, e := range ib.Timeline {
		switch e.Kind {
		case playhead.KindRageClick, playhead.KindDeadClick, playhead.KindErrorClick:
			signals = append(signals, fmt.Sprintf("%d %s %s", e.Ts-t0, e.Kind, e.Label))
		}
	}
	slices.Sort(signals)
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
	ib := extract(b, thresholdsOf(playhead.ProjectSettings{}))
	if ib.ErrorClicks != 1 {
		t.Fatalf("error clicks = %d, want 1 (the click at 450 ms)", ib.ErrorClicks)
	}
	for _, e := range ib.Timeline {
		if e.Kind == playhead.KindErrorClick && e.Ts != t0+450 {
			t.Fatalf("error click at %d, want the last click before the error (%d)", e.Ts, t0+450)
		}
	}
}
