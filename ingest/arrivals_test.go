package ingest

import (
	"testing"
	"time"

	"github.com/playhead/playhead"
)

func TestArrivalsSteady(t *testing.T) {
	var a arrivals
	start := time.Unix(1_800_000_000, 0)
	delay := 5 * time.Millisecond
	if a.steady(delay, start) {
		t.Fatal("steady before anything arrived")
	}
	// 100 batches a second: one per 10 ms, fewer than two per delay.
	now := start
	for range 30 {
		now = now.Add(10 * time.Millisecond)
		a.add(1, now)
	}
	if a.steady(delay, now) {
		t.Fatalf("steady at %.0f batches a second with a %s delay", a.perSecond, delay)
	}
	// 1,000 a second: five per delay.
	for range 300 {
		now = now.Add(time.Millisecond)
		a.add(1, now)
	}
	if !a.steady(delay, now) {
		t.Fatalf("not steady at %.0f batches a second with a %s delay", a.perSecond, delay)
	}
	// Then nothing for two windows: the pace measured before is stale.
	if a.steady(delay, now.Add(2*arrivalWindow)) {
		t.Fatal("steady after two windows without a batch")
	}
}

func TestGatherWaitsForBatchesWhenSteady(t *testing.T) {
	in := &Ingester{CommitDelay: 200 * time.Millisecond, queue: make(chan *commitRequest, 4), stop: make(chan struct{})}
	first := &commitRequest{}
	// Nothing being prepared and no steady pace: the group goes at once.
	start := time.Now()
	if g := in.gather([]*commitRequest{first}, false); len(g) != 1 {
		t.Fatalf("group of %d", len(g))
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Fatalf("gather waited %s with nothing coming", d)
	}
	// At a steady pace it waits for the next batch, within the delay.
	go func() {
		time.Sleep(20 * time.Millisecond)
		in.queue <- &commitRequest{}
	}()
	if g := in.gather([]*commitRequest{first}, true); len(g) != 2 {
		t.Fatalf("steady: group of %d, want the batch that came within the delay", len(g))
	}
	// And no longer than the delay.
	in.CommitDelay = 30 * time.Millisecond
	start = time.Now()
	if g := in.gather([]*commitRequest{first}, true); len(g) != 1 {
		t.Fatalf("group of %d", len(g))
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("steady: gather returned after %s, before its delay", d)
	}
}

// A batch queued after the committer drained its queue and stopped is
// refused (the client retries), not waited for without end.
func TestCommitAfterTheCommitterStopped(t *testing.T) {
	in := &Ingester{queue: make(chan *commitRequest, 1), stop: make(chan struct{}), stopped: make(chan struct{})}
	in.startOnce.Do(func() {}) // no committer: it has stopped
	close(in.stopped)
	pb := &Prepared{req: &commitRequest{done: make(chan playhead.AddResult, 1)}}
	in.preparing.Add(1)
	got := make(chan error, 1)
	go func() {
		_, err := in.Commit(t.Context(), pb)
		got <- err
	}()
	select {
	case err := <-got:
		if err != errClosed {
			t.Fatalf("Commit after the committer stopped: %v, want %v", err, errClosed)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Commit still waits 5 s after the committer stopped")
	}
}

// A batch the committer stored in its last drain, before it stopped, is
// acknowledged with what that commit said.
func TestCommitInTheLastDrain(t *testing.T) {
	in := &Ingester{queue: make(chan *commitRequest, 1), stop: make(chan struct{}), stopped: make(chan struct{})}
	in.startOnce.Do(func() {})
	close(in.stopped)
	pb := &Prepared{req: &commitRequest{done: make(chan playhead.AddResult, 1)}}
	pb.req.done <- playhead.AddResult{Duplicate: true}
	in.preparing.Add(1)
	res, err := in.Commit(t.Context(), pb)
	if err != nil || !res.Duplicate {
		t.Fatalf("Commit of a batch stored in the last drain: %+v, %v", res, err)
	}
}
