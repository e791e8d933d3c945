package e2e_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/playhead/playhead/app"
	"github.com/playhead/playhead/reproduce"
)

// playwrightDir is the npm package that runs exported tests (@playwright/test
// with Debian's Chromium).
const playwrightDir = "playwright"

// needPlaywright skips the test when @playwright/test is not installed
// (scripts/setup-test.sh installs it), and fails it under CI.
func needPlaywright(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(playwrightDir, "node_modules", "@playwright", "test")); err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal("e2e/playwright/node_modules is missing (run scripts/setup-test.sh); CI requires it")
	}
	t.Skip("e2e/playwright/node_modules is missing: run scripts/setup-test.sh")
}

// runPlaywright runs the test file spec with Playwright against baseURL, in
// headless Debian Chromium, with env added to its environment, and returns
// its output and whether it passed.
func runPlaywright(t *testing.T, spec []byte, baseURL string, env ...string) (string, bool) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "session.spec.ts"), spec, 0o644); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(playwrightDir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npx", "--no-install", "playwright", "test")
	cmd.Dir = abs
	cmd.Env = append(os.Environ(),
		"BASE_URL="+baseURL,
		"PLAYHEAD_TESTS="+dir,
		"PLAYHEAD_RESULTS="+filepath.Join(dir, "results"),
		"PLAYHEAD_CHROMIUM="+chromiumPath(t),
		// the exported file lives outside the package: it finds @playwright/test here
		"NODE_PATH="+filepath.Join(abs, "node_modules"),
		"PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1",
		"FORCE_COLOR=0",
	)
	cmd.Env = append(cmd.Env, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("playwright did not finish in 3 minutes:\n%s", out.String())
	}
	if _, exit := err.(*exec.ExitError); err != nil && !exit {
		t.Fatalf("run playwright: %v", err)
	}
	return out.String(), err == nil
}

// exportPlaywright returns the Playwright test exported from a session.
func exportPlaywright(t *testing.T, api *http.Client, base, id string) []byte {
	t.Helper()
	resp, err := api.Get(base + "/api/v1/sessions/" + id + "/export?format=playwright")
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("export: status %d: %s", resp.StatusCode, spec)
	}
	return spec
}

// giftCardLine is the line of the demo's app.js that throws.
func giftCardLine(t *testing.T) int {
	t.Helper()
	src, err := os.ReadFile("../demo/static/app.js")
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(src), "\n") {
		if strings.Contains(l, "= giftCard.price") {
			return i + 1
		}
	}
	t.Fatal("demo/static/app.js no longer reads giftCard.price")
	return 0
}

