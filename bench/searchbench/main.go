// Command searchbench measures search over a large index: it builds an
// index of many sessions (100,000 by default) from real recordings (the
// real 60-minute recording in testdata/ and the e2e replay corpus), varied
// in users, pages, errors, requests, clicks and console text, through the
// real ingest path into a real SQLite index, then times every key of the
// query language and combined queries against a naive scan of the same
// index in the same run. `make bench` runs it as its search area
// (bench/search.mjs); it prints a table and, with -json, writes the figures.
//
// The built index is cached under -cache, keyed by a hash of the inputs,
// the number of sessions, this generator's version and the schema version,
// so later runs only query.
package main

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/playhead/playhead"

	"github.com/playhead/playhead/ingest"
	"github.com/playhead/playhead/keyring"
	"github.com/playhead/playhead/postgres"
	"github.com/playhead/playhead/search"
	"github.com/playhead/playhead/sqlite"
	"github.com/playhead/playhead/testdata"
)

// generatorVersion changes whenever the sessions built change, so a cached
// index of other sessions is not reused.
const generatorVersion = "2"

// targetP95 is the search target on the embedded default.
const targetP95 = 50 * time.Millisecond

// now is the instant the benchmark's sessions end before: fixed, so the
// index built is the same from run to run.
var now = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func main() {
	sessions := flag.Int("sessions", 100_000, "sessions in the index")
	cacheDir := flag.String("cache", filepath.Join(os.TempDir(), "playhead-searchbench"), "where built indexes are kept between runs")
	runs := flag.Int("runs", 25, "timed runs of each query (after one warm-up)")
	naiveRuns := flag.Int("naive-runs", 3, "timed runs of each query's naive scan")
	jsonOut := flag.String("json", "", "write the figures as JSON to this file")
	pgDSN := flag.String("postgres", "", "build the index in this (empty, throwaway) PostgreSQL database instead, uncached")
	flag.Parse()
	log.SetFlags(0)
	ctx := context.Background()

	src, err := loadSources()
	if err != nil {
		log.Fatal(err)
	}
	res := &results{Index: "sqlite", Sessions: *sessions, Machine: fmt.Sprintf("%s/%s, %d CPUs, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version()), Cached: true}
	var e *engine
	if *pgDSN != "" {
		res.Index, res.Cached = "postgres", false
		log.Printf("search: building the index of %d sessions in PostgreSQL", *sessions)
		start := time.Now()
		if e, err = buildPostgres(ctx, *pgDSN, src, *sessions); err != nil {
			log.Fatal(err)
		}
		res.BuildSeconds = time.Since(start).Seconds()
	} else {
		res.CacheKey = src.key(*sessions)
		dir := filepath.Join(*cacheDir, "index-"+res.CacheKey)
		if _, err := os.Stat(filepath.Join(dir, "done")); err != nil {
			log.Printf("search: building the index of %d sessions in %s", *sessions, dir)
			res.Cached = false
			start := time.Now()
			if err := buildSQLite(ctx, dir, src, *sessions); err != nil {
				log.Fatal(err)
			}
			res.BuildSeconds = time.Since(start).Seconds()
		}
		if e, err = openSQLite(ctx, dir, *sessions); err != nil {
			log.Fatal(err)
		}
	}
	defer e.close()
	if err := measure(ctx, e, res, *runs, *naiveRuns); err != nil {
		log.Fatal(err)
	}
	res.print(os.Stdout)
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(*jsonOut, b, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// sources are the real recordings sessions are built from.
type sources struct {
	real60 [][]testdata.Event // the 60-minute recording cut into 5-second batches
	corpus [][]testdata.Event // the e2e corpus, one recording each
	digest string
}

func loadSources() (*sources, error) {
	events, err := testdata.Real60()
	if err != nil {
		return nil, fmt.Errorf("read the real recording: %w", err)
	}
	h := sha256.New()
	s := &sources{}
	for start := 0; start < len(events); {
		end := start
		for end < len(events) && events[end].Timestamp-events[start].Timestamp < 5000 {
			end++
		}
		s.real60 = append(s.real60, events[start:end])
		start = end
	}
	for _, e := range events {
		h.Write(e.Raw)
	}
	_, self, _, _ := runtime.Caller(0)
	corpusDir := filepath.Join(filepath.Dir(self), "..", "..", "e2e", "testdata", "corpus")
	names, _ := filepath.Glob(filepath.Join(corpusDir, "*.json.gz"))
	if len(names) == 0 {
		return nil, fmt.Errorf("no recordings in %s", corpusDir)
	}
	slices.Sort(names)
	for _, name := range names {
		evs, err := testdata.ReadEvents(name)
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			h.Write(e.Raw)
		}
		s.corpus = append(s.corpus, evs)
	}
	s.digest = hex.EncodeToString(h.Sum(nil))
	return s, nil
}

// key names a built index: inputs, size, generator and schema (the
// migrations' text, which may change before a release).
func (s *sources) key(sessions int) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s/%d/%s/%d", s.digest, sessions, generatorVersion, sqlite.SchemaVersion())
	_, self, _, _ := runtime.Caller(0)
	names, _ := filepath.Glob(filepath.Join(filepath.Dir(self), "..", "..", "sqlite", "migrations", "*.sql"))
	slices.Sort(names)
	for _, name := range names {
		b, _ := os.ReadFile(name)
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// Pools the sessions draw their variety from.
var (
	hosts = []string{"https://shop.example", "https://app.example", "https://docs.example", "https://blog.example"}
	paths = []string{"/", "/checkout", "/checkout/payment", "/cart", "/products/%d", "/account/settings", "/search?q=shoes",
		"/blog/post-%d", "/pricing", "/login", "/signup", "/orders/%d", "/help/faq", "/dashboard", "/reports/%d"}
	errorMessages = []string{
		"TypeError: Cannot read properties of undefined (reading 'total')",
		"ReferenceError: cartId is not defined",
		"Error: Payment declined (code %d)",
		"SyntaxError: Unexpected token '<', \"<!doctype \"... is not valid JSON",
		"ChunkLoadError: Loading chunk %d failed.",
		"TypeError: Failed to fetch",
		"RangeError: Maximum call stack size exceeded",
		"Error: Request failed with status code 500",
	}
	consoleMessages = []string{"order #%d failed", "retrying request %d", "feature flag checkout-v%d enabled", "cache miss for product %d",
		"websocket reconnected after %d ms", "deprecated API used by widget %d"}
	consoleLevels = []string{"error", "warn", "info", "log"}
	apiPaths      = []string{"/api/order", "/api/cart", "/api/products/%d", "/api/session", "/api/search?q=%d", "/api/payment"}
	methods       = []string{"GET", "GET", "GET", "POST", "POST", "PUT", "DELETE"}
	statuses      = []int{200, 200, 200, 200, 201, 304, 400, 401, 404, 500, 503, 0}
	plans         = []string{"free", "team", "business", "enterprise"}
	referrers     = []string{"https://www.google.com/", "https://news.ycombinator.com/item?id=1", "https://t.co/abc", "https://duckduckgo.com/"}
	customEvents  = []string{"signup", "checkout_started", "purchase", "add_to_cart", "coupon_applied", "search_performed"}
	userAgents    = []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15",
		"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
		"Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
	}
)

// session is one generated session: its batches' bodies and its browser.
type session struct {
	id        string
	ua        string
	bodies    [][]byte
	receiveAt time.Time
}

var timestampRe = regexp.MustCompile(`"timestamp":(\d+)`)

// makeSession builds session i: a slice of the real recording (or a corpus
// recording), moved to a start within the 30 days before now, with the
// pages, user, requests, errors, console messages and custom events a
// visit of a shop or app has added to its first batch.
func (s *sources) makeSession(i int) session {
	r := rand.New(rand.NewPCG(uint64(i), 0x5eed))
	pick := func(xs []string) string {
		x := xs[r.IntN(len(xs))]
		if strings.Contains(x, "%d") {
			x = fmt.Sprintf(x, r.IntN(500))
		}
		return x
	}
	var batches [][]testdata.Event
	if r.IntN(100) < 15 {
		batches = [][]testdata.Event{s.corpus[r.IntN(len(s.corpus))]}
	} else {
		n := 1 + r.IntN(3)
		j := r.IntN(len(s.real60) - n)
		batches = s.real60[j : j+n]
	}
	start := now.Add(-time.Hour - time.Duration(r.Int64N(int64(29*24*time.Hour)))).UnixMilli()
	delta := start - batches[0][0].Timestamp
	sess := session{id: fmt.Sprintf("bench%011d", i), ua: userAgents[r.IntN(len(userAgents))]}
	last := start
	at := func(ms int64) int64 { return start + ms }
	// What the page did besides what the recording shows, as SDK events.
	host := hosts[r.IntN(len(hosts))]
	extra := []string{fmt.Sprintf(`{"type":4,"data":{"href":%q,"width":1280,"height":800},"timestamp":%d}`, host+pick(paths), at(0))}
	for k := range r.IntN(4) {
		extra = append(extra, custom(at(int64(200+k*300)), "playhead.navigation", map[string]any{"url": host + pick(paths), "kind": "push"}))
	}
	if r.IntN(100) < 40 {
		extra = append(extra, custom(at(50), "playhead.identify", map[string]any{"userId": fmt.Sprintf("user-%d", r.IntN(5000))}))
	}
	for k := range r.IntN(5) {
		st := statuses[r.IntN(len(statuses))]
		extra = append(extra, custom(at(int64(400+k*250)), "playhead.network", map[string]any{
			"method": methods[r.IntN(len(methods))], "url": host + pick(apiPaths), "status": st, "start": at(int64(300 + k*250)), "duration": 80}))
	}
	if r.IntN(100) < 20 {
		extra = append(extra, custom(at(1500), "playhead.error", map[string]any{"message": pick(errorMessages)}))
	}
	if r.IntN(100) < 30 {
		extra = append(extra, fmt.Sprintf(`{"type":6,"data":{"plugin":"rrweb/console@1","payload":{"level":%q,"payload":[%q]}},"timestamp":%d}`,
			consoleLevels[r.IntN(len(consoleLevels))], pick(consoleMessages), at(1700)))
	}
	if r.IntN(100) < 25 {
		extra = append(extra, custom(at(1900), customEvents[r.IntN(len(customEvents))],
			map[string]any{"plan": plans[r.IntN(len(plans))], "items": r.IntN(9) + 1}))
	}
	if r.IntN(100) < 30 {
		extra = append(extra, custom(at(60), "playhead.metadata", map[string]any{"key": "plan", "value": plans[r.IntN(len(plans))]}))
	}
	if r.IntN(100) < 15 {
		extra = append(extra, custom(at(40), "playhead.referrer", map[string]any{"url": referrers[r.IntN(len(referrers))]}))
	}
	if r.IntN(100) < 4 {
		for k := range 3 + r.IntN(3) {
			extra = append(extra, fmt.Sprintf(`{"type":3,"data":{"source":2,"type":2,"id":999999,"x":%d,"y":%d},"timestamp":%d}`, 400+k, 300+k, at(int64(2000+k*150))))
		}
	}
	for seq, events := range batches {
		body := fmt.Appendf(nil, `{"v":1,"sid":%q,"seq":%d,"events":[`, sess.id, seq)
		n := 0
		add := func(raw []byte) {
			if n > 0 {
				body = append(body, ',')
			}
			body = append(body, raw...)
			n++
		}
		if seq == 0 {
			for _, x := range extra {
				add([]byte(x))
			}
		}
		for _, e := range events {
			add(timestampRe.ReplaceAllFunc(e.Raw, func(m []byte) []byte {
				ts, _ := strconv.ParseInt(string(m[len(`"timestamp":`):]), 10, 64)
				last = max(last, ts+delta)
				return strconv.AppendInt([]byte(`"timestamp":`), ts+delta, 10)
			}))
		}
		sess.bodies = append(sess.bodies, append(body, ']', '}'))
	}
	sess.receiveAt = time.UnixMilli(last).Add(time.Minute)
	return sess
}

func custom(ts int64, tag string, payload map[string]any) string {
	b, _ := json.Marshal(map[string]any{"type": 5, "timestamp": ts, "data": map[string]any{"tag": tag, "payload": payload}})
	return string(b)
}

// store is what building an index needs of one.
type store interface {
	playhead.SessionIndex
	playhead.SessionKeyStore
	CreateProject(ctx context.Context, p *playhead.Project) error
}

// buildSQLite builds the index in dir (cached: written to a temporary
// directory, renamed when complete).
func buildSQLite(ctx context.Context, dir string, src *sources, sessions int) error {
	tmp := dir + ".tmp"
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	db, err := sqlite.Open(ctx, filepath.Join(tmp, "index.db"))
	if err != nil {
		return err
	}
	ring, _, err := keyring.Open(filepath.Join(tmp, "keyring.json"), nil)
	if err != nil {
		return err
	}
	if _, err := ingestSessions(ctx, db, ring, src, sessions); err != nil {
		db.Close()
		return err
	}
	if err := db.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "done"), nil, 0o644); err != nil {
		return err
	}
	os.RemoveAll(dir)
	return os.Rename(tmp, dir)
}

// ingestSessions ingests the sessions into db through the ingest path a
// server uses: parse, scrub, extract, encrypt, group commit. It returns
// the project they belong to.
func ingestSessions(ctx context.Context, db store, ring *keyring.Keyring, src *sources, sessions int) (*playhead.Project, error) {
	p := &playhead.Project{Name: "Bench", IngestKey: "phk_searchbench"}
	if err := db.CreateProject(ctx, p); err != nil {
		return nil, err
	}
	in := &ingest.Ingester{Index: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now },
		Keys: &keyring.DataKeys{Keyring: ring, Index: db}}
	var next, done atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range 4 * runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= sessions || failed.Load() != nil {
					return
				}
				s := src.makeSession(i)
				for _, body := range s.bodies {
					b, err := ingest.ParseBatch(body, ingest.DefaultLimits, s.receiveAt)
					if err == nil {
						_, err = in.Ingest(ctx, p, b, ingest.Origin{UserAgent: s.ua})
					}
					if err != nil {
						failed.Store(fmt.Errorf("session %d: %w", i, err))
						return
					}
				}
				if d := done.Add(1); d%(int64(sessions)/20+1) == 0 {
					log.Printf("search: built %d of %d sessions (%.0f s)", d, sessions, time.Since(start).Seconds())
				}
			}
		}()
	}
	wg.Wait()
	in.Close()
	if err, _ := failed.Load().(error); err != nil {
		return nil, err
	}
	return p, nil
}

