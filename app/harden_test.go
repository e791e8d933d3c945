package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/playhead/playhead/app"
	"github.com/playhead/playhead/internal/testutil"
	"github.com/playhead/playhead/webhook"
)

// TestCrossSiteWritesRefused: a page on another site cannot change anything
// through a logged-in browser. Every state-changing dashboard route refuses
// a request that the browser marks cross-site (Sec-Fetch-Site) or that
// comes from another origin, and a body that is not JSON (what an HTML form
// or a no-preflight fetch sends); the dashboard's own requests and the
// SDK's cross-origin ingest keep working.
func TestCrossSiteWritesRefused(t *testing.T) {
	m := start(t)
	c := loggedIn(t, m)
	now := time.Now().UnixMilli()
	scenario{method: "POST", path: "/api/v1/ingest?k=" + m.Project.IngestKey, body: batch("csrfsession00001", 0, now), wantStatus: 200}.run(t, m, nil)

	evil := "https://evil.example"
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": evil}
	plain := map[string]string{"Content-Type": "text/plain", "Origin": evil}
	crossSite := map[string]string{"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site", "Origin": evil}
	sameSite := map[string]string{"Content-Type": "application/json", "Sec-Fetch-Site": "same-site", "Origin": "https://other.playhead.example"}
	otherOrigin := map[string]string{"Content-Type": "application/json", "Origin": evil}
	same := map[string]string{"Content-Type": "application/json", "Sec-Fetch-Site": "same-origin", "Origin": m.URL()}
	hook := []byte(`{"url":"https://hooks.example/x"}`)
	tests := []scenario{
		{name: "webhook from a form on another site", method: "POST", path: "/api/v1/webhooks", body: []byte("url=https://evil.example/x"), header: form,
			wantStatus: 403, want: []string{`"code":"forbidden"`, "cross-origin"}},
		{name: "webhook, text/plain from another site", method: "POST", path: "/api/v1/webhooks", body: hook, header: plain, wantStatus: 403},
		{name: "webhook, JSON marked cross-site", method: "POST", path: "/api/v1/webhooks", body: hook, header: crossSite, wantStatus: 403},
		{name: "webhook, JSON marked same-site", method: "POST", path: "/api/v1/webhooks", body: hook, header: sameSite, wantStatus: 403},
		{name: "webhook, JSON from another origin (older browser)", method: "POST", path: "/api/v1/webhooks", body: hook, header: otherOrigin, wantStatus: 403},
		{name: "erase from another site", method: "POST", path: "/api/v1/erase", body: []byte(`{"userId":"u1"}`), header: plain, wantStatus: 403},
		{name: "delete a session from another site", method: "DELETE", path: "/api/v1/sessions/csrfsession00001", header: crossSite, wantStatus: 403},
		{name: "checkpoints from another site", method: "PUT", path: "/api/v1/sessions/csrfsession00001/checkpoints", body: []byte(`{}`), header: crossSite, wantStatus: 403},
		{name: "delete a webhook from another site", method: "DELETE", path: "/api/v1/webhooks/1", header: crossSite, wantStatus: 403},
		{name: "logout from another site", method: "POST", path: "/api/v1/logout", header: crossSite, wantStatus: 403},
		{name: "login from another site", method: "POST", path: "/api/v1/login", body: []byte(`{"username":"admin","password":"` + password + `"}`), header: crossSite, wantStatus: 403},
		{name: "same origin, text/plain", method: "POST", path: "/api/v1/webhooks", body: hook,
			header: map[string]string{"Content-Type": "text/plain", "Sec-Fetch-Site": "same-origin"}, wantStatus: 415,
			want: []string{`"code":"unsupported_media_type"`, "Content-Type must be application/json"}},
		{name: "same origin, form", method: "POST", path: "/api/v1/erase", body: []byte("userId=u1"),
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, wantStatus: 415},
		{name: "same origin, no content type", method: "PUT", path: "/api/v1/sessions/csrfsession00001/checkpoints", body: []byte(`{}`),
			header: map[string]string{"Content-Type": ""}, wantStatus: 415},
		{name: "reads stay open to any caller that has the cookie", method: "GET", path: "/api/v1/webhooks", header: crossSite, wantStatus: 200},
		{name: "the SDK's cross-origin ingest", method: "POST", path: "/api/v1/ingest?k=" + m.Project.IngestKey, body: batch("csrfsession00001", 1, now+1000),
			header: map[string]string{"Content-Type": "text/plain", "Origin": evil, "Sec-Fetch-Site": "cross-site"}, wantStatus: 200},
	}
	for _, tt := range tests {
		tt.login = true
		t.Run(tt.name, func(t *testing.T) { tt.run(t, m, c) })
	}
	// Nothing above changed anything: no webhook, the session is there.
	scenario{method: "GET", path: "/api/v1/webhooks", login: true, wantStatus: 200, want: []string{`"webhooks":[]`}}.run(t, m, c)
	scenario{method: "GET", path: "/api/v1/sessions/csrfsession00001", login: true, wantStatus: 200}.run(t, m, c)
	// The dashboard's own requests work.
	scenario{method: "POST", path: "/api/v1/webhooks", body: hook, header: same, login: true, wantStatus: 201}.run(t, m, c)
	scenario{method: "POST", path: "/api/v1/erase", body: []byte(`{"userId":"u1"}`), header: same, login: true, wantStatus: 200}.run(t, m, c)
}

