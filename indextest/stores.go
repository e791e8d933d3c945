package indextest

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/playhead/playhead"
)

// RunStores runs the suite's tests of what an index keeps beside sessions
// and batches: data keys, webhooks and their deliveries, reports, assets,
// backend records, scrub counts, erasure and retention. newIndex returns a
// fresh, empty index for each subtest. The tests write through WriteGroup
// directly, with what ingest would have decided spelled out, so they hold
// for any index that stores what it is given.
func RunStores(t *testing.T, newIndex func(t *testing.T) playhead.Index) {
	ctx := context.Background()
	now := time.UnixMilli(1_800_000_000_000)

	project := func(t *testing.T, db playhead.Index, name string) *playhead.Project {
		t.Helper()
		p := &playhead.Project{Name: name, IngestKey: "phk_" + name + "_" + t.Name()}
		if err := db.CreateProject(ctx, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// write stores w as decided, whatever the stored state.
	write := func(t *testing.T, db playhead.Index, w *playhead.GroupWrite) {
		t.Helper()
		var ids []playhead.BatchID
		for _, b := range w.Batches {
			ids = append(ids, playhead.BatchID{ProjectID: b.ProjectID, SessionID: b.SessionID, Seq: b.Ref.Seq})
		}
		if w.Now.IsZero() {
			w.Now = now
		}
		if err := db.WriteGroup(ctx, ids, func(*playhead.GroupState) (*playhead.GroupWrite, error) { return w, nil }); err != nil {
			t.Fatal(err)
		}
	}
	// session writes one batch of a new session, with its summary and key.
	session := func(t *testing.T, db playhead.Index, p *playhead.Project, id string, started, ended int64, userHash string) {
		t.Helper()
		write(t, db, &playhead.GroupWrite{
			Keys:     []*playhead.DataKey{{ProjectID: p.ID, SessionID: id, MasterKeyID: "m1", Wrapped: []byte("wrapped-" + id)}},
			Batches:  []*playhead.IndexedBatch{{ProjectID: p.ID, SessionID: id, Data: []byte("data"), Ref: playhead.BatchRef{Seq: 0, FirstTs: started, LastTs: ended, Events: 1, Bytes: 4}}},
			Sessions: []*playhead.Session{{ProjectID: p.ID, ID: id, StartedAt: started, EndedAt: ended, UserHash: userHash, Events: 1, Bytes: 4, Batches: 1}},
		})
	}

	t.Run("LoginExpiry", func(t *testing.T) {
		db := newIndex(t)
		u := &playhead.User{Username: "ada", PasswordHash: "x"}
		if err := db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		now := time.UnixMilli(1_800_000_000_000)
		for _, l := range []struct {
			hash    string
			expires time.Time
		}{{"expired", now.Add(-time.Minute)}, {"now", now}, {"idle", now.Add(time.Hour)}, {"fresh", now.Add(2 * time.Hour)}} {
			if err := db.CreateLogin(ctx, l.hash, u.ID, l.expires); err != nil {
				t.Fatal(err)
			}
		}
		// Extending moves an expiry later, never earlier.
		if err := db.ExtendLogin(ctx, "idle", now.Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := db.ExtendLogin(ctx, "fresh", now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.LoginUser(ctx, "idle", now.Add(150*time.Minute)); err != nil {
			t.Errorf("extended login at +150m: %v", err)
		}
		if _, err := db.LoginUser(ctx, "fresh", now.Add(90*time.Minute)); err != nil {
			t.Errorf("login at +90m, after an ExtendLogin to +1m: %v", err)
		}
		n, err := db.PurgeLogins(ctx, now)
		if err != nil || n != 2 {
			t.Fatalf("PurgeLogins = %d, %v; want the 2 expired at now", n, err)
		}
		if _, err := db.LoginUser(ctx, "idle", now); err != nil {
			t.Errorf("an unexpired login was purged: %v", err)
		}
		if n, _ := db.PurgeLogins(ctx, now); n != 0 {
			t.Errorf("second PurgeLogins = %d, want 0", n)
		}
	})

	t.Run("GroupStateAndWholeSummaries", func(t *testing.T) {
		db := newIndex(t)
		p := project(t, db, "shop")
		id := playhead.BatchID{ProjectID: p.ID, SessionID: "s1", Seq: 0}
		sum := &playhead.Session{ProjectID: p.ID, ID: "s1", StartedAt: 1000, EndedAt: 5000, UserAgent: "UA", ClientIP: "192.0.2.0",
			UserHash: "u1", Clicks: 5, Errors: 2, ConsoleErrors: 1, FailedRequests: 3, Events: 40, Bytes: 900, Batches: 1}
		key := &playhead.DataKey{ProjectID: p.ID, SessionID: "s1", MasterKeyID: "m1", Wrapped: []byte{1, 2, 3}}
		err := db.WriteGroup(ctx, []playhead.BatchID{id}, func(st *playhead.GroupState) (*playhead.GroupWrite, error) {
			if len(st.Stored) != 0 || len(st.Sessions) != 0 || len(st.Keys) != 0 {
				t.Errorf("state of an empty index = %+v", st)
			}
			return &playhead.GroupWrite{Keys: []*playhead.DataKey{key}, Sessions: []*playhead.Session{sum}, Now: now,
				Batches: []*playhead.IndexedBatch{{ProjectID: p.ID, SessionID: "s1", Ref: playhead.BatchRef{Seq: 0, FirstTs: 1000, LastTs: 5000, Events: 40, Bytes: 900}}}}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		ref := id.Session()
		other := playhead.BatchID{ProjectID: p.ID, SessionID: "s1", Seq: 1}
		errDecided := errors.New("refused")
		err = db.WriteGroup(ctx, []playhead.BatchID{id, other}, func(st *playhead.GroupState) (*playhead.GroupWrite, error) {
			if !st.Stored[id] || st.Stored[other] {
				t.Errorf("Stored = %v, want only seq 0", st.Stored)
			}
			got := st.Sessions[ref]
			if got == nil {
				t.Fatalf("Sessions = %v, want s1", st.Sessions)
			}
			got.Pages, got.FirstURL, got.DurationMs = nil, "", 0
			if !reflect.DeepEqual(got, sum) {
				t.Errorf("stored summary = %+v, want %+v", got, sum)
			}
			if k := st.Keys[ref]; k == nil || k.MasterKeyID != "m1" || !bytes.Equal(k.Wrapped, key.Wrapped) {
				t.Errorf("Keys = %v", st.Keys)
			}
			return nil, errDecided
		})
		if err != errDecided {
			t.Fatalf("WriteGroup returned %v, want decide's error as it is", err)
		}
		// A summary is stored whole: lower counts replace higher ones.
		write(t, db, &playhead.GroupWrite{Sessions: []*playhead.Session{{ProjectID: p.ID, ID: "s1", StartedAt: 500, EndedAt: 600, Clicks: 1, Batches: 1}}})
		s, err := db.Session(ctx, p.ID, "s1")
		if err != nil {
			t.Fatal(err)
		}
		if s.StartedAt != 500 || s.EndedAt != 600 || s.DurationMs != 100 || s.Clicks != 1 || s.Errors != 0 || s.Events != 0 || s.UserAgent != "" {
			t.Errorf("session after a whole summary = %+v", s)
		}
		// Nothing is written when decide returns nil.
		err = db.WriteGroup(ctx, []playhead.BatchID{other}, func(*playhead.GroupState) (*playhead.GroupWrite, error) { return nil, nil })
		if err != nil {
			t.Fatal(err)
		}
		if refs, _ := db.Batches(ctx, p.ID, "s1"); len(refs) != 1 {
			t.Errorf("Batches = %+v, want seq 0 only", refs)
		}
	})

	t.Run("PagesKeepTheirEarliestTime", func(t *testing.T) {
		db := newIndex(t)
		p := project(t, db, "shop")
		batch := func(seq int, first int64, pages ...string) *playhead.IndexedBatch {
			return &playhead.IndexedBatch{ProjectID: p.ID, SessionID: "s1", Pages: pages, Ref: playhead.BatchRef{Seq: seq, FirstTs: first, LastTs: first + 10}}
		}
		sum := &playhead.Session{ProjectID: p.ID, ID: "s1", StartedAt: 1000, EndedAt: 3010}
		write(t, db, &playhead.GroupWrite{Batches: []*playhead.IndexedBatch{batch(2, 3000, "/c", "/b")}, Sessions: []*playhead.Session{sum}})
		write(t, db, &playhead.GroupWrite{Batches: []*playhead.IndexedBatch{batch(0, 1000, "/a", "/c"), batch(1, 2000, "/a")}, Sessions: []*playhead.Session{sum}})
		s, err := db.Session(ctx, p.ID, "s1")
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"/a", "/c", "/b"}; !slices.Equal(s.Pages, want) || s.FirstURL != "/a" {
			t.Errorf("pages = %v (first %q), want %v", s.Pages, s.FirstURL, want)
		}
	})

	t.Run("ScrubCountsAddUpPerProject", func(t *testing.T) {
		db := newIndex(t)
		p, q := project(t, db, "shop"), project(t, db, "blog")
		batch := func(p *playhead.Project, seq int, scrubbed map[string]int) *playhead.IndexedBatch {
			return &playhead.IndexedBatch{ProjectID: p.ID, SessionID: "s1", Scrubbed: scrubbed, Ref: playhead.BatchRef{Seq: seq}}
		}
		write(t, db, &playhead.GroupWrite{Batches: []*playhead.IndexedBatch{
			batch(p, 0, map[string]int{"email": 2}), batch(p, 1, map[string]int{"email": 1, "card": 4}), batch(q, 0, map[string]int{"email": 7}),
		}})
		write(t, db, &playhead.GroupWrite{Batches: []*playhead.IndexedBatch{batch(p, 2, map[string]int{"card": 1})}})
		got, err := db.ScrubCounts(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got["email"] != 3 || got["card"] != 5 {
			t.Errorf("ScrubCounts = %v, want email 3, card 5", got)
		}
		if got, _ := db.ScrubCounts(ctx, q.ID); len(got) != 1 || got["email"] != 7 {
			t.Errorf("other project's ScrubCounts = %v, want email 7", got)
		}
		if got, err := db.ScrubCounts(ctx, p.ID+q.ID+1); err != nil || len(got) != 0 {
			t.Errorf("ScrubCounts of an unknown project = %v, %v; want none", got, err)
		}
	})

	t.Run("SessionKeysAndRewrap", func(t *testing.T) {
		db := newIndex(t)
		p, q := project(t, db, "shop"), project(t, db, "blog")
		for _, id := range []string{"b", "a", "c"} {
			session(t, db, p, id, 0, 1, "")
		}
		session(t, db, q, "a", 0, 1, "")
		if _, err := db.SessionKey(ctx, p.ID, "nope"); playhead.ErrorCode(err) != playhead.ENOTFOUND {
			t.Fatalf("SessionKey of a session without one: err = %v, want ENOTFOUND", err)
		}
		k, err := db.SessionKey(ctx, p.ID, "b")
		if err != nil || k.MasterKeyID != "m1" || string(k.Wrapped) != "wrapped-b" || k.ProjectID != p.ID || k.SessionID != "b" {
			t.Fatalf("SessionKey = %+v, %v", k, err)
		}
		var listed []playhead.SessionRef
		cursor, pages := playhead.SessionKeyCursor{}, 0
		for {
			keys, next, err := db.SessionKeys(ctx, cursor, 2)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, k := range keys {
				listed = append(listed, playhead.SessionRef{ProjectID: k.ProjectID, SessionID: k.SessionID})
			}
			if next == nil || pages > 5 {
				break
			}
			cursor = *next
		}
		want := []playhead.SessionRef{{ProjectID: p.ID, SessionID: "a"}, {ProjectID: p.ID, SessionID: "b"}, {ProjectID: p.ID, SessionID: "c"}, {ProjectID: q.ID, SessionID: "a"}}
		if !slices.Equal(listed, want) {
			t.Fatalf("SessionKeys in pages of 2 = %v, want %v", listed, want)
		}

		// Rewrap is a compare-and-swap on the stored form.
		err = db.RewrapSessionKeys(ctx, []*playhead.DataKey{
			{ProjectID: p.ID, SessionID: "a", MasterKeyID: "m2", Wrapped: []byte("new-a"), Previous: []byte("wrapped-a")},
			{ProjectID: p.ID, SessionID: "b", MasterKeyID: "m2", Wrapped: []byte("new-b"), Previous: []byte("stale")},
			{ProjectID: p.ID, SessionID: "gone", MasterKeyID: "m2", Wrapped: []byte("new"), Previous: []byte("wrapped-gone")},
		})
		if err != nil {
			t.Fatal(err)
		}
		for id, want := range map[string]string{"a": "m2/new-a", "b": "m1/wrapped-b", "c": "m1/wrapped-c"} {
			k, err := db.SessionKey(ctx, p.ID, id)
			if err != nil || k.MasterKeyID+"/"+string(k.Wrapped) != want {
				t.Errorf("key of %s after rewrap = %+v, %v; want %s", id, k, err, want)
			}
		}
		if _, err := db.SessionKey(ctx, p.ID, "gone"); playhead.ErrorCode(err) != playhead.ENOTFOUND {
			t.Errorf("rewrap created a key: err = %v", err)
		}
		if k, _ := db.SessionKey(ctx, q.ID, "a"); k == nil || string(k.Wrapped) != "wrapped-a" {
			t.Errorf("rewrap of project %d changed project %d's key: %+v", p.ID, q.ID, k)
		}
		if err := db.RewrapSessionKeys(ctx, nil); err != nil {
			t.Errorf("RewrapSessionKeys(nil) = %v", err)
		}
	})

	t.Run("WebhooksDeliveriesAndReports", func(t *testing.T) {
		db := newIndex(t)
		p, q := project(t, db, "shop"), project(t, db, "blog")
		w1 := &playhead.Webhook{ProjectID: p.ID, URL: "https://hooks.example/1", Secret: "s1", CreatedAt: now}
		w2 := &playhead.Webhook{ProjectID: p.ID, URL: "https://hooks.example/2", Secret: "s2", CreatedAt: now}
		wq := &playhead.Webhook{ProjectID: q.ID, URL: "https://hooks.example/q", Secret: "sq", CreatedAt: now}
		for _, w := range []*playhead.Webhook{w1, w2, wq} {
			if err := db.CreateWebhook(ctx, w); err != nil {
				t.Fatal(err)
			}
		}
		if list, err := db.Webhooks(ctx, p.ID); err != nil || len(list) != 2 || list[0].ID != w1.ID || list[1].URL != w2.URL || list[0].Secret != "s1" {
			t.Fatalf("Webhooks = %+v, %v", list, err)
		}

		// A report and a first error, in one group: each event goes to
		// both of the project's webhooks, and to no other.
		write(t, db, &playhead.GroupWrite{
			Batches: []*playhead.IndexedBatch{{ProjectID: p.ID, SessionID: "s1", Ref: playhead.BatchRef{Seq: 0, FirstTs: 100, LastTs: 200},
				Reports: []playhead.Report{{Ts: 150, Text: "checkout is broken", ContactSealed: []byte("sealed"), PageURL: "https://shop.example/cart"}}}},
			Sessions: []*playhead.Session{{ProjectID: p.ID, ID: "s1", StartedAt: 100, EndedAt: 200, Errors: 3, Batches: 1}},
			Events: []playhead.WebhookEvent{
				{ProjectID: p.ID, Event: playhead.EventReport, SessionID: "s1", Ts: 150, Message: "checkout is broken", PageURL: "https://shop.example/cart"},
				{ProjectID: p.ID, Event: playhead.EventFirstError, SessionID: "s1", Ts: 120, Message: "TypeError", PageURL: "https://shop.example/"},
			},
		})
		reports, err := db.Reports(ctx, p.ID, 10)
		if err != nil || len(reports) != 1 {
			t.Fatalf("Reports = %v, %v", reports, err)
		}
		if r := reports[0]; r.ID == 0 || r.SessionID != "s1" || r.Ts != 150 || r.Text != "checkout is broken" || string(r.ContactSealed) != "sealed" || r.PageURL != "https://shop.example/cart" || r.Errors != 3 {
			t.Errorf("report = %+v", r)
		}
		if reports, _ := db.Reports(ctx, q.ID, 10); len(reports) != 0 {
			t.Errorf("other project's reports = %+v", reports)
		}
		if list, _ := db.Deliveries(ctx, q.ID, wq.ID, 10); len(list) != 0 {
			t.Errorf("other project's webhook got deliveries: %+v", list)
		}
		list, err := db.Deliveries(ctx, p.ID, w1.ID, 10)
		if err != nil || len(list) != 2 {
			t.Fatalf("Deliveries of webhook 1 = %+v, %v; want 2", list, err)
		}
		// Newest first.
		if rep, firstErr := list[1], list[0]; rep.Event != playhead.EventReport || firstErr.Event != playhead.EventFirstError || firstErr.Message != "TypeError" ||
			rep.Status != "pending" || rep.SessionID != "s1" || rep.Ts != 150 || rep.Message != "checkout is broken" || rep.PageURL != "https://shop.example/cart" ||
			!rep.NextAttempt.Equal(now) || !rep.CreatedAt.Equal(now) || rep.Attempts != 0 || rep.DeliveredAt != nil {
			t.Errorf("deliveries = %+v, %+v", list[1], list[0])
		}
		if list, _ := db.Deliveries(ctx, q.ID, w1.ID, 10); len(list) != 0 {
			t.Errorf("another project sees webhook %d's deliveries: %+v", w1.ID, list)
		}

		due, err := db.DueDeliveries(ctx, now, 10)
		if err != nil || len(due) != 4 {
			t.Fatalf("DueDeliveries = %d, %v; want 4", len(due), err)
		}
		for _, d := range due {
			if d.Webhook == nil || d.Webhook.ID != d.WebhookID || d.Webhook.ProjectID != p.ID || (d.WebhookID == w1.ID) != (d.Webhook.Secret == "s1") {
				t.Errorf("due delivery %d has webhook %+v", d.ID, d.Webhook)
			}
			d.Attempts++
			if d.WebhookID == w1.ID {
				delivered := now.Add(time.Second)
				d.Status, d.LastStatus, d.DeliveredAt = "delivered", 200, &delivered
			} else {
				d.LastStatus, d.LastError, d.NextAttempt = 500, "server error", now.Add(time.Hour)
			}
			if err := db.UpdateDelivery(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		if due, err := db.DueDeliveries(ctx, now.Add(time.Minute), 10); err != nil || len(due) != 0 {
			t.Fatalf("DueDeliveries before the retry = %+v, %v; want none", due, err)
		}
		due, err = db.DueDeliveries(ctx, now.Add(2*time.Hour), 10)
		if err != nil || len(due) != 2 || due[0].WebhookID != w2.ID || due[0].Attempts != 1 || due[0].LastError != "server error" {
			t.Fatalf("DueDeliveries at the retry = %+v, %v; want webhook 2's two", due, err)
		}
		list, _ = db.Deliveries(ctx, p.ID, w1.ID, 1)
		if len(list) != 1 || list[0].Status != "delivered" || list[0].LastStatus != 200 || list[0].DeliveredAt == nil || !list[0].DeliveredAt.Equal(now.Add(time.Second)) {
			t.Errorf("delivered = %+v", list)
		}

		if err := db.DeleteWebhook(ctx, q.ID, w1.ID); playhead.ErrorCode(err) != playhead.ENOTFOUND {
			t.Errorf("deleting another project's webhook: err = %v, want ENOTFOUND", err)
		}
		if err := db.DeleteWebhook(ctx, p.ID, w1.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteWebhook(ctx, p.ID, w1.ID); playhead.ErrorCode(err) != playhead.ENOTFOUND {
			t.Errorf("deleting it again: err = %v, want ENOTFOUND", err)
		}
		if list, _ := db.Webhooks(ctx, p.ID); len(list) != 1 || list[0].ID != w2.ID {
			t.Errorf("Webhooks after delete = %+v", list)
		}
		if list, _ := db.Deliveries(ctx, p.ID, w1.ID, 10); len(list) != 0 {
			t.Errorf("deleted webhook's deliveries = %+v", list)
		}
	})

	t.Run("Assets", func(t *testing.T) {
		db := newIndex(t)
		p, q := project(t, db, "shop"), project(t, db, "blog")
		write(t, db, &playhead.GroupWrite{Batches: []*playhead.IndexedBatch{
			{ProjectID: p.ID, SessionID: "s1", Ref: playhead.BatchRef{Seq: 0}, AssetURLs: []string{"https://shop.example/a.css", "https://shop.example/b.png"}},
			{ProjectID: p.ID, SessionID: "s1", Ref: playhead.BatchRef{Seq: 1}, AssetURLs: []string{"https://shop.example/a.css"}},
		}})
		if err := db.AddAssetURLs(ctx, p.ID, []string{"https://shop.example/b.png", "https://shop.example/font.woff2"}, now.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		list, err := db.Assets(ctx, p.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		var urls []string
		for _, a := range list {
			urls = append(urls, a.URL)
			if a.Status != "pending" || a.ProjectID != p.ID || a.Attempts != 0 {
				t.Errorf("queued asset = %+v", a)
			}
		}
		if want := []string{"https://shop.example/font.woff2", "https://shop.example/b.png", "https://shop.example/a.css"}; !slices.Equal(urls, want) {
			t.Fatalf("Assets = %v, want %v (each once, newest first)", urls, want)
		}
		if list, _ := db.Assets(ctx, q.ID, 10); len(list) != 0 {
			t.Errorf("other project's assets = %+v", list)
		}

		due, err := db.DueAssets(ctx, now, 10)
		if err != nil || len(due) != 2 {
			t.Fatalf("DueAssets = %+v, %v; want the two queued at now", due, err)
		}
		for _, a := range due {
			a.Attempts++
			switch a.URL {
			case "https://shop.example/a.css":
				a.Status, a.Hash, a.ContentType, a.Size = "captured", "h-css", "text/css", 120
			default:
				a.Error, a.NextAttempt = "timeout", now.Add(time.Hour)
			}
			if err := db.UpdateAsset(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		due, err = db.DueAssets(ctx, now.Add(time.Minute), 10)
		if err != nil || len(due) != 1 || due[0].URL != "https://shop.example/font.woff2" {
			t.Fatalf("DueAssets a minute later = %+v, %v; want the font only", due, err)
		}
		// A URL seen again keeps what became of it.
		if err := db.AddAssetURLs(ctx, p.ID, []string{"https://shop.example/a.css"}, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		a, err := db.AssetByHash(ctx, p.ID, "h-css")
		if err != nil || a.URL != "https://shop.example/a.css" || a.Status != "captured" || a.ContentType != "text/css" || a.Size != 120 || a.Attempts != 1 {
			t.Fatalf("AssetByHash = %+v, %v", a, err)
		}
		if _, err := db.AssetByHash(ctx, q.ID, "h-css"); playhead.ErrorCode(err) != playhead.ENOTFOUND {
			t.Errorf("another project's asset by hash: err = %v, want ENOTFOUND", err)
		}
		got, err := db.CapturedAssets(ctx, p.ID, []string{"https://shop.example/a.css", "https://shop.example/b.png", "https://elsewhere.example/x"})
		if err != nil || len(got) != 1 || got["https://shop.example/a.css"] != "h-css" {
			t.Errorf("CapturedAssets = %v, %v; want a.css only", got, err)
		}
		if got, err := db.CapturedAssets(ctx, p.ID, nil); err != nil || len(got) != 0 {
			t.Errorf("CapturedAssets(nil) = %v, %v", got, err)
		}
		// b.png and the font are still to be captured; a.css is captured, x was never seen.
		pending, err := db.PendingAssets(ctx, p.ID, []string{"https://shop.example/a.css", "https://shop.example/b.png", "https://shop.example/font.woff2", "https://elsewhere.example/x"})
		if err != nil || len(pending) != 2 || !pending["https://shop.example/b.png"] || !pending["https://shop.example/font.woff2"] {
			t.Errorf("PendingAssets = %v, %v; want b.png and font.woff2", pending, err)
		}
		if got, err := db.PendingAssets(ctx, q.ID, []string{"https://shop.example/b.png"}); err != nil || len(got) != 0 {
			t.Errorf("another project's PendingAssets = %v, %v; want none", got, err)
		}
	})

	t.Run("BackendRecords", func(t *testing.T) {
		db := newIndex(t)
		p := project(t, db, "shop")
		records := []playhead.BackendRecord{
			{SessionID: "s1", Kind: "span", Service: "api", TraceID: "t1", SpanID: "a", Name: "GET /cart", StartMs: 200, EndMs: 250, Status: "error",
				Attributes: map[string]any{"http.status_code": float64(500), "session.id": "s1"}},
			{SessionID: "s1", Kind: "log", Service: "api", TraceID: "t1", SpanID: "a", StartMs: 100, EndMs: 100, Level: "error", Message: "payment failed"},
			{SessionID: "s1", Kind: "span", Service: "api", TraceID: "t1", SpanID: "b", ParentSpanID: "a", Name: "db", StartMs: 200, EndMs: 210},
			{SessionID: "s2", Kind: "log", Message: "other session", StartMs: 1},
		}
		if err := db.AddBackendRecords(ctx, p.ID, records); err != nil {
			t.Fatal(err)
		}
		got, err := db.BackendRecords(ctx, p.ID, "s1", 10)
		if err != nil || len(got) != 3 {
			t.Fatalf("BackendRecords = %+v, %v", got, err)
		}
		if got[0].Message != "payment failed" || got[1].SpanID != "a" || got[2].SpanID != "b" || got[2].ParentSpanID != "a" {
			t.Errorf("records not by start time, then as stored: %+v", got)
		}
		if r := got[1]; r.SessionID != "s1" || r.Kind != "span" || r.Service != "api" || r.TraceID != "t1" || r.Name != "GET /cart" || r.EndMs != 250 || r.Status != "error" ||
			r.Attributes["http.status_code"] != float64(500) || r.Attributes["session.id"] != "s1" || len(r.Attributes) != 2 {
			t.Errorf("span = %+v", r)
		}
		if got[0].Attributes != nil {
			t.Errorf("record without attributes read back with %v", got[0].Attributes)
		}
		if got, _ := db.BackendRecords(ctx, p.ID, "s1", 2); len(got) != 2 {
			t.Errorf("BackendRecords with limit 2 = %d records", len(got))
		}
		if got, _ := db.BackendRecords(ctx, p.ID+1, "s1", 10); len(got) != 0 {
			t.Errorf("another project sees the records: %+v", got)
		}
	})

	t.Run("DeleteSessionRemovesEverything", func(t *testing.T) {
		db := newIndex(t)
		p := project(t, db, "shop")
		hook := &playhead.Webhook{ProjectID: p.ID, URL: "https://hooks.example/", Secret: "s"}
		if err := db.CreateWebhook(ctx, hook); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"doomed", "kept"} {
			write(t, db, &playhead.GroupWrite{
				Keys: []*playhead.DataKey{{ProjectID: p.ID, SessionID: id, MasterKeyID: "m1", Wrapped: []byte("k-" + id)}},
				Batches: []*playhead.IndexedBatch{
					{ProjectID: p.ID, SessionID: id, Data: []byte("0"), Ref: playhead.BatchRef{Seq: 0, FirstTs: 10, LastTs: 20}, Pages: []string{"/"},
						Timeline: []playhead.TimelineEntry{{Ts: 15, Kind: playhead.KindError, Label: "boom"}}, Reports: []playhead.Report{{Ts: 15, Text: "help"}}},
					{ProjectID: p.ID, SessionID: id, Data: []byte("1"), Ref: playhead.BatchRef{Seq: 1, FirstTs: 20, LastTs: 30}},
					{ProjectID: p.ID, SessionID: id, Data: []byte("2"), Ref: playhead.BatchRef{Seq: 2, FirstTs: 30, LastTs: 40}},
				},
				Sessions: []*playhead.Session{{ProjectID: p.ID, ID: id, StartedAt: 10, EndedAt: 40, Errors: 1, Batches: 3}},
				Events:   []playhead.WebhookEvent{{ProjectID: p.ID, Event: playhead.EventFirstError, SessionID: id, Ts: 15, Message: "boom"}},
			})
			if err := db.AddBackendRecords(ctx, p.ID, []playhead.BackendRecord{{SessionID: id, Kind: "log", Message: "hi"}}); err != nil {
				t.Fatal(err)
			}
			if err := db.MarkSealed(ctx, p.ID, id, "chunks/"+id+"/a", map[int]int{0: 0, 1: 5}); err != nil {
				t.Fatal(err)
			}
			if err := db.MarkSealed(ctx, p.ID, id, "chunks/"+id+"/b", map[int]int{2: 0}); err != nil {
				t.Fatal(err)
			}
		}
		keys, err := db.DeleteSession(ctx, p.ID, "doomed", nil)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(keys)
		if want := []string{"chunks/doomed/a", "chunks/doomed/b"}; !slices.Equal(keys, want) {
			t.Errorf("DeleteSession returned %v, want %v (each chunk once)", keys, want)
		}
		if _, err := db.Session(ctx, p.ID, "doomed"); playhead.ErrorCode(err) != playhead.ENOTFOUND {
			t.Errorf("Session after delete: err = %v, want ENOTFOUND", err)
		}
		if _, err := db.SessionKey(ctx, p.ID, "doomed"); playhead.ErrorCode(err) != playhead.ENOTFOUND {
			t.Errorf("SessionKey after delete: err = %v, want ENOTFOUND", err)
		}
		if refs, _ := db.Batches(ctx, p.ID, "doomed"); len(refs) != 0 {
			t.Errorf("Batches after delete = %+v", refs)
		}
		if tl, _ := db.Timeline(ctx, p.ID, "doomed"); len(tl) != 0 {
			t.Errorf("Timeline after delete = %+v", tl)
		}
		if recs, _ := db.BackendRecords(ctx, p.ID, "doomed", 10); len(recs) != 0 {
			t.Errorf("BackendRecords after delete = %+v", recs)
		}
		if reports, _ := db.Reports(ctx, p.ID, 10); len(reports) != 1 || reports[0].SessionID != "kept" {
			t.Errorf("Reports after delete = %+v, want kept's only", reports)
		}
		if list, _ := db.Deliveries(ctx, p.ID, hook.ID, 10); len(list) != 1 || list[0].SessionID != "kept" {
			t.Errorf("Deliveries after delete = %+v, want kept's only", list)
		}
		// The other session is whole.
		if s, err := db.Session(ctx, p.ID, "kept"); err != nil || s.Batches != 3 || len(s.Pages) != 1 {
			t.Errorf("kept session = %+v, %v", s, err)
		}
		if tl, _ := db.Timeline(ctx, p.ID, "kept"); len(tl) != 1 {
			t.Errorf("kept timeline = %+v", tl)
		}
		if k, err := db.SessionKey(ctx, p.ID, "kept"); err != nil || string(k.Wrapped) != "k-kept" {
			t.Errorf("kept key = %+v, %v", k, err)
		}
		// A session recorded again under the erased ID starts from nothing.
		err = db.WriteGroup(ctx, []playhead.BatchID{{ProjectID: p.ID, SessionID: "doomed", Seq: 0}}, func(st *playhead.GroupState) (*playhead.GroupWrite, error) {
			if len(st.Stored) != 0 || len(st.Sessions) != 0 || len(st.Keys) != 0 {
				t.Errorf("state of an erased session = %+v", st)
			}
			return nil, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if keys, err := db.DeleteSession(ctx, p.ID, "never", nil); err != nil || len(keys) != 0 {
			t.Errorf("DeleteSession of an unknown session = %v, %v", keys, err)
		}
	})

	t.Run("ExpiredSessions", func(t *testing.T) {
		db := newIndex(t)
		p, q := project(t, db, "shop"), project(t, db, "blog")
		day := int64(24 * time.Hour / time.Millisecond)
		at := now.UnixMilli()
		session(t, db, p, "old", at-40*day, at-31*day, "")
		session(t, db, p, "recent", at-10*day, at-2*day, "")
		session(t, db, q, "old", at-40*day, at-31*day, "")
		session(t, db, q, "recent", at-10*day, at-2*day, "")
		if err := db.SetRetention(ctx, q.ID, 1); err != nil {
			t.Fatal(err)
		}
		got, err := db.ExpiredSessions(ctx, now, 10)
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(got, func(a, b playhead.SessionRef) int {
			return cmp.Or(cmp.Compare(a.ProjectID, b.ProjectID), cmp.Compare(a.SessionID, b.SessionID))
		})
		want := []playhead.SessionRef{{ProjectID: p.ID, SessionID: "old"}, {ProjectID: q.ID, SessionID: "old"}, {ProjectID: q.ID, SessionID: "recent"}}
		if !slices.Equal(got, want) {
			t.Errorf("ExpiredSessions = %v, want %v", got, want)
		}
		if got, _ := db.ExpiredSessions(ctx, now, 1); len(got) != 1 {
			t.Errorf("ExpiredSessions with limit 1 = %v", got)
		}
		if err := db.SetRetention(ctx, p.ID, 0); playhead.ErrorCode(err) != playhead.EINVALID {
			t.Errorf("SetRetention(0): err = %v, want EINVALID", err)
		}
		projects, _ := db.Projects(ctx)
		if len(projects) != 2 || projects[0].RetentionDays != 30 || projects[1].RetentionDays != 1 {
			t.Errorf("projects' retention = %+v", projects)
		}
	})

	t.Run("SessionsOfUser", func(t *testing.T) {
		db := newIndex(t)
		p, q := project(t, db, "shop"), project(t, db, "blog")
		session(t, db, p, "s1", 0, 1, "alice")
		session(t, db, p, "s2", 0, 1, "bob")
		session(t, db, p, "s3", 0, 1, "alice")
		session(t, db, p, "s4", 0, 1, "")
		session(t, db, q, "s5", 0, 1, "alice")
		got, err := db.SessionsOfUser(ctx, p.ID, "alice")
		slices.Sort(got)
		if err != nil || !slices.Equal(got, []string{"s1", "s3"}) {
			t.Errorf("SessionsOfUser(alice) = %v, %v; want [s1 s3]", got, err)
		}
		if got, _ := db.SessionsOfUser(ctx, p.ID, ""); len(got) != 0 {
			t.Errorf("SessionsOfUser(\"\") = %v, want none: no hash is nobody's", got)
		}
		if got, _ := db.SessionsOfUser(ctx, p.ID, "carol"); len(got) != 0 {
			t.Errorf("SessionsOfUser(carol) = %v", got)
		}
	})

	t.Run("PendingRunsReasons", func(t *testing.T) {
		db := newIndex(t)
		p := project(t, db, "shop")
		received := map[string]time.Time{"idle": now.Add(-10 * time.Minute), "old": now.Add(-2 * time.Hour), "busy": now}
		for id, at := range received {
			w := &playhead.GroupWrite{Now: at, Sessions: []*playhead.Session{{ProjectID: p.ID, ID: id, Batches: 1}},
				Batches: []*playhead.IndexedBatch{{ProjectID: p.ID, SessionID: id, Data: []byte("x"), Ref: playhead.BatchRef{Seq: 0, Bytes: 10}}}}
			write(t, db, w)
		}
		// "old" keeps receiving: idle it is not, but its oldest pending
		// batch is past the maximum age.
		write(t, db, &playhead.GroupWrite{Now: now, Sessions: []*playhead.Session{{ProjectID: p.ID, ID: "old", Batches: 2}},
			Batches: []*playhead.IndexedBatch{{ProjectID: p.ID, SessionID: "old", Data: []byte("y"), Ref: playhead.BatchRef{Seq: 1, Bytes: 10}}}})
		runs, err := db.PendingRuns(ctx, playhead.SealPolicy{Idle: 5 * time.Minute, MaxAge: time.Hour, MaxBytes: 1000}, now, 10)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, r := range runs {
			got[r.SessionID] = r.Reason
		}
		if len(got) != 2 || got["idle"] != playhead.CutIdle || got["old"] != playhead.CutMaxAge {
			t.Errorf("PendingRuns = %v, want idle: idle, old: max_age", got)
		}
	})

	t.Run("Ping", func(t *testing.T) {
		db := newIndex(t)
		if err := db.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})

	runAccess(t, newIndex, project, session)
}