// query is one timed query.
type query struct {
	Name  string `json:"name"`
	Query string `json:"query"`
	// Page, when set, times the page after this many first ones (its
	// cursor), not the first page.
	Page int `json:"page,omitempty"`
}

// queries are every key of the language (search.KeyNames) and combined
// queries; values are ones the generated sessions have (and some they
// have not).
func queries() []query {
	return []query{
		{"free text, common", "checkout", 0},
		{"free text, rare", `"payment declined"`, 0},
		{"free text, no match", "zzqxv", 0},
		{"free text, 2 characters", "js", 0},
		{"free text, 2 characters, no match", "qz", 0},
		{"url", "url:/checkout", 0},
		{"url wildcard", "url:https://shop.example/products/*", 0},
		{"page", "page:/pricing", 0},
		{"title", `title:"style sheets"`, 0},
		{"click", `click:"order label"`, 0},
		{"input", `input:"add a comment"`, 0},
		{"error", "error:TypeError", 0},
		{"console", `console:"order #42 failed"`, 0},
		{"console.level", "console.level:error", 0},
		{"request", "request:/api/payment", 0},
		{"request.method", "request.method:DELETE", 0},
		{"request.status", "request.status:>=500", 0},
		{"request.failed", "request.failed:true", 0},
		{"event", "event:purchase", 0},
		{"user", "user:user-42", 0},
		{"browser", "browser:firefox", 0},
		{"os", "os:ios", 0},
		{"device", "device:mobile", 0},
		{"duration", "duration:>10s", 0},
		{"pages", "pages:>=3", 0},
		{"clicks", "clicks:>5", 0},
		{"errors", "errors:>0", 0},
		{"rage", "rage:>0", 0},
		{"dead", "dead:>0", 0},
		{"errorclick", "errorclick:>0", 0},
		{"active", "active:>20s", 0},
		{"referrer", "referrer:news.ycombinator", 0},
		{"meta", "meta.plan:enterprise", 0},
		{"event.prop", "event.prop.plan:business", 0},
		{"has", "has:report", 0},
		{"backend.error", "backend.error:true", 0},
		{"started, date", "started:>2026-11-25", 0},
		{"started, ago", "started:<24h", 0},
		{"negation", "-browser:chrome errors:>0", 0},
		{"negated text", "url:/checkout -error:TypeError", 0},
		{"OR", "url:/checkout OR url:/cart", 0},
		{"parentheses", "(error:TypeError OR request.status:>=500) -device:mobile", 0},
		{"free text and keys", `"failed" console.level:error url:/checkout`, 0},
		{"rare and common", "event:coupon_applied browser:safari user:user-7", 0},
		{"page 5 of a broad search", "request.failed:true", 4},
		{"page 5 of all sessions", "", 4},
	}
}

