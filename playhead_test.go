package playhead_test

import (
	"fmt"
	"testing"

	"github.com/playhead/playhead"
)

func TestGaps(t *testing.T) {
	ref := func(seq int, first, last int64) playhead.BatchRef {
		return playhead.BatchRef{Seq: seq, FirstTs: first, LastTs: last}
	}
	tests := []struct {
		refs []playhead.BatchRef
		want string
	}{
		{nil, "[]"},
		{[]playhead.BatchRef{ref(0, 0, 5), ref(1, 5, 10)}, "[]"},
		{[]playhead.BatchRef{ref(0, 0, 5), ref(3, 20, 25), ref(4, 25, 30), ref(6, 40, 45)}, "[{1 2 5 20} {5 5 30 40}]"},
		{[]playhead.BatchRef{ref(2, 10, 15)}, "[{0 1 10 10}]"},
	}
	for _, tt := range tests {
		got := fmt.Sprint(playhead.Gaps(tt.refs))
		if tt.want == "[]" && got == "[]" {
			continue
		}
		if got != tt.want {
			t.Errorf("Gaps(%v) = %s, want %s", tt.refs, got, tt.want)
		}
	}
}
