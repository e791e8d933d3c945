package rrdom

import (
	"bytes"
	"errors"

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
	buf  bytes.Buffer
	enc  *jsontext.Encoder
	next int64 // the next id for a node the mirror does not know
	fold bool  // write edited style sheets into their elements' text
}

func (s *serializer) serialize(n *Node) ([]byte, error) {
	s.buf.Reset()
	if s.enc == nil {
		s.enc = jsontext.NewEncoder(&s.buf, jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true))
	} else {
		s.enc.Reset(&s.buf, jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true))
	}
	if err := s.node(n, ""); err != nil {
		return nil, err
	}
	return bytes.Clone(bytes.TrimSuffix(s.buf.Bytes(), []byte{'\n'})), nil
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

func (s *serializer) str(name, v string) error {
	if err := s.enc.WriteToken(jsontext.String(name)); err != nil {
		return err
	}
	return s.enc.WriteToken(jsontext.String(v))
}

func (s *serializer) flag(name string, v bool) error {
	if !v {
		return nil
	}
	if err := s.enc.WriteToken(jsontext.String(name)); err != nil {
		return err
	}
	return s.enc.WriteToken(jsontext.True)
}

func (s *serializer) int(name string, v int64) error {
	if err := s.enc.WriteToken(jsontext.String(name)); err != nil {
		return err
	}
	return s.enc.WriteToken(jsontext.Int(v))
}

// node writes n; text, when not empty, stands for a text node's content
// (the folded text of its style sheet), and "\x00" for an emptied one.
func (s *serializer) node(n *Node, text string) error {
	e := s.enc
	if err := e.WriteToken(jsontext.BeginObject); err != nil {
		return err
	}
	if err := s.int("type", int64(n.Type)); err != nil {
		return err
	}
	switch n.Type {
	case Document:
		if err := s.children(n); err != nil {
			return err
		}
		if n.CompatMode != "" {
			if err := s.str("compatMode", n.CompatMode); err != nil {
				return err
			}
		}
	case DocumentType:
		for _, f := range [][2]string{{"name", n.Name}, {"publicId", n.PublicID}, {"systemId", n.SystemID}} {
			if err := s.str(f[0], f[1]); err != nil {
				return err
			}
		}
	case Element:
		if err := s.str("tagName", n.TagName); err != nil {
			return err
		}
		if err := e.WriteToken(jsontext.String("attributes")); err != nil {
			return err
		}
		if err := e.WriteToken(jsontext.BeginObject); err != nil {
			return err
		}
		folded := s.folds(n)
		_, cssText := n.Attributes["_cssText"]
		for _, name := range n.attrNames() {
			if err := e.WriteToken(jsontext.String(name)); err != nil {
				return err
			}
			if folded && cssText && name == "_cssText" {
				if err := e.WriteToken(jsontext.String(n.st.sheet.text())); err != nil {
					return err
				}
				continue
			}
			if err := e.WriteValue(n.attrJSON(name)); err != nil {
				return err
			}
		}
		if err := e.WriteToken(jsontext.EndObject); err != nil {
			return err
		}
		if err := s.children(n); err != nil {
			return err
		}
		if err := s.flag("isSVG", n.IsSVG); err != nil {
			return err
		}
		if err := s.flag("needBlock", n.NeedBlock); err != nil {
			return err
		}
		if err := s.flag("isCustom", n.IsCustom); err != nil {
			return err
		}
		if err := s.flag("isShadowHost", n.IsShadowHost); err != nil {
			return err
		}
	default:
		content := n.TextContent
		switch text {
		case "":
		case "\x00":
			content = ""
		default:
			content = text
		}
		if err := s.str("textContent", content); err != nil {
			return err
		}
		if err := s.flag("isStyle", n.IsStyle); err != nil {
			return err
		}
	}
	if err := s.flag("isShadow", n.IsShadow); err != nil {
		return err
	}
	if n.RootID != 0 {
		if err := s.int("rootId", n.RootID); err != nil {
			return err
		}
	}
	if len(n.extra) > 0 {
		if err := s.extra(n.extra); err != nil {
			return err
		}
	}
	id := n.ID
	if id == 0 {
		id = s.next
		s.next--
	}
	if err := s.int("id", id); err != nil {
		return err
	}
	return e.WriteToken(jsontext.EndObject)
}

func (s *serializer) children(n *Node) error {
	if err := s.enc.WriteToken(jsontext.String("childNodes")); err != nil {
		return err
	}
	if err := s.enc.WriteToken(jsontext.BeginArray); err != nil {
		return err
	}
	// An edited sheet folds into its element's first text child (the
	// others are emptied), unless _cssText holds it.
	fold := ""
	if _, cssText := n.Attributes["_cssText"]; s.folds(n) && !cssText {
		fold = n.st.sheet.text()
		if fold == "" {
			fold = "\x00"
		}
	}
	for _, c := range n.Children {
		if c.Type == Document && n.Type == Element {
			continue // an iframe's document travels on its own
		}
		text := ""
		if fold != "" && c.Type == Text && !c.IsShadow {
			text, fold = fold, "\x00"
		}
		if err := s.node(c, text); err != nil {
			return err
		}
	}
	return s.enc.WriteToken(jsontext.EndArray)
}

// extra writes back the members of a node this package does not know.
func (s *serializer) extra(obj jsontext.Value) error {
	list, err := readAttrs(obj)
	if err != nil {
		return nil // not an object: nothing to keep
	}
	for _, a := range list {
		if err := s.enc.WriteToken(jsontext.String(a.name)); err != nil {
			return err
		}
		if err := s.enc.WriteValue(a.raw); err != nil {
			return err
		}
	}
	return nil
}
