package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"github.com/playhead/playhead/loadgen"
)

const loadgenUsage = `Usage: playhead loadgen [flags]

Simulates many browsers recording at once (batches cut from a real 60-minute
recording), with injected faults, then audits the store: every acknowledged
batch must be stored exactly once, in order, and sessions must replay.

With -spawn it runs its own server (this binary) on a temporary data
directory, so it can kill it with SIGKILL (-restart) and report the server's
CPU and memory. Loopback only.

With -nodes N it spawns N servers over one shared index and object store
(-index postgres://…, -objects s3://…, credentials from the AWS_*
environment) and one keyring, and spreads every session's batches over all
of them; -restart then kills each node in turn. The audit reads through
every node.

`

func runLoadgen(args []string) error {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(os.Stderr, loadgenUsage); fs.PrintDefaults() }
	var (
		url      = fs.String("url", "", "server to load (loopback only), or comma-separated nodes of one server; empty with -spawn")
		key      = fs.String("key", "", "the project's ingest key (with -url)")
		password = fs.String("admin-password", "", "admin password, for the audit (with -url)")
		spawn    = fs.Bool("spawn", true, "start a server of our own on a temporary data directory")
		sessions = fs.Int("sessions", 1000, "browsers recording at once")
		interval = fs.Duration("interval", 5*time.Second, "time between one browser's batches; 0 sends as fast as answered")
		duration = fs.Duration("duration", 30*time.Second, "how long to make load")
		length   = fs.Duration("session-length", 0, "how long one visit records: the run starts with sessions already recording and new ones arriving (sessions/length a second); 0: every session starts with its full snapshot within the ramp-up and lasts the whole run")
		rampup   = fs.Duration("rampup", 0, "spread the sessions' starts over this long; latency is counted after it (default: one interval)")
		drop     = fs.Float64("drop", 0, "share of requests cut off before the answer (then retried)")
		dup      = fs.Float64("dup", 0, "share of acknowledged batches sent again")
		reorder  = fs.Float64("reorder", 0, "share of batches sent after the next one")
		restart  = fs.Duration("restart", 0, "with -spawn, kill the server (a node, each in turn) with SIGKILL this often and restart it")
		nodes    = fs.Int("nodes", 1, "with -spawn, servers to run over one -index and -objects")
		index    = fs.String("index", "", "with -spawn, the servers' -index (postgres://…; default: SQLite in the data directory)")
		objects  = fs.String("objects", "", "with -spawn, the servers' -objects (s3://…; default: the data directory)")
		errShare = fs.Float64("errors", 0, "share of sessions that report a JavaScript error (a webhook event each)")
		sample   = fs.Int("sample", 50, "sessions the audit reads back in full")
		baseline = fs.Bool("baseline", false, "also measure the raw write+fsync limit with the same load and print the ratio")
		cpuprof  = fs.String("cpuprofile", "", "write the load generator's own CPU profile to this file")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuprof != "" {
		f, err := os.Create(*cpuprof)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	cfg := loadgen.Config{
		IngestKey: *key, AdminPassword: *password, Sessions: *sessions, Interval: *interval, Rampup: *rampup,
		Duration: *duration, SessionLength: *length, DropConnection: *drop, Duplicate: *dup, Reorder: *reorder, Restart: *restart,
		ErrorShare: *errShare, Progress: os.Stderr, Sample: *sample,
	}
	if *url != "" {
		cfg.URLs = strings.Split(*url, ",")
	}
	tmp, err := os.MkdirTemp("", "playhead-loadgen-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if *url == "" {
		if !*spawn {
			return errors.New("loadgen: give -url or -spawn")
		}
		self, err := os.Executable()
		if err != nil {
			return err
		}
		cfg.Spawner = &loadgen.Spawner{Binary: self, DataDir: filepath.Join(tmp, "data"), AdminPassword: "loadgen", Stderr: os.Stderr,
			Nodes: *nodes, Index: *index, Objects: *objects}
		defer cfg.Spawner.Stop()
	} else if *restart > 0 || *nodes > 1 || *index != "" || *objects != "" {
		return errors.New("loadgen: -restart, -nodes, -index and -objects need -spawn")
	}

	var raw float64
	if *baseline {
		fmt.Fprintf(os.Stderr, "measuring the raw limit (write + fsync per batch) with %d senders for %s\n", *sessions, *duration)
		raw, err = loadgen.RawBaseline(ctx, filepath.Join(tmp, "raw"), *sessions, *duration)
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "loading Playhead with %d sessions for %s\n", *sessions, *duration)
	rep, err := loadgen.Run(ctx, cfg)
	if err != nil {
		return err
	}
	printReport(rep, raw)
	if !rep.Audit.OK() {
		return fmt.Errorf("audit failed: %d missing, %d duplicated, %d with wrong events, %d unreplayable", rep.Audit.Missing, rep.Audit.Duplicated, rep.Audit.WrongEvents, rep.Audit.Unreplayable)
	}
	return nil
}

func printReport(r *loadgen.Report, raw float64) {
	rate := float64(r.Acked) / r.Elapsed.Seconds()
	fmt.Printf("\n%-34s %s\n", "sessions recording at once", fmt.Sprint(r.Sessions))
	if r.Started > r.Sessions {
		fmt.Printf("%-34s %d (%d new, each starting with its full snapshot)\n", "sessions started", r.Started, r.Started-r.Sessions)
	}
	fmt.Printf("%-34s %.1f s on %d cores\n", "elapsed", r.Elapsed.Seconds(), runtime.NumCPU())
	fmt.Printf("%-34s %d sent, %d acknowledged, %d retries\n", "batches", r.Sent, r.Acked, r.Retries)
	fmt.Printf("%-34s %.0f batches/s\n", "throughput", rate)
	if len(r.Nodes) > 1 {
		for i, n := range r.Nodes {
			line := fmt.Sprintf("%d batches sent", n.Sent)
			if n.Server.CPU > 0 {
				line += fmt.Sprintf(", %.2f cores, %.2f ms CPU per batch, peak %.0f MiB", n.Server.CPU.Seconds()/r.Elapsed.Seconds(),
					n.Server.CPU.Seconds()*1000/float64(max(n.Sent, 1)), float64(n.Server.PeakRSS)/(1<<20))
			}
			fmt.Printf("%-34s %s\n", fmt.Sprintf("node %d (%s)", i+1, n.URL), line)
		}
	}
	fmt.Printf("%-34s p50 %.1f ms, p99 %.1f ms after the ramp-up (p99 %.1f ms with it)\n", "acknowledgement latency", ms(r.AckP50), ms(r.AckP99), ms(r.AllP99))
	var codes []int
	for c := range r.Statuses {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	for _, c := range codes {
		fmt.Printf("%-34s %d\n", fmt.Sprintf("answers with status %d", c), r.Statuses[c])
	}
	if r.NoRetryAfter > 0 {
		fmt.Printf("%-34s %d of %d\n", "503 without Retry-After", r.NoRetryAfter, r.Unavailable)
	}
	if r.Server.CPU > 0 {
		cores := r.Server.CPU.Seconds() / r.Elapsed.Seconds()
		k := float64(r.Sessions) / 1000
		fmt.Printf("%-34s %.2f cores (%.3f per 1,000 sessions; %.2f ms per batch)\n", "server CPU", cores, cores/k, r.Server.CPU.Seconds()*1000/float64(max(r.Sent, 1)))
		fmt.Printf("%-34s %.0f MiB (%.1f MiB per 1,000 sessions)\n", "server peak memory", float64(r.Server.PeakRSS)/(1<<20), float64(r.Server.PeakRSS)/(1<<20)/k)
	}
	if r.Restarts > 0 {
		fmt.Printf("%-34s %d (SIGKILL)\n", "server restarts", r.Restarts)
	}
	if raw > 0 {
		fmt.Printf("%-34s %.0f batches/s; Playhead reaches %.2fx of it\n", "raw limit (write+fsync per batch)", raw, rate/raw)
	}
	a := r.Audit
	verdict := "OK"
	if !a.OK() {
		verdict = "FAILED"
	}
	fmt.Printf("%-34s %s: %d sessions, %d acknowledged batches checked, %d read back in full; %d missing, %d duplicated, %d wrong, %d unreplayable\n",
		"audit", verdict, a.SessionsChecked, a.BatchesExpected, a.SampledReadBacks, a.Missing, a.Duplicated, a.WrongEvents, a.Unreplayable)
	for _, p := range a.Problems {
		fmt.Println("  ", p)
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
