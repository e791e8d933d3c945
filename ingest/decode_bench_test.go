package ingest_test

import (
	"testing"

	"github.com/playhead/playhead/ingest"
	"github.com/playhead/playhead/testdata"
)

// BenchmarkParseBatchReal60 parses every batch of the real 60-minute
// recording: validating only (as reindexing stored events does), scrubbing
// as well (every batch taken in), and finding assets too (a project that
// captures them). All of it is one pass of the tokenizer.
func BenchmarkParseBatchReal60(b *testing.B) {
	events, err := testdata.Real60()
	if err != nil {
		b.Fatal(err)
	}
	bodies := testdata.Batches(events, "bench0000session", 5000)
	total := 0
	for _, body := range bodies {
		total += len(body)
	}
	for _, c := range []struct {
		name string
		opts ingest.ParseOptions
	}{
		{"validate", ingest.ParseOptions{NoScrub: true}},
		{"scrub", ingest.ParseOptions{}},
		{"scrub+assets", ingest.ParseOptions{FindAssets: true}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(total))
			for b.Loop() {
				for _, body := range bodies {
					if _, err := ingest.ParseBatchWith(body, ingest.DefaultLimits, now, c.opts); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
