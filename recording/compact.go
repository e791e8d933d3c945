package recording

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/chunk"
	"github.com/playhead/playhead/keyring"
)

// Sealed chunks are first written with zstd (chunk.EncodeSealed), which is
// fast. Once a session has gone quiet, its chunks are re-encoded in place to
// the compact form (chunk.EncodeCompact: brotli, 25-40% smaller, about a
// hundred times slower to write, fast to read). A chunk keeps its key and its
// events, so the index and the player see no change; a reader gets the old
// object or the new one whole, and both decode to the same events.

// CompactStats counts what compaction did.
type CompactStats struct {
	// Chunks is how many chunks were re-encoded.
	Chunks int
	// Before and After are their stored sizes before and after.
	Before, After int64
}

func (s *CompactStats) add(o CompactStats) {
	s.Chunks += o.Chunks
	s.Before += o.Before
	s.After += o.After
}

// Compact re-encodes a session's sealed chunks that are not in the compact
// form yet. Pending batches are left to the sealer.
func (rec *Store) Compact(ctx context.Context, projectID int64, sessionID string) (CompactStats, error) {
	var st CompactStats
	keys, err := rec.chunkKeys(ctx, projectID, sessionID)
	if err != nil {
		return st, err
	}
	for _, key := range keys {
		one, err := rec.compactChunk(ctx, projectID, sessionID, key)
		if err != nil {
			return st, err
		}
		st.add(one)
	}
	return st, nil
}

// chunkKeys returns the keys of a session's sealed chunks, in order.
func (rec *Store) chunkKeys(ctx context.Context, projectID int64, sessionID string) ([]string, error) {
	refs, err := rec.Index.Batches(ctx, projectID, sessionID)
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, r := range refs {
		if r.ObjectKey != "" && (len(keys) == 0 || keys[len(keys)-1] != r.ObjectKey) {
			keys = append(keys, r.ObjectKey)
		}
	}
	return keys, nil
}

// compactChunk re-encodes one chunk, unless it is compact already or would
// not shrink.
func (rec *Store) compactChunk(ctx context.Context, projectID int64, sessionID, key string) (CompactStats, error) {
	dk, err := rec.Keys.Existing(ctx, projectID, sessionID)
	if err != nil {
		return CompactStats{}, err
	}
	stored, err := rec.Objects.Get(ctx, key)
	if err != nil {
		return CompactStats{}, fmt.Errorf("compact %s: %w", key, err)
	}
	data, err := keyring.Decrypt(dk.Key, stored, chunk.SealedAAD(key))
	if err != nil {
		return CompactStats{}, fmt.Errorf("compact %s: %w", key, err)
	}
	if codec, err := chunk.Codec(data); err != nil || codec == chunk.CodecBrotli {
		return CompactStats{}, err
	}
	events, err := chunk.Decode(data)
	if err != nil {
		return CompactStats{}, fmt.Errorf("compact %s: %w", key, err)
	}
	compact := chunk.EncodeCompact(events)
	if len(compact) >= len(data) {
		return CompactStats{}, nil
	}
	sealed, err := keyring.Encrypt(dk.Key, compact, chunk.SealedAAD(key))
	if err != nil {
		return CompactStats{}, fmt.Errorf("compact %s: %w", key, err)
	}
	if err := rec.Objects.Put(ctx, key, sealed); err != nil {
		return CompactStats{}, fmt.Errorf("compact %s: %w", key, err)
	}
	// A session erased meanwhile must not get its chunk back: erasure
	// deletes the index rows before the chunks, so either it deletes this
	// object after the Put, or the session is gone by now.
	if _, err := rec.Index.Session(ctx, projectID, sessionID); playhead.ErrorCode(err) == playhead.ENOTFOUND {
		return CompactStats{}, rec.Objects.Delete(ctx, key)
	}
	return CompactStats{Chunks: 1, Before: int64(len(stored)), After: int64(len(sealed))}, nil
}

// CompactProject compacts every session of a project, for `playhead seal`.
func (rec *Store) CompactProject(ctx context.Context, projectID int64) (CompactStats, error) {
	var st CompactStats
	for before := ""; ; {
		list, next, err := rec.Index.Sessions(ctx, playhead.SessionFilter{ProjectID: projectID, Before: before, Limit: 100})
		if err != nil {
			return st, err
		}
		for _, s := range list {
			one, err := rec.Compact(ctx, projectID, s.ID)
			st.add(one)
			if err != nil {
				return st, fmt.Errorf("session %s: %w", s.ID, err)
			}
		}
		if next == "" || len(list) == 0 {
			return st, nil
		}
		before = next
	}
}

