package e2e_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/playhead/playhead/app"
	"github.com/playhead/playhead/internal/testservers"
)

// chromiumPath returns the browser the tests drive (see testservers.Chromium).
func chromiumPath(t *testing.T) string { return testservers.Chromium(t) }

// newBrowser starts a headless Chromium and returns a tab's context.
func newBrowser(t *testing.T) context.Context { return testservers.Browser(t) }

// eval evaluates a JavaScript expression in the tab and decodes its value.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %.80q: %v", expr, err)
	}
	return v
}

// navigate loads a URL like chromedp.Navigate, then waits until a script
// runs in the new document. chromedp keeps the execution context of each
// frame from Chromium's events, which can trail the load event: a step that
// evaluates right after a navigation may otherwise be sent to the document
// just left ("Cannot find context with specified id").
func navigate(url string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		var none chromedp.Void
		if _, err := chromedp.Navigate(url)(ctx, t); err != nil {
			return none, err
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			_, err := chromedp.Evaluate[string](`document.readyState`)(ctx, t)
			if err == nil || !staleContext(err) || time.Now().After(deadline) {
				return none, err
			}
			select {
			case <-ctx.Done():
				return none, ctx.Err()
			case <-time.After(25 * time.Millisecond):
			}
		}
	}
}

// staleContext reports whether err says a script went to a document that
// is gone.
func staleContext(err error) bool {
	s := err.Error()
	return strings.Contains(s, "Cannot find context with specified id") || strings.Contains(s, "Execution context was destroyed")
}

// do runs browser steps in order and fails the test at the first error.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

const adminPassword = "correct horse battery staple"

// startPlayhead runs a whole Playhead in-process on a free loopback port with
// a fresh data directory, the demo on.
func startPlayhead(t *testing.T) *app.Main {
	t.Helper()
	m := &app.Main{
		Config: app.Config{
			Addr: "127.0.0.1:0", DataDir: t.TempDir(), Demo: "true",
			AdminPassword: adminPassword, LogLevel: "warn",
		},
		Stderr: io.Discard,
	}
	if testing.Verbose() {
		m.Stderr = os.Stderr
	}
	if err := m.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(context.Background()) })
	return m
}

// login returns an HTTP client logged in to the dashboard API.
func login(t *testing.T, m *app.Main) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	resp, err := c.Post(m.URL()+"/api/v1/login", "application/json",
		strings.NewReader(`{"username":"admin","password":"`+adminPassword+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login: status %d", resp.StatusCode)
	}
	return c
}
