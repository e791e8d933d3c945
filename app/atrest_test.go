package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead/app"
	"github.com/playhead/playhead/internal/testutil"
)

const marker = "Zebra-Marker-Quokka"

// markedBatch is a batch whose page text holds marker, which is not personal
// data: only encryption can keep it off the disk.
func markedBatch(sid string, seq int, ts int64) []byte {
	return fmt.Appendf(nil, `{"v":1,"sid":%q,"seq":%d,"events":[`+
		`{"type":4,"timestamp":%d,"data":{"href":"http://shop.example/","width":800,"height":600}},`+
		`{"type":2,"timestamp":%d,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":3,"id":2,"textContent":"%s %d"}]},"initialOffset":{"left":0,"top":0}}},`+
		`{"type":5,"timestamp":%d,"data":{"tag":"playhead.identify","payload":{"userId":"user-%s"}}}]}`,
		sid, seq, ts, ts+1, marker, seq, ts+2, sid)
}

func events(t *testing.T, c *http.Client, m *app.Main, sid string) (int, string) {
	t.Helper()
	resp, err := c.Get(m.URL() + "/api/v1/sessions/" + sid + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestNothingReadableAtRest: what a session recorded is on disk only
// encrypted, whether its batches are pending in the index or sealed into
// chunks, and it still reads back through the API.
func TestNothingReadableAtRest(t *testing.T) {
	m := start(t)
	c := loggedIn(t, m)
	now := time.Now().UnixMilli()
	for seq := range 3 {
		scenario{method: "POST", path: "/api/v1/ingest?k=" + m.Project.IngestKey, body: markedBatch("atrestsession001", seq, now+int64(seq)*1000), wantStatus: 200}.run(t, m, nil)
	}
	check := func(when string) {
		if files := testutil.FilesHolding(t, m.Config.DataDir, []byte(marker)); len(files) > 0 {
			t.Errorf("%s: plaintext on disk in %v", when, files)
		}
		if status, body := events(t, c, m, "atrestsession001"); status != 200 || strings.Count(body, marker) != 3 {
			t.Errorf("%s: events read back: %d %.200s", when, status, body)
		}
	}
	check("pending")
	if n, err := m.Recordings.Seal(t.Context(), m.Project.ID, "atrestsession001"); err != nil || n != 1 {
		t.Fatalf("Seal = %d, %v; want 1 chunk (three consecutive batches)", n, err)
	}
	check("sealed")
}

// TestErasureLeavesNothingRecoverable erases a session through the API and
// by user ID: afterwards its data key is nowhere in the data directory (not
// in the index, its WAL or free pages), its chunks are gone, and the other
// sessions still read back.
func TestErasureLeavesNothingRecoverable(t *testing.T) {
	m := start(t)
	c := loggedIn(t, m)
	now := time.Now().UnixMilli()
	for _, sid := range []string{"erasesession0001", "erasesession0002", "keptsession00001"} {
		for seq := range 2 {
			scenario{method: "POST", path: "/api/v1/ingest?k=" + m.Project.IngestKey, body: markedBatch(sid, seq, now+int64(seq)*1000), wantStatus: 200}.run(t, m, nil)
		}
	}
	if _, err := m.Recordings.Seal(t.Context(), m.Project.ID, "erasesession0001"); err != nil {
		t.Fatal(err)
	}
	var wrapped [][]byte
	for _, sid := range []string{"erasesession0001", "erasesession0002"} {
		k, err := m.DB.SessionKey(t.Context(), m.Project.ID, sid)
		if err != nil {
			t.Fatal(err)
		}
		wrapped = append(wrapped, k.Wrapped)
		if len(testutil.FilesHolding(t, m.Config.DataDir, k.Wrapped)) == 0 {
			t.Fatal("the wrapped data key is not found on disk before erasure; the check below would prove nothing")
		}
	}
	chunkDir := filepath.Join(m.Config.DataDir, "objects", fmt.Sprintf("r%d", m.Project.RetentionDays), "sessions", fmt.Sprint(m.Project.ID), "erasesession0001")
	if entries, _ := os.ReadDir(chunkDir); len(entries) == 0 {
		t.Fatal("no sealed chunks before erasure")
	}

	scenario{method: "DELETE", path: "/api/v1/sessions/erasesession0001", wantStatus: 401}.run(t, m, nil)
	scenario{method: "DELETE", path: "/api/v1/sessions/erasesession0001", login: true, wantStatus: 200, want: []string{`"erased":1`}}.run(t, m, c)
	scenario{method: "POST", path: "/api/v1/erase", body: []byte(`{"userId":"user-erasesession0002"}`), login: true, wantStatus: 200, want: []string{`"erased":1`}}.run(t, m, c)
	scenario{method: "POST", path: "/api/v1/erase", body: []byte(`{}`), login: true, wantStatus: 400, want: []string{"userId: missing"}}.run(t, m, c)

	for _, sid := range []string{"erasesession0001", "erasesession0002"} {
		scenario{method: "GET", path: "/api/v1/sessions/" + sid, login: true, wantStatus: 404}.run(t, m, c)
	}
	if entries, _ := os.ReadDir(chunkDir); len(entries) > 0 {
		t.Errorf("chunks left after erasure: %v", entries)
	}
	for i, w := range wrapped {
		if files := testutil.FilesHolding(t, m.Config.DataDir, w); len(files) > 0 {
			t.Errorf("erased session %d: its wrapped data key is still in %v", i+1, files)
		}
	}
	if status, body := events(t, c, m, "keptsession00001"); status != 200 || !strings.Contains(body, marker) {
		t.Errorf("the kept session no longer reads back: %d %.100s", status, body)
	}
}

// TestRetentionDeletesExpiredSessions moves the clock past the retention
// period: expired sessions go, recent ones stay.
func TestRetentionDeletesExpiredSessions(t *testing.T) {
	m := start(t)
	c := loggedIn(t, m)
	now := time.Now()
	scenario{method: "POST", path: "/api/v1/ingest?k=" + m.Project.IngestKey, body: markedBatch("oldsession000001", 0, now.Add(-20*24*time.Hour).UnixMilli()), wantStatus: 200}.run(t, m, nil)
	scenario{method: "POST", path: "/api/v1/ingest?k=" + m.Project.IngestKey, body: markedBatch("newsession000001", 0, now.UnixMilli()), wantStatus: 200}.run(t, m, nil)
	if err := m.DB.SetRetention(t.Context(), m.Project.ID, 7); err != nil {
		t.Fatal(err)
	}
	m.Recordings.Now = func() time.Time { return now.Add(time.Hour) }
	n, err := m.Recordings.ApplyRetention(t.Context())
	if err != nil || n != 1 {
		t.Fatalf("ApplyRetention = %d, %v; want the 20-day-old session deleted", n, err)
	}
	scenario{method: "GET", path: "/api/v1/sessions/oldsession000001", login: true, wantStatus: 404}.run(t, m, c)
	scenario{method: "GET", path: "/api/v1/sessions/newsession000001", login: true, wantStatus: 200}.run(t, m, c)
	// A week on, the other one goes too.
	m.Recordings.Now = func() time.Time { return now.Add(8 * 24 * time.Hour) }
	if n, err := m.Recordings.ApplyRetention(t.Context()); err != nil || n != 1 {
		t.Fatalf("ApplyRetention a week later = %d, %v", n, err)
	}
}

// TestKeyRotation: sessions recorded before a master key rotation replay
// after it, across a restart, and the old master key is gone.
func TestKeyRotation(t *testing.T) {
	dir := t.TempDir()
	cfg := app.Config{Addr: "127.0.0.1:0", DataDir: dir, Demo: "false", AdminPassword: password, LogLevel: "error"}
	m := &app.Main{Config: cfg, Stderr: io.Discard}
	if err := m.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UnixMilli()
	for _, sid := range []string{"rotatesession001", "rotatesession002"} {
		scenario{method: "POST", path: "/api/v1/ingest?k=" + m.Project.IngestKey, body: markedBatch(sid, 0, now), wantStatus: 200}.run(t, m, nil)
	}
	m.Recordings.Seal(t.Context(), m.Project.ID, "rotatesession001")
	oldID := m.Keyring.CurrentID()
	var out bytes.Buffer
	if err := m.RotateMasterKey(t.Context(), nil, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "2 data keys re-wrapped") {
		t.Errorf("rotation said: %s", out.String())
	}
	m.Close(context.Background())

	ring, _ := os.ReadFile(filepath.Join(dir, "keyring.json"))
	var file struct {
		Current string
		Keys    []struct{ ID string }
	}
	json.Unmarshal(ring, &file)
	if len(file.Keys) != 1 || file.Keys[0].ID == oldID || file.Current != file.Keys[0].ID {
		t.Fatalf("keyring after rotation = %s; want only the new key", ring)
	}

	m = &app.Main{Config: cfg, Stderr: io.Discard}
	if err := m.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer m.Close(context.Background())
	c := loggedIn(t, m)
	for _, sid := range []string{"rotatesession001", "rotatesession002"} {
		if status, body := events(t, c, m, sid); status != 200 || !strings.Contains(body, marker) {
			t.Errorf("%s after rotation: %d %.200s", sid, status, body)
		}
	}
}
