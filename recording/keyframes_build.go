package recording

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/rrdom"
)

// When the keyframes of a chunk are cut. A player seeks by replaying the
// events between the keyframe before the moment and the moment: the fewer,
// the faster. A keyframe costs storage and building time: about one full
// snapshot each. Measured on the real 60-minute recording (BenchmarkKeyframes,
// 2 cores): see the figures in chunk/README.md.
const (
	// KeyframeInterval is the recorded time after which the next event
	// that changes the page cuts a keyframe: at most this much of the
	// recording is replayed to seek anywhere.
	KeyframeInterval = 30 * time.Second
	// KeyframeEvents cuts a keyframe after this many events even within
	// KeyframeInterval: a busy page's seek replays no more than these.
	KeyframeEvents = 1000
	// keyframeBytesShare keeps a large page from storing a keyframe every
	// interval when little changes: a keyframe is cut only once the events
	// since the last one hold at least this share of its size. Replaying
	// fewer bytes than that costs less than the keyframe would.
	keyframeBytesShare = 4
)

// KeyframePolicy says when keyframes are cut: after Interval of recorded
// time or after Events events since the last one (a recorded full snapshot
// included), whichever comes first. Zero fields take KeyframeInterval and
// KeyframeEvents.
type KeyframePolicy struct {
	Interval time.Duration
	Events   int
}

// keyframeCutter applies a session's events, in order, to the page they
// build and cuts keyframes of it.
type keyframeCutter struct {
	policy KeyframePolicy
	tree   *rrdom.Tree
	// Since the last keyframe: its moment, events and their bytes, and its
	// size.
	last       int64
	events     int
	bytes      int
	lastSize   int
	changed    bool // an event since the last keyframe can change the page
	applyFails int
}

// keyframe is a keyframe the cutter built: its events as one JSON array.
type keyframe struct {
	ts   int64
	json []byte
}

func newKeyframeCutter(p KeyframePolicy, tree *rrdom.Tree) *keyframeCutter {
	if p.Interval <= 0 {
		p.Interval = KeyframeInterval
	}
	if p.Events <= 0 {
		p.Events = KeyframeEvents
	}
	return &keyframeCutter{policy: p, tree: tree}
}

// changesPage says whether an event can change what a keyframe holds:
// mouse moves and console messages change little worth a keyframe.
func changesPage(h rrdom.Header) bool {
	switch h.Type {
	case rrdom.EventFullSnapshot, rrdom.EventMeta:
		return true
	case rrdom.EventIncremental:
		switch h.Source {
		case rrdom.SourceMouseMove, rrdom.SourceTouchMove, rrdom.SourceDrag, rrdom.SourceLog, rrdom.SourceCanvasMutation:
			return false
		}
		return true
	}
	return false
}

// cut applies events (sorted by timestamp, their headers read) and returns
// the keyframes cut among them. A keyframe is cut only between events of
// different timestamps: it holds every event up to its moment, none after.
func (c *keyframeCutter) cut(events [][]byte, headers []rrdom.Header) []keyframe {
	var out []keyframe
	for i, e := range events {
		h := headers[i]
		if err := c.tree.Apply(e); err != nil {
			c.applyFails++ // the player skips it as well
			continue
		}
		ts := int64(h.Timestamp)
		if h.Type == rrdom.EventFullSnapshot {
			// A recorded keyframe: players start from it already.
			c.last, c.events, c.bytes, c.changed = ts, 0, 0, false
			continue
		}
		c.events++
		c.bytes += len(e)
		c.changed = c.changed || changesPage(h)
		if i+1 < len(events) && int64(headers[i+1].Timestamp) <= ts {
			continue
		}
		due := c.events >= c.policy.Events || c.last != 0 && ts-c.last >= c.policy.Interval.Milliseconds()
		if !due || !c.changed || c.bytes*keyframeBytesShare < c.lastSize || c.tree.Root() == nil {
			continue
		}
		k, err := c.keyframe(ts)
		if err != nil {
			continue // no Meta yet: no keyframe a player could start from
		}
		out = append(out, k)
	}
	return out
}

// keyframe builds a keyframe of the page as it is, at ts.
func (c *keyframeCutter) keyframe(ts int64) (keyframe, error) {
	events, err := c.tree.Keyframe(ts)
	if err != nil {
		return keyframe{}, err
	}
	n := 2
	for _, e := range events {
		n += len(e) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, e := range events {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, e...)
	}
	b = append(b, ']')
	c.last, c.events, c.bytes, c.lastSize, c.changed = ts, 0, 0, len(b), false
	return keyframe{ts: ts, json: b}, nil
}

// sessionChunk is one sealed chunk of a session and its batches.
type sessionChunk struct {
	key  string
	refs []playhead.BatchRef
}

