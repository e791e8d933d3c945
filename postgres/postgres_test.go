package postgres_test

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/indextest"
	"github.com/playhead/playhead/internal/testservers"
	"github.com/playhead/playhead/postgres"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testservers.StopPostgreSQL()
	os.Exit(code)
}

// open opens the index at dsn for the rest of the test.
func open(t *testing.T, dsn string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// sql runs one statement on dsn's database, outside the index.
func sql(t *testing.T, dsn, query string, args ...any) pgx.Rows {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	rows, err := conn.Query(t.Context(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return rows
}

func TestIndex(t *testing.T) {
	indextest.Run(t, func(t *testing.T) indextest.Index { return open(t, testservers.PostgreSQL(t)) })
}

func TestStores(t *testing.T) {
	indextest.RunStores(t, func(t *testing.T) playhead.Index { return open(t, testservers.PostgreSQL(t)) })
	indextest.RunRepro(t, func(t *testing.T) playhead.Index { return open(t, testservers.PostgreSQL(t)) })
}

func TestSearch(t *testing.T) {
	indextest.RunSearch(t, func(t *testing.T) indextest.Index { return open(t, testservers.PostgreSQL(t)) })
}

func TestSearchTools(t *testing.T) {
	indextest.RunSearchTools(t, func(t *testing.T) indextest.Index { return open(t, testservers.PostgreSQL(t)) })
}

var now = time.UnixMilli(1_800_000_000_000)

func newProject(t *testing.T, db *postgres.DB) *playhead.Project {
	t.Helper()
	p := &playhead.Project{Name: "Shop", IngestKey: "phk_" + t.Name()}
	if err := db.CreateProject(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMigrations(t *testing.T) {
	dsn := testservers.PostgreSQL(t)
	versions := func() []int {
		v, err := pgx.CollectRows(sql(t, dsn, `SELECT version FROM schema_migrations ORDER BY version`), pgx.RowTo[int])
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	db, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	p := newProject(t, db)
	db.Close()
	applied := versions()
	if len(applied) == 0 || applied[0] != 1 {
		t.Fatalf("schema_migrations after the first open = %v", applied)
	}

	// Reopening applies nothing and keeps the data.
	db = open(t, dsn)
	if got := versions(); len(got) != len(applied) {
		t.Fatalf("schema_migrations after reopening = %v, want %v", got, applied)
	}
	if list, err := db.Projects(t.Context()); err != nil || len(list) != 1 || list[0].ID != p.ID {
		t.Fatalf("Projects after reopening = %v, %v", list, err)
	}
	db.Close()

	// A schema from a newer Playhead is refused, naming both versions.
	newer := len(applied) + 5
	sql(t, dsn, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, 0)`, newer).Close()
	_, err = postgres.Open(t.Context(), dsn)
	want := fmt.Sprintf("the database schema is at version %d, newer than this Playhead knows (version %d)", newer, len(applied))
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Open of a newer schema: err = %v, want %q", err, want)
	}
}

func TestConcurrentOpensMigrateOnce(t *testing.T) {
	dsn := testservers.PostgreSQL(t)
	const nodes = 6
	errs := make(chan error, nodes)
	var wg sync.WaitGroup
	for range nodes {
		wg.Go(func() {
			db, err := postgres.Open(t.Context(), dsn)
			if err == nil {
				db.Close()
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a node starting beside others: %v", err)
		}
	}
	var n, distinct int
	rows := sql(t, dsn, `SELECT count(*), count(DISTINCT version) FROM schema_migrations`)
	if _, err := pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (int, error) { return 0, row.Scan(&n, &distinct) }); err != nil {
		t.Fatal(err)
	}
	if n == 0 || n != distinct {
		t.Fatalf("schema_migrations holds %d rows for %d versions", n, distinct)
	}
}

func TestOpenErrorsNameTheProblem(t *testing.T) {
	dsn := testservers.PostgreSQL(t)
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Skipf("the DSN %s is not a URL; these cases need one", os.Getenv(testservers.PostgreSQLEnv))
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := l.Addr().(*net.TCPAddr).Port
	l.Close()

	const secret = "not-the-password-7Hq2"
	wrongPassword := *u
	wrongPassword.User = url.UserPassword(u.User.Username(), secret)
	unreachable := *u
	unreachable.User = url.UserPassword(u.User.Username(), secret)
	unreachable.Host = fmt.Sprintf("127.0.0.1:%d", closedPort)
	missing := *u
	missing.Path = "/playhead_no_such_database"

	for _, tc := range []struct {
		name, dsn string
		want      []string
	}{
		{"wrong password", wrongPassword.String(), []string{"cannot connect to PostgreSQL at " + u.Host, "authentication failed for user"}},
		{"unreachable", unreachable.String(), []string{fmt.Sprintf("cannot connect to PostgreSQL at 127.0.0.1:%d", closedPort), "server unreachable", "refused"}},
		{"missing database", missing.String(), []string{"cannot connect to PostgreSQL at " + u.Host, `database "playhead_no_such_database" does not exist`}},
		{"bad DSN", "postgres://user:" + secret + "@127.0.0.1:notaport/db", []string{"PostgreSQL DSN"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			db, err := postgres.Open(ctx, tc.dsn)
			if err == nil {
				db.Close()
				if tc.name == "wrong password" {
					t.Skip("the server lets this user in without checking its password")
				}
				t.Fatal("Open succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %q, want it to say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("err = %q shows the password", err)
			}
		})
	}
}

// ingestLike is the part of ingest's decision that matters to concurrency:
// batches stored already are skipped, the others are added to their
// session's stored totals.
func ingestLike(batches []*playhead.IndexedBatch, now time.Time) func(*playhead.GroupState) (*playhead.GroupWrite, error) {
	return func(st *playhead.GroupState) (*playhead.GroupWrite, error) {
		w := &playhead.GroupWrite{Now: now}
		sums := map[playhead.SessionRef]*playhead.Session{}
		for _, b := range batches {
			id := playhead.BatchID{ProjectID: b.ProjectID, SessionID: b.SessionID, Seq: b.Ref.Seq}
			if st.Stored[id] {
				continue
			}
			st.Stored[id] = true
			ref := id.Session()
			s := sums[ref]
			if s == nil {
				if s = st.Sessions[ref]; s == nil {
					s = &playhead.Session{ProjectID: b.ProjectID, ID: b.SessionID, StartedAt: b.Ref.FirstTs, EndedAt: b.Ref.LastTs}
				}
				sums[ref] = s
				w.Sessions = append(w.Sessions, s)
			}
			s.StartedAt, s.EndedAt = min(s.StartedAt, b.Ref.FirstTs), max(s.EndedAt, b.Ref.LastTs)
			s.Batches++
			s.Events += b.Ref.Events
			s.Bytes += int64(b.Ref.Bytes)
			s.Clicks += b.Clicks
			w.Batches = append(w.Batches, b)
		}
		if len(w.Batches) == 0 {
			return nil, nil
		}
		return w, nil
	}
}

func TestWriteGroupAcrossNodes(t *testing.T) {
	dsn := testservers.PostgreSQL(t)
	nodes := []*postgres.DB{open(t, dsn), open(t, dsn)}
	p := newProject(t, nodes[0])
	const seqs, groupSize = 120, 4
	sessions := []string{"s1", "s2", "s3", "s4"}
	// Both nodes receive every batch of four sessions (an SDK retrying
	// through the load balancer), two writers each, in groups that hold
	// batches of every session: one node goes through the sequence
	// numbers forwards, the other backwards, and one writer of each node
	// lists the sessions in reverse, so that groups overlap in every order.
	var wg sync.WaitGroup
	for n, db := range nodes {
		for w := range 2 {
			order := slices.Clone(sessions)
			if w == 1 {
				slices.Reverse(order)
			}
			wg.Go(func() {
				for start := 0; start < seqs; start += groupSize {
					var group []*playhead.IndexedBatch
					var ids []playhead.BatchID
					for i := start; i < start+groupSize; i++ {
						seq := i
						if n == 1 {
							seq = seqs - 1 - i
						}
						for _, sid := range order {
							b := &playhead.IndexedBatch{ProjectID: p.ID, SessionID: sid, Data: []byte{byte(seq)}, Clicks: 1,
								Ref: playhead.BatchRef{Seq: seq, FirstTs: int64(seq * 10), LastTs: int64(seq*10 + 5), Events: 3, Bytes: 7}}
							group = append(group, b)
							ids = append(ids, playhead.BatchID{ProjectID: p.ID, SessionID: sid, Seq: seq})
						}
					}
					if err := db.WriteGroup(t.Context(), ids, ingestLike(group, now)); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	for _, sid := range sessions {
		s, err := nodes[1].Session(t.Context(), p.ID, sid)
		if err != nil {
			t.Fatal(err)
		}
		if s.Batches != seqs || s.Events != 3*seqs || s.Bytes != 7*seqs || s.Clicks != seqs || s.StartedAt != 0 || s.EndedAt != (seqs-1)*10+5 {
			t.Errorf("session %s = %+v, want every batch counted once", sid, s)
		}
		refs, err := nodes[0].Batches(t.Context(), p.ID, sid)
		if err != nil || len(refs) != seqs {
			t.Errorf("%s: %d batches stored, %v; want %d", sid, len(refs), err, seqs)
		}
	}
}

func TestWriteGroupOfManyBatches(t *testing.T) {
	db := open(t, testservers.PostgreSQL(t))
	p := newProject(t, db)
	var group []*playhead.IndexedBatch
	var ids []playhead.BatchID
	for i := range 512 {
		sid := fmt.Sprintf("s%03d", i%64)
		b := &playhead.IndexedBatch{ProjectID: p.ID, SessionID: sid, Data: make([]byte, 2048), Pages: []string{"/", "/cart"},
			Timeline:  []playhead.TimelineEntry{{Ts: int64(i), Kind: playhead.KindClick, Label: "Buy"}, {Ts: int64(i), Kind: playhead.KindConsole, Label: "log"}},
			Scrubbed:  map[string]int{"email": 1},
			AssetURLs: []string{"https://shop.example/app.css"},
			Ref:       playhead.BatchRef{Seq: i / 64, FirstTs: int64(i), LastTs: int64(i + 1), Events: 1, Bytes: 2048}}
		group = append(group, b)
		ids = append(ids, playhead.BatchID{ProjectID: p.ID, SessionID: sid, Seq: b.Ref.Seq})
	}
	if err := db.WriteGroup(t.Context(), ids, ingestLike(group, now)); err != nil {
		t.Fatal(err)
	}
	s, err := db.Session(t.Context(), p.ID, "s005")
	if err != nil || s.Batches != 8 || len(s.Pages) != 2 {
		t.Fatalf("session = %+v, %v", s, err)
	}
	if tl, _ := db.Timeline(t.Context(), p.ID, "s005"); len(tl) != 16 || tl[0].Kind != playhead.KindClick || tl[1].Kind != playhead.KindConsole {
		t.Errorf("timeline = %+v, want 16 entries, each batch's in order", tl)
	}
	if c, _ := db.ScrubCounts(t.Context(), p.ID); c["email"] != 512 {
		t.Errorf("ScrubCounts = %v", c)
	}
	if a, _ := db.Assets(t.Context(), p.ID, 10); len(a) != 1 {
		t.Errorf("Assets = %+v, want the stylesheet once", a)
	}
}

func TestClaimsAcrossNodes(t *testing.T) {
	dsn := testservers.PostgreSQL(t)
	a, b := open(t, dsn), open(t, dsn)
	p := newProject(t, a)
	ctx := t.Context()
	for i := range 3 {
		if err := a.CreateWebhook(ctx, &playhead.Webhook{ProjectID: p.ID, URL: fmt.Sprintf("https://hooks.example/%d", i), Secret: "s"}); err != nil {
			t.Fatal(err)
		}
	}
	const sessions = 40
	var urls []string
	for i := range sessions {
		sid := fmt.Sprintf("s%d", i)
		err := a.WriteGroup(ctx, []playhead.BatchID{{ProjectID: p.ID, SessionID: sid}}, func(*playhead.GroupState) (*playhead.GroupWrite, error) {
			return &playhead.GroupWrite{Now: now,
				Batches:  []*playhead.IndexedBatch{{ProjectID: p.ID, SessionID: sid, Data: []byte("x"), Ref: playhead.BatchRef{Bytes: 1}}},
				Sessions: []*playhead.Session{{ProjectID: p.ID, ID: sid, Batches: 1}},
				Events:   []playhead.WebhookEvent{{ProjectID: p.ID, Event: playhead.EventFirstError, SessionID: sid}},
			}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		urls = append(urls, fmt.Sprintf("https://shop.example/%d.png", i))
	}
	if err := a.AddAssetURLs(ctx, p.ID, urls, now); err != nil {
		t.Fatal(err)
	}

	// claimAll has both nodes claim, in small bites and at once (perNode
	// claimers each), until nothing is left; it returns how often each
	// item was handed out.
	claimAll := func(t *testing.T, perNode int, claim func(db *postgres.DB) ([]string, error)) map[string]int {
		t.Helper()
		var mu sync.Mutex
		got := map[string]int{}
		var wg sync.WaitGroup
		for _, db := range []*postgres.DB{a, b} {
			for range perNode {
				wg.Go(func() {
					for {
						items, err := claim(db)
						if err != nil {
							t.Error(err)
							return
						}
						if len(items) == 0 {
							return
						}
						mu.Lock()
						for _, it := range items {
							got[it]++
						}
						mu.Unlock()
					}
				})
			}
		}
		wg.Wait()
		return got
	}
	once := func(t *testing.T, got map[string]int, want int) {
		t.Helper()
		for it, n := range got {
			if n != 1 {
				t.Errorf("%s handed out %d times", it, n)
			}
		}
		if len(got) != want {
			t.Errorf("%d items handed out, want %d", len(got), want)
		}
	}

	t.Run("DueDeliveries", func(t *testing.T) {
		got := claimAll(t, 3, func(db *postgres.DB) ([]string, error) {
			due, err := db.DueDeliveries(ctx, now, 4)
			var ids []string
			for _, d := range due {
				ids = append(ids, fmt.Sprint(d.ID))
			}
			return ids, err
		})
		once(t, got, 3*sessions)
		// A dead node's claims lapse: past the lease, they are due again.
		if due, _ := b.DueDeliveries(ctx, now.Add(time.Minute), 1000); len(due) != 0 {
			t.Errorf("%d claimed deliveries due again within the lease", len(due))
		}
		if due, _ := b.DueDeliveries(ctx, now.Add(10*time.Minute), 1000); len(due) != 3*sessions {
			t.Errorf("%d deliveries due again after the lease, want %d", len(due), 3*sessions)
		}
	})

	t.Run("DueAssets", func(t *testing.T) {
		got := claimAll(t, 3, func(db *postgres.DB) ([]string, error) {
			due, err := db.DueAssets(ctx, now, 3)
			var list []string
			for _, a := range due {
				list = append(list, a.URL)
			}
			return list, err
		})
		once(t, got, sessions)
		if due, _ := a.DueAssets(ctx, now.Add(10*time.Minute), 1000); len(due) != sessions {
			t.Errorf("%d assets due again after the lease, want %d", len(due), sessions)
		}
	})

	t.Run("PendingRuns", func(t *testing.T) {
		policy := playhead.SealPolicy{Idle: time.Hour, MaxAge: time.Hour, MaxBytes: 1}
		// One sealer per node, which seals what it claimed: a node gets
		// its own claims back until then.
		got := claimAll(t, 1, func(db *postgres.DB) ([]string, error) {
			runs, err := db.PendingRuns(ctx, policy, now, 5)
			var list []string
			for _, r := range runs {
				list = append(list, r.SessionID)
				if err := db.MarkSealed(ctx, r.ProjectID, r.SessionID, "chunk-"+r.SessionID, map[int]int{0: 0}); err != nil {
					return nil, err
				}
			}
			return list, err
		})
		once(t, got, sessions)

		// A claim keeps the other node off until the session is sealed or
		// the lease has passed.
		for _, sid := range []string{"late1", "late2"} {
			err := a.WriteGroup(ctx, []playhead.BatchID{{ProjectID: p.ID, SessionID: sid}}, func(*playhead.GroupState) (*playhead.GroupWrite, error) {
				return &playhead.GroupWrite{Now: now,
					Batches:  []*playhead.IndexedBatch{{ProjectID: p.ID, SessionID: sid, Data: []byte("x"), Ref: playhead.BatchRef{Bytes: 1}}},
					Sessions: []*playhead.Session{{ProjectID: p.ID, ID: sid, Batches: 1}}}, nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		sessionsOf := func(runs []playhead.PendingRun, err error) string {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, r := range runs {
				ids = append(ids, r.SessionID)
			}
			slices.Sort(ids)
			return strings.Join(ids, " ")
		}
		if got := sessionsOf(a.PendingRuns(ctx, policy, now, 10)); got != "late1 late2" {
			t.Fatalf("node a claims %q, want late1 late2", got)
		}
		if got := sessionsOf(a.PendingRuns(ctx, policy, now, 10)); got != "late1 late2" {
			t.Errorf("node a asking again gets %q, want its claims back", got)
		}
		if got := sessionsOf(b.PendingRuns(ctx, policy, now, 10)); got != "" {
			t.Errorf("node b gets %q while node a holds them", got)
		}
		// Node a seals nothing of late1 but is done with it.
		if err := a.MarkSealed(ctx, p.ID, "late1", "chunk", map[int]int{}); err != nil {
			t.Fatal(err)
		}
		if got := sessionsOf(b.PendingRuns(ctx, policy, now, 10)); got != "late1" {
			t.Errorf("node b gets %q once node a is done with late1, want late1", got)
		}
		if got := sessionsOf(b.PendingRuns(ctx, policy, now.Add(10*time.Minute), 10)); got != "late1 late2" {
			t.Errorf("node b gets %q once node a's lease on late2 has passed, want both", got)
		}
	})

	t.Run("ExpiredSessions", func(t *testing.T) {
		// One retention loop per node: a node gets its own claims back,
		// so two loops of one node could erase a session twice.
		later := now.Add(31 * 24 * time.Hour)
		got := claimAll(t, 1, func(db *postgres.DB) ([]string, error) {
			refs, err := db.ExpiredSessions(ctx, later, 5)
			var list []string
			for _, r := range refs {
				list = append(list, r.SessionID)
			}
			if len(list) > 0 {
				// Erase them, as the retention loop does.
				for _, r := range refs {
					if _, err := db.DeleteSession(ctx, r.ProjectID, r.SessionID, nil); err != nil {
						return nil, err
					}
				}
			}
			return list, err
		})
		once(t, got, sessions+2) // and late1, late2
	})
}

func TestTextPostgreSQLRefusesIsStoredReplaced(t *testing.T) {
	db := open(t, testservers.PostgreSQL(t))
	p := newProject(t, db)
	b := &playhead.IndexedBatch{ProjectID: p.ID, SessionID: "s1", UserAgent: "bad\xffagent",
		Pages:    []string{"https://shop.example/\x00"},
		Timeline: []playhead.TimelineEntry{{Ts: 1, Kind: playhead.KindConsole, Label: "a\x00b", Detail: []byte(`{"m":"\u0000"}`)}}}
	w := &playhead.GroupWrite{Now: now, Batches: []*playhead.IndexedBatch{b},
		Sessions: []*playhead.Session{{ProjectID: p.ID, ID: "s1", UserAgent: b.UserAgent, Batches: 1}}}
	if err := db.WriteGroup(t.Context(), []playhead.BatchID{{ProjectID: p.ID, SessionID: "s1"}}, func(*playhead.GroupState) (*playhead.GroupWrite, error) { return w, nil }); err != nil {
		t.Fatal(err)
	}
	s, err := db.Session(t.Context(), p.ID, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if s.UserAgent != "bad\uFFFDagent" || s.FirstURL != "https://shop.example/\uFFFD" {
		t.Errorf("session = %+v", s)
	}
	tl, err := db.Timeline(t.Context(), p.ID, "s1")
	if err != nil || len(tl) != 1 || tl[0].Label != "a\uFFFDb" || string(tl[0].Detail) != `{"m":"\u0000"}` {
		t.Errorf("timeline = %+v, %v", tl, err)
	}
	if _, err := db.Session(t.Context(), p.ID, "no\xff"); playhead.ErrorCode(err) != playhead.ENOTFOUND {
		t.Errorf("looking up an ID PostgreSQL cannot hold: err = %v, want ENOTFOUND", err)
	}
}

func TestUsers(t *testing.T) {
	indextest.RunUsers(t, func(t *testing.T) playhead.Index { return open(t, testservers.PostgreSQL(t)) })
}
