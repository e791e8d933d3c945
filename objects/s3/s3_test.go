package s3_test

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/internal/testservers"
	"github.com/playhead/playhead/objects/objectstoretest"
	"github.com/playhead/playhead/objects/s3"
)

// config returns the Config of srv's bucket, with its credentials in the
// environment.
func config(t *testing.T, srv testservers.S3Server) s3.Config {
	srv.SetEnv(t)
	return s3.Config{
		Bucket: srv.Bucket, Endpoint: srv.Endpoint, Region: srv.Region,
		PlainHTTP: true, Addressing: s3.AddressingPath,
	}
}

func open(t *testing.T, cfg s3.Config) *s3.Store {
	t.Helper()
	s, err := s3.Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStore(t *testing.T) {
	for _, prefix := range []string{"", "playhead/objects"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			objectstoretest.Run(t, func(t *testing.T) playhead.ObjectStore {
				cfg := config(t, testservers.S3(t))
				cfg.Prefix = prefix
				return open(t, cfg)
			})
		})
	}
}

func TestPrefixesAreSeparate(t *testing.T) {
	ctx := t.Context()
	cfg := config(t, testservers.S3(t))
	cfg.Prefix = "a"
	a := open(t, cfg)
	cfg.Prefix = "/b/" // slashes around a prefix do not matter
	b := open(t, cfg)
	if err := a.Put(ctx, "k", []byte("from a")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, "k"); !errors.Is(err, playhead.ErrObjectNotFound) {
		t.Errorf("b.Get(k) = %v, want not found: b sees a's key", err)
	}
	var keys []string
	if err := a.List(ctx, "", func(k string) error { keys = append(keys, k); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0] != "k" {
		t.Errorf("a.List = %q, want [k] (keys without the prefix)", keys)
	}
	cfg.Prefix = ""
	whole := open(t, cfg)
	if got, err := whole.Get(ctx, "a/k"); err != nil || string(got) != "from a" {
		t.Errorf("the bucket holds a/k = %q, %v; want the object a put", got, err)
	}
}

func TestOpenErrors(t *testing.T) {
	srv := testservers.S3(t)
	closedPort := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		l.Close()
		return l.Addr().String()
	}()
	for _, tc := range []struct {
		name   string
		change func(*s3.Config)
		env    map[string]string
		want   []string
	}{
		{
			name:   "missing bucket",
			change: func(c *s3.Config) { c.Bucket = "no-such-bucket" },
			want:   []string{`bucket "no-such-bucket" does not exist at endpoint http://` + srv.Endpoint},
		},
		{
			name: "wrong secret",
			env:  map[string]string{"AWS_SECRET_ACCESS_KEY": "not-the-secret"},
			want: []string{"credentials were refused", srv.Bucket, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"},
		},
		{
			name: "unknown access key",
			env:  map[string]string{"AWS_ACCESS_KEY_ID": "nobody"},
			want: []string{"credentials were refused"},
		},
		{
			name: "half the credentials",
			env:  map[string]string{"AWS_SECRET_ACCESS_KEY": ""},
			want: []string{"set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"},
		},
		{
			name:   "unreachable endpoint",
			change: func(c *s3.Config) { c.Endpoint = closedPort },
			want:   []string{"cannot reach endpoint http://" + closedPort, "connection refused"},
		},
		{
			name:   "TLS to a plain HTTP server",
			change: func(c *s3.Config) { c.PlainHTTP = false },
			want:   []string{"speaks plain HTTP", "tls=false"},
		},
		{
			name:   "invalid bucket name",
			change: func(c *s3.Config) { c.Bucket = "no spaces" },
			want:   []string{`bucket name "no spaces"`},
		},
		{
			name:   "endpoint with a scheme",
			change: func(c *s3.Config) { c.Endpoint = "http://" + srv.Endpoint },
			want:   []string{"want host[:port]"},
		},
		{
			name:   "invalid prefix",
			change: func(c *s3.Config) { c.Prefix = "a/../b" },
			want:   []string{`key prefix "a/../b"`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config(t, srv)
			if tc.change != nil {
				tc.change(&cfg)
			}
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			_, err := s3.Open(t.Context(), cfg)
			if err == nil {
				t.Fatal("Open succeeded, want an error")
			}
			t.Log(err)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Open: %v\nwant it to say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), srv.SecretKey) {
				t.Errorf("Open: %v\nshows the secret key", err)
			}
		})
	}
}

// TestOpenTimesOut opens a bucket at an endpoint that accepts connections
// and never answers.
func TestOpenTimesOut(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	t.Setenv("AWS_ACCESS_KEY_ID", "k")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "s")
	start := time.Now()
	_, err = s3.Open(t.Context(), s3.Config{
		Bucket: "playhead", Endpoint: l.Addr().String(), Region: "us-east-1", PlainHTTP: true, Timeout: 300 * time.Millisecond,
	})
	if err == nil || !strings.Contains(err.Error(), "did not answer within 300ms") {
		t.Errorf("Open = %v, want it to say the endpoint did not answer within 300ms", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Open took %s with a timeout of 300ms", d)
	}
}

// proxy stands between a store and versitygw: it passes requests on, or
// answers the next ones with 503, or holds them without answering.
type proxy struct {
	*httptest.Server
	requests  atomic.Int64
	unavail   atomic.Int64 // the next this many requests get 503 Slow Down
	unhelpful atomic.Bool  // hold every request until the client gives up
}

