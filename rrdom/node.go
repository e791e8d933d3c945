// Package rrdom holds a tree of rrweb's serialised nodes and applies recorded
// rrweb events to it the way rrweb's replayer applies them to a live DOM, so
// the server can know the page at any moment of a recording: to build
// keyframes (synthetic full snapshots), to name a clicked element, or to
// compare two replays node for node.
//
// The tree follows @rrweb/replay 2.1.6 (the version the player ships),
// including its quirks: an added node whose parent is unknown waits in a queue
// and is dropped when the parent never comes, a removed node leaves the id map
// with its light-DOM descendants (not its shadow root's), and an add naming a
// node already in the map with the same description moves that node.
package rrdom

import (
	"maps"
	"slices"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

// NodeType is rrweb's serialised node type (rrweb-snapshot's NodeType).
type NodeType int

// rrweb's node types, numbered as rrweb numbers them.
const (
	Document     NodeType = 0
	DocumentType NodeType = 1
	Element      NodeType = 2
	Text         NodeType = 3
	CDATA        NodeType = 4
	Comment      NodeType = 5
)

func (t NodeType) valid() bool { return t >= Document && t <= Comment }

// Node is one node of the tree, as rrweb serialises it.
//
// A node whose ID is 0 has no id in rrweb's mirror: the replayer created it
// itself (the text of a textarea set through its value, the text an element
// got through textContent). Recorded events cannot name it; Serialize gives it
// a negative id, which recordings never use.
type Node struct {
	ID   int64
	Type NodeType

	// Document.
	CompatMode string
	// DocumentType.
	Name, PublicID, SystemID string

	// Element. Attributes holds string values as rrweb gives them; a value
	// that was not a JSON string (rr_scrollLeft is a number, rr_mediaMuted a
	// boolean) holds its JSON text here and is written back as it came.
	TagName      string
	Attributes   map[string]string
	IsSVG        bool
	NeedBlock    bool
	IsCustom     bool
	IsShadowHost bool // the element has a shadow root

	// Text, CDATA and Comment.
	TextContent string
	IsStyle     bool // a text node inside a <style>

	IsShadow bool  // the node is a child of its parent's shadow root
	RootID   int64 // the document of an iframe the node belongs to

	Parent *Node
	// Children are the node's children in document order: the light-DOM
	// children first, then the shadow root's (IsShadow). An iframe element's
	// only child, once its document is known, is that Document node.
	Children []*Node

	attrOrder []string                  // attribute names in the order they were set
	attrRaw   map[string]jsontext.Value // attribute values that were not JSON strings
	extra     jsontext.Value            // fields of the serialised node this package does not know
	meta      uint64                    // fingerprint of the node as it was built (rrweb's mirror meta)
	st        *nodeState                // what the replayer holds of the node besides the DOM

	// built is the text a text node was built with, kept once a text
	// mutation changes it: the mirror's meta still describes that text,
	// so a later add describing the node anew builds a new one (see
	// Tree.staleText). builtAttrs is the same for an element's
	// attributes, kept once one changes after tracked is set (when the
	// element is built).
	built      *string
	builtAttrs *attrSet
	tracked    bool

	// height is at least how many levels the node's subtree reaches below
	// it (0 for a leaf): raised as nodes go in, never lowered as they
	// leave, so it may overstate, never understate (see maxTreeDepth).
	height int
}

// attrSet is an element's attributes at one moment.
type attrSet struct {
	order []string
	vals  map[string]string
	raw   map[string]jsontext.Value
}

// keepBuiltAttrs remembers the attributes the element was built with,
// before the first change after it was built.
func (n *Node) keepBuiltAttrs() {
	if !n.tracked || n.builtAttrs != nil {
		return
	}
	b := &attrSet{order: slices.Clone(n.attrNames()), vals: maps.Clone(n.Attributes), raw: maps.Clone(n.attrRaw)}
	n.builtAttrs = b
}

// Attr returns an attribute's value and whether the element has it.
func (n *Node) Attr(name string) (string, bool) {
	v, ok := n.Attributes[name]
	return v, ok
}

// setAttr sets a string attribute, keeping the order names were first set in.
func (n *Node) setAttr(name, value string) {
	n.keepBuiltAttrs()
	if n.Attributes == nil {
		n.Attributes = map[string]string{}
	}
	if _, ok := n.Attributes[name]; !ok {
		n.attrOrder = append(n.attrOrder, name)
	}
	n.Attributes[name] = value
	delete(n.attrRaw, name)
}

// setRawAttr sets an attribute whose JSON value is not a string.
func (n *Node) setRawAttr(name string, raw jsontext.Value) {
	n.setAttr(name, string(raw))
	if n.attrRaw == nil {
		n.attrRaw = map[string]jsontext.Value{}
	}
	n.attrRaw[name] = raw
}

func (n *Node) removeAttr(name string) {
	if _, ok := n.Attributes[name]; !ok {
		return
	}
	n.keepBuiltAttrs()
	delete(n.Attributes, name)
	delete(n.attrRaw, name)
	if i := slices.Index(n.attrOrder, name); i >= 0 {
		n.attrOrder = slices.Delete(n.attrOrder, i, i+1)
	}
}

// attrNames returns the attribute names in the order they were set.
func (n *Node) attrNames() []string {
	if len(n.attrOrder) == len(n.Attributes) {
		return n.attrOrder
	}
	// Someone changed Attributes directly: keep what is known, then the rest sorted.
	var names []string
	for _, k := range n.attrOrder {
		if _, ok := n.Attributes[k]; ok {
			names = append(names, k)
		}
	}
	var rest []string
	for k := range n.Attributes {
		if !slices.Contains(names, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	return append(names, rest...)
}

// isIframe reports whether rrweb treats the node as an iframe, whose added
// children become its content document.
func (n *Node) isIframe() bool {
	return n.Type == Element && strings.EqualFold(n.TagName, "iframe")
}

func (n *Node) isTag(tag string) bool {
	return n.Type == Element && n.TagName == tag
}

// index returns the node's position among its parent's children, or -1.
func (n *Node) index() int {
	if n.Parent == nil {
		return -1
	}
	return slices.Index(n.Parent.Children, n)
}

// nextSibling returns the next node in the same child list (light or shadow).
func (n *Node) nextSibling() *Node {
	i := n.index()
	if i < 0 || i+1 >= len(n.Parent.Children) {
		return nil
	}
	s := n.Parent.Children[i+1]
	if s.IsShadow != n.IsShadow || s.Type == Document {
		return nil
	}
	return s
}

// detach takes the node out of its parent's children.
func (n *Node) detach() {
	if i := n.index(); i >= 0 {
		n.Parent.Children = slices.Delete(n.Parent.Children, i, i+1)
		styleChanged(n.Parent)
	}
	n.Parent = nil
}

// contains reports whether d is n or one of its descendants in the same DOM
// tree (not crossing into shadow roots or iframe documents, as Node.contains).
func (n *Node) contains(d *Node) bool {
	for ; d != nil; d = d.Parent {
		if d == n {
			return true
		}
		if d.IsShadow || d.Type == Document {
			return false
		}
	}
	return false
}

// depth returns how many levels deep n is: 1 for a node without a parent.
func (n *Node) depth() int {
	d := 0
	for ; n != nil; n = n.Parent {
		d++
	}
	return d
}

// raise records, in n and its ancestors, that n's subtree now reaches h
// levels below n. Every parent's height stays above its children's, so
// the walk up stops at the first ancestor already high enough.
func (n *Node) raise(h int) {
	for ; n != nil && n.height < h; n = n.Parent {
		n.height = h
		h++
	}
}

// isAncestorOf reports whether n is d or an ancestor of d across shadow roots
// and iframes: inserting n under d would make a cycle.
func (n *Node) isAncestorOf(d *Node) bool {
	for ; d != nil; d = d.Parent {
		if d == n {
			return true
		}
	}
	return false
}
