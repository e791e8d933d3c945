package assets_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/playhead/playhead/assets"
)

var (
	pngBytes   = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")
	woff2Bytes = []byte("wOF2\x00\x01\x00\x00\x00\x00\x00\x10font data")
)

// assetSite is a recorded site's asset server: it serves what each test asks
// for and counts the requests it receives.
func assetSite(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	mux := http.NewServeMux()
	serve := func(ct string, body []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if ct != "" {
				w.Header().Set("Content-Type", ct)
			}
			w.Write(body)
		}
	}
	mux.HandleFunc("/site.css", serve("text/css; charset=utf-8", []byte("body{background:url(bg.png)}")))
	mux.HandleFunc("/logo.png", serve("image/png", pngBytes))
	mux.HandleFunc("/inter.woff2", serve("font/woff2", woff2Bytes))
	mux.HandleFunc("/unlabelled.woff2", serve("application/octet-stream", woff2Bytes))
	mux.HandleFunc("/page.html", serve("text/html; charset=utf-8", []byte("<!doctype html><p>hi")))
	mux.HandleFunc("/app.js", serve("text/javascript", []byte("alert(1)")))
	mux.HandleFunc("/unlabelled.txt", serve("application/octet-stream", []byte("plain text, not an asset")))
	mux.HandleFunc("/missing.png", http.NotFound)
	mux.HandleFunc("/big.png", serve("image/png", make([]byte, 101)))
	mux.HandleFunc("/exact.png", serve("image/png", make([]byte, 100)))
	mux.HandleFunc("/big-chunked.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		for range 101 {
			w.Write([]byte{0})
			w.(http.Flusher).Flush() // no Content-Length
		}
	})
	mux.HandleFunc("/slow.png", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	mux.HandleFunc("/slow-body.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(pngBytes[:4])
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "secret"})
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	mux.HandleFunc("/echo.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css")
		w.Write([]byte(r.Method + "|" + r.Header.Get("User-Agent") + "|" + r.Header.Get("Cookie") + "|" + r.Header.Get("Referer")))
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestFetch(t *testing.T) {
	site, _ := assetSite(t)
	other, otherHits := assetSite(t)
	policy := assets.Policy{
		AllowedOrigins: []string{site.URL},
		AllowPrivate:   true, // httptest listens on 127.0.0.1
		MaxBytes:       100,
	}
	f := assets.NewFetcher(policy)
	policy.Timeout = 300 * time.Millisecond
	impatient := assets.NewFetcher(policy) // only for the timeouts: a busy machine may be slow
	tests := []struct {
		name        string
		url         string
		wantType    string
		wantData    []byte
		wantErr     string // in the error's text; empty for success
		wantRefused bool
		impatient   bool
	}{
		{name: "css", url: site.URL + "/site.css", wantType: "text/css; charset=utf-8", wantData: []byte("body{background:url(bg.png)}")},
		{name: "png", url: site.URL + "/logo.png", wantType: "image/png", wantData: pngBytes},
		{name: "font", url: site.URL + "/inter.woff2", wantType: "font/woff2", wantData: woff2Bytes},
		{name: "octet-stream sniffed as a font", url: site.URL + "/unlabelled.woff2", wantType: "font/woff2", wantData: woff2Bytes},
		{name: "exactly the limit", url: site.URL + "/exact.png", wantType: "image/png", wantData: make([]byte, 100)},
		{name: "redirect within the origin", url: site.URL + "/redirect?to=/logo.png", wantType: "image/png", wantData: pngBytes},
		{name: "html", url: site.URL + "/page.html", wantErr: "not an asset content type: text/html", wantRefused: true},
		{name: "javascript", url: site.URL + "/app.js", wantErr: "not an asset content type: text/javascript", wantRefused: true},
		{name: "octet-stream not an asset", url: site.URL + "/unlabelled.txt", wantErr: "not an asset content type: text/plain", wantRefused: true},
		{name: "too large by Content-Length", url: site.URL + "/big.png", wantErr: "too large: over the limit of 100 bytes", wantRefused: true},
		{name: "too large while reading", url: site.URL + "/big-chunked.png", wantErr: "too large: over the limit of 100 bytes", wantRefused: true},
		{name: "redirect to another origin", url: site.URL + "/redirect?to=" + url.QueryEscape(other.URL+"/logo.png"), wantErr: "origin not allowed: " + other.URL, wantRefused: true},
		{name: "redirect to another scheme", url: site.URL + "/redirect?to=" + url.QueryEscape("ftp://example.test/a.png"), wantErr: "not an http(s) URL", wantRefused: true},
		{name: "too many redirects", url: site.URL + "/loop", wantErr: "too many redirects: over the limit of 3", wantRefused: true},
		{name: "not found", url: site.URL + "/missing.png", wantErr: "status 404 Not Found"},
		{name: "timeout waiting for headers", url: site.URL + "/slow.png", wantErr: "timeout after 300ms", impatient: true},
		{name: "timeout reading the body", url: site.URL + "/slow-body.png", wantErr: "timeout after 300ms", impatient: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fetcher := f
			if tt.impatient {
				fetcher = impatient
			}
			a, err := fetcher.Fetch(context.Background(), tt.url)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("Fetch(%s) = %s, want error %q", tt.url, a.ContentType, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("Fetch error = %q, want it to say %q", err, tt.wantErr)
				}
				if got := errors.Is(err, assets.ErrRefused); got != tt.wantRefused {
					t.Errorf("errors.Is(%q, ErrRefused) = %v, want %v", err, got, tt.wantRefused)
				}
				return
			}
			if err != nil {
				t.Fatalf("Fetch(%s): %v", tt.url, err)
			}
			sum := sha256.Sum256(tt.wantData)
			if a.URL != tt.url || a.ContentType != tt.wantType || string(a.Data) != string(tt.wantData) || a.Hash != hex.EncodeToString(sum[:]) {
				t.Errorf("Fetch = {%s %s %s %q}, want {%s %s %x %q}", a.URL, a.ContentType, a.Hash, a.Data, tt.url, tt.wantType, sum, tt.wantData)
			}
		})
	}
	if n := otherHits.Load(); n != 0 {
		t.Errorf("the disallowed origin got %d requests, want 0", n)
	}
	t.Run("timeout is a deadline", func(t *testing.T) {
		_, err := impatient.Fetch(context.Background(), site.URL+"/slow.png")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Fetch error = %v, want a context.DeadlineExceeded", err)
		}
	})
}

