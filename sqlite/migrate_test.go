package sqlite_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/internal/testutil"
	"github.com/playhead/playhead/sqlite"
)

// TestUpgradeFromV1 opens an index written by the first released schema and
// reads everything it held through the current build.
func TestUpgradeFromV1(t *testing.T) {
	ctx := t.Context()
	data, err := os.ReadFile("testdata/v1.db")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "index.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("open a version 1 index: %v", err)
	}
	defer db.Close()
	if v := userVersion(t, path); v != sqlite.SchemaVersion() {
		t.Errorf("schema version after upgrade = %d, want %d", v, sqlite.SchemaVersion())
	}
	p, err := db.ProjectByKey(ctx, "phk_fixture_v1")
	if err != nil {
		t.Fatal(err)
	}
	s, err := db.Session(ctx, p.ID, "sess-fixture-1")
	if err != nil {
		t.Fatal(err)
	}
	if s.Batches != 2 || s.Events != 19 || s.Clicks != 2 || s.Errors != 1 || s.UserAgent != "Mozilla/5.0 Fixture" ||
		len(s.Pages) != 2 || s.Pages[1] != "https://shop.example/checkout" {
		t.Errorf("session = %+v", s)
	}
	refs, err := db.Batches(ctx, p.ID, "sess-fixture-1")
	if err != nil || len(refs) != 2 || refs[0].ObjectKey == "" || refs[1].ObjectKey != "" || refs[0].KeyframeTs == nil {
		t.Errorf("batches = %+v, %v", refs, err)
	}
	if pending, err := db.PendingData(ctx, p.ID, "sess-fixture-1", []int{0, 1}); err != nil || string(pending[1]) != "pend1" || len(pending) != 1 {
		t.Errorf("pending data = %v, %v", pending, err)
	}
	if tl, err := db.Timeline(ctx, p.ID, "sess-fixture-1"); err != nil || len(tl) != 3 || tl[2].Kind != playhead.KindError {
		t.Errorf("timeline = %+v, %v", tl, err)
	}
	if k, err := db.SessionKey(ctx, p.ID, "sess-fixture-1"); err != nil || string(k.Wrapped) != "wrapped-fixture-key" {
		t.Errorf("data key = %+v, %v", k, err)
	}
	hooks, err := db.Webhooks(ctx, p.ID)
	if err != nil || len(hooks) != 1 {
		t.Fatalf("webhooks = %+v, %v", hooks, err)
	}
	if ds, err := db.Deliveries(ctx, p.ID, hooks[0].ID, 10); err != nil || len(ds) != 2 {
		t.Errorf("deliveries = %+v, %v", ds, err)
	}
	if rs, err := db.Reports(ctx, p.ID, 10); err != nil || len(rs) != 1 || rs[0].Text != "checkout broke" {
		t.Errorf("reports = %+v, %v", rs, err)
	}
	if br, err := db.BackendRecords(ctx, p.ID, "sess-fixture-1", 10); err != nil || len(br) != 1 || br[0].Name != "POST /api/order" {
		t.Errorf("backend records = %+v, %v", br, err)
	}
	if n, err := db.ScrubCounts(ctx, p.ID); err != nil || n["email"] != 2 {
		t.Errorf("scrub counts = %v, %v", n, err)
	}
	if u, err := db.UserByName(ctx, "admin"); err != nil || u.PasswordHash == "" {
		t.Errorf("user = %+v, %v", u, err)
	}
}

// TestRefusesNewerSchema checks that a build does not open an index a newer
// build has changed.
func TestRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index.db")
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	newer := sqlite.SchemaVersion() + 1
	if _, err := raw.Exec("PRAGMA user_version = " + itoa(newer)); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	_, err = sqlite.Open(t.Context(), path)
	if err == nil || !strings.Contains(err.Error(), "schema version "+itoa(newer)) || !strings.Contains(err.Error(), "newer than this build") {
		t.Fatalf("Open of a newer schema: err = %v, want a refusal naming the versions", err)
	}
}

func userVersion(t *testing.T, path string) int {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var v int
	if err := raw.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func itoa(n int) string { return strconv.Itoa(n) }

// released are the checksums of the migrations that builds have shipped:
// databases exist that ran them, so they are never edited. A new migration
// joins the list when it is released.
var released = map[string]string{
	"0001_initial.sql":                 "6b04c03c2b300aa5e3215e5d5f0065faef139afcedb37fc2c3a031cc2057ab68",
	"0002_jobs.sql":                    "23430684bd95ea14d3bfe33b4efd4f61520eab892771cff36e587d306e9a73ff",
	"0003_search.sql":                  "2573ac4eeb6be48ee3aa74decdc6dd6cf9b7d4bd7f658183bfba198904458a73",
	"0004_teams.sql":                   "dac6527252bc50ca502b6af525710390c101d0da03953838fdb134a6ab056282",
	"0005_keyframes.sql":               "95c071cf2d4408e58868b21230179572fc195cdeed90468da17046b5cc4cb268",
	"0006_users.sql":                   "8bd504119afc22fd0f5be0346afddfbb61a2956bbfaabfb563ea4c1cae308a05",
	"0007_search_keys.sql":             "f80249b1f5b11947c0ed84e8d085765a34acef25c2d683a60cb67fb482f6435b",
	"0008_repro.sql":                   "f7c95dfdb987f41b0fa7c69db399c27f3b625db8f83ecf0b640ca15ed1065268",
	"0009_search_fields.sql":           "f12e4d2e154a92d2ba425714a6a65cd7741feae65308dec25d5179bdabfeaa00",
	"0010_saved_searches.sql":          "d28a038f19c5476f0a3ab85cdf2976c302ae7456d84493d4ddaa78d6a32a3c43",
	"0011_short_values_and_inputs.sql": "5affa5bdd9ca29f986460af1f789302c563bd10463af2d839aa386e68c0b19c1",
}

func TestReleasedMigrationsUnchanged(t *testing.T) {
	testutil.MigrationsUnchanged(t, "migrations", released)
}
