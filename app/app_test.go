package app_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/playhead/playhead/app"
)

const password = "a test password"

func start(t *testing.T) *app.Main {
	t.Helper()
	m := &app.Main{
		Config: app.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Demo: "true", AdminPassword: password, LogLevel: "error", MetricsToken: metricsToken},
		Stderr: io.Discard,
	}
	if err := m.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(context.Background()) })
	return m
}

const metricsToken = "a test metrics token"

func gz(data []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	return buf.Bytes()
}

func batch(sid string, seq int, ts int64) []byte {
	return fmt.Appendf(nil, `{"v":1,"sid":%q,"seq":%d,"events":[`+
		`{"type":4,"timestamp":%d,"data":{"href":"http://shop.example/","width":1280,"height":800}},`+
		`{"type":2,"timestamp":%d,"data":{"node":{"type":0,"childNodes":[],"id":1},"initialOffset":{"left":0,"top":0}}},`+
		`{"type":5,"timestamp":%d,"data":{"tag":"playhead.error","payload":{"kind":"error","message":"boom"}}}]}`, sid, seq, ts, ts+1, ts+2)
}

type scenario struct {
	name       string
	method     string
	path       string
	body       []byte
	header     map[string]string
	login      bool
	wantStatus int
	want       []string          // substrings the body must hold
	wantNot    []string          // substrings it must not
	wantHeader map[string]string // headers that must be set and contain the value
}

