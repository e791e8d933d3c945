package rrdom

import (
	"bytes"
	"errors"
	"strconv"

	"github.com/go-json-experiment/json/jsontext"
)

// anonymousID is where the ids Serialize gives nodes the mirror does not
// know start, counting down: recordings never use negative ids but -1 and -2.
const anonymousID = -1_000_000

// Serialize returns the document as rrweb's full snapshot holds it (the
// "node" of a FullSnapshot event's data), each style sheet edited through
// the CSSOM written into its element's text as rrweb's snapshot does. As in
// rrweb, an iframe's document is not part of it; Keyframe gives the whole
// page, iframes and all that a snapshot cannot hold included.
func (t *Tree) Serialize() ([]byte, error) {
	if t.root == nil {
		return nil, errors.New("serialize: no full snapshot applied yet")
	}
	s := serializer{next: anonymousID, fold: true}
	return s.serialize(t.root)
}

// SerializeNode returns one node and its descendants as rrweb serialises
// them, without the documents of the iframes inside.
func SerializeNode(n *Node) ([]byte, error) {
	s := serializer{next: anonymousID}
	return s.serialize(n)
}

type serializer struct {
	b    []byte
	next int64 // the next id for a node the mirror does not know
	fold bool  // write edited style sheets into their elements' text
	// built, when set, gives the text to write for a text node in place of
	// its content (see Tree.staleText).
	built func(n *Node) (string, bool)
	// builtAttrs, when set, gives the attributes to write for an element
	// in place of its own (see Tree.staleAttrs).
	builtAttrs func(n *Node) (*attrSet, bool)
}

func (s *serializer) serialize(n *Node) ([]byte, error) {
	s.b = s.b[:0]
	s.node(n, "")
	return bytes.Clone(s.b), nil
}

// folds reports whether an element's edited sheet can be written into the
// text the element is rebuilt from.
func (s *serializer) folds(n *Node) bool {
	if !s.fold || n.st == nil || n.st.sheet == nil || !n.st.sheet.known {
		return false
	}
	if _, ok := n.Attributes["_cssText"]; ok {
		return true
	}
	for _, c := range n.Children {
		if c.Type == Text && !c.IsShadow {
			return true
		}
	}
	return false
}

// name writes a member's name (and the comma before it, unless first).
func (s *serializer) name(name string) {
	if c := s.b[len(s.b)-1]; c != '{' && c != '[' {
		s.b = append(s.b, ',')
	}
	s.b = append(s.b, '"')
	s.b = append(s.b, name...)
	s.b = append(s.b, '"', ':')
}

func (s *serializer) quote(v string) {
	s.b, _ = jsontext.AppendQuote(s.b, v) // invalid UTF-8 is replaced, as JSON.stringify would
}

func (s *serializer) str(name, v string) {
	s.name(name)
	s.quote(v)
}

func (s *serializer) flag(name string, v bool) {
	if v {
		s.name(name)
		s.b = append(s.b, "true"...)
	}
}

func (s *serializer) int(name string, v int64) {
	s.name(name)
	s.b = strconv.AppendInt(s.b, v, 10)
}

// node writes n; text, when not empty, stands for a text node's content
// (the folded text of its style sheet), and "\x00" for an emptied one.
func (s *serializer) node(n *Node, text string) {
	s.b = append(s.b, '{')
	s.int("type", int64(n.Type))
	switch n.Type {
	case Document:
		s.children(n)
		if n.CompatMode != "" {
			s.str("compatMode", n.CompatMode)
		}
	case DocumentType:
		s.str("name", n.Name)
		s.str("publicId", n.PublicID)
		s.str("systemId", n.SystemID)
	case Element:
		s.str("tagName", n.TagName)
		s.name("attributes")
		s.b = append(s.b, '{')
		folded := s.folds(n)
		_, cssText := n.Attributes["_cssText"]
		names, vals, raws := n.attrNames(), n.Attributes, n.attrRaw
		if s.builtAttrs != nil {
			if b, ok := s.builtAttrs(n); ok {
				names, vals, raws = b.order, b.vals, b.raw
			}
		}
		for _, name := range names {
			if s.b[len(s.b)-1] != '{' {
				s.b = append(s.b, ',')
			}
			s.quote(name)
			s.b = append(s.b, ':')
			switch raw, ok := raws[name]; {
			case folded && cssText && name == "_cssText":
				s.quote(n.st.sheet.text())
			case ok:
				s.b = append(s.b, raw...)
			default:
				s.quote(vals[name])
			}
		}
		s.b = append(s.b, '}')
		s.children(n)
		s.flag("isSVG", n.IsSVG)
		s.flag("needBlock", n.NeedBlock)
		s.flag("isCustom", n.IsCustom)
		s.flag("isShadowHost", n.IsShadowHost)
	default:
		content := n.TextContent
		switch text {
		case "":
			if s.built != nil {
				if b, ok := s.built(n); ok {
					content = b
				}
			}
		case "\x00":
			content = ""
		default:
			content = text
		}
		s.str("textContent", content)
		s.flag("isStyle", n.IsStyle)
	}
	s.flag("isShadow", n.IsShadow)
	if n.RootID != 0 {
		s.int("rootId", n.RootID)
	}
	if len(n.extra) > 0 {
		s.extra(n.extra)
	}
	id := n.ID
	if id == 0 {
		id = s.next
		s.next--
	}
	s.int("id", id)
	s.b = append(s.b, '}')
}

func (s *serializer) children(n *Node) {
	s.name("childNodes")
	s.b = append(s.b, '[')
	// An edited sheet folds into its element's first text child (the
	// others are emptied), unless _cssText holds it.
	fold := ""
	if _, cssText := n.Attributes["_cssText"]; s.folds(n) && !cssText {
		fold = n.st.sheet.text()
		if fold == "" {
			fold = "\x00"
		}
	}
	first := true
	for _, c := range n.Children {
		if c.Type == Document && n.Type == Element {
			continue // an iframe's document travels on its own
		}
		text := ""
		if fold != "" && c.Type == Text && !c.IsShadow {
			text, fold = fold, "\x00"
		}
		if !first {
			s.b = append(s.b, ',')
		}
		first = false
		s.node(c, text)
	}
	s.b = append(s.b, ']')
}

// extra writes back the members of a node this package does not know.
func (s *serializer) extra(obj jsontext.Value) {
	list, err := readAttrs(obj)
	if err != nil {
		return // not an object: nothing to keep
	}
	for _, a := range list {
		s.b = append(s.b, ',')
		s.quote(a.name)
		s.b = append(s.b, ':')
		s.b = append(s.b, a.json()...)
	}
}
