package testservers

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Chromium returns the browser the tests drive: PLAYHEAD_CHROMIUM, or
// Debian's /usr/bin/chromium. Without one the test skips, unless CI is
// set, where a missing browser is a failure.
func Chromium(t testing.TB) string {
	t.Helper()
	for _, p := range []string{os.Getenv("PLAYHEAD_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no Chromium found (set PLAYHEAD_CHROMIUM or install Debian's chromium); CI requires it")
	}
	t.Skip("no Chromium found: install Debian's chromium or set PLAYHEAD_CHROMIUM")
	return ""
}

// Browser starts a headless Chromium (see Chromium), stopped when the test
// ends, and returns a tab's context, which gives up after 3 minutes.
func Browser(t testing.TB) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(Chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}
