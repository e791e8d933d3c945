// Package recording is the life of a stored session after ingest has taken
// its batches: sealing pending batches into chunks, compacting them, reading
// events back for playback, player checkpoints, retention and erasure.
package recording

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/keyring"
)

// Index is what a Store needs of the index: sessions and background work.
type Index interface {
	playhead.SessionIndex
	playhead.JobStore
}

// Store keeps stored sessions: their chunks in Objects, their metadata in
// Index, every byte encrypted with the session's data key. Its background
// work is kept in the index and claimed with leases, so that several nodes
// over one index do each piece once, and finish what a dead node started.
type Store struct {
	Objects playhead.ObjectStore
	Index   Index
	Keys    *keyring.DataKeys
	Logger  *slog.Logger
	Now     func() time.Time
	// Node names this process as the holder of leases; a random name when
	// empty.
	Node string

	nodeOnce sync.Once
}

func (rec *Store) node() string {
	rec.nodeOnce.Do(func() {
		if rec.Node == "" {
			b := make([]byte, 8)
			rand.Read(b)
			rec.Node = hex.EncodeToString(b)
		}
	})
	return rec.Node
}

// ErrNotStored is returned by ReadEvents when a batch's data cannot be found.
var ErrNotStored = errors.New("batch data not stored")