// naive is the dialect of the naive scan: every text condition a LIKE over
// every search row, no trigram index.
type naive struct {
	param func(int) string
	ilike string
}

func (d naive) Param(n int) string                                 { return d.param(n) }
func (d naive) ILike() string                                      { return d.ilike }
func (naive) Narrow([]string, func(v any) string) (string, string) { return "", "" }
func (naive) PerSession([]string) bool                             { return false }
func (naive) PerSessionTerm(*search.Term) bool                     { return false }
func (naive) NarrowShort(string, func(any) string) (string, string, bool) {
	return "", "", false
}

// naiveLimit bounds a naive scan on PostgreSQL: without indexes, the
// count of a session's pages (pages:>=3) reads every page row for each
// session.
const naiveLimit = 10 * time.Second

// errNaiveTimeout is a naive scan stopped at naiveLimit.
var errNaiveTimeout = errors.New("naive scan stopped at its time limit")

// engine is an index under measurement: its sessions list (what the API
// runs), and a naive scan of the same data.
type engine struct {
	idx     playhead.SessionIndex
	project int64
	ring    *keyring.Keyring
	// naive runs the list's query with cond (a naive compile) and returns
	// the sessions' IDs; explain returns its plan with the index.
	naive   search.Dialect
	scan    func(ctx context.Context, where string, args []any) ([]string, error)
	count   func(ctx context.Context, cond string, args []any) (int, error)
	explain func(ctx context.Context, where string, args []any) string
	sizes   func(ctx context.Context, sessions int) (indexBytes, error)
	close   func()
}