// TestFetchRequest checks what the fetcher sends: a GET naming itself, and
// neither the cookies a redirect set nor a Referer.
func TestFetchRequest(t *testing.T) {
	site, _ := assetSite(t)
	f := assets.NewFetcher(assets.Policy{AllowedOrigins: []string{site.URL}, AllowPrivate: true})
	a, err := f.Fetch(context.Background(), site.URL+"/redirect?to=/echo.css")
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(string(a.Data), "|")
	method, ua, cookie, referer := got[0], got[1], got[2], got[3]
	if method != "GET" || !strings.Contains(ua, "Playhead") || cookie != "" || referer != "" {
		t.Errorf("request: method %q, User-Agent %q, Cookie %q, Referer %q; want GET, Playhead's, none, none", method, ua, cookie, referer)
	}
	if tr := f.Client.Transport.(*http.Transport); tr.Proxy != nil {
		t.Error("the transport uses a proxy; it must dial (and check) every address itself")
	}
	if f.Client.Jar != nil {
		t.Error("the client keeps cookies")
	}
}

// TestFetchOrigins checks the allow-list, before any connection.
func TestFetchOrigins(t *testing.T) {
	site, hits := assetSite(t)
	u, _ := url.Parse(site.URL)
	tests := []struct {
		name    string
		allowed []string
		url     string
		wantErr string // empty when allowed
	}{
		{name: "empty list allows none", url: site.URL + "/logo.png", wantErr: "origin not allowed"},
		{name: "exact origin", allowed: []string{site.URL}, url: site.URL + "/logo.png"},
		{name: "case and trailing slash", allowed: []string{strings.ToUpper(site.URL) + "/"}, url: site.URL + "/logo.png"},
		{name: "other port", allowed: []string{"http://127.0.0.1:1"}, url: site.URL + "/logo.png", wantErr: "origin not allowed: " + site.URL},
		{name: "other scheme", allowed: []string{"https://" + u.Host}, url: site.URL + "/logo.png", wantErr: "origin not allowed"},
		{name: "an entry with a path matches nothing", allowed: []string{site.URL + "/static"}, url: site.URL + "/logo.png", wantErr: "origin not allowed"},
		{name: "a host suffix is not the host", allowed: []string{"http://0.1:" + u.Port()}, url: site.URL + "/logo.png", wantErr: "origin not allowed"},
		{name: "credentials", allowed: []string{site.URL}, url: "http://user:pw@" + u.Host + "/logo.png", wantErr: "credentials in URL"},
		{name: "data URL", allowed: []string{site.URL}, url: "data:image/png;base64,AAAA", wantErr: "not an http(s) URL"},
		{name: "file URL", allowed: []string{site.URL}, url: "file:///etc/passwd", wantErr: "not an http(s) URL"},
		// Allowed, so the fetch goes on to resolve the name, which fails here.
		{name: "default port written or not", allowed: []string{"https://cdn.test:443"}, url: "https://cdn.test/x.png", wantErr: "no such host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := hits.Load()
			f := assets.NewFetcher(assets.Policy{AllowedOrigins: tt.allowed, AllowPrivate: true})
			assets.SetLookup(f, func(ctx context.Context, host string) ([]netip.Addr, error) {
				return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
			})
			_, err := f.Fetch(context.Background(), tt.url)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Fetch: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Fetch error = %v, want it to say %q", err, tt.wantErr)
			}
			if hits.Load() != before {
				t.Errorf("a refused URL reached the server")
			}
		})
	}
}

