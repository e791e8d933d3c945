package recording

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/chunk"
	"github.com/playhead/playhead/keyring"
)

// A session's keyframes are built by the server from its sealed chunks
// (see keyframes_build.go): each is the page at one moment as a short run of
// rrweb events (Meta, FullSnapshot, then what a snapshot cannot hold), from
// which a player replays the recorded events after that moment. The
// keyframes built from one chunk live in one object beside it, encrypted
// with the session's data key, listed in the index, and erased with the
// session.

// keyframesSuffix ends the key of the object that holds a chunk's keyframes.
const keyframesSuffix = ".kf"

// KeyframesKey returns the key of the object holding the keyframes built
// from the chunk chunkKey, in its sealed or its compact form alike: the
// keyframes do not move when the chunk is compacted.
func KeyframesKey(chunkKey string) string {
	return strings.TrimSuffix(chunkKey, compactSuffix) + keyframesSuffix
}

func keyframesAAD(key string) []byte { return []byte("playhead keyframes " + key) }

// Keyframes returns the keyframes of a session a player can start from,
// by time. A keyframe holds every event of the session up to its moment:
// one that a later batch has an event at or before (a batch that came late,
// or an event of the same millisecond as a chunk's last) is left out.
func (rec *Store) Keyframes(ctx context.Context, projectID int64, sessionID string) ([]playhead.KeyframeRef, error) {
	list, err := rec.Index.Keyframes(ctx, projectID, sessionID)
	if err != nil || len(list) == 0 {
		return list, err
	}
	refs, err := rec.Index.Batches(ctx, projectID, sessionID)
	if err != nil {
		return nil, err
	}
	return UsableKeyframes(list, refs), nil
}

// KeyframesOf is Keyframes for a caller that has read the session's
// batches already (refs, by sequence number, as Index.Batches returns them).
func (rec *Store) KeyframesOf(ctx context.Context, projectID int64, sessionID string, refs []playhead.BatchRef) ([]playhead.KeyframeRef, error) {
	list, err := rec.Index.Keyframes(ctx, projectID, sessionID)
	if err != nil || len(list) == 0 {
		return list, err
	}
	return UsableKeyframes(list, refs), nil
}

// UsableKeyframes leaves out of list, in place, the keyframes a player
// cannot start from, given the session's batches from the first of a
// keyframe's chunk on (refs, by sequence number): those whose chunk no batch
// names any more, and those a later batch has an event at or before. One
// pass over each: a session has hundreds of keyframes and batches, and a
// player asks for every keyframe.
func UsableKeyframes(list []playhead.KeyframeRef, refs []playhead.BatchRef) []playhead.KeyframeRef {
	lastSeq := map[string]int{} // keyframes object → last batch of its chunk
	for _, r := range refs {
		if r.ObjectKey != "" {
			lastSeq[KeyframesKey(r.ObjectKey)] = r.Seq
		}
	}
	// firstAfter[i]: the earliest event of the batches after refs[i]
	firstAfter := make([]int64, len(refs))
	earliest := int64(math.MaxInt64)
	for i := len(refs) - 1; i >= 0; i-- {
		firstAfter[i] = earliest
		earliest = min(earliest, refs[i].FirstTs)
	}
	return slices.DeleteFunc(list, func(k playhead.KeyframeRef) bool {
		last, ok := lastSeq[k.ObjectKey]
		if !ok {
			return true // its chunk is gone
		}
		i, found := slices.BinarySearchFunc(refs, last, func(r playhead.BatchRef, seq int) int { return cmp.Compare(r.Seq, seq) })
		return !found || firstAfter[i] <= k.Ts
	})
}

// Keyframe returns the events of the session's keyframe at ts, or an
// ENOTFOUND error when the session has none at ts.
func (rec *Store) Keyframe(ctx context.Context, projectID int64, sessionID string, ts int64) ([][]byte, error) {
	list, err := rec.Index.Keyframes(ctx, projectID, sessionID)
	if err != nil {
		return nil, err
	}
	at := slices.IndexFunc(list, func(k playhead.KeyframeRef) bool { return k.Ts == ts })
	if at < 0 {
		return nil, playhead.Errorf(playhead.ENOTFOUND, "session %s has no keyframe at %d", sessionID, ts)
	}
	r := list[at]
	// whether it is usable depends on the batches from its chunk's first on
	// only: a player asks for a session's keyframes one after the other
	var refs []playhead.BatchRef
	if first, ok := chunkFirstSeq(r.ObjectKey); ok {
		refs, err = rec.Index.BatchRange(ctx, projectID, sessionID, first, math.MaxInt)
	} else {
		refs, err = rec.Index.Batches(ctx, projectID, sessionID)
	}
	if err != nil {
		return nil, err
	}
	if len(UsableKeyframes([]playhead.KeyframeRef{r}, refs)) == 0 {
		return nil, playhead.Errorf(playhead.ENOTFOUND, "session %s has no keyframe at %d", sessionID, ts)
	}
	all, err := rec.readKeyframes(ctx, projectID, sessionID, r.ObjectKey)
	if err != nil {
		return nil, err
	}
	if r.Position < 0 || r.Position >= len(all) {
		return nil, fmt.Errorf("keyframe %d of %s: %w: position %d outside %d keyframes", ts, sessionID, chunk.ErrCorrupt, r.Position, len(all))
	}
	return splitEvents(all[r.Position])
}

