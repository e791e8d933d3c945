package indextest_test

import (
	"path/filepath"
	"testing"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/indextest"
	"github.com/playhead/playhead/sqlite"
)

// TestStoresOnSQLite runs RunStores on the SQLite index. (It belongs beside
// TestIndex in sqlite's tests; it lives here until it moves there.)
func TestStoresOnSQLite(t *testing.T) {
	indextest.RunStores(t, func(t *testing.T) playhead.Index {
		db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "index.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}
