// Package loadgen simulates many browsers recording at once against a
// Playhead server, injects faults (dropped connections, duplicated and
// reordered batches, server crashes), and then audits the store: every batch
// the server acknowledged must be there exactly once, in order, and every
// session must replay.
package loadgen

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/playhead/playhead/testdata"
)

// Config says what load to make.
type Config struct {
	// URLs are the base URLs of the server's nodes (one, or several over
	// one index); IngestKey is its project's key. With a Spawner, both
	// come from the spawned nodes. A session's batches are spread over
	// every node, as a load balancer that keeps no affinity would: batch
	// seq goes to node (seq + the session's first node) mod len(URLs), and
	// a retry or a duplicate to the next one.
	URLs      []string
	IngestKey string
	// Rampup spreads the sessions' starts (each begins with its full
	// snapshot, the largest batch) over this long, as visits arrive over
	// time; latency percentiles count only batches acknowledged after it.
	// Zero means one Interval.
	Rampup time.Duration
	// Sessions recording at once, each sending a batch every Interval; with
	// Interval 0 each sends its next batch as soon as the last is answered,
	// which measures the most the server can take.
	Sessions int
	Interval time.Duration
	Duration time.Duration
	// SessionLength is how long one visit records; when it ends, its tab
	// starts a new session, which begins with its full snapshot. With it
	// the run starts in a steady state, as a live site is: the sessions are
	// already recording, each at a random point of its visit (its first
	// batch is not the full snapshot, sent before the run), and new ones
	// arrive at Sessions/SessionLength a second. Zero: every session starts
	// with its full snapshot within the ramp-up and lasts the whole run.
	SessionLength time.Duration
	// Faults, as probabilities per batch.
	DropConnection float64 // the request is cut off after it was sent; the batch is retried
	Duplicate      float64 // an acknowledged batch is sent again
	Reorder        float64 // a batch is held back and sent after the next one
	// ErrorShare is the share of sessions that report a JavaScript error
	// (a playhead.error event added to one of their first batches), which
	// a project's webhooks are told of once per session.
	ErrorShare float64
	// Restart, when set with a Spawner, kills a node with SIGKILL this
	// often (each node in turn) and starts it again.
	Restart time.Duration
	Spawner *Spawner
	// Progress receives a progress line every second.
	Progress io.Writer
	// Sample is how many sessions the audit reads back in full.
	Sample int
	// AdminPassword logs the audit in to the dashboard API.
	AdminPassword string

	skipAudit bool // for the raw baseline, which stores nothing to audit
}

// Report is what a run measured and what the audit found.
type Report struct {
	Sessions       int
	Started        int // sessions started, counting those that replaced ended visits
	Elapsed        time.Duration
	Sent, Acked    int64
	Retries        int64
	Statuses       map[int]int64
	AckP50, AckP99 time.Duration // after the ramp-up
	AllP99         time.Duration // every acknowledgement, the ramp-up's too
	Restarts       int
	Server         ProcessStats
	// Nodes says what each node took: batches sent to it and, with a
	// Spawner, the CPU its processes used.
	Nodes []NodeLoad
	// Unavailable counts answers 503 and NoRetryAfter those of them
	// without a Retry-After header.
	Unavailable, NoRetryAfter int64
	// ErrorSessions are the sessions that sent an error (see ErrorShare),
	// true when the batch with it was acknowledged.
	ErrorSessions map[string]bool
	Audit         Audit
}

// NodeLoad is one node's share of a run.
type NodeLoad struct {
	URL    string
	Sent   int64
	Server ProcessStats
}

// Audit is the check of the store after the load.
type Audit struct {
	SessionsChecked  int
	BatchesExpected  int
	Missing          int // acknowledged, not stored
	Duplicated       int // stored more than once
	WrongEvents      int // stored with other events than were sent
	Unreplayable     int // events unreadable or not a JSON array
	SampledReadBacks int
	Problems         []string
}

// OK reports whether the audit found nothing wrong.
func (a Audit) OK() bool {
	return a.Missing == 0 && a.Duplicated == 0 && a.WrongEvents == 0 && a.Unreplayable == 0
}

// workload is the recorded session cut into 5-second batches, each kept as
// its JSON events and as a gzip member of them, compressed once: a request
// body is a small gzip member with the batch's header followed by that one
// (gzip readers join members), so the load generator spends its CPU on
// sending, not compressing.
type workload struct {
	events     [][]byte // per batch: the JSON of its events, comma-joined
	compressed [][]byte // per batch: a gzip member of events + "]}"
	counts     []int
	lastTs     []int64
}

