package rrdom

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// Header is what an rrweb event says of itself before its data.
type Header struct {
	Type      int
	Source    int // the data's source for an incremental snapshot, else -1
	Timestamp float64
	data      []byte // the event's data, a slice of the event
}

// ReadHeader reads an event's type, timestamp and (for an incremental
// snapshot) source. It finds them without decoding the rest of the event:
// what is applied of the data is decoded, and checked, when it is applied.
func ReadHeader(event []byte) (Header, error) {
	h := Header{Source: -1}
	i := skipSpace(event, 0)
	if i >= len(event) || event[i] != '{' {
		return h, errors.New("rrweb event: not a JSON object")
	}
	hasType := false
	err := eachMember(event, i, func(name, v []byte) error {
		switch string(name) {
		case "type":
			n, err := strconv.Atoi(string(v))
			if err != nil {
				return fmt.Errorf("type %.40s is not a whole number", v)
			}
			h.Type, hasType = n, true
		case "timestamp":
			h.Timestamp, _ = strconv.ParseFloat(string(v), 64)
		case "data":
			h.data = v
		}
		return nil
	})
	if err != nil {
		return h, fmt.Errorf("rrweb event: %w", err)
	}
	if !hasType {
		return h, errors.New("rrweb event: no type")
	}
	if h.Type != EventIncremental {
		return h, nil
	}
	if len(h.data) == 0 || h.data[0] != '{' {
		return h, errors.New("incremental snapshot: data is not an object")
	}
	errFound := errors.New("found")
	err = eachMember(h.data, 0, func(name, v []byte) error {
		if string(name) != "source" {
			return nil
		}
		n, err := strconv.Atoi(string(v))
		if err != nil {
			return fmt.Errorf("source %.40s is not a whole number", v)
		}
		h.Source = n
		return errFound // rrweb writes it first: read no further
	})
	switch {
	case err == errFound:
		return h, nil
	case err != nil:
		return h, fmt.Errorf("incremental snapshot: %w", err)
	}
	return h, errors.New("incremental snapshot: no source")
}

// eachMember calls f with the name (unquoted, as written) and raw value of
// each member of the object starting at b[i], until f returns an error.
func eachMember(b []byte, i int, f func(name, value []byte) error) error {
	i++ // '{'
	for {
		i = skipSpace(b, i)
		if i >= len(b) {
			return errors.New("unterminated object")
		}
		if b[i] == '}' {
			return nil
		}
		if b[i] == ',' {
			i = skipSpace(b, i+1)
		}
		if i >= len(b) || b[i] != '"' {
			return errors.New("object member without a name")
		}
		end, err := skipValue(b, i)
		if err != nil {
			return err
		}
		name := b[i+1 : end-1]
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return errors.New("object member without a value")
		}
		i = skipSpace(b, i+1)
		end, err = skipValue(b, i)
		if err != nil {
			return err
		}
		if err := f(name, b[i:end]); err != nil {
			return err
		}
		i = end
	}
}

// skipString returns where the string starting at b[i] ends.
func skipString(b []byte, i int) (int, error) {
	for i++; i < len(b); {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			break
		}
		i += j
		// An escaped quote has an odd run of backslashes before it.
		k := i
		for k > 0 && b[k-1] == '\\' {
			k--
		}
		if (i-k)%2 == 0 {
			return i + 1, nil
		}
		i++
	}
	return 0, errors.New("unterminated string")
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// skipValue returns where the JSON value starting at b[i] ends. It follows
// strings and nesting, not the finer grammar.
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errors.New("value missing")
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			j := bytes.IndexAny(b[i:], `{}[]"`)
			if j < 0 {
				break
			}
			i += j
			switch b[i] {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			case '"':
				end, err := skipString(b, i)
				if err != nil {
					return 0, err
				}
				i = end
				continue
			}
			i++
		}
		return 0, errors.New("unterminated object or array")
	}
	start := i
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\n' && b[i] != '\r' && b[i] != '\t' {
		i++
	}
	if i == start {
		return 0, fmt.Errorf("unexpected %q", b[i])
	}
	return i, nil
}
