package loadgen_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/internal/testservers"
	"github.com/playhead/playhead/loadgen"
	"github.com/playhead/playhead/objects"
	"github.com/playhead/playhead/webhook"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testservers.StopPostgreSQL()
	os.Exit(code)
}

const (
	clusterPassword = "cluster-test"
	metricsToken    = "cluster-metrics"
)

// TestClusterRunsEverythingOnce runs three Playhead nodes over one
// PostgreSQL and one S3 bucket, spreads every session's batches over all
// three, kills one node with SIGKILL (and starts it again) and restarts
// PostgreSQL during the load. Then: no acknowledged batch is lost or
// stored twice, every session replays through the API of every node and a
// sample in Chromium, ingest answered 503 with Retry-After while
// PostgreSQL was down and recovered by itself, every chunk was sealed by
// one node, and a webhook got each session's first error once.
func TestClusterRunsEverythingOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs three servers; skipped with -short")
	}
	dsn := testservers.PostgreSQL(t)
	s3 := testservers.S3(t)
	s3.SetEnv(t) // the nodes inherit the environment
	browser := testservers.Browser(t)
	start := time.Now()

	dir := t.TempDir()
	bin := filepath.Join(dir, "playhead")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/playhead").CombinedOutput(); err != nil {
		t.Fatalf("build playhead: %v\n%s", err, out)
	}
	serverLog, err := os.Create(filepath.Join(dir, "nodes.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer serverLog.Close()
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(serverLog.Name())
			kept := filepath.Join(os.TempDir(), "playhead-cluster-test-nodes.log")
			os.WriteFile(kept, log, 0o600)
			t.Logf("the nodes' output is kept in %s; its end:\n%s", kept, lastLines(log, 20))
		}
	})
	spawner := &loadgen.Spawner{Binary: bin, DataDir: filepath.Join(dir, "data"), AdminPassword: clusterPassword, Stderr: serverLog,
		Nodes: 3, Index: dsn, Objects: s3.URL,
		// Seal within the run: a session is sealed after 4 s without a
		// batch and every 10 s while it records.
		Args: []string{"--seal-idle", "4s", "--seal-max-age", "10s", "--webhooks-allow-private"},
		Env:  []string{"PLAYHEAD_METRICS_TOKEN=" + metricsToken}}
	defer spawner.Stop()
	if err := spawner.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	urls := spawner.URLs()
	t.Logf("three nodes ready after %s", time.Since(start).Round(time.Millisecond))

	hooks := receiveWebhooks(t)
	hooks.secret = createWebhook(t, urls[0], hooks.srv.URL)

	// The load, with a node killed at 12 s and PostgreSQL down for 3 s at 25 s.
	type result struct {
		rep *loadgen.Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := loadgen.Run(t.Context(), loadgen.Config{
			Spawner: spawner, Sessions: 150, Interval: 750 * time.Millisecond, Duration: 45 * time.Second,
			DropConnection: 0.02, Duplicate: 0.05, Reorder: 0.05, ErrorShare: 0.3, Sample: 1000,
		})
		done <- result{rep, err}
	}()
	time.Sleep(12 * time.Second)
	sealedBeforeKill := chunksSealed(t, urls[1])
	if err := spawner.Crash(t.Context(), 1); err != nil {
		t.Fatalf("restart node 2 after SIGKILL: %v", err)
	}
	t.Logf("node 2 killed (it had sealed %d chunks) and started again", sealedBeforeKill)
	time.Sleep(13 * time.Second)
	outage := checkOutage(t, urls, spawner.IngestKey)
	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	rep := res.rep
	t.Logf("load: %d sessions, %d batches sent, %d acknowledged, %d retries, statuses %v, ack p50 %s p99 %s",
		rep.Started, rep.Sent, rep.Acked, rep.Retries, rep.Statuses, rep.AckP50, rep.AckP99)
	for i, n := range rep.Nodes {
		t.Logf("node %d: %d batches sent, %s CPU", i+1, n.Sent, n.Server.CPU)
	}
	t.Logf("PostgreSQL outage: %s", outage)

	// Every acknowledged batch stored once, in order; every session read
	// through one node and read back whole through the next.
	a := rep.Audit
	t.Logf("audit: %d sessions, %d acknowledged batches, %d read back; %d missing, %d duplicated, %d wrong, %d unreplayable",
		a.SessionsChecked, a.BatchesExpected, a.SampledReadBacks, a.Missing, a.Duplicated, a.WrongEvents, a.Unreplayable)
	if !a.OK() || a.SampledReadBacks != a.SessionsChecked || a.SessionsChecked < 150 {
		t.Errorf("audit failed: %+v", a)
	}
	if rep.Acked < 5000 {
		t.Errorf("only %d batches acknowledged; the load did not run", rep.Acked)
	}
	for i, n := range rep.Nodes {
		if n.Sent < rep.Sent/5 {
			t.Errorf("node %d got %d of %d batches; the load was not spread", i+1, n.Sent, rep.Sent)
		}
	}
	for code, n := range rep.Statuses {
		if code != http.StatusOK && code != http.StatusServiceUnavailable {
			t.Errorf("%d answers with status %d: only 200 and 503 (retry) are expected", n, code)
		}
	}
	t.Logf("503 answers (retried by the load generator): %d", rep.Unavailable)
	if rep.NoRetryAfter > 0 {
		t.Errorf("%d of %d answers 503 had no Retry-After", rep.NoRetryAfter, rep.Unavailable)
	}

	// Sealing: once the sessions are idle, every chunk in the index was
	// sealed (and counted) by exactly one node, and no other chunk is in
	// the bucket.
	db, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	waitSealed(t, db)
	sealed := sealedBeforeKill
	for _, u := range urls {
		sealed += chunksSealed(t, u)
	}
	var inIndex int
	// A chunk and its compact form (the same key plus ".c", written before
	// the sealed one is deleted) count as one: compaction may be under way.
	if err := db.QueryRow(t.Context(), `SELECT count(DISTINCT regexp_replace(object_key, '\.c$', '')) FROM batches WHERE object_key <> ''`).Scan(&inIndex); err != nil {
		t.Fatal(err)
	}
	// A chunk a killed node wrote but never pointed the index at waits for
	// its deletion (a job, due once that node's seal lease has passed).
	rows, err := db.Query(t.Context(), `SELECT key FROM jobs WHERE kind = 'delete_object'`)
	if err != nil {
		t.Fatal(err)
	}
	deleting, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	inBucket := chunkObjects(t, s3.URL, dir, deleting)
	t.Logf("chunks: %d sealed by the nodes, %d in the index, %d in the bucket", sealed, inIndex, inBucket)
	if inIndex < 150 {
		t.Errorf("only %d chunks in the index; sealing did not run", inIndex)
	}
	if sealed != inIndex {
		t.Errorf("the nodes sealed %d chunks, the index holds %d: a chunk was sealed twice, or not counted", sealed, inIndex)
	}
	if inBucket != inIndex {
		t.Errorf("the bucket holds %d chunks, the index %d", inBucket, inIndex)
	}

	// Every session replays through every node, sealed chunks and all.
	checkReplaysEverywhere(t, urls, rep)

	// Webhooks: each session that sent an error, once.
	hooks.check(t, rep.ErrorSessions, 30*time.Second)

	// A sample in a real browser, one session through each node.
	checkPlayer(t, browser, urls, rep)
	t.Logf("the cluster test took %s", time.Since(start).Round(time.Second))
}

