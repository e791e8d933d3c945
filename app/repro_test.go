package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/app"
)

// do sends a request with a client and returns the status and body.
func do(t *testing.T, c *http.Client, method, u, contentType string, body []byte) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data, resp.Header
}

// recordedSession ingests a small session whose page text holds markup and
// an e-mail address, and returns its ID.
func recordedSession(t *testing.T, m *app.Main, sid string, now int64) {
	t.Helper()
	body := fmt.Appendf(nil, `{"v":1,"sid":%q,"seq":0,"release":"shop@1.0.0","events":[`+
		`{"type":4,"timestamp":%d,"data":{"href":"http://shop.example/cart","width":1024,"height":700}},`+
		`{"type":2,"timestamp":%d,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":2,"tagName":"html","attributes":{},"id":2,"childNodes":[`+
		`{"type":2,"tagName":"body","attributes":{},"id":3,"childNodes":[{"type":3,"textContent":"</script><script>alert(1)</script> mail grace@navy.example","id":4}]}]}]},"initialOffset":{"left":0,"top":0}}},`+
		`{"type":3,"timestamp":%d,"data":{"source":2,"type":2,"id":3,"x":5,"y":5}},`+
		`{"type":5,"timestamp":%d,"data":{"tag":"playhead.error","payload":{"kind":"error","message":"boom"}}}]}`, sid, now, now+1, now+500, now+900)
	scenario{method: "POST", path: "/api/v1/ingest?k=" + m.Project.IngestKey, body: body, wantStatus: 200}.run(t, m, nil)
}

