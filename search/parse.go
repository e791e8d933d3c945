package search

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of one query, so that parsing and the SQL it compiles to stay small.
const (
	MaxQueryLength = 1000 // characters
	MaxTerms       = 50
	MaxDepth       = 10 // nested parentheses
)

// Error is a query that does not parse: Msg names the problem and the token,
// Pos is where it is (1-based, in characters; one past the end for a query
// that ends too soon).
type Error struct {
	Pos int
	Msg string
}

// Error implements the error interface.
func (e *Error) Error() string { return fmt.Sprintf("position %d: %s", e.Pos, e.Msg) }

func errorf(pos int, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// Parse parses a query. An empty query (or one of spaces) returns nil: every
// session matches. A query that does not parse returns an *Error. Relative
// dates (started:<24h) are kept as durations: ToSQL counts them back from
// the instant it is given.
func Parse(query string) (Expr, error) {
	if n := len([]rune(query)); n > MaxQueryLength {
		return nil, errorf(MaxQueryLength+1, "the query is %d characters long, over the limit of %d", n, MaxQueryLength)
	}
	for i, r := range []rune(query) {
		if r == 0 || r == utf8.RuneError && !utf8.ValidString(query) {
			return nil, errorf(i+1, "the query holds a character that is not text (%q)", r)
		}
	}
	toks, err := lex([]rune(query))
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	if p.peek().kind == tokEOF {
		return nil, nil
	}
	e, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, errorf(t.pos, "%q without a matching (", t.text)
	}
	return e, nil
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokLParen
	tokRParen
	tokOr
	tokNot
	tokTerm
)

type token struct {
	kind tokKind
	pos  int
	text string // as written, for messages
	term *Term
}

// lex cuts a query into tokens: parentheses, OR, AND (dropped: terms are
// ANDed anyway), a '-' that negates what follows it, and terms.
func lex(q []rune) ([]token, error) {
	var toks []token
	i := 0
	for {
		for i < len(q) && unicode.IsSpace(q[i]) {
			i++
		}
		if i == len(q) {
			return append(toks, token{kind: tokEOF, pos: i + 1, text: "end of query"}), nil
		}
		pos := i + 1
		switch c := q[i]; {
		case c == '(':
			toks = append(toks, token{kind: tokLParen, pos: pos, text: "("})
			i++
			continue
		case c == ')':
			toks = append(toks, token{kind: tokRParen, pos: pos, text: ")"})
			i++
			continue
		case c == '-' && i+1 < len(q) && !unicode.IsSpace(q[i+1]) && q[i+1] != ')':
			toks = append(toks, token{kind: tokNot, pos: pos, text: "-"})
			i++
			continue
		}
		t, end, err := lexTerm(q, i)
		if err != nil {
			return nil, err
		}
		text := string(q[i:end])
		i = end
		switch {
		case text == "OR":
			toks = append(toks, token{kind: tokOr, pos: pos, text: text})
		case text == "AND":
		default:
			toks = append(toks, token{kind: tokTerm, pos: pos, text: text, term: t})
		}
		if len(toks) > 4*MaxTerms {
			return nil, errorf(pos, "the query has more than %d terms", MaxTerms)
		}
	}
}

// lexTerm reads the term that starts at q[i]: free text (a word or a
// quoted phrase) or key:value, and returns it and where it ends.
func lexTerm(q []rune, i int) (*Term, int, error) {
	pos := i + 1
	if q[i] == '"' {
		v, end, err := quoted(q, i)
		if err != nil {
			return nil, 0, err
		}
		return &Term{Pos: pos, Value: v}, end, nil
	}
	end := wordEnd(q, i)
	word := string(q[i:end])
	key, rest, ok := strings.Cut(word, ":")
	prefix, prop := propKey(key)
	if !ok || !isKeyName(key) && prefix == "" || strings.HasPrefix(rest, "//") {
		// Free text, a URL such as https://shop.example among it.
		return &Term{Pos: pos, Value: word, Wildcard: strings.Contains(word, "*")}, end, nil
	}
	lower := strings.ToLower(key)
	if prefix != "" {
		lower = prefix
	} else if keys[lower].kind == kindProp {
		return nil, 0, errorf(pos, "%s: needs a property's name, as in %s.plan:pro", key, lower)
	}
	info, known := keys[lower]
	if !known {
		return nil, 0, errorf(pos, "unknown key %q (keys: %s)", key, strings.Join(KeyNames(), ", "))
	}
	if c, ok := canonical[lower]; ok {
		lower = c
	}
	t := &Term{Pos: pos, Key: lower, Prop: prop}
	vpos := i + len([]rune(key)) + 1 // index of the value's first character
	if vpos < len(q) && q[vpos] == '"' {
		v, qend, err := quoted(q, vpos)
		if err != nil {
			return nil, 0, err
		}
		t.Value, end = v, qend
	} else {
		t.Value = rest
		t.Wildcard = strings.Contains(rest, "*")
	}
	if t.Value == "" {
		return nil, 0, errorf(pos, "%s: has no value", key)
	}
	if err := parseValue(t, info.kind, vpos+1); err != nil {
		return nil, 0, err
	}
	return t, end, nil
}

