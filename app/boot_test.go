package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/playhead/playhead/app"
	"github.com/playhead/playhead/web"
)

// get fetches path with c and fails the test unless it answers 200.
func get(t *testing.T, m *app.Main, c *http.Client, path string) (*http.Response, []byte) {
	t.Helper()
	resp, err := c.Get(m.URL() + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	return resp, body
}

// page fetches a dashboard page with c and returns it with its boot answers
// (nil when it carries none).
func page(t *testing.T, m *app.Main, c *http.Client, path string) (*http.Response, string, map[string]json.RawMessage) {
	t.Helper()
	resp, body := get(t, m, c, path)
	const open = `<script type="application/json" id="playhead-boot">`
	i := bytes.Index(body, []byte(open))
	if i < 0 {
		return resp, string(body), nil
	}
	rest := body[i+len(open):]
	j := bytes.Index(rest, []byte("</script>"))
	if j < 0 {
		t.Fatalf("GET %s: the boot element is not closed", path)
	}
	data := rest[:j]
	if k := bytes.IndexByte(data, '<'); k >= 0 {
		t.Fatalf("GET %s: the boot answers hold a raw '<' (at %d), which could end their element", path, k)
	}
	var boot struct {
		Answers map[string]struct {
			Body    json.RawMessage   `json:"body"`
			Headers map[string]string `json:"headers"`
		} `json:"answers"`
	}
	if err := json.Unmarshal(data, &boot); err != nil {
		t.Fatalf("GET %s: boot answers: %v", path, err)
	}
	out := map[string]json.RawMessage{}
	for u, a := range boot.Answers {
		out[u] = a.Body
	}
	return resp, string(body), out
}

// getJSON fetches an API URL with c and returns its answer decoded.
func getJSON(t *testing.T, m *app.Main, c *http.Client, path string) any {
	t.Helper()
	_, body := get(t, m, c, path)
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return v
}

func TestDashboardPageCarriesFirstAnswers(t *testing.T) {
	m := start(t)
	c := loggedIn(t, m)
	sid := "bootpagesession01"
	now := time.Now().UnixMilli()
	// a text that would end a script element if it were written as is
	evil := `</script><script>alert(1)</script><!--`
	body := fmt.Sprintf(`{"v":1,"sid":%q,"seq":0,"events":[`+
		`{"type":4,"timestamp":%d,"data":{"href":"http://shop.example/","width":1280,"height":800}},`+
		`{"type":2,"timestamp":%d,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":2,"id":2,"tagName":"html","attributes":{},"childNodes":[`+
		`{"type":2,"id":3,"tagName":"body","attributes":{},"childNodes":[{"type":3,"id":4,"textContent":%q}]}]}]},"initialOffset":{"left":0,"top":0}}}]}`,
		sid, now, now+1, evil)
	scenario{method: "POST", path: "/api/v1/ingest?k=" + m.Project.IngestKey, body: []byte(body), wantStatus: 200}.run(t, m, nil)
	project := fmt.Sprint(m.Project.ID)

	// a player page: who is logged in, the manifest for opening, the first events
	resp, html, answers := page(t, m, c, "/sessions/"+sid+"?project="+project)
	if got := resp.Header.Get("Cache-Control"); !strings.Contains(got, "no-store") {
		t.Errorf("a page with answers: Cache-Control %q, want no-store", got)
	}
	if !strings.Contains(html, `<link rel="preload" href="/assets/player.js" as="script">`) {
		t.Error("a player page does not preload the player's script")
	}
	if strings.Count(html, "</script>") != 2 { // the app's script and the answers
		t.Errorf("the page holds %d </script>, want 2: the recorded text ended an element", strings.Count(html, "</script>"))
	}
	want := []string{
		"/api/v1/me?project=" + project,
		"/api/v1/sessions/" + sid + "?for=open&project=" + project,
		"/api/v1/sessions/" + sid + "/events?from=0&to=0&project=" + project,
	}
	for _, u := range want {
		a, ok := answers[u]
		if !ok {
			t.Errorf("no answer for %s; have %v", u, keys(answers))
			continue
		}
		var got any
		if err := json.Unmarshal(a, &got); err != nil {
			t.Fatal(err)
		}
		direct := getJSON(t, m, c, u)
		g, _ := json.Marshal(got)
		d, _ := json.Marshal(direct)
		if u != want[0] && !bytes.Equal(g, d) { // who is logged in: its idle deadline moves
			t.Errorf("%s: the page's answer differs from the API's:\n%s\n%s", u, g, d)
		}
	}
	if a := answers[want[2]]; !bytes.Contains(a, []byte(`\u003c/script\u003e`)) {
		t.Errorf("the first events do not hold the recorded text, escaped: %.300s", a)
	}

	// a later moment: no first batch; a link to an error: the whole manifest
	_, _, answers = page(t, m, c, "/sessions/"+sid+"?project="+project+"&t=5000")
	if _, ok := answers["/api/v1/sessions/"+sid+"/events?from=0&to=0&project="+project]; ok {
		t.Error("a page opening later carries the first batch")
	}
	_, _, answers = page(t, m, c, "/sessions/"+sid+"?project="+project+"&error=1")
	if _, ok := answers["/api/v1/sessions/"+sid+"?project="+project]; !ok {
		t.Errorf("a link to an error: no whole manifest; have %v", keys(answers))
	}

	// without ?project= the URLs name none (the page uses them only when it has chosen none)
	_, _, answers = page(t, m, c, "/sessions/"+sid)
	if _, ok := answers["/api/v1/sessions/"+sid+"?for=open"]; !ok {
		t.Errorf("no ?project=: have %v", keys(answers))
	}

	// a session that does not exist: no answer for it, and the page still loads
	_, _, answers = page(t, m, c, "/sessions/nosuchsession01?project="+project)
	if _, ok := answers["/api/v1/me?project="+project]; !ok || len(answers) != 1 {
		t.Errorf("a missing session: answers %v, want who is logged in only", keys(answers))
	}

	// the sessions list: who is logged in
	_, _, answers = page(t, m, c, "/")
	if _, ok := answers["/api/v1/me"]; !ok || len(answers) != 1 {
		t.Errorf("the sessions list: answers %v, want /api/v1/me only", keys(answers))
	}

	// not logged in, from Playhead's own pages or typed in: no answers, the
	// page says so (the dashboard then shows its login form without asking,
	// which would log a 401 in its console), and no cache keeps it (the page
	// after signing in has the same URL); from another site the login
	// cookie (SameSite=Strict) is not sent: the page says nothing, and the
	// dashboard asks
	const noLogin = `"login":false`
	bare := func(path, site string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", m.URL()+path, nil)
		if site != "" {
			req.Header.Set("Sec-Fetch-Site", site)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		return resp, string(b)
	}
	for _, site := range []string{"same-origin", "none"} {
		for _, path := range []string{"/sessions/" + sid + "?project=" + project, "/login", "/"} {
			resp, html := bare(path, site)
			if !strings.Contains(html, `{"answers":{},"login":false}`) || resp.Header.Get("Cache-Control") != "private, no-store" {
				t.Errorf("logged out, %s, %s: says no one is logged in %v, Cache-Control %q", site, path, strings.Contains(html, noLogin), resp.Header.Get("Cache-Control"))
			}
		}
	}
	for _, site := range []string{"cross-site", ""} {
		resp, html := bare("/sessions/"+sid+"?project="+project, site)
		if strings.Contains(html, "playhead-boot") || strings.Contains(resp.Header.Get("Cache-Control"), "no-store") {
			t.Errorf("logged out, Sec-Fetch-Site %q: the page carries %q, Cache-Control %q", site, html, resp.Header.Get("Cache-Control"))
		}
	}
	// a login cookie no longer valid (it was sent, and the answers were 401): the page says so
	req, _ := http.NewRequest("GET", m.URL()+"/sessions/"+sid, nil)
	req.AddCookie(&http.Cookie{Name: "playhead_login", Value: "not-a-login"})
	stale, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	staleHTML, _ := io.ReadAll(stale.Body)
	stale.Body.Close()
	if stale.StatusCode != 200 || !strings.Contains(string(staleHTML), noLogin) || strings.Contains(string(staleHTML), `"/api/v1/me"`) || stale.Header.Get("Cache-Control") != "private, no-store" {
		t.Errorf("a stale login cookie: status %d, page %s", stale.StatusCode, staleHTML)
	}
	// the login page with a stale cookie says so too (the login form, no 401)
	req, _ = http.NewRequest("GET", m.URL()+"/login?next=/reports", nil)
	req.AddCookie(&http.Cookie{Name: "playhead_login", Value: "not-a-login"})
	stale, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	staleHTML, _ = io.ReadAll(stale.Body)
	stale.Body.Close()
	if stale.StatusCode != 200 || !strings.Contains(string(staleHTML), noLogin) {
		t.Errorf("the login page with a stale login cookie: status %d, page %s", stale.StatusCode, staleHTML)
	}
	// logged in, on the login page: who is logged in (the dashboard then leaves it for ?next=)
	if _, html, answers = page(t, m, c, "/login"); !slices.Equal(keys(answers), []string{"/api/v1/me"}) || strings.Contains(html, noLogin) {
		t.Errorf("the login page, logged in, carries answers %v, want /api/v1/me alone", keys(answers))
	}
}

func keys(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestStaticFilesCompressedOnceAndRevalidated(t *testing.T) {
	m := start(t)
	want, err := fs.ReadFile(web.Dist(), "assets/player.js")
	if err != nil {
		t.Fatal(err)
	}
	// the default transport would ask for gzip itself and hide the encoding
	c := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	fetch := func(path, accept, etag string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", m.URL()+path, nil)
		if accept != "" {
			req.Header.Set("Accept-Encoding", accept)
		}
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	etags := map[string]bool{}
	for _, tt := range []struct{ accept, coding string }{
		{"gzip, deflate, br, zstd", "zstd"},
		{"gzip", "gzip"},
		{"zstd;q=0, gzip;q=0.5", "gzip"},
		{"", ""},
		{"br", ""},
	} {
		resp, body := fetch("/assets/player.js", tt.accept, "")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != tt.coding {
			t.Fatalf("Accept-Encoding %q: %d, Content-Encoding %q, want %q", tt.accept, resp.StatusCode, resp.Header.Get("Content-Encoding"), tt.coding)
		}
		var plain []byte
		switch tt.coding {
		case "zstd":
			d, _ := zstd.NewReader(nil)
			plain, err = d.DecodeAll(body, nil)
			d.Close()
		case "gzip":
			var zr *gzip.Reader
			if zr, err = gzip.NewReader(bytes.NewReader(body)); err == nil {
				plain, err = io.ReadAll(zr)
			}
		default:
			plain = body
		}
		if err != nil || !bytes.Equal(plain, want) {
			t.Fatalf("Accept-Encoding %q: the body is not assets/player.js (%v)", tt.accept, err)
		}
		if tt.coding != "" && len(body) > len(want)/2 {
			t.Errorf("%s: %d bytes of %d: not compressed well", tt.coding, len(body), len(want))
		}
		etag := resp.Header.Get("ETag")
		etags[etag] = true
		if etag == "" || !strings.Contains(resp.Header.Get("Cache-Control"), "no-cache") || !strings.Contains(resp.Header.Get("Content-Type"), "javascript") {
			t.Errorf("Accept-Encoding %q: ETag %q, Cache-Control %q, Content-Type %q", tt.accept, etag, resp.Header.Get("Cache-Control"), resp.Header.Get("Content-Type"))
		}
		// asked again with its validator: not modified, no body
		if resp, body := fetch("/assets/player.js", tt.accept, etag); resp.StatusCode != 304 || len(body) != 0 {
			t.Errorf("Accept-Encoding %q, If-None-Match %s: %d with %d bytes, want 304 and none", tt.accept, etag, resp.StatusCode, len(body))
		}
	}
	if len(etags) != 3 {
		t.Errorf("%d validators for 3 forms of the file: %v", len(etags), etags)
	}
	// The first request for a coding got it compressed at a fast level; the
	// best level takes its place in the background, under the same (weak)
	// validator.
	first, firstBody := fetch("/assets/app.js", "zstd", "")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, body := fetch("/assets/app.js", "zstd", "")
		if len(body) < len(firstBody) {
			if resp.Header.Get("ETag") != first.Header.Get("ETag") || !strings.HasPrefix(first.Header.Get("ETag"), "W/") {
				t.Errorf("app.js, fast then best: validators %q then %q, want one weak validator", first.Header.Get("ETag"), resp.Header.Get("ETag"))
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("app.js is still sent in its first compression (%d bytes) after 10 s", len(firstBody))
		}
	}
	if resp, _ := fetch("/assets/app.js", "zstd", first.Header.Get("ETag")); resp.StatusCode != 304 {
		t.Errorf("app.js revalidated with the validator of its first compression: %d, want 304", resp.StatusCode)
	}
	// the file changed (another validator): sent again
	if resp, _ := fetch("/assets/player.js", "gzip", `"0123456789abcdef01234567-gzip"`); resp.StatusCode != 200 {
		t.Errorf("a stale validator: %d, want 200", resp.StatusCode)
	}
	for _, p := range []string{"/assets/", "/assets/nope.js", "/assets/%2e%2e/index.html"} {
		if resp, _ := fetch(p, "gzip", ""); resp.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404", p, resp.StatusCode)
		}
	}
	// the SDK, for any page
	resp, body := fetch("/sdk.js", "gzip, zstd", "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "zstd" || resp.Header.Get("Access-Control-Allow-Origin") != "*" || len(body) == 0 {
		t.Errorf("/sdk.js: %d, Content-Encoding %q, Access-Control-Allow-Origin %q", resp.StatusCode, resp.Header.Get("Content-Encoding"), resp.Header.Get("Access-Control-Allow-Origin"))
	}
	if resp, _ := fetch("/sdk.js", "gzip, zstd", resp.Header.Get("ETag")); resp.StatusCode != 304 {
		t.Errorf("/sdk.js revalidated: %d, want 304", resp.StatusCode)
	}
}

// TestDashboardPaths: every path the dashboard's router knows serves its
// page (web/src/main.ts), the lists and a session's player with a trailing
// slash too; the routes around them keep their answers.
func TestDashboardPaths(t *testing.T) {
	m := start(t)
	c := loggedIn(t, m)
	for _, path := range []string{"/", "/sessions", "/sessions/", "/sessions/abcdefgh12345678", "/sessions/abcdefgh12345678/",
		"/reports", "/reports/", "/settings/", "/audit/", "/account", "/login", "/invite"} {
		_, body := get(t, m, c, path)
		if !bytes.Contains(body, []byte(`<script src="/assets/app.js"`)) {
			t.Errorf("GET %s: not the dashboard's page: %.200s", path, body)
		}
	}
	noRedirect := *c
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/no/such/page", http.StatusNotFound},
		{"GET", "/reports/extra", http.StatusNotFound},
		{"POST", "/no/such/page", http.StatusNotFound},
		{"POST", "/reports", http.StatusMethodNotAllowed},
		{"POST", "/sessions/abcdefgh12345678/", http.StatusMethodNotAllowed},
		{"POST", "/healthz", http.StatusMethodNotAllowed},
		{"GET", "/healthz", http.StatusOK},
	} {
		req, _ := http.NewRequest(tc.method, m.URL()+tc.path, nil)
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.status)
		}
	}
	// a subtree's root without its slash is sent on to it
	resp, err := noRedirect.Get(m.URL() + "/assets")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 3 || resp.Header.Get("Location") != "/assets/" {
		t.Errorf("GET /assets: %d to %q, want a redirect to /assets/", resp.StatusCode, resp.Header.Get("Location"))
	}
}
