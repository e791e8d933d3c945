// Package file implements playhead.ObjectStore over a local directory.
package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/objects/internal/objectkey"
)

var (
	_ playhead.ObjectStore  = (*Store)(nil)
	_ playhead.RangeReader  = (*Store)(nil)
	_ playhead.ObjectLister = (*Store)(nil)
)

// Store keeps each object in a file under Root, named by its key. Writes go to
// a temporary file that is synced and then renamed, so a reader sees a whole
// object or none, and a crash never leaves a torn one.
type Store struct {
	Root string
}

// New returns a Store rooted at dir, creating dir if needed.
func New(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create object directory: %w", err)
	}
	return &Store{Root: dir}, nil
}

func (s *Store) path(key string) (string, error) {
	if err := objectkey.Check(key); err != nil {
		return "", err
	}
	return filepath.Join(s.Root, filepath.FromSlash(key)), nil
}

// Put stores data under key durably: file and directory are synced before it
// returns.
func (s *Store) Put(ctx context.Context, key string, data []byte) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	tmp, err := os.CreateTemp(dir, objectkey.TempPrefix+"*")
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("put %s: %w", key, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("put %s: sync: %w", key, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return syncDir(dir)
}

// Get returns the object stored under key, or an error wrapping
// playhead.ErrObjectNotFound.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("get %s: %w", key, playhead.ErrObjectNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	return data, nil
}

// GetRange returns at most n bytes of the object under key from offset off
// (see playhead.RangeReader).
func (s *Store) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	if off < 0 || n <= 0 {
		return nil, fmt.Errorf("get %s: invalid range: offset %d, length %d", key, off, n)
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("get %s: %w", key, playhead.ErrObjectNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	if off >= fi.Size() {
		return nil, fmt.Errorf("get %s: range starts at %d, past the end of the object (%d bytes)", key, off, fi.Size())
	}
	buf := make([]byte, min(n, fi.Size()-off))
	got, err := f.ReadAt(buf, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	return buf[:got], nil
}

// List calls fn with every key that starts with prefix (see
// playhead.ObjectLister). It walks only the directory the prefix names.
func (s *Store) List(ctx context.Context, prefix string, fn func(key string) error) error {
	if err := objectkey.CheckPrefix(prefix); err != nil {
		return err
	}
	start := s.Root
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		start = filepath.Join(s.Root, filepath.FromSlash(prefix[:i]))
	}
	var fnErr error
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if p == start && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)) {
			return fs.SkipAll // nothing stored under the prefix
		}
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), objectkey.TempPrefix) || !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(s.Root, p)
		if err != nil {
			return err
		}
		if key := filepath.ToSlash(rel); strings.HasPrefix(key, prefix) {
			fnErr = fn(key)
			return fnErr
		}
		return nil
	})
	if err != nil && fnErr == nil {
		return fmt.Errorf("list %q: %w", prefix, err)
	}
	return err
}

// Delete removes the object under key; deleting a missing key is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return syncDir(filepath.Dir(p))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