// chunkFirstSeq reads the first sequence number of the chunk a keyframes
// object was built from out of its key (chunk.ObjectKey: …/first-last).
func chunkFirstSeq(keyframesKey string) (int, bool) {
	name := strings.TrimSuffix(keyframesKey[strings.LastIndexByte(keyframesKey, '/')+1:], keyframesSuffix)
	first, _, ok := strings.Cut(name, "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(first)
	return n, err == nil && n >= 0
}

// readKeyframes reads and decrypts a keyframes object: one JSON array of
// events per keyframe. A player asks for them one at a time: the object is
// kept decoded as a chunk is (see decodedChunks).
func (rec *Store) readKeyframes(ctx context.Context, projectID int64, sessionID, key string) ([][]byte, error) {
	dk, err := rec.Keys.Existing(ctx, projectID, sessionID)
	if err != nil {
		return nil, err
	}
	if all, ok := rec.decodedChunks().Get(key); ok {
		return all, nil
	}
	sealed, err := rec.Objects.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("keyframes %s: %w", key, err)
	}
	data, err := keyring.Decrypt(dk.Key, sealed, keyframesAAD(key))
	if err != nil {
		return nil, fmt.Errorf("keyframes %s: %w", key, err)
	}
	all, err := chunk.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("keyframes %s: %w", key, err)
	}
	rec.decodedChunks().Add(key, all)
	return all, nil
}

// splitEvents splits a JSON array into its elements.
func splitEvents(array []byte) ([][]byte, error) {
	dec := jsontext.NewDecoder(bytes.NewReader(array))
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '[' {
		return nil, fmt.Errorf("keyframe: %w: not a JSON array", chunk.ErrCorrupt)
	}
	var out [][]byte
	for dec.PeekKind() != ']' {
		v, err := dec.ReadValue()
		if err != nil {
			return nil, fmt.Errorf("keyframe: %w: %v", chunk.ErrCorrupt, err)
		}
		out = append(out, append([]byte(nil), v...))
	}
	return out, nil
}

// storeKeyframes writes the keyframes built from the chunk chunkKey beside
// it and records them in the index. A crash between the two leaves an
// object nobody lists: its deletion is queued first and called off once the
// index lists it, as Seal does for chunks.
func (rec *Store) storeKeyframes(ctx context.Context, projectID int64, sessionID, chunkKey string, ts []int64, arrays [][]byte) error {
	dk, err := rec.Keys.Existing(ctx, projectID, sessionID)
	if err != nil {
		return err
	}
	key := KeyframesKey(chunkKey)
	sealed, err := keyring.Encrypt(dk.Key, chunk.EncodeSealed(arrays), keyframesAAD(key))
	if err != nil {
		return err
	}
	orphan := playhead.Job{Kind: playhead.JobDeleteObject, Key: key, ProjectID: projectID, SessionID: sessionID}
	if err := rec.Index.AddJobs(ctx, []playhead.Job{orphan}, rec.Now().Add(2*jobLease)); err != nil {
		return err
	}
	if err := rec.Objects.Put(ctx, key, sealed); err != nil {
		return err
	}
	rec.decodedChunks().Remove(key) // built again: what this node kept is not what is stored
	refs := make([]playhead.KeyframeRef, len(ts))
	for i, t := range ts {
		refs[i] = playhead.KeyframeRef{Ts: t, ObjectKey: key, Position: i}
	}
	if err := rec.Index.AddKeyframes(ctx, projectID, sessionID, refs); err != nil {
		if playhead.ErrorCode(err) == playhead.ENOTFOUND {
			// Erased meanwhile: erasure did not know this object.
			return errors.Join(err, rec.Objects.Delete(ctx, key))
		}
		return err
	}
	return rec.Index.FinishJob(ctx, orphan.Kind, orphan.Key)
}
