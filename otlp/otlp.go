// Package otlp decodes OTLP/HTTP export requests (what OpenTelemetry SDKs send
// to /v1/traces and /v1/logs) into Records: the spans and log records that
// carry a Playhead session ID, so a replay can show the backend side of the
// session next to what the user saw. Everything without a session ID is
// counted and otherwise ignored: it is telemetry, just not Playhead's.
//
// The package knows no HTTP: the server reads (and gunzips) the body, and
// answers with the bodies TracesResponse, LogsResponse and ErrorResponse make.
package otlp

import (
	"mime"

	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/playhead/playhead"
)

// The two OTLP/HTTP encodings. A response uses the request's encoding.
const (
	ContentTypeProtobuf = "application/x-protobuf"
	ContentTypeJSON     = "application/json"
)

// Record kinds.
const (
	KindSpan = "span"
	KindLog  = "log"
)

// Record is one span or log record that belongs to a recorded session.
type Record struct {
	// SessionID comes from the attribute session.id of the span or log
	// record, else of its resource, else from baggage.session.id (baggage
	// entries some setups copy to attributes with a prefix).
	SessionID string
	Kind      string // KindSpan or KindLog
	Service   string // the resource attribute service.name
	// TraceID, SpanID and ParentSpanID are lowercase hex, "" when absent.
	TraceID      string
	SpanID       string
	ParentSpanID string
	// Name is the span's name; for a log record its event name (usually "").
	Name string
	// StartMs is the span's start or the log record's time (its observed
	// time when it has none), in Unix milliseconds.
	StartMs int64
	// EndMs is the span's end (never before StartMs); for a log, StartMs.
	EndMs int64
	// Level is, for logs, trace|debug|info|warn|error|fatal from the
	// severity number, else the severity text lowercased; for spans
	// "error" when the status is ERROR, else "".
	Level string
	// Message is a log's body as text (non-string bodies as compact JSON),
	// or a span's status message.
	Message string
	Status  string // spans: "ok", "error" or "unset"; logs: ""
	// Attributes are the span's or log record's attributes (without the
	// session ID) as JSON-able values: string, int64, float64, bool, []any
	// and map[string]any, bounded by maxAttributes, maxStringBytes,
	// maxItems and maxDepth. Nil when there are none.
	Attributes map[string]any
}

// DefaultMaxRecords bounds one request when Limits.MaxRecords is zero.
const DefaultMaxRecords = 10_000

// Limits bound one request.
type Limits struct {
	// MaxRecords is how many spans or log records (with a session ID or
	// not) one request may hold, and 64 times it how many messages in all
	// (records, attributes, values); more is an ETOOLARGE error. Zero means
	// DefaultMaxRecords.
	MaxRecords int
}

func (l Limits) maxRecords() int {
	if l.MaxRecords <= 0 {
		return DefaultMaxRecords
	}
	return l.MaxRecords
}

// DecodeTraces parses an ExportTraceServiceRequest body (already
// decompressed) encoded as contentType says: ContentTypeProtobuf or
// ContentTypeJSON, parameters allowed. It returns the spans that carry a
// valid session ID and the number of spans that carry none. Errors are
// *playhead.Error: EINVALID for a body or content type OTLP does not allow
// (HTTP 400: the client must not retry), ETOOLARGE past lim.
func DecodeTraces(body []byte, contentType string, lim Limits) (records []Record, withoutSession int, err error) {
	var req tracepb.TracesData
	enc, err := unmarshal(body, contentType, &req, "traces", lim)
	if err != nil {
		return nil, 0, err
	}
	var groups []group[*tracepb.Span]
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			groups = append(groups, group[*tracepb.Span]{rs.GetResource().GetAttributes(), ss.GetSpans()})
		}
	}
	return collect(groups, "traces", "spans", lim, func(s *tracepb.Span, sid, service string) Record {
		return spanRecord(s, sid, service, enc == ContentTypeJSON)
	})
}

// DecodeLogs parses an ExportLogsServiceRequest body the way DecodeTraces
// parses traces, and returns the log records that carry a valid session ID
// and the number of those that carry none.
func DecodeLogs(body []byte, contentType string, lim Limits) (records []Record, withoutSession int, err error) {
	var req logspb.LogsData
	enc, err := unmarshal(body, contentType, &req, "logs", lim)
	if err != nil {
		return nil, 0, err
	}
	var groups []group[*logspb.LogRecord]
	for _, rl := range req.GetResourceLogs() {
		for _, sl := range rl.GetScopeLogs() {
			groups = append(groups, group[*logspb.LogRecord]{rl.GetResource().GetAttributes(), sl.GetLogRecords()})
		}
	}
	return collect(groups, "logs", "log records", lim, func(l *logspb.LogRecord, sid, service string) Record {
		return logRecord(l, sid, service, enc == ContentTypeJSON)
	})
}

