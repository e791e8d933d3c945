package otlp_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"google.golang.org/protobuf/encoding/protowire"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/otlp"
)

const sid = "sess_0123456789"

var (
	traceID  = []byte{0x5b, 0x8e, 0xff, 0xf7, 0x98, 0x03, 0x81, 0x03, 0xd2, 0x69, 0xb6, 0x33, 0x81, 0x3f, 0xc6, 0x0c}
	spanID   = []byte{0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x74}
	parentID = []byte{0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x73}
)

const (
	traceHex  = "5b8efff798038103d269b633813fc60c"
	spanHex   = "eee19b7ec3c1b174"
	parentHex = "eee19b7ec3c1b173"
)

func str(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

func kv(k string, v *commonpb.AnyValue) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: v}
}

func traces(res []*commonpb.KeyValue, spans ...*tracepb.Span) *coltracepb.ExportTraceServiceRequest {
	return &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource:   &resourcepb.Resource{Attributes: res},
		ScopeSpans: []*tracepb.ScopeSpans{{Scope: &commonpb.InstrumentationScope{Name: "test"}, Spans: spans}},
	}}}
}

func logs(res []*commonpb.KeyValue, recs ...*logspb.LogRecord) *collogspb.ExportLogsServiceRequest {
	return &collogspb.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{{
		Resource:  &resourcepb.Resource{Attributes: res},
		ScopeLogs: []*logspb.ScopeLogs{{LogRecords: recs}},
	}}}
}

func span(name string, attrs ...*commonpb.KeyValue) *tracepb.Span {
	return &tracepb.Span{
		TraceId: traceID, SpanId: spanID, ParentSpanId: parentID, Name: name,
		StartTimeUnixNano: 1_700_000_000_123_456_789, EndTimeUnixNano: 1_700_000_000_456_000_000,
		Attributes: attrs,
	}
}

func pb(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func spanWant(name string) otlp.Record {
	return otlp.Record{
		SessionID: sid, Kind: otlp.KindSpan, Service: "checkout",
		TraceID: traceHex, SpanID: spanHex, ParentSpanID: parentHex, Name: name,
		StartMs: 1_700_000_000_123, EndMs: 1_700_000_000_456, Status: "unset",
	}
}

func TestDecodeTracesProtobuf(t *testing.T) {
	service := str("service.name", "checkout")
	errSpan := span("POST /pay", str("session.id", sid), str("http.route", "/pay"))
	errSpan.Status = &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR, Message: "card declined"}
	okSpan := span("GET /", str("session.id", sid))
	okSpan.Status = &tracepb.Status{Code: tracepb.Status_STATUS_CODE_OK}
	noIDs := span("no ids", str("session.id", sid))
	noIDs.TraceId, noIDs.SpanId, noIDs.ParentSpanId = make([]byte, 16), []byte{1, 2, 3}, nil
	backwards := span("clock skew", str("session.id", sid))
	backwards.EndTimeUnixNano = 0

	tests := []struct {
		name    string
		req     *coltracepb.ExportTraceServiceRequest
		want    []otlp.Record
		without int
	}{
		{"span attribute", traces([]*commonpb.KeyValue{service}, span("GET /cart", str("session.id", sid))),
			[]otlp.Record{spanWant("GET /cart")}, 0},
		{"resource attribute", traces([]*commonpb.KeyValue{service, str("session.id", sid)}, span("GET /cart")),
			[]otlp.Record{spanWant("GET /cart")}, 0},
		{"baggage copied with a prefix", traces([]*commonpb.KeyValue{service}, span("GET /cart", str("baggage.session.id", sid))),
			[]otlp.Record{spanWant("GET /cart")}, 0},
		{"span attribute wins over resource", traces([]*commonpb.KeyValue{service, str("session.id", "resource_session")}, span("GET /cart", str("session.id", sid))),
			[]otlp.Record{spanWant("GET /cart")}, 0},
		{"invalid span session is not the resource's", traces([]*commonpb.KeyValue{service, str("session.id", sid)}, span("x", str("session.id", "bad id!"))),
			nil, 1},
		{"too short", traces(nil, span("x", str("session.id", "short"))), nil, 1},
		{"too long", traces(nil, span("x", str("session.id", strings.Repeat("a", 65)))), nil, 1},
		{"not a string", traces(nil, span("x", kv("session.id", &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: 12345678}}))), nil, 1},
		{"none", traces([]*commonpb.KeyValue{service}, span("a"), span("b", str("session.id", sid)), span("c")),
			[]otlp.Record{spanWant("b")}, 2},
		{"status error", traces([]*commonpb.KeyValue{service}, errSpan), []otlp.Record{func() otlp.Record {
			r := spanWant("POST /pay")
			r.Status, r.Level, r.Message = "error", "error", "card declined"
			r.Attributes = map[string]any{"http.route": "/pay"}
			return r
		}()}, 0},
		{"status ok", traces([]*commonpb.KeyValue{service}, okSpan), []otlp.Record{func() otlp.Record {
			r := spanWant("GET /")
			r.Status = "ok"
			return r
		}()}, 0},
		{"missing and invalid ids", traces([]*commonpb.KeyValue{service}, noIDs), []otlp.Record{func() otlp.Record {
			r := spanWant("no ids")
			r.TraceID, r.SpanID, r.ParentSpanID = "", "", ""
			return r
		}()}, 0},
		{"end before start", traces([]*commonpb.KeyValue{service}, backwards), []otlp.Record{func() otlp.Record {
			r := spanWant("clock skew")
			r.EndMs = r.StartMs
			return r
		}()}, 0},
		{"empty request", &coltracepb.ExportTraceServiceRequest{}, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, without, err := otlp.DecodeTraces(pb(t, tt.req), "application/x-protobuf", otlp.Limits{})
			checkRecordsEqual(t, got, without, err, tt.want, tt.without)
		})
	}
}

