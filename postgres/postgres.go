// Package postgres implements Playhead's index (playhead.Index) on
// PostgreSQL, so that several Playhead nodes can share one index.
//
// It speaks to the server through pgx's own pool (pgxpool), not through
// database/sql: a group of batches is written with a handful of statements
// sent in one round trip (pgx.Batch) with whole columns bound as arrays,
// which database/sql cannot express, and pgx's native types map BYTEA,
// arrays and NULLs without wrappers.
//
// The DSN is libpq's (a URL or keyword/value pairs), with pgxpool's
// options beside (pool_max_conns, …).
//
// Every node may write any session. WriteGroup serialises the writers of a
// session across the cluster with transaction-scoped advisory locks; work
// that nodes poll for (sealing, retention, webhook deliveries, asset
// capture) is claimed with FOR UPDATE SKIP LOCKED and a lease (claimLease),
// so one node does it and a dead node's claims lapse on their own.
package postgres

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/playhead/playhead"
)

var _ playhead.Index = (*DB)(nil)

// claimLease is how long a claim on background work keeps other nodes off
// it: a due delivery or asset, a session to seal or to erase. If the node
// that claimed it dies, another node takes the work over once the lease
// has passed. A run of the deliverer (up to 100 deliveries) or of the
// capturer (50 assets) takes seconds when the far ends answer, but each
// attempt may take its full timeout of 10 s, which is why the lease is not
// one minute; work that outlives even this lease may be done twice, which
// every job tolerates (webhooks are delivered at least once, a second
// capture stores the same content hash, MarkSealed keeps the first chunk
// and erasure finds nothing left to erase).
const claimLease = 5 * time.Minute

// sealClaimLease is how long a claim on a session to seal lasts: sealing a
// session takes seconds, and a node that died with sessions claimed should
// not hold up their sealing for long.
const sealClaimLease = time.Minute

// DB is an open Playhead index on PostgreSQL.
type DB struct {
	pool *pgxpool.Pool
	// node names this DB in the claims it takes, so that it gets its own
	// claims back when it asks again (as one SQLite node would) while
	// other nodes keep off them.
	node string
}

// Open connects to the PostgreSQL database dsn names (a URL or keyword/value
// DSN as libpq takes them) and brings its schema up to date. It refuses a
// database whose schema is newer than this Playhead knows.
func Open(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors leave the password out.
		return nil, fmt.Errorf("index: PostgreSQL DSN: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("index: PostgreSQL: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, connectError(cfg.ConnConfig, err)
	}
	node := make([]byte, 8)
	rand.Read(node)
	db := &DB{pool: pool, node: hex.EncodeToString(node)}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// connectError says why a connection failed, naming the server and never
// the password.
func connectError(cfg *pgx.ConnConfig, err error) error {
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
	if strings.HasPrefix(cfg.Host, "/") {
		addr = cfg.Host // a unix socket directory
	}
	var problem string
	var cause error = err
	var pgErr *pgconn.PgError
	var netErr net.Error
	switch {
	case errors.As(err, &pgErr):
		cause = pgErr
		switch pgErr.Code {
		case "28P01", "28000": // invalid_password, invalid_authorization_specification
			problem = fmt.Sprintf("authentication failed for user %q", cfg.User)
		case "3D000": // invalid_catalog_name
			problem = fmt.Sprintf("database %q does not exist", cfg.Database)
		default:
			problem = "the server refused the connection"
		}
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		problem = "gave up waiting" // (a deadline is a net.Error too)
	case errors.As(err, &netErr):
		cause = netErr
		problem = "server unreachable"
	default:
		problem = "connection failed"
	}
	return fmt.Errorf("index: cannot connect to PostgreSQL at %s: %s: %w", addr, problem, cause)
}

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered file of migrations/.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in order. Their numbers run
// from 1 without gaps: a file is never changed once released, a change is
// a new file.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var list []migration
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name does not start with its number", base)
		}
		b, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		list = append(list, migration{v, base, string(b)})
	}
	slices.SortFunc(list, func(a, b migration) int { return a.version - b.version })
	for i, m := range list {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected number %d", m.name, i+1)
		}
	}
	return list, nil
}

// migrationLock is the advisory lock (in the two-key space, apart from the
// sessions' one-key locks) that one node at a time migrates under.
const migrationLock = `pg_advisory_lock(1886152040, 1)`

// migrate applies the migrations the database lacks, each in a transaction
// of its own that records its version in schema_migrations. Nodes starting
// together migrate one at a time, under an advisory lock: the first applies,
// the others find nothing left to do.
func (db *DB) migrate(ctx context.Context) error {
	list, err := migrations()
	if err != nil {
		return fmt.Errorf("index: %w", err)
	}
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("index: migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT `+migrationLock); err != nil {
		return fmt.Errorf("index: migrate: take the migration lock: %w", err)
	}
	defer func() {
		// Unlocking on a dead context would fail and leave the lock on a
		// pooled connection: close that connection instead, which frees it.
		if _, err := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(1886152040, 1)`); err != nil {
			conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()
	_, err = conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version     INTEGER PRIMARY KEY,
		applied_at  BIGINT NOT NULL
	)`)
	if err != nil {
		return fmt.Errorf("index: migrate: %w", err)
	}
	var current int
	if err := conn.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("index: migrate: read schema version: %w", err)
	}
	if current > len(list) {
		return fmt.Errorf("index: the database schema is at version %d, newer than this Playhead knows (version %d): run a newer Playhead", current, len(list))
	}
	for _, m := range list[current:] {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`, m.version, time.Now().UnixMilli())
			return err
		})
		if err != nil {
			return fmt.Errorf("index: migration %s: %w", m.name, err)
		}
	}
	return nil
}

// Ping checks that the database answers and takes writes (it is not a
// standby in recovery), without writing.
func (db *DB) Ping(ctx context.Context) error {
	var standby bool
	if err := db.pool.QueryRow(ctx, `SELECT pg_is_in_recovery()`).Scan(&standby); err != nil {
		return fmt.Errorf("index: ping: %w", err)
	}
	if standby {
		return errors.New("index: PostgreSQL is a standby in recovery and takes no writes")
	}
	return nil
}

// Close closes the pool's connections.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// text makes s storable in a TEXT column: PostgreSQL refuses NUL bytes and
// invalid UTF-8, which recorded pages and headers can hold (SQLite stores
// them as they are). Each such byte becomes U+FFFD.
func text(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// lease returns when a claim taken at now lapses, in milliseconds.
func lease(now time.Time) int64 { return now.Add(claimLease).UnixMilli() }

// limitArg is a LIMIT's value as SQLite reads it: a negative limit means
// none (NULL, to PostgreSQL).
func limitArg(n int) *int {
	if n < 0 {
		return nil
	}
	return &n
}
