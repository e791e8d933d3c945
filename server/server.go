// Package server is Playhead's HTTP layer: the ingest endpoint, the dashboard
// API, the embedded dashboard, SDK and demo. Handlers return errors; one
// adapter turns them into statuses through one table.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"math"
	"net"
	"net/http"
	_ "net/http/pprof" // served at /debug/pprof/ only with Pprof set
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/gzhttp"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/ingest"
	"github.com/playhead/playhead/recording"
)

// Server serves Playhead over HTTP.
type Server struct {
	Index    playhead.SessionIndex
	Accounts playhead.AccountStore
	Webhooks playhead.WebhookStore
	Backend  playhead.BackendStore
	Assets   playhead.AssetStore
	// Searches keeps saved searches and suggests values for the search box.
	Searches playhead.SearchStore
	// OwnOrigin is Playhead's own origin (scheme://host:port): recorded
	// URLs on it are served by Playhead itself and left as they are.
	OwnOrigin string
	Objects   playhead.ObjectStore
	Ingester  *ingest.Ingester
	// Recordings reads, erases and keeps the checkpoints of stored sessions.
	Recordings *recording.Store
	Limits     ingest.Limits
	Logger     *slog.Logger
	// Web is the built dashboard (index.html and assets/).
	Web fs.FS
	// SDK is the browser SDK's IIFE bundle, served at /sdk.js; SDKReport is
	// its bug report widget, loaded on demand from /sdk-report.js.
	SDK, SDKReport []byte
	// Demo, when set, serves the demo shop under /demo/.
	Demo http.Handler
	// Now is the clock; tests may replace it.
	Now func() time.Time
	// Metrics, when set, are updated, and served at /metrics to requests
	// that carry MetricsToken as a bearer token; without a token they are
	// not served.
	Metrics      *Metrics
	MetricsToken string
	// RateLimits bound ingest per project and per client address.
	RateLimits RateLimits
	// TrustedProxies are the addresses whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// KeepClientIP stores each session's client address, anonymised (IPv4
	// to /24, IPv6 to /48); without it no address is kept at all.
	KeepClientIP bool
	// Ready reports whether storage can take writes, for /readyz.
	Ready func(ctx context.Context) error
	// Pprof serves Go's profiler at /debug/pprof/ to logged-in users.
	Pprof bool
	// IngestWorkers bounds how many batches are decoded, scrubbed and
	// encrypted at once (zero: four per CPU). Past it, requests wait their
	// turn with their bodies read but not decompressed, so memory stays
	// bounded under a burst; one that waits longer than IngestWait is
	// answered 503 with Retry-After. Zero IngestWait means
	// DefaultIngestWait.
	IngestWorkers int
	IngestWait    time.Duration

	projectLimits, ipLimits        *limiters
	loginIPLimits, loginUserLimits *limiters
	ingestSlots                    chan struct{}
	keys                           keyCache
	touches                        loginTouches

	http *http.Server
	ln   net.Listener
	tls  bool
}

// Handler returns the server's routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /api/v1/ingest", s.api(s.handleIngest))
	mux.HandleFunc("OPTIONS /api/v1/ingest", s.handleIngestPreflight)
	mux.HandleFunc("POST /v1/traces", s.handleOTLP("traces"))
	mux.HandleFunc("POST /v1/logs", s.handleOTLP("logs"))
	mux.Handle("POST /api/v1/login", s.api(sameOrigin(s.handleLogin)))
	mux.Handle("POST /api/v1/logout", s.api(sameOrigin(s.handleLogout)))
	mux.Handle("GET /api/v1/me", s.api(s.authed(s.handleMe)))
	mux.Handle("GET /api/v1/sessions", s.api(s.authed(s.handleSessions)))
	mux.Handle("GET /api/v1/sessions/{id}", s.api(s.authed(s.handleSession)))
	mux.Handle("GET /api/v1/sessions/{id}/events", s.api(s.authed(s.handleEvents)))
	mux.Handle("DELETE /api/v1/sessions/{id}", s.api(s.authed(s.handleDeleteSession)))
	mux.Handle("GET /api/v1/sessions/{id}/matches", s.api(s.authed(s.handleMatches)))
	mux.Handle("GET /api/v1/search/suggest", s.api(s.authed(s.handleSuggest)))
	mux.Handle("GET /api/v1/searches", s.api(s.authed(s.handleSavedSearches)))
	mux.Handle("POST /api/v1/searches", s.api(s.authed(s.handleCreateSavedSearch)))
	mux.Handle("GET /api/v1/searches/{id}", s.api(s.authed(s.handleSavedSearch)))
	mux.Handle("PATCH /api/v1/searches/{id}", s.api(s.authed(s.handleRenameSavedSearch)))
	mux.Handle("DELETE /api/v1/searches/{id}", s.api(s.authed(s.handleDeleteSavedSearch)))
	mux.Handle("GET /api/v1/sessions/{id}/checkpoints", s.api(s.authed(s.handleGetCheckpoints)))
	mux.Handle("PUT /api/v1/sessions/{id}/checkpoints", s.api(s.authed(s.handlePutCheckpoints)))
	mux.Handle("POST /api/v1/erase", s.api(s.authed(s.handleEraseUser)))
	mux.Handle("GET /api/v1/assets/{hash}", s.api(s.authed(s.handleAsset)))
	mux.Handle("GET /api/v1/assets", s.api(s.authed(s.handleAssets)))
	mux.Handle("GET /api/v1/reports", s.api(s.authed(s.handleReports)))
	mux.Handle("GET /api/v1/webhooks", s.api(s.authed(s.handleWebhooks)))
	mux.Handle("POST /api/v1/webhooks", s.api(s.authed(s.handleCreateWebhook)))
	mux.Handle("DELETE /api/v1/webhooks/{id}", s.api(s.authed(s.handleDeleteWebhook)))
	mux.Handle("GET /api/v1/webhooks/{id}/deliveries", s.api(s.authed(s.handleDeliveries)))
	mux.Handle("/api/", s.api(func(w http.ResponseWriter, r *http.Request) error {
		return playhead.Errorf(playhead.ENOTFOUND, "no API route %s %s", r.Method, r.URL.Path)
	}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /readyz", s.api(s.handleReady))
	if s.Pprof {
		mux.Handle("/debug/pprof/", s.api(s.authed(func(w http.ResponseWriter, r *http.Request) error {
			http.DefaultServeMux.ServeHTTP(w, r) // net/http/pprof registers there
			return nil
		})))
	}
	if s.Metrics != nil {
		mux.Handle("GET /metrics", s.api(s.metricsAuth(promhttp.HandlerFor(s.Metrics.Registry, promhttp.HandlerOpts{}))))
	}
	s.projectLimits = &limiters{perSecond: s.RateLimits.PerProject}
	s.ipLimits = &limiters{perSecond: s.RateLimits.PerIP}
	s.loginIPLimits, s.loginUserLimits = newLoginLimiters(), newLoginLimiters()
	workers := s.IngestWorkers
	if workers <= 0 {
		workers = 4 * runtime.GOMAXPROCS(0)
	}
	s.ingestSlots = make(chan struct{}, workers)
	mux.HandleFunc("GET /sdk.js", script(s.SDK))
	mux.HandleFunc("GET /sdk-report.js", script(s.SDKReport))
	mux.Handle("GET /assets/", s.dashboardHeaders(filesOnly(http.FileServerFS(s.Web))))
	for _, p := range []string{"GET /{$}", "GET /login", "GET /sessions/{id}", "GET /reports", "GET /webhooks"} {
		mux.Handle(p, s.dashboardHeaders(http.HandlerFunc(s.handleApp)))
	}
	if s.Demo != nil {
		mux.Handle("/demo/", s.Demo)
		mux.Handle("/demo", s.Demo)
	}
	// Event lists are large, repetitive JSON: compressing them cuts the
	// player's download roughly tenfold.
	// Answers are gzipped when large enough, but ingest's never are: it is
	// the hot path, and its answers are a few dozen bytes.
	gz := gzhttp.GzipHandler(mux)
	return s.logRequests(s.hsts(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/ingest" {
			mux.ServeHTTP(w, r)
			return
		}
		gz.ServeHTTP(w, r)
	})))
}

