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
