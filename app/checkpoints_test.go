package app_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead/internal/testutil"
)

// TestPlayerCheckpointsAreStoredPrivatelyAndErased stores a player's
// checkpoints for a session, reads them back, refuses malformed ones with a
// message naming the problem, keeps them encrypted on disk, and erases them
// with the session.
func TestPlayerCheckpointsAreStoredPrivatelyAndErased(t *testing.T) {
	m := start(t)
	c := loggedIn(t, m)
	sid := "cpsession0000001"
	scenario{method: "POST", path: "/api/v1/ingest?k=" + m.Project.IngestKey, body: markedBatch(sid, 0, time.Now().UnixMilli()), wantStatus: 200}.run(t, m, nil)
	path := "/api/v1/sessions/" + sid + "/checkpoints"
	// "checkpoint-plaintext-marker", base64
	good := `{"v":1,"batches":1,"checkpoints":[{"at":1795807228300,"seq":0,"idx":3,"z":"Y2hlY2twb2ludC1wbGFpbnRleHQtbWFya2Vy"}]}`

	scenario{method: "GET", path: path, login: true, wantStatus: 204}.run(t, m, c)
	scenario{method: "GET", path: "/api/v1/sessions/nosuchsession001/checkpoints", login: true, wantStatus: 404}.run(t, m, c)
	scenario{method: "PUT", path: path, body: []byte(good), wantStatus: 401}.run(t, m, nil)
	for _, bad := range []struct{ body, want string }{
		{`{"v":1`, "not the expected JSON"},
		{`{"v":2,"batches":1,"checkpoints":[]}`, "version 2 is not supported"},
		{`{"v":1,"batches":0,"checkpoints":[]}`, "batches: at least 1"},
		{`{"v":1,"batches":1,"checkpoints":[{"at":5,"seq":0,"idx":0,"z":"not base64!"}]}`, "checkpoints[0].z"},
		{`{"v":1,"batches":1,"checkpoints":[{"at":-5,"seq":0,"idx":0,"z":"AA=="}]}`, "checkpoints[0]: at must be positive"},
	} {
		scenario{method: "PUT", path: path, body: []byte(bad.body), login: true, wantStatus: 400, want: []string{bad.want}}.run(t, m, c)
	}
	scenario{method: "PUT", path: "/api/v1/sessions/nosuchsession001/checkpoints", body: []byte(good), login: true, wantStatus: 404}.run(t, m, c)
	scenario{method: "PUT", path: path, body: []byte(good), login: true, wantStatus: 204}.run(t, m, c)
	scenario{method: "GET", path: path, login: true, wantStatus: 200, want: []string{good}}.run(t, m, c)

	file := filepath.Join(m.Config.DataDir, "objects", "sessions", fmt.Sprint(m.Project.ID), sid, "checkpoints")
	stored, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("stored checkpoints: %v", err)
	}
	if strings.Contains(string(stored), "Y2hlY2twb2ludC1wbGFpbnRleHQtbWFya2Vy") || len(testutil.FilesHolding(t, m.Config.DataDir, []byte("Y2hlY2twb2ludC1wbGFpbnRl"))) > 0 {
		t.Error("checkpoints are stored in the clear")
	}

	scenario{method: "DELETE", path: "/api/v1/sessions/" + sid, login: true, wantStatus: 200}.run(t, m, c)
	scenario{method: "GET", path: path, login: true, wantStatus: 404}.run(t, m, c)
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("checkpoints left after erasure: %v", err)
	}
}
