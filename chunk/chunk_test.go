package chunk_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/playhead/playhead/chunk"
)

func TestRoundTrip(t *testing.T) {
	for _, n := range []int{1, 2, 100} {
		var events [][]byte
		for i := range n {
			events = append(events, fmt.Appendf(nil, `{"type":3,"timestamp":%d,"data":{"text":"line\nbreak"}}`, 1000+i))
		}
		got, err := chunk.Decode(chunk.Encode(events))
		if err != nil {
			t.Fatalf("%d events: %v", n, err)
		}
		if len(got) != n {
			t.Fatalf("%d events: decoded %d", n, len(got))
		}
		for i := range got {
			if !bytes.Equal(got[i], events[i]) {
				t.Fatalf("event %d = %s, want %s", i, got[i], events[i])
			}
		}
	}
}

func TestDecodeRefusesDamage(t *testing.T) {
	good := chunk.Encode([][]byte{[]byte(`{"type":4}`), []byte(`{"type":2}`)})
	cases := map[string][]byte{
		"empty":     nil,
		"truncated": good[:len(good)-3],
		"bad magic": append([]byte("XXXX"), good[4:]...),
	}
	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 0xff
	cases["flipped byte"] = flipped
	for name, data := range cases {
		if _, err := chunk.Decode(data); !errors.Is(err, chunk.ErrCorrupt) {
			t.Errorf("%s: err = %v, want ErrCorrupt", name, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(chunk.Encode([][]byte{[]byte(`{}`)}))
	f.Fuzz(func(t *testing.T, data []byte) {
		chunk.Decode(data) // must not panic
	})
}
