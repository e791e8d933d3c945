package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/assets"
	"github.com/playhead/playhead/chunk"
	"github.com/playhead/playhead/keyring"
	"github.com/playhead/playhead/privacy"
)

// Ingester stores validated batches. Batches arriving together are committed
// together: one committer goroutine gathers whatever is waiting and stores it
// in one index transaction, so one fsync acknowledges the whole group. A batch
// is acknowledged only after that commit; until a sealer moves it into a chunk
// (see package recording), its data lives in the index.
type Ingester struct {
	Index playhead.SessionIndex
	// Keys gives each session its data key: everything stored is encrypted.
	Keys   *keyring.DataKeys
	Logger *slog.Logger
	Limits playhead.SessionLimits
	Now    func() time.Time
	// Observe, when set, is told the size of each committed group and how
	// long the commit took.
	Observe func(group int, took time.Duration, err error)

	// AssetOrigins are the origins (scheme://host[:port]) whose stylesheets,
	// fonts and images are captured. With some, a batch queues every asset
	// URL it references (those of other origins are then listed as refused,
	// so an operator sees what to allow); with none, capture is off and
	// nothing is looked for.
	AssetOrigins []string

	// CommitDelay is how long the committer waits for more batches when
	// more are coming: others are being prepared (decoded, scrubbed,
	// encrypted) and will be queued in a moment, or batches have been
	// arriving steadily, at least two per delay. One commit then makes them
	// all durable, which costs less than one commit each: every commit
	// writes each page it changed to the log and syncs it. Zero means
	// DefaultCommitDelay; negative, no waiting.
	CommitDelay time.Duration

	// noSearch leaves out the search index (searchable text, frustration
	// signals): only the ingest benchmark's baseline sets it.
	noSearch bool

	preparing atomic.Int64 // batches in Ingest, not yet queued
	failures  struct {     // storage failures, for a log that does not flood
		sync.Mutex
		logged time.Time
		since  int
	}
	startOnce sync.Once
	queue     chan *commitRequest
	stop      chan struct{}
	stopped   chan struct{}
}

// MaxGroup bounds how many batches one commit stores.
const MaxGroup = 512

// DefaultCommitDelay is the committer's wait for batches coming. At 2,000
// batches a second on SQLite, waiting 5 ms for them instead of committing
// what is queued at once stored each batch with a sixth less CPU (an
// average group of 3 batches became one of 20), and the slowest
// acknowledgements were as slow as before: those wait for a commit
// anyway.
const DefaultCommitDelay = 5 * time.Millisecond

type commitRequest struct {
	batch *playhead.IndexedBatch
	done  chan playhead.AddResult
	err   error
}

// Start starts the committer. Ingest starts it too when needed.
func (in *Ingester) Start() {
	in.startOnce.Do(func() {
		in.queue = make(chan *commitRequest, 4*MaxGroup)
		in.stop = make(chan struct{})
		in.stopped = make(chan struct{})
		go in.commitLoop()
	})
}

// Close stops the committer after it has stored every batch queued so far.
// Call it after the HTTP server has finished its in-flight requests.
func (in *Ingester) Close() {
	in.Start()
	select {
	case <-in.stop:
	default:
		close(in.stop)
	}
	<-in.stopped
}

// QueueDepth returns how many batches wait for the next commit.
func (in *Ingester) QueueDepth() int {
	if in.queue == nil {
		return 0
	}
	return len(in.queue)
}

// Result says what happened to a batch.
type Result struct {
	// Duplicate is true when (session, seq) was stored before; nothing changed.
	Duplicate bool
}

var errClosed = playhead.Errorf(playhead.EUNAVAILABLE, "the server is shutting down; retry later")

// Origin is what the request says of the browser that sent a batch.
type Origin struct {
	UserAgent string
	// ClientIP is the client's address, already anonymised or empty.
	ClientIP string
}

// Ingest stores b for project p and returns once it is durable. Storage
// failures are EUNAVAILABLE: nothing was acknowledged, the SDK may retry.
func (in *Ingester) Ingest(ctx context.Context, p *playhead.Project, b *Batch, from Origin) (Result, error) {
	pb, err := in.Prepare(ctx, p, b, from)
	if err != nil {
		return Result{}, err
	}
	return in.Commit(ctx, pb)
}

