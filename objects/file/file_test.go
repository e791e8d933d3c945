package file_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/objects/file"
	"github.com/playhead/playhead/objects/objectstoretest"
)

func TestStore(t *testing.T) {
	objectstoretest.Run(t, func(t *testing.T) playhead.ObjectStore {
		s, err := file.New(filepath.Join(t.TempDir(), "objects"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestPutLeavesNoTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	s, err := file.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(t.Context(), "a/b", []byte("data")); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join(dir, "a"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "b" {
		t.Fatalf("directory holds %v, want only b", entries)
	}
}
