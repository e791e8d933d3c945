package assets

import (
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds the nesting of a parsed event, as encoding/json does, so a
// hostile event cannot exhaust the stack.
const maxDepth = 10000

// jsonNode is one value of a parsed JSON document and where it sits in the
// source, so that a string can be replaced without touching any other byte.
type jsonNode struct {
	kind       byte // '{', '[', '"', or 'v' for numbers, true, false and null
	start, end int  // the value's bytes in the source; a string's include its quotes
	keys       []string
	kids       []jsonNode // an object's member values (in keys' order) or an array's items
}

// member returns the value of the object's first member named key.
func (n *jsonNode) member(key string) *jsonNode {
	for i, k := range n.keys {
		if k == key {
			return &n.kids[i]
		}
	}
	return nil
}

// text returns the decoded value of a string node.
func (n *jsonNode) text(src []byte) string {
	s, _ := unquote(src[n.start+1:n.end-1], false)
	return s
}

// jsonParser is a strict JSON parser that keeps every value's position.
type jsonParser struct {
	src   []byte
	pos   int
	depth int
}

// parseJSON parses src, reporting false when it is not one valid JSON value.
func parseJSON(src []byte) (jsonNode, bool) {
	p := jsonParser{src: src}
	n, ok := p.value()
	if !ok {
		return jsonNode{}, false
	}
	p.space()
	return n, p.pos == len(src)
}

func (p *jsonParser) space() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsonParser) value() (jsonNode, bool) {
	p.space()
	if p.pos >= len(p.src) {
		return jsonNode{}, false
	}
	start := p.pos
	switch c := p.src[p.pos]; {
	case c == '{' || c == '[':
		p.depth++
		if p.depth > maxDepth {
			return jsonNode{}, false
		}
		var n jsonNode
		var ok bool
		if c == '{' {
			n, ok = p.object()
		} else {
			n, ok = p.array()
		}
		p.depth--
		return n, ok
	case c == '"':
		if !p.str() {
			return jsonNode{}, false
		}
		return jsonNode{kind: '"', start: start, end: p.pos}, true
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	case c == '-' || isDigit(c):
		return p.number()
	}
	return jsonNode{}, false
}

func (p *jsonParser) object() (jsonNode, bool) {
	n := jsonNode{kind: '{', start: p.pos}
	p.pos++ // {
	p.space()
	if p.pos < len(p.src) && p.src[p.pos] == '}' {
		p.pos++
		n.end = p.pos
		return n, true
	}
	for {
		p.space()
		keyStart := p.pos
		if p.pos >= len(p.src) || p.src[p.pos] != '"' || !p.str() {
			return jsonNode{}, false
		}
		key, _ := unquote(p.src[keyStart+1:p.pos-1], false)
		p.space()
		if p.pos >= len(p.src) || p.src[p.pos] != ':' {
			return jsonNode{}, false
		}
		p.pos++
		v, ok := p.value()
		if !ok {
			return jsonNode{}, false
		}
		n.keys = append(n.keys, key)
		n.kids = append(n.kids, v)
		p.space()
		if p.pos >= len(p.src) {
			return jsonNode{}, false
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			n.end = p.pos
			return n, true
		default:
			return jsonNode{}, false
		}
	}
}

func (p *jsonParser) array() (jsonNode, bool) {
	n := jsonNode{kind: '[', start: p.pos}
	p.pos++ // [
	p.space()
	if p.pos < len(p.src) && p.src[p.pos] == ']' {
		p.pos++
		n.end = p.pos
		return n, true
	}
	for {
		v, ok := p.value()
		if !ok {
			return jsonNode{}, false
		}
		n.kids = append(n.kids, v)
		p.space()
		if p.pos >= len(p.src) {
			return jsonNode{}, false
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			n.end = p.pos
			return n, true
		default:
			return jsonNode{}, false
		}
	}
}

// str consumes a string token, validating its escapes.
func (p *jsonParser) str() bool {
	p.pos++ // opening quote
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == '"':
			p.pos++
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if p.pos+1 >= len(p.src) {
				return false
			}
			switch p.src[p.pos+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.pos += 2
			case 'u':
				if p.pos+6 > len(p.src) {
					return false
				}
				for _, h := range p.src[p.pos+2 : p.pos+6] {
					if hexVal(h) < 0 {
						return false
					}
				}
				p.pos += 6
			default:
				return false
			}
		default:
			p.pos++
		}
	}
	return false
}

func (p *jsonParser) literal(word string) (jsonNode, bool) {
	start := p.pos
	if len(p.src)-p.pos < len(word) || string(p.src[p.pos:p.pos+len(word)]) != word {
		return jsonNode{}, false
	}
	p.pos += len(word)
	return jsonNode{kind: 'v', start: start, end: p.pos}, true
}

func (p *jsonParser) number() (jsonNode, bool) {
	start := p.pos
	digits := func() bool {
		from := p.pos
		for p.pos < len(p.src) && isDigit(p.src[p.pos]) {
			p.pos++
		}
		return p.pos > from
	}
	if p.src[p.pos] == '-' {
		p.pos++
	}
	if p.pos < len(p.src) && p.src[p.pos] == '0' {
		p.pos++
	} else if !digits() {
		return jsonNode{}, false
	}
	if p.pos < len(p.src) && p.src[p.pos] == '.' {
		p.pos++
		if !digits() {
			return jsonNode{}, false
		}
	}
	if p.pos < len(p.src) && (p.src[p.pos] == 'e' || p.src[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.src) && (p.src[p.pos] == '+' || p.src[p.pos] == '-') {
			p.pos++
		}
		if !digits() {
			return jsonNode{}, false
		}
	}
	return jsonNode{kind: 'v', start: start, end: p.pos}, true
}

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
