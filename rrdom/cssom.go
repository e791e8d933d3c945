package rrdom

import (
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

// A style sheet as the replayer's CSSOM holds it, once recorded events have
// edited it (rrweb's StyleSheetRule and StyleDeclaration events) or created
// it (AdoptedStyleSheet). Until an edit, an element's sheet is simply its
// text, and nothing is kept here.
type styleSheet struct {
	rules []*cssRule
	// known says whether rules are the sheet's rules. An external sheet
	// (a <link> whose text rrweb did not inline) has rules only the
	// browser knows: its edits are kept as recorded, in log, and replayed.
	known bool
	log   []jsontext.Value
	// owner is the node (a document or a shadow host) a constructed sheet
	// was created through: it belongs to that node's window.
	owner *Node
}

// cssRule is one rule of a sheet: its text, and, once an edit reached
// inside it, its parts.
type cssRule struct {
	text string
	// A grouping rule (@media, @supports, …) edited inside: its prelude
	// and child rules; text is then rebuilt from them.
	prelude  string
	children []*cssRule
	grouping bool
}

func newSheet(css string, known bool) *styleSheet {
	s := &styleSheet{known: known}
	for _, r := range splitRules(css) {
		s.rules = append(s.rules, &cssRule{text: r})
	}
	return s
}

// text returns the sheet as CSS text, one rule after another.
func (s *styleSheet) text() string {
	parts := make([]string, len(s.rules))
	for i, r := range s.rules {
		parts[i] = r.String()
	}
	return strings.Join(parts, "")
}

func (s *styleSheet) ruleTexts() []string {
	out := make([]string, len(s.rules))
	for i, r := range s.rules {
		out[i] = r.String()
	}
	return out
}

func (r *cssRule) String() string {
	if !r.grouping {
		return r.text
	}
	var b strings.Builder
	b.WriteString(r.prelude)
	b.WriteString(" {")
	for _, c := range r.children {
		b.WriteByte(' ')
		b.WriteString(c.String())
	}
	b.WriteString(" }")
	return b.String()
}

// open parses a grouping rule's children, for an edit inside it. It says
// false when the rule holds no rules (a style rule, @font-face).
func (r *cssRule) open() bool {
	if r.grouping {
		return true
	}
	prelude, body, ok := ruleBlock(r.text)
	if !ok || !isGroupingPrelude(prelude) {
		return false
	}
	r.grouping, r.prelude = true, prelude
	for _, c := range splitRules(body) {
		r.children = append(r.children, &cssRule{text: c})
	}
	return true
}

func isGroupingPrelude(p string) bool {
	p = strings.ToLower(p)
	for _, k := range []string{"@media", "@supports", "@container", "@layer", "@document", "@-moz-document", "@scope", "@starting-style"} {
		if strings.HasPrefix(p, k) {
			return true
		}
	}
	return false
}

// insert is CSSStyleSheet.insertRule / CSSGroupingRule.insertRule on a
// list: false where the browser would throw.
func insertRule(list []*cssRule, text string, index int) ([]*cssRule, bool) {
	if index < 0 || index > len(list) || rejectedRule(text) {
		return list, false
	}
	r := &cssRule{text: strings.TrimSpace(text)}
	list = append(list, nil)
	copy(list[index+1:], list[index:])
	list[index] = r
	return list, true
}

func deleteRule(list []*cssRule, index int) ([]*cssRule, bool) {
	if index < 0 || index >= len(list) {
		return list, false
	}
	return append(list[:index:index], list[index+1:]...), true
}

// rejectedRule reports whether Chromium's insertRule throws on the text:
// it is not one rule, or its selectors use another engine's prefixes
// (CSS-in-JS libraries insert :-moz- and :-ms- variants and catch the error;
// the page's later rule indexes count without them).
func rejectedRule(text string) bool {
	rules := splitRules(text)
	if len(rules) != 1 {
		return true
	}
	r := rules[0]
	if strings.HasPrefix(r, "@") {
		return false
	}
	prelude, _, ok := ruleBlock(r)
	if !ok || strings.TrimSpace(prelude) == "" {
		return true
	}
	low := strings.ToLower(prelude)
	for _, p := range []string{":-moz-", ":-ms-", ":-o-"} {
		if strings.Contains(low, p) {
			return true
		}
	}
	return false
}

// maxRuleDepth bounds how deep into nested rules (@media in @supports in …)
// an event may reach: opening a level parses the text of the one above, so
// a client could make thousands of levels cost seconds. Sheets nest a few.
const maxRuleDepth = 32

// nestedList returns the child list that positions lead to (rrweb's
// getNestedRule on all but the last index), or nil.
func (s *styleSheet) nestedList(positions []int) *[]*cssRule {
	if len(positions) > maxRuleDepth {
		return nil
	}
	list := &s.rules
	for _, p := range positions {
		if p < 0 || p >= len(*list) {
			return nil
		}
		r := (*list)[p]
		if !r.open() {
			return nil
		}
		list = &r.children
	}
	return list
}

// rule returns the rule at a path of indexes, or nil.
func (s *styleSheet) rule(path []int) *cssRule {
	if len(path) == 0 {
		return nil
	}
	list := s.nestedList(path[:len(path)-1])
	if list == nil {
		return nil
	}
	i := path[len(path)-1]
	if i < 0 || i >= len(*list) {
		return nil
	}
	return (*list)[i]
}

// setDeclaration applies CSSStyleDeclaration.setProperty (or, with value
// nil, removeProperty) to a style rule.
func (r *cssRule) setDeclaration(property string, value *string, priority string) {
	if r.grouping {
		return
	}
	prelude, body, ok := ruleBlock(r.text)
	if !ok || isGroupingPrelude(prelude) {
		return // no style: the browser's rule.style is undefined
	}
	ds := parseDeclarations(body)
	if !strings.HasPrefix(property, "--") {
		property = strings.ToLower(property)
	}
	if value == nil {
		ds = removeDeclaration(ds, property)
	} else {
		ds = setProperty(ds, property, *value, priority)
	}
	decls := formatDeclarations(ds)
	if decls == "" {
		r.text = prelude + " { }"
	} else {
		r.text = prelude + " { " + decls + " }"
	}
}

// splitRules splits CSS text into its top-level rules, each trimmed: a
// rule ends at the brace closing its block, or, for an at-rule without one
// (@import, @charset, @layer a, b), at its semicolon.
func splitRules(css string) []string {
	var out []string
	depth := 0
	start := -1
	for i := 0; i < len(css); i++ {
		c := css[i]
		switch {
		case c == '/' && i+1 < len(css) && css[i+1] == '*':
			end := strings.Index(css[i+2:], "*/")
			if end < 0 {
				i = len(css)
			} else {
				i += end + 3
			}
			continue
		case c == '"' || c == '\'':
			if start < 0 {
				start = i
			}
			for i++; i < len(css) && css[i] != c; i++ {
				if css[i] == '\\' {
					i++
				}
			}
			continue
		case c == '\\':
			if start < 0 {
				start = i
			}
			i++
			continue
		}
		if start < 0 {
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' {
				continue
			}
			start = i
		}
		switch c {
		case '{', '(', '[':
			depth++
		case ')', ']':
			if depth > 0 {
				depth--
			}
		case '}':
			if depth > 0 {
				depth--
			}
			if depth == 0 {
				out = append(out, strings.TrimSpace(css[start:i+1]))
				start = -1
			}
		case ';':
			if depth == 0 {
				if r := strings.TrimSpace(css[start : i+1]); r != ";" {
					out = append(out, r)
				}
				start = -1
			}
		}
	}
	if start >= 0 {
		if r := strings.TrimSpace(css[start:]); r != "" {
			out = append(out, r)
		}
	}
	return out
}

// ruleBlock splits a rule into its prelude and the inside of its block.
func ruleBlock(rule string) (prelude, body string, ok bool) {
	open := indexTopLevel(rule, '{')
	if open < 0 {
		return "", "", false
	}
	end := strings.LastIndexByte(rule, '}')
	if end < open {
		end = len(rule)
	}
	return strings.TrimSpace(rule[:open]), rule[open+1 : end], true
}
