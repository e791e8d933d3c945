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
// "node" of a FullSnapshot event's data). As in rrweb, an iframe's document
// is not part of it: IframeDocuments returns those.
func (t *Tree) Serialize() ([]byte, error) {
	if t.root == nil {
		return nil, errors.New("serialize: no full snapshot applied yet")
	}
	return SerializeNode(t.root)
}

// SerializeNode returns one node and its descendants as rrweb serialises
// them, without the documents of the iframes inside.
func SerializeNode(n *Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := jsontext.NewEncoder(&buf, jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true))
	s := serializer{enc: enc, next: anonymousID}
	if err := s.node(n); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

type serializer struct {
	enc  *jsontext.Encoder
	next int64
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

func (s *serializer) node(n *Node) error {
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
		for _, name := range n.attrNames() {
			if err := e.WriteToken(jsontext.String(name)); err != nil {
				return err
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
		if err := s.str("textContent", n.TextContent); err != nil {
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
	for _, c := range n.Children {
		if c.Type == Document && n.Type == Element {
			continue // an iframe's document travels on its own
		}
		if err := s.node(c); err != nil {
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
