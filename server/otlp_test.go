package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/ingest"
	"github.com/playhead/playhead/sqlite"
)

// TestOTLPTakesIngestSlots: an OTLP body is decompressed and decoded in one
// of the ingest worker slots, like a batch, so a burst of them (gzip bombs
// included) cannot hold more than the slots' worth of memory; one that
// waits too long is told to retry.
func TestOTLPTakesIngestSlots(t *testing.T) {
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p := &playhead.Project{Name: "p", IngestKey: "phk_otlp_slots"}
	if err := db.CreateProject(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	secret := "pht_otlp_slots_secret"
	if err := db.CreateAPIToken(t.Context(), &playhead.APIToken{ProjectID: p.ID, Name: "backend", Scopes: []string{playhead.ScopeOTLP}, Hash: hashToken(secret), Hint: "pht_otlp"}); err != nil {
		t.Fatal(err)
	}
	s := &Server{Accounts: db, Backend: db, Limits: ingest.DefaultLimits, Now: time.Now,
		Logger: slog.New(slog.DiscardHandler), IngestWait: 20 * time.Millisecond, ingestSlots: make(chan struct{}, 1)}
	export := func() *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/v1/traces", strings.NewReader(`{"resourceSpans":[]}`))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+secret)
		w := httptest.NewRecorder()
		s.handleOTLP("traces").ServeHTTP(w, r)
		return w
	}

	s.ingestSlots <- struct{}{} // every slot is busy
	w := export()
	body, _ := io.ReadAll(w.Body)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" || !strings.Contains(string(body), "overloaded") {
		t.Fatalf("export while every slot is busy: %d, Retry-After %q, %s; want 503 naming the overload", w.Code, w.Header().Get("Retry-After"), body)
	}
	<-s.ingestSlots
	if w := export(); w.Code != http.StatusOK {
		t.Fatalf("export with a free slot: %d %s", w.Code, w.Body)
	}
	if len(s.ingestSlots) != 0 {
		t.Errorf("%d slots still taken after the export", len(s.ingestSlots))
	}
}
