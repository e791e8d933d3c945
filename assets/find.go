package assets

import (
	"bytes"
	"net/url"
	"slices"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/playhead/playhead/internal/jsonstr"
)

// A Finder looks for asset references in JSON values as they are read from
// a jsontext.Decoder, so that a caller reading an event for its own ends
// (ingest validates, indexes and scrubs it) finds its assets in the same
// pass. README.md lists where it looks. The zero Finder finds absolute
// references only.
type Finder struct {
	// Page is what relative references resolve against; nil leaves them out.
	Page *url.URL
	// Text, when set, sees every string value read (member names are not
	// values), quoted as in the input, with end, where it ends (Offset
	// plus the decoder's offset after it). It may replace the value: it
	// then returns the replacement's text and true, and references are
	// looked for in that text, not the input's.
	Text func(raw jsontext.Value, end int64) (string, bool)
	// Offset is added to the decoder's offsets: where its input starts.
	Offset int64

	found []foundText
}

// foundText is one JSON string that holds asset references.
type foundText struct {
	start, end int64 // the string in the input, quotes included
	refs       []urlRef
}

// URLs returns the absolute URLs of the references found so far, without
// duplicates, in the order of the input.
func (f *Finder) URLs() []string {
	f.sort()
	var out []string
	seen := map[string]bool{}
	for _, t := range f.found {
		for _, r := range t.refs {
			if !seen[r.abs] {
				seen[r.abs] = true
				out = append(out, r.abs)
			}
		}
	}
	return out
}

// Found reports whether any reference was found so far.
func (f *Finder) Found() bool { return len(f.found) > 0 }

// sort puts what was found in the order of the input: an element's
// attributes are resolved when its object ends, after what its children
// held.
func (f *Finder) sort() {
	slices.SortStableFunc(f.found, func(a, b foundText) int { return int(a.start - b.start) })
}

// Value reads the next value from dec, whole, looking for references in it.
func (f *Finder) Value(dec *jsontext.Decoder) error {
	switch dec.PeekKind() {
	case '{':
		return f.object(dec)
	case '[':
		if _, err := dec.ReadToken(); err != nil {
			return err
		}
		for dec.PeekKind() != ']' {
			if err := f.Value(dec); err != nil {
				return err
			}
		}
		_, err := dec.ReadToken()
		return err
	case '"':
		_, _, _, err := f.str(dec, false)
		return err
	default:
		_, err := dec.ReadValue()
		return err
	}
}

// Member reads the value of a member named name of an object that is not
// a serialized node (an event's data), looking for references in it.
func (f *Finder) Member(name []byte, dec *jsontext.Decoder) error {
	var node nodeState
	if err := f.member(name, dec, &node); err != nil {
		return err
	}
	f.resolve(&node)
	return nil
}

// nodeState is what an object's members say about how to read the others:
// a serialized node's tagName and isStyle, and the strings that wait for
// them.
type nodeState struct {
	tag         string
	isStyle     bool
	textContent *pendingText
	attrs       []pendingText
	rel, as     string
}

// pendingText is a string whose reading depends on members not yet read.
type pendingText struct {
	name       string // the attribute's name, in small letters
	text       string
	start, end int64
}

func (f *Finder) object(dec *jsontext.Decoder) error {
	var node nodeState
	if err := jsonstr.Members(dec, func(name []byte) error { return f.member(name, dec, &node) }); err != nil {
		return err
	}
	f.resolve(&node)
	return nil
}

func (f *Finder) member(name []byte, dec *jsontext.Decoder, node *nodeState) error {
	kind := dec.PeekKind()
	switch {
	case string(name) == "tagName" && kind == '"':
		text, _, _, err := f.str(dec, true)
		node.tag = strings.ToLower(text)
		return err
	case string(name) == "isStyle" && kind == 't':
		node.isStyle = true
		_, err := dec.ReadValue()
		return err
	case string(name) == "attributes" && kind == '{':
		// A serialized element's attributes (with its tagName beside
		// them), or a mutation's changed attributes (without).
		return f.attributes(dec, node)
	case kind == '"' && isCSSKey(name):
		return f.text(dec, kindCSS)
	case string(name) == "textContent" && kind == '"':
		// The text of a <style> element when the node says isStyle.
		text, start, end, err := f.str(dec, true)
		node.textContent = &pendingText{text: text, start: start, end: end}
		return err
	case string(name) == "set" && kind == '{':
		return f.declaration(dec)
	}
	return f.Value(dec)
}

// attributes reads one element's attributes: style objects at once, the
// strings once the element's tag name is known.
func (f *Finder) attributes(dec *jsontext.Decoder, node *nodeState) error {
	return jsonstr.Members(dec, func(raw []byte) error {
		name := attrName(raw)
		switch kind := dec.PeekKind(); {
		case name == "style" && kind == '{':
			return f.styleObject(dec)
		case kind == '"' && name != "":
			var p pendingText
			var err error
			p.text, p.start, p.end, err = f.str(dec, true)
			p.name = name
			switch name {
			case "rel":
				node.rel = strings.ToLower(p.text)
			case "as":
				node.as = strings.ToLower(p.text)
			default:
				node.attrs = append(node.attrs, p)
			}
			return err
		}
		return f.Value(dec)
	})
}

