// Package playhead ties a Go backend's OpenTelemetry traces and logs to the
// Playhead session replay of the browser session that caused them.
//
// Playhead's browser SDK sends the session ID with every request as the
// W3C baggage member session.id. Middleware reads it into the request's
// context; SessionID reads it back; NewSpanProcessor and NewSlogHandler copy
// it, as the attribute session.id, to every span and slog record made with
// that context; the backend's OTLP exporters send those to Playhead, which
// shows them next to the replay. The session ID lives in the context's
// OpenTelemetry baggage, so outgoing requests instrumented by otelhttp carry
// it on to the next service when the baggage propagator is set.
//
// This module depends only on OpenTelemetry, never on Playhead's server.
package playhead

import (
	"context"
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/trace"
)

// SessionIDKey is the baggage member and the attribute that carry the
// session ID: session.id, OpenTelemetry's semantic-convention attribute.
const SessionIDKey = "session.id"

// SessionID returns the session ID in ctx's baggage, or "" when there is
// none or it is not a valid Playhead session ID (8 to 64 letters, digits,
// '-' or '_').
func SessionID(ctx context.Context) string {
	id := baggage.FromContext(ctx).Member(SessionIDKey).Value()
	if !validSessionID(id) {
		return ""
	}
	return id
}

// WithSessionID returns a copy of ctx whose baggage carries the session ID
// id, for work done on a session's behalf outside a request (a queued job).
// An invalid id leaves ctx as it is.
func WithSessionID(ctx context.Context, id string) context.Context {
	if !validSessionID(id) {
		return ctx
	}
	m, err := baggage.NewMemberRaw(SessionIDKey, id)
	if err != nil {
		return ctx
	}
	b, err := baggage.FromContext(ctx).SetMember(m)
	if err != nil {
		return ctx
	}
	return baggage.ContextWithBaggage(ctx, b)
}

// Middleware reads the W3C baggage header of each request into its context,
// so SessionID finds the session ID Playhead's browser SDK sent, and sets the
// attribute session.id on the request's span when one is recording.
//
// Put it inside otelhttp, which starts the span:
//
//	otelhttp.NewHandler(playhead.Middleware(mux), "server")
//
// A header that does not parse leaves the context's baggage as it was (which
// otelhttp may have filled already, when its propagators include baggage);
// the valid members of a partly malformed header are kept.
func Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if header := r.Header.Values("Baggage"); len(header) > 0 {
			// W3C allows several baggage headers: together they are one list.
			if b, _ := baggage.Parse(strings.Join(header, ",")); b.Len() > 0 {
				ctx = baggage.ContextWithBaggage(ctx, b)
			}
		}
		if id := SessionID(ctx); id != "" {
			if span := trace.SpanFromContext(ctx); span.IsRecording() {
				span.SetAttributes(attribute.String(SessionIDKey, id))
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// validSessionID reports whether id is a Playhead session ID: 8 to 64
// letters, digits, '-' or '_', the rule Playhead's server applies.
func validSessionID(id string) bool {
	if len(id) < 8 || len(id) > 64 {
		return false
	}
	for _, c := range []byte(id) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