func openSQLite(ctx context.Context, dir string, sessions int) (*engine, error) {
	db, err := sqlite.Open(ctx, filepath.Join(dir, "index.db"))
	if err != nil {
		return nil, err
	}
	ring, _, err := keyring.Open(filepath.Join(dir, "keyring.json"), nil)
	if err != nil {
		return nil, err
	}
	p, err := db.ProjectByKey(ctx, "phk_searchbench")
	if err != nil {
		return nil, err
	}
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "index.db")+"?mode=ro")
	if err != nil {
		return nil, err
	}
	list := func(where string) string {
		return `SELECT s.id FROM sessions s NOT INDEXED WHERE ` + where + ` ORDER BY s.started_at DESC, s.id DESC LIMIT 50`
	}
	return &engine{idx: db, project: p.ID, ring: ring, naive: naive{func(int) string { return "?" }, "LIKE"},
		scan: func(ctx context.Context, where string, args []any) ([]string, error) {
			return column(ctx, raw, list(where), args...)
		},
		count: func(ctx context.Context, cond string, args []any) (int, error) {
			n, err := column(ctx, raw, `SELECT count(*) FROM sessions s WHERE `+cond, args...)
			if err != nil || len(n) != 1 {
				return 0, err
			}
			return strconv.Atoi(n[0])
		},
		explain: func(ctx context.Context, where string, args []any) string {
			plan, _ := column(ctx, raw, `EXPLAIN QUERY PLAN SELECT s.id FROM sessions s WHERE `+where+` ORDER BY s.started_at DESC, s.id DESC LIMIT 50`, args...)
			return strings.Join(plan, " | ")
		},
		sizes: func(ctx context.Context, sessions int) (indexBytes, error) {
			return sizes(ctx, raw, filepath.Join(dir, "index.db"), sessions)
		},
		close: func() { raw.Close(); db.Close() },
	}, nil
}