// outageReport says how ingest behaved while PostgreSQL was down.
type outageReport struct {
	down, recovery time.Duration
	probes         map[int]int // status → count, during the outage
}

func (o outageReport) String() string {
	return fmt.Sprintf("down %s, answers during it %v, every node storing again %s after", o.down.Round(time.Millisecond), o.probes, o.recovery.Round(time.Millisecond))
}

// checkOutage restarts PostgreSQL, kept down for 3 seconds, while batches
// are sent to every node: each must be refused with 503 and Retry-After,
// never acknowledged; then every node must store batches again by itself.
func checkOutage(t *testing.T, urls []string, key string) outageReport {
	t.Helper()
	const outage = 3 * time.Second
	o := outageReport{probes: map[int]int{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	stopped := make(chan struct{}) // closed once PostgreSQL is stopped
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-stopped:
		case <-time.After(10 * time.Second):
			return
		}
		// Probes go out while PostgreSQL is surely down: from its stop
		// until half a second before its restart begins (a probe sent
		// later may be answered by PostgreSQL back up, and rightly so).
		down := time.Now()
		for seq := 0; ; seq++ {
			select {
			case <-stop:
				return
			case <-time.After(300 * time.Millisecond):
			}
			if time.Since(down) > outage-500*time.Millisecond {
				return
			}
			for i, u := range urls {
				code, retryAfter, err := probe(u, key, fmt.Sprintf("outage%02d%08d", i, seq), 0)
				if err != nil {
					continue // a node still starting, or stopping the request
				}
				mu.Lock()
				o.probes[code]++
				mu.Unlock()
				if code != http.StatusServiceUnavailable || retryAfter == "" {
					t.Errorf("node %d answered a batch with %d (Retry-After %q) while PostgreSQL was down; want 503 with Retry-After", i+1, code, retryAfter)
				}
			}
		}
	}()
	o.down = restartPostgreSQL(t, outage, stopped)
	close(stop)
	wg.Wait()
	if o.probes[http.StatusServiceUnavailable] == 0 {
		t.Errorf("no batch was refused while PostgreSQL was down: %v", o.probes)
	}
	after := time.Now()
	for i, u := range urls {
		for seq := 0; ; seq++ {
			code, _, err := probe(u, key, fmt.Sprintf("recover%02d%08d", i, seq), 0)
			if err == nil && code == http.StatusOK {
				break
			}
			if time.Since(after) > 20*time.Second {
				t.Fatalf("node %d does not store batches 20 s after PostgreSQL came back: %d, %v", i+1, code, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	o.recovery = time.Since(after)
	return o
}

// restartPostgreSQL restarts PostgreSQL, closing stopped once it has been
// asked to stop (the probes start then), and returns how long it was down.
func restartPostgreSQL(t *testing.T, down time.Duration, stopped chan struct{}) time.Duration {
	go func() {
		time.Sleep(200 * time.Millisecond) // a fast shutdown takes longer
		close(stopped)
	}()
	return testservers.RestartPostgreSQL(t, down)
}

// probe sends one small batch with a keyframe to the node at base.
func probe(base, key, sid string, seq int) (code int, retryAfter string, err error) {
	now := time.Now().UnixMilli()
	body := fmt.Sprintf(`{"v":1,"sid":%q,"seq":%d,"events":[{"type":4,"timestamp":%d,"data":{"href":"https://shop.example/","width":800,"height":600}},`+
		`{"type":2,"timestamp":%d,"data":{"node":{"type":0,"id":1,"childNodes":[]},"initialOffset":{"left":0,"top":0}}}]}`, sid, seq, now, now)
	c := http.Client{Timeout: 15 * time.Second}
	resp, err := c.Post(base+"/api/v1/ingest?k="+key, "text/plain", strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After"), nil
}

// chunksSealed returns the sum of a node's chunks-sealed counters.
func chunksSealed(t *testing.T, base string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+metricsToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s/metrics: status %d", base, resp.StatusCode)
	}
	n := 0.0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "playhead_chunks_sealed_total{") {
			v, _ := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
			n += v
		}
	}
	return int(n)
}

// waitSealed waits until no batch is pending, except in sessions that the
// killed node's process had claimed for sealing (PendingRuns' claim or
// Seal's lease): another node takes them over only once the claim lapses,
// a minute later. Live nodes clear their claims as they seal.
func waitSealed(t *testing.T, db *pgx.Conn) {
	t.Helper()
	deadline := time.Now().Add(40 * time.Second)
	for {
		var pending, held int
		err := db.QueryRow(t.Context(), `SELECT count(*), count(*) FILTER (WHERE EXISTS (
				SELECT 1 FROM leases l WHERE l.name = 'seal/' || b.project_id || '/' || b.session_id) OR EXISTS (
				SELECT 1 FROM sessions s WHERE s.project_id = b.project_id AND s.id = b.session_id
				AND s.seal_claimed_until > $1))
			FROM batches b WHERE data IS NOT NULL`, time.Now().UnixMilli()).Scan(&pending, &held)
		if err != nil {
			t.Fatal(err)
		}
		if time.Now().Second()%5 == 0 {
			t.Logf("waiting for sealing: %d batches pending, %d of them under a lease", pending, held)
		}
		if pending == held {
			if held > 0 {
				t.Logf("%d batches stay pending under the killed node's seal claims", held)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d batches still pending 40 s after the load (%d under a lease)", pending, held)
		}
		time.Sleep(time.Second)
	}
}

// chunkObjects counts the chunks in the bucket (checkpoints aside), but
// those whose deletion is queued.
func chunkObjects(t *testing.T, storeURL, dir string, deleting []string) int {
	t.Helper()
	store, err := objects.Open(t.Context(), storeURL, dir)
	if err != nil {
		t.Fatal(err)
	}
	// Chunks are kept under their retention period (r30/sessions/…); a
	// chunk and its compact form (key + ".c") count once. A chunk's
	// keyframes (key + ".kf") are not a chunk, but must have one.
	chunks := map[string]bool{}
	var keyframes []string
	err = store.(playhead.ObjectLister).List(t.Context(), "", func(key string) error {
		if !strings.HasPrefix(key, "r") || !strings.Contains(key, "/sessions/") || strings.HasSuffix(key, "/checkpoints") || slices.Contains(deleting, key) {
			return nil
		}
		if kf, ok := strings.CutSuffix(key, ".kf"); ok {
			keyframes = append(keyframes, kf)
			return nil
		}
		chunks[strings.TrimSuffix(key, ".c")] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range keyframes {
		if !chunks[c] {
			t.Errorf("keyframes %s.kf have no chunk in the bucket", c)
		}
	}
	t.Logf("keyframes: %d chunks have theirs in the bucket", len(keyframes))
	return len(chunks)
}

// checkReplaysEverywhere reads every session's events through every node
// and checks each answers the same number of events its manifest lists.
func checkReplaysEverywhere(t *testing.T, urls []string, rep *loadgen.Report) {
	t.Helper()
	ids := sessionIDs(t, urls[0])
	if len(ids) < rep.Audit.SessionsChecked {
		t.Errorf("the dashboard lists %d sessions, the audit checked %d", len(ids), rep.Audit.SessionsChecked)
	}
	for i, u := range urls {
		c := loginTo(t, u)
		for j, id := range ids {
			var detail struct {
				Batches []struct {
					Events int `json:"events"`
				} `json:"batches"`
			}
			getJSON(t, c, u+"/api/v1/sessions/"+id, &detail)
			want := 0
			for _, b := range detail.Batches {
				want += b.Events
			}
			if j%len(urls) != i {
				continue // the events themselves: each session through one node here, the audit did the others
			}
			var events []json.RawMessage
			getJSON(t, c, u+"/api/v1/sessions/"+id+"/events", &events)
			if len(events) != want {
				t.Errorf("node %d: session %s replays %d events, its manifest lists %d", i+1, id, len(events), want)
			}
		}
	}
}

// sessionIDs lists every session, through the dashboard API.
func sessionIDs(t *testing.T, base string) []string {
	t.Helper()
	c := loginTo(t, base)
	var ids []string
	for before := ""; ; {
		var page struct {
			Sessions []struct {
				ID string `json:"id"`
			} `json:"sessions"`
			Next string `json:"next"`
		}
		getJSON(t, c, base+"/api/v1/sessions?limit=200&before="+url.QueryEscape(before), &page)
		for _, s := range page.Sessions {
			ids = append(ids, s.ID)
		}
		if page.Next == "" || len(page.Sessions) == 0 {
			return ids
		}
		before = page.Next
	}
}

// checkPlayer opens sessions of the load in the player, each through
// another node: the page must show the recorded document.
func checkPlayer(t *testing.T, ctx context.Context, urls []string, rep *loadgen.Report) {
	t.Helper()
	var ids []string
	for id := range rep.ErrorSessions {
		if rep.ErrorSessions[id] {
			ids = append(ids, id)
		}
		if len(ids) == len(urls) {
			break
		}
	}
	for i, id := range ids {
		u := urls[i]
		c := loginTo(t, u)
		pu, _ := url.Parse(u)
		for _, ck := range c.Jar.Cookies(pu) {
			if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: ck.Name, Value: ck.Value, URL: u}); err != nil {
				t.Fatal(err)
			}
		}
		const frame = `window.__playhead.replayer.iframe.contentDocument`
		err := chromedp.Do(ctx,
			chromedp.Navigate(u+"/sessions/"+id),
			chromedp.Poll[chromedp.Void](`window.__playhead && window.__playhead.ready`, chromedp.WithPollingTimeout(30*time.Second)),
			chromedp.Evaluate[chromedp.Void](`window.__playhead.seek(1000)`, chromedp.EvalAwaitPromise),
			chromedp.Poll[chromedp.Void](frame+` && `+frame+`.body && `+frame+`.body.querySelectorAll('*').length > 20`, chromedp.WithPollingTimeout(10*time.Second)),
		)
		if err != nil {
			state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({stats: window.__playhead && window.__playhead.stats(),
				overlay: (document.querySelector('.stage-overlay') || {}).textContent,
				elements: (() => { try { return `+frame+`.body.querySelectorAll('*').length } catch (e) { return String(e) } })()})`))
			t.Errorf("node %d: the player does not show session %s: %v; its state: %s", i+1, id, err, state)
			continue
		}
		errors, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('.side').textContent`))
		if err != nil || !strings.Contains(errors, "cart is undefined") {
			t.Errorf("node %d: session %s: the player's panels do not show its error: %v", i+1, id, err)
		}
	}
}

// webhookReceiver counts the deliveries it gets, by session.
type webhookReceiver struct {
	srv    *httptest.Server
	secret string
	mu     sync.Mutex
	got    map[string][]int64 // session → delivery IDs
	bad    []string
}

func receiveWebhooks(t *testing.T) *webhookReceiver {
	w := &webhookReceiver{got: map[string][]int64{}}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var p webhook.Payload
		w.mu.Lock()
		defer w.mu.Unlock()
		if err := webhook.Verify(w.secret, r.Header.Get(webhook.SignatureHeader), body, time.Now(), time.Minute); err != nil {
			w.bad = append(w.bad, err.Error())
		} else if err := json.Unmarshal(body, &p); err != nil || p.Event != playhead.EventFirstError {
			w.bad = append(w.bad, fmt.Sprintf("%s: %v", body, err))
		} else {
			w.got[p.SessionID] = append(w.got[p.SessionID], p.Delivery)
		}
	}))
	t.Cleanup(w.srv.Close)
	return w
}