func sessionChunks(refs []playhead.BatchRef) []sessionChunk {
	var out []sessionChunk
	for _, r := range refs {
		if r.ObjectKey == "" {
			continue
		}
		if n := len(out); n > 0 && out[n-1].key == r.ObjectKey {
			out[n-1].refs = append(out[n-1].refs, r)
			continue
		}
		out = append(out, sessionChunk{key: r.ObjectKey, refs: []playhead.BatchRef{r}})
	}
	return out
}

// BuildKeyframes builds the keyframes of the session's chunk chunkKey, and
// first those of its earlier chunks that have none: each chunk's builder
// starts from the page at the end of the chunk before, which the keyframes
// object of that chunk holds as its last entry (the page at the chunk's
// end, listed in the index only when it is a moment between events). It
// returns how many keyframes it built.
//
// Starting from the previous chunk's end, rather than from the session's
// start, keeps building one chunk's keyframes a matter of that chunk's
// events whatever the session's length, now that the SDK takes a full
// snapshot only once per page load. Should that end state be missing or
// unreadable, the builder starts again from the session's first chunk.
func (rec *Store) BuildKeyframes(ctx context.Context, projectID int64, sessionID, chunkKey string) (int, error) {
	refs, err := rec.Index.Batches(ctx, projectID, sessionID)
	if err != nil {
		return 0, err
	}
	chunks := sessionChunks(refs)
	target := slices.IndexFunc(chunks, func(c sessionChunk) bool { return KeyframesKey(c.key) == KeyframesKey(chunkKey) })
	if target < 0 {
		return 0, nil // erased, or its batches moved by a racing sealer
	}
	listed, err := rec.Index.Keyframes(ctx, projectID, sessionID)
	if err != nil {
		return 0, err
	}
	built := map[string]bool{}
	for _, k := range listed {
		built[k.ObjectKey] = true
	}
	has := func(c sessionChunk) bool { return built[KeyframesKey(c.key)] }
	if has(chunks[target]) {
		return 0, nil
	}
	start := target
	for start > 0 && !has(chunks[start-1]) {
		start--
	}
	cutter := newKeyframeCutter(rec.KeyframePolicy, rrdom.NewTree())
	if start > 0 {
		if err := rec.loadEndState(ctx, projectID, sessionID, chunks[start-1].key, cutter); err != nil {
			rec.Logger.Warn("keyframes: the previous chunk's end state is unreadable; building from the session's start",
				"session", sessionID, "chunk", chunks[start-1].key, "err", err)
			cutter, start = newKeyframeCutter(rec.KeyframePolicy, rrdom.NewTree()), 0
		}
	}
	total := 0
	for i := start; i <= target; i++ {
		n, err := rec.buildChunkKeyframes(ctx, projectID, sessionID, chunks[i], cutter, !has(chunks[i]))
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

// buildChunkKeyframes applies a chunk's events to the cutter's page and,
// when store says so, stores the keyframes it cut and its end state.
func (rec *Store) buildChunkKeyframes(ctx context.Context, projectID int64, sessionID string, c sessionChunk, cutter *keyframeCutter, store bool) (int, error) {
	events, err := rec.ReadEvents(ctx, projectID, sessionID, c.refs)
	if err != nil {
		return 0, fmt.Errorf("keyframes of %s: %w", c.key, err)
	}
	// rrweb's replayer plays events by timestamp, keeping the order of
	// equal ones: so does the cutter. An event it cannot read it skips,
	// as the player does.
	ts := make([]int64, 0, len(events))
	headers := make([]rrdom.Header, 0, len(events))
	kept := events[:0:0]
	for _, e := range events {
		h, err := rrdom.ReadHeader(e)
		if err != nil {
			cutter.applyFails++
			continue
		}
		ts, headers, kept = append(ts, int64(h.Timestamp)), append(headers, h), append(kept, e)
	}
	order := make([]int, len(kept))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(ts[a], ts[b]) })
	sorted := make([][]byte, len(kept))
	sortedHeaders := make([]rrdom.Header, len(kept))
	for i, j := range order {
		sorted[i], sortedHeaders[i] = kept[j], headers[j]
	}
	kfs := cutter.cut(sorted, sortedHeaders)
	if !store {
		return 0, nil
	}
	// The end state: the page after the chunk's last event, for the next
	// chunk's builder, listed like the others (Keyframes leaves out one
	// that later batches do not all follow).
	if cutter.tree.Root() != nil && len(sorted) > 0 {
		lastTs := ts[order[len(order)-1]]
		if n := len(kfs); n == 0 || kfs[n-1].ts != lastTs {
			if end, err := cutter.keyframe(lastTs); err == nil {
				kfs = append(kfs, end)
			}
		}
	}
	if len(kfs) == 0 {
		// Nothing to start from yet (no full snapshot and Meta).
		return 0, nil
	}
	listedTs := make([]int64, len(kfs))
	arrays := make([][]byte, len(kfs))
	for i, k := range kfs {
		listedTs[i], arrays[i] = k.ts, k.json
	}
	if err := rec.storeKeyframes(ctx, projectID, sessionID, c.key, listedTs, arrays); err != nil {
		return 0, fmt.Errorf("keyframes of %s: %w", c.key, err)
	}
	return len(kfs), nil
}

