package privacy_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/playhead/playhead/privacy"
	"github.com/playhead/playhead/testdata"
)

func TestScrubJSON(t *testing.T) {
	doc := `{"type":2,"data":{"node":{"childNodes":[{"type":3,"textContent":"Mail ada@example.com or call +44 20 7946 0958"},` +
		`{"type":2,"tagName":"a","attributes":{"href":"https://shop.example/reset?token=abc123&email=ada%40example.com&page=2","title":"card 4111 1111 1111 1111"}},` +
		`{"type":2,"tagName":"img","attributes":{"src":"/img/logo.png?v=20261127"}},` +
		`{"type":3,"textContent":"Order #12345 costs $1,234.50 in 2026 \"quoted\" \u00e9"}]},"ada@example.com":"key stays"},` +
		`"payload":{"level":"log","payload":["\"Authorization: Bearer abcdefgh12345678\"","eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig"]}}`
	counts := privacy.Counts{}
	got := string(privacy.ScrubJSON([]byte(doc), counts))
	if !json.Valid([]byte(got)) {
		t.Fatalf("scrubbed document is not JSON: %s", got)
	}
	for _, gone := range []string{"example.com or", "7946", "4111", "abc123", "ada%40", "abcdefgh12345678", "eyJhbGciOiJIUzI1NiJ9"} {
		if strings.Contains(got, gone) {
			t.Errorf("scrubbed document still holds %q:\n%s", gone, got)
		}
	}
	for _, kept := range []string{`"ada@example.com":"key stays"`, "/img/logo.png?v=20261127", "Order #12345 costs $1,234.50 in 2026", `\"quoted\"`, "page=2", "https://shop.example/reset?token=[redacted]"} {
		if !strings.Contains(got, kept) {
			t.Errorf("scrubbed document lost %q:\n%s", kept, got)
		}
	}
	if counts[privacy.Email] != 2 || counts[privacy.Card] != 1 || counts[privacy.Phone] != 1 || counts[privacy.Secret] < 3 {
		t.Errorf("counts = %v", counts)
	}
	// A parameter named like a secret is redacted whatever its value holds,
	// escaped or not.
	for doc, want := range map[string]string{
		`{"a":"https://x.test/cb?code=abcdef"}`:         `{"a":"https://x.test/cb?code=[redacted]"}`,
		`{"a":"https:\/\/x.test\/cb?session=abcdef#k"}`: `{"a":"https://x.test/cb?session=[redacted]#k"}`,
	} {
		if got := string(privacy.ScrubJSON([]byte(doc), nil)); got != want {
			t.Errorf("ScrubJSON(%s) = %s, want %s", doc, got, want)
		}
	}
	clean := []byte(`{"type":3,"data":{"source":1,"positions":[{"x":1,"y":2,"id":3,"timeOffset":-10}]}}`)
	if out := privacy.ScrubJSON(clean, nil); &out[0] != &clean[0] {
		t.Error("a document with nothing to scrub was copied")
	}
}

func FuzzScrubJSON(f *testing.F) {
	f.Add([]byte(`{"a":"ada@example.com","b":["4111 1111 1111 1111",{"c":"x\"y"}]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		if !json.Valid(doc) {
			return
		}
		if out := privacy.ScrubJSON(doc, nil); !json.Valid(out) {
			t.Fatalf("ScrubJSON(%q) = %q, not JSON", doc, out)
		}
	})
}

// BenchmarkScrubJSON scrubs every event of the real 60-minute recording, as
// ingest does for every batch.
func BenchmarkScrubJSON(b *testing.B) {
	events, err := testdata.Real60()
	if err != nil {
		b.Fatal(err)
	}
	total := 0
	for _, e := range events {
		total += len(e.Raw)
	}
	b.SetBytes(int64(total))
	for b.Loop() {
		counts := privacy.Counts{}
		for _, e := range events {
			privacy.ScrubJSON(e.Raw, counts)
		}
	}
}
