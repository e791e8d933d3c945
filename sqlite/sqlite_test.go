package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/indextest"
	"github.com/playhead/playhead/sqlite"
)

func TestIndex(t *testing.T) {
	indextest.Run(t, newIndex)
	indextest.RunStores(t, newIndex)
	indextest.RunRepro(t, newIndex)
	indextest.RunUsers(t, newIndex)
}

func newIndex(t *testing.T) playhead.Index {
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index.db")
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateProject(t.Context(), &playheadProject); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	list, err := db.Projects(t.Context())
	if err != nil || len(list) != 1 || list[0].IngestKey != playheadProject.IngestKey {
		t.Fatalf("Projects after reopen = %v, %v", list, err)
	}
}

var playheadProject = playhead.Project{Name: "Default", IngestKey: "phk_reopen"}

func TestSearch(t *testing.T) { indextest.RunSearch(t, newIndex) }

func TestSearchTools(t *testing.T) { indextest.RunSearchTools(t, newIndex) }

// TestSearchCommonText runs the shared searches with every searched text
// and value taken for common, so checked session by session rather than
// found through the trigram index or a value's index: both must find the
// same sessions.
func TestSearchCommonText(t *testing.T) {
	defer sqlite.SetCommonMatches(1)()
	indextest.RunSearch(t, newIndex)
}
