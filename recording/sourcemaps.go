package recording

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/keyring"
)

// A release's source maps are kept like recordings: each an object
// encrypted with a data key of the release's (kept, wrapped, among the
// sessions' under playhead.ReleaseKeyID, so master key rotation re-wraps
// it), per project, and deleted with the release once no kept session
// names it and the project's retention period has passed since the last
// upload.

// MaxSourceMapBytes bounds one uploaded source map.
const MaxSourceMapBytes = 64 << 20

// SourceMapKey returns the object key of a release's source map.
func SourceMapKey(projectID int64, release, name string) string {
	r := sha256.Sum256([]byte(release))
	n := sha256.Sum256([]byte(name))
	return fmt.Sprintf("sourcemaps/%d/%s/%s", projectID, hex.EncodeToString(r[:12]), hex.EncodeToString(n[:12]))
}

func sourceMapAAD(key string) []byte { return []byte("playhead source map " + key) }

// releaseKey returns the release's data key, storing a new one if it has
// none (another node's, if it stored one first).
func (rec *Store) releaseKey(ctx context.Context, projectID int64, release string) (*playhead.DataKey, error) {
	name := playhead.ReleaseKeyID(release)
	dk, err := rec.Keys.For(ctx, projectID, name)
	if err != nil {
		return nil, err
	}
	stored, err := rec.Index.StoreKey(ctx, dk)
	if err != nil {
		return nil, err
	}
	if string(stored.Wrapped) == string(dk.Wrapped) {
		return dk, nil
	}
	rec.Keys.Forget(projectID, name)
	return rec.Keys.Existing(ctx, projectID, name)
}

// StoreSourceMap stores data (a source map, already checked) as the map of
// the file name in a release, replacing the one stored under that name.
func (rec *Store) StoreSourceMap(ctx context.Context, projectID int64, release, name string, data []byte) (*playhead.SourceMap, error) {
	if len(data) > MaxSourceMapBytes {
		return nil, playhead.Errorf(playhead.ETOOLARGE, "the source map is larger than the limit of %d bytes", MaxSourceMapBytes)
	}
	dk, err := rec.releaseKey(ctx, projectID, release)
	if err != nil {
		return nil, err
	}
	key := SourceMapKey(projectID, release, name)
	sealed, err := keyring.Encrypt(dk.Key, data, sourceMapAAD(key))
	if err != nil {
		return nil, err
	}
	if err := rec.Objects.Put(ctx, key, sealed); err != nil {
		return nil, err
	}
	m := &playhead.SourceMap{ProjectID: projectID, Release: release, Name: name, ObjectKey: key, Size: int64(len(data)), UploadedAt: rec.Now()}
	if err := rec.Index.PutSourceMap(ctx, m); err != nil {
		return nil, err
	}
	return m, nil
}

// SourceMapData returns the content of a stored source map.
func (rec *Store) SourceMapData(ctx context.Context, m *playhead.SourceMap) ([]byte, error) {
	dk, err := rec.Keys.Existing(ctx, m.ProjectID, playhead.ReleaseKeyID(m.Release))
	if err != nil {
		return nil, err
	}
	sealed, err := rec.Objects.Get(ctx, m.ObjectKey)
	if errors.Is(err, playhead.ErrObjectNotFound) {
		return nil, playhead.Errorf(playhead.ENOTFOUND, "source map %s of release %s not found", m.Name, m.Release)
	}
	if err != nil {
		return nil, err
	}
	return keyring.Decrypt(dk.Key, sealed, sourceMapAAD(m.ObjectKey))
}

// DeleteRelease deletes a release's source maps: its key first, then the
// objects (what fails is retried by RunJobs). It returns how many maps
// the release had.
func (rec *Store) DeleteRelease(ctx context.Context, projectID int64, release string) (int, error) {
	keys, err := rec.Index.DeleteRelease(ctx, projectID, release)
	if err != nil {
		return 0, err
	}
	rec.Keys.Forget(projectID, playhead.ReleaseKeyID(release))
	for _, key := range keys {
		j := playhead.Job{Kind: playhead.JobDeleteObject, Key: key, ProjectID: projectID}
		if err := rec.deleteObject(ctx, j); err != nil {
			rec.Logger.Warn("deleted release: source map not deleted yet (unreadable without its key; retried)", "release", release, "key", key, "err", err)
		}
	}
	return len(keys), nil
}

// expireReleases deletes the releases past their project's retention that
// no kept session names, and returns how many.
func (rec *Store) expireReleases(ctx context.Context) (int, error) {
	n := 0
	for {
		expired, err := rec.Index.ExpiredReleases(ctx, rec.Now(), 100)
		if err != nil || len(expired) == 0 {
			return n, err
		}
		for _, r := range expired {
			if _, err := rec.DeleteRelease(ctx, r.ProjectID, r.Release); err != nil {
				return n, err
			}
			rec.Logger.Info("retention: deleted the source maps of a release", "project", r.ProjectID, "release", r.Release)
			n++
		}
	}
}