// buildPostgres ingests the sessions into the PostgreSQL database at dsn.
// The naive scan there runs with index scans turned off.
func buildPostgres(ctx context.Context, dsn string, src *sources, sessions int) (*engine, error) {
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "searchbench-keys-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	ring, _, err := keyring.Open(filepath.Join(dir, "keyring.json"), nil)
	if err != nil {
		return nil, err
	}
	p, err := ingestSessions(ctx, db, ring, src, sessions)
	if err != nil {
		return nil, err
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, `VACUUM ANALYZE`); err != nil {
		return nil, err
	}
	strings1 := func(rows pgx.Rows, err error) ([]string, error) {
		if err != nil {
			return nil, err
		}
		return pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
			var v any
			if err := r.Scan(&v); err != nil {
				return "", err
			}
			return fmt.Sprint(v), nil
		})
	}
	naiveScan := func(ctx context.Context, q string, args []any) ([]string, error) {
		tx, err := conn.Begin(ctx)
		if err != nil {
			return nil, err
		}
		defer tx.Rollback(ctx)
		for _, set := range []string{"enable_indexscan = off", "enable_bitmapscan = off", "enable_indexonlyscan = off",
			fmt.Sprintf("statement_timeout = %d", naiveLimit.Milliseconds())} {
			if _, err := tx.Exec(ctx, "SET LOCAL "+set); err != nil {
				return nil, err
			}
		}
		ids, err := strings1(tx.Query(ctx, q, args...))
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "57014" { // query_canceled: the timeout
			return nil, errNaiveTimeout
		}
		return ids, err
	}
	return &engine{idx: db, project: p.ID, ring: ring, naive: naive{func(n int) string { return "$" + strconv.Itoa(n) }, "ILIKE"},
		scan: func(ctx context.Context, where string, args []any) ([]string, error) {
			return naiveScan(ctx, `SELECT s.id FROM sessions s WHERE `+where+` ORDER BY s.started_at DESC, s.id DESC LIMIT 50`, args)
		},
		count: func(ctx context.Context, cond string, args []any) (int, error) {
			var n int
			err := conn.QueryRow(ctx, `SELECT count(*) FROM sessions s WHERE `+cond, args...).Scan(&n)
			return n, err
		},
		explain: func(ctx context.Context, where string, args []any) string {
			plan, _ := strings1(conn.Query(ctx, `EXPLAIN SELECT s.id FROM sessions s WHERE `+where+` ORDER BY s.started_at DESC, s.id DESC LIMIT 50`, args...))
			return strings.Join(plan, " | ")
		},
		sizes: func(ctx context.Context, sessions int) (indexBytes, error) {
			out := indexBytes{ByTable: map[string]int64{}, Measurement: "PostgreSQL pg_total_relation_size (tables with their indexes and TOAST)"}
			for _, t := range []string{"session_search", "session_carry", "sessions", "session_pages"} {
				var n int64
				if err := conn.QueryRow(ctx, `SELECT pg_total_relation_size($1::regclass)`, t).Scan(&n); err != nil {
					return out, err
				}
				out.ByTable[t] = n
			}
			conn.QueryRow(ctx, `SELECT pg_database_size(current_database())`).Scan(&out.File)
			conn.QueryRow(ctx, `SELECT count(*) FROM session_search`).Scan(&out.SearchRows)
			out.Search = out.ByTable["session_search"] + out.ByTable["session_carry"]
			out.Summaries = out.ByTable["sessions"] + out.ByTable["session_pages"]
			out.PerSession = float64(out.File) / float64(sessions)
			out.SearchPer = float64(out.Search) / float64(sessions)
			out.SummaryPer = float64(out.Summaries) / float64(sessions)
			return out, nil
		},
		close: func() { conn.Close(context.Background()); db.Close() },
	}, nil
}

