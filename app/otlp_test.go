package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
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

	"github.com/playhead/playhead/app"
)

// TestOTLPFromTheOpenTelemetrySDK exports a span and a log record with the
// real OpenTelemetry Go SDK to Playhead over OTLP/HTTP: both are attached to
// the session named by session.id, scrubbed; a record without session.id is
// dropped; the public ingest key, a token without scope otlp and a revoked
// token are refused.
func TestOTLPFromTheOpenTelemetrySDK(t *testing.T) {
	m := start(t)
	c := loggedIn(t, m)
	ctx := context.Background()
	secret, id := createToken(t, m, c, "checkout-api", "otlp")
	endpoint := strings.TrimPrefix(m.URL(), "http://")
	res := resource.NewSchemaless(attribute.String("service.name", "checkout-api"))

	exporter, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(endpoint), otlptracehttp.WithInsecure(),
		otlptracehttp.WithHeaders(map[string]string{"Authorization": "Bearer " + secret}))
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
		otlploghttp.WithHeaders(map[string]string{"Authorization": "Bearer " + secret}))
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

	readOnly, _ := createToken(t, m, c, "reader", "sessions:read")
	scenario{method: "DELETE", path: "/api/v1/tokens/" + id, login: true, wantStatus: 200}.run(t, m, c)
	for _, tc := range []struct{ name, header, want string }{
		{"the ingest key", "Bearer " + m.Project.IngestKey, "401"},
		{"the ingest key as X-Playhead-Key", "", "401"},
		{"a token without scope otlp", "Bearer " + readOnly, "403"},
		{"a revoked token", "Bearer " + secret, "401"},
		{"a wrong token", "Bearer pht_wrong", "401"},
	} {
		headers := map[string]string{"Authorization": tc.header}
		if tc.header == "" {
			headers = map[string]string{"X-Playhead-Key": m.Project.IngestKey}
		}
		bad, _ := otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(endpoint), otlptracehttp.WithInsecure(),
			otlptracehttp.WithHeaders(headers), otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}))
		recorder := tracetest.NewSpanRecorder()
		_, s2 := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(recorder)).Tracer("t").
			Start(ctx, "x", trace.WithAttributes(attribute.String("session.id", "otlpsession00001")))
		s2.End()
		if err := bad.ExportSpans(ctx, recorder.Ended()); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("export with %s: err = %v, want a %s", tc.name, err, tc.want)
		}
	}
}

// createToken creates an API token of the default project through the API
// and returns its secret and ID.
func createToken(t *testing.T, m *app.Main, c *http.Client, name string, scopes ...string) (secret, id string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"name": name, "scopes": scopes})
	resp, err := c.Post(m.URL()+"/api/v1/tokens", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Secret string `json:"secret"`
		Token  struct {
			ID int64 `json:"id"`
		} `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 201 || out.Secret == "" {
		t.Fatalf("create token %s: %d, %v", name, resp.StatusCode, err)
	}
	return out.Secret, strconv.FormatInt(out.Token.ID, 10)
}
