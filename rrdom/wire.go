package rrdom

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/fnv"

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
	Attributes   jsontext.Value `json:"attributes,omitempty"`
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

// attr is one attribute of a serialised element, in its JSON order.
type attr struct {
	name string
	raw  jsontext.Value // the JSON value
}

func (a attr) isString() bool { return a.raw.Kind() == '"' }

// stringValue returns a string value's text.
func (a attr) stringValue() string {
	var s string
	_ = unmarshal(a.raw, &s) // a.raw is a JSON string token: it decodes
	return s
}

// readAttrs reads a JSON object's members in order.
func readAttrs(v jsontext.Value) ([]attr, error) {
	if len(v) == 0 || v.Kind() == 'n' {
		return nil, nil
	}
	dec := jsontext.NewDecoder(bytes.NewReader(v), decodeOpts)
	tok, err := dec.ReadToken()
	if err != nil {
		return nil, err
	}
	if tok.Kind() != '{' {
		return nil, fmt.Errorf("attributes are a JSON %s, not an object", kindName(tok.Kind()))
	}
	var out []attr
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, err
		}
		name := tok.String()
		val, err := dec.ReadValue()
		if err != nil {
			return nil, err
		}
		out = append(out, attr{name: name, raw: jsontext.Value(append([]byte(nil), val...))})
	}
	return out, nil
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
func fingerprint(w *wireNode, attrs []attr) uint64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(*w.Type))
	h.Write(b[:])
	sep := []byte{0}
	switch *w.Type {
	case Document:
		h.Write([]byte(w.CompatMode))
	case DocumentType:
		for _, s := range []string{w.Name, w.PublicID, w.SystemID} {
			h.Write([]byte(s))
			h.Write(sep)
		}
	case Text, Comment, CDATA:
		if w.TextContent != nil {
			h.Write([]byte(*w.TextContent))
		}
	case Element:
		h.Write([]byte(w.TagName))
		h.Write(sep)
		for _, a := range attrs {
			h.Write([]byte(a.name))
			h.Write(sep)
			v := a.raw.Clone()
			_ = v.Canonicalize() // the same value however it was escaped
			h.Write(v)
			h.Write(sep)
		}
		flags := []byte{0, 0}
		if w.IsSVG {
			flags[0] = 1
		}
		if w.NeedBlock {
			flags[1] = 1
		}
		h.Write(flags)
	}
	return h.Sum64()
}

// nodeFingerprint is fingerprint for a node of the tree, as a keyframe would
// describe it.
func nodeFingerprint(n *Node) uint64 {
	w := wireNode{Type: &n.Type, CompatMode: n.CompatMode, Name: n.Name, PublicID: n.PublicID,
		SystemID: n.SystemID, TagName: n.TagName, IsSVG: n.IsSVG, NeedBlock: n.NeedBlock}
	text := n.TextContent
	w.TextContent = &text
	var attrs []attr
	if n.Type == Element {
		for _, name := range n.attrNames() {
			attrs = append(attrs, attr{name: name, raw: n.attrJSON(name)})
		}
	}
	return fingerprint(&w, attrs)
}

// attrJSON returns an attribute's value as JSON.
func (n *Node) attrJSON(name string) jsontext.Value {
	if raw, ok := n.attrRaw[name]; ok {
		return raw
	}
	v, _ := jsontext.AppendQuote(nil, n.Attributes[name])
	return v
}
