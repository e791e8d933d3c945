package playhead

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// NewSpanProcessor returns a span processor that sets the attribute
// session.id on every span started with a context that carries a session
// ID: database calls, outgoing requests and other child spans, not only the
// request's span that Middleware tags. Playhead keeps only spans that carry
// a session ID, so without it a replay shows the request but not what it
// did. Register it with sdktrace.WithSpanProcessor, next to the exporter.
func NewSpanProcessor() sdktrace.SpanProcessor { return spanProcessor{} }

type spanProcessor struct{}

// OnStart tags s with the session ID of the context it starts in.
func (spanProcessor) OnStart(parent context.Context, s sdktrace.ReadWriteSpan) {
	if id := SessionID(parent); id != "" {
		s.SetAttributes(attribute.String(SessionIDKey, id))
	}
}

func (spanProcessor) OnEnd(sdktrace.ReadOnlySpan)      {}
func (spanProcessor) Shutdown(context.Context) error   { return nil }
func (spanProcessor) ForceFlush(context.Context) error { return nil }
