package privacy

import (
	"encoding/json"
	"testing"

	"github.com/playhead/playhead/testdata"
)

// The prefilters must only skip regexes that could not match: masking with
// and without them gives the same text.
func FuzzPrefilterChangesNothing(f *testing.F) {
	for _, s := range []string{"+44 (0)20 7946 0958", "4111 1111 1111 1111", "NL91ABNA0417164300", "1.2.3.4", "fe80::1",
		"ada@example.com", "219-09-9999", "(415) 555-2671", "01 42 68 53 00", "margin: 0 0 10px 20px", "12:30:45"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if a, b := maskPII(s, nil, true), maskPII(s, nil, false); a != b {
			t.Fatalf("with prefilter %q, without %q", a, b)
		}
	})
}

func TestPrefilterOnARealSession(t *testing.T) {
	events, err := testdata.Real60()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events[:3000] {
		s := string(e.Raw)
		if a, b := maskPII(s, nil, true), maskPII(s, nil, false); a != b {
			t.Fatalf("with prefilter %q, without %q", a, b)
		}
	}
}

// A string mayChange passes over is one ScrubString leaves as it is.
func FuzzMayChange(f *testing.F) {
	for _, s := range []string{"+44 (0)20 7946 0958", "4111 1111 1111 1111", "NL91ABNA0417164300", "1.2.3.4", "fe80::1",
		"ada@example.com", "219-09-9999", "(415) 555-2671", "margin: 0 0 10px 20px", "tel:12", "TEL:0", "mailto:x=0123456789abcdef0123456789abcdef",
		"https://a.test/x?token=1", "/p#k=1", "Bearer abcdefgh12345678", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", "x%40y.z 12"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !mayChange([]byte(s)) && ScrubString(s, nil) != s {
			t.Fatalf("mayChange(%q) is false, ScrubString gives %q", s, ScrubString(s, nil))
		}
	})
}

func TestMayChangeOnARealSession(t *testing.T) {
	events, err := testdata.Real60()
	if err != nil {
		t.Fatal(err)
	}
	passed, strs := 0, 0
	for _, e := range events {
		for _, s := range stringsOf(t, e.Raw) {
			strs++
			if !mayChange([]byte(s)) {
				passed++
				if ScrubString(s, nil) != s {
					t.Fatalf("mayChange(%q) is false, ScrubString gives %q", s, ScrubString(s, nil))
				}
			}
		}
	}
	if passed == 0 {
		t.Fatalf("mayChange passed over none of %d strings", strs)
	}
}

// stringsOf returns every string value of a JSON document.
func stringsOf(t *testing.T, doc []byte) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case []any:
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatal(err)
	}
	walk(v)
	return out
}
