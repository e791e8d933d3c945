package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/flate"

	"github.com/playhead/playhead/internal/testutil"
	"github.com/playhead/playhead/testdata"
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

// TestServerKeyframesAreServed: once a session's chunk is sealed and its
// keyframes built, the list names them, in order, each with the batch to
// replay from, and each is a Meta, a FullSnapshot and the page's other
// state, all at the keyframe's moment.
func TestServerKeyframesAreServed(t *testing.T) {
	m := start(t)
	c := loggedIn(t, m)
	sid := "kfsession0000002"
	events, err := testdata.Real60()
	if err != nil {
		t.Fatal(err)
	}
	batches := testdata.Batches(events[:3000], sid, 5000) // about six minutes
	for _, body := range batches {
		scenario{method: "POST", path: "/api/v1/ingest?k=" + m.Project.IngestKey, body: body, wantStatus: 200}.run(t, m, nil)
	}
	if _, err := m.Recordings.SealIdle(t.Context(), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Recordings.BuildQueuedKeyframes(t.Context()); err != nil {
		t.Fatal(err)
	}
	path := "/api/v1/sessions/" + sid + "/keyframes"
	status, body := testutil.Get(t, c, m.URL()+path)
	if status != 200 {
		t.Fatalf("GET %s: %d %s", path, status, body)
	}
	var list struct {
		Keyframes []struct {
			Ts  int64 `json:"ts"`
			Seq *int  `json:"seq"`
		} `json:"keyframes"`
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatal(err)
	}
	if n := len(list.Keyframes); n < 8 || n > 14 {
		t.Fatalf("%d keyframes over six minutes; want one about every 30 s: %s", n, body)
	}
	for i, k := range list.Keyframes {
		if i > 0 && k.Ts <= list.Keyframes[i-1].Ts {
			t.Fatalf("keyframes out of order: %s", body)
		}
		if i < len(list.Keyframes)-1 && (k.Seq == nil || *k.Seq < 0 || *k.Seq >= len(batches)) {
			t.Fatalf("keyframe %d: seq %v, want the batch to replay from", i, k.Seq)
		}
	}
	k := list.Keyframes[len(list.Keyframes)/2]
	status, body = testutil.Get(t, c, fmt.Sprintf("%s%s/%d", m.URL(), path, k.Ts))
	if status != 200 {
		t.Fatalf("GET keyframe: %d %s", status, body)
	}
	var kf []struct {
		Type      int   `json:"type"`
		Timestamp int64 `json:"timestamp"`
	}
	if err := json.Unmarshal([]byte(body), &kf); err != nil {
		t.Fatal(err)
	}
	if len(kf) < 2 || kf[0].Type != 4 || kf[1].Type != 2 {
		t.Fatalf("keyframe starts with types %v, want Meta (4) then FullSnapshot (2)", kf)
	}
	for _, e := range kf {
		if e.Timestamp != k.Ts {
			t.Fatalf("keyframe at %d holds an event at %d", k.Ts, e.Timestamp)
		}
	}
	if !strings.Contains(body, "Northwind Ops") {
		t.Fatal("the keyframe does not hold the page")
	}

	// deflated, as the player fetches keyframes ahead of its seeks: the same
	// JSON, compressed once (the response compression leaves it alone)
	req, err := http.NewRequest("GET", fmt.Sprintf("%s%s/%d?as=deflate", m.URL(), path, k.Ts), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "gzip, zstd")
	res, err := c.Do(req) // Accept-Encoding set: the body is read as sent
	if err != nil {
		t.Fatal(err)
	}
	packed, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/vnd.playhead.events+deflate" || res.Header.Get("Content-Encoding") != "" {
		t.Fatalf("GET keyframe ?as=deflate: %d, type %q, encoding %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Encoding"))
	}
	plain, err := io.ReadAll(flate.NewReader(bytes.NewReader(packed)))
	if err != nil {
		t.Fatalf("inflating the packed keyframe: %v", err)
	}
	if string(plain) != body {
		t.Fatalf("the packed keyframe inflates to %d bytes that differ from the JSON answer's %d", len(plain), len(body))
	}
	if len(packed)*4 > len(plain) {
		t.Fatalf("packed keyframe: %d bytes for %d of JSON", len(packed), len(plain))
	}
	status, body = testutil.Get(t, c, fmt.Sprintf("%s%s/%d?as=zip", m.URL(), path, k.Ts))
	if status != 400 || !strings.Contains(body, `as=\"zip\"`) {
		t.Fatalf("GET keyframe ?as=zip: %d %s; want 400 naming the parameter", status, body)
	}
	// the parameter is checked first: no keyframe is read for a request that cannot be answered
	if status, body = testutil.Get(t, c, fmt.Sprintf("%s%s/%d?as=zip", m.URL(), path, k.Ts+1)); status != 400 {
		t.Fatalf("GET an unknown keyframe ?as=zip: %d %s; want 400", status, body)
	}
}
