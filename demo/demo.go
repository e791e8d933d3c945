// Package demo serves Playhead Coffee, a small shop that exists to be
// recorded. A newcomer opens it at /demo/, clicks around, and then watches the
// session in the dashboard. Every page does at least one thing Playhead
// records: a form with personal data (masking), an uncaught JavaScript error,
// a request that fails, client-side navigation and console output.
//
// The shop is one HTML shell, served for /demo/ and /demo/checkout, plus
// embedded static files and two JSON endpoints. It needs nothing but the
// standard library and keeps no state: the cart lives in the browser.
package demo

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	phgo "github.com/playhead/playhead/sdk/go"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	nooptrace "go.opentelemetry.io/otel/trace/noop"
)

// prefix is where the shop lives. Handler receives full request paths, so
// every route below starts with it.
const prefix = "/demo/"

// maxCheckoutBody is how much of a checkout request's body the handler reads
// (and throws away) before it answers.
const maxCheckoutBody = 64 << 10

//go:embed page.html.tmpl
var pageSource string

//go:embed static
var staticFiles embed.FS

var pageTemplate = template.Must(template.New("page").Parse(pageSource))

// contentTypes names the type of every extension under static/. A file with
// an extension missing here is not served, so a new kind of asset fails the
// tests rather than reaching browsers with a guessed type.
var contentTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
	".svg": "image/svg+xml",
}

// Product is one item of the catalogue that GET /demo/api/products lists.
type Product struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	// Price is in the currency's minor unit (cents).
	Price    int    `json:"price"`
	Currency string `json:"currency"`
	// Roast picks the product's colour swatch: light, medium, dark or merch.
	Roast string `json:"roast"`
}

var products = []Product{
	{ID: "house-espresso", Name: "House Espresso", Description: "Chocolate, hazelnut and a long, sweet finish. Our everyday blend.", Price: 1450, Currency: "USD", Roast: "dark"},
	{ID: "ethiopia-yirgacheffe", Name: "Ethiopia Yirgacheffe", Description: "Washed, floral and bright, with notes of bergamot and lemon.", Price: 1800, Currency: "USD", Roast: "light"},
	{ID: "colombia-huila", Name: "Colombia Huila", Description: "Red apple, caramel and a round body. Good in every brewer.", Price: 1600, Currency: "USD", Roast: "medium"},
	{ID: "kenya-nyeri", Name: "Kenya Nyeri", Description: "Blackcurrant, grapefruit and a syrupy body. Our brightest coffee.", Price: 1900, Currency: "USD", Roast: "light"},
	{ID: "decaf-swiss-water", Name: "Decaf Swiss Water", Description: "All of the cocoa, none of the caffeine. Decaffeinated with water only.", Price: 1550, Currency: "USD", Roast: "medium"},
	{ID: "playhead-mug", Name: "Playhead Mug", Description: "Stoneware, 350 ml, glazed in espresso brown. Dishwasher safe.", Price: 2200, Currency: "USD", Roast: "merch"},
}

// pageData fills page.html.tmpl.
type pageData struct {
	SDKTag template.HTML
	// Page is the route shown before app.js runs: "shop" or "checkout".
	Page  string
	Title string
	// Fixed marks the page of the fixed shop, for app.js.
	Fixed bool
}

// asset is one embedded static file, ready to serve.
type asset struct {
	body        []byte
	contentType string
	etag        string
}

type handler struct {
	shopPage     []byte
	checkoutPage []byte
	productsJSON []byte
	assets       map[string]asset // by full request path
	api          http.Handler
	tracer       trace.Tracer
	logger       *slog.Logger
	fixed        bool
}

// Backend is how the shop's backend behaves and reports what it does: to
// Playhead itself, as any Go backend would, through OpenTelemetry. A zero
// Backend reports nothing and keeps the shop's bugs.
type Backend struct {
	Tracer trace.TracerProvider
	Logger *slog.Logger
	// Fixed serves the shop with its two bugs fixed: the payment provider
	// accepts orders, and "Break something" finds no gift card without
	// throwing. A reproduction exported from a session of the broken shop
	// passes against it.
	Fixed bool
}

