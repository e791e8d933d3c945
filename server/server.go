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
	"github.com/playhead/playhead/narrate"
	"github.com/playhead/playhead/recording"
	"github.com/playhead/playhead/sso"
)

// Server serves Playhead over HTTP.
type Server struct {
	Index    playhead.SessionIndex
	Accounts playhead.AccountStore
	// Users keeps accounts' passwords, identities and invitations.
	Users    playhead.UserStore
	Webhooks playhead.WebhookStore
	Backend  playhead.BackendStore
	Assets   playhead.AssetStore
	// Searches keeps saved searches and suggests values for the search box.
	Searches playhead.SearchStore
	// OwnOrigin is Playhead's own origin (scheme://host:port): recorded
	// URLs on it are served by Playhead itself and left as they are.
	OwnOrigin string
	// Shares keeps share links; SourceMaps keeps releases' source maps.
	Shares     playhead.ShareStore
	SourceMaps playhead.SourceMapStore
	Objects    playhead.ObjectStore
	Ingester   *ingest.Ingester
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
	// SSO, when set, signs people in through an OpenID provider; people
	// it vouches for who have no account yet become viewers of
	// SSOProjects.
	SSO *sso.Provider
	// Narrator, when set, writes narrative summaries of sessions' steps
	// with the language model the operator configured.
	Narrator    *narrate.Narrator
	SSOProjects []int64
	// PublicURL is Playhead's URL as people reach it, for the links the
	// API hands out (invitations, share links).
	PublicURL string
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
	keys                           cache[*playhead.Project]
	otlpTokens                     cache[otlpCaller]
	loginTouches, tokenTouches     touches
	views                          touches
	parsed                         parsedMaps

	http *http.Server
	ln   net.Listener
	tls  bool
}

