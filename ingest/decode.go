// Package ingest turns a batch as the SDK sent it into stored chunks and index
// entries: decode the body, validate the events, extract what the index needs,
// store the chunk durably, then index it. It knows nothing of HTTP.
package ingest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"time"
	"unicode/utf8"

	"github.com/playhead/playhead"
)

// Limits bound what one batch may hold. A request over a limit is refused
// with an error that names the limit.
type Limits struct {
	MaxBodyBytes    int64         // compressed body, as received
	MaxDecodedBytes int64         // body after gunzip
	MaxEvents       int           // events in one batch
	MaxEventBytes   int           // one event's JSON
	MaxFutureSkew   time.Duration // how far past the server's clock an event may be
	MaxAge          time.Duration // how far before the server's clock an event may be
}

// DefaultLimits are the limits documented in docs/PROTOCOL.md.
var DefaultLimits = Limits{
	MaxBodyBytes:    4 << 20,
	MaxDecodedBytes: 32 << 20,
	MaxEvents:       20000,
	MaxEventBytes:   16 << 20,
	MaxFutureSkew:   24 * time.Hour,
	MaxAge:          30 * 24 * time.Hour,
}

// ReadBody reads a request body, gunzipping it when it starts with gzip's
// magic bytes (or gzipped says so), and refuses it as soon as either the
// compressed or the decompressed size passes its limit, so a gzip bomb costs
// no more than the limit to refuse.
func ReadBody(r io.Reader, gzipped bool, lim Limits) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(r, lim.MaxBodyBytes+1))
	if err != nil {
		return nil, playhead.Errorf(playhead.EINVALID, "read body: %v", err)
	}
	if int64(len(raw)) > lim.MaxBodyBytes {
		return nil, playhead.Errorf(playhead.ETOOLARGE, "body is larger than the limit of %d bytes", lim.MaxBodyBytes)
	}
	if !gzipped && !bytes.HasPrefix(raw, []byte{0x1f, 0x8b}) {
		return raw, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, playhead.Errorf(playhead.EINVALID, "body is not valid gzip: %v", err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, lim.MaxDecodedBytes+1))
	if err != nil {
		return nil, playhead.Errorf(playhead.EINVALID, "body is not valid gzip: %v", err)
	}
	if int64(len(out)) > lim.MaxDecodedBytes {
		return nil, playhead.Errorf(playhead.ETOOLARGE, "decompressed body is larger than the limit of %d bytes", lim.MaxDecodedBytes)
	}
	return out, nil
}

// Batch is a decoded, validated batch.
type Batch struct {
	SessionID string
	Seq       int
	SDK       string
	Events    []Event
}

// Event is one validated rrweb event: its raw JSON (stored as is) and the
// fields ingest reads.
type Event struct {
	Raw       json.RawMessage
	Type      int
	Timestamp int64
	Data      json.RawMessage
}

// rrweb event types.
const (
	typeDomContentLoaded = 0
	typeLoad             = 1
	typeFullSnapshot     = 2
	typeIncremental      = 3
	typeMeta             = 4
	typeCustom           = 5
	typePlugin           = 6
)

const (
	maxSeq          = 10_000_000
	protocolVersion = 1
)

type wireBatch struct {
	V      int               `json:"v"`
	SID    string            `json:"sid"`
	Seq    *int              `json:"seq"`
	SDK    string            `json:"sdk"`
	Events []json.RawMessage `json:"events"`
}