func loadWorkload() (*workload, error) {
	evs, err := testdata.Real60()
	if err != nil {
		return nil, err
	}
	w := &workload{}
	for start := 0; start < len(evs); {
		end := start
		for end < len(evs) && evs[end].Timestamp-evs[start].Timestamp < 5000 {
			end++
		}
		var b bytes.Buffer
		for i, e := range evs[start:end] {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(e.Raw)
		}
		w.events = append(w.events, b.Bytes())
		w.compressed = append(w.compressed, gzipped(append(bytes.Clone(b.Bytes()), ']', '}')))
		w.counts = append(w.counts, end-start)
		w.lastTs = append(w.lastTs, evs[end-1].Timestamp)
		start = end
	}
	return w, nil
}

// session is one simulated browser tab.
type session struct {
	id     string
	offset int // which recorded batch its seq 1 replays (seq 0 is always the keyframe batch)
	node   int // the node its seq 0 goes to
	// errorSeq is the batch that carries an error event, or -1.
	errorSeq int
	mu       sync.Mutex
	acked    map[int]bool
	// errorSent is set once the error batch has been sent (it may be
	// stored, acknowledged or not).
	errorSent bool
}

func (s *session) batchIndex(seq int, n int) int {
	if seq == 0 {
		return 0
	}
	return 1 + (s.offset+seq-1)%(n-1)
}

func body(w *workload, s *session, seq int) []byte {
	head := gzipped(fmt.Appendf(nil, `{"v":1,"sid":%q,"seq":%d,"sdk":"loadgen","events":[`, s.id, seq))
	if seq == s.errorSeq {
		return append(head, gzipped(append(w.batchEvents(s, seq), ']', '}'))...)
	}
	return append(head, w.compressed[s.batchIndex(seq, len(w.events))]...)
}

// batchEvents returns the JSON of the events of a session's batch seq,
// comma-joined: the recorded batch's, with an error event after them in
// the session's error batch.
func (w *workload) batchEvents(s *session, seq int) []byte {
	i := s.batchIndex(seq, len(w.events))
	if seq != s.errorSeq {
		return w.events[i]
	}
	return fmt.Appendf(bytes.Clone(w.events[i]), `,{"type":5,"timestamp":%d,"data":{"tag":"playhead.error","payload":`+
		`{"kind":"error","message":"TypeError: cart is undefined (loadgen %s)","stack":"at checkout (app.js:1:1)"}}}`, w.lastTs[i], s.id)
}

// batchCount returns how many events a session's batch seq holds.
func (w *workload) batchCount(s *session, seq int) int {
	n := w.counts[s.batchIndex(seq, len(w.events))]
	if seq == s.errorSeq {
		n++
	}
	return n
}

// gzipWriters are reused: a compressor's state is about a megabyte, which
// allocating for every request would cost more than sending it.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return zw
}}

func gzipped(data []byte) []byte {
	var b bytes.Buffer
	zw := gzipWriters.Get().(*gzip.Writer)
	zw.Reset(&b)
	zw.Write(data)
	zw.Close()
	gzipWriters.Put(zw)
	return b.Bytes()
}

type run struct {
	cfg     Config
	w       *workload
	client  *http.Client
	sent    atomic.Int64
	sentTo  []atomic.Int64 // by node
	acked   atomic.Int64
	retries atomic.Int64
	// unavailable counts 503 answers, noRetryAfter those without a
	// Retry-After header.
	unavailable, noRetryAfter atomic.Int64
	mu                        sync.Mutex
	statuses                  map[int]int64
	lat, all                  []time.Duration
	steady                    time.Time // when the ramp-up ends
	restarts                  atomic.Int32

	sessionsMu sync.Mutex
	sessions   []*session // every session the run started
}

func (r *run) newSession() *session {
	r.sessionsMu.Lock()
	defer r.sessionsMu.Unlock()
	s := &session{id: fmt.Sprintf("load%08d%08x", len(r.sessions), rand.Uint32()), offset: rand.IntN(len(r.w.events) - 1),
		node: rand.IntN(len(r.cfg.URLs)), errorSeq: -1, acked: map[int]bool{}}
	if rand.Float64() < r.cfg.ErrorShare {
		s.errorSeq = 1 + rand.IntN(8)
	}
	r.sessions = append(r.sessions, s)
	return s
}

