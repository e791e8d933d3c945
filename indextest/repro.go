package indextest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/playhead/playhead"
)

// RunRepro runs the suite's tests of what reproduction keeps: a session's
// release and import time, source maps by release with their data keys,
// and share links. newIndex returns a fresh, empty index for each subtest.
func RunRepro(t *testing.T, newIndex func(t *testing.T) playhead.Index) {
	ctx := context.Background()
	now := time.UnixMilli(1_800_000_000_000)
	day := int64(24 * time.Hour / time.Millisecond)
	at := now.UnixMilli()

	project := func(t *testing.T, db playhead.Index, name string) *playhead.Project {
		t.Helper()
		p := &playhead.Project{Name: name, IngestKey: "phk_" + name + "_" + t.Name()}
		if err := db.CreateProject(ctx, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	session := func(t *testing.T, db playhead.Index, s *playhead.Session) {
		t.Helper()
		ids := []playhead.BatchID{{ProjectID: s.ProjectID, SessionID: s.ID}}
		w := &playhead.GroupWrite{Now: now,
			Keys:     []*playhead.DataKey{{ProjectID: s.ProjectID, SessionID: s.ID, MasterKeyID: "m1", Wrapped: []byte("w")}},
			Batches:  []*playhead.IndexedBatch{{ProjectID: s.ProjectID, SessionID: s.ID, Data: []byte("d"), Ref: playhead.BatchRef{FirstTs: s.StartedAt, LastTs: s.EndedAt, Events: 1, Bytes: 1}}},
			Sessions: []*playhead.Session{s}}
		if err := db.WriteGroup(ctx, ids, func(*playhead.GroupState) (*playhead.GroupWrite, error) { return w, nil }); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("ReleaseAndImportTimeAreKept", func(t *testing.T) {
		db := newIndex(t)
		p := project(t, db, "shop")
		session(t, db, &playhead.Session{ProjectID: p.ID, ID: "rel", StartedAt: at - 1000, EndedAt: at, Release: "v1.2.3", Batches: 1})
		got, err := db.Session(ctx, p.ID, "rel")
		if err != nil || got.Release != "v1.2.3" || got.ImportedAt != 0 {
			t.Fatalf("Session = %+v, %v; want release v1.2.3", got, err)
		}
		// The group's state reads them back, so a later batch keeps them.
		err = db.WriteGroup(ctx, []playhead.BatchID{{ProjectID: p.ID, SessionID: "rel", Seq: 1}}, func(st *playhead.GroupState) (*playhead.GroupWrite, error) {
			s := st.Sessions[playhead.SessionRef{ProjectID: p.ID, SessionID: "rel"}]
			if s == nil || s.Release != "v1.2.3" {
				t.Errorf("group state session = %+v, want release v1.2.3", s)
			}
			return nil, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// An imported session ended long ago but was imported now: retention
		// counts from the import.
		session(t, db, &playhead.Session{ProjectID: p.ID, ID: "imported", StartedAt: at - 90*day, EndedAt: at - 89*day, ImportedAt: at - day, Batches: 1})
		session(t, db, &playhead.Session{ProjectID: p.ID, ID: "old", StartedAt: at - 90*day, EndedAt: at - 89*day, Batches: 1})
		list, _, err := db.Sessions(ctx, playhead.SessionFilter{ProjectID: p.ID, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var imported *playhead.Session
		for _, s := range list {
			if s.ID == "imported" {
				imported = s
			}
		}
		if imported == nil || imported.ImportedAt != at-day {
			t.Errorf("listed imported session = %+v, want importedAt %d", imported, at-day)
		}
		expired, err := db.ExpiredSessions(ctx, now, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(expired) != 1 || expired[0].SessionID != "old" {
			t.Errorf("ExpiredSessions = %v, want only old (the import is a day old)", expired)
		}
		if expired, _ := db.ExpiredSessions(ctx, now.Add(40*24*time.Hour), 10); len(expired) != 3 {
			t.Errorf("ExpiredSessions 40 days later = %v, want all three", expired)
		}
	})

	t.Run("SourceMapsByRelease", func(t *testing.T) {
		db := newIndex(t)
		p, q := project(t, db, "shop"), project(t, db, "blog")
		key := &playhead.DataKey{ProjectID: p.ID, SessionID: playhead.ReleaseKeyID("v1"), MasterKeyID: "m1", Wrapped: []byte("first")}
		got, err := db.StoreKey(ctx, key)
		if err != nil || string(got.Wrapped) != "first" || got.MasterKeyID != "m1" {
			t.Fatalf("StoreKey = %+v, %v", got, err)
		}
		// A second key under the same name loses to the stored one.
		got, err = db.StoreKey(ctx, &playhead.DataKey{ProjectID: p.ID, SessionID: playhead.ReleaseKeyID("v1"), MasterKeyID: "m2", Wrapped: []byte("second")})
		if err != nil || string(got.Wrapped) != "first" {
			t.Fatalf("second StoreKey = %+v, %v; want the first key", got, err)
		}
		if k, err := db.SessionKey(ctx, p.ID, playhead.ReleaseKeyID("v1")); err != nil || string(k.Wrapped) != "first" {
			t.Errorf("SessionKey(release:v1) = %+v, %v", k, err)
		}
		put := func(pid int64, release, name string, uploaded time.Time) {
			t.Helper()
			m := &playhead.SourceMap{ProjectID: pid, Release: release, Name: name, ObjectKey: "sm/" + release + "/" + name, Size: 10, UploadedAt: uploaded}
			if err := db.PutSourceMap(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		put(p.ID, "v1", "app.js", now.Add(-40*24*time.Hour))
		put(p.ID, "v1", "vendor.js", now.Add(-40*24*time.Hour))
		put(p.ID, "v1", "app.js", now.Add(-35*24*time.Hour)) // replaced
		put(p.ID, "v2", "app.js", now.Add(-40*24*time.Hour))
		put(p.ID, "v3", "app.js", now)
		put(q.ID, "v1", "app.js", now.Add(-40*24*time.Hour))
		maps, err := db.SourceMaps(ctx, p.ID, "v1")
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, m := range maps {
			names = append(names, m.Name)
		}
		if !slices.Equal(names, []string{"app.js", "vendor.js"}) || !maps[0].UploadedAt.Equal(now.Add(-35*24*time.Hour)) || maps[0].ObjectKey != "sm/v1/app.js" {
			t.Errorf("SourceMaps(v1) = %v (%+v), want app.js (replaced) and vendor.js", names, maps[0])
		}
		if maps, err := db.SourceMaps(ctx, p.ID, "none"); err != nil || len(maps) != 0 {
			t.Errorf("SourceMaps(none) = %v, %v", maps, err)
		}
		// v2 is named by a session and so kept; v3 is recent.
		session(t, db, &playhead.Session{ProjectID: p.ID, ID: "uses-v2", StartedAt: at - 1000, EndedAt: at, Release: "v2", Batches: 1})
		expired, err := db.ExpiredReleases(ctx, now, 10)
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(expired, func(a, b playhead.ReleaseRef) int { return int(a.ProjectID - b.ProjectID) })
		want := []playhead.ReleaseRef{{ProjectID: p.ID, Release: "v1"}, {ProjectID: q.ID, Release: "v1"}}
		if !slices.Equal(expired, want) {
			t.Errorf("ExpiredReleases = %v, want %v", expired, want)
		}
		keys, err := db.DeleteRelease(ctx, p.ID, "v1")
		slices.Sort(keys)
		if err != nil || !slices.Equal(keys, []string{"sm/v1/app.js", "sm/v1/vendor.js"}) {
			t.Errorf("DeleteRelease = %v, %v", keys, err)
		}
		if maps, _ := db.SourceMaps(ctx, p.ID, "v1"); len(maps) != 0 {
			t.Errorf("after DeleteRelease, SourceMaps = %v", maps)
		}
		if _, err := db.SessionKey(ctx, p.ID, playhead.ReleaseKeyID("v1")); playhead.ErrorCode(err) != playhead.ENOTFOUND {
			t.Errorf("after DeleteRelease, the release key: err = %v, want ENOTFOUND", err)
		}
		if maps, _ := db.SourceMaps(ctx, q.ID, "v1"); len(maps) != 1 {
			t.Errorf("another project's v1 = %v, want kept", maps)
		}
		jobs, err := db.ClaimJobs(ctx, playhead.JobDeleteObject, now.Add(time.Hour), time.Minute, 10)
		if err != nil || len(jobs) != 2 {
			t.Errorf("queued deletions = %v, %v; want the two maps' objects", jobs, err)
		}
	})

	t.Run("ShareLinks", func(t *testing.T) {
		db := newIndex(t)
		p, q := project(t, db, "shop"), project(t, db, "blog")
		session(t, db, &playhead.Session{ProjectID: p.ID, ID: "shared", StartedAt: at - 1000, EndedAt: at, Batches: 1})
		a := &playhead.ShareLink{ProjectID: p.ID, SessionID: "shared", TokenHash: "hash-a", StartAt: at - 500, CreatedBy: "ada", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		b := &playhead.ShareLink{ProjectID: p.ID, SessionID: "shared", TokenHash: "hash-b", CreatedBy: "ada", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		for _, l := range []*playhead.ShareLink{a, b} {
			if err := db.CreateShareLink(ctx, l); err != nil {
				t.Fatal(err)
			}
		}
		if a.ID == 0 || b.ID == a.ID {
			t.Fatalf("ids = %d, %d", a.ID, b.ID)
		}
		got, err := db.ShareLinkByToken(ctx, "hash-a")
		if err != nil || got.ID != a.ID || got.SessionID != "shared" || got.StartAt != at-500 || got.CreatedBy != "ada" ||
			!got.ExpiresAt.Equal(now.Add(time.Hour)) || got.RevokedAt != nil || !got.Active(now) {
			t.Fatalf("ShareLinkByToken = %+v, %v", got, err)
		}
		if _, err := db.ShareLinkByToken(ctx, "nope"); playhead.ErrorCode(err) != playhead.ENOTFOUND {
			t.Errorf("unknown token: err = %v, want ENOTFOUND", err)
		}
		if err := db.UseShareLink(ctx, a.ID, now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := db.UseShareLink(ctx, a.ID, now.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := db.RevokeShareLink(ctx, q.ID, a.ID, now); playhead.ErrorCode(err) != playhead.ENOTFOUND {
			t.Errorf("revoking another project's link: err = %v, want ENOTFOUND", err)
		}
		if err := db.RevokeShareLink(ctx, p.ID, a.ID, now.Add(3*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := db.RevokeShareLink(ctx, p.ID, a.ID, now.Add(4*time.Minute)); err != nil {
			t.Fatal(err)
		}
		list, err := db.ShareLinks(ctx, p.ID, "shared")
		if err != nil || len(list) != 2 || list[0].ID != b.ID {
			t.Fatalf("ShareLinks = %+v, %v; want b then a", list, err)
		}
		ra := list[1]
		if ra.Uses != 2 || ra.LastUsedAt == nil || !ra.LastUsedAt.Equal(now.Add(2*time.Minute)) ||
			ra.RevokedAt == nil || !ra.RevokedAt.Equal(now.Add(3*time.Minute)) || ra.Active(now) {
			t.Errorf("revoked link = %+v, want 2 uses and revoked at the first revocation", ra)
		}
		if list[0].Active(now.Add(time.Hour)) {
			t.Error("a link is active at its expiry")
		}
		// Erasing the session deletes its links.
		if _, err := db.DeleteSession(ctx, p.ID, "shared", nil); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ShareLinkByToken(ctx, "hash-b"); playhead.ErrorCode(err) != playhead.ENOTFOUND {
			t.Errorf("after erasure, the link: err = %v, want ENOTFOUND", err)
		}
	})

	t.Run("ProjectDeletionTakesSourceMapsAndLinks", func(t *testing.T) {
		db := newIndex(t)
		p, kept := project(t, db, "gone"), project(t, db, "kept")
		for _, pid := range []int64{p.ID, kept.ID} {
			if _, err := db.StoreKey(ctx, &playhead.DataKey{ProjectID: pid, SessionID: playhead.ReleaseKeyID("v1"), MasterKeyID: "m1", Wrapped: []byte("k")}); err != nil {
				t.Fatal(err)
			}
			if err := db.PutSourceMap(ctx, &playhead.SourceMap{ProjectID: pid, Release: "v1", Name: "app.js", ObjectKey: fmt.Sprintf("sm/%d", pid), Size: 1, UploadedAt: now}); err != nil {
				t.Fatal(err)
			}
			if err := db.CreateShareLink(ctx, &playhead.ShareLink{ProjectID: pid, SessionID: "s", TokenHash: fmt.Sprintf("h%d", pid), CreatedBy: "a", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.MarkProjectDeleting(ctx, p.ID, now); err != nil {
			t.Fatal(err)
		}
		keys, err := db.DeleteProject(ctx, p.ID, func(h string) string { return h })
		if err != nil || !slices.Contains(keys, fmt.Sprintf("sm/%d", p.ID)) {
			t.Fatalf("DeleteProject = %v, %v; want the source map's object", keys, err)
		}
		if maps, _ := db.SourceMaps(ctx, p.ID, "v1"); len(maps) != 0 {
			t.Errorf("the deleted project's source maps = %v", maps)
		}
		if _, err := db.SessionKey(ctx, p.ID, playhead.ReleaseKeyID("v1")); playhead.ErrorCode(err) != playhead.ENOTFOUND {
			t.Errorf("the deleted project's release key: %v", err)
		}
		if _, err := db.ShareLinkByToken(ctx, fmt.Sprintf("h%d", p.ID)); playhead.ErrorCode(err) != playhead.ENOTFOUND {
			t.Errorf("the deleted project's share link: %v", err)
		}
		if maps, _ := db.SourceMaps(ctx, kept.ID, "v1"); len(maps) != 1 {
			t.Errorf("the other project's source maps = %v", maps)
		}
		if _, err := db.ShareLinkByToken(ctx, fmt.Sprintf("h%d", kept.ID)); err != nil {
			t.Errorf("the other project's share link: %v", err)
		}
	})
}