// SealIdle seals the pending batches of every session that has sent
// nothing for idle (all of them when idle is 0), for `playhead seal`.
func (rec *Store) SealIdle(ctx context.Context, idle time.Duration) (int, error) {
	const never = 100 * 365 * 24 * time.Hour
	policy := playhead.SealPolicy{Idle: idle, MaxAge: never, MaxBytes: 1 << 62}
	chunks := 0
	// Each session once: one still recording would otherwise keep the
	// loop going.
	seen := map[string]bool{}
	var errs []error
	for {
		runs, err := rec.Index.PendingRuns(ctx, policy, rec.Now(), 100)
		if err != nil {
			return chunks, err
		}
		progress := false
		for _, run := range runs {
			id := fmt.Sprintf("%d/%s", run.ProjectID, run.SessionID)
			if seen[id] {
				continue
			}
			seen[id], progress = true, true
			n, err := rec.Seal(ctx, run.ProjectID, run.SessionID)
			chunks += n
			if err != nil {
				errs = append(errs, err)
			}
		}
		if !progress {
			return chunks, errors.Join(errs...)
		}
	}
}

// compactQueue holds the chunks of quiet sessions waiting for compaction,
// oldest first. It lives in the sealer's goroutine: a restart forgets it,
// and the chunks stay readable in the form the sealer wrote (`playhead seal`
// compacts them).
type compactQueue struct {
	items  []compactItem
	queued map[string]bool
	// rested is when compaction has paused long enough to go on.
	rested time.Time
}

type compactItem struct {
	projectID int64
	sessionID string
	key       string
}

// maxCompactQueue bounds the queue; chunks beyond it are not compacted.
const maxCompactQueue = 100_000

// compactShare is the most of one core that background compaction takes:
// after a chunk that took d, it rests d*(1/compactShare - 1), sealing
// meanwhile. At a quarter of a core and about 0.8 MB of events a second,
// it keeps up with about 0.7 GB of recorded events an hour (some 70
// sessions as busy as the real 60-minute recording); beyond that the queue
// grows, and what it drops stays in the sealer's form.
const compactShare = 0.25

func (q *compactQueue) add(ctx context.Context, rec *Store, projectID int64, sessionID string) {
	keys, err := rec.chunkKeys(ctx, projectID, sessionID)
	if err != nil {
		rec.Logger.Error("list chunks to compact", "session", sessionID, "err", err)
		return
	}
	if q.queued == nil {
		q.queued = map[string]bool{}
	}
	for _, k := range keys {
		if !q.queued[k] && len(q.items) < maxCompactQueue {
			q.queued[k] = true
			q.items = append(q.items, compactItem{projectID, sessionID, k})
		}
	}
}

// run compacts queued chunks until the queue is empty or until the
// deadline, keeping to compactShare of a core over time.
func (q *compactQueue) run(ctx context.Context, rec *Store, until time.Time) {
	for len(q.items) > 0 && ctx.Err() == nil {
		if wait := time.Until(q.rested); wait > 0 {
			if left := time.Until(until); left < wait {
				wait = left
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
		if now := time.Now(); now.Before(q.rested) || !now.Before(until) {
			return
		}
		it := q.items[0]
		q.items = q.items[1:]
		delete(q.queued, it.key)
		start := time.Now()
		st, err := rec.compactChunk(ctx, it.projectID, it.sessionID, it.key)
		took := time.Since(start)
		q.rested = time.Now().Add(time.Duration(float64(took) * (1/compactShare - 1)))
		switch {
		case errors.Is(err, playhead.ErrObjectNotFound) || playhead.ErrorCode(err) == playhead.ENOTFOUND:
			// erased meanwhile
		case err != nil:
			rec.Logger.Error("compact chunk", "session", it.sessionID, "key", it.key, "err", err)
		case st.Chunks > 0:
			rec.Logger.Debug("compacted chunk", "session", it.sessionID, "key", it.key, "before", st.Before, "after", st.After, "took", took)
		}
	}
}
