package assets

// The decoder (jsontext) reads events; these helpers do what it does not:
// unquote says where each decoded byte of a string came from, so Rewrite can
// replace part of a string and keep the rest of it as written, and
// appendJSONText writes replacement text the way encoding/json would.

import (
	"unicode/utf16"
	"unicode/utf8"
)

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func hexVal(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// unquote decodes the content of a validated JSON string (quotes excluded).
// With offsets it also returns, for each byte of the result, where the
// character or escape that produced it starts in raw, followed by len(raw):
// Rewrite uses them to replace part of a string and keep the rest as written.
// Lone surrogates decode to U+FFFD, as encoding/json does.
func unquote(raw []byte, offsets bool) (string, []int) {
	var offs []int
	if offsets {
		offs = make([]int, 0, len(raw)+1)
	}
	b := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); {
		from := i
		c := raw[i]
		if c != '\\' || i+1 >= len(raw) {
			b = append(b, c)
			i++
		} else {
			switch e := raw[i+1]; e {
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, n := unicodeEscape(raw[i:])
				b = utf8.AppendRune(b, r)
				i += n - 2
			default:
				b = append(b, e)
			}
			i += 2
		}
		for offsets && len(offs) < len(b) {
			offs = append(offs, from)
		}
	}
	if offsets {
		offs = append(offs, len(raw))
	}
	return string(b), offs
}

// unicodeEscape decodes the \uXXXX escape (or surrogate pair) at the start of
// s and returns the rune and the number of bytes it took.
func unicodeEscape(s []byte) (rune, int) {
	hex4 := func(s []byte) rune {
		if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
			return -1
		}
		var r rune
		for _, c := range s[2:6] {
			v := hexVal(c)
			if v < 0 {
				return -1
			}
			r = r<<4 | rune(v)
		}
		return r
	}
	r := hex4(s)
	if r < 0 {
		return utf8.RuneError, min(len(s), 2)
	}
	if !utf16.IsSurrogate(r) {
		return r, 6
	}
	if r2 := hex4(s[6:]); r2 >= 0 {
		if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
			return pair, 12
		}
	}
	return utf8.RuneError, 6
}

// appendJSONText appends s to dst as the content of a JSON string, escaping
// what JSON requires plus U+2028 and U+2029 as encoding/json does; invalid
// UTF-8 becomes U+FFFD.
func appendJSONText(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return dst
}
