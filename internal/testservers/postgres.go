// Package testservers starts the real servers Playhead's tests run against
// (PostgreSQL, an S3-compatible store) as throwaway processes.
package testservers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgreSQLEnv names the environment variable that points the tests at an
// existing PostgreSQL server (a DSN whose user may create databases)
// instead of a throwaway cluster.
const PostgreSQLEnv = "PLAYHEAD_TEST_POSTGRES"

// PostgreSQL returns the DSN of a fresh, empty database, created for the
// caller and dropped when its test ends. The databases live on the server
// PLAYHEAD_TEST_POSTGRES names or, without it, on a throwaway cluster this
// test binary starts on first use (initdb from Debian's postgresql package,
// listening on 127.0.0.1 only); StopPostgreSQL stops that cluster. With no
// server to be had the test is skipped, unless CI is set: a missing
// dependency must fail CI.
func PostgreSQL(t testing.TB) string {
	t.Helper()
	pgOnce.Do(func() {
		if dsn := os.Getenv(PostgreSQLEnv); dsn != "" {
			pgAdminDSN = dsn
			return
		}
		pgCluster, pgAdminDSN, pgSkip, pgErr = startPostgreSQL()
	})
	switch {
	case pgErr != nil:
		t.Fatalf("start PostgreSQL for the tests: %v", pgErr)
	case pgSkip != "" && os.Getenv("CI") != "":
		t.Fatalf("PostgreSQL is needed on CI: %s", pgSkip)
	case pgSkip != "":
		t.Skipf("skipping: %s", pgSkip)
	}

	name := fmt.Sprintf("playhead_test_%d_%d", os.Getpid(), pgDatabases.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := pgAdmin(ctx, `CREATE DATABASE `+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := pgAdmin(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
	})
	dsn, err := pgWithDatabase(pgAdminDSN, name)
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

// StopPostgreSQL stops the throwaway cluster PostgreSQL started, if any,
// and removes its files. Call it from TestMain after m.Run. Should the test
// binary die first, the server gets SIGQUIT from the kernel (Pdeathsig) and
// exits too.
func StopPostgreSQL() {
	if c := pgCluster; c != nil {
		pgCluster = nil
		c.stop()
	}
}

// RestartPostgreSQL restarts the throwaway cluster that PostgreSQL started,
// as `pg_ctl restart -m fast` would: the server ends every connection,
// stops (a fast shutdown), stays down for down (an outage to live through),
// and starts again on the same port with the same data; it returns once
// the server answers, with how long it did not. Every
// test of the binary that uses PostgreSQL sees the restart, so a test that
// calls it must not run in parallel with them. It fails the test when the
// databases are on a server PLAYHEAD_TEST_POSTGRES names, which it does not
// control.
func RestartPostgreSQL(t testing.TB, down time.Duration) time.Duration {
	t.Helper()
	c := pgCluster
	if c == nil {
		t.Fatalf("RestartPostgreSQL: no throwaway PostgreSQL cluster is running (call PostgreSQL first; %s must not be set)", PostgreSQLEnv)
	}
	start := time.Now()
	c.shutdown()
	time.Sleep(down)
	if err := c.start(c.bin, c.data, c.port, c.cred); err != nil {
		t.Fatalf("restart PostgreSQL: %v", err)
	}
	return time.Since(start)
}

var (
	pgOnce      sync.Once
	pgCluster   *postgresCluster
	pgAdminDSN  string
	pgSkip      string // why there is no server, if there is none
	pgErr       error
	pgDatabases atomic.Int64
)

// pgAdmin runs one statement on the admin database.
func pgAdmin(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, pgAdminDSN)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// pgWithDatabase returns dsn with its database replaced by name, for a DSN
// in URL or keyword/value form.
func pgWithDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("%s is not a DSN: %w", PostgreSQLEnv, err)
		}
		u.Path = "/" + name
		return u.String(), nil
	}
	return dsn + " dbname=" + name, nil // a later keyword wins
}

// postgresCluster is a PostgreSQL server this test binary started.
type postgresCluster struct {
	dir  string
	cmd  *exec.Cmd
	done chan struct{} // closed when the server has exited

	// How it was started, to start it again.
	bin, data string
	port      int
	cred      *syscall.Credential
}

// pgPassword is the throwaway cluster's superuser password: the server
// checks passwords on TCP, so a wrong one fails as it would in production.
const pgPassword = "playhead-test"

