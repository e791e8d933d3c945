package ingest

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/chunk"
)

// Ingester stores validated batches: the chunk first (durably), then the
// index entry, so an indexed batch always has its chunk. A crash between the
// two leaves an unindexed chunk that the retried batch overwrites.
type Ingester struct {
	Objects playhead.ObjectStore
	Index   playhead.SessionIndex
	Logger  *slog.Logger
}

// Result says what happened to a batch.
type Result struct {
	// Duplicate is true when (session, seq) was stored before; nothing changed.
	Duplicate bool
}

// ObjectKey returns the key of a batch's chunk.
func ObjectKey(projectID int64, sessionID string, seq int) string {
	return fmt.Sprintf("sessions/%d/%s/%010d", projectID, sessionID, seq)
}

// Ingest stores b for project p. userAgent comes from the request. Storage
// failures are EUNAVAILABLE: nothing was acknowledged, the SDK may retry.
func (in *Ingester) Ingest(ctx context.Context, p *playhead.Project, b *Batch, userAgent string) (Result, error) {
	has, err := in.Index.HasBatch(ctx, p.ID, b.SessionID, b.Seq)
	if err != nil {
		return Result{}, in.unavailable(err)
	}
	if has {
		return Result{Duplicate: true}, nil
	}
	ib := extract(b)
	ib.ProjectID = p.ID
	ib.UserAgent = truncate(userAgent, 512)
	raws := make([][]byte, len(b.Events))
	for i := range b.Events {
		raws[i] = b.Events[i].Raw
	}
	data := chunk.Encode(raws)
	ib.Ref.Bytes = len(data)
	ib.Ref.ObjectKey = ObjectKey(p.ID, b.SessionID, b.Seq)
	if err := in.Objects.Put(ctx, ib.Ref.ObjectKey, data); err != nil {
		return Result{}, in.unavailable(err)
	}
	added, err := in.Index.AddBatch(ctx, ib)
	if err != nil {
		return Result{}, in.unavailable(err)
	}
	return Result{Duplicate: !added}, nil
}

func (in *Ingester) unavailable(err error) error {
	in.Logger.Error("storage failed", "err", err)
	return playhead.Errorf(playhead.EUNAVAILABLE, "storage is unavailable; retry later")
}
