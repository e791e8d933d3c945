package otlp_test

import (
	"encoding/json"
	"math"
	"regexp"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/playhead/playhead/ingest"
	"github.com/playhead/playhead/otlp"
)

const traceJSONSeed = `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"web"}}]},
"scopeSpans":[{"spans":[{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174","name":"GET /",
"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":1700000000100000000,"kind":2,"status":{"code":2,"message":"x"},
"attributes":[{"key":"session.id","value":{"stringValue":"sess_0123456789"}},{"key":"a","value":{"arrayValue":{"values":[{"doubleValue":"NaN"}]}}}]}]}]}]}`

const logsJSONSeed = `{"resourceLogs":[{"resource":{"attributes":[{"key":"session.id","value":{"stringValue":"sess_0123456789"}}]},
"scopeLogs":[{"logRecords":[{"timeUnixNano":"1700000000000000000","severityNumber":17,"severityText":"Error",
"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
"body":{"kvlistValue":{"values":[{"key":"k","value":{"bytesValue":"aGk="}}]}}}]}]}]}`

func fuzzSeeds(t testing.TB) (traceBodies, logBodies [][]byte) {
	deep := &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: "deep"}}
	for range 8 {
		deep = &commonpb.AnyValue{Value: &commonpb.AnyValue_KvlistValue{KvlistValue: &commonpb.KeyValueList{
			Values: []*commonpb.KeyValue{kv("k", deep)}}}}
	}
	s := span("GET /", str("session.id", sid), kv("deep", deep),
		kv("inf", &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: math.Inf(1)}}))
	s.Status = &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR, Message: "boom"}
	tr := traces([]*commonpb.KeyValue{str("service.name", "web")}, s, span("no session"))
	lg := logs([]*commonpb.KeyValue{str("session.id", sid)}, &logspb.LogRecord{
		TimeUnixNano: 1, SeverityNumber: logspb.SeverityNumber_SEVERITY_NUMBER_WARN, TraceId: traceID, SpanId: spanID,
		Body: deep, Attributes: []*commonpb.KeyValue{str("a", "b")},
	})
	for _, m := range []struct {
		msg    proto.Message
		bodies *[][]byte
	}{{tr, &traceBodies}, {lg, &logBodies}} {
		j, err := protojson.Marshal(m.msg)
		if err != nil {
			t.Fatal(err)
		}
		*m.bodies = append(*m.bodies, pb(t, m.msg), j)
	}
	return append(traceBodies, []byte(traceJSONSeed)), append(logBodies, []byte(logsJSONSeed))
}

var hexID = regexp.MustCompile(`^([0-9a-f]{16}|[0-9a-f]{32})?$`)

// checkDecoded holds for whatever a decoder returns: no error and records
// together, valid session IDs, lowercase hex IDs, and values that encode as
// JSON (the server stores them that way).
func checkDecoded(t *testing.T, recs []otlp.Record, without int, err error) {
	if err != nil {
		if recs != nil || without != 0 {
			t.Fatalf("error %v with %d records, %d without session", err, len(recs), without)
		}
		return
	}
	for _, r := range recs {
		if ingest.ValidSessionID(r.SessionID) != nil {
			t.Fatalf("record with invalid session ID %q", r.SessionID)
		}
		for _, id := range []string{r.TraceID, r.SpanID, r.ParentSpanID} {
			if !hexID.MatchString(id) {
				t.Fatalf("ID %q is not lowercase hex of an OTLP ID", id)
			}
		}
		if r.EndMs < r.StartMs {
			t.Fatalf("record ends at %d before it starts at %d", r.EndMs, r.StartMs)
		}
		if len(r.Attributes) > 64 {
			t.Fatalf("%d attributes kept", len(r.Attributes))
		}
	}
	if _, err := json.Marshal(recs); err != nil {
		t.Fatalf("records do not encode as JSON: %v", err)
	}
}

func FuzzDecodeTraces(f *testing.F) {
	traceBodies, _ := fuzzSeeds(f)
	fuzzDecoder(f, traceBodies, otlp.DecodeTraces)
}

func FuzzDecodeLogs(f *testing.F) {
	_, logBodies := fuzzSeeds(f)
	fuzzDecoder(f, logBodies, otlp.DecodeLogs)
}

// fuzzDecoder feeds decode the seeds and their mutations, as protobuf and
// as JSON.
func fuzzDecoder(f *testing.F, seeds [][]byte, decode func([]byte, string, otlp.Limits) ([]otlp.Record, int, error)) {
	for _, b := range seeds {
		f.Add(b, false)
		f.Add(b, true)
	}
	f.Fuzz(func(t *testing.T, body []byte, isJSON bool) {
		ct := otlp.ContentTypeProtobuf
		if isJSON {
			ct = otlp.ContentTypeJSON
		}
		recs, without, err := decode(body, ct, otlp.Limits{MaxRecords: 100})
		checkDecoded(t, recs, without, err)
	})
}
