// Package objectstoretest is the test suite every playhead.ObjectStore
// implementation must pass. Every store here also reads ranges
// (playhead.RangeReader) and lists keys (playhead.ObjectLister), and the
// suite checks both.
package objectstoretest

import (
	"bytes"
	"context"
	"errors"
	"slices"
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
		// The same keys are refused everywhere, so recordings move between
		// stores unchanged.
		for _, key := range []string{"", "/abs", "../escape", "a/../../b", "a//b", "a/./b", "a\\b", "a/.tmp-1", "bad\xffutf8"} {
			if err := s.Put(ctx, key, []byte("x")); err == nil {
				t.Errorf("Put(%q) succeeded, want an error", key)
			}
		}
	})

	t.Run("GetRange", func(t *testing.T) {
		s := newStore(t)
		r, ok := s.(playhead.RangeReader)
		if !ok {
			t.Fatalf("%T does not implement playhead.RangeReader", s)
		}
		if err := s.Put(ctx, "r/obj", []byte("0123456789")); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			off, n int64
			want   string
		}{
			{0, 1, "0"},
			{0, 10, "0123456789"},
			{3, 4, "3456"},
			{9, 1, "9"},
			{7, 100, "789"}, // short: the object ends first
			{0, 1 << 40, "0123456789"},
		} {
			got, err := r.GetRange(ctx, "r/obj", tc.off, tc.n)
			if err != nil || string(got) != tc.want {
				t.Errorf("GetRange(%d, %d) = %q, %v; want %q", tc.off, tc.n, got, err, tc.want)
			}
		}
		for _, tc := range []struct{ off, n int64 }{{10, 1}, {11, 5}, {-1, 2}, {0, 0}, {2, -1}} {
			got, err := r.GetRange(ctx, "r/obj", tc.off, tc.n)
			if err == nil || errors.Is(err, playhead.ErrObjectNotFound) {
				t.Errorf("GetRange(%d, %d) = %q, %v; want an error other than not found", tc.off, tc.n, got, err)
			}
		}
		if _, err := r.GetRange(ctx, "r/missing", 0, 1); !errors.Is(err, playhead.ErrObjectNotFound) {
			t.Errorf("GetRange missing: err = %v, want ErrObjectNotFound", err)
		}
		if _, err := r.GetRange(ctx, "../escape", 0, 1); err == nil {
			t.Error("GetRange(../escape) succeeded, want an error")
		}
	})

	t.Run("List", func(t *testing.T) {
		s := newStore(t)
		l, ok := s.(playhead.ObjectLister)
		if !ok {
			t.Fatalf("%T does not implement playhead.ObjectLister", s)
		}
		keys := []string{"p1/s1/00000001", "p1/s1/00000002", "p1/s2/00000001", "p10/s1/00000001", "p2/x", "top"}
		for _, k := range keys {
			if err := s.Put(ctx, k, []byte(k)); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Delete(ctx, "p2/x"); err != nil {
			t.Fatal(err)
		}
		list := func(prefix string) []string {
			t.Helper()
			var got []string
			if err := l.List(ctx, prefix, func(key string) error {
				got = append(got, key)
				return nil
			}); err != nil {
				t.Fatalf("List(%q): %v", prefix, err)
			}
			slices.Sort(got)
			return got
		}
		for _, tc := range []struct {
			prefix string
			want   []string
		}{
			{"", []string{"p1/s1/00000001", "p1/s1/00000002", "p1/s2/00000001", "p10/s1/00000001", "top"}},
			{"p1/", []string{"p1/s1/00000001", "p1/s1/00000002", "p1/s2/00000001"}},
			{"p1", []string{"p1/s1/00000001", "p1/s1/00000002", "p1/s2/00000001", "p10/s1/00000001"}},
			{"p1/s1/", []string{"p1/s1/00000001", "p1/s1/00000002"}},
			{"p1/s1/00000002", []string{"p1/s1/00000002"}},
			{"p1/s", []string{"p1/s1/00000001", "p1/s1/00000002", "p1/s2/00000001"}},
			{"p2/", nil},
			{"nothing/here/", nil},
			{"top/", nil},
		} {
			if got := list(tc.prefix); !slices.Equal(got, tc.want) {
				t.Errorf("List(%q) = %q, want %q", tc.prefix, got, tc.want)
			}
		}

		stop := errors.New("stop")
		calls := 0
		err := l.List(ctx, "", func(string) error { calls++; return stop })
		if !errors.Is(err, stop) || calls != 1 {
			t.Errorf("List with fn failing: err = %v after %d calls, want stop after 1", err, calls)
		}
		for _, prefix := range []string{"/abs", "../", "a/../../b/"} {
			if err := l.List(ctx, prefix, func(string) error { return nil }); err == nil {
				t.Errorf("List(%q) succeeded, want an error", prefix)
			}
		}
	})
}
