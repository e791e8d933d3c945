package recording_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/chunk"
	"github.com/playhead/playhead/recording"
)

// usableNaive is the rule UsableKeyframes follows, as it reads: a keyframe
// is left out when no batch names its chunk, or when a batch after its
// chunk's last has an event at or before it.
func usableNaive(list []playhead.KeyframeRef, refs []playhead.BatchRef) []playhead.KeyframeRef {
	var out []playhead.KeyframeRef
	for _, k := range list {
		last, ok := -1, false
		for _, r := range refs {
			if r.ObjectKey != "" && recording.KeyframesKey(r.ObjectKey) == k.ObjectKey {
				last, ok = r.Seq, true
			}
		}
		if !ok {
			continue
		}
		late := false
		for _, r := range refs {
			if r.Seq > last && r.FirstTs <= k.Ts {
				late = true
			}
		}
		if !late {
			out = append(out, k)
		}
	}
	return out
}

// Random sessions: chunks of batches (some compacted, some pending, some
// gone), batches that came late with early events, keyframes in and beside
// the chunks. UsableKeyframes must keep exactly what the rule keeps.
func TestUsableKeyframesFollowsTheRule(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 15))
	for round := range 3000 {
		var refs []playhead.BatchRef
		var list []playhead.KeyframeRef
		seq, ts := 0, int64(1_000)
		chunks := 1 + r.IntN(5)
		for c := range chunks {
			n := 1 + r.IntN(6)
			key := chunk.ObjectKey(30, 1, "usablekeyframes1", seq, seq+n-1)
			if r.IntN(3) == 0 {
				key += ".c"
			}
			pending := c == chunks-1 && r.IntN(2) == 0
			gone := !pending && r.IntN(8) == 0
			for range n {
				first := ts + int64(r.IntN(50))
				if r.IntN(6) == 0 {
					first = int64(1_000 + r.IntN(int(ts-900))) // a batch that came late
				}
				last := max(first, ts) + int64(r.IntN(3_000))
				ref := playhead.BatchRef{Seq: seq, FirstTs: first, LastTs: last}
				if !pending && !gone {
					ref.ObjectKey = key
				}
				refs = append(refs, ref)
				seq++
				ts = last
			}
			if !pending {
				for pos := range r.IntN(4) {
					list = append(list, playhead.KeyframeRef{Ts: int64(1_000 + r.IntN(int(ts-900))), ObjectKey: recording.KeyframesKey(key), Position: pos})
				}
			}
		}
		slices.SortFunc(list, func(a, b playhead.KeyframeRef) int { return int(a.Ts - b.Ts) })
		want := usableNaive(list, refs)
		got := recording.UsableKeyframes(slices.Clone(list), refs)
		if !slices.Equal(got, want) {
			t.Fatalf("round %d: batches %+v\nkeyframes %+v\nkept %+v, want %+v", round, refs, list, got, want)
		}
		// a keyframe alone, given the batches from its chunk's first on, is
		// judged as among all of them (Store.Keyframe asks for no more)
		for _, k := range list {
			first := -1
			for _, b := range refs {
				if b.ObjectKey != "" && recording.KeyframesKey(b.ObjectKey) == k.ObjectKey {
					first = b.Seq
					break
				}
			}
			if first < 0 {
				continue
			}
			from := slices.IndexFunc(refs, func(b playhead.BatchRef) bool { return b.Seq >= first })
			alone := len(recording.UsableKeyframes([]playhead.KeyframeRef{k}, refs[from:])) == 1
			if kept := slices.Contains(want, k); alone != kept {
				t.Fatalf("round %d: keyframe %+v judged alone %v, among all %v", round, k, alone, kept)
			}
		}
	}
}