// TestFetchPrivateAddresses checks that, without AllowPrivate, no address
// that is not public is connected to, whether it is written in the URL,
// resolved from a name, or reached by a redirect, even on an allowed origin.
func TestFetchPrivateAddresses(t *testing.T) {
	site, hits := assetSite(t)
	u, _ := url.Parse(site.URL)
	port := u.Port()
	tests := []struct {
		name    string
		url     string
		resolve map[string]string // simulated DNS answers; nil uses the system's
	}{
		{name: "loopback literal", url: site.URL + "/logo.png"},
		{name: "localhost", url: "http://localhost:" + port + "/logo.png"}, // the system's resolver
		{name: "cloud metadata", url: "http://169.254.169.254/latest/meta-data/"},
		{name: "IPv6 loopback", url: "http://[::1]:" + port + "/logo.png"},
		{name: "IPv4-mapped loopback", url: "http://[::ffff:127.0.0.1]:" + port + "/logo.png"},
		{name: "unspecified", url: "http://0.0.0.0:" + port + "/logo.png"},
		{name: "public-looking name resolving to loopback", url: "http://assets.shop.test:" + port + "/logo.png", resolve: map[string]string{"assets.shop.test": "127.0.0.1"}},
		{name: "public-looking name resolving to a private network", url: "http://cdn.shop.test:" + port + "/logo.png", resolve: map[string]string{"cdn.shop.test": "10.0.0.7"}},
		{name: "public-looking name resolving to IPv4-mapped metadata", url: "http://img.shop.test/a.png", resolve: map[string]string{"img.shop.test": "::ffff:169.254.169.254"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tu, _ := url.Parse(tt.url)
			f := assets.NewFetcher(assets.Policy{AllowedOrigins: []string{tu.Scheme + "://" + tu.Host}, Timeout: time.Second})
			if tt.resolve != nil {
				assets.SetLookup(f, fakeDNS(tt.resolve))
			}
			before := hits.Load()
			_, err := f.Fetch(context.Background(), tt.url)
			if !errors.Is(err, assets.ErrRefused) || !strings.Contains(err.Error(), "resolves to a private address") {
				t.Fatalf("Fetch error = %v, want a refusal: resolves to a private address", err)
			}
			if hits.Load() != before {
				t.Errorf("a private address was reached")
			}
		})
	}

	// The same name is reached once allowed: the refusals above are the
	// address check's, not the simulated DNS failing.
	t.Run("AllowPrivate", func(t *testing.T) {
		f := assets.NewFetcher(assets.Policy{AllowedOrigins: []string{"http://assets.shop.test:" + port}, AllowPrivate: true})
		assets.SetLookup(f, fakeDNS(map[string]string{"assets.shop.test": "127.0.0.1"}))
		if _, err := f.Fetch(context.Background(), "http://assets.shop.test:"+port+"/logo.png"); err != nil {
			t.Fatalf("Fetch with AllowPrivate: %v", err)
		}
	})

	// Every address of an answer is checked as it is dialed.
	t.Run("several addresses", func(t *testing.T) {
		f := assets.NewFetcher(assets.Policy{AllowedOrigins: []string{"http://mixed.shop.test:" + port}, Timeout: 300 * time.Millisecond})
		assets.SetLookup(f, func(ctx context.Context, host string) ([]netip.Addr, error) {
			return []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("192.168.1.1")}, nil
		})
		before := hits.Load()
		_, err := f.Fetch(context.Background(), "http://mixed.shop.test:"+port+"/logo.png")
		if !errors.Is(err, assets.ErrRefused) || hits.Load() != before {
			t.Fatalf("Fetch error = %v, want a refusal and no request", err)
		}
	})
}

func fakeDNS(answers map[string]string) func(context.Context, string) ([]netip.Addr, error) {
	return func(ctx context.Context, host string) ([]netip.Addr, error) {
		a, ok := answers[host]
		if !ok {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		return []netip.Addr{netip.MustParseAddr(a)}, nil
	}
}
