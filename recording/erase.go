package recording

import (
	"context"
	"errors"
	"time"
)

// Erase deletes a session completely: its data key first (after which no
// copy of its chunks, a backup included, can be decrypted), its index rows,
// then its chunks and its player checkpoints.
func (rec *Store) Erase(ctx context.Context, projectID int64, sessionID string) error {
	objects, err := rec.Index.DeleteSession(ctx, projectID, sessionID)
	if err != nil {
		return err
	}
	rec.Keys.Forget(projectID, sessionID)
	var errs []error
	for _, key := range append(objects, CheckpointsKey(projectID, sessionID)) {
		if err := rec.Objects.Delete(ctx, key); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		// The key is gone, so what is left cannot be read; say so and let
		// the operator clean up.
		rec.Logger.Error("erased session left chunks behind (unreadable without its key)", "session", sessionID, "err", err)
	}
	return nil
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
			return n, nil
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

// RunRetention applies retention every interval until ctx ends.
func (rec *Store) RunRetention(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := rec.ApplyRetention(ctx); err != nil {
			rec.Logger.Error("retention", "err", err)
		} else if n > 0 {
			rec.Logger.Info("retention: deleted expired sessions", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
