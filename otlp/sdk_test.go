package otlp_test

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/playhead/playhead/otlp"
)

// receiver is an OTLP/HTTP endpoint built the way Playhead's server uses the
// package: gunzip when the client says so, decode by path and content type,
// answer in the request's encoding.
type receiver struct {
	mu           sync.Mutex
	records      []otlp.Record
	without      int
	contentTypes map[string]int // "path content-type content-encoding" → requests
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ct := r.Header.Get("Content-Type")
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	data, err := io.ReadAll(io.LimitReader(body, 20<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	decode, respond := otlp.DecodeTraces, otlp.TracesResponse
	switch r.URL.Path {
	case "/v1/traces":
	case "/v1/logs":
		decode, respond = otlp.DecodeLogs, otlp.LogsResponse
	default:
		http.NotFound(w, r)
		return
	}
	recs, without, err := decode(data, ct, otlp.Limits{})
	if err != nil {
		b, rct := otlp.ErrorResponse(ct, err.Error())
		w.Header().Set("Content-Type", rct)
		w.WriteHeader(http.StatusBadRequest)
		w.Write(b)
		return
	}
	rc.mu.Lock()
	rc.records = append(rc.records, recs...)
	rc.without += without
	rc.contentTypes[fmt.Sprintf("%s %s %s", r.URL.Path, ct, r.Header.Get("Content-Encoding"))]++
	rc.mu.Unlock()
	b, rct := respond(ct)
	w.Header().Set("Content-Type", rct)
	w.Write(b)
}

func startReceiver(t *testing.T) (*receiver, string) {
	rc := &receiver{contentTypes: map[string]int{}}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return rc, srv.URL
}

func TestOpenTelemetryTraceExporter(t *testing.T) {
	for _, tt := range []struct {
		name        string
		encoding    otlptracehttp.Encoding
		compression otlptracehttp.Compression
		want        string
	}{
		{"protobuf", otlptracehttp.EncodingProtobuf, otlptracehttp.NoCompression, "/v1/traces application/x-protobuf "},
		{"protobuf gzip", otlptracehttp.EncodingProtobuf, otlptracehttp.GzipCompression, "/v1/traces application/x-protobuf gzip"},
		{"JSON", otlptracehttp.EncodingJSON, otlptracehttp.NoCompression, "/v1/traces application/json "},
		{"JSON gzip", otlptracehttp.EncodingJSON, otlptracehttp.GzipCompression, "/v1/traces application/json gzip"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			rc, url := startReceiver(t)
			provider := func(res ...attribute.KeyValue) *sdktrace.TracerProvider {
				exp, err := otlptracehttp.New(ctx,
					otlptracehttp.WithEndpointURL(url+"/v1/traces"),
					otlptracehttp.WithEncoding(tt.encoding),
					otlptracehttp.WithCompression(tt.compression),
					otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}))
				if err != nil {
					t.Fatal(err)
				}
				return sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithResource(resource.NewSchemaless(res...)))
			}
			start := time.UnixMilli(1_700_000_000_123).Add(456 * time.Microsecond)
			end := start.Add(250 * time.Millisecond)

			// A web service tags its request spans with the session.
			web := provider(attribute.String("service.name", "web"))
			tracer := web.Tracer("test")
			ctx1, root := tracer.Start(ctx, "GET /cart", trace.WithTimestamp(start), trace.WithAttributes(
				attribute.String("session.id", sid), attribute.Int("http.response.status_code", 500)))
			_, child := tracer.Start(ctx1, "SELECT cart", trace.WithTimestamp(start.Add(time.Millisecond)),
				trace.WithAttributes(attribute.String("session.id", sid), attribute.StringSlice("db.tables", []string{"cart", "item"})))
			child.SetStatus(codes.Error, "deadlock")
			child.End(trace.WithTimestamp(end.Add(-time.Millisecond)))
			root.End(trace.WithTimestamp(end))
			_, health := tracer.Start(ctx, "GET /healthz")
			health.End()
			// A worker started for one session says so in its resource.
			worker := provider(attribute.String("service.name", "worker"), attribute.String("session.id", "worker-session-1"))
			_, job := worker.Tracer("test").Start(ctx, "job", trace.WithTimestamp(start))
			job.End(trace.WithTimestamp(end))
			for _, p := range []*sdktrace.TracerProvider{web, worker} {
				if err := p.Shutdown(ctx); err != nil {
					t.Fatal(err)
				}
			}

			rootSC, childSC, jobSC := root.SpanContext(), child.SpanContext(), job.SpanContext()
			want := map[string]otlp.Record{
				"GET /cart": {
					SessionID: sid, Kind: "span", Service: "web", TraceID: rootSC.TraceID().String(), SpanID: rootSC.SpanID().String(),
					Name: "GET /cart", StartMs: 1_700_000_000_123, EndMs: 1_700_000_000_373, Status: "unset",
					Attributes: map[string]any{"http.response.status_code": int64(500)},
				},
				"SELECT cart": {
					SessionID: sid, Kind: "span", Service: "web", TraceID: rootSC.TraceID().String(), SpanID: childSC.SpanID().String(),
					ParentSpanID: rootSC.SpanID().String(), Name: "SELECT cart", StartMs: 1_700_000_000_124, EndMs: 1_700_000_000_372,
					Level: "error", Message: "deadlock", Status: "error",
					Attributes: map[string]any{"db.tables": []any{"cart", "item"}},
				},
				"job": {
					SessionID: "worker-session-1", Kind: "span", Service: "worker", TraceID: jobSC.TraceID().String(), SpanID: jobSC.SpanID().String(),
					Name: "job", StartMs: 1_700_000_000_123, EndMs: 1_700_000_000_373, Status: "unset",
				},
			}
			checkRecords(t, rc, want, 1)
			if rc.contentTypes[tt.want] == 0 {
				t.Errorf("requests %v, want some %q", rc.contentTypes, tt.want)
			}
		})
	}
}

