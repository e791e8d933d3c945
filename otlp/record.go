package otlp

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math"
	"strings"
	"unicode/utf8"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/playhead/playhead/ingest"
)

// Bounds on what one record keeps, so a chatty or hostile exporter cannot
// make a session's backend timeline huge: past them attributes are dropped,
// strings cut (on a rune boundary) and nesting replaced by truncatedValue.
const (
	maxAttributes   = 64   // attributes kept per record
	maxStringBytes  = 2048 // per string value, and for a span's status message
	maxMessageBytes = 8192 // a log's body as text
	maxKeyBytes     = 256  // per attribute or map key
	maxItems        = 64   // elements kept per array or map value
	maxDepth        = 4    // levels of arrays and maps inside a value
	truncatedValue  = "…"
)

// Attribute keys that carry the session ID, in the order they are looked up.
const (
	attrSessionID        = "session.id"
	attrBaggageSessionID = "baggage.session.id"
)

// sessionID returns the session ID of a span or log record with attributes
// attrs under a resource with attributes res, or "" when it has none or an
// invalid one. The first key present decides: a record explicitly tagged
// with a malformed ID is not attributed to its resource's session.
func sessionID(attrs, res []*commonpb.KeyValue) string {
	for _, key := range []string{attrSessionID, attrBaggageSessionID} {
		for _, kvs := range [][]*commonpb.KeyValue{attrs, res} {
			v := findAttr(kvs, key)
			if v == nil {
				continue
			}
			sid, ok := v.GetValue().(*commonpb.AnyValue_StringValue)
			if !ok || ingest.ValidSessionID(sid.StringValue) != nil {
				return ""
			}
			return sid.StringValue
		}
	}
	return ""
}

// findAttr returns the value of key in kvs, nil when it is absent.
func findAttr(kvs []*commonpb.KeyValue, key string) *commonpb.AnyValue {
	for _, kv := range kvs {
		if kv.GetKey() == key {
			return kv.GetValue()
		}
	}
	return nil
}

// stringAttr returns the string value of key in kvs, bounded, or "".
func stringAttr(kvs []*commonpb.KeyValue, key string) string {
	return truncate(findAttr(kvs, key).GetStringValue(), maxStringBytes)
}

func spanRecord(s *tracepb.Span, sid, service string, jsonIDs bool) Record {
	r := Record{
		SessionID:    sid,
		Kind:         KindSpan,
		Service:      service,
		TraceID:      idHex(s.GetTraceId(), 16, jsonIDs),
		SpanID:       idHex(s.GetSpanId(), 8, jsonIDs),
		ParentSpanID: idHex(s.GetParentSpanId(), 8, jsonIDs),
		Name:         truncate(s.GetName(), maxStringBytes),
		StartMs:      unixMs(s.GetStartTimeUnixNano()),
		EndMs:        unixMs(s.GetEndTimeUnixNano()),
		Message:      truncate(s.GetStatus().GetMessage(), maxStringBytes),
		Attributes:   attributes(s.GetAttributes()),
	}
	r.EndMs = max(r.EndMs, r.StartMs)
	switch s.GetStatus().GetCode() {
	case tracepb.Status_STATUS_CODE_OK:
		r.Status = "ok"
	case tracepb.Status_STATUS_CODE_ERROR:
		r.Status, r.Level = "error", "error"
	default:
		r.Status = "unset"
	}
	return r
}

func logRecord(l *logspb.LogRecord, sid, service string, jsonIDs bool) Record {
	ns := l.GetTimeUnixNano()
	if ns == 0 {
		ns = l.GetObservedTimeUnixNano()
	}
	r := Record{
		SessionID:  sid,
		Kind:       KindLog,
		Service:    service,
		TraceID:    idHex(l.GetTraceId(), 16, jsonIDs),
		SpanID:     idHex(l.GetSpanId(), 8, jsonIDs),
		Name:       truncate(l.GetEventName(), maxStringBytes),
		StartMs:    unixMs(ns),
		Level:      level(l.GetSeverityNumber(), l.GetSeverityText()),
		Message:    text(l.GetBody()),
		Attributes: attributes(l.GetAttributes()),
	}
	r.EndMs = r.StartMs
	return r
}

// unixMs converts Unix nanoseconds to milliseconds; dividing first keeps
// any uint64 in int64's range.
func unixMs(ns uint64) int64 { return int64(ns / 1e6) }

