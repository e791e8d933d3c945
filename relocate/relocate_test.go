package relocate_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/internal/testservers"
	"github.com/playhead/playhead/keyring"
	"github.com/playhead/playhead/objects/file"
	"github.com/playhead/playhead/postgres"
	"github.com/playhead/playhead/relocate"
	"github.com/playhead/playhead/sqlite"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testservers.StopPostgreSQL()
	os.Exit(code)
}

// TestIndexesAtDifferentVersionsAreRefused: a target index at another
// schema version than the source is refused, naming both versions.
func TestIndexesAtDifferentVersionsAreRefused(t *testing.T) {
	dir := t.TempDir()
	src, err := sqlite.Open(t.Context(), filepath.Join(dir, "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dsn := testservers.PostgreSQL(t)
	dst, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), `INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0)`); err != nil {
		t.Fatal(err)
	}
	store, err := file.New(filepath.Join(dir, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	ring, _, err := keyring.Open(filepath.Join(dir, "keyring.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	mv := relocate.Move{
		From:    relocate.Install{Index: src, Objects: store},
		To:      relocate.Install{Index: dst, Objects: store},
		Keyring: ring,
	}
	want := "the source index is at schema version " + strconv.Itoa(sqlite.SchemaVersion()) + " and the target index at version 99"
	if err := mv.Check(t.Context()); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Check = %v, want %q", err, want)
	}
	if err := mv.Copy(t.Context()); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Copy = %v, want %q", err, want)
	}
	if n, err := dst.CountRows(t.Context(), "projects"); err != nil || n != 0 {
		t.Errorf("target projects after a refused copy: %d, %v", n, err)
	}
}

// TestTablesAreCopiedAfterThoseTheyReferTo: both indexes name the tables a
// table's foreign keys refer to, which a copy fills first.
func TestTablesAreCopiedAfterThoseTheyReferTo(t *testing.T) {
	src, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := postgres.Open(t.Context(), testservers.PostgreSQL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	for _, idx := range []playhead.TableCopier{src, dst} {
		tables, err := idx.Tables(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		refs := map[string][]string{}
		for _, tb := range tables {
			refs[tb.Name] = tb.References
		}
		for table, want := range map[string]string{"sessions": "projects", "logins": "users", "webhook_deliveries": "webhooks"} {
			if got := refs[table]; len(got) != 1 || got[0] != want {
				t.Errorf("%T: %s refers to %q, want [%s]", idx, table, got, want)
			}
		}
		if _, ok := refs["schema_migrations"]; ok {
			t.Errorf("%T lists schema_migrations, which each index keeps for itself", idx)
		}
	}
}