func TestOpenTelemetryLogExporter(t *testing.T) {
	for _, tt := range []struct {
		name        string
		compression otlploghttp.Compression
		want        string
	}{
		{"protobuf", otlploghttp.NoCompression, "/v1/logs application/x-protobuf "},
		{"protobuf gzip", otlploghttp.GzipCompression, "/v1/logs application/x-protobuf gzip"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			rc, url := startReceiver(t)
			provider := func(res ...attribute.KeyValue) *sdklog.LoggerProvider {
				exp, err := otlploghttp.New(ctx,
					otlploghttp.WithEndpointURL(url+"/v1/logs"),
					otlploghttp.WithCompression(tt.compression),
					otlploghttp.WithRetry(otlploghttp.RetryConfig{Enabled: false}))
				if err != nil {
					t.Fatal(err)
				}
				return sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewBatchProcessor(exp)), sdklog.WithResource(resource.NewSchemaless(res...)))
			}
			at := time.UnixMilli(1_700_000_000_123).Add(999 * time.Microsecond)
			emit := func(p *sdklog.LoggerProvider, ctx context.Context, sev log.Severity, text, body string, attrs ...attribute.KeyValue) {
				var r log.Record
				r.SetTimestamp(at)
				r.SetSeverity(sev)
				r.SetSeverityText(text)
				r.SetBody(attribute.StringValue(body))
				r.AddAttributes(attrs...)
				p.Logger("test").Emit(ctx, r)
			}

			// A log written inside a traced request carries its trace and span.
			tp := sdktrace.NewTracerProvider()
			spanCtx, span := tp.Tracer("test").Start(ctx, "GET /pay")
			span.End()
			sc := span.SpanContext()

			api := provider(attribute.String("service.name", "api"))
			emit(api, spanCtx, log.SeverityError, "ERROR", "payment failed", attribute.String("session.id", sid), attribute.Int("attempt", 2))
			emit(api, ctx, log.SeverityWarn2, "", "slow query", attribute.String("session.id", sid))
			emit(api, ctx, log.SeverityInfo, "INFO", "no session here")
			worker := provider(attribute.String("service.name", "worker"), attribute.String("session.id", "worker-session-1"))
			emit(worker, ctx, log.SeverityDebug, "DEBUG", "job started")
			for _, p := range []*sdklog.LoggerProvider{api, worker} {
				if err := p.Shutdown(ctx); err != nil {
					t.Fatal(err)
				}
			}

			want := map[string]otlp.Record{
				"payment failed": {
					SessionID: sid, Kind: "log", Service: "api", TraceID: sc.TraceID().String(), SpanID: sc.SpanID().String(),
					StartMs: 1_700_000_000_123, EndMs: 1_700_000_000_123, Level: "error", Message: "payment failed",
					Attributes: map[string]any{"attempt": int64(2)},
				},
				"slow query": {
					SessionID: sid, Kind: "log", Service: "api",
					StartMs: 1_700_000_000_123, EndMs: 1_700_000_000_123, Level: "warn", Message: "slow query",
				},
				"job started": {
					SessionID: "worker-session-1", Kind: "log", Service: "worker",
					StartMs: 1_700_000_000_123, EndMs: 1_700_000_000_123, Level: "debug", Message: "job started",
				},
			}
			checkRecords(t, rc, want, 1)
			if rc.contentTypes[tt.want] == 0 {
				t.Errorf("requests %v, want some %q", rc.contentTypes, tt.want)
			}
		})
	}
}

// The exporters surface a 400 and its google.rpc.Status message as an
// error, which is how a misconfigured backend learns what is wrong.
func TestOpenTelemetryExporterSeesError(t *testing.T) {
	ctx := context.Background()
	_, url := startReceiver(t)
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(url+"/v1/logs"), // a trace body where logs are expected
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}))
	if err != nil {
		t.Fatal(err)
	}
	defer exp.Shutdown(ctx)
	tp := sdktrace.NewTracerProvider()
	_, s := tp.Tracer("test").Start(ctx, "x", trace.WithAttributes(attribute.String("session.id", sid)))
	s.End()
	err = exp.ExportSpans(ctx, []sdktrace.ReadOnlySpan{s.(sdktrace.ReadOnlySpan)})
	if err == nil {
		t.Fatal("export of a trace body to /v1/logs succeeded")
	}
	if !strings.Contains(err.Error(), "400") {
		t.Errorf("error %q does not report the 400", err)
	}
}

// checkRecords compares what rc received, by Name (spans) or Message (logs).
func checkRecords(t *testing.T, rc *receiver, want map[string]otlp.Record, without int) {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.records) != len(want) {
		t.Errorf("%d records, want %d: %+v", len(rc.records), len(want), rc.records)
	}
	for _, got := range rc.records {
		key := got.Name
		if got.Kind == "log" {
			key = got.Message
		}
		w, ok := want[key]
		if !ok {
			t.Errorf("unexpected record %+v", got)
			continue
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("record %q:\n got %+v\nwant %+v", key, got, w)
		}
	}
	if rc.without != without {
		t.Errorf("withoutSession = %d, want %d", rc.without, without)
	}
}
