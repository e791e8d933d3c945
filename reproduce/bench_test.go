package reproduce_test

import (
	"compress/gzip"
	"encoding/json"
	"os"
	"testing"

	"github.com/playhead/playhead/reproduce"
)

// BenchmarkDeriveRealSession derives the steps of a real 60-minute session
// (28,691 events) when PLAYHEAD_REAL60 names its file (real60-events.json.gz).
func BenchmarkDeriveRealSession(b *testing.B) {
	path := os.Getenv("PLAYHEAD_REAL60")
	if path == "" {
		b.Skip("set PLAYHEAD_REAL60 to the real 60-minute recording (real60-events.json.gz)")
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		b.Fatal(err)
	}
	var raw []json.RawMessage
	if err := json.NewDecoder(zr).Decode(&raw); err != nil {
		b.Fatal(err)
	}
	events := make([][]byte, len(raw))
	for i, e := range raw {
		events[i] = e
	}
	b.ResetTimer()
	for b.Loop() {
		st, err := reproduce.Derive("real60", events)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(st.Steps)), "steps")
	}
}
