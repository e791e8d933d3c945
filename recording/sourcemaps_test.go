package recording_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/keyring"
	"github.com/playhead/playhead/recording"
)

const smap = `{"version":3,"sources":["app.ts"],"sourcesContent":["let secretSauce = 1;"],"names":[],"mappings":"AAAA"}`

// TestSourceMapsAreKeptLikeRecordings: a map is stored encrypted with its
// release's key, survives a master key rotation, and goes with its release
// by retention once no session names the release.
func TestSourceMapsAreKeptLikeRecordings(t *testing.T) {
	_, rs, db, p := newStore(t)
	ctx := t.Context()
	m, err := rs.StoreSourceMap(ctx, p.ID, "v1", "app.min.js", []byte(smap))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := rs.Objects.Get(ctx, m.ObjectKey)
	if err != nil || bytes.Contains(sealed, []byte("secretSauce")) {
		t.Fatalf("stored object holds the map in the clear (err %v)", err)
	}
	// Rotation re-wraps the release's key with the sessions'; the map still opens.
	if _, err := rs.Keys.Keyring.AddCurrent(keyring.NewKey()); err != nil {
		t.Fatal(err)
	}
	if n, err := rs.Keys.Rewrap(ctx, nil); err != nil || n != 1 {
		t.Fatalf("Rewrap = %d, %v; want the release's key re-wrapped", n, err)
	}
	fresh := &recording.Store{Objects: rs.Objects, Index: db, Keys: &keyring.DataKeys{Keyring: rs.Keys.Keyring, Index: db}, Logger: rs.Logger, Now: rs.Now}
	if err := fresh.Keys.Keyring.Retire(fresh.Keys.Keyring.CurrentID()); err != nil {
		t.Fatal(err)
	}
	maps, _ := db.SourceMaps(ctx, p.ID, "v1")
	data, err := fresh.SourceMapData(ctx, maps[0])
	if err != nil || string(data) != smap {
		t.Fatalf("map after rotation = %q, %v", data, err)
	}
	// A second upload of the release shares its key.
	if _, err := fresh.StoreSourceMap(ctx, p.ID, "v1", "vendor.js", []byte(smap)); err != nil {
		t.Fatal(err)
	}

	// Retention: not while a session names the release; then yes.
	later := &recording.Store{Objects: rs.Objects, Index: db, Keys: fresh.Keys, Logger: rs.Logger, Now: func() time.Time { return now.Add(40 * 24 * time.Hour) }}
	w := &playhead.GroupWrite{Now: now, Sessions: []*playhead.Session{{ProjectID: p.ID, ID: "uses-v1-session", StartedAt: now.UnixMilli(), EndedAt: now.Add(35 * 24 * time.Hour).UnixMilli(), Release: "v1", Batches: 1}},
		Batches: []*playhead.IndexedBatch{{ProjectID: p.ID, SessionID: "uses-v1-session", Data: []byte("x"), Ref: playhead.BatchRef{FirstTs: now.UnixMilli(), LastTs: now.UnixMilli()}}}}
	if err := db.WriteGroup(ctx, []playhead.BatchID{{ProjectID: p.ID, SessionID: "uses-v1-session"}}, func(*playhead.GroupState) (*playhead.GroupWrite, error) { return w, nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := later.ApplyRetention(ctx); err != nil {
		t.Fatal(err)
	}
	if maps, _ := db.SourceMaps(ctx, p.ID, "v1"); len(maps) != 2 {
		t.Fatalf("maps of a release a kept session names = %d, want 2", len(maps))
	}
	evenLater := &recording.Store{Objects: rs.Objects, Index: db, Keys: fresh.Keys, Logger: rs.Logger, Now: func() time.Time { return now.Add(80 * 24 * time.Hour) }}
	if _, err := evenLater.ApplyRetention(ctx); err != nil {
		t.Fatal(err)
	}
	if maps, _ := db.SourceMaps(ctx, p.ID, "v1"); len(maps) != 0 {
		t.Errorf("maps after their release expired = %d", len(maps))
	}
	if _, err := rs.Objects.Get(ctx, m.ObjectKey); err == nil {
		t.Error("the map's object is still stored")
	}
	if _, err := db.SessionKey(ctx, p.ID, playhead.ReleaseKeyID("v1")); playhead.ErrorCode(err) != playhead.ENOTFOUND {
		t.Errorf("the release's key: %v, want it deleted", err)
	}
}
