// Package testutil holds helpers shared by Playhead's API and browser tests.
package testutil

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// FilesHolding returns the files under dir whose raw bytes contain needle.
func FilesHolding(t testing.TB, dir string, needle []byte) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(data, needle) {
			found = append(found, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// Get fetches u with c and returns the status and the body.
func Get(t testing.TB, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// MigrationsUnchanged fails t for each migration file in dir whose SHA-256
// is not the one released (file name to hex digest): databases exist that
// ran a released migration, so it is never edited.
func MigrationsUnchanged(t testing.TB, dir string, released map[string]string) {
	t.Helper()
	for name, want := range released {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("released migration %s: %v", name, err)
		}
		if got := fmt.Sprintf("%x", sha256.Sum256(data)); got != want {
			t.Errorf("released migration %s was edited (sha256 %s, want %s): change the schema with a new numbered file", name, got, want)
		}
	}
}
