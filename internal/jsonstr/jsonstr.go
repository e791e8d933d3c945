// Package jsonstr reads JSON strings from a jsontext.Decoder without
// copying them when they hold no escapes: member names are compared in
// place, and a value is decoded only when it is wanted as text.
package jsonstr

import (
	"bytes"
	"errors"

	"github.com/go-json-experiment/json/jsontext"
)

var errNotName = errors.New("jsonstr: a value where a member's name should be")

// Name reads an object member's name, unquoted. It is valid until the
// decoder's next read.
func Name(dec *jsontext.Decoder) ([]byte, error) {
	raw, err := dec.ReadValue()
	if err != nil {
		return nil, err
	}
	if raw.Kind() != '"' { // a member's value a caller left unread
		return nil, errNotName
	}
	content := raw[1 : len(raw)-1]
	if bytes.IndexByte(content, '\\') >= 0 {
		return jsontext.AppendUnquote(nil, raw)
	}
	return content, nil
}

// Text decodes a JSON string the decoder has validated.
func Text(raw jsontext.Value) string {
	content := raw[1 : len(raw)-1]
	if bytes.IndexByte(content, '\\') < 0 {
		return string(content)
	}
	b, _ := jsontext.AppendUnquote(nil, raw)
	return string(b)
}

// Members reads an object from dec, calling member with each member's name
// (valid until member reads on) and the decoder at its value, which member
// must read whole.
func Members(dec *jsontext.Decoder, member func(name []byte) error) error {
	if _, err := dec.ReadToken(); err != nil { // '{'
		return err
	}
	for dec.PeekKind() != '}' {
		name, err := Name(dec)
		if err != nil {
			return err
		}
		if err := member(name); err != nil {
			return err
		}
	}
	_, err := dec.ReadToken()
	return err
}

// Elements reads an array from dec, calling element with the decoder at
// each of its elements, which element must read whole.
func Elements(dec *jsontext.Decoder, element func() error) error {
	if _, err := dec.ReadToken(); err != nil { // '['
		return err
	}
	for dec.PeekKind() != ']' {
		if err := element(); err != nil {
			return err
		}
	}
	_, err := dec.ReadToken()
	return err
}
