// Package recording is the life of a stored session after ingest has taken
// its batches: sealing pending batches into chunks, compacting them, reading
// events back for playback, player checkpoints, retention and erasure.
package recording

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/keyring"
)

// Index is what a Store needs of the index: sessions, background work,
// the projects' retention periods, and the projects being deleted.
type Index interface {
	playhead.SessionIndex
	playhead.JobStore
	playhead.SourceMapStore
	Projects(ctx context.Context) ([]*playhead.Project, error)
	DeletingProjects(ctx context.Context) ([]*playhead.Project, error)
	DeleteProject(ctx context.Context, projectID int64, assetKey func(hash string) string) ([]string, error)
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
	// KeyframePolicy says how often keyframes are cut; the zero value
	// takes the defaults (KeyframeInterval, KeyframeEvents).
	KeyframePolicy KeyframePolicy

	nodeOnce sync.Once

	chunksOnce sync.Once
	chunks     *expirable.LRU[string, [][]byte] // see decodedChunks

	retention struct { // the projects' retention periods, read at most once a minute
		sync.Mutex
		days map[int64]int
		read time.Time
	}
}

// retentionDays returns a project's retention period, in days.
func (rec *Store) retentionDays(ctx context.Context, projectID int64) (int, error) {
	rec.retention.Lock()
	defer rec.retention.Unlock()
	days, ok := rec.retention.days[projectID]
	if ok && time.Since(rec.retention.read) < time.Minute {
		return days, nil
	}
	list, err := rec.Index.Projects(ctx)
	if err != nil {
		return 0, err
	}
	rec.retention.days, rec.retention.read = make(map[int64]int, len(list)), time.Now()
	for _, p := range list {
		rec.retention.days[p.ID] = p.RetentionDays
	}
	if days, ok = rec.retention.days[projectID]; !ok {
		return 0, playhead.Errorf(playhead.ENOTFOUND, "project %d not found", projectID)
	}
	return days, nil
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

// A player reads a session a few batches at a time, and a read of any batch
// decodes (decrypts and decompresses) its whole chunk, up to MaxChunkEvents
// of JSON: the chunks read last are kept decoded, a few and briefly. A
// chunk's object never changes under its key (compaction writes a new one),
// and its events are served only to a read that found the session's data
// key, so an erased session is not read from here; Erase drops its chunks
// at once on this node, and the time limit bounds how long any plaintext
// outlives its session elsewhere.
const (
	decodedChunks   = 16
	decodedChunkTTL = time.Minute
)

func (rec *Store) decodedChunks() *expirable.LRU[string, [][]byte] {
	rec.chunksOnce.Do(func() { rec.chunks = expirable.NewLRU[string, [][]byte](decodedChunks, nil, decodedChunkTTL) })
	return rec.chunks
}