func TestExportAndImport(t *testing.T) {
	m := start(t)
	c := loggedIn(t, m)
	now := time.Now().UnixMilli()
	const sid = "exportsession0001"
	recordedSession(t, m, sid, now)

	// rrweb: the stored events, scrubbed, as a JSON array.
	status, rrweb, h := do(t, c, "GET", m.URL()+"/api/v1/sessions/"+sid+"/export?format=rrweb", "", nil)
	if status != 200 || !strings.Contains(h.Get("Content-Disposition"), "playhead-"+sid+".json") {
		t.Fatalf("rrweb export: %d %s", status, rrweb)
	}
	var events []map[string]any
	if err := json.Unmarshal(rrweb, &events); err != nil || len(events) != 4 {
		t.Fatalf("rrweb export is not the 4 events: %v, %.200s", err, rrweb)
	}
	if bytes.Contains(rrweb, []byte("grace@navy.example")) {
		t.Error("the export holds the e-mail address the server masks")
	}

	// html: one file, the events inside a JSON script element that no
	// recorded text can end, the replayer's script allowed by its hash.
	status, page, h := do(t, c, "GET", m.URL()+"/api/v1/sessions/"+sid+"/export?format=html", "", nil)
	if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Fatalf("html export: %d %.300s", status, page)
	}
	if n := bytes.Count(bytes.ToLower(page), []byte("</script")); n != 3 {
		t.Errorf("the page ends %d script elements, want 3 (events, meta, replayer): recorded text broke out", n)
	}
	if bytes.Contains(page, []byte("alert(1)</script>")) || !bytes.Contains(page, []byte(`\u003c/script\u003e\u003cscript\u003ealert(1)`)) {
		t.Error("recorded markup is not escaped in the page")
	}
	csp := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]+)">`).FindSubmatch(page)
	if csp == nil || !strings.Contains(string(csp[1]), "default-src 'none'") || !strings.Contains(string(csp[1]), "script-src 'sha256-") ||
		strings.Contains(string(csp[1]), "unsafe-eval") || !strings.Contains(h.Get("Content-Security-Policy"), "connect-src 'none'") {
		t.Errorf("page CSP = %q, header %q", csp, h.Get("Content-Security-Policy"))
	}
	if bytes.Contains(page, []byte("grace@navy.example")) {
		t.Error("the page holds the e-mail address the server masks")
	}
	if status, body, _ := do(t, c, "GET", m.URL()+"/api/v1/sessions/"+sid+"/export?format=pdf", "", nil); status != 400 || !bytes.Contains(body, []byte(`format: \"pdf\" is not one of playwright, markdown, rrweb, html`)) {
		t.Errorf("unknown format: %d %s", status, body)
	}
	if status, _, _ := do(t, http.DefaultClient, "GET", m.URL()+"/api/v1/sessions/"+sid+"/export?format=rrweb", "", nil); status != 401 {
		t.Errorf("export without login: %d", status)
	}

	// Import the export: a new session with the same events.
	status, body, _ := do(t, c, "POST", m.URL()+"/api/v1/sessions/import", "application/json", gz(rrweb))
	if status != 201 {
		t.Fatalf("import: %d %s", status, body)
	}
	var imported struct {
		Import struct {
			SessionID string
			Format    string
			Events    int
		}
	}
	json.Unmarshal(body, &imported)
	if imported.Import.Events != 4 || imported.Import.Format != "rrweb" || imported.Import.SessionID == sid {
		t.Fatalf("import = %s", body)
	}
	var detail struct{ Session playhead.Session }
	_, body, _ = do(t, c, "GET", m.URL()+"/api/v1/sessions/"+imported.Import.SessionID, "", nil)
	json.Unmarshal(body, &detail)
	if detail.Session.Events != 4 || detail.Session.StartedAt != now || detail.Session.Errors != 1 || detail.Session.ImportedAt == 0 {
		t.Errorf("imported session = %+v", detail.Session)
	}
	_, again, _ := do(t, c, "GET", m.URL()+"/api/v1/sessions/"+imported.Import.SessionID+"/export?format=rrweb", "", nil)
	if !bytes.Equal(again, rrweb) {
		t.Errorf("export of the import differs:\n%s\n%s", again, rrweb)
	}

	// Files that are not recordings: 400 naming the problem, nothing stored.
	sessions := func() int {
		_, body, _ := do(t, c, "GET", m.URL()+"/api/v1/sessions?limit=500", "", nil)
		var l struct{ Sessions []json.RawMessage }
		json.Unmarshal(body, &l)
		return len(l.Sessions)
	}
	before := sessions()
	for _, sc := range []struct {
		name, contentType string
		body              []byte
		status            int
		want              string
	}{
		{"not JSON", "application/json", []byte("PK\x03\x04zipfile"), 400, "not JSON"},
		{"wrong shape", "application/json", []byte(`{"hello":"world"}`), 400, "not a recording Playhead can import"},
		{"no full snapshot", "application/json", []byte(`[{"type":4,"timestamp":1795807228300,"data":{"href":"x"}}]`), 400, "no full snapshot"},
		{"out of order", "application/json", fmt.Appendf(nil, `[{"type":2,"timestamp":%d,"data":{}},{"type":3,"timestamp":%d,"data":{}}]`, now, now-60_000), 400, "before an earlier event's"},
		{"gzip bomb", "application/gzip", gz(make([]byte, 200<<20)), 400, "larger than the limit of 134217728 bytes"},
		{"form post", "application/x-www-form-urlencoded", rrweb, 415, "Content-Type must be application/json"},
	} {
		status, body, _ := do(t, c, "POST", m.URL()+"/api/v1/sessions/import", sc.contentType, sc.body)
		if status != sc.status || !bytes.Contains(body, []byte(sc.want)) {
			t.Errorf("%s: %d %s, want %d naming %q", sc.name, status, body, sc.status, sc.want)
		}
	}
	if after := sessions(); after != before {
		t.Errorf("refused imports stored sessions: %d, then %d", before, after)
	}
}

