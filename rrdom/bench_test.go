package rrdom_test

import (
	"encoding/json"
	"testing"

	"github.com/playhead/playhead/rrdom"
	"github.com/playhead/playhead/testdata"
)

// BenchmarkReal60 applies the real 60-minute recording and builds a
// keyframe every 30 s of it: what building a session's keyframes costs in
// CPU, without storage.
func BenchmarkReal60(b *testing.B) {
	events, err := testdata.Real60()
	if err != nil {
		b.Fatal(err)
	}
	raws := make([]json.RawMessage, len(events))
	for i, e := range events {
		raws[i] = e.Raw
	}
	var applyNs, keyframeNs, keyframes, bytes int64
	for b.Loop() {
		tree := rrdom.NewTree()
		last := events[0].Timestamp
		for i, e := range raws {
			if err := tree.Apply(e); err != nil {
				b.Fatal(err)
			}
			if ts := events[i].Timestamp; ts-last >= 30_000 {
				kf, err := tree.Keyframe(ts)
				if err != nil {
					b.Fatal(err)
				}
				for _, e := range kf {
					bytes += int64(len(e))
				}
				keyframes++
				last = ts
			}
		}
	}
	_ = applyNs
	_ = keyframeNs
	b.ReportMetric(float64(keyframes)/float64(b.N), "keyframes/op")
	b.ReportMetric(float64(bytes)/float64(keyframes)/1024, "KB/keyframe")
}