// Run makes the load, then audits. It returns an error only when it could not
// run; problems the audit finds are in the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Sessions <= 0 || cfg.Interval < 0 || cfg.Duration <= 0 {
		return nil, errors.New("loadgen: sessions and duration must be positive, interval not negative")
	}
	w, err := loadWorkload()
	if err != nil {
		return nil, err
	}
	if cfg.Spawner != nil {
		if err := cfg.Spawner.Start(ctx); err != nil {
			return nil, err
		}
		cfg.URLs, cfg.IngestKey = cfg.Spawner.URLs(), cfg.Spawner.IngestKey
	}
	if len(cfg.URLs) == 0 {
		return nil, errors.New("loadgen: no server URL")
	}
	r := &run{
		cfg: cfg, w: w, statuses: map[int]int64{}, sentTo: make([]atomic.Int64, len(cfg.URLs)),
		// Each simulated tab keeps its connection between batches, as a
		// browser does: with fewer idle connections than tabs, every batch
		// would open a new one, and bursts of connections overflow the
		// server's listen backlog (SYN retries stall for seconds).
		client: &http.Client{Transport: &http.Transport{MaxIdleConns: cfg.Sessions + 64, MaxIdleConnsPerHost: cfg.Sessions + 64, IdleConnTimeout: 90 * time.Second}},
	}
	loadCtx, stop := context.WithTimeout(ctx, cfg.Duration)
	defer stop()
	var before []ProcessStats
	if cfg.Spawner != nil {
		before = cfg.Spawner.NodeStats()
	}
	rampup := cfg.Rampup
	if rampup <= 0 {
		rampup = max(cfg.Interval, time.Second)
	}
	start := time.Now()
	r.steady = start.Add(rampup)
	var wg sync.WaitGroup
	for i := range cfg.Sessions {
		wg.Add(1)
		delay := time.Duration(int64(rampup) * int64(i) / int64(cfg.Sessions))
		go func() {
			defer wg.Done()
			r.tab(loadCtx, delay)
		}()
	}
	doneProgress := make(chan struct{})
	go r.progress(loadCtx, start, doneProgress)
	if cfg.Spawner != nil && cfg.Restart > 0 {
		go r.crashLoop(loadCtx)
	}
	wg.Wait()
	elapsed := time.Since(start)
	<-doneProgress

	rep := &Report{Sessions: cfg.Sessions, Started: len(r.sessions), Elapsed: elapsed, Sent: r.sent.Load(), Acked: r.acked.Load(),
		Retries: r.retries.Load(), Statuses: r.statuses, Restarts: int(r.restarts.Load()),
		Unavailable: r.unavailable.Load(), NoRetryAfter: r.noRetryAfter.Load(), ErrorSessions: map[string]bool{}}
	for i, u := range cfg.URLs {
		rep.Nodes = append(rep.Nodes, NodeLoad{URL: u, Sent: r.sentTo[i].Load()})
	}
	for _, s := range r.sessions {
		s.mu.Lock()
		if s.errorSent {
			rep.ErrorSessions[s.id] = s.acked[s.errorSeq]
		}
		s.mu.Unlock()
	}
	slices.Sort(r.lat)
	if n := len(r.lat); n > 0 {
		rep.AckP50, rep.AckP99 = r.lat[n/2], r.lat[n*99/100]
	}
	slices.Sort(r.all)
	if n := len(r.all); n > 0 {
		rep.AllP99 = r.all[n*99/100]
	}
	if cfg.Spawner != nil {
		for i, st := range cfg.Spawner.NodeStats() {
			rep.Nodes[i].Server = st.Since(before[i])
			rep.Server = rep.Server.add(rep.Nodes[i].Server)
		}
		// A crash may have left a node down: audit whole ones.
		if err := cfg.Spawner.Revive(ctx); err != nil {
			return rep, err
		}
	}
	if cfg.skipAudit {
		return rep, nil
	}
	rep.Audit, err = audit(ctx, cfg, w, r.sessions)
	return rep, err
}

// tab plays one browser tab: one session, or with SessionLength one visit
// after another.
func (r *run) tab(ctx context.Context, delay time.Duration) {
	visit := -1 // batches a visit sends; -1: the whole run
	if r.cfg.SessionLength > 0 && r.cfg.Interval > 0 {
		visit = max(1, int(r.cfg.SessionLength/r.cfg.Interval))
	}
	first := 0
	if visit > 0 {
		first = rand.IntN(visit) // already recording: joined mid-visit
	}
	for ctx.Err() == nil {
		n := visit
		if n > 0 {
			n -= first
		}
		r.record(ctx, r.newSession(), delay, first, n)
		delay, first = 0, 0 // the last batch's interval has passed
	}
}

