package assets

import (
	"net/url"
	"strings"
	"unicode/utf8"
)

// maxURLLen skips references longer than any real asset URL; the long ones
// found in recordings are data: URLs or noise, and each would become a row.
const maxURLLen = 8 << 10

// CSSURLs returns the absolute http(s) URLs that css loads through url(...)
// and @import, resolved against base (nil keeps only absolute references),
// without their fragments and without duplicates, in order of appearance.
// References inside comments and other strings are not loads and are skipped,
// as are data:, blob: and fragment-only references.
func CSSURLs(css string, base *url.URL) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range scanCSS(css) {
		if abs, _, ok := absURL(r.value, base); ok && !seen[abs] {
			seen[abs] = true
			out = append(out, abs)
		}
	}
	return out
}

// RewriteCSS returns css with each reference CSSURLs would find replaced by
// mapURL(abs), followed by the reference's fragment if it had one. Everything
// else, relative references that do not resolve to http(s) included, is left
// as written.
func RewriteCSS(css string, base *url.URL, mapURL func(abs string) string) string {
	var b strings.Builder
	prev := 0
	for _, r := range scanCSS(css) {
		abs, frag, ok := absURL(r.value, base)
		if !ok {
			continue
		}
		if b.Len() == 0 {
			b.Grow(len(css))
		}
		b.WriteString(css[prev:r.start])
		b.WriteString(cssURLText(mapURL(abs)+frag, r.quote))
		prev = r.end
	}
	if prev == 0 {
		return css
	}
	b.WriteString(css[prev:])
	return b.String()
}