// startWith starts Playhead with the test configuration changed by edit.
func startWith(t *testing.T, edit func(*app.Config)) *app.Main {
	t.Helper()
	m := &app.Main{
		Config: app.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Demo: "false", AdminPassword: password, LogLevel: "error"},
		Stderr: io.Discard,
	}
	edit(&m.Config)
	if err := m.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(context.Background()) })
	return m
}

// TestLoginAttemptsLimited: password guessing is slowed per client address
// and per account, before any password is checked, with a 429 that says
// when to come back.
func TestLoginAttemptsLimited(t *testing.T) {
	m := startWith(t, func(c *app.Config) { c.TrustedProxies = "127.0.0.1" })
	login := func(from, user, pw string) scenario {
		return scenario{method: "POST", path: "/api/v1/login", body: []byte(`{"username":"` + user + `","password":"` + pw + `"}`),
			header: map[string]string{"X-Forwarded-For": from}}
	}
	limited := func(sc scenario, who string) scenario {
		sc.wantStatus = 429
		sc.want = []string{`"code":"rate_limited"`, "too many login attempts " + who, "then one every 6s); retry after ", "s (at "}
		sc.wantHeader = map[string]string{"Retry-After": ""}
		return sc
	}

	// One address trying many accounts.
	for i := range 10 {
		sc := login("198.51.100.7", fmt.Sprintf("user%d", i), "guess")
		sc.wantStatus = 401
		sc.run(t, m, nil)
	}
	limited(login("198.51.100.7", "someone", "guess"), "from this client address").run(t, m, nil)
	limited(login("198.51.100.7", "admin", password), "from this client address").run(t, m, nil)

	// Many addresses trying one account.
	for i := range 10 {
		sc := login(fmt.Sprintf("203.0.113.%d", i+1), "admin", "guess")
		sc.wantStatus = 401
		sc.run(t, m, nil)
	}
	limited(login("203.0.113.100", "admin", password), "for this account").run(t, m, nil)
	// Another account from a fresh address is not held up.
	sc := login("203.0.113.101", "eve", "guess")
	sc.wantStatus = 401
	sc.run(t, m, nil)
}