func TestShareLinks(t *testing.T) {
	m := start(t)
	c := loggedIn(t, m)
	now := time.Now().UnixMilli()
	const sid = "sharedsession0001"
	recordedSession(t, m, sid, now)
	shares := m.URL() + "/api/v1/sessions/" + sid + "/shares"

	status, body, _ := do(t, c, "POST", shares, "application/json", fmt.Appendf(nil, `{"expiresInHours":2,"startAt":%d}`, now+500))
	if status != 201 {
		t.Fatalf("create share: %d %s", status, body)
	}
	var created struct {
		Share playhead.ShareLink
		URL   string
	}
	json.Unmarshal(body, &created)
	if !strings.HasPrefix(created.URL, m.URL()+"/share/phs_") || created.Share.StartAt != now+500 || created.Share.CreatedBy != "admin" {
		t.Fatalf("created = %s", body)
	}
	for _, bad := range []struct{ body, want string }{
		{`{"expiresInHours":1000}`, "expiresInHours: 1000 is not from 1 to 720"},
		{fmt.Sprintf(`{"startAt":%d}`, now-100_000), "startAt"},
	} {
		if status, body, _ := do(t, c, "POST", shares, "application/json", []byte(bad.body)); status != 400 || !bytes.Contains(body, []byte(bad.want)) {
			t.Errorf("create share %s: %d %s", bad.body, status, body)
		}
	}
	if status, _, _ := do(t, http.DefaultClient, "POST", shares, "application/json", []byte(`{}`)); status != 401 {
		t.Errorf("create share without login: %d", status)
	}

	// Anyone with the link sees the replay page, which may make no request.
	anon := &http.Client{}
	status, page, h := do(t, anon, "GET", created.URL, "", nil)
	if status != 200 || !bytes.Contains(page, []byte(`id="playhead-events"`)) || !bytes.Contains(page, []byte(fmt.Sprintf(`"startAt":%d`, now+500))) {
		t.Fatalf("shared page: %d %.300s", status, page)
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'none'") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("shared page CSP = %q", csp)
	}
	// The link opens nothing else: not the API, not other sessions.
	token := created.URL[strings.LastIndex(created.URL, "/")+1:]
	for _, u := range []string{"/api/v1/sessions", "/api/v1/sessions/" + sid + "/events", "/api/v1/sessions/" + sid + "/export?format=rrweb"} {
		req, _ := http.NewRequest("GET", m.URL()+u, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		req.AddCookie(&http.Cookie{Name: "playhead_login", Value: token})
		resp, err := anon.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("GET %s with the share token: %d, want 401", u, resp.StatusCode)
		}
	}
	// Its use is counted.
	_, body, _ = do(t, c, "GET", shares, "", nil)
	var list struct{ Shares []playhead.ShareLink }
	json.Unmarshal(body, &list)
	if len(list.Shares) != 1 || list.Shares[0].Uses != 1 || list.Shares[0].LastUsedAt == nil {
		t.Errorf("shares = %s, want one used once", body)
	}

	// Revoked, it shows nothing.
	if status, body, _ := do(t, c, "DELETE", fmt.Sprintf("%s/%d", shares, created.Share.ID), "", nil); status != 200 {
		t.Fatalf("revoke: %d %s", status, body)
	}
	if status, page, _ := do(t, anon, "GET", created.URL, "", nil); status != 404 || bytes.Contains(page, []byte("playhead-events")) || !bytes.Contains(page, []byte("expired or been revoked")) {
		t.Errorf("revoked link: %d %.200s", status, page)
	}
	if status, _, _ := do(t, anon, "GET", m.URL()+"/share/phs_"+strings.Repeat("A", 43), "", nil); status != 404 {
		t.Errorf("unknown token: %d", status)
	}
	if status, _, _ := do(t, c, "DELETE", shares+"/999", "", nil); status != 404 {
		t.Errorf("revoking an unknown link: %d", status)
	}
}