// group is the spans or log records of one scope, with their resource's
// attributes.
type group[T any] struct {
	resource []*commonpb.KeyValue
	items    []T
}

// collect converts the items that carry a session ID into Records, and
// counts the others, after checking their number against lim.
func collect[T interface{ GetAttributes() []*commonpb.KeyValue }](groups []group[T], signal, items string, lim Limits, convert func(item T, sid, service string) Record) ([]Record, int, error) {
	n := 0
	for _, g := range groups {
		n += len(g.items)
	}
	if limit := lim.maxRecords(); n > limit {
		return nil, 0, playhead.Errorf(playhead.ETOOLARGE, "OTLP %s: %d %s in one request, the limit is %d", signal, n, items, limit)
	}
	var records []Record
	without := 0
	for _, g := range groups {
		service := stringAttr(g.resource, "service.name")
		for _, item := range g.items {
			sid := sessionID(item.GetAttributes(), g.resource)
			if sid == "" {
				without++
				continue
			}
			records = append(records, convert(item, sid, service))
		}
	}
	return records, without, nil
}

// TracesResponse returns the body and Content-Type of the answer to a
// successful trace export: an empty ExportTraceServiceResponse (no partial
// success: spans without a session ID are not rejected, just not ours) in
// the request's encoding.
func TracesResponse(contentType string) (body []byte, respContentType string) {
	return emptyResponse(contentType)
}

// LogsResponse returns the body and Content-Type of the answer to a
// successful log export: an empty ExportLogsServiceResponse in the request's
// encoding.
func LogsResponse(contentType string) (body []byte, respContentType string) {
	return emptyResponse(contentType)
}

// emptyResponse encodes an Export*ServiceResponse without partial success:
// a message with no fields set, zero bytes in protobuf and {} in JSON.
func emptyResponse(contentType string) ([]byte, string) {
	if mediaType(contentType) == ContentTypeProtobuf {
		return []byte{}, ContentTypeProtobuf
	}
	return []byte("{}"), ContentTypeJSON
}

// ErrorResponse returns the body and Content-Type of a failed export's
// answer: OTLP/HTTP requires every 4xx and 5xx body to be a google.rpc.Status
// whose message says what went wrong, in the request's encoding (JSON when
// the request's content type is not protobuf, so that a client that sent
// something else gets text it can read).
func ErrorResponse(contentType, message string) (body []byte, respContentType string) {
	st := &status.Status{Message: message}
	if mediaType(contentType) == ContentTypeProtobuf {
		b, err := proto.Marshal(st)
		if err != nil {
			panic(err) // a Status of one string always encodes
		}
		return b, ContentTypeProtobuf
	}
	b, err := protojson.Marshal(st)
	if err != nil {
		panic(err)
	}
	return b, ContentTypeJSON
}

// unmarshal decodes body into m by content type, and returns the encoding.
// m is a TracesData or LogsData: each is, by the specification, the same
// message on the wire as the export request, without the collector
// package's gRPC service code (11 MB of binary). The messages are counted
// first, so a body cannot allocate past the limit.
func unmarshal(body []byte, contentType string, m proto.Message, signal string, lim Limits) (string, error) {
	var (
		mt     = mediaType(contentType)
		n      int
		format string
		decode func() error
	)
	switch mt {
	case ContentTypeProtobuf:
		n = countProtobuf(body, m.ProtoReflect().Descriptor(), lim.maxMessages(), 0)
		format, decode = "protobuf", func() error { return proto.Unmarshal(body, m) }
	case ContentTypeJSON:
		// OTLP/JSON receivers must ignore unknown fields, so newer
		// senders keep working.
		n = countJSON(body)
		format, decode = "JSON", func() error { return protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(body, m) }
	default:
		return "", playhead.Errorf(playhead.EINVALID, "decode OTLP %s: unsupported content type %q: OTLP/HTTP takes %s or %s", signal, contentType, ContentTypeProtobuf, ContentTypeJSON)
	}
	if limit := lim.maxMessages(); n > limit {
		return "", playhead.Errorf(playhead.ETOOLARGE, "OTLP %s: more than %d messages (records, attributes, values) in one request, the limit is %d per record allowed (%d records)", signal, limit, messagesPerRecord, lim.maxRecords())
	}
	if err := decode(); err != nil {
		return "", playhead.Errorf(playhead.EINVALID, "decode OTLP %s (%s): %v", signal, format, err)
	}
	return mt, nil
}

// mediaType returns contentType without parameters, lowercased; "" when it
// does not parse.
func mediaType(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	return mt
}
