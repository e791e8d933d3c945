package ingest

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead/testdata"
)

// The tree of nodes parsing keeps of a full snapshot gives the DOM index
// decoding the scrubbed event would: on the real recording, and on nodes
// whose attributes are numbers, true, escaped or personal data.
func TestSnapshotReadWhileParsingIndexesAsDecoded(t *testing.T) {
	events, err := testdata.Real60()
	if err != nil {
		t.Fatal(err)
	}
	at := time.UnixMilli(events[0].Timestamp).Add(time.Hour)
	bodies := testdata.Batches(events, "snapshot00000001", 5000)
	bodies = append(bodies, []byte(`{"v":1,"sid":"snapshot00000002","seq":0,"events":[{"type":2,"timestamp":`+strconv.FormatInt(events[0].Timestamp, 10)+`,"data":{"initialOffset":{"top":0,"left":0},"node":{"type":0,"childNodes":[`+
		`{"type":2,"tagName":"INPUT","attributes":{"type":"text","id":"mail","placeholder":"ada@example.com","tabindex":3,"required":true,"aria-label":"E-mail \"work\" \u00e9"},"childNodes":[],"id":2},`+
		`{"type":2,"tagName":"label","attributes":{"for":"mail"},"childNodes":[{"type":3,"textContent":"Call +44 20 7946 0958","id":4}],"id":3},`+
		`{"type":2,"tagName":"div","attributes":{"role":"button","contenteditable":""},"childNodes":[null,{"type":3,"textContent":"x","id":6}],"id":5},`+
		`{"type":2,"tagName":"a","attributes":{"href":"/x?token=abc"},"childNodes":[],"id":7}],"id":1}}}]}`))
	compared := 0
	for i, body := range bodies {
		b, err := ParseBatch(body, DefaultLimits, at)
		if err != nil {
			t.Fatal(err)
		}
		streamed, snap := newDOMIndex(b, nil)
		if !snap {
			if i == len(bodies)-1 {
				t.Fatal("the crafted snapshot was not read")
			}
			continue
		}
		if i == len(bodies)-1 && (streamed[2] == nil || !streamed[2].field || streamed[2].fallback == "" || strings.Contains(streamed[2].fallback, "ada@")) {
			t.Fatalf("the crafted input read as %+v", streamed[2])
		}
		for j := range b.Events {
			b.Events[j].snapshot = nil
		}
		decoded, _ := newDOMIndex(b, nil)
		if !reflect.DeepEqual(streamed, decoded) {
			for id, n := range decoded {
				if !reflect.DeepEqual(streamed[id], n) {
					t.Fatalf("batch %d node %d: read while parsing %+v, decoded %+v", i, id, streamed[id], n)
				}
			}
			t.Fatalf("batch %d: read while parsing %d nodes, decoded %d", i, len(streamed), len(decoded))
		}
		compared++
	}
	if compared < 2 {
		t.Fatalf("only %d batches held a full snapshot", compared)
	}
}