// results are the figures of a run.
type results struct {
	Index        string      `json:"index"` // sqlite or postgres
	Sessions     int         `json:"sessions"`
	Machine      string      `json:"machine"`
	CacheKey     string      `json:"cacheKey"`
	Cached       bool        `json:"cached"`
	BuildSeconds float64     `json:"buildSeconds,omitempty"`
	Bytes        indexBytes  `json:"bytes"`
	TargetMs     float64     `json:"targetMs"`
	Queries      []queryTime `json:"queries"`
}

type indexBytes struct {
	File        int64            `json:"file"`
	Search      int64            `json:"search"` // session_search, its indexes, the trigram index and the carried state
	Summaries   int64            `json:"summaries"`
	PerSession  float64          `json:"filePerSession"`
	SearchPer   float64          `json:"searchPerSession"`
	SummaryPer  float64          `json:"summaryPerSession"`
	SearchRows  int64            `json:"searchRows"`
	ByTable     map[string]int64 `json:"byTable"`
	Measurement string           `json:"measurement"`
}

type queryTime struct {
	query
	P50      float64 `json:"p50Ms"`
	P95      float64 `json:"p95Ms"`
	NaiveP50 float64 `json:"naiveP50Ms"`
	// NaiveTimedOut says the naive scan ran past naiveLimit (NaiveP50 is
	// the limit).
	NaiveTimedOut bool   `json:"naiveTimedOut,omitempty"`
	Found         int    `json:"found"` // sessions on the page timed
	Matches       int    `json:"matches"`
	Met           bool   `json:"met"`
	Plan          string `json:"plan,omitempty"`
	Mismatch      string `json:"mismatch,omitempty"`
}

