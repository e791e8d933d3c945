package rrdom_test

import (
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/playhead/playhead/rrdom"
)

// timestampOf reads an event's timestamp.
func timestampOf(t testing.TB, e json.RawMessage) int64 {
	var h struct {
		Timestamp float64 `json:"timestamp"`
	}
	if err := json.Unmarshal(e, &h); err != nil {
		t.Fatal(err)
	}
	return int64(h.Timestamp)
}

// replayFromKeyframe builds a keyframe of tree at ts and applies it to a
// new tree.
func replayFromKeyframe(t testing.TB, tree *rrdom.Tree, ts int64) *rrdom.Tree {
	t.Helper()
	events, err := tree.Keyframe(ts)
	if err != nil {
		t.Fatal(err)
	}
	from := rrdom.NewTree()
	for i, e := range events {
		if err := from.Apply(e); err != nil {
			t.Fatalf("keyframe event %d: %v\n%.300s", i, err, e)
		}
	}
	return from
}

// TestKeyframeDifferential: for random moments of each recording, the tree
// replayed from a keyframe of that moment, then the recording's later
// events, equals the tree replayed from the start, at several later
// moments; a keyframe built from a tree that was itself replayed from a
// keyframe too (the server chains them across chunks).
func TestKeyframeDifferential(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 2026))
	for name, events := range corpus(t) {
		t.Run(name, func(t *testing.T) {
			cuts := 12
			if testing.Short() {
				cuts = 3
			}
			for range cuts {
				cut := 4 + rng.IntN(len(events)-4)
				whole := rrdom.NewTree()
				for _, e := range events[:cut] {
					if err := whole.Apply(e); err != nil {
						t.Fatal(err)
					}
				}
				from := replayFromKeyframe(t, whole, timestampOf(t, events[cut-1]))
				if err := rrdom.Diff(whole, from); err != nil {
					t.Fatalf("at event %d, right after the keyframe: %v", cut, err)
				}
				checks := map[int]bool{cut + 1: true, cut + 10: true, cut + 200: true, len(events): true}
				chained := false
				for i := cut; i < len(events); i++ {
					if err := whole.Apply(events[i]); err != nil {
						t.Fatal(err)
					}
					if err := from.Apply(events[i]); err != nil {
						t.Fatal(err)
					}
					if !checks[i+1] {
						continue
					}
					if err := rrdom.Diff(whole, from); err != nil {
						t.Fatalf("keyframe at event %d, then events to %d: %v", cut, i+1, err)
					}
					if !chained {
						chained = true
						from = replayFromKeyframe(t, from, timestampOf(t, events[i]))
					}
				}
			}
		})
	}
}