// check waits until every acknowledged error has been delivered, then
// checks each session was told of once, and only sessions that sent one.
func (w *webhookReceiver) check(t *testing.T, sent map[string]bool, wait time.Duration) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		w.mu.Lock()
		missing := 0
		for id, acked := range sent {
			if acked && len(w.got[id]) == 0 {
				missing++
			}
		}
		w.mu.Unlock()
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("%d acknowledged first errors not delivered %s after the load", missing, wait)
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	acked := 0
	for _, ok := range sent {
		if ok {
			acked++
		}
	}
	t.Logf("webhook: %d sessions sent an error (%d acknowledged), %d told of", len(sent), acked, len(w.got))
	if acked < 20 {
		t.Errorf("only %d sessions' errors were acknowledged", acked)
	}
	for id, deliveries := range w.got {
		if _, ok := sent[id]; !ok {
			t.Errorf("webhook told of session %s, which sent no error", id)
		}
		if len(deliveries) != 1 {
			t.Errorf("webhook told of session %s's first error %d times (deliveries %v)", id, len(deliveries), deliveries)
		}
	}
	for _, b := range w.bad {
		t.Errorf("webhook: bad delivery: %s", b)
	}
}

// createWebhook adds a webhook to the project through node base and
// returns its secret.
func createWebhook(t *testing.T, base, target string) string {
	t.Helper()
	c := loginTo(t, base)
	resp, err := c.Post(base+"/api/v1/webhooks", "application/json", strings.NewReader(`{"url":"`+target+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Secret string `json:"secret"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create webhook: status %d, %v", resp.StatusCode, err)
	}
	return out.Secret
}

func loginTo(t *testing.T, base string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 60 * time.Second}
	resp, err := c.Post(base+"/api/v1/login", "application/json", strings.NewReader(`{"username":"admin","password":"`+clusterPassword+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("log in to %s: status %d", base, resp.StatusCode)
	}
	return c
}

func getJSON(t *testing.T, c *http.Client, u string, v any) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: status %d: %s", u, resp.StatusCode, body)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

// lastLines returns the last n lines of b.
func lastLines(b []byte, n int) []byte {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	return bytes.Join(lines[max(0, len(lines)-n):], []byte("\n"))
}