func TestAttributes(t *testing.T) {
	anyv := func(v any) *commonpb.AnyValue {
		switch v := v.(type) {
		case string:
			return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}
		case int64:
			return &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: v}}
		case float64:
			return &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: v}}
		case bool:
			return &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: v}}
		case []byte:
			return &commonpb.AnyValue{Value: &commonpb.AnyValue_BytesValue{BytesValue: v}}
		}
		panic(v)
	}
	arr := func(vs ...*commonpb.AnyValue) *commonpb.AnyValue {
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{Values: vs}}}
	}
	nested := anyv("deep")
	for range 6 {
		nested = arr(nested)
	}
	many := make([]*commonpb.AnyValue, 100)
	for i := range many {
		many[i] = anyv(int64(i))
	}
	attrs := []*commonpb.KeyValue{
		str("session.id", sid),
		kv("s", anyv("text")),
		kv("i", anyv(int64(-42))),
		kv("f", anyv(1.5)),
		kv("nan", anyv(math.NaN())),
		kv("inf", anyv(math.Inf(-1))),
		kv("b", anyv(true)),
		kv("bytes", anyv([]byte("hi"))),
		kv("unset", &commonpb.AnyValue{}),
		kv("arr", arr(anyv("x"), anyv(int64(1)))),
		kv("map", &commonpb.AnyValue{Value: &commonpb.AnyValue_KvlistValue{KvlistValue: &commonpb.KeyValueList{Values: []*commonpb.KeyValue{str("k", "v")}}}}),
		kv("nested", nested),
		kv("many", arr(many...)),
		kv("long", anyv(strings.Repeat("é", 2000))),
		kv("s", anyv("duplicate key, first wins")),
	}
	for i := range 100 {
		attrs = append(attrs, str(fmt.Sprintf("extra.%03d", i), "x"))
	}
	recs, _, err := otlp.DecodeTraces(pb(t, traces(nil, span("a", attrs...))), otlp.ContentTypeProtobuf, otlp.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	got := recs[0].Attributes
	if len(got) != 64 {
		t.Errorf("%d attributes, want 64", len(got))
	}
	for k, want := range map[string]any{
		"s": "text", "i": int64(-42), "f": 1.5, "nan": "NaN", "inf": "-Infinity", "b": true,
		"bytes": "aGk=", "unset": nil, "arr": []any{"x", int64(1)}, "map": map[string]any{"k": "v"},
		"nested": []any{[]any{[]any{[]any{"…"}}}},
	} {
		if !reflect.DeepEqual(got[k], want) {
			t.Errorf("%s = %#v, want %#v", k, got[k], want)
		}
	}
	if _, ok := got["session.id"]; ok {
		t.Error("session.id kept in Attributes; Record.SessionID has it")
	}
	if n := len(got["many"].([]any)); n != 64 {
		t.Errorf("array of 100 kept %d elements, want 64", n)
	}
	if s := got["long"].(string); len(s) > 2048 || !strings.HasSuffix(s, "é…") {
		t.Errorf("long string: %d bytes ending %q, want at most 2048 ending in a whole rune and …", len(s), s[len(s)-8:])
	}
	if _, err := json.Marshal(got); err != nil {
		t.Errorf("attributes are not JSON-able: %v", err)
	}
}