// wordEnd returns where the unquoted word starting at q[i] ends: at a space
// or a parenthesis, or at a quote right after a key's colon (key:"…").
func wordEnd(q []rune, i int) int {
	j := i
	for j < len(q) && !unicode.IsSpace(q[j]) && q[j] != '(' && q[j] != ')' {
		if q[j] == '"' && j > i && q[j-1] == ':' {
			break
		}
		j++
	}
	return j
}

// propKey splits a key such as meta.plan or event.prop.tier into the key
// of properties and the property's name; it returns "", "" for any other
// key. A name is letters, digits, '_', '-' and '.', at most 64 bytes.
func propKey(s string) (prefix, prop string) {
	for _, k := range propKeys {
		if len(s) > len(k)+1 && strings.EqualFold(s[:len(k)+1], k+".") {
			name := s[len(k)+1:]
			if len(name) > 64 {
				return "", ""
			}
			for _, c := range name {
				if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
					return "", ""
				}
			}
			return k, name
		}
	}
	return "", ""
}

func isKeyName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.') {
			return false
		}
	}
	return true
}

// quoted reads the quoted string that starts at q[i] (a '"'), where \" and
// \\ stand for " and \, and returns its value and the index after it.
func quoted(q []rune, i int) (string, int, error) {
	var b strings.Builder
	for j := i + 1; j < len(q); j++ {
		switch q[j] {
		case '\\':
			if j+1 < len(q) && (q[j+1] == '"' || q[j+1] == '\\') {
				j++
			}
			b.WriteRune(q[j])
		case '"':
			if b.Len() == 0 {
				return "", 0, errorf(i+1, `"" is an empty phrase`)
			}
			return b.String(), j + 1, nil
		default:
			b.WriteRune(q[j])
		}
	}
	return "", 0, errorf(i+1, "the quote opened here is not closed")
}

// parseValue checks a term's value against its key's kind and parses
// numbers and dates; vpos is where the value starts, for errors.
func parseValue(t *Term, k kind, vpos int) error {
	switch k {
	case kindCount, kindDuration, kindStatus, kindDate:
		op, rest := cutOp(t.Value)
		t.Op = op
		if rest == "" {
			return errorf(vpos, "%s:%s has no value after the comparison", t.Key, t.Value)
		}
		vpos += len(t.Value) - len(rest)
		switch k {
		case kindCount, kindStatus:
			n, err := strconv.ParseInt(rest, 10, 64)
			if err != nil || n < 0 || n > 1<<40 {
				return errorf(vpos, "%s: %q is not a whole number", t.Key, rest)
			}
			t.Num = n
		case kindDuration:
			d, err := parseDuration(rest)
			if err != nil {
				return errorf(vpos, "%s: %q is not a duration (such as 90s, 2m, 1h30m)", t.Key, rest)
			}
			t.Num = d.Milliseconds()
		case kindDate:
			return parseDate(t, rest, vpos)
		}
	case kindHas:
		v := strings.ToLower(t.Value)
		if !slices.Contains(hasValues, v) {
			return errorf(vpos, "has: %q is not something a session has (has: takes %s)", t.Value, strings.Join(hasValues, ", "))
		}
		t.Value = v
	case kindBool, kindBackendError:
		switch strings.ToLower(t.Value) {
		case "true", "false":
			t.Value = strings.ToLower(t.Value)
		default:
			return errorf(vpos, "%s: %q is neither true nor false", t.Key, t.Value)
		}
	}
	return nil
}

