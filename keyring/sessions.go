package keyring

import (
	"context"
	"fmt"
	"sync"

	"github.com/playhead/playhead"
)

// DataKeys hands out the data key of each session: from a cache, from the
// index (unwrapped with the keyring), or new. A new key is stored by the
// group commit of the session's first batch (playhead.IndexedBatch.Key).
// Lookups of different sessions run in parallel; concurrent lookups of one
// session share one.
type DataKeys struct {
	Keyring *Keyring
	Index   playhead.SessionKeyStore

	mu       sync.Mutex
	cache    map[sessionRef]*playhead.DataKey
	inflight map[sessionRef]*keyCall
}

type sessionRef struct {
	project int64
	session string
}

type keyCall struct {
	done chan struct{}
	key  *playhead.DataKey
	err  error
}

const maxCachedKeys = 100_000

// For returns the data key of a session, creating one if it has none.
func (d *DataKeys) For(ctx context.Context, projectID int64, sessionID string) (*playhead.DataKey, error) {
	return d.get(ctx, projectID, sessionID, true)
}

// Existing returns the stored data key of a session, or ENOTFOUND when it
// has none (never recorded, or erased).
func (d *DataKeys) Existing(ctx context.Context, projectID int64, sessionID string) (*playhead.DataKey, error) {
	return d.get(ctx, projectID, sessionID, false)
}

func (d *DataKeys) get(ctx context.Context, projectID int64, sessionID string, create bool) (*playhead.DataKey, error) {
	ref := sessionRef{projectID, sessionID}
	d.mu.Lock()
	if k := d.cache[ref]; k != nil {
		d.mu.Unlock()
		return k, nil
	}
	if call := d.inflight[ref]; call != nil {
		d.mu.Unlock()
		<-call.done
		if call.err == nil && call.key == nil {
			// That lookup found no key and would not create one.
			return d.get(ctx, projectID, sessionID, create)
		}
		return call.key, call.err
	}
	if d.inflight == nil {
		d.inflight = map[sessionRef]*keyCall{}
	}
	call := &keyCall{done: make(chan struct{})}
	d.inflight[ref] = call
	d.mu.Unlock()

	call.key, call.err = d.load(ctx, projectID, sessionID)
	if call.err == nil && call.key == nil && create {
		key := NewKey()
		id, wrapped, err := d.Keyring.Wrap(key)
		call.key, call.err = &playhead.DataKey{ProjectID: projectID, SessionID: sessionID, MasterKeyID: id, Wrapped: wrapped, Key: key}, err
	}

	d.mu.Lock()
	delete(d.inflight, ref)
	if call.err == nil && call.key != nil {
		if d.cache == nil || len(d.cache) >= maxCachedKeys {
			d.cache = map[sessionRef]*playhead.DataKey{}
		}
		d.cache[ref] = call.key
	}
	d.mu.Unlock()
	close(call.done)
	if call.err == nil && call.key == nil {
		return nil, playhead.Errorf(playhead.ENOTFOUND, "session %s has no data key", sessionID)
	}
	return call.key, call.err
}

func (d *DataKeys) load(ctx context.Context, projectID int64, sessionID string) (*playhead.DataKey, error) {
	k, err := d.Index.SessionKey(ctx, projectID, sessionID)
	if playhead.ErrorCode(err) == playhead.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if k.Key, err = d.Keyring.Unwrap(k.MasterKeyID, k.Wrapped); err != nil {
		return nil, fmt.Errorf("session %s: %w", sessionID, err)
	}
	return k, nil
}

// Forget drops a session's key from the cache: after erasure, or when
// another node stored a different key for it first.
func (d *DataKeys) Forget(projectID int64, sessionID string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.cache, sessionRef{projectID, sessionID})
}

// Rewrap re-wraps every stored data key under the current master key and
// returns how many it changed. Recordings are not touched.
func (d *DataKeys) Rewrap(ctx context.Context, progress func(done int)) (int, error) {
	current := d.Keyring.CurrentID()
	done, cursor := 0, playhead.SessionKeyCursor{}
	for {
		keys, next, err := d.Index.SessionKeys(ctx, cursor, 500)
		if err != nil {
			return done, err
		}
		var changed []*playhead.DataKey
		for _, k := range keys {
			if k.MasterKeyID == current {
				continue
			}
			plain, err := d.Keyring.Unwrap(k.MasterKeyID, k.Wrapped)
			if err != nil {
				return done, fmt.Errorf("session %s: %w", k.SessionID, err)
			}
			old := k.Wrapped
			if k.MasterKeyID, k.Wrapped, err = d.Keyring.Wrap(plain); err != nil {
				return done, err
			}
			k.Previous = old
			changed = append(changed, k)
		}
		if err := d.Index.RewrapSessionKeys(ctx, changed); err != nil {
			return done, err
		}
		done += len(changed)
		if progress != nil {
			progress(done)
		}
		if next == nil {
			return done, nil
		}
		cursor = *next
	}
}