// filesOnly answers 404 for a directory, which a file server would list.
func filesOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) hsts(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.tls {
			w.Header().Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// Start listens on addr and serves in the background until Close; with a
// certificate and key it serves HTTPS, and tells browsers to keep to it
// (HSTS).
func (s *Server) Start(addr, certFile, keyFile string) error {
	if err := s.Listen(addr); err != nil {
		return err
	}
	s.Serve(certFile, keyFile)
	return nil
}

// Listen opens the listening socket, so Addr is known before Serve.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.ln = ln
	return nil
}

// Serve serves on the socket Listen opened, in the background, until Close;
// with a certificate and key it serves HTTPS.
func (s *Server) Serve(certFile, keyFile string) {
	ln := s.ln
	s.tls = certFile != ""
	s.http = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
	}
	go func() {
		serve := func() error { return s.http.Serve(ln) }
		if s.tls {
			serve = func() error { return s.http.ServeTLS(ln, certFile, keyFile) }
		}
		if err := serve(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.Logger.Error("http server stopped", "err", err)
		}
	}()
}

// Addr returns the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close stops accepting requests and waits for in-flight ones (an ingest
// batch being stored finishes and is acknowledged) until ctx ends.
func (s *Server) Close(ctx context.Context) error {
	if s.http == nil {
		return nil
	}
	return s.http.Shutdown(ctx)
}

func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) error {
	if s.Ready != nil {
		if err := s.Ready(r.Context()); err != nil {
			s.Logger.Warn("not ready", "err", err)
			return playhead.Errorf(playhead.EUNAVAILABLE, "storage is not ready")
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err := w.Write([]byte("ready\n"))
	return err
}

// apiFunc is a handler that returns an error instead of writing one.
type apiFunc func(w http.ResponseWriter, r *http.Request) error

// statusOf maps error codes to HTTP statuses: the one table.
var statusOf = map[string]int{
	playhead.EINVALID:      http.StatusBadRequest,
	playhead.EUNAUTHORIZED: http.StatusUnauthorized,
	playhead.EFORBIDDEN:    http.StatusForbidden,
	playhead.EMEDIATYPE:    http.StatusUnsupportedMediaType,
	playhead.ENOTFOUND:     http.StatusNotFound,
	playhead.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	playhead.EUNAVAILABLE:  http.StatusServiceUnavailable,
	playhead.ERATELIMITED:  http.StatusTooManyRequests,
	playhead.EINTERNAL:     http.StatusInternalServerError,
}

func (s *Server) api(h apiFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		code := playhead.ErrorCode(err)
		status := statusOf[code]
		if code == playhead.EINTERNAL {
			s.Logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		var re *retryError
		switch {
		case errors.As(err, &re):
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(re.retryAfter.Seconds()))))
		case status == http.StatusServiceUnavailable:
			w.Header().Set("Retry-After", "5")
		}
		writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": playhead.ErrorMessage(err)}})
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(status)
	_, err = w.Write(data)
	return err
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// logRequests logs each request's method, path (never the query string,
// which may hold an ingest key) and status. Client addresses are not logged.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		s.Logger.Debug("request", "method", r.Method, "path", r.URL.Path, "status", rec.status, "ms", time.Since(start).Milliseconds())
	})
}
