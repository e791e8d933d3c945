package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otellog "go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// TestOTLPFromTheOpenTelemetrySDK exports a span and a log record with the
// real OpenTelemetry Go SDK to Playhead over OTLP/HTTP: both are attached to
// the session named by session.id, scrubbed; a record without session.id is
// dropped; a wrong key is refused.
func TestOTLPFromTheOpenTelemetrySDK(t *testing.T) {
	m := start(t)
	c := loggedIn(t, m)
	ctx := context.Background()
	endpoint := strings.TrimPrefix(m.URL(), "http://")
	res := resource.NewSchemaless(attribute.String("service.name", "checkout-api"))

	exporter, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(endpoint), otlptracehttp.WithInsecure(),
		otlptracehttp.WithHeaders(map[string]string{"X-Playhead-Key": m.Project.IngestKey}))
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exporter), sdktrace.WithResource(res))
	tracer := tp.Tracer("test")
	_, span := tracer.Start(ctx, "POST /api/checkout", trace.WithAttributes(
		attribute.String("session.id", "otlpsession00001"), attribute.Int("http.status_code", 500),
		attribute.String("customer.email", "ada@example.com")))
	span.End()
	_, other := tracer.Start(ctx, "GET /health") // no session: not Playhead's
	other.End()
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatalf("export spans: %v", err)
	}

	logExporter, err := otlploghttp.New(ctx, otlploghttp.WithEndpoint(endpoint), otlploghttp.WithInsecure(),
		otlploghttp.WithHeaders(map[string]string{"Authorization": "Bearer " + m.Project.IngestKey}))
	if err != nil {
		t.Fatal(err)
	}
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewSimpleProcessor(logExporter)), sdklog.WithResource(res))
	var rec otellog.Record
	rec.SetTimestamp(time.Now())
	rec.SetSeverity(otellog.SeverityError)
	rec.SetSeverityText("ERROR")
	rec.SetBody(attribute.StringValue("payment provider unavailable for card 4111 1111 1111 1111"))
	rec.AddAttributes(attribute.String("session.id", "otlpsession00001"))
	lp.Logger("test").Emit(ctx, rec)
	if err := lp.Shutdown(ctx); err != nil {
		t.Fatalf("export logs: %v", err)
	}

	scenario{method: "GET", path: "/api/v1/sessions/otlpsession00001", login: true, wantStatus: 404}.run(t, m, c) // no browser batch yet
	now := time.Now().UnixMilli()
	scenario{method: "POST", path: "/api/v1/ingest?k=" + m.Project.IngestKey, body: batch("otlpsession00001", 0, now), wantStatus: 200}.run(t, m, nil)
	scenario{method: "GET", path: "/api/v1/sessions/otlpsession00001", login: true, wantStatus: 200,
		want: []string{`"kind":"span"`, `"name":"POST /api/checkout"`, `"service":"checkout-api"`, `"kind":"log"`, `"level":"error"`,
			"payment provider unavailable for card *******************", `"traceId":"`},
		wantNot: []string{"ada@example.com", "4111 1111", "GET /health"}}.run(t, m, c)

	bad, _ := otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(endpoint), otlptracehttp.WithInsecure(),
		otlptracehttp.WithHeaders(map[string]string{"X-Playhead-Key": "phk_wrong"}), otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}))
	recorder := tracetest.NewSpanRecorder()
	_, s2 := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(recorder)).Tracer("t").
		Start(ctx, "x", trace.WithAttributes(attribute.String("session.id", "otlpsession00001")))
	s2.End()
	if err := bad.ExportSpans(ctx, recorder.Ended()); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("export with a wrong key: err = %v, want a 401", err)
	}
}
