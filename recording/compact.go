package recording

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/chunk"
	"github.com/playhead/playhead/keyring"
)

// Sealed chunks are first written with zstd (chunk.EncodeSealed), which is
// fast. Once a session has gone quiet, its chunks are re-encoded to the
// compact form (chunk.EncodeCompact: brotli, 25-40% smaller, about a hundred
// times slower to write, fast to read), each under a new key beside the old
// one: the batches move to it in the index and the old object is deleted.
// The events are the same, so the player sees no change.

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

// compactSuffix ends the key of a chunk in the compact form. A compacted
// chunk gets a key of its own: chunks are never rewritten in place, so a
// bucket with versioning keeps no stale copies, and caches never serve one.
const compactSuffix = ".c"

// compactChunk re-encodes one chunk under a new key, unless it is compact
// already or would not shrink, points the session's batches at it, and
// deletes the old object. A reader that listed the old key just before
// reads the batches' new key on its second try (ReadEvents).
func (rec *Store) compactChunk(ctx context.Context, projectID int64, sessionID, key string) (CompactStats, error) {
	if strings.HasSuffix(key, compactSuffix) {
		return CompactStats{}, nil
	}
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
	to := key + compactSuffix
	sealed, err := keyring.Encrypt(dk.Key, compact, chunk.SealedAAD(to))
	if err != nil {
		return CompactStats{}, fmt.Errorf("compact %s: %w", key, err)
	}
	if err := rec.Objects.Put(ctx, to, sealed); err != nil {
		return CompactStats{}, fmt.Errorf("compact %s: %w", key, err)
	}
	moved, err := rec.Index.MoveChunk(ctx, projectID, sessionID, key, to)
	if err != nil {
		return CompactStats{}, fmt.Errorf("compact %s: %w", key, err)
	}
	if moved == 0 {
		// Erased meanwhile (erasure deleted the rows that named key, and
		// knows nothing of to), or moved by another compactor already.
		refs, err := rec.Index.Batches(ctx, projectID, sessionID)
		if err == nil && !namesChunk(refs, to) {
			return CompactStats{}, rec.Objects.Delete(ctx, to)
		}
		return CompactStats{}, err
	}
	// The old object goes now; if that fails, a job deletes it later.
	if err := rec.Objects.Delete(ctx, key); err != nil && !errors.Is(err, playhead.ErrObjectNotFound) {
		job := playhead.Job{Kind: playhead.JobDeleteObject, Key: key, ProjectID: projectID}
		if err := rec.Index.AddJobs(ctx, []playhead.Job{job}, rec.Now().Add(time.Minute)); err != nil {
			return CompactStats{}, fmt.Errorf("compact %s: queue the old chunk's deletion: %w", key, err)
		}
	}
	// Erased between the move and now: erasure deleted the new object if
	// it saw it; delete it again in case it did not.
	if _, err := rec.Index.Session(ctx, projectID, sessionID); playhead.ErrorCode(err) == playhead.ENOTFOUND {
		return CompactStats{}, rec.Objects.Delete(ctx, to)
	}
	return CompactStats{Chunks: 1, Before: int64(len(stored)), After: int64(len(sealed))}, nil
}

// namesChunk says whether one of refs lives in the chunk key.
func namesChunk(refs []playhead.BatchRef, key string) bool {
	for _, r := range refs {
		if r.ObjectKey == key {
			return true
		}
	}
	return false
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

// compactShare is the most of one core that background compaction takes:
// after a chunk that took d, it rests d*(1/compactShare - 1), sealing
// meanwhile. At a quarter of a core and about 0.8 MB of events a second,
// it keeps up with about 0.7 GB of recorded events an hour (some 70
// sessions as busy as the real 60-minute recording); beyond that the jobs
// wait in the index, and the chunks stay readable in the sealer's form.
const compactShare = 0.25

// QueueCompaction queues a JobCompact for each of a session's chunks: any
// node's sealer runs it, once.
func (rec *Store) QueueCompaction(ctx context.Context, projectID int64, sessionID string) error {
	keys, err := rec.chunkKeys(ctx, projectID, sessionID)
	if err != nil {
		return err
	}
	jobs := make([]playhead.Job, len(keys))
	for i, k := range keys {
		jobs[i] = playhead.Job{Kind: playhead.JobCompact, Key: k, ProjectID: projectID, SessionID: sessionID}
	}
	return rec.Index.AddJobs(ctx, jobs, rec.Now())
}

// compactDue compacts queued chunks, one claimed job at a time, until none
// is due or until the deadline, keeping to compactShare of a core; rested
// is when it may go on after the last chunk, and is returned updated.
func (rec *Store) compactDue(ctx context.Context, until, rested time.Time) time.Time {
	for ctx.Err() == nil {
		if wait := time.Until(rested); wait > 0 {
			if left := time.Until(until); left < wait {
				wait = left
			}
			select {
			case <-ctx.Done():
				return rested
			case <-time.After(wait):
			}
		}
		if now := time.Now(); now.Before(rested) || !now.Before(until) {
			return rested
		}
		jobs, err := rec.Index.ClaimJobs(ctx, playhead.JobCompact, rec.Now(), jobLease, 1)
		if err != nil {
			rec.Logger.Error("claim chunks to compact", "err", err)
			return rested
		}
		if len(jobs) == 0 {
			return rested
		}
		j := jobs[0]
		start := time.Now()
		st, err := rec.compactChunk(ctx, j.ProjectID, j.SessionID, j.Key)
		took := time.Since(start)
		rested = time.Now().Add(time.Duration(float64(took) * (1/compactShare - 1)))
		switch {
		case err == nil || errors.Is(err, playhead.ErrObjectNotFound) || playhead.ErrorCode(err) == playhead.ENOTFOUND:
			// done, or erased meanwhile
			if st.Chunks > 0 {
				rec.Logger.Debug("compacted chunk", "session", j.SessionID, "key", j.Key, "before", st.Before, "after", st.After, "took", took)
			}
			if err := rec.Index.FinishJob(ctx, j.Kind, j.Key); err != nil {
				rec.Logger.Error("finish compaction", "key", j.Key, "err", err)
			}
		case j.Attempts+1 >= maxCompactAttempts:
			rec.Logger.Error("compact chunk: giving up; it stays readable as sealed", "session", j.SessionID, "key", j.Key, "attempts", j.Attempts+1, "err", err)
			if err := rec.Index.FinishJob(ctx, j.Kind, j.Key); err != nil {
				rec.Logger.Error("finish compaction", "key", j.Key, "err", err)
			}
		default:
			rec.Logger.Error("compact chunk", "session", j.SessionID, "key", j.Key, "err", err)
			j.Attempts++
			j.LastError = err.Error()
			if err := rec.Index.RetryJob(ctx, j, rec.Now().Add(retryDelay(j.Attempts))); err != nil {
				rec.Logger.Error("retry compaction", "key", j.Key, "err", err)
			}
		}
	}
	return rested
}

// maxCompactAttempts is how often a chunk's compaction is tried.
const maxCompactAttempts = 5
