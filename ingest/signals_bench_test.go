package ingest

import (
	"testing"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/testdata"
)

// BenchmarkExtractReal60 extracts what indexing reads (the timeline, the
// search text and the frustration signals) from every batch of the real
// 60-minute recording, parsed and scrubbed beforehand: the part of ingest
// that search indexing adds.
func BenchmarkExtractReal60(b *testing.B) {
	events, err := testdata.Real60()
	if err != nil {
		b.Fatal(err)
	}
	bodies := testdata.Batches(events, "bench0000session", 5000)
	var batches []*Batch
	for _, body := range bodies {
		bt, err := ParseBatch(body, DefaultLimits, time.UnixMilli(1795807228200).Add(time.Hour))
		if err != nil {
			b.Fatal(err)
		}
		batches = append(batches, bt)
	}
	th := thresholdsOf(playhead.ProjectSettings{})
	for _, search := range []bool{true, false} {
		b.Run(map[bool]string{true: "search=on", false: "search=off"}[search], func(b *testing.B) {
			for b.Loop() {
				for _, bt := range batches {
					extract(bt, th, search)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(batches)), "µs/batch")
		})
	}
}
