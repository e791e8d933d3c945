package server

import (
	"encoding/base64"
	"encoding/json"
	"net/http"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/recording"
)

// storedCheckpoints is the player's checkpoints of a session as it stores
// them (see docs/PROTOCOL.md): each a deflated snapshot of the replayed
// page at moment At, before event Idx of batch Seq.
type storedCheckpoints struct {
	V int `json:"v"`
	// Batches is how many batches the session had when they were made: a
	// player uses them only while the session still has that many.
	Batches     int `json:"batches"`
	Checkpoints []struct {
		At  int64  `json:"at"`
		Seq int    `json:"seq"`
		Idx int    `json:"idx"`
		Z   string `json:"z"`
	} `json:"checkpoints"`
}

// maxCheckpoints bounds how many checkpoints one session may store.
const maxCheckpoints = 10_000

func (s *Server) handlePutCheckpoints(w http.ResponseWriter, r *http.Request) error {
	p, id, err := s.sessionParam(r)
	if err != nil {
		return err
	}
	var in storedCheckpoints
	if err := decodeJSON(r, recording.MaxCheckpointBytes, &in); err != nil {
		return err
	}
	if in.V != 1 {
		return playhead.Errorf(playhead.EINVALID, "v: version %d is not supported (1 is)", in.V)
	}
	if in.Batches < 1 {
		return playhead.Errorf(playhead.EINVALID, "batches: at least 1 is required")
	}
	if len(in.Checkpoints) > maxCheckpoints {
		return playhead.Errorf(playhead.ETOOLARGE, "%d checkpoints is more than the limit of %d", len(in.Checkpoints), maxCheckpoints)
	}
	for i, c := range in.Checkpoints {
		if c.At <= 0 || c.Seq < 0 || c.Idx < 0 {
			return playhead.Errorf(playhead.EINVALID, "checkpoints[%d]: at must be positive, seq and idx not negative", i)
		}
		if _, err := base64.StdEncoding.DecodeString(c.Z); err != nil || c.Z == "" {
			return playhead.Errorf(playhead.EINVALID, "checkpoints[%d].z: base64 data is required", i)
		}
	}
	// Stored as validated: what the player sent, without unknown fields.
	data, err := json.Marshal(in)
	if err != nil {
		return err
	}
	if err := s.Recordings.StoreCheckpoints(r.Context(), p.ID, id, data); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleGetCheckpoints(w http.ResponseWriter, r *http.Request) error {
	p, id, err := s.sessionParam(r)
	if err != nil {
		return err
	}
	data, err := s.Recordings.Checkpoints(r.Context(), p.ID, id)
	if playhead.ErrorCode(err) == playhead.ENOTFOUND {
		// No checkpoints yet is the usual answer for a session, not an
		// error (a 404 would be logged in every player's console): 204,
		// unless the session itself does not exist.
		if _, serr := s.Index.Session(r.Context(), p.ID, id); serr != nil {
			return serr
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	_, err = w.Write(data)
	return err
}