// Prepared is a batch made ready to store: scrubbed, indexed, compressed and
// encrypted. Commit stores it.
type Prepared struct {
	req *commitRequest
	p   *playhead.Project
	sid string
}

// Prepare does the CPU work of storing b: scrubbing, extracting what the
// index keeps, compressing and encrypting. The batch counts as on its way
// to the committer until Commit queues it (or fails to), so Commit must
// follow a successful Prepare.
func (in *Ingester) Prepare(ctx context.Context, p *playhead.Project, b *Batch, from Origin) (*Prepared, error) {
	in.Start()
	in.preparing.Add(1)
	ib, err := in.prepare(ctx, p, b, from)
	if err != nil {
		in.preparing.Add(-1)
		return nil, err
	}
	return &Prepared{req: &commitRequest{batch: ib, done: make(chan playhead.AddResult, 1)}, p: p, sid: b.SessionID}, nil
}

// prepare scrubs b, extracts what the index keeps of it, and compresses
// and encrypts it.
func (in *Ingester) prepare(ctx context.Context, p *playhead.Project, b *Batch, from Origin) (*playhead.IndexedBatch, error) {
	// The user ID is hashed before scrubbing masks it: the hash lets a
	// user's sessions be erased, and reveals nothing without the keyring.
	userHash := in.Keys.Keyring.UserHash(p.ID, identifiedUser(b))
	reports := extractReports(b)
	scrubbed := b.scrubCounts
	if !b.scrubbed {
		var err error
		if scrubbed, err = Scrub(b, in.Now()); err != nil {
			return nil, err
		}
	}
	ib := extract(b, thresholdsOf(p.Settings), !in.noSearch)
	ib.Scrubbed = scrubbed
	if in.CapturesAssets(p) {
		ib.AssetURLs = assetURLs(b)
	}
	ib.ProjectID = p.ID
	ib.UserAgent = truncate(from.UserAgent, 512)
	ib.ClientIP = from.ClientIP
	ib.UserHash = userHash
	ib.Release = b.Release
	raws := make([][]byte, len(b.Events))
	for i := range b.Events {
		raws[i] = b.Events[i].Raw
	}
	var err error
	ib.Key, err = in.Keys.For(ctx, p.ID, b.SessionID)
	if err != nil {
		if ctx.Err() != nil {
			return nil, playhead.Errorf(playhead.EUNAVAILABLE, "request ended before the batch was stored")
		}
		return nil, in.unavailable(err)
	}
	cp := chunkBuffers.Get().(*[]byte)
	plain := chunk.AppendEncode((*cp)[:0], raws)
	ib.Data, err = keyring.Encrypt(ib.Key.Key, plain, chunk.PendingAAD(p.ID, b.SessionID, b.Seq))
	if cap(plain) <= maxPooledChunk {
		*cp = plain
		chunkBuffers.Put(cp)
	}
	if err != nil {
		return nil, in.unavailable(err)
	}
	ib.Ref.Bytes = len(ib.Data)
	for _, r := range reports {
		if r.Contact != "" {
			if r.ContactSealed, err = keyring.Encrypt(ib.Key.Key, []byte(r.Contact), contactAAD(p.ID, b.SessionID)); err != nil {
				return nil, in.unavailable(err)
			}
			r.Contact = ""
		}
		if r.PageURL == "" && len(ib.Pages) > 0 {
			r.PageURL = ib.Pages[len(ib.Pages)-1]
		}
		ib.Reports = append(ib.Reports, r)
	}
	return ib, nil
}

// chunkBuffers hold a batch's chunk between encoding and encrypting it;
// one larger than maxPooledChunk is left to the collector.
var chunkBuffers = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledChunk = 4 << 20

// Commit queues a prepared batch for the next commit and returns once it is
// durable.
func (in *Ingester) Commit(ctx context.Context, pb *Prepared) (Result, error) {
	queued := false
	defer func() {
		if !queued {
			in.preparing.Add(-1)
		}
	}()
	req := pb.req
	select {
	case <-in.stop:
		return Result{}, errClosed
	default:
	}
	select {
	case in.queue <- req:
		queued = true
		in.preparing.Add(-1)
	case <-ctx.Done():
		return Result{}, playhead.Errorf(playhead.EUNAVAILABLE, "request ended before the batch was stored")
	}
	// Once queued, the batch is committed whatever the request does, so the
	// answer is awaited even if the client has gone; unless the committer
	// has stopped, having drained the queue before this batch came in.
	var res playhead.AddResult
	select {
	case res = <-req.done:
	case <-in.stopped:
		select {
		case res = <-req.done: // committed in the final drain
		default:
			return Result{}, errClosed
		}
	}
	if errors.Is(res.Err, playhead.ErrKeyConflict) {
		in.Keys.Forget(pb.p.ID, pb.sid)
	}
	if res.Err != nil {
		return Result{}, res.Err
	}
	return Result{Duplicate: res.Duplicate}, nil
}

