package recording

import (
	"testing"

	"github.com/playhead/playhead/chunk"
)

func TestChunkFirstSeqReadsTheKeyframesKey(t *testing.T) {
	for _, first := range []int{0, 7, 1234567890} {
		key := chunk.ObjectKey(30, 12, "keyframekeysession", first, first+40)
		for _, k := range []string{KeyframesKey(key), KeyframesKey(key + compactSuffix)} {
			if got, ok := chunkFirstSeq(k); !ok || got != first {
				t.Errorf("chunkFirstSeq(%q) = %d, %v; want %d", k, got, ok, first)
			}
		}
	}
	// keys not made by chunk.ObjectKey: the caller reads every batch instead
	for _, k := range []string{"", ".kf", "r30/sessions/1/s/chunk.kf", "r30/sessions/1/s/-5-9.kf", "r30/sessions/1/s/x-9.kf", "r30/sessions/1/s/99999999999999999999-1.kf"} {
		if got, ok := chunkFirstSeq(k); ok {
			t.Errorf("chunkFirstSeq(%q) = %d, true; want not read", k, got)
		}
	}
}