// TestIngestLimitsAddressFirst: the per-address ingest limit applies before
// the key is looked up, so unknown keys cannot make a database query each,
// and an IPv6 client is limited by its /64, which it holds whole.
func TestIngestLimitsAddressFirst(t *testing.T) {
	m := startWith(t, func(c *app.Config) { c.TrustedProxies = "127.0.0.1"; c.RateIP = 0.5 }) // a burst of 5
	now := time.Now().UnixMilli()
	send := func(from, key string, seq int, status int) {
		t.Helper()
		scenario{method: "POST", path: "/api/v1/ingest?k=" + key, body: batch("addressfirst0001", seq, now),
			header: map[string]string{"X-Forwarded-For": from}, wantStatus: status}.run(t, m, nil)
	}
	for range 5 {
		send("198.51.100.9", "phk_guessed", 0, 401)
	}
	send("198.51.100.9", "phk_guessed", 0, 429)
	send("198.51.100.9", m.Project.IngestKey, 0, 429)

	for i := range 5 {
		send(fmt.Sprintf("2001:db8:1:2::%x", i+1), m.Project.IngestKey, i, 200)
	}
	send("2001:db8:1:2:ffff:ffff:ffff:ffff", m.Project.IngestKey, 5, 429)
	send("2001:db8:1:3::1", m.Project.IngestKey, 5, 200)
}