// The OTLP/JSON bodies are written the way the specification's examples
// write them: hex IDs (any case), lowerCamelCase keys, 64-bit integers as
// strings or numbers, enums as integers.
func TestDecodeTracesJSON(t *testing.T) {
	body := `{
  "resourceSpans": [{
    "resource": {"attributes": [
      {"key": "service.name", "value": {"stringValue": "checkout"}},
      {"key": "session.id", "value": {"stringValue": "` + sid + `"}}
    ]},
    "scopeSpans": [{
      "scope": {"name": "my.library", "version": "1.0.0"},
      "spans": [{
        "traceId": "5B8EFFF798038103D269B633813FC60C",
        "spanId": "eee19b7ec3c1b174",
        "parentSpanId": "EEE19B7EC3C1B173",
        "name": "I'm a server span",
        "startTimeUnixNano": "1700000000123456789",
        "endTimeUnixNano": 1700000000456000000,
        "kind": 2,
        "status": {"code": 2, "message": "boom"},
        "attributes": [
          {"key": "http.status_code", "value": {"intValue": "500"}},
          {"key": "retry", "value": {"boolValue": true}},
          {"key": "ratio", "value": {"doubleValue": 0.25}}
        ],
        "someFieldFromTheFuture": {"x": 1}
      }, {
        "traceId": "W47/95gDgQPSabYzgT/GDA==",
        "spanId": "7uGbfsPBsXQ=",
        "name": "base64 ids from a non-conforming sender",
        "startTimeUnixNano": "1700000000123456789",
        "endTimeUnixNano": "1700000000456000000"
      }, {
        "traceId": "5b8efff798038103d269b633813fc60c",
        "spanId": "eee19b7ec3c1b174",
        "name": "invalid session",
        "startTimeUnixNano": "1700000000123456789",
        "endTimeUnixNano": "1700000000456000000",
        "attributes": [{"key": "session.id", "value": {"stringValue": "bad"}}]
      }]
    }]
  }]
}`
	first := spanWant("I'm a server span")
	first.Status, first.Level, first.Message = "error", "error", "boom"
	first.Attributes = map[string]any{"http.status_code": int64(500), "retry": true, "ratio": 0.25}
	second := spanWant("base64 ids from a non-conforming sender")
	second.ParentSpanID = ""
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON"} {
		got, without, err := otlp.DecodeTraces([]byte(body), ct, otlp.Limits{})
		if err != nil {
			t.Fatalf("%s: %v", ct, err)
		}
		if want := []otlp.Record{first, second}; !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", ct, got, want)
		}
		if without != 1 {
			t.Errorf("%s: withoutSession = %d, want 1", ct, without)
		}
	}

	// protojson's own encoding (base64 IDs) decodes to the same IDs.
	b, err := protojson.Marshal(traces([]*commonpb.KeyValue{str("service.name", "checkout")}, span("GET /cart", str("session.id", sid))))
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := otlp.DecodeTraces(b, otlp.ContentTypeJSON, otlp.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []otlp.Record{spanWant("GET /cart")}; !reflect.DeepEqual(got, want) {
		t.Errorf("protojson body:\n got %+v\nwant %+v", got, want)
	}
}

