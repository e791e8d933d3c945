// Package recording is the life of a stored session after ingest has taken
// its batches: sealing pending batches into chunks, compacting them, reading
// events back for playback, player checkpoints, retention and erasure.
package recording

import (
	"errors"
	"log/slog"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/keyring"
)

// Store keeps stored sessions: their chunks in Objects, their metadata in
// Index, every byte encrypted with the session's data key.
type Store struct {
	Objects playhead.ObjectStore
	Index   playhead.SessionIndex
	Keys    *keyring.DataKeys
	Logger  *slog.Logger
	Now     func() time.Time
}

// ErrNotStored is returned by ReadEvents when a batch's data cannot be found.
var ErrNotStored = errors.New("batch data not stored")
