// Package objectstoretest is the test suite every playhead.ObjectStore
// implementation must pass.
package objectstoretest

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/playhead/playhead"
)

// Run runs the suite against the store that newStore returns; each subtest
// gets a fresh, empty store.
func Run(t *testing.T, newStore func(t *testing.T) playhead.ObjectStore) {
	ctx := context.Background()

	t.Run("PutGet", func(t *testing.T) {
		s := newStore(t)
		want := []byte("chunk bytes \x00\x01\x02")
		if err := s.Put(ctx, "p1/s1/00000001", want); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, "p1/s1/00000001")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("Get = %q, want %q", got, want)
		}
	})

	t.Run("Overwrite", func(t *testing.T) {
		s := newStore(t)
		for _, v := range []string{"first", "second"} {
			if err := s.Put(ctx, "k/a", []byte(v)); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Get(ctx, "k/a")
		if err != nil || string(got) != "second" {
			t.Fatalf("Get = %q, %v; want second", got, err)
		}
	})

	t.Run("MissingIsNotFound", func(t *testing.T) {
		s := newStore(t)
		_, err := s.Get(ctx, "no/such/key")
		if !errors.Is(err, playhead.ErrObjectNotFound) {
			t.Fatalf("Get missing: err = %v, want ErrObjectNotFound", err)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		s := newStore(t)
		if err := s.Put(ctx, "d/x", []byte("x")); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, "d/x"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, "d/x"); !errors.Is(err, playhead.ErrObjectNotFound) {
			t.Fatalf("Get after Delete: err = %v, want ErrObjectNotFound", err)
		}
		if err := s.Delete(ctx, "d/x"); err != nil {
			t.Fatalf("Delete twice: %v", err)
		}
	})

	t.Run("BadKeys", func(t *testing.T) {
		s := newStore(t)
		for _, key := range []string{"", "/abs", "../escape", "a/../../b", "a//b"} {
			if err := s.Put(ctx, key, []byte("x")); err == nil {
				t.Errorf("Put(%q) succeeded, want an error", key)
			}
		}
	})
}