func TestDecodeLogs(t *testing.T) {
	rec := func(num logspb.SeverityNumber, text string, body *commonpb.AnyValue) *logspb.LogRecord {
		return &logspb.LogRecord{
			TimeUnixNano: 1_700_000_000_123_456_789, SeverityNumber: num, SeverityText: text, Body: body,
			TraceId: traceID, SpanId: spanID, Attributes: []*commonpb.KeyValue{str("session.id", sid)},
		}
	}
	s := func(v string) *commonpb.AnyValue {
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}
	}
	want := func(level, msg string) otlp.Record {
		return otlp.Record{
			SessionID: sid, Kind: otlp.KindLog, Service: "checkout", TraceID: traceHex, SpanID: spanHex,
			StartMs: 1_700_000_000_123, EndMs: 1_700_000_000_123, Level: level, Message: msg,
		}
	}
	observed := rec(0, "", s("no time"))
	observed.TimeUnixNano, observed.ObservedTimeUnixNano = 0, 1_700_000_000_999_000_000
	observedWant := want("", "no time")
	observedWant.StartMs, observedWant.EndMs = 1_700_000_000_999, 1_700_000_000_999
	event := rec(logspb.SeverityNumber_SEVERITY_NUMBER_INFO, "", nil)
	event.EventName = "checkout.completed"
	event.Attributes = append(event.Attributes, str("order", "42"))
	eventWant := want("info", "")
	eventWant.Name, eventWant.Attributes = "checkout.completed", map[string]any{"order": "42"}
	resourceSession := rec(logspb.SeverityNumber_SEVERITY_NUMBER_WARN, "", s("from the resource"))
	resourceSession.Attributes = nil

	tests := []struct {
		name    string
		req     *collogspb.ExportLogsServiceRequest
		want    []otlp.Record
		without int
	}{
		{"severity number wins over text", logs([]*commonpb.KeyValue{str("service.name", "checkout")},
			rec(logspb.SeverityNumber_SEVERITY_NUMBER_ERROR3, "Oops", s("payment failed")),
			rec(logspb.SeverityNumber_SEVERITY_NUMBER_TRACE, "", s("t")),
			rec(logspb.SeverityNumber_SEVERITY_NUMBER_DEBUG4, "", s("d")),
			rec(logspb.SeverityNumber_SEVERITY_NUMBER_INFO2, "", s("i")),
			rec(logspb.SeverityNumber_SEVERITY_NUMBER_WARN, "", s("w")),
			rec(logspb.SeverityNumber_SEVERITY_NUMBER_FATAL4, "", s("f"))),
			[]otlp.Record{want("error", "payment failed"), want("trace", "t"), want("debug", "d"), want("info", "i"), want("warn", "w"), want("fatal", "f")}, 0},
		{"severity text", logs([]*commonpb.KeyValue{str("service.name", "checkout")},
			rec(0, "Information", s("a")), rec(0, "WARNING", s("b")), rec(0, "critical", s("c")), rec(0, "Verbose", s("d")), rec(0, "", s("e"))),
			[]otlp.Record{want("info", "a"), want("warn", "b"), want("fatal", "c"), want("verbose", "d"), want("", "e")}, 0},
		{"structured body", logs([]*commonpb.KeyValue{str("service.name", "checkout")},
			rec(0, "", &commonpb.AnyValue{Value: &commonpb.AnyValue_KvlistValue{KvlistValue: &commonpb.KeyValueList{Values: []*commonpb.KeyValue{
				str("msg", "hi"), kv("n", &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: 3}}),
			}}}}),
			rec(0, "", &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: 7}})),
			[]otlp.Record{want("", `{"msg":"hi","n":3}`), want("", "7")}, 0},
		{"observed time when time is unset", logs([]*commonpb.KeyValue{str("service.name", "checkout")}, observed),
			[]otlp.Record{observedWant}, 0},
		{"event", logs([]*commonpb.KeyValue{str("service.name", "checkout")}, event), []otlp.Record{eventWant}, 0},
		{"resource session, one without", logs([]*commonpb.KeyValue{str("service.name", "checkout"), str("session.id", sid)}, resourceSession),
			[]otlp.Record{want("warn", "from the resource")}, 0},
		{"without session", logs(nil, &logspb.LogRecord{Body: s("x")}, &logspb.LogRecord{}), nil, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, without, err := otlp.DecodeLogs(pb(t, tt.req), otlp.ContentTypeProtobuf, otlp.Limits{})
			checkRecordsEqual(t, got, without, err, tt.want, tt.without)
		})
	}
}

