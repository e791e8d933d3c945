package playhead_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	playhead "github.com/playhead/playhead/sdk/go"
)

const sid = "sess_0123456789"

func sessionAttr(attrs []attribute.KeyValue) (string, bool) {
	for _, a := range attrs {
		if a.Key == playhead.SessionIDKey {
			return a.Value.AsString(), true
		}
	}
	return "", false
}

// serve sends one request with the given baggage headers through
// otelhttp(Middleware(handler)) on a real TracerProvider, and returns the
// recorded server span's session.id attribute and the handler's SessionID.
func serve(t *testing.T, baggageHeaders ...string) (spanSession string, spanHas bool, ctxSession string) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	h := otelhttp.NewHandler(playhead.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctxSession = playhead.SessionID(r.Context())
	})), "server", otelhttp.WithTracerProvider(tp))
	req := httptest.NewRequest("GET", "/cart", nil)
	for _, b := range baggageHeaders {
		req.Header.Add("baggage", b)
	}
	h.ServeHTTP(httptest.NewRecorder(), req)
	spans := rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans recorded, want 1", len(spans))
	}
	spanSession, spanHas = sessionAttr(spans[0].Attributes())
	return spanSession, spanHas, ctxSession
}

func TestMiddleware(t *testing.T) {
	for _, tt := range []struct {
		name    string
		headers []string
		want    string
	}{
		{"session", []string{"session.id=" + sid}, sid},
		{"among other members", []string{"userId=alice,session.id=" + sid + ";prop=1,isProduction=false"}, sid},
		{"in a second header", []string{"userId=alice", "session.id=" + sid}, sid},
		{"next to a malformed member", []string{"bad member,session.id=" + sid}, sid},
		{"no baggage", nil, ""},
		{"no session", []string{"userId=alice"}, ""},
		{"too short", []string{"session.id=short"}, ""},
		{"bad characters", []string{"session.id=sess%20with%20spaces"}, ""},
		{"too long", []string{"session.id=" + strings.Repeat("a", 65)}, ""},
		{"malformed header", []string{"session.id"}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, has, ctxGot := serve(t, tt.headers...)
			if got != tt.want || has != (tt.want != "") {
				t.Errorf("span session.id = %q (set: %v), want %q", got, has, tt.want)
			}
			if ctxGot != tt.want {
				t.Errorf("SessionID(ctx) = %q, want %q", ctxGot, tt.want)
			}
		})
	}
}

// Without otelhttp there is no span to tag, and the middleware still fills
// the context, keeping the whole baggage for outgoing requests.
func TestMiddlewareKeepsBaggage(t *testing.T) {
	var got baggage.Baggage
	h := playhead.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = baggage.FromContext(r.Context())
	}))
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Baggage", "session.id="+sid+",tenant=acme")
	h.ServeHTTP(httptest.NewRecorder(), req)
	if got.Member("session.id").Value() != sid || got.Member("tenant").Value() != "acme" {
		t.Errorf("baggage in the handler's context = %q, want session.id and tenant", got.String())
	}
}

func TestWithSessionID(t *testing.T) {
	ctx := context.Background()
	m, _ := baggage.NewMemberRaw("tenant", "acme")
	b, _ := baggage.New(m)
	ctx = baggage.ContextWithBaggage(ctx, b)
	ctx = playhead.WithSessionID(ctx, sid)
	if got := playhead.SessionID(ctx); got != sid {
		t.Errorf("SessionID = %q, want %q", got, sid)
	}
	if got := baggage.FromContext(ctx).Member("tenant").Value(); got != "acme" {
		t.Errorf("other baggage lost: tenant = %q", got)
	}
	if got := playhead.SessionID(playhead.WithSessionID(ctx, "not valid!")); got != sid {
		t.Errorf("an invalid ID replaced the session: SessionID = %q", got)
	}
	if got := playhead.SessionID(context.Background()); got != "" {
		t.Errorf("SessionID of an empty context = %q", got)
	}
}

