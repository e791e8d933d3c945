package objects_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/playhead/playhead/internal/testservers"
	"github.com/playhead/playhead/objects"
	"github.com/playhead/playhead/objects/file"
	"github.com/playhead/playhead/objects/s3"
)

func TestOpenFile(t *testing.T) {
	dataDir := t.TempDir()
	other := t.TempDir()
	for _, tc := range []struct {
		url  string
		want string // the file an object put under "p/k" lands in
	}{
		{"", filepath.Join(dataDir, "objects", "p", "k")},
		{"file", filepath.Join(dataDir, "objects", "p", "k")},
		{"file://" + filepath.ToSlash(other), filepath.Join(other, "p", "k")},
		{"file://localhost" + filepath.ToSlash(other) + "/sub", filepath.Join(other, "sub", "p", "k")},
	} {
		s, err := objects.Open(t.Context(), tc.url, dataDir)
		if err != nil {
			t.Fatalf("Open(%q): %v", tc.url, err)
		}
		if _, ok := s.(*file.Store); !ok {
			t.Fatalf("Open(%q) = %T, want *file.Store", tc.url, s)
		}
		if err := s.Put(t.Context(), "p/k", []byte(tc.url)); err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile(tc.want); err != nil || string(got) != tc.url {
			t.Errorf("Open(%q): %s holds %q, %v; want the object put", tc.url, tc.want, got, err)
		}
	}
}

func TestOpenS3(t *testing.T) {
	srv := testservers.S3(t)
	srv.SetEnv(t)
	u := strings.Replace(srv.URL, "?", "/playhead/recordings/?", 1)
	st, err := objects.Open(t.Context(), u, t.TempDir())
	if err != nil {
		t.Fatalf("Open(%s): %v", u, err)
	}
	if _, ok := st.(*s3.Store); !ok {
		t.Fatalf("Open(%s) = %T, want *s3.Store", u, st)
	}
	if err := st.Put(t.Context(), "p/k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	// The prefix is in the bucket, before the key.
	whole, err := objects.Open(t.Context(), srv.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := whole.Get(t.Context(), "playhead/recordings/p/k"); err != nil || string(got) != "v" {
		t.Errorf("the bucket holds %q, %v under playhead/recordings/p/k; want the object put", got, err)
	}
}

func TestOpenErrors(t *testing.T) {
	srv := testservers.S3(t)
	srv.SetEnv(t)
	missing := strings.Replace(srv.URL, srv.Bucket, "no-such-bucket", 1)
	for _, tc := range []struct {
		url     string
		want    string
		secrets []string // must not appear in the error
	}{
		{"s3://AKIAEXAMPLE:wJalrXUtnFEMI@bucket/x?endpoint=127.0.0.1:1", "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", []string{"AKIAEXAMPLE", "wJalrXUtnFEMI"}},
		{"s3://:wJalrXUtnFEMI@bucket", "holds credentials", []string{"wJalrXUtnFEMI"}},
		{"s3://bucket?endpoint=127.0.0.1:1&secret_key=wJalrXUtnFEMI", `unknown parameter "secret_key"`, []string{"wJalrXUtnFEMI"}},
		{"s3://bucket?tls=maybe", `tls="maybe": want true or false`, nil},
		{"s3://bucket?path_style=yes", `path_style="yes": want true or false`, nil},
		{"s3://bucket?region=a&region=b", `parameter "region" given 2 times`, nil},
		{"s3:///prefix", "no bucket", nil},
		{"s3://bucket#wJalrXUtnFEMI", "a fragment (#...) means nothing here", []string{"wJalrXUtnFEMI"}},
		{"s3://x:wJalr%zz@bucket", "invalid URL escape", []string{"wJalr"}},
		{"file:relative/dir", "want file:///absolute/path", nil},
		{"file://otherhost/dir", "want file:///absolute/path", nil},
		{"file:///dir?sync=false", "takes no parameters", nil},
		{"ftp://bucket", `scheme "ftp" is not file or s3`, nil},
		{"/some/dir", `scheme "" is not file or s3`, nil},
		{missing, `bucket "no-such-bucket" does not exist at endpoint http://` + srv.Endpoint, nil},
	} {
		_, err := objects.Open(t.Context(), tc.url, t.TempDir())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%q) = %v, want an error saying %q", tc.url, err, tc.want)
			continue
		}
		for _, s := range tc.secrets {
			if strings.Contains(err.Error(), s) {
				t.Errorf("Open(%q): %v\nshows %q", tc.url, err, s)
			}
		}
	}
}
