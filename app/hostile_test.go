package app_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead"
)

// TestHostileInputsLeaveStoreUnchanged throws bad input at ingest: each gets
// the right status and a message naming the problem, and the stored session
// is the same afterwards, byte for byte.
func TestHostileInputsLeaveStoreUnchanged(t *testing.T) {
	m := start(t)
	c := loggedIn(t, m)
	other := &playhead.Project{Name: "Other", IngestKey: "phk_other_project_key"}
	if err := m.DB.CreateProject(t.Context(), other); err != nil {
		t.Fatal(err)
	}
	key := m.Project.IngestKey
	now := time.Now().UnixMilli()
	const sid = "hostiletarget001"
	for seq := range 3 {
		scenario{method: "POST", path: "/api/v1/ingest?k=" + key, body: batch(sid, seq, now+int64(seq)*1000), wantStatus: 200}.run(t, m, nil)
	}
	snapshot := func() string {
		var out bytes.Buffer
		for _, path := range []string{"/api/v1/sessions/" + sid, "/api/v1/sessions/" + sid + "/events", "/api/v1/sessions"} {
			resp, err := c.Get(m.URL() + path)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(&out, resp.Body)
			resp.Body.Close()
		}
		return out.String()
	}
	before := snapshot()

	event := func(ts int64) string {
		return fmt.Sprintf(`{"type":3,"timestamp":%d,"data":{"source":1,"positions":[]}}`, ts)
	}
	body := func(events ...string) []byte {
		return []byte(`{"v":1,"sid":"` + sid + `","seq":9,"events":[` + strings.Join(events, ",") + `]}`)
	}
	ingest := "/api/v1/ingest?k=" + key
	tests := []scenario{
		{name: "malformed JSON", body: []byte(`{"v":1,"sid":"` + sid + `","seq":9,"events":[{"type":3,`), wantStatus: 400, want: []string{"not a JSON batch"}},
		{name: "not JSON at all", body: []byte("<html>hello</html>"), wantStatus: 400, want: []string{"not a JSON batch"}},
		{name: "gzip header, plain body", body: body(event(now)), header: map[string]string{"Content-Encoding": "gzip"}, wantStatus: 400, want: []string{"not valid gzip"}},
		{name: "unsupported encoding", body: body(event(now)), header: map[string]string{"Content-Encoding": "br"}, wantStatus: 400, want: []string{`Content-Encoding \"br\" is not supported`}},
		{name: "truncated gzip", body: gz(body(event(now)))[:40], wantStatus: 400, want: []string{"not valid gzip"}},
		{name: "gzip bomb", body: gz(bytes.Repeat([]byte(" "), 40<<20)), wantStatus: 413, want: []string{"decompressed body is larger than the limit of 33554432 bytes"}},
		{name: "huge single event", body: gz(body(`{"type":5,"timestamp":` + fmt.Sprint(now) + `,"data":{"tag":"x","payload":"` + strings.Repeat("x", 17<<20) + `"}}`)),
			wantStatus: 413, want: []string{"over the limit of 16777216 for one event"}},
		{name: "invalid UTF-8", body: body(`{"type":5,"timestamp":` + fmt.Sprint(now) + `,"data":{"tag":"` + "\xff\xfe" + `"}}`), wantStatus: 400, want: []string{"UTF-8"}},
		{name: "timestamp far in the future", body: body(event(now + 48*3600_000)), wantStatus: 400, want: []string{"events[0].timestamp", "after the server's clock"}},
		{name: "timestamp far in the past", body: body(event(now - 90*24*3600_000)), wantStatus: 400, want: []string{"events[0].timestamp", "before"}},
		{name: "second event invalid", body: body(event(now), `{"type":3,"timestamp":"soon","data":{}}`), wantStatus: 400, want: []string{"events[1].timestamp"}},
		{name: "unknown key", path: "/api/v1/ingest?k=phk_nope", body: body(event(now)), wantStatus: 401, want: []string{"unknown ingest key"}},
		{name: "replayed old sequence number", body: batch(sid, 1, now+99_000), wantStatus: 200, want: []string{`"duplicate":true`}},
		{name: "a key of another project", path: "/api/v1/ingest?k=" + other.IngestKey, body: batch(sid, 5, now), wantStatus: 200, want: []string{`"duplicate":false`}},
		{name: "empty body", body: nil, wantStatus: 400, want: []string{"not a JSON batch"}},
		{name: "deeply nested", body: body(`{"type":5,"timestamp":` + fmt.Sprint(now) + `,"data":{"tag":"x","payload":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}}`), wantStatus: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.method = "POST"
			if tt.path == "" {
				tt.path = ingest
			}
			tt.wantNot = append(tt.wantNot, "panic", "goroutine")
			tt.run(t, m, nil)
		})
	}
	if after := snapshot(); after != before {
		t.Fatalf("hostile input changed the stored session:\nbefore %.500s\nafter  %.500s", before, after)
	}
	resp, err := http.Get(m.URL() + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("server unhealthy after hostile input: %v", err)
	}
}
