package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestMappedErrorsAndSharedReplay: the player's Errors panel shows an
// error of a release with source maps at its original file, line and
// source; a share link opens the replay for someone signed out, and the
// shared page can reach nothing else.
func TestMappedErrorsAndSharedReplay(t *testing.T) {
	ctx := newBrowser(t)
	m := startPlayhead(t)
	base := m.URL()
	api := login(t, m)

	smap, err := os.ReadFile("../sourcemaps/testdata/shop.min.js.map")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := api.Post(base+"/api/v1/sourcemaps?release=shop@5.0.0&name=static/shop.min.js", "application/json", bytes.NewReader(smap))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("upload: %d", resp.StatusCode)
	}
	const sid = "mappederrorsession"
	now := time.Now().UnixMilli()
	stack := `TypeError: Cannot read properties of undefined (reading 'items')\n    at t (https://shop.example/static/shop.min.js:1:30)\n    at d (https://shop.example/static/shop.min.js:1:84)`
	body := fmt.Sprintf(`{"v":1,"sid":%q,"seq":0,"release":"shop@5.0.0","events":[%s,%s,%s]}`, sid, keyframe(now),
		boxText(now+500, "order failed"),
		fmt.Sprintf(`{"type":5,"timestamp":%d,"data":{"tag":"playhead.error","payload":{"kind":"error","message":"TypeError: Cannot read properties of undefined (reading 'items')","stack":"%s"}}}`, now+600, stack))
	resp, err = http.Post(base+"/api/v1/ingest?k="+m.Project.IngestKey, "text/plain", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("ingest: %d", resp.StatusCode)
	}

	setLoginCookie(t, ctx, m)
	do(t, ctx, "open the player",
		navigate(base+"/sessions/"+sid),
		chromedp.Poll[chromedp.Void](`window.__playhead && window.__playhead.ready`, chromedp.WithPollingTimeout(30*time.Second)),
	)
	panels := eval[string](t, ctx, `document.querySelector('.side').textContent`)
	for _, want := range []string{"shop.ts:9:16", "return order.items.reduce", "shop.ts:13:"} {
		if !strings.Contains(panels, want) {
			t.Errorf("the panels do not show %q: %.600s", want, panels)
		}
	}

	// A share link, opened signed out.
	resp, err = api.Post(base+"/api/v1/sessions/"+sid+"/shares", "application/json", strings.NewReader(fmt.Sprintf(`{"expiresInHours":1,"startAt":%d}`, now+550)))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var share struct{ URL string }
	if json.Unmarshal(data, &share); resp.StatusCode != 201 || share.URL == "" {
		t.Fatalf("share: %d %s", resp.StatusCode, data)
	}
	// Someone else's browser: no cookie, no history.
	ctx = newBrowser(t)
	nav, cancel := context.WithTimeout(ctx, 20*time.Second)
	err = chromedp.Do(nav, navigate(share.URL))
	cancel()
	if err != nil {
		t.Logf("navigation to the shared replay did not report its end (%v); going on", err)
	}
	do(t, ctx, "play the shared replay",
		chromedp.Poll[chromedp.Void](`window.__playheadExport && window.__playheadExport.ready`, chromedp.WithPollingTimeout(20*time.Second)),
		chromedp.Sleep(500*time.Millisecond),
	)
	if text := eval[string](t, ctx, `document.querySelector('.px-frame iframe').contentDocument.body.textContent`); !strings.Contains(text, "order failed") {
		t.Errorf("the shared replay, opened at its moment, shows %q", text)
	}
	if at := eval[string](t, ctx, `document.querySelector('.px-time').textContent`); !strings.HasPrefix(at, "0:00") {
		t.Errorf("the shared replay opened at %q", at)
	}
	// The page itself can reach nothing: not the API, with or without
	// the token.
	got := evalAwait[string](t, ctx, `(async () => { try { await fetch('/api/v1/sessions'); return 'reached'; } catch (e) { return 'blocked'; } })()`)
	if got != "blocked" {
		t.Errorf("a fetch from the shared page was %s", got)
	}
}
