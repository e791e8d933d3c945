package recording

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/assets"
)

// Erase deletes a session completely: its data key first (after which no
// copy of its chunks, a backup included, can be decrypted), its index rows,
// then its chunks and its player checkpoints. The objects' deletion is
// queued in the index with the rows' removal, so what this node fails to
// delete (or does not live to) is deleted by RunJobs, here or elsewhere.
func (rec *Store) Erase(ctx context.Context, projectID int64, sessionID string) error {
	objects, err := rec.Index.DeleteSession(ctx, projectID, sessionID, []string{CheckpointsKey(projectID, sessionID)})
	if err != nil {
		return err
	}
	rec.Keys.Forget(projectID, sessionID)
	for _, key := range objects {
		rec.decodedChunks().Remove(key)
	}
	for _, key := range objects {
		j := playhead.Job{Kind: playhead.JobDeleteObject, Key: key, ProjectID: projectID}
		if err := rec.deleteObject(ctx, j); err != nil {
			// The key is gone, so what is left cannot be read; the job
			// tries again later.
			rec.Logger.Warn("erased session: object not deleted yet (unreadable without its key; retried)", "session", sessionID, "key", key, "err", err)
		}
	}
	return nil
}

// deleteObject runs a JobDeleteObject: the object goes, then the job.
//
// A job that names a session is a sealer's (or a keyframe builder's):
// queued before it wrote the chunk (or keyframes), finished once the index
// pointed at it, and run only when the writer died in between. If the
// object was written since, under the same key (another sealer took the
// same batches), it stays.
func (rec *Store) deleteObject(ctx context.Context, j playhead.Job) error {
	if j.SessionID != "" {
		refs, err := rec.Index.Batches(ctx, j.ProjectID, j.SessionID)
		if err != nil {
			return err
		}
		if namesChunk(refs, j.Key) {
			return rec.Index.FinishJob(ctx, j.Kind, j.Key)
		}
		if strings.HasSuffix(j.Key, keyframesSuffix) {
			kfs, err := rec.Index.Keyframes(ctx, j.ProjectID, j.SessionID)
			if err != nil {
				return err
			}
			if slices.ContainsFunc(kfs, func(k playhead.KeyframeRef) bool { return k.ObjectKey == j.Key }) {
				return rec.Index.FinishJob(ctx, j.Kind, j.Key)
			}
		}
	}
	if err := rec.Objects.Delete(ctx, j.Key); err != nil && !errors.Is(err, playhead.ErrObjectNotFound) {
		j.Attempts++
		j.LastError = err.Error()
		if rerr := rec.Index.RetryJob(ctx, j, rec.Now().Add(retryDelay(j.Attempts))); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	return rec.Index.FinishJob(ctx, j.Kind, j.Key)
}

// retryDelay is how long a job waits after its nth failed attempt: a
// minute, doubling up to a day.
func retryDelay(n int) time.Duration {
	d := time.Minute
	for i := 1; i < n && d < 24*time.Hour; i++ {
		d *= 2
	}
	return min(d, 24*time.Hour)
}

// EraseUser erases every session identified with userID and returns how
// many it erased.
func (rec *Store) EraseUser(ctx context.Context, projectID int64, userID string) (int, error) {
	ids, err := rec.Index.SessionsOfUser(ctx, projectID, rec.Keys.Keyring.UserHash(projectID, userID))
	if err != nil {
		return 0, err
	}
	for i, id := range ids {
		if err := rec.Erase(ctx, projectID, id); err != nil {
			return i, err
		}
	}
	return len(ids), nil
}

// ApplyRetention erases the sessions that ended before their project's
// retention period and returns how many.
func (rec *Store) ApplyRetention(ctx context.Context) (int, error) {
	n := 0
	for {
		expired, err := rec.Index.ExpiredSessions(ctx, rec.Now(), 100)
		if err != nil {
			return n, err
		}
		if len(expired) == 0 {
			// Sessions first: a release is kept while a session names it.
			_, err := rec.expireReleases(ctx)
			return n, err
		}
		for _, s := range expired {
			if err := rec.Erase(ctx, s.ProjectID, s.SessionID); err != nil {
				return n, err
			}
			rec.Logger.Info("retention: deleted session", "project", s.ProjectID, "session", s.SessionID)
			n++
		}
	}
}

// DeleteProjects deletes the projects marked for deletion with all their
// data: their sessions are erased as Erase erases one (data keys first),
// then the index forgets the project and its captured assets are deleted.
// It returns how many projects it deleted.
func (rec *Store) DeleteProjects(ctx context.Context) (int, error) {
	list, err := rec.Index.DeletingProjects(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range list {
		erased := 0
		for {
			sessions, _, err := rec.Index.Sessions(ctx, playhead.SessionFilter{ProjectID: p.ID, Limit: 100})
			if err != nil {
				return n, err
			}
			if len(sessions) == 0 {
				break
			}
			for _, s := range sessions {
				if err := rec.Erase(ctx, p.ID, s.ID); err != nil {
					return n, err
				}
				erased++
			}
		}
		keys, err := rec.Index.DeleteProject(ctx, p.ID, func(hash string) string { return assets.ObjectKey(p.ID, hash) })
		if playhead.ErrorCode(err) == playhead.EINVALID {
			// A batch arrived meanwhile (another node's cache still knew
			// the key): its session goes on the next pass.
			rec.Logger.Info("delete project: sessions arrived meanwhile; next pass", "project", p.ID, "err", err)
			continue
		}
		if err != nil {
			return n, err
		}
		for _, key := range keys {
			if err := rec.deleteObject(ctx, playhead.Job{Kind: playhead.JobDeleteObject, Key: key, ProjectID: p.ID}); err != nil {
				rec.Logger.Warn("deleted project: asset not deleted yet (retried)", "project", p.ID, "key", key, "err", err)
			}
		}
		rec.Logger.Info("deleted project", "project", p.ID, "name", p.Name, "sessions", erased, "assets", len(keys))
		n++
	}
	return n, nil
}

// RunRetention applies retention and deletes projects marked for deletion
// every interval until ctx ends, and runs each of also (other data's
// retention) after them. One node at a time does it: the one holding the
// retention lease.
func (rec *Store) RunRetention(ctx context.Context, interval time.Duration, also ...func(context.Context) error) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		now := rec.Now()
		if ok, err := rec.Index.AcquireLease(ctx, "retention", rec.node(), now, now.Add(interval)); err != nil {
			rec.Logger.Error("retention", "err", err)
		} else if ok {
			if n, err := rec.ApplyRetention(ctx); err != nil {
				rec.Logger.Error("retention", "err", err)
			} else if n > 0 {
				rec.Logger.Info("retention: deleted expired sessions", "count", n)
			}
			if _, err := rec.DeleteProjects(ctx); err != nil {
				rec.Logger.Error("delete projects", "err", err)
			}
			for _, f := range also {
				if err := f(ctx); err != nil {
					rec.Logger.Error("retention", "err", err)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// jobLease is how long a claimed job is kept from other claimers: long
// enough for any one job, short enough that a dead node's is soon retaken.
const jobLease = 10 * time.Minute

// RunJobs deletes the objects that erasure queued, every interval until
// ctx ends.
func (rec *Store) RunJobs(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		jobs, err := rec.Index.ClaimJobs(ctx, playhead.JobDeleteObject, rec.Now(), jobLease, 100)
		if err != nil {
			rec.Logger.Error("claim jobs", "err", err)
		}
		for _, j := range jobs {
			if err := rec.deleteObject(ctx, j); err != nil {
				rec.Logger.Error("delete object of an erased session", "key", j.Key, "attempts", j.Attempts+1, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