// Handler serves the demo shop under /demo/ (it receives full request paths
// beginning with /demo/). sdkTag is the HTML <script> element that installs
// Playhead's SDK; the page includes it verbatim in <head>. It comes from the
// server, never from users, so it is not escaped.
//
// The API runs behind the Go backend SDK (sdk/go): each request's span and
// log records carry the browser session's ID from the baggage header, so the
// player shows them beside the request that caused them.
func Handler(sdkTag string, backend Backend) http.Handler {
	if backend.Tracer == nil {
		backend.Tracer = nooptrace.NewTracerProvider()
	}
	if backend.Logger == nil {
		backend.Logger = slog.New(slog.DiscardHandler)
	}
	h := &handler{
		shopPage:     renderPage(sdkTag, "shop", "Shop", backend.Fixed),
		checkoutPage: renderPage(sdkTag, "checkout", "Checkout", backend.Fixed),
		assets:       make(map[string]asset),
		tracer:       backend.Tracer.Tracer("playhead/demo"),
		logger:       backend.Logger,
		fixed:        backend.Fixed,
	}
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case prefix + "api/products":
			h.listProducts(w, r)
		case prefix + "api/checkout":
			h.checkout(w, r)
		default:
			writeJSON(w, http.StatusNotFound, []byte(`{"error":"not found"}`))
		}
	})
	h.api = otelhttp.NewHandler(phgo.Middleware(api), "demo-api",
		otelhttp.WithTracerProvider(backend.Tracer),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method + " " + r.URL.Path }))
	var err error
	if h.productsJSON, err = json.Marshal(map[string][]Product{"products": products}); err != nil {
		panic("demo: encoding the products: " + err.Error())
	}
	err = fs.WalkDir(staticFiles, "static", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ct, ok := contentTypes[path.Ext(name)]
		if !ok {
			panic("demo: no content type for embedded file " + name)
		}
		body, err := staticFiles.ReadFile(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		h.assets[prefix+name] = asset{body: body, contentType: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		return nil
	})
	if err != nil {
		panic("demo: reading the embedded files: " + err.Error())
	}
	return h
}

// renderPage renders the HTML shell once; it depends only on sdkTag and the
// route.
func renderPage(sdkTag, page, title string, fixed bool) []byte {
	var buf bytes.Buffer
	err := pageTemplate.Execute(&buf, pageData{SDKTag: template.HTML(sdkTag), Page: page, Title: title, Fixed: fixed})
	if err != nil {
		panic("demo: rendering the page: " + err.Error())
	}
	return buf.Bytes()
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	p := r.URL.Path
	switch {
	case p == "/demo":
		http.Redirect(w, r, prefix, http.StatusMovedPermanently)
	case p == prefix:
		h.page(w, r, h.shopPage)
	case p == prefix+"checkout":
		h.page(w, r, h.checkoutPage)
	case strings.HasPrefix(p, prefix+"api/"):
		h.api.ServeHTTP(w, r)
	default:
		a, ok := h.assets[p]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if !allowRead(w, r, false) {
			return
		}
		w.Header().Set("Content-Type", a.contentType)
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("ETag", a.etag)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
	}
}

// pageCSP lets the shop's pages load from their own origin only (the SDK
// included: it is served by the same Playhead) and compress batches in a
// worker made from a blob: URL, and keeps them out of frames.
const pageCSP = "default-src 'self'; script-src 'self'; worker-src 'self' blob:; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

// page serves the HTML shell. The browser then routes on the client side.
func (h *handler) page(w http.ResponseWriter, r *http.Request, body []byte) {
	if !allowRead(w, r, false) {
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("Content-Security-Policy", pageCSP)
	hd.Set("X-Frame-Options", "DENY")
	w.Write(body)
}

// listProducts answers GET /demo/api/products.
func (h *handler) listProducts(w http.ResponseWriter, r *http.Request) {
	if !allowRead(w, r, true) {
		return
	}
	writeJSON(w, http.StatusOK, h.productsJSON)
}

// checkout answers POST /demo/api/checkout. The payment provider is always
// down: the demo wants a failed request in every recording that reaches it.
// In the fixed shop it accepts every order.
func (h *handler) checkout(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, []byte(`{"error":"method not allowed"}`))
		return
	}
	// The order goes nowhere; read a bounded part of it so that a small
	// body does not leave the connection unusable, and ignore the rest.
	io.Copy(io.Discard, io.LimitReader(r.Body, maxCheckoutBody))
	ctx, span := h.tracer.Start(r.Context(), "payments.authorize")
	time.Sleep(20 * time.Millisecond) // the provider takes a moment to answer
	if h.fixed {
		span.End()
		h.logger.InfoContext(ctx, "order placed", "provider", "acme-pay")
		writeJSON(w, http.StatusOK, []byte(`{"order":"PH-1042"}`))
		return
	}
	span.SetStatus(codes.Error, "payment provider unavailable")
	span.End()
	h.logger.ErrorContext(ctx, "checkout failed: payment provider unavailable", "provider", "acme-pay", "status", http.StatusBadGateway)
	writeJSON(w, http.StatusInternalServerError, []byte(`{"error":"payment provider unavailable"}`))
}

// allowRead answers 405 unless the request is a GET or HEAD, and reports
// whether it may go on.
func allowRead(w http.ResponseWriter, r *http.Request, api bool) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	if api {
		writeJSON(w, http.StatusMethodNotAllowed, []byte(`{"error":"method not allowed"}`))
	} else {
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
	}
	return false
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body)
	w.Write([]byte("\n"))
}
