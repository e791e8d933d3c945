package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/playhead/playhead/app"
	"github.com/playhead/playhead/internal/testutil"
)

// TestAssetCapture records a page whose stylesheet, font and images live on
// another origin: Playhead fetches the allowed origin's assets, keeps them by
// content hash and serves the events pointing at its own origin; a URL to a
// private address (cloud metadata) is never fetched and replays as a
// placeholder.
func TestAssetCapture(t *testing.T) {
	var mu sync.Mutex
	requested := map[string]int{}
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requested[r.URL.Path]++
		mu.Unlock()
		switch r.URL.Path {
		case "/logo.png":
			w.Header().Set("Content-Type", "image/png")
			w.Write([]byte("\x89PNG fake logo"))
		case "/site.css":
			w.Header().Set("Content-Type", "text/css")
			fmt.Fprint(w, `@font-face{font-family:Brand;src:url(fonts/brand.woff2) format("woff2")} body{font-family:Brand}`)
		case "/fonts/brand.woff2":
			w.Header().Set("Content-Type", "font/woff2")
			w.Write([]byte("wOF2 fake font"))
		case "/bg.jpg":
			w.Header().Set("Content-Type", "image/jpeg")
			w.Write([]byte("fake jpeg"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer site.Close()

	m, c := startCapturing(t, site.URL)

	metadata := "http://169.254.169.254/latest/meta-data/iam.png"
	now := time.Now().UnixMilli()
	body := fmt.Sprintf(`{"v":1,"sid":"assetsession0001","seq":0,"events":[
		{"type":4,"timestamp":%[1]d,"data":{"href":"%[2]s/","width":800,"height":600}},
		{"type":2,"timestamp":%[1]d,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":2,"id":2,"tagName":"html","attributes":{},"childNodes":[
			{"type":2,"id":3,"tagName":"link","attributes":{"rel":"stylesheet","href":"%[2]s/site.css"},"childNodes":[]},
			{"type":2,"id":4,"tagName":"img","attributes":{"src":"%[2]s/logo.png"},"childNodes":[]},
			{"type":2,"id":5,"tagName":"div","attributes":{"style":"background-image: url(%[2]s/bg.jpg)"},"childNodes":[]},
			{"type":2,"id":6,"tagName":"img","attributes":{"src":"%[3]s"},"childNodes":[]}]}]},"initialOffset":{"left":0,"top":0}}}]}`,
		now, site.URL, metadata)
	scenario{method: "POST", path: "/api/v1/ingest?k=" + m.Project.IngestKey, body: []byte(body), wantStatus: 200}.run(t, m, nil)

	for range 3 { // the stylesheet's font is found when the stylesheet is captured
		if err := m.Capturer.RunOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	_, events := testutil.Get(t, c, m.URL()+"/api/v1/sessions/assetsession0001/events")
	for _, gone := range []string{site.URL + "/logo.png", site.URL + "/site.css", site.URL + "/bg.jpg", metadata} {
		if strings.Contains(events, gone) {
			t.Errorf("served events still point at %s", gone)
		}
	}
	assetRefs := regexp.MustCompile(`/api/v1/assets/[0-9a-f]{64}\?project=\d+`).FindAllString(events, -1)
	if len(assetRefs) != 3 || !strings.Contains(events, `"src":"/api/v1/assets/placeholder"`) {
		t.Fatalf("served events: %d captured references, placeholder %v:\n%s", len(assetRefs), strings.Contains(events, "placeholder"), events)
	}
	var css string
	for _, ref := range assetRefs {
		resp, err := c.Get(m.URL() + ref)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: %d, headers %v", ref, resp.StatusCode, resp.Header)
		}
		if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
			css = string(b)
		}
	}
	if !regexp.MustCompile(`url\(["']?/api/v1/assets/[0-9a-f]{64}\?project=\d+["']?\)`).MatchString(css) || strings.Contains(css, "fonts/brand.woff2") {
		t.Errorf("served stylesheet does not point at the captured font: %s", css)
	}
	scenario{method: "GET", path: assetRefs[0], wantStatus: 401}.run(t, m, nil)
	mu.Lock()
	defer mu.Unlock()
	for _, path := range []string{"/logo.png", "/site.css", "/fonts/brand.woff2", "/bg.jpg"} {
		if requested[path] != 1 {
			t.Errorf("%s fetched %d times, want once", path, requested[path])
		}
	}
	scenario{method: "GET", path: "/api/v1/assets", login: true, wantStatus: 200,
		want: []string{`"url":"` + metadata + `","status":"refused"`, "origin not allowed: http://169.254.169.254"}}.run(t, m, c)
}

// TestAssetCaptureResolvesRelativeURLs records a page whose events reference
// assets by relative URLs (as recorders other than rrweb's snapshot leave
// them): they resolve against the recorded page's URL, are captured from the
// allowed origin, and replay from Playhead, in the batch with the page's Meta
// event and in later ones; what is not captured (a video) replays as the
// placeholder, never as a request to Playhead's own origin.
func TestAssetCaptureResolvesRelativeURLs(t *testing.T) {
	var mu sync.Mutex
	requested := map[string]int{}
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requested[r.URL.Path]++
		mu.Unlock()
		switch r.URL.Path {
		case "/img/logo.png", "/shop/bg.png":
			w.Header().Set("Content-Type", "image/png")
			w.Write([]byte("\x89PNG fake " + r.URL.Path))
		default:
			http.NotFound(w, r)
		}
	}))
	defer site.Close()
	m, c := startCapturing(t, site.URL)
	const sid = "relativeassets01"
	now := time.Now().UnixMilli()
	batches := []string{
		fmt.Sprintf(`{"v":1,"sid":%[3]q,"seq":0,"events":[
		{"type":4,"timestamp":%[1]d,"data":{"href":"%[2]s/shop/item?id=1","width":800,"height":600}},
		{"type":2,"timestamp":%[1]d,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":2,"id":2,"tagName":"html","attributes":{},"childNodes":[
			{"type":2,"id":3,"tagName":"img","attributes":{"src":"/img/logo.png"},"childNodes":[]},
			{"type":2,"id":4,"tagName":"div","attributes":{"style":"background-image: url(bg.png)"},"childNodes":[]},
			{"type":2,"id":5,"tagName":"video","attributes":{"src":"/media/x.webm"},"childNodes":[]}]}]},"initialOffset":{"left":0,"top":0}}}]}`, now, site.URL, sid),
		fmt.Sprintf(`{"v":1,"sid":%[2]q,"seq":1,"events":[
		{"type":3,"timestamp":%[1]d,"data":{"source":0,"texts":[],"removes":[],"attributes":[],"adds":[{"parentId":2,"nextId":null,"node":{"type":2,"id":6,"tagName":"img","attributes":{"src":"../img/logo.png"},"childNodes":[]}}]}}]}`, now+5000, sid),
	}
	for _, b := range batches {
		scenario{method: "POST", path: "/api/v1/ingest?k=" + m.Project.IngestKey, body: []byte(b), wantStatus: 200}.run(t, m, nil)
	}
	if err := m.Capturer.RunOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	asset := regexp.MustCompile(`"/api/v1/assets/[0-9a-f]{64}\?project=\d+"`)
	_, events := testutil.Get(t, c, m.URL()+"/api/v1/sessions/"+sid+"/events")
	for _, relative := range []string{`"/img/logo.png"`, "url(bg.png)", "/media/x.webm", `"../img/logo.png"`} {
		if strings.Contains(events, relative) {
			t.Errorf("served events still hold the relative reference %s", relative)
		}
	}
	if n := len(asset.FindAllString(events, -1)); n != 2 || !strings.Contains(events, `"src":"/api/v1/assets/placeholder"`) || !regexp.MustCompile(`url\(/api/v1/assets/[0-9a-f]{64}\?project=\d+\)`).MatchString(events) {
		t.Errorf("served events: %d captured src references, want 2, the background captured and the video a placeholder:\n%s", n, events)
	}
	// a range without the Meta event: the page comes from the timeline
	_, later := testutil.Get(t, c, m.URL()+"/api/v1/sessions/"+sid+"/events?from=1&to=1")
	if !asset.MatchString(later) {
		t.Errorf("batch 1 alone: the relative image is not served from Playhead: %s", later)
	}
	// many single-page navigations since the page loaded: the page is
	// found past the most recent navigations
	const spa = "relativeassets02"
	var pushes []string
	for i := range 20 {
		pushes = append(pushes, fmt.Sprintf(`{"type":5,"timestamp":%d,"data":{"tag":"playhead.navigation","payload":{"url":"%s/app/view%d","kind":"push"}}}`, now+100+int64(i), site.URL, i))
	}
	for _, b := range []string{
		strings.Replace(batches[0], sid, spa, 1),
		fmt.Sprintf(`{"v":1,"sid":%q,"seq":1,"events":[%s]}`, spa, strings.Join(pushes, ",")),
		strings.Replace(strings.Replace(batches[1], sid, spa, 1), `"seq":1`, `"seq":2`, 1),
	} {
		scenario{method: "POST", path: "/api/v1/ingest?k=" + m.Project.IngestKey, body: []byte(b), wantStatus: 200}.run(t, m, nil)
	}
	if err := m.Capturer.RunOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, later := testutil.Get(t, c, m.URL()+"/api/v1/sessions/"+spa+"/events?from=2&to=2"); !asset.MatchString(later) {
		t.Errorf("after 20 single-page navigations: the relative image is not served from Playhead: %s", later)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, path := range []string{"/img/logo.png", "/shop/bg.png"} {
		if requested[path] != 1 {
			t.Errorf("%s fetched %d times, want once", path, requested[path])
		}
	}
}

