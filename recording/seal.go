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

// DefaultSealPolicy cuts a session's pending batches into a chunk when it has
// been idle for two minutes, when its oldest pending batch is ten minutes old,
// or when a megabyte is pending. Sealed chunks hold minutes of events, which
// compress far better than 5-second batches.
var DefaultSealPolicy = playhead.SealPolicy{Idle: 2 * time.Minute, MaxAge: 10 * time.Minute, MaxBytes: 1 << 20}

// RunSealer seals due sessions every interval until ctx ends. Errors are
// logged and retried at the next tick. Each sealed chunk's keyframes are
// queued (see BuildKeyframes) and built between ticks, in up to half of
// each interval; the chunks of sessions sealed for being idle are queued
// for compaction (see Compact), which runs after them with at most a
// quarter of a core: sealing comes first.
func (rec *Store) RunSealer(ctx context.Context, policy playhead.SealPolicy, interval time.Duration, sealed func(reason string)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var rested time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		tick := time.Now()
		runs, err := rec.Index.PendingRuns(ctx, policy, rec.Now(), 100)
		if err != nil {
			rec.Logger.Error("find sessions to seal", "err", err)
			continue
		}
		for _, run := range runs {
			n, err := rec.Seal(ctx, run.ProjectID, run.SessionID)
			if err != nil {
				rec.Logger.Error("seal chunk", "session", run.SessionID, "reason", run.Reason, "err", err)
				continue
			}
			rec.Logger.Debug("sealed chunks", "session", run.SessionID, "reason", run.Reason, "chunks", n)
			if sealed != nil {
				for range n {
					sealed(run.Reason)
				}
			}
			if run.Reason == playhead.CutIdle {
				if err := rec.QueueCompaction(ctx, run.ProjectID, run.SessionID); err != nil {
					rec.Logger.Error("queue compaction", "session", run.SessionID, "err", err)
				}
			}
		}
		rec.keyframesDue(ctx, tick.Add(interval/2))
		rested = rec.compactDue(ctx, tick.Add(interval*3/4), rested)
	}
}