// idHex returns the lowercase hex of a trace (size 16) or span (size 8) ID,
// or "" when it is missing, malformed or all zeros (W3C's invalid ID).
//
// OTLP/JSON carries IDs as hex text, but protojson reads every bytes field
// as base64, so a 32-character hex trace ID arrives as 24 bytes. Base64 of a
// text whose length is a multiple of 4 round-trips exactly, so encoding
// those bytes again gives back the hex text. IDs of the raw size are taken
// as they are: protobuf bodies, and JSON senders that use base64.
func idHex(b []byte, size int, jsonIDs bool) string {
	if jsonIDs && len(b) == size*3/2 {
		raw, err := hex.DecodeString(base64.StdEncoding.EncodeToString(b))
		if err != nil {
			return ""
		}
		b = raw
	}
	if len(b) != size {
		return ""
	}
	for _, c := range b {
		if c != 0 {
			return hex.EncodeToString(b)
		}
	}
	return ""
}

// level names a log's severity: from its number when it has one (the
// normalized scale: 1-4 trace, 5-8 debug, 9-12 info, 13-16 warn, 17-20
// error, 21-24 fatal), else from its text, with common spellings mapped to
// those names and any other text lowercased.
func level(n logspb.SeverityNumber, text string) string {
	if n >= 1 && n <= 24 {
		return [...]string{"trace", "debug", "info", "warn", "error", "fatal"}[(n-1)/4]
	}
	t := strings.ToLower(strings.TrimSpace(text))
	switch t {
	case "information", "informational", "notice":
		return "info"
	case "warning":
		return "warn"
	case "err":
		return "error"
	case "critical", "crit", "alert", "emergency", "emerg", "panic":
		return "fatal"
	}
	return truncate(t, 32)
}

// text renders a log body: strings as they are, anything else as compact
// JSON of its flattened value.
func text(v *commonpb.AnyValue) string {
	switch x := v.GetValue().(type) {
	case nil:
		return ""
	case *commonpb.AnyValue_StringValue:
		return truncate(x.StringValue, maxMessageBytes)
	}
	b, err := json.Marshal(value(v, 0))
	if err != nil { // value returns only JSON-able values
		return ""
	}
	return truncate(string(b), maxMessageBytes)
}

// attributes flattens kvs into JSON-able values, without the session ID
// (Record.SessionID has it) and within maxAttributes; nil when none are left.
func attributes(kvs []*commonpb.KeyValue) map[string]any {
	var m map[string]any
	for _, kv := range kvs {
		k := truncate(kv.GetKey(), maxKeyBytes)
		if k == attrSessionID || k == attrBaggageSessionID {
			continue
		}
		if m == nil {
			m = make(map[string]any, min(len(kvs), maxAttributes))
		}
		if _, dup := m[k]; dup {
			continue
		}
		if len(m) == maxAttributes {
			break
		}
		m[k] = value(kv.GetValue(), 0)
	}
	return m
}

// value flattens an AnyValue at nesting depth into a JSON-able Go value.
func value(v *commonpb.AnyValue, depth int) any {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return truncate(x.StringValue, maxStringBytes)
	case *commonpb.AnyValue_BoolValue:
		return x.BoolValue
	case *commonpb.AnyValue_IntValue:
		return x.IntValue
	case *commonpb.AnyValue_DoubleValue:
		// JSON has no NaN or infinities; spell them as protojson does.
		switch f := x.DoubleValue; {
		case math.IsNaN(f):
			return "NaN"
		case math.IsInf(f, 1):
			return "Infinity"
		case math.IsInf(f, -1):
			return "-Infinity"
		default:
			return f
		}
	case *commonpb.AnyValue_BytesValue:
		return truncate(base64.StdEncoding.EncodeToString(x.BytesValue), maxStringBytes)
	case *commonpb.AnyValue_ArrayValue:
		if depth == maxDepth {
			return truncatedValue
		}
		vs := x.ArrayValue.GetValues()
		a := make([]any, 0, min(len(vs), maxItems))
		for _, e := range vs[:min(len(vs), maxItems)] {
			a = append(a, value(e, depth+1))
		}
		return a
	case *commonpb.AnyValue_KvlistValue:
		if depth == maxDepth {
			return truncatedValue
		}
		kvs := x.KvlistValue.GetValues()
		m := make(map[string]any, min(len(kvs), maxItems))
		for _, kv := range kvs {
			if len(m) == maxItems {
				break
			}
			m[truncate(kv.GetKey(), maxKeyBytes)] = value(kv.GetValue(), depth+1)
		}
		return m
	default:
		// Unset, or string_value_strindex, which only profiles use.
		return nil
	}
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len(truncatedValue)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + truncatedValue
}
