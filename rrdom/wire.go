package rrdom

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// wireNode is a serialised node as rrweb-snapshot writes it.
type wireNode struct {
	Type         *NodeType      `json:"type"`
	ID           *int64         `json:"id"`
	ChildNodes   []wireNode     `json:"childNodes,omitempty"`
	CompatMode   string         `json:"compatMode,omitempty"`
	Name         string         `json:"name,omitempty"`
	PublicID     string         `json:"publicId,omitempty"`
	SystemID     string         `json:"systemId,omitempty"`
	TagName      string         `json:"tagName,omitempty"`
	Attributes   attrList       `json:"attributes,omitempty"`
	IsSVG        bool           `json:"isSVG,omitempty"`
	NeedBlock    bool           `json:"needBlock,omitempty"`
	IsCustom     bool           `json:"isCustom,omitempty"`
	IsShadowHost bool           `json:"isShadowHost,omitempty"`
	IsShadow     bool           `json:"isShadow,omitempty"`
	TextContent  *string        `json:"textContent,omitempty"`
	IsStyle      bool           `json:"isStyle,omitempty"`
	RootID       int64          `json:"rootId,omitempty"`
	Extra        jsontext.Value `json:",unknown"`
}

// decodeOpts read JSON the way a browser's JSON.parse does: a lone surrogate
// escape or a repeated name is not an error there, so it is not one here.
var decodeOpts = json.JoinOptions(jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true))

func unmarshal(data []byte, v any) error { return json.Unmarshal(data, v, decodeOpts) }

// attr is one member of a JSON object (an element's attribute), in its
// JSON order: a string value decoded, any other kept as JSON.
type attr struct {
	name string
	str  string
	raw  jsontext.Value // nil when the value is a string
}

func (a attr) isString() bool      { return a.raw == nil }
func (a attr) stringValue() string { return a.str }

// json returns the value as JSON.
func (a attr) json() jsontext.Value {
	if a.raw != nil {
		return a.raw
	}
	v, _ := jsontext.AppendQuote(nil, a.str)
	return v
}

// attrList is a JSON object's members in order. It reads itself from the
// decoder of the value around it, so an event is read in one pass.
type attrList []attr

// UnmarshalJSONFrom reads a JSON object (or null).
func (l *attrList) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	switch k := dec.PeekKind(); k {
	case 'n':
		_, err := dec.ReadToken()
		*l = nil
		return err
	case '{':
	default:
		if _, err := dec.ReadValue(); err != nil {
			return err
		}
		return fmt.Errorf("attributes are a JSON %s, not an object", kindName(k))
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	out := (*l)[:0]
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		name := tok.String()
		if dec.PeekKind() == '"' {
			tok, err := dec.ReadToken()
			if err != nil {
				return err
			}
			out = append(out, attr{name: name, str: tok.String()})
			continue
		}
		v, err := dec.ReadValue()
		if err != nil {
			return err
		}
		out = append(out, attr{name: name, raw: v.Clone()})
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	*l = out
	return nil
}

// readAttrs reads a JSON object's members in order.
func readAttrs(v jsontext.Value) ([]attr, error) {
	if len(v) == 0 {
		return nil, nil
	}
	var l attrList
	if err := unmarshal(v, &l); err != nil {
		return nil, err
	}
	return l, nil
}

func kindName(k jsontext.Kind) string {
	switch k {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case '0':
		return "number"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "value"
}

// fingerprint stands for rrweb's isNodeMetaEqual: an add naming a node already
// in the mirror reuses (moves) that node when its description is the same as
// the one the node was built from.
func fingerprint(w *wireNode) uint64 {
	var text string
	if w.TextContent != nil {
		text = *w.TextContent
	}
	return hashNode(*w.Type, w.CompatMode, w.Name, w.PublicID, w.SystemID, text, w.TagName, w.Attributes, w.IsSVG, w.NeedBlock)
}

// nodeFingerprint is fingerprint for a node of the tree, as a keyframe would
// describe it.
func nodeFingerprint(n *Node) uint64 {
	var attrs []attr
	for _, name := range n.attrNames() {
		if raw, ok := n.attrRaw[name]; ok {
			attrs = append(attrs, attr{name: name, raw: raw})
		} else {
			attrs = append(attrs, attr{name: name, str: n.Attributes[name]})
		}
	}
	return hashNode(n.Type, n.CompatMode, n.Name, n.PublicID, n.SystemID, n.TextContent, n.TagName, attrs, n.IsSVG, n.NeedBlock)
}

func hashNode(typ NodeType, compat, name, public, system, text, tag string, attrs []attr, svg, block bool) uint64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(typ))
	h.Write(b[:])
	sep := []byte{0}
	switch typ {
	case Document:
		io.WriteString(h, compat)
	case DocumentType:
		for _, s := range []string{name, public, system} {
			io.WriteString(h, s)
			h.Write(sep)
		}
	case Text, Comment, CDATA:
		io.WriteString(h, text)
	case Element:
		io.WriteString(h, tag)
		h.Write(sep)
		for _, a := range attrs {
			io.WriteString(h, a.name)
			h.Write(sep)
			if a.raw == nil {
				h.Write([]byte{'s'})
				io.WriteString(h, a.str)
			} else {
				v := a.raw.Clone()
				_ = v.Canonicalize() // the same value however it was written
				h.Write(v)
			}
			h.Write(sep)
		}
		flags := []byte{0, 0}
		if svg {
			flags[0] = 1
		}
		if block {
			flags[1] = 1
		}
		h.Write(flags)
	}
	return h.Sum64()
}

// attrJSON returns an attribute's value as JSON.
func (n *Node) attrJSON(name string) jsontext.Value {
	if raw, ok := n.attrRaw[name]; ok {
		return raw
	}
	v, _ := jsontext.AppendQuote(nil, n.Attributes[name])
	return v
}