// Seal moves a session's pending batches into chunks in the object store, one
// chunk per run of consecutive batches of up to MaxChunkEvents bytes of
// events, and returns how many chunks it wrote. The chunk is durable before
// the index points at it; a crash in between leaves the batches pending, to
// be sealed again under the same key.
//
// One sealer at a time works on a session, on any node: Seal takes the
// session's seal lease first, and does nothing when another holds it.
func (rec *Store) Seal(ctx context.Context, projectID int64, sessionID string) (int, error) {
	lease := fmt.Sprintf("seal/%d/%s", projectID, sessionID)
	now := rec.Now()
	ok, err := rec.Index.AcquireLease(ctx, lease, rec.node(), now, now.Add(sealLease))
	if err != nil || !ok {
		return 0, err
	}
	defer rec.Index.ReleaseLease(context.WithoutCancel(ctx), lease, rec.node())
	refs, err := rec.Index.Batches(ctx, projectID, sessionID)
	if err != nil {
		return 0, err
	}
	var pending []playhead.BatchRef
	for _, r := range refs {
		if r.ObjectKey == "" {
			pending = append(pending, r)
		}
	}
	if len(pending) == 0 {
		return 0, nil
	}
	seqs := make([]int, len(pending))
	for i, r := range pending {
		seqs[i] = r.Seq
	}
	data, err := rec.Index.PendingData(ctx, projectID, sessionID, seqs)
	if err != nil {
		return 0, err
	}
	dk, err := rec.Keys.Existing(ctx, projectID, sessionID)
	if err != nil {
		return 0, err
	}
	chunks := 0
	for start := 0; start < len(pending); {
		// A run ends where a batch is missing, or where the next batch would
		// take its events over MaxChunkEvents bytes. A page load's keyframe
		// does not cut it: the page it snapshots is mostly the one the
		// chunk holds already, which compresses to little beside it (the
		// player seeks from the keyframes the server builds, wherever the
		// chunks are cut).
		var events [][]byte
		offsets := make(map[int]int)
		size := 0
		end := start
		for ; end < len(pending); end++ {
			r := pending[end]
			if end > start && r.Seq != pending[end-1].Seq+1 {
				break
			}
			d, ok := data[r.Seq]
			if !ok {
				continue // sealed by another sealer meanwhile
			}
			evs, err := decodePending(dk, projectID, sessionID, r.Seq, d)
			if err != nil {
				return chunks, fmt.Errorf("seal %s: batch %d: %w", sessionID, r.Seq, err)
			}
			n := 0
			for _, e := range evs {
				n += len(e)
			}
			if len(offsets) > 0 && size+n > MaxChunkEvents {
				break
			}
			offsets[r.Seq] = len(events)
			events = append(events, evs...)
			size += n
		}
		run := pending[start:end]
		start = end
		if len(offsets) == 0 {
			continue
		}
		days, err := rec.retentionDays(ctx, projectID)
		if err != nil {
			return chunks, fmt.Errorf("seal %s: %w", sessionID, err)
		}
		key := chunk.ObjectKey(days, projectID, sessionID, run[0].Seq, run[len(run)-1].Seq)
		sealed, err := keyring.Encrypt(dk.Key, chunk.EncodeSealed(events), chunk.SealedAAD(key))
		if err != nil {
			return chunks, fmt.Errorf("seal %s: %w", sessionID, err)
		}
		// Should this node die between writing the chunk and the index
		// pointing at it, the chunk would be nobody's: its deletion is
		// queued first, due after the seal lease, and called off once the
		// index points at it.
		orphan := playhead.Job{Kind: playhead.JobDeleteObject, Key: key, ProjectID: projectID, SessionID: sessionID}
		if err := rec.Index.AddJobs(ctx, []playhead.Job{orphan}, rec.Now().Add(2*sealLease)); err != nil {
			return chunks, fmt.Errorf("seal %s: %w", sessionID, err)
		}
		if err := rec.Objects.Put(ctx, key, sealed); err != nil {
			return chunks, fmt.Errorf("seal %s: %w", sessionID, err)
		}
		if err := rec.Index.MarkSealed(ctx, projectID, sessionID, key, offsets); err != nil {
			return chunks, fmt.Errorf("seal %s: %w", sessionID, err)
		}
		if err := rec.Index.FinishJob(ctx, orphan.Kind, orphan.Key); err != nil {
			return chunks, fmt.Errorf("seal %s: %w", sessionID, err)
		}
		if err := rec.QueueKeyframes(ctx, projectID, sessionID, key); err != nil {
			return chunks, fmt.Errorf("seal %s: %w", sessionID, err)
		}
		// Erased meanwhile: erasure did not know this chunk, so it goes now.
		if _, err := rec.Index.Session(ctx, projectID, sessionID); playhead.ErrorCode(err) == playhead.ENOTFOUND {
			return chunks, rec.Objects.Delete(ctx, key)
		}
		chunks++
	}
	return chunks, nil
}

// MaxChunkEvents bounds the events of one sealed chunk, in bytes of JSON: a
// read of any batch decodes its whole chunk, and the compact form's window
// (chunk.EncodeCompact) is no larger. A single batch larger than this is a
// chunk of its own.
const MaxChunkEvents = 4 << 20

// sealLease bounds how long a sealer that died keeps others off its
// session; sealing one takes seconds.
const sealLease = time.Minute