// absURL resolves a reference found in a recording against base and reports
// whether it names an http(s) resource; abs is that resource (normalised by
// net/url, fragment removed) and frag the fragment to keep when rewriting.
func absURL(ref string, base *url.URL) (abs, frag string, ok bool) {
	ref = strings.Trim(ref, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
	if ref == "" || ref[0] == '#' || len(ref) > maxURLLen {
		return "", "", false
	}
	u, err := url.Parse(ref)
	if err != nil {
		return "", "", false
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", "", false
	}
	if u.Fragment != "" {
		frag = "#" + u.EscapedFragment()
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String(), frag, true
}

// cssRef is one URL reference in CSS text.
type cssRef struct {
	start, end int    // the reference's bytes in the CSS, quotes excluded
	value      string // the reference with CSS escapes decoded
	quote      byte   // the quote around it, or 0 for an unquoted url()
}

// scanCSS finds the url(...) tokens and the strings of @import rules in css,
// following the tokenization of CSS Syntax Level 3 closely enough to skip
// comments, other strings and identifiers that merely end in "url".
func scanCSS(css string) []cssRef {
	var refs []cssRef
	importing := false // the last token was @import
	for i := 0; i < len(css); {
		c := css[i]
		switch {
		case c == '/' && strings.HasPrefix(css[i:], "/*"):
			end := strings.Index(css[i+2:], "*/")
			if end < 0 {
				return refs
			}
			i += 2 + end + 2
		case isCSSSpace(c):
			i++
		case c == '"' || c == '\'':
			value, end, next, ok := cssString(css, i)
			if ok && importing {
				refs = append(refs, cssRef{start: i + 1, end: end, value: value, quote: c})
			}
			importing = false
			i = next
		case c == '@':
			name, next := cssName(css, i+1)
			importing = strings.EqualFold(name, "import")
			i = max(next, i+1)
		case isNameStart(c):
			name, next := cssName(css, i)
			importing = false
			if next == i {
				i++ // a backslash that escapes nothing
				continue
			}
			i = next
			if i < len(css) && css[i] == '(' && strings.EqualFold(name, "url") {
				ref, next, ok := cssURL(css, i+1)
				if ok {
					refs = append(refs, ref)
				}
				i = next
			}
		default:
			importing = false
			i++
		}
	}
	return refs
}

func isCSSSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

func isNameStart(c byte) bool {
	return c == '\\' || c == '-' || c == '_' || c >= utf8.RuneSelf ||
		('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

func isNameChar(c byte) bool { return isNameStart(c) && c != '\\' || isDigit(c) }

// cssName consumes a name (identifier characters and escapes) at css[i:] and
// returns it decoded with the index after it.
func cssName(css string, i int) (string, int) {
	var b []byte
	for i < len(css) {
		c := css[i]
		switch {
		case c == '\\':
			if i+1 >= len(css) || css[i+1] == '\n' || css[i+1] == '\r' || css[i+1] == '\f' {
				return string(b), i
			}
			var r rune
			r, i = cssEscape(css, i)
			b = utf8.AppendRune(b, r)
		case isNameChar(c):
			b = append(b, c)
			i++
		default:
			return string(b), i
		}
	}
	return string(b), i
}

// cssEscape decodes the escape whose backslash is at css[i] and returns the
// character and the index after the escape.
func cssEscape(css string, i int) (rune, int) {
	i++ // backslash
	if i >= len(css) {
		return utf8.RuneError, i
	}
	if hexVal(css[i]) < 0 {
		r, size := utf8.DecodeRuneInString(css[i:])
		return r, i + size
	}
	var r rune
	for n := 0; n < 6 && i < len(css) && hexVal(css[i]) >= 0; n++ {
		r = r<<4 | rune(hexVal(css[i]))
		i++
	}
	if strings.HasPrefix(css[i:], "\r\n") {
		i += 2
	} else if i < len(css) && isCSSSpace(css[i]) {
		i++
	}
	if r == 0 || r > utf8.MaxRune || (0xD800 <= r && r <= 0xDFFF) {
		r = utf8.RuneError
	}
	return r, i
}

// cssString consumes the string whose opening quote is at css[i]. It returns
// the decoded value, where the content ends, the index after the token, and
// false for a bad string (an unescaped newline), which loads nothing.
func cssString(css string, i int) (value string, end, next int, ok bool) {
	quote := css[i]
	var b []byte
	j := i + 1
	for j < len(css) {
		c := css[j]
		switch {
		case c == quote:
			return string(b), j, j + 1, true
		case c == '\n' || c == '\r' || c == '\f':
			return "", j, j, false
		case c == '\\':
			switch {
			case j+1 >= len(css):
				j++
			case strings.HasPrefix(css[j+1:], "\r\n"):
				j += 3
			case css[j+1] == '\n' || css[j+1] == '\r' || css[j+1] == '\f':
				j += 2
			default:
				var r rune
				r, j = cssEscape(css, j)
				b = utf8.AppendRune(b, r)
			}
		default:
			b = append(b, c)
			j++
		}
	}
	return string(b), len(css), len(css), true // EOF closes a string
}

// cssURL consumes the arguments of a url( whose content starts at css[i] and
// returns the reference, the index after the closing parenthesis, and
// whether it was a well-formed url().
func cssURL(css string, i int) (cssRef, int, bool) {
	for i < len(css) && isCSSSpace(css[i]) {
		i++
	}
	if i < len(css) && (css[i] == '"' || css[i] == '\'') {
		value, end, next, ok := cssString(css, i)
		if !ok {
			return cssRef{}, next, false
		}
		j := next
		for j < len(css) && isCSSSpace(css[j]) {
			j++
		}
		if j < len(css) && css[j] != ')' {
			return cssRef{}, next, false // url("a" b) is not a url()
		}
		return cssRef{start: i + 1, end: end, value: value, quote: css[i]}, min(j+1, len(css)), true
	}
	start := i
	var b []byte
	for i < len(css) {
		c := css[i]
		switch {
		case c == ')':
			return cssRef{start: start, end: i, value: string(b)}, i + 1, true
		case isCSSSpace(c):
			end := i
			for i < len(css) && isCSSSpace(css[i]) {
				i++
			}
			if i >= len(css) || css[i] == ')' {
				return cssRef{start: start, end: end, value: string(b)}, min(i+1, len(css)), true
			}
			return cssRef{}, skipBadURL(css, i), false
		case c == '"' || c == '\'' || c == '(' || c < 0x09 || c == 0x0b || (0x0e <= c && c <= 0x1f) || c == 0x7f:
			return cssRef{}, skipBadURL(css, i), false
		case c == '\\':
			if i+1 >= len(css) || css[i+1] == '\n' || css[i+1] == '\r' || css[i+1] == '\f' {
				return cssRef{}, skipBadURL(css, i), false
			}
			var r rune
			r, i = cssEscape(css, i)
			b = utf8.AppendRune(b, r)
		default:
			b = append(b, c)
			i++
		}
	}
	return cssRef{start: start, end: len(css), value: string(b)}, len(css), true // EOF closes url(
}

// skipBadURL consumes what remains of a malformed url( up to its closing
// parenthesis, as browsers do.
func skipBadURL(css string, i int) int {
	for i < len(css) {
		switch css[i] {
		case ')':
			return i + 1
		case '\\':
			i += 2
		default:
			i++
		}
	}
	return len(css)
}

// cssURLText writes u as the content of a url() or @import reference that
// was quoted with quote (0 for an unquoted url()). An unquoted reference that
// would need escapes is written as a quoted string instead.
func cssURLText(u string, quote byte) string {
	wrap := false
	if quote == 0 {
		if !strings.ContainsAny(u, `"'()\ `) && !hasControl(u) {
			return u
		}
		quote, wrap = '"', true
	} else if !strings.ContainsAny(u, `\`+string(quote)) && !hasControl(u) {
		return u
	}
	const hex = "0123456789abcdef"
	var b strings.Builder
	if wrap {
		b.WriteByte(quote)
	}
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch {
		case c == '\\' || c == quote:
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			b.WriteByte('\\')
			if c >= 0x10 {
				b.WriteByte(hex[c>>4])
			}
			b.WriteByte(hex[c&0xf])
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
		}
	}
	if wrap {
		b.WriteByte(quote)
	}
	return b.String()
}

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}
