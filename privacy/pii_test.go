package privacy_test

import (
	"encoding/json"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/playhead/playhead/privacy"
)

// The SDK's masking passes the same vectors (sdk/browser/test).
func TestSharedVectors(t *testing.T) {
	data, err := os.ReadFile("../testdata/pii-vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Mask []struct {
			Kind  privacy.Kind `json:"kind"`
			Text  string       `json:"text"`
			Match string       `json:"match"`
		} `json:"mask"`
		Keep []string `json:"keep"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	for _, m := range v.Mask {
		counts := privacy.Counts{}
		got := privacy.MaskPII(m.Text, counts)
		want := strings.Replace(m.Text, m.Match, strings.Repeat("*", len(m.Match)), 1)
		if got != want {
			t.Errorf("%s: MaskPII(%q) = %q, want %q", m.Kind, m.Text, got, want)
		}
		if counts[m.Kind] == 0 {
			t.Errorf("%s: MaskPII(%q) counted %v", m.Kind, m.Text, counts)
		}
	}
	for _, text := range v.Keep {
		if got := privacy.MaskPII(text, nil); got != text {
			t.Errorf("MaskPII(%q) = %q, want it unchanged", text, got)
		}
	}
	if len(v.Mask) < 30 || len(v.Keep) < 15 {
		t.Fatalf("vectors too few: %d mask, %d keep", len(v.Mask), len(v.Keep))
	}
}

func BenchmarkMaskPII(b *testing.B) {
	text := "Order 12345 for Ada, card 4111 1111 1111 1111, mail ada@example.com, call +44 20 7946 0958 " + strings.Repeat("lorem ipsum 2026 ", 20)
	for b.Loop() {
		privacy.MaskPII(text, nil)
	}
}

func TestAnonymizeIP(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.77":                         "203.0.113.0",
		"::ffff:203.0.113.77":                  "203.0.113.0",
		"2001:db8:85a3:8d3:1319:8a2e:370:7348": "2001:db8:85a3::",
	} {
		if got := privacy.AnonymizeIP(netip.MustParseAddr(in)).String(); got != want {
			t.Errorf("AnonymizeIP(%s) = %s, want %s", in, got, want)
		}
	}
}