func (in *Ingester) commitLoop() {
	defer close(in.stopped)
	group := make([]*commitRequest, 0, MaxGroup)
	var rate arrivals
	for {
		select {
		case r := <-in.queue:
			group = append(group[:0], r)
		case <-in.stop:
			// Drain what was queued before the stop.
			for {
				select {
				case r := <-in.queue:
					in.commit([]*commitRequest{r})
				default:
					return
				}
			}
		}
		group = in.gather(group, rate.steady(in.commitDelay(), time.Now()))
		rate.add(len(group), time.Now())
		in.commit(group)
		clear(group) // the batches, and their request bodies, are done with
	}
}

func (in *Ingester) commitDelay() time.Duration {
	if in.CommitDelay == 0 {
		return DefaultCommitDelay
	}
	return in.CommitDelay
}

// arrivals measures how fast batches come to the committer, over windows
// of arrivalWindow.
type arrivals struct {
	since     time.Time
	n         int
	perSecond float64
}

const arrivalWindow = 250 * time.Millisecond

func (a *arrivals) add(n int, now time.Time) {
	if a.since.IsZero() {
		a.since = now
	}
	a.n += n
	if d := now.Sub(a.since); d >= arrivalWindow {
		a.perSecond = float64(a.n) / d.Seconds()
		a.since, a.n = now, 0
	}
}

// steady reports whether, at the last window's pace, at least two batches
// arrive within delay; not when the window now open began two windows ago
// (nothing came for at least one).
func (a *arrivals) steady(delay time.Duration, now time.Time) bool {
	return a.perSecond*delay.Seconds() >= 2 && now.Sub(a.since) < 2*arrivalWindow
}

// gather adds to group what is queued, and what comes within the commit
// delay: what is being prepared, or, when batches arrive steadily, any.
func (in *Ingester) gather(group []*commitRequest, steady bool) []*commitRequest {
	delay := in.commitDelay()
	var timeout <-chan time.Time
	for len(group) < MaxGroup {
		select {
		case r := <-in.queue:
			group = append(group, r)
			continue
		default:
		}
		if delay < 0 || (!steady && in.preparing.Load() == 0) {
			return group
		}
		if timeout == nil {
			t := time.NewTimer(delay)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case r := <-in.queue:
			group = append(group, r)
		case <-timeout:
			return group
		case <-in.stop:
			return group
		}
	}
	return group
}

