package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/contrib/bridges/otelslog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/demo"
	phgo "github.com/playhead/playhead/sdk/go"
	"github.com/playhead/playhead/server"
)

// demoHandler returns the demo shop, with its backend exporting traces and
// logs to this Playhead over OTLP/HTTP, as a customer's Go backend would,
// and a function that flushes and stops the exporters.
func (m *Main) demoHandler() (http.Handler, func(context.Context) error) {
	ctx := context.Background()
	fixed := m.Config.Demo == "fixed"
	endpoint := strings.TrimPrefix(strings.TrimPrefix(m.URL(), "http://"), "https://")
	secret, err := m.demoToken(ctx)
	if err != nil {
		m.Logger.Warn("demo backend reports nothing", "err", err)
	}
	headers := map[string]string{"Authorization": "Bearer " + secret}
	res := resource.NewSchemaless(attribute.String("service.name", "demo-shop"))
	traceOpts := []otlptracehttp.Option{otlptracehttp.WithEndpoint(endpoint), otlptracehttp.WithHeaders(headers)}
	logOpts := []otlploghttp.Option{otlploghttp.WithEndpoint(endpoint), otlploghttp.WithHeaders(headers)}
	if m.Config.TLSCert == "" {
		traceOpts = append(traceOpts, otlptracehttp.WithInsecure())
		logOpts = append(logOpts, otlploghttp.WithInsecure())
	}
	tag := fmt.Sprintf(`<script src="/sdk.js" data-project-key="%s"></script>`, m.Project.IngestKey)
	spans, err1 := otlptracehttp.New(ctx, traceOpts...)
	logs, err2 := otlploghttp.New(ctx, logOpts...)
	if err := errors.Join(err, err1, err2); err != nil {
		m.Logger.Warn("demo backend reports nothing", "err", err)
		return demo.Handler(tag, demo.Backend{Fixed: fixed}), func(context.Context) error { return nil }
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithSpanProcessor(phgo.NewSpanProcessor()),
		sdktrace.WithBatcher(spans, sdktrace.WithBatchTimeout(500*time.Millisecond)))
	lp := sdklog.NewLoggerProvider(sdklog.WithResource(res),
		sdklog.WithProcessor(sdklog.NewBatchProcessor(logs, sdklog.WithExportInterval(500*time.Millisecond))))
	logger := slog.New(phgo.NewSlogHandler(otelslog.NewHandler("demo-shop", otelslog.WithLoggerProvider(lp))))
	stop := func(ctx context.Context) error { return errors.Join(tp.Shutdown(ctx), lp.Shutdown(ctx)) }
	return demo.Handler(tag, demo.Backend{Tracer: tp, Logger: logger, Fixed: fixed}), stop
}

// demoTokenName names the API token the demo shop's backend sends its
// traces and logs with.
const demoTokenName = "demo shop backend"

// demoToken issues the demo backend a new OTLP token of the default
// project, revoking the one an earlier start issued: its secret was shown
// to no one and is not kept.
func (m *Main) demoToken(ctx context.Context) (string, error) {
	list, err := m.DB.APITokens(ctx, m.Project.ID)
	if err != nil {
		return "", err
	}
	for _, t := range list {
		if t.Name == demoTokenName {
			if err := m.DB.DeleteAPIToken(ctx, m.Project.ID, t.ID); err != nil {
				return "", err
			}
		}
	}
	t, secret := server.NewAPIToken(m.Project.ID, demoTokenName, []string{playhead.ScopeOTLP})
	t.CreatedAt = time.Now()
	return secret, m.DB.CreateAPIToken(ctx, t)
}
