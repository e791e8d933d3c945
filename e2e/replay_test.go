package e2e_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/chunk"
)

// domShape lists the elements of a document's body (tag, id, hidden), the
// structure a replay must reproduce. Scripts are left out: a replay must not
// carry them.
const domShape = `(doc) => Array.from(doc.body.querySelectorAll('*'))
	.filter(el => !['SCRIPT', 'NOSCRIPT'].includes(el.tagName))
	.map(el => el.tagName + (el.id ? '#' + el.id : '') + (el.hidden ? '[hidden]' : ''))`

// typed are the values the test types into the demo's checkout form; none of
// them may be stored.
var typed = map[string]string{
	"#name":     "Grace Hopper",
	"#email":    "grace.hopper@navy.example",
	"#password": "cobol-rules-1959",
	"#card":     "4000056655665556",
}

type liveFacts struct {
	SessionID                 string
	Shape                     []string
	Title, CartCount, ErrText string
	OrderStart, OrderEnd      int64
	ThrowStart, ThrowEnd      int64
}

// TestRecordAndReplayDemo records a visit to the demo shop in real Chromium,
// then replays it in the dashboard's player and compares.
func TestRecordAndReplayDemo(t *testing.T) {
	ctx := newBrowser(t)
	m := startPlayhead(t)
	base := m.URL()

	// 1. A user visits the shop, adds to the cart, checks out with personal
	// data (the order fails with a 500) and hits a JS error.
	var live liveFacts
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
	live.OrderStart = eval[int64](t, ctx, `Date.now()`)
	do(t, ctx, "place order", chromedp.Click(chromedp.CSS(`#place-order`)), chromedp.WaitVisible(chromedp.CSS(`#checkout-error`)))
	live.OrderEnd = eval[int64](t, ctx, `Date.now()`)
	do(t, ctx, "pause", chromedp.Sleep(300*time.Millisecond))
	live.ThrowStart = eval[int64](t, ctx, `Date.now()`)
	do(t, ctx, "break something", chromedp.Click(chromedp.CSS(`#throw-error`)), chromedp.Sleep(300*time.Millisecond))
	live.ThrowEnd = eval[int64](t, ctx, `Date.now()`)
	live.SessionID = eval[string](t, ctx, `Playhead.getSessionId()`)
	live.Shape = eval[[]string](t, ctx, `(`+domShape+`)(document)`)
	texts := eval[map[string]string](t, ctx, pageTexts(`document`))
	live.Title, live.CartCount, live.ErrText = texts["title"], texts["cart"], texts["error"]
	// Leaving the page flushes what the SDK still holds.
	do(t, ctx, "leave", navigate("about:blank"))
	if live.SessionID == "" || live.ErrText == "" {
		t.Fatalf("live facts incomplete: %+v", live)
	}

	// 2. The session is indexed with what happened.
	api := login(t, m)
	var detail struct {
		Session  playhead.Session
		Batches  []playhead.BatchRef
		Timeline []playhead.TimelineEntry
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		getJSON(t, api, base+"/api/v1/sessions/"+live.SessionID, &detail)
		if detail.Session.Errors >= 1 && detail.Session.FailedRequests >= 1 && detail.Session.EndedAt >= live.ThrowStart {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("session not complete after 20 s: %+v", detail.Session)
		}
		time.Sleep(250 * time.Millisecond)
	}
	s := detail.Session
	if s.Clicks < 3 || len(s.Pages) != 2 || !strings.HasSuffix(s.Pages[1], "/demo/checkout") || !strings.Contains(s.UserAgent, "Chrome") {
		t.Errorf("session summary = %+v", s)
	}
	var sawError, sawRequest, sawConsole bool
	for _, e := range detail.Timeline {
		switch {
		case e.Kind == playhead.KindError && strings.Contains(e.Label, "Cannot read properties of undefined"):
			sawError = true
			if e.Ts < live.ThrowStart || e.Ts > live.ThrowEnd {
				t.Errorf("error at %d, want within the click %d..%d", e.Ts, live.ThrowStart, live.ThrowEnd)
			}
		case e.Kind == playhead.KindRequest && e.Level == "error" && strings.Contains(e.Label, "/demo/api/checkout"):
			sawRequest = true
			if e.Ts < live.OrderStart || e.Ts > live.OrderEnd {
				t.Errorf("failed request at %d, want within the order %d..%d", e.Ts, live.OrderStart, live.OrderEnd)
			}
		case e.Kind == playhead.KindConsole && e.Level == "error":
			sawConsole = true
		}
	}
	if !sawError || !sawRequest || !sawConsole {
		t.Errorf("timeline lacks the error (%v), the failed request (%v) or the console error (%v): %+v", sawError, sawRequest, sawConsole, detail.Timeline)
	}

	// 3. Nothing typed reached storage.
	assertNotStored(t, m.Config.DataDir, typed)

	// 4. The player replays the session: at the end, the replayed DOM is the
	// live one, with the typed values masked, and its panels list the error
	// and the failed request. Its console stays empty.
	cookie := loginCookie(t, api, base)
	if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: cookie.Name, Value: cookie.Value, URL: base}); err != nil {
		t.Fatal(err)
	}
	errs := watchConsole(t, ctx)
	do(t, ctx, "open the player",
		navigate(fmt.Sprintf("%s/sessions/%s", base, live.SessionID)),
		chromedp.Poll[chromedp.Void](`window.__playhead && window.__playhead.ready`, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`window.__playhead.seek(%d)`, s.DurationMs), chromedp.EvalAwaitPromise),
		chromedp.Sleep(time.Second),
	)
	const frameDoc = `document.querySelector('iframe').contentDocument`
	var replay struct {
		Shape     []string
		Texts     map[string]string
		Values    map[string]string
		Sandbox   string
		PanelText string
	}
	replay.Sandbox = eval[string](t, ctx, `document.querySelector('iframe').getAttribute('sandbox')`)
	replay.Shape = eval[[]string](t, ctx, `(`+domShape+`)(`+frameDoc+`)`)
	replay.Texts = eval[map[string]string](t, ctx, pageTexts(frameDoc))
	replay.Values = eval[map[string]string](t, ctx, `(() => { const d = `+frameDoc+`;
		return Object.fromEntries(['name', 'email', 'password', 'card'].map(id => ['#' + id, (d.getElementById(id) || {}).value || '']));
	})()`)
	replay.PanelText = eval[string](t, ctx, `document.body.textContent`)

	if strings.Contains(replay.Sandbox, "allow-scripts") {
		t.Errorf("replay iframe sandbox = %q, must not allow scripts", replay.Sandbox)
	}
	if strings.Join(replay.Shape, " ") != strings.Join(live.Shape, " ") {
		t.Errorf("replayed DOM differs from the live one:\nlive:   %v\nreplay: %v", live.Shape, replay.Shape)
	}
	if replay.Texts["title"] != live.Title || replay.Texts["cart"] != live.CartCount || replay.Texts["error"] != live.ErrText {
		t.Errorf("replayed texts %v differ from live (title %q, cart %q, error %q)", replay.Texts, live.Title, live.CartCount, live.ErrText)
	}
	for sel, value := range typed {
		got := replay.Values[sel]
		if got == value || got == "" || strings.Trim(got, "*") != "" {
			t.Errorf("replayed %s = %q, want it masked with '*'", sel, got)
		}
	}
	for _, want := range []string{"Cannot read properties of undefined", "/demo/api/checkout", "500"} {
		if !strings.Contains(replay.PanelText, want) {
			t.Errorf("player panels do not show %q", want)
		}
	}
	if e := errs.take(); len(e) > 0 {
		t.Errorf("opening the session logged errors in the player's console: %q", e)
	}
}

// pageTexts returns an expression reading the demo's title, cart count and
// error message from a document.
func pageTexts(doc string) string {
	return `(() => { const d = ` + doc + `;
		const text = id => ((d.getElementById(id) || {}).textContent || '').trim();
		return {title: text('checkout-title'), cart: text('cart-count'), error: text('checkout-error')};
	})()`
}

func getJSON(t *testing.T, c *http.Client, u string, v any) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return // not indexed yet
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", u, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

func loginCookie(t *testing.T, c *http.Client, base string) *http.Cookie {
	t.Helper()
	u, _ := url.Parse(base)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "playhead_login" {
			return ck
		}
	}
	t.Fatal("no login cookie")
	return nil
}

// assertNotStored decodes every stored chunk and fails if any value appears
// in it, or in any other file of the data directory.
func assertNotStored(t *testing.T, dataDir string, values map[string]string) {
	t.Helper()
	filepath.WalkDir(dataDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if events, err := chunk.Decode(data); err == nil {
			data = []byte(fmt.Sprintf("%s", events))
		}
		for sel, v := range values {
			if strings.Contains(string(data), v) {
				t.Errorf("the value typed into %s (%q) is stored in %s", sel, v, path)
			}
		}
		return nil
	})
}
