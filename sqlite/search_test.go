package sqlite_test

import (
	"bytes"
	"database/sql"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/ingest"
	"github.com/playhead/playhead/search"
	"github.com/playhead/playhead/sqlite"
)

// TestErasedSessionLeavesNoSearchText: after a session is erased, the
// database file holds none of its searchable text (the rows are
// overwritten, secure_delete) and its full-text index knows none of the
// text's trigrams. The index's segments forget them too, rather than
// keeping them beside a delete marker until a merge, because FTS5's
// secure-delete option is on: the test checks that it is, as the bytes of
// a segment (prefix-compressed terms) cannot show it.
func TestErasedSessionLeavesNoSearchText(t *testing.T) {
	ctx := t.Context()
	path, db, p := openWithProject(t, "phk_erase_search")
	const unique = "qzxv-7k3w-erasable"
	add := func(sid string, text ...playhead.SearchText) {
		b := &playhead.IndexedBatch{ProjectID: p.ID, SessionID: sid, Ref: playhead.BatchRef{FirstTs: 1000, LastTs: 2000, Events: 1, Bytes: 10},
			Search: text}
		if _, err := ingest.AddBatches(ctx, db, []*playhead.IndexedBatch{b}, playhead.SessionLimits{}, time.UnixMilli(3000)); err != nil {
			t.Fatal(err)
		}
	}
	add("erased", playhead.SearchText{Field: search.FieldConsole, Value: "token " + unique},
		playhead.SearchText{Field: search.FieldClick, Value: unique})
	add("kept", playhead.SearchText{Field: search.FieldConsole, Value: "token kept"})
	if got := trigrams(t, path, unique); got == 0 {
		t.Fatalf("before erasure the index holds none of %q's trigrams: the test proves nothing", unique)
	}
	if _, err := db.DeleteSession(ctx, p.ID, "erased", nil); err != nil {
		t.Fatal(err)
	}
	q, _ := search.Parse("token")
	list, _, err := db.Sessions(ctx, playhead.SessionFilter{ProjectID: p.ID, Query: q})
	if err != nil || len(list) != 1 || list[0].ID != "kept" {
		t.Fatalf("search after erasure = %v, %v; want the kept session alone", list, err)
	}
	db.Close()
	for _, f := range []string{path, path + "-wal"} {
		data, err := os.ReadFile(f)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte(unique)) {
			t.Errorf("%s still holds %q after the session was erased", filepath.Base(f), unique)
		}
	}
	if got := trigrams(t, path, unique); got != 0 {
		t.Errorf("the full-text index still holds %d trigrams of %q after the session was erased", got, unique)
	}
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var on int
	if err := raw.QueryRow(`SELECT v FROM session_search_fts_config WHERE k = 'secure-delete'`).Scan(&on); err != nil || on != 1 {
		t.Errorf("the full-text index's secure-delete option = %d, %v; want 1", on, err)
	}
}

// trigrams counts the trigrams of s found in the full-text index's
// vocabulary, reading the file directly.
func trigrams(t *testing.T, path, s string) int {
	t.Helper()
	conn, done := fileConn(t, path)
	defer done()
	if _, err := conn.ExecContext(t.Context(), `CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, session_search_fts, 'row')`); err != nil {
		t.Fatal(err)
	}
	n := 0
	for i := 0; i+3 <= len(s); i++ {
		var found int
		if err := conn.QueryRowContext(t.Context(), `SELECT count(*) FROM temp.vocab WHERE term = ?`, s[i:i+3]).Scan(&found); err != nil {
			t.Fatal(err)
		}
		n += found
	}
	return n
}

// The trigram index holds the rows of the text fields that commits added,
// each once, and none of the other fields': over commits of several
// sessions' batches, values seen again (not stored twice), values of other
// fields and values too short for a trigram.
func TestTrigramIndexHoldsTheTextRowsAdded(t *testing.T) {
	ctx := t.Context()
	path, db, p := openWithProject(t, "phk_trigram_rows")
	fields := []string{search.FieldURL, search.FieldClick, search.FieldConsole, search.FieldConsoleLevel, search.FieldRequestStatus, search.FieldInput, search.FieldMeta}
	seq := map[string]int{}
	for commit := range 12 {
		var group []*playhead.IndexedBatch
		for s := range 1 + commit%4 {
			sid := fmt.Sprintf("session-%d", (commit+s)%5)
			var text []playhead.SearchText
			for v := range 3 + commit%3 {
				// values repeat across commits and sessions
				text = append(text, playhead.SearchText{Field: fields[(commit+v)%len(fields)], Value: fmt.Sprintf("value %d of %s", v%4, sid)})
			}
			text = append(text, playhead.SearchText{Field: search.FieldClick, Value: "ok"})
			seq[sid]++
			group = append(group, &playhead.IndexedBatch{ProjectID: p.ID, SessionID: sid,
				Ref:    playhead.BatchRef{Seq: seq[sid], FirstTs: int64(1000 * commit), LastTs: int64(1000*commit + 500), Events: 1, Bytes: 10},
				Search: text})
		}
		if _, err := ingest.AddBatches(ctx, db, group, playhead.SessionLimits{}, time.UnixMilli(int64(1000*commit+600))); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	conn, done := fileConn(t, path)
	defer done()
	if _, err := conn.ExecContext(ctx, `CREATE VIRTUAL TABLE temp.docs USING fts5vocab(main, session_search_fts, 'instance')`); err != nil {
		t.Fatal(err)
	}
	set := func(q string) map[int64]bool {
		rows, err := conn.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[int64]bool{}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			out[id] = true
		}
		return out
	}
	want := set(`SELECT id FROM session_search WHERE length(value) >= 3 AND field IN ('url', 'title', 'click', 'error', 'console', 'request', 'event', 'referrer', 'meta', 'event.prop', 'input')`)
	got := set(`SELECT DISTINCT doc FROM temp.docs`)
	if len(want) < 20 {
		t.Fatalf("only %d text rows: the test proves little", len(want))
	}
	if !maps.Equal(got, want) {
		t.Fatalf("the trigram index holds rows %v, the text rows are %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
	}
	var stored, distinct int
	if err := conn.QueryRowContext(ctx, `SELECT count(*), count(DISTINCT project_id || ' ' || session_id || ' ' || field || ' ' || value) FROM session_search`).Scan(&stored, &distinct); err != nil {
		t.Fatal(err)
	}
	if stored != distinct {
		t.Fatalf("%d search rows for %d distinct values", stored, distinct)
	}
}

// openWithProject opens a new index file with one project of ingest key
// key.
func openWithProject(t *testing.T, key string) (string, *sqlite.DB, *playhead.Project) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "index.db")
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	p := &playhead.Project{Name: "Shop", IngestKey: key}
	if err := db.CreateProject(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	return path, db, p
}

// fileConn opens a connection of its own to the index file at path; done
// closes it.
func fileConn(t *testing.T, path string) (conn *sql.Conn, done func()) {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	conn, err = raw.Conn(t.Context())
	if err != nil {
		raw.Close()
		t.Fatal(err)
	}
	return conn, func() { conn.Close(); raw.Close() }
}
