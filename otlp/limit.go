package otlp

import (
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// messagesPerRecord bounds the messages (spans, log records, attributes,
// values, events, …) a request may hold: 64 for each record Limits.MaxRecords
// allows, 640,000 by default, however few records the request holds.
// Decoding allocates up to 165 bytes for every byte of a body of empty
// messages (measured: 4 MiB of empty spans took 660 MB), so the count is
// checked on the wire before anything is decoded. Real telemetry stays far
// below it: a span with 20 attributes and an exception event is about 50.
const messagesPerRecord = 64

func (l Limits) maxMessages() int { return l.maxRecords() * messagesPerRecord }

// maxNesting is protobuf's default recursion limit: proto.Unmarshal refuses
// deeper messages, so counting stops there too (and keeps its stack small).
const maxNesting = 10_000

// countProtobuf returns how many messages (itself included) the protobuf
// message of type md encoded in data holds, counting no further than limit.
// It follows the schema, so bytes and strings are not mistaken for
// messages; malformed data ends the count early and is left for
// proto.Unmarshal to report.
func countProtobuf(data []byte, md protoreflect.MessageDescriptor, limit, depth int) int {
	n := 1
	for len(data) > 0 && n <= limit && depth < maxNesting {
		num, typ, tagLen := protowire.ConsumeTag(data)
		if tagLen < 0 {
			return n
		}
		data = data[tagLen:]
		if typ != protowire.BytesType {
			valLen := protowire.ConsumeFieldValue(num, typ, data)
			if valLen < 0 {
				return n
			}
			data = data[valLen:]
			continue
		}
		v, valLen := protowire.ConsumeBytes(data)
		if valLen < 0 {
			return n
		}
		data = data[valLen:]
		if fd := md.Fields().ByNumber(num); fd != nil && fd.Kind() == protoreflect.MessageKind {
			n += countProtobuf(v, fd.Message(), limit-n, depth+1)
		}
	}
	return n
}

// countJSON returns how many objects the JSON text data holds, which is how
// many messages it decodes to; invalid text is left for protojson to report.
func countJSON(data []byte) int {
	n, inString, escaped := 0, false, false
	for _, c := range data {
		switch {
		case escaped:
			escaped = false
		case inString:
			escaped = c == '\\'
			inString = c != '"'
		case c == '"':
			inString = true
		case c == '{':
			n++
		}
	}
	return n
}