func TestSourceMapsSymbolicateErrors(t *testing.T) {
	m := start(t)
	c := loggedIn(t, m)
	now := time.Now().UnixMilli()
	smap, err := os.ReadFile("../sourcemaps/testdata/shop.min.js.map")
	if err != nil {
		t.Fatal(err)
	}
	upload := m.URL() + "/api/v1/sourcemaps?release=shop@2.0.0&name=static/shop.min.js"
	if status, body, _ := do(t, c, "POST", upload, "application/json", smap); status != 201 || !bytes.Contains(body, []byte(`"name":"static/shop.min.js"`)) {
		t.Fatalf("upload: %d %s", status, body)
	}
	for _, bad := range []struct {
		u, body string
		status  int
		want    string
	}{
		{"/api/v1/sourcemaps?name=a.js", "{}", 400, "release: missing"},
		{"/api/v1/sourcemaps?release=v1", "{}", 400, "name:"},
		{"/api/v1/sourcemaps?release=v1&name=a.js", `{"version":3,"mappings":`, 400, "a.js: not a source map"},
		{"/api/v1/sourcemaps?release=a%20b&name=a.js", "{}", 400, "printable ASCII"},
	} {
		if status, body, _ := do(t, c, "POST", m.URL()+bad.u, "application/json", []byte(bad.body)); status != bad.status || !bytes.Contains(body, []byte(bad.want)) {
			t.Errorf("POST %s: %d %s, want %d naming %q", bad.u, status, body, bad.status, bad.want)
		}
	}
	if status, _, _ := do(t, http.DefaultClient, "POST", upload, "application/json", smap); status != 401 {
		t.Errorf("upload without login: %d", status)
	}
	// Stored encrypted: the source it holds is nowhere in the data folder.
	filepath.WalkDir(m.Config.DataDir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if data, _ := os.ReadFile(path); bytes.Contains(data, []byte("order.items.reduce")) {
				t.Errorf("%s holds the source map's content in the clear", path)
			}
		}
		return nil
	})

	stack := "TypeError: Cannot read properties of undefined (reading 'items')\\n    at t (https://shop.example/static/shop.min.js:1:30)\\n    at d (https://shop.example/static/shop.min.js:1:84)"
	session := func(sid, release string) {
		body := fmt.Appendf(nil, `{"v":1,"sid":%q,"seq":0,"release":%q,"events":[`+
			`{"type":4,"timestamp":%d,"data":{"href":"https://shop.example/","width":800,"height":600}},`+
			`{"type":2,"timestamp":%d,"data":{"node":{"type":0,"childNodes":[],"id":1},"initialOffset":{"left":0,"top":0}}},`+
			`{"type":5,"timestamp":%d,"data":{"tag":"playhead.error","payload":{"kind":"error","message":"TypeError: Cannot read properties of undefined (reading 'items')","stack":"%s"}}},`+
			`{"type":6,"timestamp":%d,"data":{"plugin":"rrweb/console@1","payload":{"level":"error","payload":["\"failed\""],"trace":["d (https://shop.example/static/shop.min.js:1:84)"]}}}]}`,
			sid, release, now, now+1, now+2, stack, now+3)
		scenario{method: "POST", path: "/api/v1/ingest?k=" + m.Project.IngestKey, body: body, wantStatus: 200}.run(t, m, nil)
	}
	session("mappedsession0001", "shop@2.0.0")
	session("unmappedsession01", "shop@1.9.0")
	type entry struct {
		Kind   string
		Detail struct {
			Stack  string
			Frames []struct {
				File     string
				Line     int
				Original *struct {
					File, Function string
					Line, Column   int
					Context        []struct {
						Line int
						Text string
					}
				}
			}
		}
	}
	timeline := func(sid string) []entry {
		_, body, _ := do(t, c, "GET", m.URL()+"/api/v1/sessions/"+sid, "", nil)
		var d struct {
			Session  playhead.Session
			Timeline []entry
		}
		json.Unmarshal(body, &d)
		return d.Timeline
	}
	var sawError, sawConsole bool
	for _, e := range timeline("mappedsession0001") {
		switch e.Kind {
		case "error":
			sawError = true
			f := e.Detail.Frames
			if len(f) != 2 || f[0].Original == nil || f[0].Original.File != "shop.ts" || f[0].Original.Line != 9 || f[0].Original.Column != 16 ||
				len(f[0].Original.Context) == 0 || f[1].Original == nil || f[1].Original.Line != 13 {
				t.Errorf("error frames = %+v", f)
			}
			if e.Detail.Stack == "" {
				t.Error("the recorded stack is gone")
			}
		case "console":
			sawConsole = true
			if f := e.Detail.Frames; len(f) != 1 || f[0].Original == nil || f[0].Original.Line != 13 {
				t.Errorf("console frames = %+v", f)
			}
		}
	}
	if !sawError || !sawConsole {
		t.Error("timeline lacks the error or the console entry")
	}
	for _, e := range timeline("unmappedsession01") {
		if len(e.Detail.Frames) != 0 {
			t.Errorf("a release without maps got frames: %+v", e)
		}
	}

	// Listing and deleting a release's maps.
	if status, body, _ := do(t, c, "GET", m.URL()+"/api/v1/sourcemaps?release=shop@2.0.0", "", nil); status != 200 || !bytes.Contains(body, []byte(`"static/shop.min.js"`)) {
		t.Errorf("list: %d %s", status, body)
	}
	if status, body, _ := do(t, c, "DELETE", m.URL()+"/api/v1/sourcemaps?release=shop@2.0.0", "", nil); status != 200 || !bytes.Contains(body, []byte(`"deleted":1`)) {
		t.Errorf("delete: %d %s", status, body)
	}
	for _, e := range timeline("mappedsession0001") {
		if len(e.Detail.Frames) != 0 {
			t.Errorf("frames after the maps were deleted: %+v", e)
		}
	}
}