// TestWebhooksReachPublicAddressesOnly: a webhook cannot be used to reach
// the server's own network: a receiver on a loopback (or any non-public)
// address is refused at connect time, and a receiver's redirect is not
// followed, even with private addresses allowed.
func TestWebhooksReachPublicAddressesOnly(t *testing.T) {
	var hits atomic.Int64
	inside := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer inside.Close()
	redirector := httptest.NewServer(http.RedirectHandler(inside.URL+"/admin", http.StatusFound))
	defer redirector.Close()

	deliver := func(m *app.Main, target string) string {
		t.Helper()
		c := loggedIn(t, m)
		resp, err := c.Post(m.URL()+"/api/v1/webhooks", "application/json", strings.NewReader(`{"url":"`+target+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		var created struct{ Webhook struct{ ID int64 } }
		json.NewDecoder(resp.Body).Decode(&created)
		resp.Body.Close()
		now := time.Now().UnixMilli()
		scenario{method: "POST", path: "/api/v1/ingest?k=" + m.Project.IngestKey, body: batch("hooktarget000001", 0, now), wantStatus: 200}.run(t, m, nil)
		if err := m.Deliverer.RunOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
		_, body := testutil.Get(t, c, fmt.Sprintf("%s/api/v1/webhooks/%d/deliveries", m.URL(), created.Webhook.ID))
		return body
	}

	t.Run("loopback receiver", func(t *testing.T) {
		m := startWith(t, func(*app.Config) {})
		got := deliver(m, inside.URL+"/hook")
		if !strings.Contains(got, "resolves to a private address: 127.0.0.1") || hits.Load() != 0 {
			t.Fatalf("delivery to %s: %d requests arrived; log %s", inside.URL, hits.Load(), got)
		}
	})
	t.Run("redirect", func(t *testing.T) {
		m := startWith(t, func(c *app.Config) { c.WebhooksAllowPrivate = true })
		got := deliver(m, redirector.URL+"/hook")
		if !strings.Contains(got, `"lastStatus":302`) || !strings.Contains(got, "the receiver answered 302") || hits.Load() != 0 {
			t.Fatalf("delivery to a redirect: %d requests reached its target; log %s", hits.Load(), got)
		}
	})
}

// TestLoginCookie: the login cookie is Secure when the browser reached
// Playhead over HTTPS through a trusted proxy; a login ends after 12 hours
// without use and after 7 days in any case; expired logins are purged when
// someone logs in.
func TestLoginCookie(t *testing.T) {
	var offset atomic.Int64 // the server's clock runs ahead by this much
	m := startWith(t, func(c *app.Config) { c.TrustedProxies = "127.0.0.1" })
	m.Server.Now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }

	t.Run("Secure", func(t *testing.T) {
		for _, tt := range []struct {
			proto  string
			secure bool
		}{{"https", true}, {"http", false}, {"", false}} {
			req, _ := http.NewRequest("POST", m.URL()+"/api/v1/login", strings.NewReader(`{"username":"admin","password":"`+password+`"}`))
			req.Header.Set("Content-Type", "application/json")
			if tt.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			cookie := resp.Header.Get("Set-Cookie")
			if strings.Contains(cookie, "; Secure") != tt.secure || !strings.Contains(cookie, "HttpOnly") || !strings.Contains(cookie, "SameSite=Strict") {
				t.Errorf("X-Forwarded-Proto %q from a trusted proxy: Set-Cookie %q, want Secure %v", tt.proto, cookie, tt.secure)
			}
		}
		// From a peer that is not a trusted proxy the header means nothing.
		other := startWith(t, func(*app.Config) {})
		req, _ := http.NewRequest("POST", other.URL()+"/api/v1/login", strings.NewReader(`{"username":"admin","password":"`+password+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-Proto", "https")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if cookie := resp.Header.Get("Set-Cookie"); strings.Contains(cookie, "Secure") {
			t.Errorf("X-Forwarded-Proto from an untrusted peer made the cookie Secure: %q", cookie)
		}
	})

	at := func(d time.Duration) { offset.Store(int64(d)) }
	me := func(t *testing.T, c *http.Client, status int) {
		t.Helper()
		sc := scenario{method: "GET", path: "/api/v1/me", login: true, wantStatus: status}
		if status == 401 {
			sc.want = []string{"log in again"}
		}
		sc.run(t, m, c)
	}

	t.Run("idle timeout", func(t *testing.T) {
		at(0)
		c := loggedIn(t, m)
		me(t, c, 200)
		at(11 * time.Hour)
		me(t, c, 200) // in use: the idle timeout starts again
		at(22 * time.Hour)
		me(t, c, 200)
		at(34*time.Hour + time.Minute)
		me(t, c, 401)
	})

	t.Run("lifetime", func(t *testing.T) {
		at(0)
		c := loggedIn(t, m)
		for h := 11; h < 7*24; h += 11 {
			at(time.Duration(h) * time.Hour)
			me(t, c, 200)
		}
		at(7*24*time.Hour + time.Minute)
		me(t, c, 401)
	})

	t.Run("expired logins purged", func(t *testing.T) {
		at(30 * 24 * time.Hour) // every login above has expired
		loggedIn(t, m)
		purger, ok := m.DB.(interface {
			PurgeLogins(context.Context, time.Time) (int, error)
		})
		if !ok {
			t.Fatalf("%T cannot purge logins", m.DB)
		}
		n, err := purger.PurgeLogins(t.Context(), m.Server.Now())
		if err != nil || n != 0 {
			t.Fatalf("PurgeLogins after a login: %d purged, %v; want the login to have purged them all", n, err)
		}
	})
}

// TestSmallerHardening collects the small rules: the demo shop's pages
// carry security headers, /assets/ lists nothing, the admin password is
// not a flag, and /metrics needs the metrics token.
func TestSmallerHardening(t *testing.T) {
	m := startWith(t, func(c *app.Config) { c.Demo = "true"; c.MetricsToken = "metrics-secret" })
	tests := []scenario{
		{name: "demo shop headers", method: "GET", path: "/demo/", wantStatus: 200, wantHeader: map[string]string{
			"Content-Security-Policy": "default-src 'self'", "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}},
		{name: "demo checkout headers", method: "GET", path: "/demo/checkout", wantStatus: 200, wantHeader: map[string]string{
			"Content-Security-Policy": "frame-ancestors 'none'"}},
		{name: "no listing of /assets/", method: "GET", path: "/assets/", wantStatus: 404, wantNot: []string{"app.js"}},
		{name: "an asset", method: "GET", path: "/assets/app.js", wantStatus: 200},
		{name: "metrics without a token", method: "GET", path: "/metrics", wantStatus: 401, want: []string{"Authorization: Bearer"},
			wantHeader: map[string]string{"WWW-Authenticate": "Bearer"}, wantNot: []string{"playhead_ingest"}},
		{name: "metrics with a wrong token", method: "GET", path: "/metrics", header: map[string]string{"Authorization": "Bearer nope"}, wantStatus: 401},
		{name: "metrics with a login cookie only", method: "GET", path: "/metrics", login: true, wantStatus: 401},
		{name: "metrics with the token", method: "GET", path: "/metrics", header: map[string]string{"Authorization": "Bearer metrics-secret"},
			wantStatus: 200, want: []string{"playhead_ingest_queue_depth"}},
	}
	c := loggedIn(t, m)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, m, c) })
	}

	t.Run("metrics off without a token", func(t *testing.T) {
		m := startWith(t, func(*app.Config) {})
		scenario{method: "GET", path: "/metrics", wantStatus: 404, want: []string{"PLAYHEAD_METRICS_TOKEN"}}.run(t, m, nil)
	})

	t.Run("admin password from the environment only", func(t *testing.T) {
		var c app.Config
		if err := newFlagSet(&c).Parse([]string{"-admin-password", "visible in ps"}); err == nil {
			t.Fatal("-admin-password is still a flag")
		}
		c = app.Config{}
		fs := newFlagSet(&c)
		fs.Parse(nil)
		env := map[string]string{"PLAYHEAD_ADMIN_PASSWORD": "pw", "PLAYHEAD_METRICS_TOKEN": "tok"}
		if err := c.ApplyEnv(fs, func(k string) string { return env[k] }); err != nil || c.AdminPassword != "pw" || c.MetricsToken != "tok" {
			t.Fatalf("ApplyEnv: %v; AdminPassword %q, MetricsToken %q", err, c.AdminPassword, c.MetricsToken)
		}
	})
}

