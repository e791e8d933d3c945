package rrdom

import (
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

// declaration is one property of a CSS declaration block.
type declaration struct {
	property, value string
	important       bool
}

// parseDeclarations splits a declaration block ("color: red; margin: 0
// !important") into its declarations, in order. Semicolons and colons inside
// strings, parentheses (url(data:…;base64,…)) and comments do not split.
func parseDeclarations(s string) []declaration {
	var out []declaration
	for _, part := range splitTopLevel(s, ';') {
		i := indexTopLevel(part, ':')
		if i < 0 {
			continue
		}
		prop := strings.TrimSpace(stripComments(part[:i]))
		if prop == "" {
			continue
		}
		if !strings.HasPrefix(prop, "--") {
			prop = strings.ToLower(prop)
		}
		value := strings.TrimSpace(part[i+1:])
		important := false
		if j := strings.LastIndexByte(value, '!'); j >= 0 && strings.EqualFold(strings.TrimSpace(value[j+1:]), "important") {
			important = true
			value = strings.TrimSpace(value[:j])
		}
		out = setDeclaration(out, declaration{prop, value, important})
	}
	return out
}

// setDeclaration sets a property as CSSStyleDeclaration.setProperty does: in
// place when it is declared, at the end when it is not.
func setDeclaration(ds []declaration, d declaration) []declaration {
	for i := range ds {
		if ds[i].property == d.property {
			ds[i] = d
			return ds
		}
	}
	return append(ds, d)
}

func removeDeclaration(ds []declaration, property string) []declaration {
	for i := range ds {
		if ds[i].property == property {
			return append(ds[:i:i], ds[i+1:]...)
		}
	}
	return ds
}

// formatDeclarations writes declarations as a browser serialises a style
// attribute: "color: red; margin: 0px !important;".
func formatDeclarations(ds []declaration) string {
	var b strings.Builder
	for i, d := range ds {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(d.property)
		b.WriteString(": ")
		b.WriteString(d.value)
		if d.important {
			b.WriteString(" !important")
		}
		b.WriteByte(';')
	}
	return b.String()
}

// applyStyleObject applies rrweb's style diff ({"color": "red", "margin":
// ["0", "important"], "padding": false}) to an element's style attribute, as
// the replayer does through element.style.
func applyStyleObject(n *Node, raw jsontext.Value) {
	list, err := readAttrs(raw)
	if err != nil {
		return
	}
	style, _ := n.Attr("style")
	ds := parseDeclarations(style)
	for _, a := range list {
		prop := a.name
		if !strings.HasPrefix(prop, "--") {
			prop = strings.ToLower(prop)
		}
		if a.isString() {
			ds = setProperty(ds, prop, a.stringValue(), "")
			continue
		}
		switch a.raw.Kind() {
		case 'f':
			ds = removeDeclaration(ds, prop)
		case '[':
			var pair []any
			if unmarshal(a.raw, &pair) != nil || len(pair) == 0 {
				continue
			}
			value, _ := pair[0].(string)
			priority := ""
			if len(pair) > 1 {
				priority, _ = pair[1].(string)
			}
			ds = setProperty(ds, prop, value, priority)
		}
	}
	n.setAttr("style", formatDeclarations(ds))
}

// setProperty is CSSStyleDeclaration.setProperty: an empty value removes the
// property, a priority other than "" or "important" changes nothing.
func setProperty(ds []declaration, prop, value, priority string) []declaration {
	if value == "" {
		return removeDeclaration(ds, prop)
	}
	important := strings.EqualFold(priority, "important")
	if !important && priority != "" {
		return ds
	}
	return setDeclaration(ds, declaration{prop, value, important})
}

// splitTopLevel splits s at sep where sep is outside strings, parentheses,
// brackets, braces and comments.
func splitTopLevel(s string, sep byte) []string {
	var out []string
	start := 0
	scanTopLevel(s, func(i int) bool {
		if s[i] == sep {
			out = append(out, s[start:i])
			start = i + 1
		}
		return true
	})
	return append(out, s[start:])
}

// indexTopLevel returns the first index of c outside nesting, or -1.
func indexTopLevel(s string, c byte) int {
	at := -1
	scanTopLevel(s, func(i int) bool {
		if s[i] == c {
			at = i
			return false
		}
		return true
	})
	return at
}

// scanTopLevel calls f for each byte index of s at nesting depth 0 outside
// strings and comments (an opening bracket included), until f returns false.
func scanTopLevel(s string, f func(int) bool) {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			i++
			continue
		case '"', '\'':
			for i++; i < len(s) && s[i] != c; i++ {
				if s[i] == '\\' {
					i++
				}
			}
			continue
		case '/':
			if i+1 < len(s) && s[i+1] == '*' {
				end := strings.Index(s[i+2:], "*/")
				if end < 0 {
					return
				}
				i += end + 3
				continue
			}
		case '(', '[', '{':
			if depth == 0 && !f(i) {
				return
			}
			depth++
			continue
		case ')', ']', '}':
			if depth > 0 {
				depth--
			}
			continue
		}
		if depth == 0 && !f(i) {
			return
		}
	}
}

func stripComments(s string) string {
	for {
		i := strings.Index(s, "/*")
		if i < 0 {
			return s
		}
		j := strings.Index(s[i+2:], "*/")
		if j < 0 {
			return s[:i]
		}
		s = s[:i] + s[i+2+j+2:]
	}
}
