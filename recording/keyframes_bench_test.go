package recording_test

import (
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead/testdata"
)

// BenchmarkKeyframes seals the real 60-minute recording as the server does
// (a chunk per ten minutes) and builds its keyframes, and reports, per run:
// the time to build one keyframe (the chunk's events applied included), a
// keyframe's stored size, keyframe bytes per recorded minute beside the
// chunks', and the cost of sealing with keyframes over sealing alone.
//
//	go test ./recording -run '^$' -bench Keyframes -benchtime 3x
func BenchmarkKeyframes(b *testing.B) {
	events, err := testdata.Real60()
	if err != nil {
		b.Fatal(err)
	}
	const stageMinutes = 10
	var sealTime, buildTime time.Duration
	var keyframes int
	var kfBytes, chunkBytes int64
	for b.Loop() {
		b.StopTimer()
		in, rs, _, p := newStore(b)
		g := ingester{in, p}
		sid := "benchkeyframes01"
		batches := testdata.Batches(events, sid, 5000)
		per := stageMinutes * 60 / 5
		b.StartTimer()
		for s := 0; s*per < len(batches); s++ {
			b.StopTimer()
			for _, body := range batches[s*per : min(len(batches), (s+1)*per)] {
				g.ingest(b, body)
			}
			b.StartTimer()
			start := time.Now()
			if _, err := rs.SealIdle(b.Context(), 0); err != nil {
				b.Fatal(err)
			}
			mid := time.Now()
			n, err := rs.BuildQueuedKeyframes(b.Context())
			if err != nil {
				b.Fatal(err)
			}
			sealTime += mid.Sub(start)
			buildTime += time.Since(mid)
			keyframes += n
		}
		b.StopTimer()
		kfBytes += objectBytes(b, rs, func(name string) bool { return strings.HasSuffix(name, ".kf") })
		chunkBytes += objectBytes(b, rs, func(name string) bool { return !strings.HasSuffix(name, ".kf") })
		b.StartTimer()
	}
	minutes := float64(events[len(events)-1].Timestamp-events[0].Timestamp) / 60000 * float64(b.N)
	b.ReportMetric(float64(buildTime.Microseconds())/float64(keyframes)/1000, "ms/keyframe")
	b.ReportMetric(float64(kfBytes)/float64(keyframes)/1024, "KB/keyframe")
	b.ReportMetric(float64(kfBytes)/minutes/1024, "keyframe-KB/min")
	b.ReportMetric(float64(chunkBytes)/minutes/1024, "chunk-KB/min")
	b.ReportMetric(float64(kfBytes)/float64(chunkBytes), "keyframes/chunks")
	b.ReportMetric(float64(sealTime+buildTime)/float64(sealTime), "seal+keyframes/seal")
	b.ReportMetric(float64(keyframes)/float64(b.N), "keyframes")
}
