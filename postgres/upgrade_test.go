package postgres_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/internal/testservers"
	"github.com/playhead/playhead/internal/testutil"
)

// released are the checksums of the migrations builds have shipped:
// databases exist that ran them, so they are never edited. A new migration
// joins the list when it is released.
var released = map[string]string{
	"0001_initial.sql":                 "2ae5eefb7bedb2cae670cf9fd9226e54cc4869e256646a0df1765ffbbaaf8e13",
	"0002_jobs.sql":                    "f434d9592e08d2c1a9e93c94b7169dd96b28e530408b855493c3874627263dbc",
	"0003_search.sql":                  "ba4d2170e684f420827fce38af8f5325801bd71126ffd6cd5bd0e85153a411a0",
	"0004_teams.sql":                   "98990b2bae1ed71a3b95b387157be95269c40e2d670ff4d0d3201292112d6875",
	"0005_keyframes.sql":               "85789aac8aac3cc01f3f405ea96d1d477999b1f19f4a4475eb0f5b6db3cf32f9",
	"0006_users.sql":                   "6458532c1ec0a5cea3f433685af0b56485bfca080710abca79a30bb880379d48",
	"0007_search_keys.sql":             "d8e95735fc7b87f627b4d747c14b61fc1ae242d57f9294d2c8731d81a2d3b5db",
	"0008_repro.sql":                   "0179d63b5b99a44080b7c4bd0cc3a209ffb50c26292628bbfe9774895cb30fad",
	"0009_search_fields.sql":           "0c6d1e968c3ac04fbb9f5e0e444487fd87b958c6f21c19861bc554007c51c76e",
	"0010_saved_searches.sql":          "d0dadb0152a6a50fa4d6a275166ce5a52c11cf756ccbfe96cbd3c69eb4b390ff",
	"0011_short_values_and_inputs.sql": "bf5556043d99d72dd0d104a48891a3519b2d64a17f15f77d2dbcc0788e6bcc50",
}

func TestReleasedMigrationsUnchanged(t *testing.T) {
	testutil.MigrationsUnchanged(t, "migrations", released)
}

// TestUpgradeFromV1 makes a database as the first release left it (its one
// migration, recorded as version 1, and rows written by it), opens it with
// this build and reads the rows back through the index.
func TestUpgradeFromV1(t *testing.T) {
	dsn := testservers.PostgreSQL(t)
	v1, err := os.ReadFile("migrations/0001_initial.sql")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`,
		string(v1),
		`INSERT INTO schema_migrations VALUES (1, 1790000000000)`,
		`INSERT INTO projects (id, name, ingest_key, created_at) VALUES (1, 'Shop', 'phk_v1', 1790000000000)`,
		`INSERT INTO sessions (project_id, id, started_at, ended_at, events, bytes, batches) VALUES (1, 'sess-v1', 1000, 9000, 19, 10, 2)`,
		`INSERT INTO batches (project_id, session_id, seq, first_ts, last_ts, events, bytes, received_at, data) VALUES
			(1, 'sess-v1', 0, 1000, 4000, 12, 5, 1790000000000, '\x70656e6430'), (1, 'sess-v1', 1, 4000, 9000, 7, 5, 1790000000000, '\x70656e6431')`,
		`INSERT INTO session_keys (project_id, session_id, master_key_id, wrapped) VALUES (1, 'sess-v1', 'mk', '\x77')`,
		`INSERT INTO users (id, username, password_hash) VALUES (1, 'admin', 'x')`,
	} {
		if _, err := conn.Exec(t.Context(), q); err != nil {
			t.Fatalf("make a version 1 database: %v", err)
		}
	}
	conn.Close(t.Context())

	db := open(t, dsn)
	p, err := db.ProjectByKey(t.Context(), "phk_v1")
	if err != nil {
		t.Fatal(err)
	}
	s, err := db.Session(t.Context(), p.ID, "sess-v1")
	if err != nil || s.Batches != 2 || s.Events != 19 || s.DurationMs != 8000 {
		t.Fatalf("session after upgrade = %+v, %v", s, err)
	}
	pending, err := db.PendingData(t.Context(), p.ID, "sess-v1", []int{0, 1})
	if err != nil || string(pending[1]) != "pend1" {
		t.Fatalf("pending data after upgrade = %v, %v", pending, err)
	}
	// The users of an installation from before teams ran all of it: they
	// become its owners, admins of every project.
	if u, err := db.UserByName(t.Context(), "admin"); err != nil || !u.Owner {
		t.Errorf("user after upgrade = %+v, %v; want an owner", u, err)
	}
	if role, err := db.MemberRole(t.Context(), p.ID, 1); err != nil || role != playhead.RoleAdmin {
		t.Errorf("role of the old user = %q, %v; want admin", role, err)
	}
	// What migration 2 added works on the old rows.
	keys, err := db.DeleteSession(t.Context(), p.ID, "sess-v1", []string{"checkpoints"})
	if err != nil || len(keys) != 1 {
		t.Fatalf("DeleteSession after upgrade = %v, %v", keys, err)
	}
	var version int
	if err := db.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	c2, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close(t.Context())
	files, _ := filepath.Glob("migrations/*.sql")
	if err := c2.QueryRow(t.Context(), `SELECT max(version) FROM schema_migrations`).Scan(&version); err != nil || version != len(files) {
		t.Fatalf("schema version after upgrade = %d, %v; want %d", version, err, len(files))
	}
}