// Handler returns the server's routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.apiRoutes() {
		mux.Handle(rt.pattern, s.api(s.authorize(rt.need, rt.h)))
	}
	mux.HandleFunc("POST /v1/traces", s.handleOTLP("traces"))
	mux.HandleFunc("POST /v1/logs", s.handleOTLP("logs"))
	mux.Handle("GET /auth/sso/start", s.ssoPage(s.handleSSOStart))
	mux.Handle("GET /auth/sso/callback", s.ssoPage(s.handleSSOCallback))
	mux.Handle("/api/", s.api(func(w http.ResponseWriter, r *http.Request) error {
		return playhead.Errorf(playhead.ENOTFOUND, "no API route %s %s", r.Method, r.URL.Path)
	}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /readyz", s.api(s.handleReady))
	if s.Pprof {
		mux.Handle("/debug/pprof/", s.api(s.authorize(ownerOnly, func(w http.ResponseWriter, r *http.Request) error {
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
	mux.Handle("GET /share/{token}", s.shareErrors(s.handleSharePage))
	mux.HandleFunc("GET /sdk.js", script("sdk.js", s.SDK))
	mux.HandleFunc("GET /sdk-report.js", script("sdk-report.js", s.SDKReport))
	mux.Handle("GET /assets/", s.dashboardHeaders(staticFiles(s.Web, "/")))
	// The dashboard's pages, at the paths its router knows (web/src/main.ts):
	// the lists with a trailing slash too.
	for _, p := range []string{"GET /{$}", "GET /login", "GET /invite"} {
		mux.Handle(p, s.dashboardHeaders(s.handleApp(mux)))
	}
	for _, p := range []string{"/sessions", "/sessions/{id}", "/reports", "/webhooks", "/settings", "/tokens", "/members", "/audit", "/account", "/users"} {
		mux.Handle("GET "+p, s.dashboardHeaders(s.handleApp(mux)))
		mux.Handle("GET "+p+"/{$}", s.dashboardHeaders(s.handleApp(mux)))
	}
	if s.Demo != nil {
		mux.Handle("/demo/", s.Demo)
		mux.Handle("/demo", s.Demo)
	}
	// Event lists are large, repetitive JSON: compressing them cuts the
	// player's download roughly tenfold.
	// Answers are gzipped when large enough, but ingest's never are: it is
	// the hot path, and its answers are a few dozen bytes.
	// An answer already compressed (a packed keyframe) is left alone.
	wrap, err := gzhttp.NewWrapper(gzhttp.ContentTypeFilter(func(ct string) bool {
		return !strings.HasPrefix(ct, packedEventsType) && gzhttp.DefaultContentTypeFilter(ct)
	}))
	if err != nil {
		panic(err) // the options are constants
	}
	gz := wrap(mux)
	return s.logRequests(s.hsts(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/ingest" {
			mux.ServeHTTP(w, r)
			return
		}
		gz.ServeHTTP(w, r)
	})))
}

// apiRoutes is the route table of the API: every route under /api/ with
// the least a caller needs (see authorize). A project route's project is
// its ?project= parameter (the caller's first project, or an API token's
// own, when it has none).
func (s *Server) apiRoutes() []route {
	preflight := func(w http.ResponseWriter, r *http.Request) error { s.handleIngestPreflight(w, r); return nil }
	viewer := member(playhead.RoleViewer, playhead.ScopeRead)
	return []route{
		{"POST /api/v1/ingest", public, s.handleIngest},
		{"OPTIONS /api/v1/ingest", public, preflight},
		{"GET /api/v1/ingest/config", public, s.handleIngestConfig},
		{"POST /api/v1/login", public, sameOrigin(s.handleLogin)},
		{"POST /api/v1/logout", public, sameOrigin(s.handleLogout)},
		{"GET /api/v1/me", signedIn, s.handleMe},
		{"GET /api/v1/login/options", public, s.handleLoginOptions},
		{"POST /api/v1/me/password", signedIn, s.handleChangePassword},
		{"GET /api/v1/users", ownerOnly, s.handleUsers},
		{"POST /api/v1/users/{id}/password", ownerOnly, s.handleResetPassword},
		{"POST /api/v1/users/{id}/disable", ownerOnly, s.handleSetDisabled(true)},
		{"POST /api/v1/users/{id}/enable", ownerOnly, s.handleSetDisabled(false)},
		{"PUT /api/v1/users/{id}/owner", ownerOnly, s.handleSetOwner},
		{"GET /api/v1/invites", member(playhead.RoleAdmin), s.handleInvites},
		{"POST /api/v1/invites", member(playhead.RoleAdmin), s.handleCreateInvite},
		{"DELETE /api/v1/invites/{id}", member(playhead.RoleAdmin), s.handleDeleteInvite},
		{"POST /api/v1/invites/lookup", public, sameOrigin(s.handleInviteLookup)},
		{"POST /api/v1/invites/accept", public, sameOrigin(s.handleAcceptInvite)},
		{"GET /api/v1/sessions", viewer, s.handleSessions},
		{"GET /api/v1/sessions/{id}", viewer, s.handleSession},
		{"GET /api/v1/sessions/{id}/events", viewer, s.handleEvents},
		{"GET /api/v1/sessions/{id}/steps", viewer, s.handleSteps},
		{"POST /api/v1/sessions/{id}/summary", viewer, s.handleSummary},
		{"GET /api/v1/sessions/{id}/export", viewer, s.handleExport},
		{"DELETE /api/v1/sessions/{id}", member(playhead.RoleAdmin, playhead.ScopeErase), s.handleDeleteSession},
		{"POST /api/v1/sessions/import", member(playhead.RoleDeveloper), s.handleImport},
		{"GET /api/v1/sessions/{id}/shares", member(playhead.RoleDeveloper), s.handleShares},
		{"POST /api/v1/sessions/{id}/shares", member(playhead.RoleDeveloper), s.handleCreateShare},
		{"DELETE /api/v1/sessions/{id}/shares/{share}", member(playhead.RoleDeveloper), s.handleRevokeShare},
		{"POST /api/v1/sourcemaps", member(playhead.RoleDeveloper, playhead.ScopeSourceMaps), s.handleUploadSourceMap},
		{"GET /api/v1/sourcemaps", member(playhead.RoleDeveloper, playhead.ScopeSourceMaps), s.handleSourceMaps},
		{"DELETE /api/v1/sourcemaps", member(playhead.RoleDeveloper, playhead.ScopeSourceMaps), s.handleDeleteSourceMaps},
		{"GET /api/v1/sessions/{id}/keyframes", viewer, s.handleKeyframes},
		{"GET /api/v1/sessions/{id}/keyframes/{ts}", viewer, s.handleKeyframe},
		{"GET /api/v1/sessions/{id}/checkpoints", viewer, s.handleGetCheckpoints},
		{"PUT /api/v1/sessions/{id}/checkpoints", member(playhead.RoleViewer), s.handlePutCheckpoints},
		{"POST /api/v1/erase", member(playhead.RoleAdmin, playhead.ScopeErase), s.handleEraseUser},
		{"GET /api/v1/assets/{hash}", viewer, s.handleAsset},
		{"GET /api/v1/assets", viewer, s.handleAssets},
		{"GET /api/v1/reports", viewer, s.handleReports},
		{"GET /api/v1/sessions/{id}/matches", viewer, s.handleMatches},
		{"GET /api/v1/search/suggest", viewer, s.handleSuggest},
		{"GET /api/v1/searches", viewer, s.handleSavedSearches},
		{"GET /api/v1/searches/{id}", viewer, s.handleSavedSearch},
		{"POST /api/v1/searches", member(playhead.RoleDeveloper), s.handleCreateSavedSearch},
		{"PATCH /api/v1/searches/{id}", member(playhead.RoleDeveloper), s.handleRenameSavedSearch},
		{"DELETE /api/v1/searches/{id}", member(playhead.RoleDeveloper), s.handleDeleteSavedSearch},
		{"GET /api/v1/webhooks", member(playhead.RoleDeveloper), s.handleWebhooks},
		{"POST /api/v1/webhooks", member(playhead.RoleDeveloper), s.handleCreateWebhook},
		{"DELETE /api/v1/webhooks/{id}", member(playhead.RoleDeveloper), s.handleDeleteWebhook},
		{"GET /api/v1/webhooks/{id}/deliveries", member(playhead.RoleDeveloper), s.handleDeliveries},
		{"GET /api/v1/projects", signedIn, s.handleProjects},
		{"POST /api/v1/projects", ownerOnly, s.handleCreateProject},
		{"GET /api/v1/project", viewer, s.handleProject},
		{"PATCH /api/v1/project", member(playhead.RoleDeveloper), s.handleUpdateProject},
		{"DELETE /api/v1/project", member(playhead.RoleAdmin), s.handleDeleteProject},
		{"POST /api/v1/project/ingest-key", member(playhead.RoleDeveloper), s.handleRotateIngestKey},
		{"GET /api/v1/members", member(playhead.RoleAdmin), s.handleMembers},
		{"PUT /api/v1/members/{user}", member(playhead.RoleAdmin), s.handleSetMember},
		{"DELETE /api/v1/members/{user}", member(playhead.RoleAdmin), s.handleRemoveMember},
		{"GET /api/v1/tokens", member(playhead.RoleDeveloper), s.handleTokens},
		{"POST /api/v1/tokens", member(playhead.RoleDeveloper), s.handleCreateToken},
		{"DELETE /api/v1/tokens/{id}", member(playhead.RoleDeveloper), s.handleDeleteToken},
		{"GET /api/v1/audit", member(playhead.RoleAdmin), s.handleAudit},
		{"GET /api/v1/audit/all", ownerOnly, s.handleAuditAll},
		{"GET /api/v1/installation", ownerOnly, s.handleInstallation},
		{"PATCH /api/v1/installation", ownerOnly, s.handleUpdateInstallation},
	}
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

// Unwrap lets http.ResponseController reach the connection's writer (to flush).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

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