// TestExportedReproductionFailsLikeTheVisit records a visit to the demo shop
// in Chromium that hits the failing order and the thrown error, checks its
// steps, exports them as a Playwright test and runs it: against the demo it
// fails with the same error and the same failed request; against the demo
// with both bugs fixed (-demo=fixed) it passes.
func TestExportedReproductionFailsLikeTheVisit(t *testing.T) {
	needPlaywright(t)
	ctx := newBrowser(t)
	m := startPlayhead(t)
	base := m.URL()

	do(t, ctx, "shop",
		navigate(base+"/demo/"),
		chromedp.WaitVisible(chromedp.CSS(`.add-to-cart`)),
		chromedp.Click(chromedp.CSS(`.add-to-cart`)),
		chromedp.Click(chromedp.CSS(`#nav-checkout`)),
		chromedp.WaitVisible(chromedp.CSS(`#name`)),
	)
	for _, sel := range []string{"#name", "#email", "#password", "#card"} {
		do(t, ctx, "type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), typed[sel]))
	}
	do(t, ctx, "place the order",
		chromedp.Click(chromedp.CSS(`#place-order`)),
		chromedp.WaitVisible(chromedp.CSS(`#checkout-error`)),
		chromedp.Sleep(300*time.Millisecond),
		chromedp.Click(chromedp.CSS(`#throw-error`)),
		chromedp.Sleep(300*time.Millisecond),
	)
	id := eval[string](t, ctx, `Playhead.getSessionId()`)
	do(t, ctx, "leave", navigate("about:blank"))

	api := login(t, m)
	const thrown = "Cannot read properties of undefined (reading 'price')"
	st := sessionSteps(t, api, base, id, []string{
		"Open /demo/",
		"Click the button 'Add House Espresso to cart'",
		"Click the link 'Checkout items in cart'",
		"Land on /demo/checkout",
		"Type into 'Name' (masked in the recording)",
		"Type into 'Email' (masked in the recording)",
		"Type into 'Create a password' (masked in the recording)",
		"Type into 'Card number' (masked in the recording)",
		"Click the button 'Place order'",
		"POST /demo/api/checkout answered 500",
		"Console error: Checkout failed: payment provider unavailable",
		"Click the button 'Break something'",
		fmt.Sprintf("Uncaught TypeError: %s at app.js:%d", thrown, giftCardLine(t)),
	})

	// The player's Steps panel lists them; a step's Jump moves the play head to it.
	cookie := loginCookie(t, api, base)
	if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: cookie.Name, Value: cookie.Value, URL: base}); err != nil {
		t.Fatal(err)
	}
	errorAt := st.Steps[len(st.Steps)-1].Ts
	do(t, ctx, "open the player's Steps panel",
		navigate(fmt.Sprintf("%s/sessions/%s?steps=%d", base, id, errorAt)),
		chromedp.Poll[chromedp.Void](`window.__playhead && window.__playhead.ready`, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.WaitVisible(chromedp.CSS(`[data-panel=steps] .step-row`)),
	)
	if dir := os.Getenv("PLAYHEAD_SCREENSHOTS"); dir != "" {
		// a look at the panel, for people changing it
		time.Sleep(500 * time.Millisecond)
		if shot, err := chromedp.Call(ctx, page.CaptureScreenshot, page.CaptureScreenshotParams{Format: page.CaptureScreenshotFormatPng}); err == nil {
			os.WriteFile(filepath.Join(dir, "steps-panel.png"), shot.Data, 0o644)
		}
	}
	rows := eval[[]string](t, ctx, `[...document.querySelectorAll('[data-panel=steps] .step-row .e-msg')].map((e) => e.textContent)`)
	if len(rows) != len(st.Steps) || rows[len(rows)-1] != st.Steps[len(st.Steps)-1].Text {
		t.Errorf("the Steps panel shows %q, want the %d steps", rows, len(st.Steps))
	}
	var order reproduce.Step
	for _, s := range st.Steps {
		if s.Text == "Click the button 'Place order'" {
			order = s
		}
	}
	do(t, ctx, "jump to the order", chromedp.Click(chromedp.CSS(`[data-panel=steps] .step-row:nth-child(9) .jump`)), chromedp.Sleep(500*time.Millisecond))
	if at, want := eval[float64](t, ctx, `window.__playhead.currentTime()`), float64(order.Ts-st.Start); at < want-50 || at > want+50 {
		t.Errorf("after the Place order step's Jump the play head is at %.0f ms, want %.0f", at, want)
	}

	spec := exportPlaywright(t, api, base, id)
	for _, v := range typed {
		if bytes.Contains(spec, []byte(v)) {
			t.Errorf("the exported test holds %q, which the user typed", v)
		}
	}
	t.Logf("exported test:\n%s", spec)

	// Against the shop as it is, the test fails with what went wrong.
	out, passed := runPlaywright(t, spec, base)
	if passed {
		t.Fatalf("the exported test passed against the broken demo:\n%s", out)
	}
	for _, want := range []string{"TypeError: " + thrown, "POST /demo/api/checkout answered 500", "Checkout failed: payment provider unavailable", "1 failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("playwright's output lacks %q:\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`Received:\s+500\b`).MatchString(out) {
		t.Errorf("playwright's output does not show the status 500 it received:\n%s", out)
	}

	// Against the fixed shop, it passes.
	fixed := &app.Main{
		Config: app.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Demo: "fixed", AdminPassword: adminPassword, LogLevel: "warn"},
		Stderr: io.Discard,
	}
	if err := fixed.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer fixed.Close(context.Background())
	if out, passed := runPlaywright(t, spec, fixed.URL()); !passed || !strings.Contains(out, "1 passed") {
		t.Fatalf("the exported test failed against the fixed demo:\n%s", out)
	}
}