// Spans started under the request (a database call) carry the session too.
func TestSpanProcessor(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(playhead.NewSpanProcessor()), sdktrace.WithSpanProcessor(rec))
	h := otelhttp.NewHandler(playhead.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, db := tp.Tracer("db").Start(r.Context(), "SELECT cart")
		db.End()
	})), "server", otelhttp.WithTracerProvider(tp))
	for _, header := range []string{"session.id=" + sid, ""} {
		req := httptest.NewRequest("GET", "/cart", nil)
		if header != "" {
			req.Header.Set("baggage", header)
		}
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	_, unrelated := tp.Tracer("x").Start(context.Background(), "background")
	unrelated.End()

	want := map[string]int{"SELECT cart " + sid: 1, "GET " + sid: 1, "SELECT cart ": 1, "GET ": 1, "background ": 1}
	got := map[string]int{}
	for _, s := range rec.Ended() {
		id, _ := sessionAttr(s.Attributes())
		got[s.Name()+" "+id]++
	}
	if len(got) != len(want) {
		t.Errorf("spans by name and session: %v, want %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("spans by name and session: %v, want %v", got, want)
			break
		}
	}
}

func TestSlogHandler(t *testing.T) {
	ctx := playhead.WithSessionID(context.Background(), sid)
	for _, tt := range []struct {
		name string
		log  func(*slog.Logger)
		want string
	}{
		{"plain", func(l *slog.Logger) { l.InfoContext(ctx, "hi", "n", 1) },
			`{"level":"INFO","msg":"hi","n":1,"session.id":"` + sid + `"}`},
		{"no session in context", func(l *slog.Logger) { l.InfoContext(context.Background(), "hi", "n", 1) },
			`{"level":"INFO","msg":"hi","n":1}`},
		{"no context", func(l *slog.Logger) { l.Info("hi") },
			`{"level":"INFO","msg":"hi"}`},
		{"with attrs", func(l *slog.Logger) { l.With("user", "alice").InfoContext(ctx, "hi") },
			`{"level":"INFO","msg":"hi","user":"alice","session.id":"` + sid + `"}`},
		{"under a group", func(l *slog.Logger) { l.WithGroup("req").InfoContext(ctx, "hi", "path", "/cart") },
			`{"level":"INFO","msg":"hi","session.id":"` + sid + `","req":{"path":"/cart"}}`},
		{"attrs, group, attrs, group", func(l *slog.Logger) {
			l.With("a", 1).WithGroup("g").With("b", 2).WithGroup("h").InfoContext(ctx, "hi", "c", 3)
		}, `{"level":"INFO","msg":"hi","a":1,"session.id":"` + sid + `","g":{"b":2,"h":{"c":3}}}`},
		{"group without session", func(l *slog.Logger) {
			l.With("a", 1).WithGroup("g").With("b", 2).InfoContext(context.Background(), "hi", "c", 3)
		}, `{"level":"INFO","msg":"hi","a":1,"g":{"b":2,"c":3}}`},
		{"empty group name", func(l *slog.Logger) { l.WithGroup("").InfoContext(ctx, "hi") },
			`{"level":"INFO","msg":"hi","session.id":"` + sid + `"}`},
		{"level filtering kept", func(l *slog.Logger) { l.DebugContext(ctx, "hidden") }, ``},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			h := slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
				if a.Key == slog.TimeKey && len(groups) == 0 {
					return slog.Attr{}
				}
				return a
			}})
			tt.log(slog.New(playhead.NewSlogHandler(h)))
			if got := strings.TrimSpace(buf.String()); got != tt.want {
				t.Errorf("logged\n %s\nwant\n %s", got, tt.want)
			}
			if tt.want != "" && !json.Valid(buf.Bytes()) {
				t.Errorf("not JSON: %s", buf.String())
			}
		})
	}
}

// A record shared with another handler is not changed by the one that adds
// session.id (slog.Record's attributes may share memory between copies).
func TestSlogHandlerLeavesRecordAlone(t *testing.T) {
	var a, b bytes.Buffer
	ha := playhead.NewSlogHandler(slog.NewJSONHandler(&a, nil))
	hb := slog.NewJSONHandler(&b, nil)
	ctx := playhead.WithSessionID(context.Background(), sid)
	r := slog.NewRecord(time.Time{}, slog.LevelInfo, "hi", 0)
	r.AddAttrs(slog.Int("1", 1), slog.Int("2", 2), slog.Int("3", 3), slog.Int("4", 4), slog.Int("5", 5), slog.Int("6", 6))
	if err := ha.Handle(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := hb.Handle(ctx, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(a.String(), `"session.id":"`+sid+`"`) || strings.Contains(b.String(), "session.id") || strings.Contains(b.String(), "BUG") {
		t.Errorf("wrapped handler logged %s\nthe other %s", a.String(), b.String())
	}
}