func TestDecodeLogsJSON(t *testing.T) {
	body := `{
  "resourceLogs": [{
    "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "checkout"}}]},
    "scopeLogs": [{
      "scope": {"name": "my.library", "version": "1.0.0"},
      "logRecords": [{
        "timeUnixNano": "1700000000123456789",
        "observedTimeUnixNano": "1700000000200000000",
        "severityNumber": 17,
        "severityText": "Error",
        "traceId": "5B8EFFF798038103D269B633813FC60C",
        "spanId": "EEE19B7EC3C1B174",
        "body": {"stringValue": "Example log record"},
        "attributes": [
          {"key": "session.id", "value": {"stringValue": "` + sid + `"}},
          {"key": "array.attribute", "value": {"arrayValue": {"values": [{"stringValue": "many"}, {"stringValue": "values"}]}}},
          {"key": "map.attribute", "value": {"kvlistValue": {"values": [{"key": "some.map.key", "value": {"stringValue": "some value"}}]}}}
        ]
      }, {
        "timeUnixNano": "1700000000123456789",
        "body": {"stringValue": "no session"}
      }]
    }]
  }]
}`
	got, without, err := otlp.DecodeLogs([]byte(body), otlp.ContentTypeJSON, otlp.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := []otlp.Record{{
		SessionID: sid, Kind: otlp.KindLog, Service: "checkout", TraceID: traceHex, SpanID: spanHex,
		StartMs: 1_700_000_000_123, EndMs: 1_700_000_000_123, Level: "error", Message: "Example log record",
		Attributes: map[string]any{
			"array.attribute": []any{"many", "values"},
			"map.attribute":   map[string]any{"some.map.key": "some value"},
		},
	}}
	if !reflect.DeepEqual(got, want) || without != 1 {
		t.Errorf("got %+v, %d without session\nwant %+v, 1", got, without, want)
	}
}

func TestDecodeErrors(t *testing.T) {
	manySpans := traces(nil, span("a"), span("b"), span("c"))
	manyLogs := logs(nil, &logspb.LogRecord{}, &logspb.LogRecord{}, &logspb.LogRecord{})
	tests := []struct {
		name        string
		decode      func([]byte, string, otlp.Limits) ([]otlp.Record, int, error)
		body        []byte
		contentType string
		lim         otlp.Limits
		code        string
		msg         string
	}{
		{"bad protobuf", otlp.DecodeTraces, []byte{0xff, 0xff, 0xff}, otlp.ContentTypeProtobuf, otlp.Limits{}, playhead.EINVALID, "decode OTLP traces (protobuf): "},
		{"bad JSON", otlp.DecodeLogs, []byte(`{"resourceLogs": [`), otlp.ContentTypeJSON, otlp.Limits{}, playhead.EINVALID, "decode OTLP logs (JSON): "},
		{"wrong JSON type", otlp.DecodeTraces, []byte(`{"resourceSpans": {}}`), otlp.ContentTypeJSON, otlp.Limits{}, playhead.EINVALID, "decode OTLP traces (JSON): "},
		{"unknown content type", otlp.DecodeTraces, []byte(`{}`), "text/plain", otlp.Limits{}, playhead.EINVALID,
			`decode OTLP traces: unsupported content type "text/plain": OTLP/HTTP takes application/x-protobuf or application/json`},
		{"no content type", otlp.DecodeLogs, []byte(`{}`), "", otlp.Limits{}, playhead.EINVALID, `unsupported content type ""`},
		{"too many spans", otlp.DecodeTraces, pb(t, manySpans), otlp.ContentTypeProtobuf, otlp.Limits{MaxRecords: 2}, playhead.ETOOLARGE,
			"OTLP traces: 3 spans in one request, the limit is 2"},
		{"too many logs", otlp.DecodeLogs, pb(t, manyLogs), otlp.ContentTypeProtobuf, otlp.Limits{MaxRecords: 2}, playhead.ETOOLARGE,
			"OTLP logs: 3 log records in one request, the limit is 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, _, err := tt.decode(tt.body, tt.contentType, tt.lim)
			if code := playhead.ErrorCode(err); code != tt.code {
				t.Fatalf("error %v has code %q, want %q", err, code, tt.code)
			}
			if msg := playhead.ErrorMessage(err); !strings.Contains(msg, tt.msg) {
				t.Errorf("message %q does not contain %q", msg, tt.msg)
			}
			if recs != nil {
				t.Errorf("records %+v with an error", recs)
			}
		})
	}
	if _, _, err := otlp.DecodeTraces(pb(t, manySpans), otlp.ContentTypeProtobuf, otlp.Limits{MaxRecords: 3}); err != nil {
		t.Errorf("at the limit: %v", err)
	}
}