// cutOp splits a leading comparison off a value.
func cutOp(v string) (Op, string) {
	for _, op := range []Op{OpGe, OpLe, OpGt, OpLt, OpEq} {
		if rest, ok := strings.CutPrefix(v, string(op)); ok {
			return op, rest
		}
	}
	return OpEq, v
}

// parseDuration reads a Go duration, a number of days (7d) or a plain
// number of seconds.
func parseDuration(s string) (time.Duration, error) {
	if n, err := strconv.ParseFloat(s, 64); err == nil && n >= 0 && n < 1e9 {
		return time.Duration(n * float64(time.Second)), nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil || n < 0 || n > 1e5 {
			return 0, fmt.Errorf("not a number of days")
		}
		return time.Duration(n * 24 * float64(time.Hour)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("not a duration")
	}
	return d, nil
}

// parseDate reads started's value: a day (2026-12-01, UTC), an instant
// (RFC 3339), or how long ago (24h, 7d), which needs < or >.
func parseDate(t *Term, s string, vpos int) error {
	if day, err := time.Parse(time.DateOnly, s); err == nil {
		t.At, t.Span = day, 24*time.Hour
		return nil
	}
	if at, err := time.Parse(time.RFC3339, s); err == nil {
		t.At = at
		return nil
	}
	d, err := parseDuration(s)
	if err != nil || d == 0 {
		return errorf(vpos, "%s: %q is not a date (2026-12-01), a time (2026-12-01T09:30:00Z) or how long ago (24h, 7d)", t.Key, s)
	}
	if t.Op == OpEq {
		return errorf(vpos, "%s:%s needs < (within the last %s) or > (longer ago)", t.Key, s, s)
	}
	t.Ago = d
	return nil
}

type parser struct {
	toks  []token
	i     int
	terms int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

// or parses terms joined by OR.
func (p *parser) or(depth int) (Expr, error) {
	first, err := p.and(depth)
	if err != nil {
		return nil, err
	}
	terms := []Expr{first}
	for p.peek().kind == tokOr {
		p.next()
		x, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		terms = append(terms, x)
	}
	if len(terms) == 1 {
		return first, nil
	}
	return &Or{Terms: terms}, nil
}

// and parses terms side by side, up to OR, ")" or the end.
func (p *parser) and(depth int) (Expr, error) {
	var terms []Expr
	for {
		switch t := p.peek(); t.kind {
		case tokOr, tokRParen, tokEOF:
			if len(terms) == 0 {
				return nil, p.missing(t)
			}
			if len(terms) == 1 {
				return terms[0], nil
			}
			return &And{Terms: terms}, nil
		}
		x, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		terms = append(terms, x)
	}
}

// missing is the error of a place where a term was expected and t came.
func (p *parser) missing(t token) error {
	switch {
	case t.kind == tokEOF && p.i > 0:
		return errorf(t.pos, "the query ends after %q, where a term was expected", p.toks[p.i-1].text)
	case t.kind == tokOr:
		return errorf(t.pos, "OR needs a term on each side")
	case t.kind == tokRParen && p.i > 0 && p.toks[p.i-1].kind == tokLParen:
		return errorf(p.toks[p.i-1].pos, "() holds nothing")
	}
	return errorf(t.pos, "%q where a term was expected", t.text)
}

func (p *parser) unary(depth int) (Expr, error) {
	t := p.next()
	switch t.kind {
	case tokNot:
		x, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		return &Not{X: x}, nil
	case tokLParen:
		if depth+1 > MaxDepth {
			return nil, errorf(t.pos, "parentheses nest deeper than the limit of %d", MaxDepth)
		}
		x, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tokRParen {
			return nil, errorf(t.pos, "the ( here is not closed")
		}
		return x, nil
	case tokTerm:
		if p.terms++; p.terms > MaxTerms {
			return nil, errorf(t.pos, "the query has more than %d terms", MaxTerms)
		}
		return t.term, nil
	}
	return nil, p.missing(t)
}
