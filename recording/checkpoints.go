package recording

import (
	"context"
	"errors"
	"fmt"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/keyring"
)

// A session's player checkpoints are snapshots of the replayed page that the
// player makes in the background (see web/README.md). The first viewer's
// player stores them, so that later viewers seek anywhere at once instead
// of replaying from the session's last keyframe. They are derived from the
// session's events, encrypted with its data key, and erased with it.

// MaxCheckpointBytes bounds what one session's checkpoints may take.
const MaxCheckpointBytes = 32 << 20

// CheckpointsKey returns the object key of a session's player checkpoints.
func CheckpointsKey(projectID int64, sessionID string) string {
	return fmt.Sprintf("sessions/%d/%s/checkpoints", projectID, sessionID)
}

func checkpointsAAD(key string) []byte { return []byte("playhead checkpoints " + key) }

// StoreCheckpoints stores data (already validated) as the session's player
// checkpoints, replacing what was stored. ENOTFOUND when the session has no
// data key (never recorded, or erased).
func (rec *Store) StoreCheckpoints(ctx context.Context, projectID int64, sessionID string, data []byte) error {
	if len(data) > MaxCheckpointBytes {
		return playhead.Errorf(playhead.ETOOLARGE, "checkpoints are larger than the limit of %d bytes", MaxCheckpointBytes)
	}
	dk, err := rec.Keys.Existing(ctx, projectID, sessionID)
	if err != nil {
		return err
	}
	key := CheckpointsKey(projectID, sessionID)
	sealed, err := keyring.Encrypt(dk.Key, data, checkpointsAAD(key))
	if err != nil {
		return err
	}
	if err := rec.Objects.Put(ctx, key, sealed); err != nil {
		return err
	}
	// Erased meanwhile: what was just written can no longer be decrypted,
	// and is removed all the same.
	if _, err := rec.Index.Session(ctx, projectID, sessionID); playhead.ErrorCode(err) == playhead.ENOTFOUND {
		rec.Objects.Delete(ctx, key)
		return err
	}
	return nil
}

// Checkpoints returns the session's stored player checkpoints, or an
// ENOTFOUND error when there are none.
func (rec *Store) Checkpoints(ctx context.Context, projectID int64, sessionID string) ([]byte, error) {
	dk, err := rec.Keys.Existing(ctx, projectID, sessionID)
	if err != nil {
		return nil, err
	}
	key := CheckpointsKey(projectID, sessionID)
	sealed, err := rec.Objects.Get(ctx, key)
	if errors.Is(err, playhead.ErrObjectNotFound) {
		return nil, playhead.Errorf(playhead.ENOTFOUND, "session %s has no stored checkpoints", sessionID)
	}
	if err != nil {
		return nil, err
	}
	return keyring.Decrypt(dk.Key, sealed, checkpointsAAD(key))
}