// loadEndState starts the cutter from the end state stored with a chunk's
// keyframes: its last.
func (rec *Store) loadEndState(ctx context.Context, projectID int64, sessionID, chunkKey string, c *keyframeCutter) error {
	all, err := rec.readKeyframes(ctx, projectID, sessionID, KeyframesKey(chunkKey))
	if err != nil {
		return err
	}
	if len(all) == 0 {
		return errors.New("no end state")
	}
	end := all[len(all)-1]
	events, err := splitEvents(end)
	if err != nil {
		return err
	}
	for i, e := range events {
		if err := c.tree.Apply(e); err != nil {
			return fmt.Errorf("end state event %d: %w", i, err)
		}
	}
	if len(events) == 0 {
		return errors.New("end state without events")
	}
	h, err := rrdom.ReadHeader(events[0])
	if err != nil {
		return fmt.Errorf("end state: %w", err)
	}
	c.last, c.lastSize = int64(h.Timestamp), len(end)
	return nil
}

// QueueKeyframes queues the building of a sealed chunk's keyframes.
func (rec *Store) QueueKeyframes(ctx context.Context, projectID int64, sessionID, chunkKey string) error {
	return rec.Index.AddJobs(ctx, []playhead.Job{{Kind: playhead.JobKeyframes, Key: chunkKey, ProjectID: projectID, SessionID: sessionID}}, rec.Now())
}

// BuildQueuedKeyframes builds every queued chunk's keyframes, for
// `playhead seal`, and returns how many it built.
func (rec *Store) BuildQueuedKeyframes(ctx context.Context) (int, error) {
	total := 0
	for {
		jobs, err := rec.Index.ClaimJobs(ctx, playhead.JobKeyframes, rec.Now(), jobLease, 10)
		if err != nil || len(jobs) == 0 {
			return total, err
		}
		for _, j := range jobs {
			total += rec.runKeyframesJob(ctx, j)
		}
	}
}

// keyframesDue builds queued keyframes, one claimed job at a time, until
// none is due or until the deadline. One builder at a time works on a
// session (its keyframes lease): a job whose session is busy waits a few
// seconds.
func (rec *Store) keyframesDue(ctx context.Context, until time.Time) {
	for ctx.Err() == nil && time.Now().Before(until) {
		jobs, err := rec.Index.ClaimJobs(ctx, playhead.JobKeyframes, rec.Now(), jobLease, 1)
		if err != nil {
			rec.Logger.Error("claim keyframes to build", "err", err)
			return
		}
		if len(jobs) == 0 {
			return
		}
		rec.runKeyframesJob(ctx, jobs[0])
	}
}

// runKeyframesJob runs a JobKeyframes and returns how many keyframes it
// built.
func (rec *Store) runKeyframesJob(ctx context.Context, j playhead.Job) int {
	lease := fmt.Sprintf("keyframes/%d/%s", j.ProjectID, j.SessionID)
	now := rec.Now()
	ok, err := rec.Index.AcquireLease(ctx, lease, rec.node(), now, now.Add(jobLease))
	if err != nil || !ok {
		if err := rec.Index.RetryJob(ctx, j, rec.Now().Add(5*time.Second)); err != nil {
			rec.Logger.Error("retry keyframes", "key", j.Key, "err", err)
		}
		return 0
	}
	defer rec.Index.ReleaseLease(context.WithoutCancel(ctx), lease, rec.node())
	start := time.Now()
	n, err := rec.BuildKeyframes(ctx, j.ProjectID, j.SessionID, j.Key)
	switch {
	case err == nil || errors.Is(err, playhead.ErrObjectNotFound) || playhead.ErrorCode(err) == playhead.ENOTFOUND:
		// done, or erased meanwhile
		rec.Logger.Debug("built keyframes", "session", j.SessionID, "chunk", j.Key, "keyframes", n, "took", time.Since(start))
		if err := rec.Index.FinishJob(ctx, j.Kind, j.Key); err != nil {
			rec.Logger.Error("finish keyframes", "key", j.Key, "err", err)
		}
	case j.Attempts+1 >= maxCompactAttempts:
		rec.Logger.Error("build keyframes: giving up; the chunk is played from its session's last keyframe before it", "session", j.SessionID, "key", j.Key, "attempts", j.Attempts+1, "err", err)
		if err := rec.Index.FinishJob(ctx, j.Kind, j.Key); err != nil {
			rec.Logger.Error("finish keyframes", "key", j.Key, "err", err)
		}
	default:
		rec.Logger.Error("build keyframes", "session", j.SessionID, "key", j.Key, "err", err)
		j.Attempts++
		j.LastError = err.Error()
		if err := rec.Index.RetryJob(ctx, j, rec.Now().Add(retryDelay(j.Attempts))); err != nil {
			rec.Logger.Error("retry keyframes", "key", j.Key, "err", err)
		}
	}
	return n
}
