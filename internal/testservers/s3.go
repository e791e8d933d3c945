// Package testservers starts the real servers Playhead's tests run against.
// A server starts once per test binary, on a free loopback port, and stops
// when the test binary exits, however it exits. When its program is not
// installed a test skips, except under CI (CI set), where it fails: in CI a
// missing dependency is a broken setup, never a reason to skip.
package testservers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Server is a running S3-compatible server (versitygw over a temporary
// directory) and a fresh, empty bucket on it.
type S3Server struct {
	Endpoint  string // host:port, plain HTTP
	Region    string
	Bucket    string
	AccessKey string
	SecretKey string
	// URL opens the bucket with objects.Open, credentials from the
	// environment (see SetEnv).
	URL string
}

// SetEnv points the standard AWS credential variables at the server for
// the rest of the test (and clears AWS_SESSION_TOKEN and AWS_PROFILE, which
// would otherwise mix a developer's own credentials in).
func (s S3Server) SetEnv(t testing.TB) {
	t.Setenv("AWS_ACCESS_KEY_ID", s.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s.SecretKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
}

const (
	versitygwModule = "github.com/versity/versitygw/cmd/versitygw@v1.8.0"
	s3Region        = "us-east-1"
	s3AccessKey     = "playhead-test"
)

var (
	s3Once    sync.Once
	s3Running *versitygw
	s3Err     error
	s3Missing bool
	buckets   atomic.Int64
)

type versitygw struct {
	endpoint string
	secret   string
	cmd      *exec.Cmd
	// lifeline is the write end of the watchdog's stdin. It is never
	// written or closed: the kernel closes it when the test binary exits,
	// and the watchdog then stops versitygw. Holding it here keeps the
	// garbage collector from closing it early.
	lifeline io.WriteCloser
	client   *minio.Client
}

// S3 returns versitygw, started on first use, with a new bucket for the
// caller. It skips the test when versitygw is not installed, or fails it
// under CI.
func S3(t testing.TB) S3Server {
	t.Helper()
	s3Once.Do(func() { s3Running, s3Err = startVersitygw() })
	if s3Missing {
		if os.Getenv("CI") != "" {
			t.Fatal(s3Err)
		}
		t.Skip(s3Err)
	}
	if s3Err != nil {
		t.Fatal(s3Err)
	}
	bucket := fmt.Sprintf("playhead-test-%d-%s", buckets.Add(1), randomHex(4))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s3Running.client.MakeBucket(ctx, bucket, minio.MakeBucketOptions{Region: s3Region}); err != nil {
		t.Fatalf("versitygw: create bucket %s: %v", bucket, err)
	}
	q := url.Values{"endpoint": {s3Running.endpoint}, "region": {s3Region}, "tls": {"false"}, "path_style": {"true"}}
	return S3Server{
		Endpoint:  s3Running.endpoint,
		Region:    s3Region,
		Bucket:    bucket,
		AccessKey: s3AccessKey,
		SecretKey: s3Running.secret,
		URL:       "s3://" + bucket + "?" + q.Encode(),
	}
}

// findVersitygw looks on PATH, then where go install puts programs
// ($(go env GOBIN), else $(go env GOPATH)/bin), where scripts/setup-test.sh
// installs it.
func findVersitygw() (string, error) {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	if out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output(); err == nil {
		lines := strings.SplitN(string(out), "\n", 2)
		var dirs []string
		if gobin := strings.TrimSpace(lines[0]); gobin != "" {
			dirs = append(dirs, gobin)
		}
		if len(lines) == 2 {
			for _, dir := range filepath.SplitList(strings.TrimSpace(lines[1])) {
				dirs = append(dirs, filepath.Join(dir, "bin"))
			}
		}
		for _, dir := range dirs {
			p := filepath.Join(dir, "versitygw")
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("versitygw (the S3 server of these tests) is not on PATH or in $(go env GOPATH)/bin: "+
		"install it with `go install %s` (about 4 minutes; scripts/setup-test.sh does it)", versitygwModule)
}

// startVersitygw runs versitygw under a small shell watchdog that stops it,
// and removes its directory, as soon as its stdin reaches end of file: when
// this process exits, even when killed, no server is left behind.
func startVersitygw() (*versitygw, error) {
	bin, err := findVersitygw()
	if err != nil {
		s3Missing = true
		return nil, err
	}
	// A port picked here may be taken before versitygw binds it; try again
	// on another one then.
	for attempt := 1; ; attempt++ {
		v, err := runVersitygw(bin)
		if err == nil || attempt == 3 {
			return v, err
		}
	}
}

const watchdog = `"$@" >"$VGW_DIR/log" 2>&1 &
pid=$!
read -r _
kill "$pid" 2>/dev/null
wait "$pid"
rm -rf "$VGW_DIR"`

func runVersitygw(bin string) (*versitygw, error) {
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, fmt.Errorf("versitygw: %w", err)
	}
	dir, err := os.MkdirTemp("", "playhead-versitygw-")
	if err != nil {
		return nil, fmt.Errorf("versitygw: %w", err)
	}
	if err := os.Mkdir(filepath.Join(dir, "root"), 0o700); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("versitygw: %w", err)
	}
	secret := randomHex(16)
	cmd := exec.Command("/bin/sh", "-c", watchdog, "sh",
		bin, "--port", addr, "--region", s3Region, "--quiet", "--keep-alive", "posix", filepath.Join(dir, "root"))
	// A small environment of our own: versitygw reads many VGW_* variables
	// a developer's shell may hold.
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + os.TempDir(),
		"VGW_DIR=" + dir, "ROOT_ACCESS_KEY=" + s3AccessKey, "ROOT_SECRET_KEY=" + secret,
	}
	lifeline, err := cmd.StdinPipe()
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("versitygw: %w", err)
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("versitygw: start: %w", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	v := &versitygw{endpoint: addr, secret: secret, cmd: cmd, lifeline: lifeline}
	v.client, err = minio.New(addr, &minio.Options{
		Creds: credentials.NewStaticV4(s3AccessKey, secret, ""), Region: s3Region, BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		lifeline.Close()
		return nil, fmt.Errorf("versitygw: %w", err)
	}
	if err := waitAnswers(addr, exited); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		lifeline.Close()
		<-exited
		return nil, fmt.Errorf("versitygw on %s: %w; its output:\n%s", addr, err, log)
	}
	return v, nil
}

// waitAnswers waits until the server answers HTTP (any status: it refuses
// anonymous requests).
func waitAnswers(addr string, exited <-chan struct{}) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := client.Get("http://" + addr + "/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-exited:
			return errors.New("exited before answering")
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer within 30s: %w", err)
		}
	}
}

func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
