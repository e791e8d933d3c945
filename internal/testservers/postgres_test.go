package testservers_test

import (
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/playhead/playhead/internal/testservers"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testservers.StopPostgreSQL()
	os.Exit(code)
}

func TestPostgreSQLGivesAFreshDatabase(t *testing.T) {
	a, b := testservers.PostgreSQL(t), testservers.PostgreSQL(t)
	if a == b {
		t.Fatalf("two calls returned the same DSN %s", a)
	}
	conn, err := pgx.Connect(t.Context(), a)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	var tables int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Fatalf("fresh database holds %d tables, want 0", tables)
	}
	if _, err := conn.Exec(t.Context(), `CREATE TABLE t (x int)`); err != nil {
		t.Fatalf("cannot write to the fresh database: %v", err)
	}
}
