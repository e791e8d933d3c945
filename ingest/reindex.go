package ingest

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/playhead/playhead"
)

// SessionEvents reads the events of a session's stored batches, in the
// order of refs (recording.Store.ReadEvents).
type SessionEvents func(ctx context.Context, projectID int64, sessionID string, refs []playhead.BatchRef) ([][]byte, error)

// Reindex derives the search values of one session anew from its stored
// batches, as ingest indexes them today, and replaces the session's search
// rows with them (playhead reindex). The stored events were scrubbed when
// they arrived; the values are taken from them as they are.
//
// The batches are read in order, each as the batch it was stored as, so
// a click or an input in one is named by an earlier batch's snapshot as it
// was at ingest. It returns how many values the session has.
func Reindex(ctx context.Context, index playhead.SessionIndex, read SessionEvents, projectID int64, sessionID string) (int, error) {
	mark, err := index.LastSearchRow(ctx, projectID, sessionID)
	if err != nil {
		return 0, err
	}
	refs, err := index.Batches(ctx, projectID, sessionID)
	if err != nil {
		return 0, err
	}
	values, keys, err := sessionSearch(ctx, read, projectID, sessionID, refs)
	if err != nil {
		return 0, err
	}
	if err := index.ReplaceSearch(ctx, projectID, sessionID, values, keys, mark); err != nil {
		return 0, err
	}
	return len(values), nil
}

// reindexLimits are the limits a stored batch is read again with: it met
// the limits of its day when it arrived, and its age is no reason to drop
// it now.
var reindexLimits = Limits{MaxBodyBytes: math.MaxInt64, MaxDecodedBytes: math.MaxInt64, MaxEvents: math.MaxInt,
	MaxEventBytes: math.MaxInt, MaxFutureSkew: 100 * 365 * 24 * time.Hour, MaxAge: 100 * 365 * 24 * time.Hour}

// sessionSearch returns the search values of a session's stored batches,
// each once, and their keys as the session's carried state keeps them.
func sessionSearch(ctx context.Context, read SessionEvents, projectID int64, sessionID string, refs []playhead.BatchRef) ([]playhead.SearchText, []byte, error) {
	c := newCarried(playhead.SessionRef{ProjectID: projectID, SessionID: sessionID}, nil)
	var values []playhead.SearchText
	th := thresholdsOf(playhead.ProjectSettings{})
	for start := 0; start < len(refs); {
		// A few batches a read: a chunk is read and decrypted once for them.
		end := min(start+64, len(refs))
		group := refs[start:end]
		events, err := read(ctx, projectID, sessionID, group)
		if err != nil {
			return nil, nil, fmt.Errorf("read the events of %s: %w", sessionID, err)
		}
		for _, part := range splitByBatch(events, group) {
			b, err := parseStored(sessionID, part)
			if err != nil {
				return nil, nil, fmt.Errorf("read the events of %s: %w", sessionID, err)
			}
			if b == nil {
				continue
			}
			ib := extract(b, th, true)
			ib.ProjectID, ib.SessionID = projectID, sessionID
			nb, _ := c.add(ib)
			values = append(values, nb.Search...)
		}
		start = end
	}
	keys := []byte{} // none: the stored keys are replaced with none
	if w := c.write(); w != nil && w.Search != nil {
		keys = w.Search
	}
	return values, keys, nil
}

// splitByBatch cuts the events of refs into each batch's, by the counts
// the refs hold; when they do not add up (a batch stored before they were
// counted), all are read as one batch.
func splitByBatch(events [][]byte, refs []playhead.BatchRef) [][][]byte {
	total := 0
	for _, r := range refs {
		total += r.Events
	}
	if total != len(events) {
		return [][][]byte{events}
	}
	out := make([][][]byte, 0, len(refs))
	for _, r := range refs {
		out, events = append(out, events[:r.Events]), events[r.Events:]
	}
	return out
}

// parseStored reads stored events as a batch; nil when there are none.
func parseStored(sessionID string, events [][]byte) (*Batch, error) {
	if len(events) == 0 {
		return nil, nil
	}
	body := fmt.Appendf(nil, `{"v":%d,"sid":%q,"seq":0,"events":[`, protocolVersion, sessionID)
	for i, e := range events {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, e...)
	}
	body = append(body, "]}"...)
	// Stored events were scrubbed when they were taken in.
	return ParseBatchWith(body, reindexLimits, time.Now(), ParseOptions{NoScrub: true})
}
