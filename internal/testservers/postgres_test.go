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

func TestRestartPostgreSQLKeepsDataAndPort(t *testing.T) {
	dsn := testservers.PostgreSQL(t)
	if os.Getenv(testservers.PostgreSQLEnv) != "" {
		t.Skip("the databases are on a server of " + testservers.PostgreSQLEnv + ", which the tests do not restart")
	}
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	if _, err := conn.Exec(t.Context(), `CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)`); err != nil {
		t.Fatal(err)
	}
	down := testservers.RestartPostgreSQL(t, 0)
	t.Logf("PostgreSQL did not answer for %s", down)
	if err := conn.Ping(t.Context()); err == nil {
		t.Error("a connection from before the restart still answers; the server was not restarted")
	}
	again, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatalf("connect after the restart (same DSN, same port): %v", err)
	}
	defer again.Close(t.Context())
	var x int
	if err := again.QueryRow(t.Context(), `SELECT x FROM kept`).Scan(&x); err != nil || x != 42 {
		t.Fatalf("after the restart: x = %d, %v; want 42", x, err)
	}
}
