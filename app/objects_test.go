package app_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/app"
	"github.com/playhead/playhead/internal/testservers"
	"github.com/playhead/playhead/objects"
)

// TestRecordingsInS3 runs a whole Playhead with its recordings in an S3
// bucket: sealed chunks land in the bucket, none in the data directory, and
// the session reads back through the API.
func TestRecordingsInS3(t *testing.T) {
	srv := testservers.S3(t)
	srv.SetEnv(t)
	var c app.Config
	fs := newFlagSet(&c)
	if err := fs.Parse([]string{"-addr", "127.0.0.1:0", "-data", t.TempDir(), "-demo", "false", "-log-level", "error"}); err != nil {
		t.Fatal(err)
	}
	if err := c.ApplyEnv(fs, func(k string) string {
		return map[string]string{"PLAYHEAD_OBJECTS": srv.URL, "PLAYHEAD_ADMIN_PASSWORD": password}[k]
	}); err != nil {
		t.Fatal(err)
	}
	m := &app.Main{Config: c, Stderr: io.Discard}
	if err := m.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(context.Background()) })

	now := time.Now().UnixMilli()
	for seq := range 3 {
		scenario{method: "POST", path: "/api/v1/ingest?k=" + m.Project.IngestKey, body: markedBatch("s3session000001", seq, now+int64(seq)*1000), wantStatus: 200}.run(t, m, nil)
	}
	if n, err := m.Recordings.Seal(t.Context(), m.Project.ID, "s3session000001"); err != nil || n != 1 {
		t.Fatalf("Seal = %d, %v; want 1 chunk", n, err)
	}
	if status, body := events(t, loggedIn(t, m), m, "s3session000001"); status != 200 || strings.Count(body, marker) != 3 {
		t.Errorf("events read back: %d %.200s", status, body)
	}
	if _, err := os.Stat(filepath.Join(m.Config.DataDir, "objects")); !os.IsNotExist(err) {
		t.Errorf("the data directory has an objects directory (%v); recordings must go to the bucket only", err)
	}
	bucket, err := objects.Open(t.Context(), srv.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	if err := bucket.(playhead.ObjectLister).List(t.Context(), "", func(k string) error { keys = append(keys, k); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || !strings.Contains(keys[0], "s3session000001") {
		t.Errorf("the bucket holds %q, want the one chunk of the session", keys)
	}
}

func TestBadObjectStoreStopsStart(t *testing.T) {
	m := &app.Main{
		Config: app.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Objects: "s3://key:secret@bucket", AdminPassword: password, LogLevel: "error"},
		Stderr: io.Discard,
	}
	err := m.Run(t.Context())
	m.Close(context.Background())
	if err == nil || !strings.Contains(err.Error(), "AWS_ACCESS_KEY_ID") || strings.Contains(err.Error(), "secret") {
		t.Fatalf("Run with credentials in the objects URL: %v; want an error pointing to the AWS variables, without the secret", err)
	}
}
