package server

import (
	"encoding/json"
	"net/http"
	"strconv"

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
	list, err := s.Recordings.Keyframes(r.Context(), p.ID, id)
	if err != nil {
		return err
	}
	out := struct {
		Keyframes []keyframeEntry `json:"keyframes"`
	}{Keyframes: make([]keyframeEntry, 0, len(list))}
	for _, k := range list {
		e := keyframeEntry{Ts: k.Ts}
		for _, b := range refs {
			if b.LastTs > k.Ts {
				seq := b.Seq
				e.Seq = &seq
				break
			}
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
	events, err := s.Recordings.Keyframe(r.Context(), p.ID, id, ts)
	if err != nil {
		return err
	}
	// Assets are rewritten as the events' are, when served: one captured
	// since the keyframe was built shows at once.
	return s.writeEvents(w, r, p.ID, events, nil)
}