func TestResponses(t *testing.T) {
	for _, tt := range []struct {
		contentType, wantType, wantBody string
	}{
		{"application/x-protobuf", "application/x-protobuf", ""},
		{"application/json; charset=utf-8", "application/json", "{}"},
		{"text/plain", "application/json", "{}"},
	} {
		for _, r := range []struct {
			name string
			f    func(string) ([]byte, string)
			msg  proto.Message
		}{
			{"traces", otlp.TracesResponse, &coltracepb.ExportTraceServiceResponse{}},
			{"logs", otlp.LogsResponse, &collogspb.ExportLogsServiceResponse{}},
		} {
			body, ct := r.f(tt.contentType)
			if ct != tt.wantType || string(body) != tt.wantBody {
				t.Errorf("%s response to %q: %q, %q; want %q, %q", r.name, tt.contentType, body, ct, tt.wantBody, tt.wantType)
			}
			// The exporters decode it as the response message, and treat a
			// partial success (rejected records) as an error to report.
			err := proto.Unmarshal(body, r.msg)
			if ct == otlp.ContentTypeJSON {
				err = protojson.Unmarshal(body, r.msg)
			}
			if err != nil || proto.Size(r.msg) != 0 {
				t.Errorf("%s response %q does not decode as an empty %T: %v", r.name, body, r.msg, err)
			}
		}
	}

	body, ct := otlp.ErrorResponse(otlp.ContentTypeProtobuf, "too many spans")
	var st status.Status
	if err := proto.Unmarshal(body, &st); err != nil || ct != otlp.ContentTypeProtobuf || st.GetMessage() != "too many spans" {
		t.Errorf("protobuf error response %q (%s) decodes to %v, %v", body, ct, &st, err)
	}
	body, ct = otlp.ErrorResponse(otlp.ContentTypeJSON, "bad body")
	var js map[string]any
	if err := json.Unmarshal(body, &js); err != nil || ct != otlp.ContentTypeJSON || js["message"] != "bad body" {
		t.Errorf("JSON error response %s (%s): %v", body, ct, err)
	}
}

// wrap encodes payload as field num of a message.
func wrap(num protowire.Number, payload []byte) []byte {
	return protowire.AppendBytes(protowire.AppendTag(nil, num, protowire.BytesType), payload)
}

