package privacy

import (
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
