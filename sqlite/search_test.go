package sqlite_test

import (
	"bytes"
	"database/sql"
	"os"
	"path/filepath"
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
	path := filepath.Join(t.TempDir(), "index.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	p := &playhead.Project{Name: "Shop", IngestKey: "phk_erase_search"}
	if err := db.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
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
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	conn, err := raw.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
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