// Bodies of many empty messages decode to far more memory than they take
// on the wire (165 times for empty spans): the message count is checked
// before decoding, so they are refused cheaply.
func TestHostileBodies(t *testing.T) {
	const size = 4 << 20
	emptySpans := bytes.Repeat([]byte{0x12, 0x00}, size/2)                   // ScopeSpans.spans
	emptyAttrs := wrap(2, wrap(2, bytes.Repeat([]byte{0x4a, 0x00}, size/2))) // ScopeSpans{Span{attributes…}}
	braces := `{"resourceSpans":[{"scopeSpans":[{"spans":[` + strings.Repeat(`{},`, size/3) + `{}]}]}]}`
	braceStrings := `{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"` + strings.Repeat(`{\"{`, 1000) + `"}]}]}]}`
	for _, tt := range []struct {
		name, contentType string
		body              []byte
		code              string
	}{
		{"empty spans", otlp.ContentTypeProtobuf, wrap(1, wrap(2, emptySpans)), playhead.ETOOLARGE},
		{"empty attributes", otlp.ContentTypeProtobuf, wrap(1, emptyAttrs), playhead.ETOOLARGE},
		{"empty JSON objects", otlp.ContentTypeJSON, []byte(braces), playhead.ETOOLARGE},
		{"braces in JSON strings are not objects", otlp.ContentTypeJSON, []byte(braceStrings), ""},
		{"deep nesting", otlp.ContentTypeProtobuf, deepValue(20_000), playhead.EINVALID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, _, err := otlp.DecodeTraces(tt.body, tt.contentType, otlp.Limits{})
			runtime.ReadMemStats(&after)
			if code := playhead.ErrorCode(err); code != tt.code {
				t.Errorf("error %v has code %q, want %q", err, code, tt.code)
			}
			if mb := (after.TotalAlloc - before.TotalAlloc) >> 20; mb > 16 {
				t.Errorf("decoding %d bytes allocated %d MB", len(tt.body), mb)
			}
		})
	}
}

// deepValue is a trace request with a span attribute nested depth kvlists
// deep, written outside in so that building it takes linear time.
func deepValue(depth int) []byte {
	type level struct{ list, kv, value int } // each level's message lengths
	levels := make([]level, depth)
	inner := 0 // the innermost AnyValue is empty
	for i := depth - 1; i >= 0; i-- {
		kv := 1 + protowire.SizeVarint(uint64(inner)) + inner
		list := 1 + protowire.SizeVarint(uint64(kv)) + kv
		levels[i] = level{list, kv, inner}
		inner = 1 + protowire.SizeVarint(uint64(list)) + list
	}
	var b []byte
	for _, l := range levels { // AnyValue.kvlist_value → KeyValueList.values → KeyValue.value
		b = protowire.AppendVarint(protowire.AppendTag(b, 6, protowire.BytesType), uint64(l.list))
		b = protowire.AppendVarint(protowire.AppendTag(b, 1, protowire.BytesType), uint64(l.kv))
		b = protowire.AppendVarint(protowire.AppendTag(b, 2, protowire.BytesType), uint64(l.value))
	}
	return wrap(1, wrap(2, wrap(2, wrap(9, wrap(2, b))))) // request → resource spans → scope spans → span → attribute
}

func TestMessageLimit(t *testing.T) {
	attrs := make([]*commonpb.KeyValue, 100)
	for i := range attrs {
		attrs[i] = str(fmt.Sprint(i), "v")
	}
	req := traces(nil, span("a", attrs...), span("b", attrs...))
	j, err := protojson.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		contentType string
		body        []byte
	}{{otlp.ContentTypeProtobuf, pb(t, req)}, {otlp.ContentTypeJSON, j}} {
		// 2 spans of 100 attributes hold 405 messages.
		_, _, err := otlp.DecodeTraces(tt.body, tt.contentType, otlp.Limits{MaxRecords: 6})
		if playhead.ErrorCode(err) != playhead.ETOOLARGE || !strings.Contains(err.Error(), "more than 384 messages") {
			t.Errorf("%s, 2 spans of 100 attributes, limit 6 records: %v, want more than 384 messages", tt.contentType, err)
		}
		if _, _, err := otlp.DecodeTraces(tt.body, tt.contentType, otlp.Limits{MaxRecords: 7}); err != nil {
			t.Errorf("%s, 2 spans of 100 attributes, limit 7 records: %v", tt.contentType, err)
		}
	}
}

func checkRecordsEqual(t *testing.T, got []otlp.Record, without int, err error, want []otlp.Record, wantWithout int) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("records:\n got %+v\nwant %+v", got, want)
	}
	if without != wantWithout {
		t.Errorf("withoutSession = %d, want %d", without, wantWithout)
	}
}
