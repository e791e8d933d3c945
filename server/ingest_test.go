package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead"
)

func TestIngestSlotsBoundConcurrentWork(t *testing.T) {
	s := &Server{IngestWait: 20 * time.Millisecond, ingestSlots: make(chan struct{}, 1)}
	release, err := s.ingestSlot(context.Background())
	if err != nil {
		t.Fatalf("first slot: %v", err)
	}
	start := time.Now()
	if _, err := s.ingestSlot(context.Background()); playhead.ErrorCode(err) != playhead.EUNAVAILABLE || !strings.Contains(err.Error(), "overloaded") {
		t.Fatalf("second batch while the only slot is taken: %v, want EUNAVAILABLE naming the overload", err)
	}
	if waited := time.Since(start); waited < 20*time.Millisecond {
		t.Errorf("refused after %s, before the wait of 20ms", waited)
	}
	// a slot freed while waiting is taken
	go func() { time.Sleep(5 * time.Millisecond); release() }()
	release2, err := s.ingestSlot(context.Background())
	if err != nil {
		t.Fatalf("slot freed during the wait: %v", err)
	}
	release2()
	if len(s.ingestSlots) != 0 {
		t.Errorf("%d slots still taken after every release", len(s.ingestSlots))
	}
}
