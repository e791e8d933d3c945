package app_test

import (
	"testing"
	"time"
)

// TestKeyframeRoutesBeforeSealing: a session has no keyframes until its
// chunks are sealed; the list is empty (never a 404 for a known session),
// and asking for a moment without a keyframe says so.
func TestKeyframeRoutesBeforeSealing(t *testing.T) {
	m := start(t)
	c := loggedIn(t, m)
	sid := "kfsession0000001"
	scenario{method: "POST", path: "/api/v1/ingest?k=" + m.Project.IngestKey, body: markedBatch(sid, 0, time.Now().UnixMilli()), wantStatus: 200}.run(t, m, nil)
	path := "/api/v1/sessions/" + sid + "/keyframes"
	scenario{method: "GET", path: path, wantStatus: 401}.run(t, m, nil)
	scenario{method: "GET", path: path, login: true, wantStatus: 200, want: []string{`{"keyframes":[]}`}}.run(t, m, c)
	scenario{method: "GET", path: "/api/v1/sessions/nosuchsession001/keyframes", login: true, wantStatus: 404}.run(t, m, c)
	scenario{method: "GET", path: path + "/1795807228300", login: true, wantStatus: 404, want: []string{"no keyframe at 1795807228300"}}.run(t, m, c)
	scenario{method: "GET", path: path + "/soon", login: true, wantStatus: 400, want: []string{`keyframe time \"soon\" is not a number`}}.run(t, m, c)
}
