package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/app"
	"github.com/playhead/playhead/internal/testservers"
	"github.com/playhead/playhead/objects"
	"github.com/playhead/playhead/postgres"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testservers.StopPostgreSQL()
	os.Exit(code)
}

// movedSessions are the sessions sourceInstall records: one sealed then
// continued (a sealed first batch, a pending last one), one pending only,
// one sealed whole with an error and a bug report.
var movedSessions = []string{"movesession00001", "movesession00002", "movesession00003"}

// sourceInstall records sessions in an embedded Playhead (SQLite and a
// local directory) with a webhook, a report, a queued delivery, backend
// records and player checkpoints, stops it, and returns its configuration
// and the events the API served for each session.
func sourceInstall(t *testing.T) (app.Config, map[string]string) {
	t.Helper()
	m := start(t)
	c := loggedIn(t, m)
	ctx := t.Context()
	ingest := "/api/v1/ingest?k=" + m.Project.IngestKey
	scenario{method: "POST", path: "/api/v1/webhooks", body: []byte(`{"url":"http://127.0.0.1:9/hook"}`), login: true, wantStatus: 201}.run(t, m, c)

	now := time.Now().UnixMilli()
	a, b, r := movedSessions[0], movedSessions[1], movedSessions[2]
	for seq := range 3 {
		scenario{method: "POST", path: ingest, body: markedBatch(a, seq, now+int64(seq)*1000), wantStatus: 200}.run(t, m, nil)
	}
	if n, err := m.Recordings.Seal(ctx, m.Project.ID, a); err != nil || n == 0 {
		t.Fatalf("Seal(%s) = %d, %v", a, n, err)
	}
	scenario{method: "POST", path: ingest, body: markedBatch(a, 3, now+3000), wantStatus: 200}.run(t, m, nil)
	for seq := range 2 {
		scenario{method: "POST", path: ingest, body: batch(b, seq, now+int64(seq)*1000), wantStatus: 200}.run(t, m, nil)
	}
	report := fmt.Sprintf(`{"v":1,"sid":%q,"seq":0,"events":[
		{"type":4,"timestamp":%d,"data":{"href":"https://shop.example/cart","width":800,"height":600}},
		{"type":5,"timestamp":%d,"data":{"tag":"playhead.error","payload":{"kind":"error","message":"TypeError: price is undefined"}}},
		{"type":5,"timestamp":%d,"data":{"tag":"playhead.report","payload":{"text":"The cart total is wrong","email":"ada@example.com"}}}]}`,
		r, now, now+500, now+900)
	scenario{method: "POST", path: ingest, body: []byte(report), wantStatus: 200}.run(t, m, nil)
	if _, err := m.Recordings.Seal(ctx, m.Project.ID, r); err != nil {
		t.Fatal(err)
	}
	if err := m.Recordings.StoreCheckpoints(ctx, m.Project.ID, a, []byte(`{"v":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := m.DB.AddBackendRecords(ctx, m.Project.ID, []playhead.BackendRecord{
		{SessionID: r, Kind: "span", Service: "shop", TraceID: "0af7651916cd43dd8448eb211c80319c", SpanID: "b7ad6b7169203331", Name: "POST /pay", StartMs: now, EndMs: now + 40, Status: "error"},
	}); err != nil {
		t.Fatal(err)
	}

	served := map[string]string{}
	for _, sid := range movedSessions {
		status, body := events(t, c, m, sid)
		if status != 200 {
			t.Fatalf("events of %s: %d %.200s", sid, status, body)
		}
		served[sid] = body
	}
	if err := m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	return m.Config, served
}

// TestMigrateStorageToPostgreSQLAndS3 moves an embedded install to
// PostgreSQL and S3, then serves it from there: every session replays with
// the events it had, the account, webhook, report and backend records came
// along, and rows added later get new ids.
func TestMigrateStorageToPostgreSQLAndS3(t *testing.T) {
	from, served := sourceInstall(t)
	dsn, srv := testservers.PostgreSQL(t), testservers.S3(t)
	srv.SetEnv(t)

	var out, progress bytes.Buffer
	if err := app.MigrateStorage(t.Context(), from, app.StorageMove{Index: dsn, Objects: srv.URL}, &out, &progress); err != nil {
		t.Fatalf("MigrateStorage: %v\n%s\n%s", err, out.String(), progress.String())
	}
	t.Logf("progress:\n%s\nsummary:\n%s", progress.String(), out.String())
	for _, want := range []string{"table projects", "table batches", "objects: ", "sessions read back at their first and last batch: 3", "no differences", "keyring.json"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(progress.String(), "copying objects: ") {
		t.Errorf("progress lacks the objects step:\n%s", progress.String())
	}

	m := &app.Main{Config: app.Config{Addr: "127.0.0.1:0", DataDir: from.DataDir, Index: dsn, Objects: srv.URL, Demo: "false", LogLevel: "error"}, Stderr: io.Discard}
	if err := m.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(context.Background()) })
	c := loggedIn(t, m) // the admin account and its password came along
	for _, sid := range movedSessions {
		if status, body := events(t, c, m, sid); status != 200 || body != served[sid] {
			t.Errorf("events of %s on the target: %d\n%.300s\nwant\n%.300s", sid, status, body, served[sid])
		}
	}
	scenario{method: "GET", path: "/api/v1/reports", login: true, wantStatus: 200,
		want: []string{`"sessionId":"movesession00003"`, `"contact":"ada@example.com"`}}.run(t, m, c)
	scenario{method: "GET", path: "/api/v1/webhooks", login: true, wantStatus: 200, want: []string{`"id":1`, "127.0.0.1:9/hook"}}.run(t, m, c)
	scenario{method: "GET", path: "/api/v1/webhooks/1/deliveries", login: true, wantStatus: 200, want: []string{"movesession00003"}}.run(t, m, c)
	records, err := m.DB.BackendRecords(t.Context(), m.Project.ID, movedSessions[2], 10)
	if err != nil || len(records) != 1 || records[0].Name != "POST /pay" {
		t.Errorf("backend records on the target: %+v, %v", records, err)
	}
	// A webhook created now gets the id after the copied one.
	scenario{method: "POST", path: "/api/v1/webhooks", body: []byte(`{"url":"http://127.0.0.1:9/other"}`), login: true, wantStatus: 201, want: []string{`"id":2`}}.run(t, m, c)
	// And the moved install records.
	scenario{method: "POST", path: "/api/v1/ingest?k=" + m.Project.IngestKey, body: markedBatch(movedSessions[0], 4, time.Now().UnixMilli()), wantStatus: 200}.run(t, m, nil)
	if status, body := events(t, c, m, movedSessions[0]); status != 200 || strings.Count(body, marker) != 5 {
		t.Errorf("events after a new batch: %d %.200s", status, body)
	}
}

// TestMigrateStoragePostgreSQLToPostgreSQL moves an index from one
// PostgreSQL database to another, the recordings staying in the data
// directory: ids PostgreSQL generates (timeline, backend records) come
// along, and the moved install replays.
func TestMigrateStoragePostgreSQLToPostgreSQL(t *testing.T) {
	from, served := sourceInstall(t)
	first, second := testservers.PostgreSQL(t), testservers.PostgreSQL(t)
	if err := app.MigrateStorage(t.Context(), from, app.StorageMove{Index: first}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	from.Index = first
	var out bytes.Buffer
	if err := app.MigrateStorage(t.Context(), from, app.StorageMove{Index: second}, &out, io.Discard); err != nil {
		t.Fatalf("from PostgreSQL to PostgreSQL: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "table timeline") || strings.Contains(out.String(), "objects: ") {
		t.Errorf("summary:\n%s", out.String())
	}
	m := &app.Main{Config: app.Config{Addr: "127.0.0.1:0", DataDir: from.DataDir, Index: second, Demo: "false", LogLevel: "error"}, Stderr: io.Discard}
	if err := m.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(context.Background()) })
	c := loggedIn(t, m)
	for _, sid := range movedSessions {
		if status, body := events(t, c, m, sid); status != 200 || body != served[sid] {
			t.Errorf("events of %s on the second database: %d %.300s", sid, status, body)
		}
	}
	if err := m.DB.AddBackendRecords(t.Context(), m.Project.ID, []playhead.BackendRecord{{SessionID: movedSessions[2], Kind: "log", Message: "later"}}); err != nil {
		t.Errorf("a backend record after the move: %v", err)
	}
}

// TestMigrateStorageRefusesANonEmptyTarget: a target index that holds a
// project, or a target store that holds an object, is refused before
// anything is copied, with a message naming it.
func TestMigrateStorageRefusesANonEmptyTarget(t *testing.T) {
	from, _ := sourceInstall(t)
	dsn, srv := testservers.PostgreSQL(t), testservers.S3(t)
	srv.SetEnv(t)
	db, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateProject(t.Context(), &playhead.Project{Name: "Taken", IngestKey: "phk_taken"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	err = app.MigrateStorage(t.Context(), from, app.StorageMove{Index: dsn, Objects: srv.URL}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "the target index is not empty: its table projects holds 1 row(s)") {
		t.Errorf("into an index with a project: %v", err)
	}
	store, err := objects.Open(t.Context(), srv.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	if keys := listAll(t, store); len(keys) != 0 {
		t.Errorf("objects copied before the refusal: %q", keys)
	}

	if err := store.Put(t.Context(), "stray/object", []byte("x")); err != nil {
		t.Fatal(err)
	}
	err = app.MigrateStorage(t.Context(), from, app.StorageMove{Objects: srv.URL}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "the target object store is not empty: it holds stray/object") {
		t.Errorf("into a store with an object: %v", err)
	}
	if err := app.MigrateStorage(t.Context(), from, app.StorageMove{}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "name a target") {
		t.Errorf("with no target: %v", err)
	}
}

// TestMigrateStorageVerifyFindsATamperedObject: an object changed in the
// target after the copy is named by the verification, which fails.
func TestMigrateStorageVerifyFindsATamperedObject(t *testing.T) {
	from, _ := sourceInstall(t)
	srv := testservers.S3(t)
	srv.SetEnv(t)
	to := app.StorageMove{Objects: srv.URL}
	if err := app.MigrateStorage(t.Context(), from, to, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	store, err := objects.Open(t.Context(), srv.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	var chunk string
	for _, k := range listAll(t, store) {
		if strings.Contains(k, movedSessions[2]) && !strings.HasSuffix(k, "checkpoints") {
			chunk = k
		}
	}
	if chunk == "" {
		t.Fatal("no chunk of the sealed session in the target")
	}
	data, err := store.Get(t.Context(), chunk)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 1
	if err := store.Put(t.Context(), chunk, data); err != nil {
		t.Fatal(err)
	}

	to.VerifyOnly = true
	var out bytes.Buffer
	err = app.MigrateStorage(t.Context(), from, to, &out, io.Discard)
	if err == nil {
		t.Fatalf("verify passed a tampered object:\n%s", out.String())
	}
	for _, want := range []string{"object " + chunk + ": its SHA-256 differs", "session " + movedSessions[2] + ": batch 0 does not read back from the target"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// listAll returns every key of a store.
func listAll(t *testing.T, store playhead.ObjectStore) []string {
	t.Helper()
	var keys []string
	if err := store.(playhead.ObjectLister).List(t.Context(), "", func(k string) error { keys = append(keys, k); return nil }); err != nil {
		t.Fatal(err)
	}
	return keys
}
