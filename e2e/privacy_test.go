package e2e_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/playhead/playhead/app"
	"github.com/playhead/playhead/internal/testutil"
)

// piiValues are personal data and secrets the fixture page shows, types,
// logs, throws, puts in URLs and sends in an allow-listed request body.
var piiValues = []string{
	"4111 1111 1111 1111", "4111111111111111", "5555 5555 5555 4444", "5555555555554444",
	"ada.pii@example.com", "ada.pii%40example.com", "grace.pii@navy.example",
	"219-09-9999", "+44 20 7946 0958", "DE89 3704 0044 0532 0130 00",
	"hunter2-pii-secret", "tok-pii-abcdef123456", "tok-url-secret-123456",
}

const piiPage = `<!doctype html><html><head><meta charset="utf-8"><title>Account</title>
<script src="%[1]s/sdk.js"></script>
<script>Playhead.init({endpoint: %[2]q, projectKey: %[3]q, privacy: %[4]q, flushIntervalMs: 500,
  networkCapture: {allowUrls: ['/api/profile'], headers: true, bodies: true}});</script>
</head><body>
<h1>Your account</h1>
<p id="plain">Hello visible zebra text</p>
<p>Card 4111 1111 1111 1111 on file. Email ada.pii@example.com. SSN 219-09-9999.</p>
<p>Call +44 20 7946 0958 or pay to IBAN DE89 3704 0044 0532 0130 00.</p>
<img alt="SSN 219-09-9999" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" title="Card 4111 1111 1111 1111">
<a id="reset" href="https://shop.example/reset?token=tok-pii-abcdef123456&email=ada.pii%%40example.com" aria-label="Call +44 20 7946 0958">reset</a>
<form><input id="name" placeholder="ada.pii@example.com"><input id="email" type="email">
<input id="password" type="password"><input id="card" autocomplete="cc-number"></form>
<button id="go">Save</button>
<script>
document.getElementById('go').addEventListener('click', () => {
  console.log('user ada.pii@example.com paid with 4111 1111 1111 1111');
  console.error('SSN 219-09-9999 rejected');
  fetch('/api/profile', {method: 'POST', headers: {'Content-Type': 'application/json', 'Authorization': 'Bearer tok-pii-abcdef123456'},
    body: JSON.stringify({email: 'ada.pii@example.com', password: 'hunter2-pii-secret', card: '4111111111111111', note: 'call +44 20 7946 0958'})});
  setTimeout(() => { throw new Error('Payment failed for 5555 5555 5555 4444 / ada.pii@example.com'); }, 50);
});
</script></body></html>`

// capture is a reverse proxy in front of Playhead that keeps every request
// body the browser sends to it, decompressed: what leaves the browser.
type capture struct {
	mu     sync.Mutex
	bodies [][]byte
}

func (c *capture) handler(target string) http.Handler {
	u, _ := url.Parse(target)
	proxy := httputil.NewSingleHostReverseProxy(u)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		plain := body
		if zr, err := gzip.NewReader(bytes.NewReader(body)); err == nil {
			if b, err := io.ReadAll(zr); err == nil {
				plain = b
			}
		}
		c.mu.Lock()
		c.bodies = append(c.bodies, plain)
		c.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		proxy.ServeHTTP(w, r)
	})
}

func (c *capture) all() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return string(bytes.Join(c.bodies, []byte("\n")))
}

// TestNoPersonalDataLeavesTheBrowserOrIsStored records the PII fixture page
// with default settings, then with privacy: 'strict'.
func TestNoPersonalDataLeavesTheBrowserOrIsStored(t *testing.T) {
	ctx := newBrowser(t)
	var serverLog syncBuffer
	m := &app.Main{
		Config: app.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Demo: "false", AdminPassword: adminPassword, LogLevel: "debug"},
		Stderr: &serverLog,
	}
	if err := m.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer m.Close(t.Context())
	cap := &capture{}
	proxy := httptest.NewServer(cap.handler(m.URL()))
	defer proxy.Close()

	privacyMode := "default"
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/blank":
			fmt.Fprint(w, "<!doctype html><title>blank</title>")
		case "/api/profile":
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Set-Cookie", "session=tok-pii-abcdef123456")
			fmt.Fprint(w, `{"ok":true,"email":"ada.pii@example.com"}`)
		default:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, piiPage, m.URL(), proxy.URL, m.Project.IngestKey, privacyMode)
		}
	}))
	defer site.Close()

	record := func() string {
		var sid string
		do(t, ctx, "record the PII page",
			navigate(site.URL+"/account?session_token=tok-url-secret-123456&ref=mail"),
			chromedp.WaitVisible(chromedp.CSS(`#go`)),
			chromedp.SendKeys(chromedp.CSS(`#name`), "Grace ada.pii@example.com"),
			chromedp.SendKeys(chromedp.CSS(`#email`), "grace.pii@navy.example"),
			chromedp.SendKeys(chromedp.CSS(`#password`), "hunter2-pii-secret"),
			chromedp.SendKeys(chromedp.CSS(`#card`), "5555555555554444"),
			chromedp.Click(chromedp.CSS(`#go`)),
			chromedp.Sleep(1500*time.Millisecond),
		)
		sid = eval[string](t, ctx, `Playhead.getSessionId()`)
		do(t, ctx, "leave", navigate("about:blank"), chromedp.Sleep(500*time.Millisecond))
		return sid
	}
	sid := record()
	api := login(t, m)
	var stored string
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, stored = testutil.Get(t, api, m.URL()+"/api/v1/sessions/"+sid+"/events")
		if strings.Contains(stored, "playhead.network") && strings.Contains(stored, "playhead.error") || time.Now().After(deadline) {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	_, detail := testutil.Get(t, api, m.URL()+"/api/v1/sessions/"+sid)
	if !strings.Contains(stored, "/api/profile") || !strings.Contains(stored, "Your account") {
		t.Fatalf("the session was not recorded as expected: %.500s", stored)
	}
	sent := cap.all()
	for _, v := range piiValues {
		if strings.Contains(sent, v) {
			t.Errorf("%q left the browser", v)
		}
		if strings.Contains(stored, v) || strings.Contains(detail, v) {
			t.Errorf("%q is in the stored session", v)
		}
		if files := testutil.FilesHolding(t, m.Config.DataDir, []byte(v)); len(files) > 0 {
			t.Errorf("%q is in the data directory: %v", v, files)
		}
		if strings.Contains(serverLog.String(), v) {
			t.Errorf("%q is in the server's log", v)
		}
	}
	if files := testutil.FilesHolding(t, m.Config.DataDir, []byte("visible zebra")); len(files) > 0 {
		t.Errorf("page text is readable on disk in %v (not encrypted)", files)
	}

	// Strict: no page text at all.
	privacyMode = "strict"
	do(t, ctx, "new session", navigate(site.URL+"/blank"), chromedp.Evaluate[chromedp.Void](`sessionStorage.clear()`))
	sid2 := record()
	if sid2 == sid {
		t.Fatal("strict run reused the session")
	}
	time.Sleep(time.Second)
	_, strict := testutil.Get(t, api, m.URL()+"/api/v1/sessions/"+sid2+"/events")
	for _, text := range []string{"Hello visible zebra text", "Your account", "Save"} {
		if strings.Contains(strict, text) {
			t.Errorf("strict mode stored page text %q", text)
		}
	}
	if !strings.Contains(strict, `"type":2`) {
		t.Errorf("strict session has no snapshot: %.300s", strict)
	}
}

// syncBuffer is a bytes.Buffer safe for the server's log goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