func measure(ctx context.Context, e *engine, res *results, runs, naiveRuns int) error {
	var err error
	if res.Bytes, err = e.sizes(ctx, res.Sessions); err != nil {
		return err
	}
	res.TargetMs = float64(targetP95.Milliseconds())
	for _, q := range queries() {
		x, err := search.Parse(q.Query)
		if err != nil {
			return fmt.Errorf("query %q: %w", q.Query, err)
		}
		search.MapUsers(x, func(id string) string { return e.ring.UserHash(e.project, id) })
		f := playhead.SessionFilter{ProjectID: e.project, Query: x, Limit: 50, Now: now}
		// The cursor of the page timed.
		for range q.Page {
			_, next, err := e.idx.Sessions(ctx, f)
			if err != nil {
				return err
			}
			f.Before = next
		}
		var times []time.Duration
		var list []*playhead.Session
		for k := range runs + 1 {
			t0 := time.Now()
			list, _, err = e.idx.Sessions(ctx, f)
			if err != nil {
				return fmt.Errorf("query %q: %w", q.Query, err)
			}
			if k > 0 {
				times = append(times, time.Since(t0))
			}
		}
		qt := queryTime{query: q, P50: ms(pct(times, 50)), P95: ms(pct(times, 95)), Found: len(list)}
		qt.Met = pct(times, 95) <= targetP95
		// The naive scan of the same page: the same conditions over every
		// row, which also checks the answer.
		cond, args := search.ToSQL(x, e.naive, e.project, now, []any{e.project})
		where := "s.project_id = " + e.naive.Param(1) + " AND (" + cond + ")"
		countArgs := slices.Clone(args)
		if f.Before != "" {
			ts, id, _ := strings.Cut(f.Before, ":")
			n, _ := strconv.ParseInt(ts, 10, 64)
			k := len(args)
			where += fmt.Sprintf(" AND (s.started_at < %s OR (s.started_at = %s AND s.id < %s))", e.naive.Param(k+1), e.naive.Param(k+2), e.naive.Param(k+3))
			args = append(args, n, n, id)
		}
		var naiveTimes []time.Duration
		var ids []string
		for range naiveRuns {
			t0 := time.Now()
			ids, err = e.scan(ctx, where, args)
			if errors.Is(err, errNaiveTimeout) {
				qt.NaiveTimedOut, ids = true, nil
				naiveTimes = []time.Duration{naiveLimit}
				break
			}
			if err != nil {
				return fmt.Errorf("naive scan of %q: %w", q.Query, err)
			}
			naiveTimes = append(naiveTimes, time.Since(t0))
		}
		qt.NaiveP50 = ms(pct(naiveTimes, 50))
		var got []string
		for _, s := range list {
			got = append(got, s.ID)
		}
		if !qt.NaiveTimedOut && !slices.Equal(got, ids) {
			qt.Mismatch = fmt.Sprintf("index found %d sessions, the naive scan %d", len(got), len(ids))
		}
		if qt.Matches, err = e.count(ctx, "s.project_id = "+e.naive.Param(1)+" AND ("+cond+")", countArgs); err != nil {
			return fmt.Errorf("count %q: %w", q.Query, err)
		}
		if !qt.Met {
			qt.Plan = e.explain(ctx, where, args)
		}
		res.Queries = append(res.Queries, qt)
		log.Printf("search: %-34s p50 %7.1f ms  p95 %7.1f ms  naive %8.1f ms", q.Name, qt.P50, qt.P95, qt.NaiveP50)
	}
	return nil
}

