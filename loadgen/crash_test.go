package loadgen_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/playhead/playhead/loadgen"
)

// TestCrashLosesNoAcknowledgedBatch runs load with every fault on against a
// real playhead process, kills it with SIGKILL every few seconds and starts
// it again, then audits: no acknowledged batch is lost or doubled, and every
// session reads back whole and in order.
func TestCrashLosesNoAcknowledgedBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and crashes a server; skipped with -short")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "playhead")
	build := exec.Command("go", "build", "-o", bin, "../cmd/playhead")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build playhead: %v\n%s", err, out)
	}
	var serverLog *os.File
	if testing.Verbose() {
		serverLog = os.Stderr
	}
	spawner := &loadgen.Spawner{Binary: bin, DataDir: filepath.Join(dir, "data"), AdminPassword: "crash-test", Stderr: serverLog}
	defer spawner.Stop()
	rep, err := loadgen.Run(t.Context(), loadgen.Config{
		// visits of 2 s: sessions end and new ones start while the server crashes
		Sessions: 60, Interval: 250 * time.Millisecond, Duration: 14 * time.Second, SessionLength: 2 * time.Second,
		DropConnection: 0.05, Duplicate: 0.05, Reorder: 0.05,
		Restart: 3 * time.Second, Spawner: spawner, Sample: 60,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sent %d, acknowledged %d, retries %d, restarts %d, statuses %v", rep.Sent, rep.Acked, rep.Retries, rep.Restarts, rep.Statuses)
	if rep.Restarts < 3 {
		t.Errorf("the server was restarted %d times, want at least 3", rep.Restarts)
	}
	if rep.Started < 3*rep.Sessions {
		t.Errorf("%d sessions started by %d tabs with 2-second visits over 14 s", rep.Started, rep.Sessions)
	}
	if rep.Acked < 1000 {
		t.Errorf("only %d batches acknowledged; the load did not run", rep.Acked)
	}
	a := rep.Audit
	if !a.OK() || a.SampledReadBacks < 60 {
		t.Errorf("audit: %+v", a)
	}
}
