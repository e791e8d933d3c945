package jsonstr

import (
	"bytes"
	"slices"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

// TestMembersAndElements: names come unquoted (escapes decoded), every
// member and element is handed over once, and what a callback leaves unread
// or a malformed document is an error.
func TestMembersAndElements(t *testing.T) {
	dec := func(s string) *jsontext.Decoder { return jsontext.NewDecoder(bytes.NewBufferString(s)) }
	d := dec(`{"a":1,"b\u0061":["x","y\n",{"c":[]}],"":null}`)
	var names, texts []string
	err := Members(d, func(name []byte) error {
		names = append(names, string(name))
		if d.PeekKind() != '[' {
			return d.SkipValue()
		}
		return Elements(d, func() error {
			if d.PeekKind() != '"' {
				return d.SkipValue()
			}
			v, err := d.ReadValue()
			texts = append(texts, Text(v))
			return err
		})
	})
	if err != nil || !slices.Equal(names, []string{"a", "ba", ""}) || !slices.Equal(texts, []string{"x", "y\n"}) {
		t.Errorf("names %q, texts %q, err %v", names, texts, err)
	}
	if err := Elements(dec(`[]`), func() error { t.Error("an empty array has no element"); return nil }); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{`{"a":1`, `[1,`, `{"a":}`} {
		d := dec(bad)
		var err error
		if bad[0] == '{' {
			err = Members(d, func([]byte) error { return d.SkipValue() })
		} else {
			err = Elements(d, func() error { return d.SkipValue() })
		}
		if err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	if err := Members(dec(`{"a":1}`), func([]byte) error { return nil }); err == nil {
		t.Error("a member left unread is no error")
	}
}