func newProxy(t *testing.T, endpoint string) *proxy {
	p := &proxy{}
	next := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: endpoint})
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.requests.Add(1)
		if p.unhelpful.Load() {
			// The server notices a client giving up only once the body
			// is read.
			io.Copy(io.Discard, r.Body)
			<-r.Context().Done()
			return
		}
		if p.unavail.Add(-1) >= 0 {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`))
			return
		}
		// The Host header stays the proxy's, which the request was signed
		// for.
		next.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

func TestCallsTimeOut(t *testing.T) {
	srv := testservers.S3(t)
	p := newProxy(t, srv.Endpoint)
	cfg := config(t, srv)
	cfg.Endpoint = p.Listener.Addr().String()
	cfg.Timeout = 300 * time.Millisecond
	s := open(t, cfg)
	ctx := t.Context()
	if err := s.Put(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	p.unhelpful.Store(true)
	for name, call := range map[string]func() error{
		"Put":      func() error { return s.Put(ctx, "k", []byte("w")) },
		"Get":      func() error { _, err := s.Get(ctx, "k"); return err },
		"GetRange": func() error { _, err := s.GetRange(ctx, "k", 0, 1); return err },
		"Delete":   func() error { return s.Delete(ctx, "k") },
		"List":     func() error { return s.List(ctx, "", func(string) error { return nil }) },
	} {
		start := time.Now()
		err := call()
		if err == nil || !strings.Contains(err.Error(), "within 300ms") {
			t.Errorf("%s against a server that does not answer: %v, want a timeout after 300ms", name, err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s took %s with a timeout of 300ms", name, d)
		}
	}
}

func TestRetriesUnavailable(t *testing.T) {
	srv := testservers.S3(t)
	p := newProxy(t, srv.Endpoint)
	cfg := config(t, srv)
	cfg.Endpoint = p.Listener.Addr().String()
	s := open(t, cfg)
	ctx := t.Context()

	p.unavail.Store(2)
	before := p.requests.Load()
	if err := s.Put(ctx, "k", []byte("stored after two 503s")); err != nil {
		t.Fatalf("Put with two 503s first: %v", err)
	}
	if n := p.requests.Load() - before; n != 3 {
		t.Errorf("Put made %d requests, want 3 (two refused, one stored)", n)
	}
	p.unavail.Store(2)
	got, err := s.Get(ctx, "k")
	if err != nil || string(got) != "stored after two 503s" {
		t.Fatalf("Get with two 503s first = %q, %v", got, err)
	}

	// A server that keeps refusing is given up on before the timeout, with
	// its answer in the error.
	p.unavail.Store(1000)
	err = s.Put(ctx, "k", []byte("x"))
	if err == nil || !strings.Contains(err.Error(), "SlowDown") {
		t.Errorf("Put against a server that always answers 503: %v, want its SlowDown", err)
	}
}

// noCredentials empties every place credentials are looked for.
func noCredentials(t *testing.T) {
	home := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "",
		"AWS_ACCESS_KEY": "", "AWS_SECRET_KEY": "", "AWS_PROFILE": "",
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, "credentials"), "AWS_CONFIG_FILE": filepath.Join(home, "config"),
		"HOME": home, "AWS_WEB_IDENTITY_TOKEN_FILE": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "",
	} {
		t.Setenv(k, v)
	}
}

func TestCredentialSources(t *testing.T) {
	srv := testservers.S3(t)
	cfg := s3.Config{Bucket: srv.Bucket, Endpoint: srv.Endpoint, Region: srv.Region, PlainHTTP: true, Timeout: 5 * time.Second}
	// containerRole serves credentials the way ECS and EKS do, on loopback.
	containerRole := func(status int, body string) string {
		role := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			io.WriteString(w, body)
		}))
		t.Cleanup(role.Close)
		return role.URL + "/v2/credentials"
	}
	for _, tc := range []struct {
		name    string
		setup   func(t *testing.T)
		wantErr string
	}{
		{"environment", func(t *testing.T) {
			t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
			t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
		}, ""},
		{"shared credentials file", func(t *testing.T) {
			file := "[default]\naws_access_key_id = " + srv.AccessKey + "\naws_secret_access_key = " + srv.SecretKey + "\n"
			if err := os.WriteFile(os.Getenv("AWS_SHARED_CREDENTIALS_FILE"), []byte(file), 0o600); err != nil {
				t.Fatal(err)
			}
		}, ""},
		{"container role", func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{
				"AccessKeyId": srv.AccessKey, "SecretAccessKey": srv.SecretKey, "Expiration": time.Now().Add(time.Hour),
			})
			t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", containerRole(http.StatusOK, string(body)))
		}, ""},
		{"none", func(t *testing.T) {
			t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", containerRole(http.StatusNotFound, "no role"))
		}, "no credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			noCredentials(t)
			tc.setup(t)
			s, err := s3.Open(t.Context(), cfg)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Open = %v, want an error saying %q", err, tc.wantErr)
				}
				t.Log(err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Put(t.Context(), "k", []byte(tc.name)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestRegionAskedOfServer(t *testing.T) {
	cfg := config(t, testservers.S3(t))
	cfg.Region = ""
	s := open(t, cfg)
	if err := s.Put(t.Context(), "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(t.Context(), "k"); err != nil || string(got) != "v" {
		t.Fatalf("Get = %q, %v", got, err)
	}
}