// resolve looks for references in the strings that waited for the rest of
// their object.
func (f *Finder) resolve(node *nodeState) {
	if t := node.textContent; t != nil && node.isStyle {
		f.refs(t.text, t.start, t.end, kindCSS)
	}
	for _, a := range node.attrs {
		switch a.name {
		case "src":
			// Replay never runs scripts and rebuilds frames from their own
			// snapshots, so their sources are not assets.
			if node.tag != "script" && node.tag != "iframe" && node.tag != "frame" {
				f.refs(a.text, a.start, a.end, kindURL)
			}
		case "poster":
			f.refs(a.text, a.start, a.end, kindURL)
		case "srcset", "imagesrcset":
			f.refs(a.text, a.start, a.end, kindSrcset)
		case "href", "xlink:href":
			if hrefIsAsset(node.tag, node.rel, node.as, a.text) {
				f.refs(a.text, a.start, a.end, kindURL)
			}
		case "style", "_csstext":
			f.refs(a.text, a.start, a.end, kindCSS)
		}
	}
}

// styleObject reads a mutation's style attribute change, which rrweb
// records as {"property": "value" | ["value", "important"] | false}.
func (f *Finder) styleObject(dec *jsontext.Decoder) error {
	return jsonstr.Members(dec, func([]byte) error {
		switch dec.PeekKind() {
		case '"':
			return f.text(dec, kindCSS)
		case '[':
			dec.ReadToken()
			var err error
			if dec.PeekKind() == '"' {
				err = f.text(dec, kindCSS)
			}
			for err == nil && dec.PeekKind() != ']' {
				err = f.Value(dec)
			}
			if err == nil {
				_, err = dec.ReadToken()
			}
			return err
		}
		return f.Value(dec)
	})
}

// declaration reads a StyleDeclaration change's "set": its value is one CSS
// value when the object names a property.
func (f *Finder) declaration(dec *jsontext.Decoder) error {
	var value *pendingText
	property := false
	err := jsonstr.Members(dec, func(name []byte) error {
		if string(name) == "value" && dec.PeekKind() == '"' {
			var p pendingText
			var err error
			p.text, p.start, p.end, err = f.str(dec, true)
			value = &p
			return err
		}
		if string(name) == "property" {
			property = true
		}
		return f.Value(dec)
	})
	if value != nil && property {
		f.refs(value.text, value.start, value.end, kindCSS)
	}
	return err
}

// text reads a string that holds references of the given kind.
func (f *Finder) text(dec *jsontext.Decoder, kind textKind) error {
	text, start, end, err := f.str(dec, true)
	if err == nil {
		f.refs(text, start, end, kind)
	}
	return err
}

// str reads a string value and, when decode is set, returns its text (what
// Text replaced it with, if it did) and where it is in the input.
func (f *Finder) str(dec *jsontext.Decoder, decode bool) (string, int64, int64, error) {
	raw, err := dec.ReadValue()
	if err != nil {
		return "", 0, 0, err
	}
	end := f.Offset + dec.InputOffset()
	start := end - int64(len(raw))
	if f.Text != nil {
		if text, ok := f.Text(raw, end); ok {
			return text, start, end, nil
		}
	}
	if !decode {
		return "", start, end, nil
	}
	return jsonstr.Text(raw), start, end, nil
}

// isCSSKey reports whether a member's name is one of cssKeys.
func isCSSKey(name []byte) bool {
	for _, k := range cssKeys {
		if string(name) == k {
			return true
		}
	}
	return false
}

// attrNames are the attribute names a Finder reads; attrName returns the
// one name is, in any case, or "".
var attrNames = []string{"rel", "as", "src", "poster", "srcset", "imagesrcset", "href", "xlink:href", "style", "_csstext"}

func attrName(name []byte) string {
	for _, n := range attrNames {
		if len(name) == len(n) && bytes.EqualFold(name, []byte(n)) {
			return n
		}
	}
	return ""
}

// refs records the references text holds, if any.
func (f *Finder) refs(text string, start, end int64, kind textKind) {
	var refs []urlRef
	switch kind {
	case kindURL:
		refs = appendRef(refs, text, 0, len(text), kind, f.Page)
	case kindSrcset:
		for _, c := range srcsetURLs(text) {
			refs = appendRef(refs, text, c[0], c[1], kind, f.Page)
		}
	case kindCSS:
		for _, r := range scanCSS(text) {
			if abs, frag, ok := absURL(r.value, f.Page); ok {
				refs = append(refs, urlRef{start: r.start, end: r.end, abs: abs, frag: frag, kind: kind, quote: r.quote})
			}
		}
	}
	if len(refs) > 0 {
		f.found = append(f.found, foundText{start: start, end: end, refs: refs})
	}
}