// startPostgreSQL runs initdb in a temporary directory and starts a server
// on a free port of 127.0.0.1. It returns a reason to skip when PostgreSQL
// is not installed.
func startPostgreSQL() (c *postgresCluster, adminDSN, skip string, err error) {
	bin := pgBinDir()
	if bin == "" {
		return nil, "", "no PostgreSQL server binaries (initdb) on PATH or in /usr/lib/postgresql/*/bin; run scripts/setup-test.sh or set " + PostgreSQLEnv + " to a DSN", nil
	}
	// initdb and the server refuse to run as root: as root, run them as the
	// postgres user that Debian's package creates.
	var cred *syscall.Credential
	uid, gid := os.Getuid(), os.Getgid()
	if uid == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, "", "running as root and there is no postgres user to run PostgreSQL as", nil
		}
		puid, _ := strconv.Atoi(u.Uid)
		pgid, _ := strconv.Atoi(u.Gid)
		uid, gid = puid, pgid
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}

	removeStaleClusters()
	dir, err := os.MkdirTemp("", fmt.Sprintf("playhead-postgres-%d-", os.Getpid()))
	if err != nil {
		return nil, "", "", err
	}
	c = &postgresCluster{dir: dir}
	defer func() {
		if err != nil {
			c.stop()
		}
	}()
	pwfile := filepath.Join(dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(pgPassword+"\n"), 0o600); err != nil {
		return nil, "", "", err
	}
	for _, p := range []string{dir, pwfile} {
		if err := os.Chown(p, uid, gid); err != nil {
			return nil, "", "", err
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "--username=postgres", "--pwfile="+pwfile,
		"--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	initdb.Dir = dir
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, "", "", fmt.Errorf("initdb: %w\n%s", err, out)
	}

	// A free port can be taken by someone else before the server binds it:
	// try a few.
	for attempt := 0; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, "", "", err
		}
		adminDSN = fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/postgres?sslmode=disable", pgPassword, port)
		err = c.start(bin, data, port, cred)
		if err == nil {
			return c, adminDSN, "", nil
		}
		if attempt == 2 {
			return nil, "", "", err
		}
	}
}

// start starts the server and waits until it takes connections.
func (c *postgresCluster) start(bin, data string, port int, cred *syscall.Credential) error {
	c.bin, c.data, c.port, c.cred = bin, data, port, cred
	logPath := filepath.Join(c.dir, "server.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", data,
		"-h", "127.0.0.1", "-p", strconv.Itoa(port), "-k", c.dir,
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=300", "-c", "shared_buffers=32MB")
	cmd.Dir = c.dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Pdeathsig asks the kernel to stop the server (SIGQUIT: immediate
	// shutdown) when the thread that started it ends, so a test binary that
	// dies leaves no server behind. That thread is the locked one below,
	// which lives as long as the server does.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT, Setpgid: true}
	started := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			close(done)
			return
		}
		started <- nil
		cmd.Wait()
		close(done)
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	c.cmd, c.done = cmd, done

	dsn := fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/postgres?sslmode=disable", pgPassword, port)
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, dsn)
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return nil
		}
		select {
		case <-done:
			log, _ := os.ReadFile(logPath)
			c.cmd, c.done = nil, nil
			return fmt.Errorf("postgres exited at start: %s", bytes.TrimSpace(log))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			return fmt.Errorf("postgres does not answer on port %d after 60s: %v\n%s", port, err, log)
		}
	}
}

// stop shuts the server down and removes the cluster's files.
func (c *postgresCluster) stop() {
	c.shutdown()
	os.RemoveAll(c.dir)
}

// shutdown stops the server: SIGINT (PostgreSQL's fast shutdown, which
// ends open connections and checkpoints), then a kill after 10 seconds.
func (c *postgresCluster) shutdown() {
	if c.cmd != nil && c.cmd.Process != nil {
		c.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-c.done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
			<-c.done
		}
	}
	c.cmd, c.done = nil, nil
}

// removeStaleClusters removes the files of clusters whose test binary died
// without stopping them (the kernel stopped their servers): the binary's
// process ID is in the directory's name.
func removeStaleClusters() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "playhead-postgres-*-*"))
	for _, dir := range dirs {
		pid, err := strconv.Atoi(strings.Split(filepath.Base(dir), "-")[2])
		if err != nil || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			os.RemoveAll(dir)
		}
	}
}

// pgBinDir returns the directory of the newest installed PostgreSQL's
// server binaries, or "".
func pgBinDir() string {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return va - vb
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i]
		}
	}
	return ""
}

// freePort returns a TCP port of 127.0.0.1 that nothing listens on now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