func (in *Ingester) commit(group []*commitRequest) {
	batches := make([]*playhead.IndexedBatch, len(group))
	for i, r := range group {
		batches[i] = r.batch
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	results, err := AddBatches(ctx, in.Index, batches, in.Limits, in.Now())
	if in.Observe != nil {
		in.Observe(len(group), time.Since(start), err)
	}
	for i, r := range group {
		if err != nil {
			r.done <- playhead.AddResult{Err: in.unavailable(err)}
			continue
		}
		r.done <- results[i]
	}
}

func (in *Ingester) unavailable(err error) error {
	return in.StorageFailed("storage failed", err)
}

// StorageFailed logs that storage failed under msg, and returns the error
// a client gets: unavailable, retry later. While storage is down every
// batch fails, so the log says it once a second with how many more failed
// meanwhile, not once a batch.
func (in *Ingester) StorageFailed(msg string, err error) error {
	in.failures.Lock()
	now := time.Now()
	log := now.Sub(in.failures.logged) >= time.Second
	repeated := in.failures.since
	if log {
		in.failures.logged, in.failures.since = now, 0
	} else {
		in.failures.since++
	}
	in.failures.Unlock()
	if log {
		if repeated > 0 {
			in.Logger.Error(msg, "err", err, "failed_since_last_logged", repeated)
		} else {
			in.Logger.Error(msg, "err", err)
		}
	}
	return playhead.Errorf(playhead.EUNAVAILABLE, "storage is unavailable; retry later")
}

// Scrub masks personal data and secrets in every event of b, in place, as
// defence in depth behind the SDK's masking, and returns what it masked by
// kind: each is a value some page sent unmasked. ParseBatch does this as it
// reads a body; Scrub is for a batch built otherwise.
func Scrub(b *Batch, now time.Time) (map[string]int, error) {
	if b.scrubbed {
		return b.scrubCounts, nil
	}
	p := &parser{lim: DefaultLimits, minTs: math.MinInt64, maxTs: math.MaxInt64, scrub: true}
	p.init()
	for i := range b.Events {
		e := &b.Events[i]
		fresh, err := p.one(e.Raw)
		if err != nil {
			return nil, fmt.Errorf("scrub event %d: %w", i, err)
		}
		fresh.Timestamp = e.Timestamp
		*e = fresh
	}
	b.scrubbed = true
	b.scrubCounts = p.countsMap()
	return b.scrubCounts, nil
}

// maxAssetsPerBatch bounds the asset URLs one batch may queue for capture.
const maxAssetsPerBatch = 500

// CapturesAssets reports whether the stylesheets, fonts and images p's
// recordings reference are captured.
func (in *Ingester) CapturesAssets(p *playhead.Project) bool {
	return len(in.AssetOrigins) > 0 || len(p.Settings.AssetOrigins) > 0
}

// assetURLs returns the stylesheets, fonts and images the batch's events
// reference, after scrubbing, so they match the URLs served back: found as
// the batch was parsed when it was, else looked for now.
func assetURLs(b *Batch) []string {
	if b.findAssets {
		return b.assetURLs
	}
	seen := map[string]bool{}
	var out []string
	var page *url.URL // relative references resolve against the page's URL, once a Meta event gives it
	for i := range b.Events {
		e := &b.Events[i]
		if e.Type == typeMeta {
			page, _ = url.Parse(e.Href)
		}
		for _, u := range assets.Discover(e.Raw, page) {
			if !seen[u] && len(out) < maxAssetsPerBatch {
				seen[u] = true
				out = append(out, u)
			}
		}
	}
	return out
}

func chunkAAD(objectKey string) []byte { return []byte("playhead chunk " + objectKey) }

func contactAAD(projectID int64, sessionID string) []byte {
	return fmt.Appendf(nil, "playhead report contact %d/%s", projectID, sessionID)
}

// OpenContact decrypts a report's contact address.
func OpenContact(dk *playhead.DataKey, projectID int64, sessionID string, sealed []byte) (string, error) {
	plain, err := keyring.Decrypt(dk.Key, sealed, contactAAD(projectID, sessionID))
	return string(plain), err
}

// extractReports reads the batch's bug reports before scrubbing: the
// contact address the user chose to leave is kept (encrypted), the text is
// scrubbed like everything else.
func extractReports(b *Batch) []playhead.Report {
	var out []playhead.Report
	for i := range b.Events {
		e := &b.Events[i]
		if e.Type != typeCustom || e.Tag != tagReport {
			continue
		}
		var p struct {
			Text  string `json:"text"`
			Email string `json:"email"`
			URL   string `json:"url"`
		}
		if json.Unmarshal(e.unscrubbedPayload(), &p) != nil || strings.TrimSpace(p.Text) == "" {
			continue
		}
		r := playhead.Report{
			Ts:      e.Timestamp,
			Text:    privacy.ScrubString(truncate(p.Text, 10_000), nil),
			Contact: truncate(strings.TrimSpace(p.Email), 320),
		}
		if webURL(p.URL) {
			r.PageURL = privacy.RedactURL(truncate(p.URL, maxURL), nil)
		}
		out = append(out, r)
	}
	return out
}

// identifiedUser returns the user ID of the batch's last identify event.
func identifiedUser(b *Batch) string {
	user := ""
	for i := range b.Events {
		e := &b.Events[i]
		if e.Type == typeCustom && e.Tag == tagIdentify {
			var p struct {
				UserID string `json:"userId"`
			}
			if json.Unmarshal(e.unscrubbedPayload(), &p) == nil && p.UserID != "" {
				user = p.UserID
			}
		}
	}
	return user
}

var ErrNotStored = errors.New("batch data not stored")