// sizes reads how many bytes the index's tables take (SQLite's dbstat).
func sizes(ctx context.Context, db *sql.DB, path string, sessions int) (indexBytes, error) {
	out := indexBytes{ByTable: map[string]int64{}, Measurement: "SQLite dbstat: pages of each table and index"}
	if fi, err := os.Stat(path); err == nil {
		out.File = fi.Size()
	}
	rows, err := db.QueryContext(ctx, `SELECT name, sum(pgsize) FROM dbstat GROUP BY name`)
	if err != nil {
		return out, fmt.Errorf("read table sizes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			return out, err
		}
		out.ByTable[name] = n
	}
	if err := rows.Err(); err != nil {
		return out, err
	}
	for name, n := range out.ByTable {
		switch {
		case strings.HasPrefix(name, "session_search") || strings.Contains(name, "_session_search_") ||
			strings.HasPrefix(name, "session_carry") || strings.Contains(name, "_session_carry_"):
			out.Search += n
		case name == "sessions" || strings.HasPrefix(name, "sessions_") || strings.Contains(name, "_sessions_") ||
			name == "session_pages" || strings.Contains(name, "session_pages"):
			out.Summaries += n
		}
	}
	var rowsN []string
	if rowsN, err = column(ctx, db, `SELECT count(*) FROM session_search`); err == nil && len(rowsN) == 1 {
		out.SearchRows, _ = strconv.ParseInt(rowsN[0], 10, 64)
	}
	out.PerSession = float64(out.File) / float64(sessions)
	out.SearchPer = float64(out.Search) / float64(sessions)
	out.SummaryPer = float64(out.Summaries) / float64(sessions)
	return out, nil
}

func column(ctx context.Context, db *sql.DB, q string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		// EXPLAIN QUERY PLAN's detail is its last column.
		out = append(out, fmt.Sprint(vals[len(vals)-1]))
	}
	return out, rows.Err()
}

func pct(xs []time.Duration, p int) time.Duration {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.SortFunc(s, cmp.Compare)
	i := (len(s)*p + 99) / 100
	return s[min(max(i-1, 0), len(s)-1)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (r *results) print(w io.Writer) {
	fmt.Fprintf(w, "search over %d sessions (%s); index %.0f bytes/session, of which search %.0f, summaries %.0f\n",
		r.Sessions, map[bool]string{true: "cached index", false: fmt.Sprintf("built in %.0f s", r.BuildSeconds)}[r.Cached],
		r.Bytes.PerSession, r.Bytes.SearchPer, r.Bytes.SummaryPer)
	fmt.Fprintf(w, "%-28s %-58s %9s %9s %10s %8s  %s\n", "query", "", "p50 ms", "p95 ms", "naive ms", "matches", "p95 ≤ 50 ms")
	for _, q := range r.Queries {
		status := "met"
		if !q.Met {
			status = "MISSED"
		}
		if q.Mismatch != "" {
			status += " (" + q.Mismatch + ")"
		}
		fmt.Fprintf(w, "%-28s %-58s %9.1f %9.1f %10.1f %8d  %s\n", q.Name, q.Query, q.P50, q.P95, q.NaiveP50, q.Matches, status)
	}
}