func (sc scenario) run(t *testing.T, m *app.Main, c *http.Client) {
	t.Helper()
	req, err := http.NewRequest(sc.method, m.URL()+sc.path, bytes.NewReader(sc.body))
	if err != nil {
		t.Fatal(err)
	}
	if sc.body != nil {
		req.Header.Set("Content-Type", "application/json") // as the dashboard sends
	}
	for k, v := range sc.header {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	client := http.DefaultClient
	if sc.login {
		client = c
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != sc.wantStatus {
		t.Fatalf("%s %s: status %d, want %d; body %s", sc.method, sc.path, resp.StatusCode, sc.wantStatus, body)
	}
	for _, w := range sc.want {
		if !strings.Contains(string(body), w) {
			t.Errorf("%s %s: body lacks %q: %.300s", sc.method, sc.path, w, body)
		}
	}
	for _, w := range sc.wantNot {
		if strings.Contains(string(body), w) {
			t.Errorf("%s %s: body holds %q", sc.method, sc.path, w)
		}
	}
	for k, v := range sc.wantHeader {
		if got := resp.Header.Get(k); got == "" || !strings.Contains(got, v) {
			t.Errorf("%s %s: header %s = %q, want it to contain %q", sc.method, sc.path, k, got, v)
		}
	}
}

func loggedIn(t *testing.T, m *app.Main) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Post(m.URL()+"/api/v1/login", "application/json", strings.NewReader(`{"username":"admin","password":"`+password+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	return c
}

func TestAPI(t *testing.T) {
	m := start(t)
	c := loggedIn(t, m)
	key := m.Project.IngestKey
	ingest := "/api/v1/ingest?k=" + key
	now := time.Now().UnixMilli()
	sid := "apitestsession01"
	big := []byte(`{"v":1,"sid":"` + sid + `","seq":9,"events":[{"type":5,"timestamp":` + fmt.Sprint(now) +
		`,"data":{"tag":"x","payload":"` + strings.Repeat("a", 5<<20) + `"}}]}`)

	scenarios := []scenario{
		{name: "health", method: "GET", path: "/healthz", wantStatus: 200, want: []string{"ok"}},
		{name: "first batch", method: "POST", path: ingest, body: batch(sid, 0, now), header: map[string]string{"Content-Type": "text/plain"},
			wantStatus: 200, want: []string{`"duplicate":false`}, wantHeader: map[string]string{"Access-Control-Allow-Origin": "*"}},
		{name: "same batch again", method: "POST", path: ingest, body: batch(sid, 0, now), wantStatus: 200, want: []string{`"duplicate":true`}},
		{name: "gzip batch, key in header", method: "POST", path: "/api/v1/ingest", body: gz(batch(sid, 1, now+1000)),
			header: map[string]string{"X-Playhead-Key": key}, wantStatus: 200, want: []string{`"seq":1`, `"duplicate":false`}},
		{name: "readyz", method: "GET", path: "/readyz", wantStatus: 200, want: []string{"ready"}},
		{name: "preflight", method: "OPTIONS", path: "/api/v1/ingest", wantStatus: 204, wantHeader: map[string]string{"Access-Control-Allow-Headers": "X-Playhead-Key"}},
		{name: "no key", method: "POST", path: "/api/v1/ingest", body: batch(sid, 2, now), wantStatus: 401, want: []string{`"code":"unauthorized"`, "missing ingest key"}},
		{name: "unknown key", method: "POST", path: "/api/v1/ingest?k=phk_wrong", body: batch(sid, 2, now), wantStatus: 401, want: []string{"unknown ingest key"}},
		{name: "malformed", method: "POST", path: ingest, body: []byte(`{"v":1,"sid":`), wantStatus: 400, want: []string{`"code":"invalid"`, "not a JSON batch"}},
		{name: "invalid event", method: "POST", path: ingest, body: []byte(`{"v":1,"sid":"` + sid + `","seq":3,"events":[{"type":42,"timestamp":1}]}`),
			wantStatus: 400, want: []string{"events[0].type: 42"}},
		{name: "oversized", method: "POST", path: ingest, body: big, wantStatus: 413, want: []string{`"code":"too_large"`, "limit of 4194304 bytes"}},
		{name: "gzip bomb", method: "POST", path: ingest, body: gz(make([]byte, 64<<20)), wantStatus: 413, want: []string{"decompressed body is larger than the limit of 33554432 bytes"}},
		{name: "list needs login", method: "GET", path: "/api/v1/sessions", wantStatus: 401, want: []string{"log in"}},
		{name: "events need login", method: "GET", path: "/api/v1/sessions/" + sid + "/events", wantStatus: 401},
		{name: "wrong password", method: "POST", path: "/api/v1/login", body: []byte(`{"username":"admin","password":"nope"}`), wantStatus: 401, want: []string{"wrong username or password"}},
		{name: "unknown user", method: "POST", path: "/api/v1/login", body: []byte(`{"username":"eve","password":"nope"}`), wantStatus: 401, want: []string{"wrong username or password"}},
		{name: "me", method: "GET", path: "/api/v1/me", login: true, wantStatus: 200, want: []string{`"username":"admin"`, key}, wantNot: []string{"password"}},
		{name: "list", method: "GET", path: "/api/v1/sessions", login: true, wantStatus: 200,
			want: []string{`"id":"` + sid + `"`, `"errors":2`, `"batches":2`, `"pages":["http://shop.example/"]`}},
		{name: "bad limit", method: "GET", path: "/api/v1/sessions?limit=0", login: true, wantStatus: 400, want: []string{"limit"}},
		{name: "session", method: "GET", path: "/api/v1/sessions/" + sid, login: true, wantStatus: 200,
			want: []string{`"keyframeTs":` + fmt.Sprint(now), `"kind":"error"`, `"label":"boom"`, `"seq":1`}, wantNot: []string{"objectKey", "sessions/1/"}},
		{name: "gap: seq 2 missing", method: "POST", path: ingest, body: batch(sid, 3, now+3000), wantStatus: 200},
		{name: "session shows the gap", method: "GET", path: "/api/v1/sessions/" + sid, login: true, wantStatus: 200,
			want: []string{fmt.Sprintf(`"gaps":[{"fromSeq":2,"toSeq":2,"fromTs":%d,"toTs":%d}]`, now+1002, now+3000)}},
		{name: "metrics", method: "GET", path: "/metrics", header: map[string]string{"Authorization": "Bearer " + metricsToken}, wantStatus: 200,
			want: []string{`playhead_ingest_batches_total{result="accepted"} 3`, `playhead_ingest_batches_total{result="duplicate"} 1`,
				`playhead_ingest_refused_total{reason="too_large"} 2`, "playhead_ingest_ack_seconds_bucket", "playhead_ingest_queue_depth 0", "playhead_active_sessions 1"}},
		{name: "events", method: "GET", path: "/api/v1/sessions/" + sid + "/events", login: true, wantStatus: 200, want: []string{`[{"type":4`, `"message":"boom"}}}]`}},
		{name: "events range", method: "GET", path: "/api/v1/sessions/" + sid + "/events?from=1", login: true, wantStatus: 200, want: []string{fmt.Sprint(now + 1000)}, wantNot: []string{fmt.Sprintf(`"timestamp":%d,`, now)}},
		{name: "bad range", method: "GET", path: "/api/v1/sessions/" + sid + "/events?from=x", login: true, wantStatus: 400, want: []string{"from"}},
		{name: "unknown session", method: "GET", path: "/api/v1/sessions/nosuchsession1", login: true, wantStatus: 404, want: []string{"not found"}},
		{name: "path traversal id", method: "GET", path: "/api/v1/sessions/..%2F..%2Fetc", login: true, wantStatus: 404},
		{name: "unknown api", method: "GET", path: "/api/v1/nope", wantStatus: 404, want: []string{`"code":"not_found"`}},
		{name: "dashboard", method: "GET", path: "/", wantStatus: 200, want: []string{"/assets/app.js"},
			wantHeader: map[string]string{"Content-Security-Policy": "default-src 'self'", "X-Frame-Options": "DENY"}},
		{name: "player route", method: "GET", path: "/sessions/" + sid, wantStatus: 200, want: []string{"/assets/app.js"}},
		{name: "sdk", method: "GET", path: "/sdk.js", wantStatus: 200, want: []string{"rrweb"}, wantHeader: map[string]string{"Content-Type": "javascript"}},
		{name: "demo", method: "GET", path: "/demo/", wantStatus: 200, want: []string{`data-project-key="` + key + `"`}},
		{name: "search", method: "GET", path: "/api/v1/sessions?q=error:boom+url:shop.example", login: true, wantStatus: 200,
			want: []string{`"id":"` + sid + `"`, `"rageClicks":0`, `"deadClicks":0`, `"errorClicks":0`}},
		{name: "search finds nothing", method: "GET", path: "/api/v1/sessions?q=-error:boom", login: true, wantStatus: 200,
			want: []string{`"sessions":[]`}},
		{name: "bad search", method: "GET", path: "/api/v1/sessions?q=errors:%3E0+urll:x", login: true, wantStatus: 400,
			want: []string{`"code":"invalid"`, `q: position 11: unknown key \"urll\"`}},
		{name: "identified batch", method: "POST", path: ingest, wantStatus: 200, body: fmt.Appendf(nil, `{"v":1,"sid":"apitestsession02","seq":0,"events":[`+
			`{"type":4,"timestamp":%d,"data":{"href":"http://shop.example/","width":1280,"height":800}},`+
			`{"type":5,"timestamp":%d,"data":{"tag":"playhead.identify","payload":{"userId":"user-42"}}}]}`, now, now+1)},
		{name: "search by user ID", method: "GET", path: "/api/v1/sessions?q=user:user-42", login: true, wantStatus: 200,
			want: []string{`"id":"apitestsession02"`}, wantNot: []string{sid, "user-42"}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) { sc.run(t, m, c) })
	}

	// Refused batches changed nothing: the session holds the two good ones.
	var detail struct {
		Batches []json.RawMessage `json:"batches"`
	}
	resp, err := c.Get(m.URL() + "/api/v1/sessions/" + sid)
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&detail)
	resp.Body.Close()
	if len(detail.Batches) != 3 {
		t.Fatalf("session has %d batches after refused ones, want 3", len(detail.Batches))
	}
}

func TestLogout(t *testing.T) {
	m := start(t)
	c := loggedIn(t, m)
	scenario{method: "POST", path: "/api/v1/logout", login: true, wantStatus: 200}.run(t, m, c)
	scenario{method: "GET", path: "/api/v1/me", login: true, wantStatus: 401}.run(t, m, c)
}

func TestFirstStart(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	m := &app.Main{Config: app.Config{Addr: "127.0.0.1:0", DataDir: dir, Demo: "auto", LogLevel: "info"}, Stderr: &out}
	if err := m.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	key := m.Project.IngestKey
	m.Close(context.Background())
	if !strings.Contains(out.String(), "username: admin") || !strings.Contains(out.String(), "password: ") {
		t.Fatalf("first start did not print the generated admin password:\n%s", out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "index.db")); err != nil {
		t.Fatal(err)
	}

	// A second start keeps the project and prints no password.
	out.Reset()
	m = &app.Main{Config: app.Config{Addr: "127.0.0.1:0", DataDir: dir, Demo: "false", LogLevel: "info"}, Stderr: &out}
	if err := m.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer m.Close(context.Background())
	if m.Project.IngestKey != key {
		t.Errorf("ingest key changed across restarts: %q, then %q", key, m.Project.IngestKey)
	}
	if strings.Contains(out.String(), "password:") {
		t.Errorf("second start printed a password:\n%s", out.String())
	}
	scenario{method: "GET", path: "/demo/", wantStatus: 404}.run(t, m, nil)
}

func TestConfigFromEnvironment(t *testing.T) {
	var c app.Config
	fs := newFlagSet(&c)
	if err := fs.Parse([]string{"-addr", "127.0.0.1:9999"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"PLAYHEAD_ADDR": "0.0.0.0:1", "PLAYHEAD_DATA": "/tmp/x", "PLAYHEAD_DEMO": "0", "PLAYHEAD_ADMIN_PASSWORD": "pw"}
	if err := c.ApplyEnv(fs, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9999" || c.DataDir != "/tmp/x" || c.Demo != "false" || c.AdminPassword != "pw" {
		t.Fatalf("config = %+v; flags must win over the environment, which fills the rest", c)
	}
	env["PLAYHEAD_DEMO"] = "sometimes"
	c = app.Config{}
	fs = newFlagSet(&c)
	fs.Parse(nil)
	if err := c.ApplyEnv(fs, func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "sometimes") {
		t.Fatalf("bad PLAYHEAD_DEMO: err = %v", err)
	}
}

func TestRateLimitsAnswer429(t *testing.T) {
	m := &app.Main{
		Config: app.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Demo: "false", AdminPassword: password, LogLevel: "error", RateIP: 0.1},
		Stderr: io.Discard,
	}
	if err := m.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer m.Close(context.Background())
	ingest := "/api/v1/ingest?k=" + m.Project.IngestKey
	now := time.Now().UnixMilli()
	// The burst is ten seconds' worth, at least one batch: here one, and
	// the next token comes 10 s later, so however slow the machine the
	// second batch is refused and told to come back in up to 10 s.
	start := time.Now()
	scenario{method: "POST", path: ingest, body: batch("ratelimitsession", 0, now), wantStatus: 200}.run(t, m, nil)
	resp, err := http.Post(m.URL()+ingest, "application/json", bytes.NewReader(batch("ratelimitsession", 1, now)))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	elapsed := time.Since(start)
	if resp.StatusCode != 429 || !strings.Contains(string(body), `"code":"rate_limited"`) ||
		!strings.Contains(string(body), "this client address sends more than the limit of 0.1 batches a second") {
		t.Fatalf("the second batch: status %d, body %s; want 429 naming the limit", resp.StatusCode, body)
	}
	retry, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if low := int(10 - elapsed.Seconds()); err != nil || retry < low || retry > 10 {
		t.Errorf("Retry-After %q, want the seconds until the next token (%d to 10)", resp.Header.Get("Retry-After"), low)
	}
	if got := resp.Header.Get("Access-Control-Expose-Headers"); got != "Retry-After" {
		t.Errorf("Access-Control-Expose-Headers %q, want Retry-After: a page's SDK must read it", got)
	}
}

func TestStorageFailureAnswers503(t *testing.T) {
	m := start(t)
	ingest := "/api/v1/ingest?k=" + m.Project.IngestKey
	now := time.Now().UnixMilli()
	scenario{method: "POST", path: ingest, body: batch("storagefailure01", 0, now), wantStatus: 200}.run(t, m, nil)
	m.DB.Close() // the index goes away under the running server
	scenario{method: "POST", path: ingest, body: batch("storagefailure01", 1, now), wantStatus: 503,
		want: []string{`"code":"unavailable"`, "retry later"}, wantHeader: map[string]string{"Retry-After": "5"}}.run(t, m, nil)
	scenario{method: "GET", path: "/readyz", wantStatus: 503}.run(t, m, nil)
}

// TestNodesStartingTogetherBootstrapOnce starts several Playheads on one
// index at once: one first project and one admin between them.
func TestNodesStartingTogetherBootstrapOnce(t *testing.T) {
	dir := t.TempDir()
	const nodes = 3
	var wg sync.WaitGroup
	errs := make(chan error, nodes)
	mains := make([]*app.Main, nodes)
	for i := range nodes {
		mains[i] = &app.Main{Config: app.Config{DataDir: dir, AdminPassword: password, LogLevel: "error"}, Stderr: io.Discard}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- mains[i].Open(t.Context())
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	defer func() {
		for _, m := range mains {
			m.Close(context.Background())
		}
	}()
	projects, err := mains[0].DB.Projects(t.Context())
	if err != nil || len(projects) != 1 {
		t.Fatalf("projects after %d nodes started = %d, %v; want 1", nodes, len(projects), err)
	}
	if n, err := mains[0].DB.CountUsers(t.Context()); err != nil || n != 1 {
		t.Fatalf("users = %d, %v; want 1", n, err)
	}
	for _, m := range mains {
		if m.Project.ID != projects[0].ID {
			t.Fatalf("a node serves project %d, not the one created (%d)", m.Project.ID, projects[0].ID)
		}
		if !bytes.Equal(m.Keyring.IndexSecret(), mains[0].Keyring.IndexSecret()) {
			t.Fatal("nodes started together made different keyrings")
		}
	}
}
