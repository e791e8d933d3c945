package ingest_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/ingest"
	"github.com/playhead/playhead/search"
)

// TestExtractFonts: a FontFace the page added (rrweb's Font event, recorded
// once) is indexed in the timeline as the whole event, for the player to
// hand every later segment; one too large to index is left out.
func TestExtractFonts(t *testing.T) {
	in, db, p := newIngester(t)
	byURL := `{"type":3,"timestamp":1795807228400,"data":{"source":10,"family":"Brand Sans","fontSource":"url(\"https://shop.test/fonts/brand.woff2\")","buffer":false,"descriptors":{"weight":"700","style":"italic"}}}`
	byBytes := `{"type":3,"timestamp":1795807228500,"data":{"source":10,"family":"Inline","fontSource":"[119,79,70,50]","buffer":true}}`
	huge := fmt.Sprintf(`{"type":3,"timestamp":1795807228600,"data":{"source":10,"family":"Huge","fontSource":"[%s0]","buffer":true}}`, strings.Repeat("0,", 150<<10))
	body := batch(strings.Join([]string{
		`{"type":4,"timestamp":1795807228300,"data":{"href":"http://shop.test/","width":800,"height":600}}`,
		`{"type":2,"timestamp":1795807228301,"data":{"node":{},"initialOffset":{"top":0,"left":0}}}`,
		byURL, byBytes, huge,
		`{"type":3,"timestamp":1795807228700,"data":{"source":2,"type":2,"id":5,"x":10,"y":20}}`,
	}, ","))
	b, err := ingest.ParseBatch(body, ingest.DefaultLimits, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Ingest(t.Context(), p, b, ingest.Origin{}); err != nil {
		t.Fatal(err)
	}
	tl, err := db.Timeline(t.Context(), p.ID, "abcdefgh12345678")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	fonts := map[string]json.RawMessage{}
	for _, e := range tl {
		got = append(got, fmt.Sprintf("%d %s %s", e.Ts-1795807228000, e.Kind, e.Label))
		if e.Kind == playhead.KindFont {
			fonts[e.Label] = e.Detail
		}
	}
	want := []string{"300 navigation http://shop.test/", "400 font Brand Sans", "500 font Inline", "700 click Click"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("timeline:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for family, event := range map[string]string{"Brand Sans": byURL, "Inline": byBytes} {
		var gotEvent, wantEvent any
		if err := json.Unmarshal(fonts[family], &gotEvent); err != nil {
			t.Fatalf("font %q: detail %s: %v", family, fonts[family], err)
		}
		json.Unmarshal([]byte(event), &wantEvent)
		if !reflect.DeepEqual(gotEvent, wantEvent) {
			t.Errorf("font %q: detail\n%s\nwant the recorded event\n%s", family, fonts[family], event)
		}
	}
}

func TestTruncateKeepsStorableText(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"plain", 100, "plain"},
		{"nul\x00byte", 100, "nul\uFFFDbyte"},
		{"bad\xffutf8", 100, "bad\uFFFDutf8"},
		{"élan, cut here", 5, "élan"},
		{"é", 1, ""}, // never half a character
	} {
		if got := ingest.TruncateForTest(c.in, c.n); got != c.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

// TestExtractPropertiesAndReferrer: setMetadata properties, custom events'
// scalar properties and the page's referrer become searchable (meta.KEY:,
// event.prop.KEY:, referrer:); a property's object value and the metadata
// event itself are not.
func TestExtractPropertiesAndReferrer(t *testing.T) {
	in, db, p := newIngester(t)
	body := batch(strings.Join([]string{
		`{"type":4,"timestamp":1795807228300,"data":{"href":"http://shop.test/","width":800,"height":600}}`,
		`{"type":5,"timestamp":1795807228310,"data":{"tag":"playhead.referrer","payload":{"url":"https://news.example/item?id=7"}}}`,
		`{"type":5,"timestamp":1795807228320,"data":{"tag":"playhead.metadata","payload":{"key":"plan","value":"enterprise"}}}`,
		`{"type":5,"timestamp":1795807228330,"data":{"tag":"playhead.metadata","payload":{"key":"seats","value":25}}}`,
		`{"type":5,"timestamp":1795807228340,"data":{"tag":"checkout","payload":{"coupon":"SPRING","total":12.5,"gift":true,"items":{"n":2}}}}`,
		`{"type":5,"timestamp":1795807228350,"data":{"tag":"playhead.identify","payload":{"userId":"user-in-clear-81","traits":{"plan":"gold"}}}}`,
		`{"type":5,"timestamp":1795807228360,"data":{"tag":"playhead.report","payload":{"text":"the cart is empty","email":"reporter@shop.test"}}}`,
	}, ","))
	b, err := ingest.ParseBatch(body, ingest.DefaultLimits, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Ingest(t.Context(), p, b, ingest.Origin{}); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]int{
		"meta.plan:enterprise":     1,
		"meta.seats:25":            1,
		"meta.plan:free":           0,
		"event.prop.coupon:spring": 1,
		"event.prop.total:12.5":    1,
		"event.prop.gift:true":     1,
		"event.prop.items:2":       0,
		"event.prop.n:2":           0,
		"event:checkout":           1,
		"event:playhead.metadata":  0,
		"referrer:news.example":    1,
		"referrer:shop.test":       0,
		// What identify and reports say stays out of the search rows:
		// the user ID is found only through its keyed hash (user:).
		"user-in-clear-81":          0,
		"event.prop.userId:user":    0,
		"event:playhead.identify":   0,
		"event:playhead.report":     0,
		"event.prop.email:reporter": 0,
		"event.prop.text:cart":      0,
		"has:report":                1,
	} {
		e, err := search.Parse(q)
		if err != nil {
			t.Fatalf("Parse(%q): %v", q, err)
		}
		list, _, err := db.Sessions(t.Context(), playhead.SessionFilter{ProjectID: p.ID, Query: e, Now: now, Limit: 10})
		if err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		if len(list) != want {
			t.Errorf("search %q found %d sessions, want %d", q, len(list), want)
		}
	}
}

// TestActiveTime: each interaction counts until the next one, for at most
// 5 s, and never past the batch's last event; the session sums its
// batches.
func TestActiveTime(t *testing.T) {
	in, db, p := newIngester(t)
	const t0 = 1795807228300
	ev := func(ms int, data string) string {
		return fmt.Sprintf(`{"type":3,"timestamp":%d,"data":%s}`, t0+ms, data)
	}
	body := batch(strings.Join([]string{
		`{"type":4,"timestamp":1795807228300,"data":{"href":"http://shop.test/","width":800,"height":600}}`,
		ev(0, `{"source":1,"positions":[{"x":1,"y":1,"id":1,"timeOffset":0}]}`),
		ev(1000, `{"source":2,"type":2,"id":5,"x":10,"y":20}`), // click: 2 s to the scroll
		ev(3000, `{"source":3,"id":1,"x":0,"y":100}`),          // scroll: 5 s of the 17 s to the input
		ev(20000, `{"source":5,"id":7,"text":"*****","isChecked":false}`),
		ev(21000, `{"source":0,"texts":[],"attributes":[],"removes":[],"adds":[]}`), // a mutation is not the user
		ev(22000, `{"source":0,"texts":[],"attributes":[],"removes":[],"adds":[]}`), // the batch's end: 2 s after the input
	}, ","))
	b, err := ingest.ParseBatch(body, ingest.DefaultLimits, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Ingest(t.Context(), p, b, ingest.Origin{}); err != nil {
		t.Fatal(err)
	}
	s, err := db.Session(t.Context(), p.ID, "abcdefgh12345678")
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(1000 + 2000 + 5000 + 2000); s.ActiveMs != want {
		t.Errorf("active = %d ms, want %d", s.ActiveMs, want)
	}
}