type wireEvent struct {
	Type      *int            `json:"type"`
	Timestamp *json.Number    `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

// ParseBatch decodes and validates a batch body. now bounds event timestamps.
// Errors are EINVALID or ETOOLARGE and name the field at fault.
func ParseBatch(body []byte, lim Limits, now time.Time) (*Batch, error) {
	if !utf8.Valid(body) {
		return nil, playhead.Errorf(playhead.EINVALID, "body is not valid UTF-8")
	}
	var w wireBatch
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, playhead.Errorf(playhead.EINVALID, "body is not a JSON batch: %v", err)
	}
	if w.V != protocolVersion {
		return nil, playhead.Errorf(playhead.EINVALID, "v: protocol version %d is not supported (this server speaks %d)", w.V, protocolVersion)
	}
	if err := ValidSessionID(w.SID); err != nil {
		return nil, err
	}
	if w.Seq == nil {
		return nil, playhead.Errorf(playhead.EINVALID, "seq: missing")
	}
	if *w.Seq < 0 || *w.Seq > maxSeq {
		return nil, playhead.Errorf(playhead.EINVALID, "seq: %d is outside 0..%d", *w.Seq, maxSeq)
	}
	if len(w.Events) == 0 {
		return nil, playhead.Errorf(playhead.EINVALID, "events: empty")
	}
	if len(w.Events) > lim.MaxEvents {
		return nil, playhead.Errorf(playhead.ETOOLARGE, "events: %d events is over the limit of %d a batch", len(w.Events), lim.MaxEvents)
	}
	if len(w.SDK) > 100 {
		w.SDK = w.SDK[:100]
	}
	b := &Batch{SessionID: w.SID, Seq: *w.Seq, SDK: w.SDK, Events: make([]Event, len(w.Events))}
	minTs, maxTs := now.Add(-lim.MaxAge).UnixMilli(), now.Add(lim.MaxFutureSkew).UnixMilli()
	for i, raw := range w.Events {
		if len(raw) > lim.MaxEventBytes {
			return nil, playhead.Errorf(playhead.ETOOLARGE, "events[%d]: %d bytes is over the limit of %d for one event", i, len(raw), lim.MaxEventBytes)
		}
		var we wireEvent
		if err := json.Unmarshal(raw, &we); err != nil {
			return nil, playhead.Errorf(playhead.EINVALID, "events[%d]: not an rrweb event object: %v", i, err)
		}
		if we.Type == nil {
			return nil, playhead.Errorf(playhead.EINVALID, "events[%d].type: missing", i)
		}
		if *we.Type < typeDomContentLoaded || *we.Type > typePlugin {
			return nil, playhead.Errorf(playhead.EINVALID, "events[%d].type: %d is not an rrweb event type (0-6)", i, *we.Type)
		}
		if we.Timestamp == nil {
			return nil, playhead.Errorf(playhead.EINVALID, "events[%d].timestamp: missing", i)
		}
		ts, err := we.Timestamp.Int64()
		if err != nil {
			return nil, playhead.Errorf(playhead.EINVALID, "events[%d].timestamp: %s is not whole milliseconds", i, *we.Timestamp)
		}
		if ts < minTs || ts > maxTs {
			return nil, playhead.Errorf(playhead.EINVALID, "events[%d].timestamp: %s is more than %s before or %s after the server's clock",
				i, time.UnixMilli(ts).UTC().Format(time.RFC3339), lim.MaxAge, lim.MaxFutureSkew)
		}
		if *we.Type >= typeFullSnapshot && !isObject(we.Data) {
			return nil, playhead.Errorf(playhead.EINVALID, "events[%d].data: an object is required for event type %d", i, *we.Type)
		}
		b.Events[i] = Event{Raw: raw, Type: *we.Type, Timestamp: ts, Data: we.Data}
	}
	return b, nil
}

func isObject(data json.RawMessage) bool {
	data = bytes.TrimLeft(data, " \t\r\n")
	return len(data) > 0 && data[0] == '{'
}

// ValidSessionID returns an EINVALID error when sid cannot be a session ID, so
// routes that take one refuse it before touching storage.
func ValidSessionID(sid string) error {
	if len(sid) < 8 || len(sid) > 64 {
		return playhead.Errorf(playhead.EINVALID, "sid: must be 8 to 64 characters, got %d", len(sid))
	}
	for _, c := range []byte(sid) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
		if !ok {
			return playhead.Errorf(playhead.EINVALID, "sid: %q may hold only letters, digits, '-' and '_'", sid)
		}
	}
	return nil
}
