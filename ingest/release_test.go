package ingest_test

import (
	"strings"
	"testing"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/ingest"
)

func TestBatchReleaseIsStoredOnTheSession(t *testing.T) {
	in, db, p := newIngester(t)
	body := `{"v":1,"sid":"release-session","seq":0,"release":"shop@4.1.0+build.7","events":[` + metaEv + "," + fullEv + `]}`
	b, err := ingest.ParseBatch([]byte(body), ingest.DefaultLimits, now)
	if err != nil {
		t.Fatal(err)
	}
	if b.Release != "shop@4.1.0+build.7" {
		t.Errorf("Release = %q", b.Release)
	}
	if _, err := in.Ingest(t.Context(), p, b, ingest.Origin{}); err != nil {
		t.Fatal(err)
	}
	// A later batch without a release keeps the session's.
	b, _ = ingest.ParseBatch([]byte(`{"v":1,"sid":"release-session","seq":1,"events":[`+clickEv+`]}`), ingest.DefaultLimits, now)
	if _, err := in.Ingest(t.Context(), p, b, ingest.Origin{}); err != nil {
		t.Fatal(err)
	}
	s, err := db.Session(t.Context(), p.ID, "release-session")
	if err != nil || s.Release != "shop@4.1.0+build.7" {
		t.Errorf("session = %+v, %v", s, err)
	}
	// A release the server cannot take is dropped, the batch kept.
	for _, bad := range []string{`"v 1"`, `"` + strings.Repeat("x", 201) + `"`, `"é"`} {
		b, err := ingest.ParseBatch([]byte(`{"v":1,"sid":"release-session","seq":2,"release":`+bad+`,"events":[`+clickEv+`]}`), ingest.DefaultLimits, now)
		if err != nil || b.Release != "" {
			t.Errorf("release %s: %+v, %v; want the batch without a release", bad, b, err)
		}
	}
	if _, err := ingest.ParseBatch([]byte(`{"v":1,"sid":"release-session","seq":2,"release":7,"events":[`+clickEv+`]}`), ingest.DefaultLimits, now); playhead.ErrorCode(err) != playhead.EINVALID {
		t.Errorf("a release that is not a string: err = %v, want invalid", err)
	}
}
