package indextest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/playhead/playhead"
)

// runAccess tests what an index keeps of who may do what: owners and
// memberships, project settings and ingest keys, project deletion, API
// tokens, the audit log and installation-wide settings.
func runAccess(t *testing.T, newIndex func(t *testing.T) playhead.Index,
	project func(*testing.T, playhead.Index, string) *playhead.Project,
	session func(*testing.T, playhead.Index, *playhead.Project, string, int64, int64, string)) {
	ctx := context.Background()
	now := time.UnixMilli(1_800_000_000_000)
	user := func(t *testing.T, db playhead.Index, name string, owner bool) *playhead.User {
		t.Helper()
		u := &playhead.User{Username: name, PasswordHash: "x", Owner: owner}
		if err := db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		return u
	}

	t.Run("Memberships", func(t *testing.T) {
		db := newIndex(t)
		prod, staging := project(t, db, "prod"), project(t, db, "staging")
		owner, dev, viewer := user(t, db, "olga", true), user(t, db, "dan", false), user(t, db, "vic", false)
		if got, err := db.UserByName(ctx, "olga"); err != nil || !got.Owner {
			t.Fatalf("UserByName(olga) = %+v, %v; want an owner", got, err)
		}
		if err := db.SetMember(ctx, prod.ID, dev.ID, playhead.RoleViewer); err != nil {
			t.Fatal(err)
		}
		// Setting again replaces the role.
		if err := db.SetMember(ctx, prod.ID, dev.ID, playhead.RoleDeveloper); err != nil {
			t.Fatal(err)
		}
		if err := db.SetMember(ctx, staging.ID, viewer.ID, playhead.RoleViewer); err != nil {
			t.Fatal(err)
		}
		if err := db.SetMember(ctx, prod.ID, viewer.ID, "root"); playhead.ErrorCode(err) != playhead.EINVALID {
			t.Errorf("SetMember(role root) = %v, want invalid", err)
		}
		if err := db.SetMember(ctx, prod.ID+100, viewer.ID, playhead.RoleViewer); playhead.ErrorCode(err) != playhead.ENOTFOUND {
			t.Errorf("SetMember(missing project) = %v, want not found", err)
		}

		members, err := db.Members(ctx, prod.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := []playhead.Member{
			{ProjectID: prod.ID, UserID: dev.ID, Username: "dan", Role: playhead.RoleDeveloper},
			{ProjectID: prod.ID, UserID: owner.ID, Username: "olga", Role: playhead.RoleAdmin, Owner: true},
		}
		if !reflect.DeepEqual(members, want) {
			t.Errorf("Members(prod) = %+v, want %+v", members, want)
		}

		roles := map[string]map[int64]playhead.Role{}
		for _, u := range []*playhead.User{owner, dev, viewer} {
			list, err := db.UserProjects(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			roles[u.Username] = map[int64]playhead.Role{}
			for _, pr := range list {
				roles[u.Username][pr.Project.ID] = pr.Role
			}
		}
		wantRoles := map[string]map[int64]playhead.Role{
			"olga": {prod.ID: playhead.RoleAdmin, staging.ID: playhead.RoleAdmin},
			"dan":  {prod.ID: playhead.RoleDeveloper},
			"vic":  {staging.ID: playhead.RoleViewer},
		}
		if !reflect.DeepEqual(roles, wantRoles) {
			t.Errorf("UserProjects = %v, want %v", roles, wantRoles)
		}
		for _, c := range []struct {
			project, user int64
			want          playhead.Role
		}{{prod.ID, dev.ID, playhead.RoleDeveloper}, {staging.ID, dev.ID, ""}, {staging.ID, owner.ID, playhead.RoleAdmin}, {prod.ID, viewer.ID, ""}} {
			got, err := db.MemberRole(ctx, c.project, c.user)
			if c.want == "" {
				if playhead.ErrorCode(err) != playhead.ENOTFOUND {
					t.Errorf("MemberRole(%d, %d) = %q, %v; want not found", c.project, c.user, got, err)
				}
				continue
			}
			if err != nil || got != c.want {
				t.Errorf("MemberRole(%d, %d) = %q, %v; want %q", c.project, c.user, got, err, c.want)
			}
		}

		if err := db.RemoveMember(ctx, prod.ID, dev.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.RemoveMember(ctx, prod.ID, dev.ID); playhead.ErrorCode(err) != playhead.ENOTFOUND {
			t.Errorf("RemoveMember twice = %v, want not found", err)
		}
		if _, err := db.MemberRole(ctx, prod.ID, dev.ID); playhead.ErrorCode(err) != playhead.ENOTFOUND {
			t.Errorf("MemberRole after removal = %v, want not found", err)
		}
		// An owner no longer is one when unset, and sees only memberships.
		if err := db.SetOwner(ctx, owner.ID, false); err != nil {
			t.Fatal(err)
		}
		if list, err := db.UserProjects(ctx, owner.ID); err != nil || len(list) != 0 {
			t.Errorf("UserProjects(former owner) = %v, %v; want none", list, err)
		}
	})

	t.Run("ProjectSettingsAndKeys", func(t *testing.T) {
		db := newIndex(t)
		p := project(t, db, "shop")
		rate := 0.25
		p.Name = "Shop (production)"
		p.RetentionDays = 90
		p.Settings = playhead.ProjectSettings{PrivacyPreset: "strict", ClientIP: "none", AssetOrigins: []string{"https://cdn.example"},
			SampleRate: &rate, RageClicks: 4, RageWindowMs: 800, DeadClickMs: 2500}
		if err := db.UpdateProject(ctx, p); err != nil {
			t.Fatal(err)
		}
		got, err := db.Project(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != p.Name || got.RetentionDays != 90 || !reflect.DeepEqual(got.Settings, p.Settings) {
			t.Errorf("Project = %+v, want name and settings of %+v", got, p)
		}

		old := p.IngestKey
		if err := db.SetIngestKey(ctx, p.ID, "phk_new_"+t.Name(), now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{old, "phk_new_" + t.Name()} {
			got, err := db.ProjectByKey(ctx, key)
			if err != nil || got.ID != p.ID || !got.AcceptsKey(key, now) {
				t.Errorf("ProjectByKey(%s) = %+v, %v; want project %d accepting it", key, got, err, p.ID)
			}
			if key == old && got != nil && got.AcceptsKey(key, now.Add(time.Hour)) {
				t.Errorf("the previous key is accepted past its grace period")
			}
		}
		// Revoking: a new key with no grace period.
		if err := db.SetIngestKey(ctx, p.ID, "phk_newer_"+t.Name(), now); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ProjectByKey(ctx, old); playhead.ErrorCode(err) != playhead.EUNAUTHORIZED {
			t.Errorf("ProjectByKey(key replaced twice) = %v, want unauthorized", err)
		}
		if got, err := db.ProjectByKey(ctx, "phk_new_"+t.Name()); err == nil && got.AcceptsKey("phk_new_"+t.Name(), now) {
			t.Errorf("a key revoked with no grace period is still accepted")
		}
		if _, err := db.ProjectByKey(ctx, ""); playhead.ErrorCode(err) != playhead.EUNAUTHORIZED {
			t.Errorf("ProjectByKey(\"\") = %v, want unauthorized", err)
		}
	})

	t.Run("DeleteProject", func(t *testing.T) {
		db := newIndex(t)
		gone, kept := project(t, db, "gone"), project(t, db, "kept")
		u := user(t, db, "ann", false)
		if err := db.SetMember(ctx, gone.ID, u.ID, playhead.RoleAdmin); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateAPIToken(ctx, &playhead.APIToken{ProjectID: gone.ID, Name: "ci", Scopes: []string{playhead.ScopeRead}, Hash: "h-" + t.Name(), Hint: "pht_ab"}); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateWebhook(ctx, &playhead.Webhook{ProjectID: gone.ID, URL: "https://hooks.example/x", Secret: "s"}); err != nil {
			t.Fatal(err)
		}
		if err := db.AddAssetURLs(ctx, gone.ID, []string{"https://cdn.example/a.css", "https://cdn.example/b.png"}, now); err != nil {
			t.Fatal(err)
		}
		if err := db.UpdateAsset(ctx, &playhead.AssetRecord{ProjectID: gone.ID, URL: "https://cdn.example/a.css", Status: "captured", Hash: "hash-a", ContentType: "text/css", Size: 3}); err != nil {
			t.Fatal(err)
		}
		session(t, db, gone, "s1", 1000, 2000, "")
		session(t, db, kept, "s2", 1000, 2000, "")
		if err := db.MarkProjectDeleting(ctx, gone.ID, now); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Project(ctx, gone.ID); playhead.ErrorCode(err) != playhead.ENOTFOUND {
			t.Errorf("Project(being deleted) = %v, want not found", err)
		}
		if _, err := db.ProjectByKey(ctx, gone.IngestKey); playhead.ErrorCode(err) != playhead.EUNAUTHORIZED {
			t.Errorf("ProjectByKey(being deleted) = %v, want unauthorized", err)
		}
		if list, _ := db.Projects(ctx); len(list) != 1 || list[0].ID != kept.ID {
			t.Errorf("Projects = %v, want only the kept one", list)
		}
		if list, _ := db.UserProjects(ctx, u.ID); len(list) != 0 {
			t.Errorf("UserProjects = %v, want none", list)
		}
		deleting, err := db.DeletingProjects(ctx)
		if err != nil || len(deleting) != 1 || deleting[0].ID != gone.ID {
			t.Fatalf("DeletingProjects = %v, %v; want the gone one", deleting, err)
		}
		assetKey := func(hash string) string { return "assets/gone/" + hash }
		if _, err := db.DeleteProject(ctx, gone.ID, assetKey); playhead.ErrorCode(err) != playhead.EINVALID {
			t.Errorf("DeleteProject with a session left = %v, want invalid", err)
		}
		if _, err := db.DeleteSession(ctx, gone.ID, "s1", nil); err != nil {
			t.Fatal(err)
		}
		keys, err := db.DeleteProject(ctx, gone.ID, assetKey)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(keys, []string{"assets/gone/hash-a"}) {
			t.Errorf("DeleteProject returned objects %v, want the captured asset's", keys)
		}
		jobs, err := db.ClaimJobs(ctx, playhead.JobDeleteObject, time.Now().Add(time.Minute), time.Minute, 100)
		if err != nil {
			t.Fatal(err)
		}
		queued := false
		for _, j := range jobs {
			queued = queued || j.Key == "assets/gone/hash-a"
		}
		if !queued {
			t.Errorf("jobs = %+v, want the asset object's deletion queued", jobs)
		}
		if list, err := db.Assets(ctx, gone.ID, 10); err != nil || len(list) != 0 {
			t.Errorf("the deleted project's assets = %v, %v", list, err)
		}
		if list, _ := db.DeletingProjects(ctx); len(list) != 0 {
			t.Errorf("DeletingProjects after deletion = %v", list)
		}
		if _, err := db.APITokenByHash(ctx, "h-"+t.Name()); playhead.ErrorCode(err) != playhead.EUNAUTHORIZED {
			t.Errorf("the deleted project's token = %v, want unauthorized", err)
		}
		if hooks, err := db.Webhooks(ctx, gone.ID); err != nil || len(hooks) != 0 {
			t.Errorf("the deleted project's webhooks = %v, %v", hooks, err)
		}
		if _, err := db.Session(ctx, kept.ID, "s2"); err != nil {
			t.Errorf("the other project's session: %v", err)
		}
	})

	t.Run("APITokens", func(t *testing.T) {
		db := newIndex(t)
		p, other := project(t, db, "p"), project(t, db, "other")
		a := &playhead.APIToken{ProjectID: p.ID, Name: "ci", Scopes: []string{playhead.ScopeRead, playhead.ScopeErase}, Hash: "ha", Hint: "pht_aa", CreatedBy: 7, CreatedAt: now}
		b := &playhead.APIToken{ProjectID: p.ID, Name: "otel", Scopes: []string{playhead.ScopeOTLP}, Hash: "hb", Hint: "pht_bb", CreatedAt: now.Add(time.Second)}
		for _, tok := range []*playhead.APIToken{a, b} {
			if err := db.CreateAPIToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.CreateAPIToken(ctx, &playhead.APIToken{ProjectID: other.ID, Name: "dup", Scopes: []string{playhead.ScopeRead}, Hash: "ha", Hint: "x", CreatedAt: now}); err == nil {
			t.Errorf("a second token with the same hash was stored")
		}
		got, err := db.APITokenByHash(ctx, "ha")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, a) {
			t.Errorf("APITokenByHash = %+v, want %+v", got, a)
		}
		if err := db.TouchAPIToken(ctx, a.ID, now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		list, err := db.APITokens(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].ID != b.ID || !list[1].LastUsedAt.Equal(now.Add(time.Minute)) {
			t.Errorf("APITokens = %+v, want b then a, a used a minute after now", list)
		}
		if err := db.DeleteAPIToken(ctx, other.ID, a.ID); playhead.ErrorCode(err) != playhead.ENOTFOUND {
			t.Errorf("DeleteAPIToken from another project = %v, want not found", err)
		}
		if err := db.DeleteAPIToken(ctx, p.ID, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.APITokenByHash(ctx, "ha"); playhead.ErrorCode(err) != playhead.EUNAUTHORIZED {
			t.Errorf("APITokenByHash(revoked) = %v, want unauthorized", err)
		}
	})

	t.Run("AuditLog", func(t *testing.T) {
		db := newIndex(t)
		entries := []playhead.AuditEntry{
			{At: now.Add(-48 * time.Hour), ActorName: "ann", ActorUserID: 1, Action: playhead.AuditSignIn, Target: "ann", IP: "192.0.2.0"},
			{At: now.Add(-time.Hour), ActorName: "ann", ActorUserID: 1, Action: playhead.AuditReplayView, ProjectID: 1, Target: "sess-1", IP: "192.0.2.0"},
			{At: now.Add(-time.Minute), ActorName: "token:ci", ActorToken: "ci (#3)", Action: playhead.AuditTokenCreate, ProjectID: 2, Target: "ci",
				Detail: map[string]any{"scopes": []any{"sessions:read"}}},
			{At: now, ActorName: "bob", ActorUserID: 2, Action: playhead.AuditTokenRevoke, ProjectID: 1, Target: "ci"},
		}
		for _, e := range entries {
			if err := db.AddAudit(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		all, err := db.AuditEntries(ctx, playhead.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 4 || all[0].Action != playhead.AuditTokenRevoke || all[3].Action != playhead.AuditSignIn {
			t.Fatalf("AuditEntries = %+v, want all four, newest first", all)
		}
		third := all[1]
		third.ID = 0
		want := entries[2]
		if !third.At.Equal(want.At) || !reflect.DeepEqual(third.Detail, want.Detail) || third.ActorToken != want.ActorToken || third.ProjectID != 2 {
			t.Errorf("entry = %+v, want %+v", third, want)
		}
		count := func(f playhead.AuditFilter) int {
			t.Helper()
			list, err := db.AuditEntries(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			return len(list)
		}
		for name, c := range map[string]struct {
			f    playhead.AuditFilter
			want int
		}{
			"project 1":         {playhead.AuditFilter{Projects: []int64{1}}, 2},
			"installation":      {playhead.AuditFilter{Projects: []int64{0}}, 1},
			"no projects":       {playhead.AuditFilter{Projects: []int64{}}, 0},
			"actor ann":         {playhead.AuditFilter{Actor: "ann"}, 2},
			"action prefix":     {playhead.AuditFilter{Action: "token."}, 2},
			"action exact":      {playhead.AuditFilter{Action: playhead.AuditReplayView}, 1},
			"target":            {playhead.AuditFilter{Target: "ci"}, 2},
			"since":             {playhead.AuditFilter{Since: now.Add(-2 * time.Hour)}, 3},
			"until":             {playhead.AuditFilter{Until: now}, 3},
			"before id, limit":  {playhead.AuditFilter{BeforeID: all[0].ID, Limit: 2}, 2},
			"project 2 and ann": {playhead.AuditFilter{Projects: []int64{2}, Actor: "ann"}, 0},
		} {
			if got := count(c.f); got != c.want {
				t.Errorf("%s: %d entries, want %d", name, got, c.want)
			}
		}
		n, err := db.PurgeAudit(ctx, now.Add(-24*time.Hour))
		if err != nil || n != 1 {
			t.Errorf("PurgeAudit = %d, %v; want 1", n, err)
		}
		if got := count(playhead.AuditFilter{}); got != 3 {
			t.Errorf("after purge: %d entries, want 3", got)
		}
	})

	t.Run("Settings", func(t *testing.T) {
		db := newIndex(t)
		if v, err := db.Setting(ctx, "audit_retention_days"); err != nil || v != "" {
			t.Errorf("unset Setting = %q, %v", v, err)
		}
		for _, v := range []string{"365", "90"} {
			if err := db.SetSetting(ctx, "audit_retention_days", v); err != nil {
				t.Fatal(err)
			}
			if got, err := db.Setting(ctx, "audit_retention_days"); err != nil || got != v {
				t.Errorf("Setting = %q, %v; want %q", got, err, v)
			}
		}
	})
}