// ReadEvents returns the events of the batches refs (sorted by seq), reading
// sealed chunks once each and pending batches from the index. A batch sealed
// between listing and reading is read from its chunk on a second try.
//
// A chunk compacted meanwhile has moved to a new key and its old object is
// gone: the batches' keys are then read again, and the events with them.
func (rec *Store) ReadEvents(ctx context.Context, projectID int64, sessionID string, refs []playhead.BatchRef) ([][]byte, error) {
	events, err := rec.readEvents(ctx, projectID, sessionID, refs)
	if !errors.Is(err, playhead.ErrObjectNotFound) {
		return events, err
	}
	fresh, ferr := rec.Index.Batches(ctx, projectID, sessionID)
	if ferr != nil {
		return nil, ferr
	}
	bySeq := make(map[int]playhead.BatchRef, len(fresh))
	for _, r := range fresh {
		bySeq[r.Seq] = r
	}
	again := make([]playhead.BatchRef, len(refs))
	for i, r := range refs {
		f, ok := bySeq[r.Seq]
		if !ok {
			return nil, err
		}
		again[i] = f
	}
	return rec.readEvents(ctx, projectID, sessionID, again)
}

func (rec *Store) readEvents(ctx context.Context, projectID int64, sessionID string, refs []playhead.BatchRef) ([][]byte, error) {
	objects, index, keys := rec.Objects, rec.Index, rec.Keys
	if len(refs) == 0 {
		return nil, nil
	}
	dk, err := keys.Existing(ctx, projectID, sessionID)
	if err != nil {
		return nil, err
	}
	var pendingSeqs []int
	for _, r := range refs {
		if r.ObjectKey == "" {
			pendingSeqs = append(pendingSeqs, r.Seq)
		}
	}
	pending, err := index.PendingData(ctx, projectID, sessionID, pendingSeqs)
	if err != nil {
		return nil, err
	}
	if len(pending) < len(pendingSeqs) {
		// Some were sealed meanwhile: their refs now name a chunk.
		fresh, err := index.Batches(ctx, projectID, sessionID)
		if err != nil {
			return nil, err
		}
		bySeq := make(map[int]playhead.BatchRef, len(fresh))
		for _, r := range fresh {
			bySeq[r.Seq] = r
		}
		refs = append([]playhead.BatchRef(nil), refs...)
		for i, r := range refs {
			if _, ok := pending[r.Seq]; r.ObjectKey == "" && !ok {
				refs[i] = bySeq[r.Seq]
			}
		}
	}
	var out [][]byte
	cache := rec.decodedChunks()
	for _, r := range refs {
		var events [][]byte
		if r.ObjectKey == "" {
			d, ok := pending[r.Seq]
			if !ok {
				return nil, fmt.Errorf("batch %d of %s: %w", r.Seq, sessionID, ErrNotStored)
			}
			events, err = decodePending(dk, projectID, sessionID, r.Seq, d)
			if err != nil {
				return nil, fmt.Errorf("batch %d of %s: %w", r.Seq, sessionID, err)
			}
		} else {
			all, ok := cache.Get(r.ObjectKey)
			if !ok {
				data, err := objects.Get(ctx, r.ObjectKey)
				if err != nil {
					return nil, fmt.Errorf("batch %d of %s: %w", r.Seq, sessionID, err)
				}
				if data, err = keyring.Decrypt(dk.Key, data, chunk.SealedAAD(r.ObjectKey)); err != nil {
					return nil, fmt.Errorf("batch %d of %s: %w", r.Seq, sessionID, err)
				}
				if all, err = chunk.Decode(data); err != nil {
					return nil, fmt.Errorf("batch %d of %s: %w", r.Seq, sessionID, err)
				}
				cache.Add(r.ObjectKey, all)
			}
			if r.EventOffset < 0 || r.EventOffset+r.Events > len(all) {
				return nil, fmt.Errorf("batch %d of %s: %w: events %d+%d outside chunk of %d", r.Seq, sessionID, chunk.ErrCorrupt, r.EventOffset, r.Events, len(all))
			}
			events = all[r.EventOffset : r.EventOffset+r.Events]
		}
		out = append(out, events...)
	}
	return out, nil
}

func decodePending(dk *playhead.DataKey, projectID int64, sessionID string, seq int, data []byte) ([][]byte, error) {
	plain, err := keyring.Decrypt(dk.Key, data, chunk.PendingAAD(projectID, sessionID, seq))
	if err != nil {
		return nil, err
	}
	return chunk.Decode(plain)
}
