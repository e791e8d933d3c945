package demo_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/playhead/playhead/demo"
)

const sdkTag = `<script src="/sdk.js" data-project-key="phk_test&key"></script>`

func TestHandler(t *testing.T) {
	h := demo.Handler(sdkTag, demo.Backend{})
	checkoutIDs := []string{`id="name"`, `id="email"`, `id="password"`, `id="card"`, `autocomplete="cc-number"`, `id="place-order"`}
	navIDs := []string{`id="nav-shop"`, `id="nav-checkout"`, `id="throw-error"`, `src="/demo/static/app.js"`}

	tests := []struct {
		name        string
		method      string
		path        string
		body        string
		status      int
		contentType string // prefix
		contains    []string
		json        bool
		header      map[string]string
	}{
		{name: "shop page", method: "GET", path: "/demo/", status: 200, contentType: "text/html",
			contains: append([]string{sdkTag, "<title>Shop"}, navIDs...)},
		{name: "checkout page", method: "GET", path: "/demo/checkout", status: 200, contentType: "text/html",
			contains: append(append([]string{sdkTag, "<title>Checkout"}, navIDs...), checkoutIDs...)},
		{name: "head page", method: "HEAD", path: "/demo/checkout", status: 200, contentType: "text/html"},
		{name: "products", method: "GET", path: "/demo/api/products", status: 200, contentType: "application/json",
			contains: []string{`"products"`, `"price"`}, json: true},
		{name: "checkout fails", method: "POST", path: "/demo/api/checkout", body: `{"items":[]}`, status: 500,
			contentType: "application/json", contains: []string{`{"error":"payment provider unavailable"}`}, json: true},
		{name: "checkout with a large body", method: "POST", path: "/demo/api/checkout", body: strings.Repeat("x", 1<<20),
			status: 500, contentType: "application/json", json: true},
		{name: "checkout needs POST", method: "GET", path: "/demo/api/checkout", status: 405,
			contentType: "application/json", json: true, header: map[string]string{"Allow": "POST"}},
		{name: "products needs GET", method: "POST", path: "/demo/api/products", status: 405,
			contentType: "application/json", json: true},
		{name: "page needs GET", method: "POST", path: "/demo/", status: 405},
		{name: "unknown page", method: "GET", path: "/demo/nope", status: 404},
		{name: "unknown api", method: "GET", path: "/demo/api/nope", status: 404, contentType: "application/json", json: true},
		{name: "trailing slash", method: "GET", path: "/demo/checkout/", status: 404},
		{name: "template is not an asset", method: "GET", path: "/demo/page.html.tmpl", status: 404},
		{name: "static directory", method: "GET", path: "/demo/static/", status: 404},
		{name: "app.js", method: "GET", path: "/demo/static/app.js", status: 200, contentType: "text/javascript",
			contains: []string{"/demo/api/checkout", "throw-error"}, header: map[string]string{"Cache-Control": "no-cache"}},
		{name: "style.css", method: "GET", path: "/demo/static/style.css", status: 200, contentType: "text/css",
			header: map[string]string{"Cache-Control": "no-cache"}},
		{name: "favicon", method: "GET", path: "/demo/static/favicon.svg", status: 200, contentType: "image/svg+xml"},
		{name: "no slash", method: "GET", path: "/demo", status: 301, header: map[string]string{"Location": "/demo/"}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			res := rec.Result()
			body, _ := io.ReadAll(res.Body)

			if res.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d; body: %.200s", res.StatusCode, tt.status, body)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, tt.contentType) {
				t.Errorf("Content-Type = %q, want prefix %q", ct, tt.contentType)
			}
			for k, v := range tt.header {
				if got := res.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			for _, s := range tt.contains {
				if !strings.Contains(string(body), s) {
					t.Errorf("body does not contain %q", s)
				}
			}
			if tt.json && !json.Valid(body) {
				t.Errorf("body is not JSON: %.200s", body)
			}
		})
	}
}

// The shell shows the route it was asked for before app.js runs, so a reload
// on /demo/checkout shows the checkout at once.
func TestPagesShowTheirRoute(t *testing.T) {
	h := demo.Handler(sdkTag, demo.Backend{})
	for path, want := range map[string][2]string{
		"/demo/":         {`<section id="page-shop" aria-labelledby="shop-title">`, `<section id="page-checkout" aria-labelledby="checkout-title" hidden>`},
		"/demo/checkout": {`<section id="page-checkout" aria-labelledby="checkout-title">`, `<section id="page-shop" aria-labelledby="shop-title" hidden>`},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		for _, s := range want {
			if !strings.Contains(rec.Body.String(), s) {
				t.Errorf("%s: body does not contain %q", path, s)
			}
		}
	}
}

func TestProducts(t *testing.T) {
	rec := httptest.NewRecorder()
	demo.Handler(sdkTag, demo.Backend{}).ServeHTTP(rec, httptest.NewRequest("GET", "/demo/api/products", nil))
	var got struct {
		Products []demo.Product `json:"products"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Products) < 3 {
		t.Fatalf("got %d products, want at least 3", len(got.Products))
	}
	seen := map[string]bool{}
	for _, p := range got.Products {
		if p.ID == "" || p.Name == "" || p.Price <= 0 || p.Currency == "" || seen[p.ID] {
			t.Errorf("bad product %+v", p)
		}
		// app.js's "Break something" button relies on this product not existing.
		if p.ID == "gift-card" {
			t.Error(`a product has the id "gift-card"`)
		}
		seen[p.ID] = true
	}
}

func TestStaticRevalidation(t *testing.T) {
	h := demo.Handler(sdkTag, demo.Backend{})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/demo/static/app.js", nil))
	etag := rec.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	req := httptest.NewRequest("GET", "/demo/static/app.js", nil)
	req.Header.Set("If-None-Match", etag)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Errorf("status = %d, want 304", rec.Code)
	}
}

// The fixed shop accepts orders and marks its pages for app.js; the broken
// one fails them and leaves its pages unmarked.
func TestFixedShop(t *testing.T) {
	for _, fixed := range []bool{false, true} {
		h := demo.Handler(sdkTag, demo.Backend{Fixed: fixed})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/demo/api/checkout", strings.NewReader(`{"items":[]}`)))
		wantStatus := map[bool]int{false: 500, true: 200}[fixed]
		if rec.Code != wantStatus {
			t.Errorf("fixed=%v: checkout status = %d, want %d", fixed, rec.Code, wantStatus)
		}
		if fixed && !strings.Contains(rec.Body.String(), `"order"`) {
			t.Errorf("fixed checkout body = %s, want an order", rec.Body)
		}
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/demo/checkout", nil))
		if got := strings.Contains(rec.Body.String(), `<body data-page="checkout" data-fixed>`); got != fixed {
			t.Errorf("fixed=%v: page marked fixed = %v", fixed, got)
		}
	}
}