// TestFontFaceCapture: a web font the page added through the FontFace API
// (rrweb's Font event, recorded once, with the source the SDK made
// absolute) is captured, and both the served events and the session's
// timeline, which lists the font for replays that start at a later
// keyframe, point at Playhead's copy.
func TestFontFaceCapture(t *testing.T) {
	var mu sync.Mutex
	requested := map[string]int{}
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requested[r.URL.Path]++
		mu.Unlock()
		if r.URL.Path != "/fonts/brand.woff2" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "font/woff2")
		w.Write([]byte("wOF2 fake font"))
	}))
	defer site.Close()

	m, c := startCapturing(t, site.URL)

	now := time.Now().UnixMilli()
	keyframe := func(ts int64) string {
		return fmt.Sprintf(`{"type":4,"timestamp":%[1]d,"data":{"href":"%[2]s/","width":800,"height":600}},
			{"type":2,"timestamp":%[1]d,"data":{"node":{"type":0,"id":1,"childNodes":[]},"initialOffset":{"left":0,"top":0}}}`, ts, site.URL)
	}
	body := fmt.Sprintf(`{"v":1,"sid":"fontsession00001","seq":0,"events":[%s,
		{"type":3,"timestamp":%d,"data":{"source":10,"family":"Brand","fontSource":"url(%s/fonts/brand.woff2)","buffer":false,"descriptors":{}}},
		%s]}`, keyframe(now), now+100, site.URL, keyframe(now+3000))
	scenario{method: "POST", path: "/api/v1/ingest?k=" + m.Project.IngestKey, body: []byte(body), wantStatus: 200}.run(t, m, nil)
	if err := m.Capturer.RunOnce(t.Context()); err != nil {
		t.Fatal(err)
	}

	captured := regexp.MustCompile(`url\(/api/v1/assets/[0-9a-f]{64}\?project=\d+\)`)
	_, events := testutil.Get(t, c, m.URL()+"/api/v1/sessions/fontsession00001/events")
	if !captured.MatchString(events) || strings.Contains(events, site.URL+"/fonts") {
		t.Errorf("served events do not point at the captured font:\n%s", events)
	}
	// The whole manifest, and the one a player opens with (?for=open: the
	// fonts and page loads, said to be partial), give the same fonts.
	for _, query := range []string{"", "?for=open"} {
		var detail struct {
			Timeline []struct {
				Ts     int64
				Kind   string
				Label  string
				Detail struct {
					Type int
					Data struct {
						Source     int
						Family     string
						FontSource string
					}
				}
			}
			Batches []struct{ Seq int }
			Partial bool
		}
		_, raw := testutil.Get(t, c, m.URL()+"/api/v1/sessions/fontsession00001"+query)
		if err := json.Unmarshal([]byte(raw), &detail); err != nil {
			t.Fatal(err)
		}
		var fonts []string
		kinds := map[string]int{}
		for _, e := range detail.Timeline {
			kinds[e.Kind]++
			if e.Kind == "font" {
				d := e.Detail
				fonts = append(fonts, fmt.Sprintf("%d %s %d/%d %s %s", e.Ts-now, e.Label, d.Type, d.Data.Source, d.Data.Family, d.Data.FontSource))
			}
		}
		if len(fonts) != 1 || !captured.MatchString(fonts[0]) || !strings.HasPrefix(fonts[0], "100 Brand 3/10 Brand url(/api/v1/assets/") {
			t.Errorf("%s timeline fonts: %q, want the Font event at 100 with its source on Playhead's origin", query, fonts)
		}
		if open := query != ""; detail.Partial != open || len(detail.Batches) != 1 || kinds["navigation"] != 2 || open && len(kinds) != 2 {
			t.Errorf("%s: partial %v, %d batches, timeline kinds %v", query, detail.Partial, len(detail.Batches), kinds)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if requested["/fonts/brand.woff2"] != 1 {
		t.Errorf("font fetched %d times, want once", requested["/fonts/brand.woff2"])
	}
}

// startCapturing starts Playhead capturing assets from origin (a loopback
// test server, so private addresses are allowed) and logs in.
func startCapturing(t *testing.T, origin string) (*app.Main, *http.Client) {
	t.Helper()
	m := &app.Main{
		Config: app.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Demo: "false", AdminPassword: password, LogLevel: "error",
			AssetOrigins: origin, AssetsAllowPrivate: true},
		Stderr: io.Discard,
	}
	if err := m.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(context.Background()) })
	return m, loggedIn(t, m)
}

