package ingest_test

import (
	"testing"

	"github.com/playhead/playhead/ingest"
	"github.com/playhead/playhead/testdata"
)

// BenchmarkIngestKeyframeBatch measures the first batch of a session, which
// holds its full snapshot: the most expensive batch to take in.
func BenchmarkIngestKeyframeBatch(b *testing.B) {
	events, err := testdata.Real60()
	if err != nil {
		b.Fatal(err)
	}
	body := testdata.Batches(events[:10], "benchkeyframe001", 5000)[0]
	in, _, p := newIngester(b)
	b.SetBytes(int64(len(body)))
	for i := 0; b.Loop(); i++ {
		batch, err := ingest.ParseBatch(body, ingest.DefaultLimits, now)
		if err != nil {
			b.Fatal(err)
		}
		batch.Seq = i
		if _, err := in.Ingest(b.Context(), p, batch, ingest.Origin{}); err != nil {
			b.Fatal(err)
		}
	}
}
