package search

import (
	"strconv"
	"strings"
)

// FieldValue is one searchable value of a moment of a session (a click,
// an error, a request, …): a field of the search rows, or one of the
// Moment fields, and its value.
type FieldValue struct {
	Field string
	Value string
}

// Fields a moment carries when it is one of the things a count key counts,
// so that errors:>0 or rage:>0 find the moments behind the count. Their
// value is "".
const (
	MomentClick      = "clicks"
	MomentError      = "errors"
	MomentRage       = "rage"
	MomentDead       = "dead"
	MomentErrorClick = "errorclick"
)

// Moments is what a query looks for in the moments of a session it
// found, to show why it matched: the terms it holds that a single moment
// can satisfy and that are not negated.
type Moments struct {
	terms []*Term
}

// MomentsOf returns the terms of e a moment can match: text, attribute,
// status and true/false terms, and count terms that ask for at least one
// of what they count (rage:>0, errors:>=2), outside any negation. It
// returns nil when there are none: summary terms (browser, user, started,
// …) hold for a whole session, not a moment of it.
func MomentsOf(e Expr) *Moments {
	m := &Moments{}
	m.collect(e, false)
	if len(m.terms) == 0 {
		return nil
	}
	return m
}

func (m *Moments) collect(e Expr, negated bool) {
	switch e := e.(type) {
	case *And:
		for _, x := range e.Terms {
			m.collect(x, negated)
		}
	case *Or:
		for _, x := range e.Terms {
			m.collect(x, negated)
		}
	case *Not:
		m.collect(e.X, !negated)
	case *Term:
		if negated {
			return
		}
		switch keys[e.Key].kind {
		case kindText, kindAttribute, kindStatus, kindBool:
			m.terms = append(m.terms, e)
		case kindCount:
			if momentField(e.Key) != "" && atLeastOne(e) {
				m.terms = append(m.terms, e)
			}
		}
	}
}

// momentField is the Moment field a count key's moments carry, or "".
func momentField(key string) string {
	switch key {
	case "clicks", "errors", "rage", "dead", "errorclick":
		return key
	}
	return ""
}

// atLeastOne says whether a count term holds only for sessions with one
// or more of what it counts.
func atLeastOne(t *Term) bool {
	switch t.Op {
	case OpGt:
		return true
	case OpGe, OpEq:
		return t.Num >= 1
	}
	return false
}

// Fields returns the fields the terms read, each once: a moment with
// none of them cannot match.
func (m *Moments) Fields() []string {
	var out []string
	seen := map[string]bool{}
	add := func(f string) {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	for _, t := range m.terms {
		for _, f := range termFields(t) {
			add(f)
		}
	}
	return out
}

func termFields(t *Term) []string {
	info := keys[t.Key]
	switch {
	case info.kind == kindCount:
		return []string{momentField(t.Key)}
	case t.Key == "":
		return TextFields
	}
	return []string{info.field}
}

// Match says whether a moment with the given values satisfies one of the
// terms, compared the way the indexes compare them: text as a part of a
// value or, with a '*', a whole one, without regard to case.
func (m *Moments) Match(values []FieldValue) bool {
	for _, t := range m.terms {
		for _, v := range values {
			if t.matches(v) {
				return true
			}
		}
	}
	return false
}

func (t *Term) matches(v FieldValue) bool {
	info := keys[t.Key]
	switch info.kind {
	case kindText:
		if t.Key == "" {
			if !isTextField(v.Field) {
				return false
			}
		} else if v.Field != info.field {
			return false
		}
		return likeMatch(t, v.Value, true)
	case kindAttribute:
		return v.Field == info.field && likeMatch(t, v.Value, false)
	case kindStatus:
		if v.Field != info.field {
			return false
		}
		n, err := strconv.ParseInt(v.Value, 10, 64)
		return err == nil && compare(n, t.Op, t.Num)
	case kindBool:
		return v.Field == info.field && v.Value == t.Value
	case kindCount:
		return v.Field == momentField(t.Key)
	}
	return false
}

func isTextField(f string) bool {
	for _, x := range TextFields {
		if x == f {
			return true
		}
	}
	return false
}

func compare(n int64, op Op, want int64) bool {
	switch op {
	case OpGt:
		return n > want
	case OpGe:
		return n >= want
	case OpLt:
		return n < want
	case OpLe:
		return n <= want
	}
	return n == want
}

// likeMatch matches v against t's value as pattern (in sql.go) has the
// indexes match it: a '*' pattern the whole value, other text a part of it
// when substring is set and the whole of it otherwise; case aside.
func likeMatch(t *Term, v string, substring bool) bool {
	v, want := strings.ToLower(v), strings.ToLower(t.Value)
	if !t.Wildcard {
		if substring {
			return strings.Contains(v, want)
		}
		return v == want
	}
	parts := strings.Split(want, "*")
	if !strings.HasPrefix(v, parts[0]) {
		return false
	}
	v = v[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(v, p)
		if i < 0 {
			return false
		}
		v = v[i+len(p):]
	}
	return strings.HasSuffix(v, last)
}