// record plays one session: a batch every interval, in sequence from seq
// first, n of them (n < 0: until ctx ends), each retried until acknowledged
// (as the SDK does), with the configured faults.
func (r *run) record(ctx context.Context, s *session, delay time.Duration, first, n int) {
	select {
	case <-ctx.Done():
		return
	case <-time.After(delay):
	}
	var tick <-chan time.Time
	if r.cfg.Interval > 0 {
		t := time.NewTicker(r.cfg.Interval)
		defer t.Stop()
		tick = t.C
	} else {
		always := make(chan time.Time)
		close(always)
		tick = always
	}
	var held = -1
	for seq := first; n < 0 || seq < first+n; seq++ {
		if seq > first && (n < 0 || seq < first+n-1) && rand.Float64() < r.cfg.Reorder && held < 0 {
			held = seq // sent after the next one
		} else {
			r.deliver(ctx, s, seq)
			if held >= 0 {
				r.deliver(ctx, s, held)
				held = -1
			}
		}
		select {
		case <-ctx.Done():
			if held >= 0 {
				// Send what was held back, so every seq the tab numbered is
				// sent; an unacknowledged one is simply not audited.
				final, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				r.deliver(final, s, held)
				cancel()
			}
			return
		case <-tick:
		}
	}
	if held >= 0 {
		r.deliver(ctx, s, held)
	}
}

// deliver sends one batch until acknowledged, with backoff, then maybe
// again; each attempt goes to the next node.
func (r *run) deliver(ctx context.Context, s *session, seq int) {
	data := body(r.w, s, seq)
	if seq == s.errorSeq {
		s.mu.Lock()
		s.errorSent = true
		s.mu.Unlock()
	}
	backoff := 100 * time.Millisecond
	node := s.node + seq
	for attempt := 0; ; attempt, node = attempt+1, node+1 {
		if attempt > 0 {
			r.retries.Add(1)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff + time.Duration(rand.Int64N(int64(backoff)))):
			}
			backoff = min(2*backoff, 2*time.Second)
		}
		ok, retry := r.post(ctx, node, s, seq, data, rand.Float64() < r.cfg.DropConnection)
		if ok {
			if rand.Float64() < r.cfg.Duplicate {
				r.post(ctx, node+1, s, seq, data, false)
			}
			return
		}
		if !retry {
			return
		}
	}
}

// post sends a batch to node (mod the number of nodes) once.
func (r *run) post(ctx context.Context, node int, s *session, seq int, data []byte, cut bool) (ok, retry bool) {
	node %= len(r.cfg.URLs)
	reqCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(reqCtx, "POST", r.cfg.URLs[node]+"/api/v1/ingest?k="+r.cfg.IngestKey, bytes.NewReader(data))
	if err != nil {
		return false, false
	}
	req.Header.Set("Content-Type", "text/plain")
	r.sent.Add(1)
	r.sentTo[node].Add(1)
	start := time.Now()
	if cut {
		// Give the server the whole body, then hang up before the answer:
		// the batch may or may not be stored, and is sent again.
		go func() { time.Sleep(time.Duration(rand.Int64N(int64(5 * time.Millisecond)))); cancel() }()
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return false, ctx.Err() == nil
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	if resp.StatusCode == http.StatusServiceUnavailable {
		r.unavailable.Add(1)
		if resp.Header.Get("Retry-After") == "" {
			r.noRetryAfter.Add(1)
		}
	}
	r.mu.Lock()
	r.statuses[resp.StatusCode]++
	if resp.StatusCode == http.StatusOK {
		r.all = append(r.all, took)
		if start.After(r.steady) {
			r.lat = append(r.lat, took)
		}
	}
	r.mu.Unlock()
	switch {
	case resp.StatusCode == http.StatusOK:
		s.mu.Lock()
		s.acked[seq] = true
		s.mu.Unlock()
		r.acked.Add(1)
		return true, false
	case resp.StatusCode == 429 || resp.StatusCode >= 500:
		return false, true
	default:
		return false, false
	}
}

func (r *run) crashLoop(ctx context.Context) {
	t := time.NewTicker(r.cfg.Restart)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := r.cfg.Spawner.Crash(ctx, int(r.restarts.Load())%len(r.cfg.URLs)); err != nil {
			fmt.Fprintln(r.cfg.Progress, "loadgen: restart failed:", err)
			return
		}
		r.restarts.Add(1)
	}
}

func (r *run) progress(ctx context.Context, start time.Time, done chan struct{}) {
	defer close(done)
	if r.cfg.Progress == nil {
		<-ctx.Done()
		return
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last, lastAt := int64(0), start
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintln(r.cfg.Progress)
			return
		case now := <-t.C:
			acked := r.acked.Load()
			rate := float64(acked-last) / now.Sub(lastAt).Seconds()
			last, lastAt = acked, now
			frac := min(1, float64(now.Sub(start))/float64(r.cfg.Duration))
			const width = 30
			bar := bytes.Repeat([]byte{'='}, int(frac*width))
			bar = append(bar, bytes.Repeat([]byte{' '}, width-len(bar))...)
			fmt.Fprintf(r.cfg.Progress, "\r[%s] %3.0f%%  %s acked  %6.0f/s  retries %d  restarts %d ",
				bar, frac*100, strconv.FormatInt(acked, 10), rate, r.retries.Load(), r.restarts.Load())
		}
	}
}