// TestReportPagesHTTPOnly: a page URL that is not http(s) (javascript:,
// data:, file:) is neither stored with a report nor sent to webhooks,
// where a receiver could render it as a link.
func TestReportPagesHTTPOnly(t *testing.T) {
	var mu sync.Mutex
	var pages []string
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p webhook.Payload
		json.NewDecoder(r.Body).Decode(&p)
		mu.Lock()
		pages = append(pages, p.Event+" "+p.Page)
		mu.Unlock()
	}))
	defer receiver.Close()
	m := startWith(t, func(c *app.Config) { c.WebhooksAllowPrivate = true })
	c := loggedIn(t, m)
	scenario{method: "POST", path: "/api/v1/webhooks", body: []byte(`{"url":"` + receiver.URL + `"}`), login: true, wantStatus: 201}.run(t, m, c)
	now := time.Now().UnixMilli()
	body := fmt.Sprintf(`{"v":1,"sid":"reportpages00001","seq":0,"events":[
		{"type":4,"timestamp":%d,"data":{"href":"javascript:alert(document.cookie)","width":800,"height":600}},
		{"type":5,"timestamp":%d,"data":{"tag":"playhead.error","payload":{"kind":"error","message":"boom"}}},
		{"type":5,"timestamp":%d,"data":{"tag":"playhead.report","payload":{"text":"it broke","url":"data:text/html,<script>alert(1)</script>"}}}]}`,
		now, now+1, now+2)
	scenario{method: "POST", path: "/api/v1/ingest?k=" + m.Project.IngestKey, body: []byte(body), wantStatus: 200}.run(t, m, nil)
	if err := m.Deliverer.RunOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	scenario{method: "GET", path: "/api/v1/reports", login: true, wantStatus: 200, want: []string{"it broke"},
		wantNot: []string{"data:text", "javascript:"}}.run(t, m, c)
	mu.Lock()
	defer mu.Unlock()
	if len(pages) != 2 || strings.Contains(strings.Join(pages, " "), ":alert") || strings.Contains(strings.Join(pages, " "), "data:") {
		t.Fatalf("webhook payloads' pages: %q; want two deliveries with no page", pages)
	}
}
