package sourcemaps_test

import (
	"os"
	"strings"
	"testing"

	"github.com/playhead/playhead/sourcemaps"
)

// stack is what Chromium reports for shop.min.js (testdata) called with
// undefined, as the SDK records it.
const stack = `TypeError: Cannot read properties of undefined (reading 'items')
    at t (https://shop.example/static/shop.min.js:1:30)
    at d (https://shop.example/static/shop.min.js:1:84)
    at HTMLButtonElement.<anonymous> (https://shop.example/static/vendor.js:2:10)`

func TestResolveRealStack(t *testing.T) {
	data, err := os.ReadFile("testdata/shop.min.js.map")
	if err != nil {
		t.Fatal(err)
	}
	m, err := sourcemaps.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	frames := sourcemaps.ParseStack(stack)
	if len(frames) != 3 || frames[0].Function != "t" || frames[0].File != "https://shop.example/static/shop.min.js" || frames[0].Line != 1 || frames[0].Column != 30 ||
		frames[2].Function != "HTMLButtonElement.<anonymous>" {
		t.Fatalf("frames = %+v", frames)
	}
	names := []string{"shop.min.js", "static/shop.min.js", "other.js"}
	for i := range frames[:2] {
		if got := sourcemaps.Match(frames[i].File, names); got != "static/shop.min.js" {
			t.Errorf("Match = %q, want the longest name that ends the path", got)
		}
		m.Resolve(&frames[i])
	}
	if sourcemaps.Match(frames[2].File, names) != "" {
		t.Error("vendor.js matched a map")
	}
	o := frames[0].Original
	if o == nil || o.File != "shop.ts" || o.Line != 9 || o.Column != 16 {
		t.Fatalf("frame 0 original = %+v, want shop.ts:9:16 (order.items)", o)
	}
	var at string
	for _, l := range o.Context {
		if l.Line == o.Line {
			at = l.Text
		}
	}
	if !strings.Contains(at, "return order.items.reduce") || len(o.Context) != 7 {
		t.Errorf("context = %+v", o.Context)
	}
	if o := frames[1].Original; o == nil || o.Line != 13 || !strings.Contains(o.Context[3].Text, "total(order as Order)") {
		t.Errorf("frame 1 original = %+v, want shop.ts:13", o)
	}
}

func TestParseFramesOfEveryEngine(t *testing.T) {
	for _, c := range []struct {
		line, fn, file string
		l, col         int
	}{
		{"    at https://x.example/a.js:10:5", "", "https://x.example/a.js", 10, 5},
		{"    at async load (https://x.example/a.js:3:7)", "load", "https://x.example/a.js", 3, 7},
		{"render@https://x.example/a.js:4:9", "render", "https://x.example/a.js", 4, 9},
		{"@https://x.example/a.js:4:9", "", "https://x.example/a.js", 4, 9},
		{"onClick (http://127.0.0.1:8080/demo/static/app.js:120:11)", "onClick", "http://127.0.0.1:8080/demo/static/app.js", 120, 11},
	} {
		f := sourcemaps.ParseFrames([]string{c.line})
		if len(f) != 1 || f[0].Function != c.fn || f[0].File != c.file || f[0].Line != c.l || f[0].Column != c.col {
			t.Errorf("%q: %+v", c.line, f)
		}
	}
	if f := sourcemaps.ParseStack("Error: boom\nno frame here"); len(f) != 0 {
		t.Errorf("frames of a stack without any = %+v", f)
	}
}

func TestParseRefusesWhatIsNotAMap(t *testing.T) {
	for _, bad := range []string{"", "{}x", `{"version":2,"mappings":""}`, `[1,2]`} {
		if _, err := sourcemaps.Parse([]byte(bad)); err == nil || !strings.HasPrefix(err.Error(), "not a source map") {
			t.Errorf("Parse(%q) = %v", bad, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	data, _ := os.ReadFile("testdata/shop.min.js.map")
	f.Add(data)
	f.Add([]byte(`{"version":3,"sections":[{"offset":{"line":0,"column":0},"map":{"version":3,"sources":["a"],"mappings":"AAAA"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := sourcemaps.Parse(data)
		if err != nil {
			return
		}
		for _, fr := range sourcemaps.ParseStack(stack) {
			m.Resolve(&fr)
		}
	})
}
