package e2e_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// node builds rrweb's serialized DOM nodes for hand-made recordings.
type nodeBuilder struct{ next int }

func (b *nodeBuilder) el(tag string, attrs map[string]any, children ...map[string]any) map[string]any {
	b.next++
	if attrs == nil {
		attrs = map[string]any{}
	}
	if children == nil {
		children = []map[string]any{}
	}
	n := map[string]any{"type": 2, "id": b.next, "tagName": tag, "attributes": attrs, "childNodes": children}
	if tag == "svg" || tag == "image" || tag == "use" {
		n["isSVG"] = true
	}
	return n
}

func (b *nodeBuilder) text(s string) map[string]any {
	b.next++
	return map[string]any{"type": 3, "id": b.next, "textContent": s}
}

// TestReplayRunsNothingAndCallsNoOneElse replays a hostile recording (a
// recording is untrusted input: any client can send any events): scripts,
// event handlers, javascript: and data: URLs, srcdoc, SVG scripts, a meta
// refresh, a base href, a form action and images and styles on another
// origin. Nothing may run (a canary the payloads would set stays unset), the
// player must not navigate, and no request may leave for the other origin.
func TestReplayRunsNothingAndCallsNoOneElse(t *testing.T) {
	ctx := newBrowser(t)
	m := startPlayhead(t)
	var mu sync.Mutex
	var evilHits []string
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		evilHits = append(evilHits, r.Method+" "+r.URL.String())
		mu.Unlock()
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<script>top.__xss = 'navigated'</script>`)
	}))
	defer evil.Close()
	e := evil.URL
	canary := `top.__xss='ran';try{top.document.title='pwned'}catch(e){};fetch('` + e + `/ran')`

	b := &nodeBuilder{}
	body := b.el("body", nil,
		b.el("h1", map[string]any{"id": "title"}, b.text("Hostile page")),
		b.el("script", nil, b.text(canary)),
		b.el("script", map[string]any{"src": e + "/evil.js"}),
		b.el("img", map[string]any{"src": "x", "onerror": canary}),
		b.el("img", map[string]any{"src": e + "/tracking.png"}),
		b.el("div", map[string]any{"style": "width:10px;height:10px;background:url(" + e + "/bg.png)", "onmouseover": canary}),
		b.el("a", map[string]any{"id": "jslink", "href": "javascript:" + canary}, b.text("click")),
		b.el("iframe", map[string]any{"srcdoc": "<script>" + canary + "</script>"}),
		b.el("iframe", map[string]any{"src": "javascript:" + canary}),
		b.el("iframe", map[string]any{"src": e + "/frame"}),
		b.el("object", map[string]any{"data": e + "/object"}),
		b.el("embed", map[string]any{"src": e + "/embed"}),
		b.el("svg", map[string]any{"onload": canary},
			b.el("script", nil, b.text(canary)),
			b.el("image", map[string]any{"href": e + "/svg-image.png"})),
		b.el("form", map[string]any{"id": "form", "action": e + "/steal", "method": "post"},
			b.el("input", map[string]any{"name": "q", "autofocus": "", "onfocus": canary})),
		b.el("details", map[string]any{"open": "", "ontoggle": canary}, b.text("x")),
		b.el("video", map[string]any{"src": e + "/video.mp4", "autoplay": ""}),
		b.el("link", map[string]any{"rel": "prefetch", "href": e + "/prefetch"}),
	)
	head := b.el("head", nil,
		b.el("base", map[string]any{"href": e + "/"}),
		b.el("meta", map[string]any{"http-equiv": "refresh", "content": "0;url=" + e + "/refresh"}),
		b.el("link", map[string]any{"rel": "stylesheet", "href": e + "/style.css"}),
		b.el("style", nil, map[string]any{"type": 3, "id": 9000, "textContent": "@import url(" + e + "/import.css); h1{background:url(" + e + "/h1.png)}", "isStyle": true}),
	)
	html := b.el("html", nil, head, body)
	doc := map[string]any{"type": 0, "id": 9999, "childNodes": []any{map[string]any{"type": 1, "id": 9998, "name": "html", "publicId": "", "systemId": ""}, html}}
	now := time.Now().UnixMilli()
	events := []any{
		map[string]any{"type": 4, "timestamp": now, "data": map[string]any{"href": e + "/page?x=1", "width": 1000, "height": 700}},
		map[string]any{"type": 2, "timestamp": now + 1, "data": map[string]any{"node": doc, "initialOffset": map[string]any{"left": 0, "top": 0}}},
		// A mutation adding another script and handler later on.
		map[string]any{"type": 3, "timestamp": now + 2000, "data": map[string]any{"source": 0, "texts": []any{}, "attributes": []any{}, "removes": []any{},
			"adds": []any{map[string]any{"parentId": 2, "nextId": nil, "node": b.el("img", map[string]any{"src": "y", "onerror": canary})}}}},
		map[string]any{"type": 3, "timestamp": now + 3000, "data": map[string]any{"source": 1, "positions": []any{map[string]any{"x": 5, "y": 5, "id": 2, "timeOffset": 0}}}},
	}
	batch, _ := json.Marshal(map[string]any{"v": 1, "sid": "hostilesession01", "seq": 0, "events": events})
	resp, err := http.Post(m.URL()+"/api/v1/ingest?k="+m.Project.IngestKey, "text/plain", strings.NewReader(string(batch)))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		msg, _ := io.ReadAll(resp.Body)
		t.Fatalf("ingest the hostile recording: %s %s", resp.Status, msg)
	}
	resp.Body.Close()

	api := login(t, m)
	cookie := loginCookie(t, api, m.URL())
	if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: cookie.Name, Value: cookie.Value, URL: m.URL()}); err != nil {
		t.Fatal(err)
	}
	player := fmt.Sprintf("%s/sessions/hostilesession01", m.URL())
	do(t, ctx, "replay the hostile recording",
		navigate(player),
		chromedp.Poll[chromedp.Void](`window.__playhead && window.__playhead.ready`, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Evaluate[chromedp.Void](`window.__playhead.seek(2500)`),
		chromedp.Sleep(time.Second),
	)
	// Poke the replayed page the way a user would: focus, click, hover.
	eval[bool](t, ctx, `(() => { const d = document.querySelector('iframe').contentDocument;
		for (const el of d.querySelectorAll('a, input, details, div, img')) {
			try { el.click(); el.focus(); el.dispatchEvent(new MouseEvent('mouseover', {bubbles: true})); } catch (e) {}
		}
		try { d.getElementById('form').submit(); } catch (e) {}
		return true; })()`)
	do(t, ctx, "wait", chromedp.Sleep(1500*time.Millisecond))

	if got := eval[string](t, ctx, `String(window.__xss)`); got != "undefined" {
		t.Errorf("a recorded payload ran in the player: __xss = %s", got)
	}
	if got := eval[string](t, ctx, `document.title`); got == "pwned" {
		t.Error("a recorded payload changed the player's title")
	}
	if got := eval[string](t, ctx, `location.origin + location.pathname`); got != player {
		t.Errorf("the player navigated to %s", got)
	}
	sandbox := eval[string](t, ctx, `document.querySelector('iframe').getAttribute('sandbox') || ''`)
	if strings.Contains(sandbox, "allow-scripts") || !strings.Contains(sandbox, "allow-same-origin") {
		t.Errorf("replay iframe sandbox = %q", sandbox)
	}
	if got := eval[string](t, ctx, `document.querySelector('iframe').contentDocument.getElementById('title').textContent`); got != "Hostile page" {
		t.Errorf("the hostile page did not replay: title %q", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(evilHits) > 0 {
		t.Errorf("the replay made requests to the recorded site's origin: %v", evilHits)
	}
}