// TestEventsAnnouncePendingAssets: while the server is still capturing what
// a recording references, the events it serves point at the placeholder and
// say how many assets are on their way (X-Playhead-Pending-Assets), so that
// a player opened right after the visit asks again and shows each one once
// it is captured; once they are, the header is gone.
func TestEventsAnnouncePendingAssets(t *testing.T) {
	release := make(chan struct{})
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		switch r.URL.Path {
		case "/logo.png":
			w.Header().Set("Content-Type", "image/png")
			w.Write([]byte("\x89PNG fake logo"))
		case "/fonts/brand.woff2":
			w.Header().Set("Content-Type", "font/woff2")
			w.Write([]byte("wOF2 fake font"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer site.Close()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	m, c := startCapturing(t, site.URL)
	now := time.Now().UnixMilli()
	body := fmt.Sprintf(`{"v":1,"sid":"pendingassets001","seq":0,"events":[
		{"type":4,"timestamp":%[1]d,"data":{"href":"%[2]s/","width":800,"height":600}},
		{"type":2,"timestamp":%[1]d,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":2,"id":2,"tagName":"html","attributes":{},"childNodes":[
			{"type":2,"id":3,"tagName":"style","attributes":{"_cssText":"@font-face { font-family: Brand; src: url(\"%[2]s/fonts/brand.woff2\"); }"},"childNodes":[]},
			{"type":2,"id":4,"tagName":"img","attributes":{"src":"%[2]s/logo.png"},"childNodes":[]}]}]},"initialOffset":{"left":0,"top":0}}}]}`,
		now, site.URL)
	scenario{method: "POST", path: "/api/v1/ingest?k=" + m.Project.IngestKey, body: []byte(body), wantStatus: 200}.run(t, m, nil)

	get := func() (string, string) {
		t.Helper()
		resp, err := c.Get(m.URL() + "/api/v1/sessions/pendingassets001/events")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("events: %d %s", resp.StatusCode, b)
		}
		return resp.Header.Get("X-Playhead-Pending-Assets"), string(b)
	}
	// The site does not answer yet: both assets are still to be captured.
	if pending, events := get(); pending != "2" || strings.Count(events, "/api/v1/assets/placeholder") != 2 {
		t.Fatalf("before capture: X-Playhead-Pending-Assets %q, want 2; events %s", pending, events)
	}
	// and so says the player's page, which carries the first events
	if _, html, _ := page(t, m, c, "/sessions/pendingassets001"); !strings.Contains(html, `"headers":{"X-Playhead-Pending-Assets":"2"}`) {
		t.Errorf("the player's page does not say 2 assets are pending: %.2000s", html)
	}
	close(release)
	for range 2 {
		if err := m.Capturer.RunOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	pending, events := get()
	if pending != "" || strings.Contains(events, "placeholder") || len(regexp.MustCompile(`/api/v1/assets/[0-9a-f]{64}`).FindAllString(events, -1)) != 2 {
		t.Errorf("after capture: X-Playhead-Pending-Assets %q, want none; events %s", pending, events)
	}
}
