// Package testdata loads the recorded sessions under testdata/ for tests and
// benchmarks.
package testdata

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// Event is one rrweb event, kept as raw JSON with its timestamp.
type Event struct {
	Raw       json.RawMessage
	Timestamp int64
}

// Real60 returns the events of the real 60-minute recording, in order.
func Real60() ([]Event, error) {
	_, self, _, _ := runtime.Caller(0)
	events, err := ReadEvents(filepath.Join(filepath.Dir(self), "real60-events.json.gz"))
	if err != nil {
		return nil, fmt.Errorf("decode real60: %w", err)
	}
	return events, nil
}

// ReadEvents reads a recording kept as a gzipped JSON array of rrweb
// events, such as e2e/testdata/corpus's.
func ReadEvents(path string) ([]Event, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	var raws []json.RawMessage
	if err := json.NewDecoder(zr).Decode(&raws); err != nil {
		return nil, fmt.Errorf("decode %s: %w", filepath.Base(path), err)
	}
	events := make([]Event, len(raws))
	for i, r := range raws {
		var h struct {
			Timestamp int64 `json:"timestamp"`
		}
		if err := json.Unmarshal(r, &h); err != nil {
			return nil, fmt.Errorf("decode %s event %d: %w", filepath.Base(path), i, err)
		}
		events[i] = Event{Raw: r, Timestamp: h.Timestamp}
	}
	return events, nil
}

// Batches cuts events into the batches an SDK flushing every interval
// milliseconds would send, each the JSON body of one ingest request.
func Batches(events []Event, sessionID string, interval int64) [][]byte {
	var out [][]byte
	for start := 0; start < len(events); {
		end := start
		for end < len(events) && events[end].Timestamp-events[start].Timestamp < interval {
			end++
		}
		// Built by hand: json.Marshal would re-escape the events' bytes.
		body := fmt.Appendf(nil, `{"v":1,"sid":%q,"seq":%d,"events":[`, sessionID, len(out))
		for i, e := range events[start:end] {
			if i > 0 {
				body = append(body, ',')
			}
			body = append(body, e.Raw...)
		}
		out = append(out, append(body, ']', '}'))
		start = end
	}
	return out
}
