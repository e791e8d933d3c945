package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strconv"
	"sync"

	"github.com/klauspost/compress/flate"
	"github.com/playhead/playhead"
)

// keyframeEntry is one keyframe as the player lists them: its moment, and
// the first batch holding an event after it (where replay goes on).
type keyframeEntry struct {
	Ts  int64 `json:"ts"`
	Seq *int  `json:"seq,omitempty"`
}

func (s *Server) handleKeyframes(w http.ResponseWriter, r *http.Request) error {
	p, id, err := s.sessionParam(r)
	if err != nil {
		return err
	}
	refs, err := s.Index.Batches(r.Context(), p.ID, id)
	if err != nil {
		return err
	}
	if len(refs) == 0 {
		return playhead.Errorf(playhead.ENOTFOUND, "session %q not found", id)
	}
	list, err := s.Recordings.KeyframesOf(r.Context(), p.ID, id, refs)
	if err != nil {
		return err
	}
	out := struct {
		Keyframes []keyframeEntry `json:"keyframes"`
	}{Keyframes: make([]keyframeEntry, 0, len(list))}
	// the first batch (by sequence number) with an event after a keyframe is
	// the first whose running maximum of last events passes it
	lastUpTo := make([]int64, len(refs))
	for i, b := range refs {
		lastUpTo[i] = b.LastTs
		if i > 0 {
			lastUpTo[i] = max(lastUpTo[i], lastUpTo[i-1])
		}
	}
	for _, k := range list {
		e := keyframeEntry{Ts: k.Ts}
		if i := sort.Search(len(refs), func(i int) bool { return lastUpTo[i] > k.Ts }); i < len(refs) {
			seq := refs[i].Seq
			e.Seq = &seq
		}
		out.Keyframes = append(out.Keyframes, e)
	}
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(out)
}

func (s *Server) handleKeyframe(w http.ResponseWriter, r *http.Request) error {
	p, id, err := s.sessionParam(r)
	if err != nil {
		return err
	}
	ts, err := strconv.ParseInt(r.PathValue("ts"), 10, 64)
	if err != nil {
		return playhead.Errorf(playhead.EINVALID, "keyframe time %q is not a number of milliseconds", r.PathValue("ts"))
	}
	var packed bool
	switch as := r.URL.Query().Get("as"); as {
	case "":
	case "deflate":
		packed = true
	default:
		return playhead.Errorf(playhead.EINVALID, "as=%q: a keyframe is answered as JSON, or as=deflate", as)
	}
	events, err := s.Recordings.Keyframe(r.Context(), p.ID, id, ts)
	if err != nil {
		return err
	}
	if packed {
		return s.writePackedEvents(w, r, p.ID, events)
	}
	// Assets are rewritten as the events' are, when served: one captured
	// since the keyframe was built shows at once.
	return s.writeEvents(w, r, p.ID, events, nil)
}

// packedEventsType is the type of an event list answered deflated: the
// JSON array in raw DEFLATE (RFC 1951). The response compression leaves it
// alone.
const packedEventsType = "application/vnd.playhead.events+deflate"

// packLevel is the DEFLATE level of a packed answer: a player fetching every
// keyframe of a session ahead of its seeks asks for a hundred or more at
// once, and holds them as they come.
const packLevel = 5

// packWriters are DEFLATE writers at packLevel to reuse: a player asks for
// a hundred keyframes or more in a row, and each writer holds a few
// hundred kilobytes of tables.
var packWriters sync.Pool

// writePackedEvents answers events as writeEvents does, the JSON deflated.
// The player keeps keyframes it fetches ahead of need in memory, deflated,
// and inflates one when it seeks there: deflated here, it has nothing to
// compress itself (a keyframe of a large page is a few hundred kilobytes
// of JSON, some 10 ms of a browser's main thread to deflate).
func (s *Server) writePackedEvents(w http.ResponseWriter, r *http.Request, projectID int64, events [][]byte) error {
	pending, err := s.rewriteEventAssets(r.Context(), projectID, events, nil)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	zw, _ := packWriters.Get().(*flate.Writer)
	if zw == nil {
		if zw, err = flate.NewWriter(&b, packLevel); err != nil {
			return err
		}
	} else {
		zw.Reset(&b)
	}
	_, err = zw.Write(joinEvents(events))
	if err == nil {
		err = zw.Close()
	}
	zw.Reset(io.Discard) // holds no answer while pooled
	packWriters.Put(zw)
	if err != nil {
		return err
	}
	if pending > 0 {
		w.Header().Set(pendingAssetsHeader, strconv.Itoa(pending))
	}
	w.Header().Set("Content-Type", packedEventsType)
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	_, err = w.Write(b.Bytes())
	return err
}
