package rrdom

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

// rrweb's event types (@rrweb/types EventType).
const (
	EventDomContentLoaded = 0
	EventLoad             = 1
	EventFullSnapshot     = 2
	EventIncremental      = 3
	EventMeta             = 4
	EventCustom           = 5
	EventPlugin           = 6
)

// rrweb's incremental sources (@rrweb/types IncrementalSource).
const (
	SourceMutation          = 0
	SourceMouseMove         = 1
	SourceMouseInteraction  = 2
	SourceScroll            = 3
	SourceViewportResize    = 4
	SourceInput             = 5
	SourceTouchMove         = 6
	SourceMediaInteraction  = 7
	SourceStyleSheetRule    = 8
	SourceCanvasMutation    = 9
	SourceFont              = 10
	SourceLog               = 11
	SourceDrag              = 12
	SourceStyleDeclaration  = 13
	SourceSelection         = 14
	SourceAdoptedStyleSheet = 15
	SourceCustomElement     = 16
)

// Tree is the page a recording shows at one moment: its document and every
// node rrweb's replayer would hold in its mirror.
type Tree struct {
	root *Node
	ids  map[int64]*Node

	// pendingDocs are iframe documents whose iframe was not built yet; the
	// replayer attaches them when an iframe with that id appears.
	pendingDocs []wireAdd

	// now is the timestamp of the event being applied.
	now float64

	// What else the replayer holds: constructed style sheets by styleId
	// (its styleMirror), the web fonts added to the page, the last Meta
	// and viewport size, the selection, the mouse and the focus.
	sheets    map[int64]*styleSheet
	fonts     []jsontext.Value
	meta      jsontext.Value
	viewport  *[2]jsontext.Value
	selection jsontext.Value
	mouse     *mousePos
	mouseData []byte // the data of the last mouse move, when it came last
	focus     *Node
	// ts is the timestamp of the last event applied.
	ts float64
}

// NewTree returns an empty tree, waiting for a full snapshot.
func NewTree() *Tree {
	return &Tree{ids: map[int64]*Node{}, sheets: map[int64]*styleSheet{}}
}

// Root returns the document of the last full snapshot, or nil before one.
func (t *Tree) Root() *Node { return t.root }

// Node returns the node rrweb's mirror holds under id, or nil. The node may
// be detached from the document (rrweb keeps some removed nodes in its map).
func (t *Tree) Node(id int64) *Node { return t.ids[id] }

// Len returns how many nodes the id map holds.
func (t *Tree) Len() int { return len(t.ids) }

// Apply applies one rrweb event (its JSON) to the tree. Events that do not
// change the page (console messages, custom events) are accepted and change
// nothing. An event that is not valid rrweb JSON, or of a type rrweb does
// not define, is an error and leaves the tree as it was before it.
func (t *Tree) Apply(event json.RawMessage) error {
	h, err := ReadHeader(event)
	if err != nil {
		return err
	}
	switch h.Type {
	case EventDomContentLoaded, EventLoad, EventCustom, EventPlugin:
	case EventMeta:
		if len(h.data) == 0 || h.data[0] != '{' {
			return errors.New("meta: data is not an object")
		}
		t.meta, t.viewport = jsontext.Value(h.data).Clone(), nil
	case EventFullSnapshot:
		err = t.applyFullSnapshot(h.data, h.Timestamp)
	case EventIncremental:
		err = t.applyIncremental(h.Source, h.data, h.Timestamp)
	default:
		return fmt.Errorf("rrweb event: unknown type %d (rrweb's types are 0 to 6)", h.Type)
	}
	if err == nil {
		t.ts = h.Timestamp
	}
	return err
}

func (t *Tree) applyFullSnapshot(data jsontext.Value, ts float64) error {
	var d struct {
		Node          *wireNode `json:"node"`
		InitialOffset *struct {
			Left jsontext.Value `json:"left"`
			Top  jsontext.Value `json:"top"`
		} `json:"initialOffset"`
	}
	if err := unmarshal(data, &d); err != nil {
		return fmt.Errorf("full snapshot: %w", err)
	}
	if d.Node == nil {
		return errors.New("full snapshot: no node")
	}
	if err := validate(d.Node, true); err != nil {
		return fmt.Errorf("full snapshot: %w", err)
	}
	if *d.Node.Type != Document {
		return fmt.Errorf("full snapshot: the root node is of type %d, not a document (0)", *d.Node.Type)
	}
	t.ids = map[int64]*Node{}
	t.sheets = map[int64]*styleSheet{}
	t.focus = nil
	t.root = t.build(d.Node, false, maxTreeDepth-1)
	if t.root.Parent != nil {
		t.root.detach() // a description naming the document inside itself put it there
	}
	if o := d.InitialOffset; o != nil && len(o.Left) > 0 && len(o.Top) > 0 {
		t.root.state().scroll = &scrollState{x: o.Left, y: o.Top}
	}
	// The replayer's MediaManager starts with the media of a snapshot.
	var walk func(n *Node)
	walk = func(n *Node) {
		if n.isTag("audio") || n.isTag("video") {
			n.state().media = mediaFromAttributes(n, ts)
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(t.root)
	t.applyDialogs(t.root)
	return nil
}

// validate checks what build relies on, so build cannot fail half way.
func validate(w *wireNode, withChildren bool) error {
	if w.Type == nil {
		return errors.New("node without a type")
	}
	if !w.Type.valid() {
		return fmt.Errorf("node of unknown type %d (rrweb's node types are 0 to 5)", *w.Type)
	}
	if w.ID == nil {
		return errors.New("node without an id")
	}
	if *w.Type == Element && w.TagName == "" {
		return fmt.Errorf("element %d without a tag name", *w.ID)
	}
	if withChildren {
		for i := range w.ChildNodes {
			if err := validate(&w.ChildNodes[i], true); err != nil {
				return err
			}
		}
	}
	return nil
}

// build makes a node from its serialised form (validated) and maps it, as
// rrweb-snapshot's buildNodeWithSN does; with children unless skipChild, and
// no deeper than room levels below it (see maxTreeDepth): a child that
// would reach further is left out, and a mapped node it would reuse stays
// where it is.
func (t *Tree) build(w *wireNode, skipChild bool, room int) *Node {
	meta := fingerprint(w)
	if old := t.ids[*w.ID]; old != nil && old.meta == meta {
		// rrweb reuses a mapped node the description matches, as it is:
		// its children are not built again.
		return old
	}
	attrs := w.Attributes
	n := &Node{
		ID: *w.ID, Type: *w.Type,
		CompatMode: w.CompatMode, Name: w.Name, PublicID: w.PublicID, SystemID: w.SystemID,
		TagName: w.TagName, IsSVG: w.IsSVG, NeedBlock: w.NeedBlock, IsCustom: w.IsCustom,
		IsShadowHost: w.IsShadowHost, IsShadow: w.IsShadow, IsStyle: w.IsStyle, RootID: w.RootID,
		extra: w.Extra,
		meta:  meta,
	}
	if w.TextContent != nil {
		n.TextContent = *w.TextContent
	}
	if n.Type == Element {
		n.Attributes = make(map[string]string, len(attrs))
		for _, a := range attrs {
			if a.isString() {
				n.setAttr(a.name, a.stringValue())
			} else {
				n.setRawAttr(a.name, a.raw)
			}
		}
	}
	n.tracked = n.Type == Element
	if old := t.ids[n.ID]; old != nil {
		old.ID = 0 // still in the page, no longer in the mirror
	}
	t.ids[n.ID] = n
	if skipChild || (n.Type != Document && n.Type != Element) {
		return n
	}
	var cssSplits []string
	if css, ok := n.Attributes["_cssText"]; ok && n.isStyleSheetElement() && hasTextChild(w) {
		// rrweb writes the text of a style whose sheet it read into
		// _cssText and rebuilds it into the text children.
		cssSplits = splitCSS(css, w)
		n.removeAttr("_cssText")
	}
	texts := 0
	for i := range w.ChildNodes {
		if room < 1 {
			break // deeper than a tree goes
		}
		cw := &w.ChildNodes[i]
		c := t.build(cw, false, room-1)
		if c == n || c.isAncestorOf(n) {
			continue // a reused node cannot go under itself
		}
		if c.height >= room {
			continue // a reused subtree that would reach too deep here
		}
		c.detach()
		if c.Type == Text && cssSplits != nil {
			if texts < len(cssSplits) {
				c.TextContent = cssSplits[texts]
			}
			texts++
		}
		shadow := c.IsShadow && n.IsShadowHost
		c.IsShadow = shadow
		if n.isIframe() && c.Type == Document {
			// Not what rrweb records (an iframe's document comes in a
			// mutation), but a tree this package wrote may hold it.
			n.appendChild(c, false)
			continue
		}
		n.appendChild(c, shadow)
	}
	return n
}

func hasTextChild(w *wireNode) bool {
	for i := range w.ChildNodes {
		if *w.ChildNodes[i].Type == Text {
			return true
		}
	}
	return false
}

// splitCSS cuts _cssText at rrweb's split markers into one text per text
// child, as rrweb-snapshot's applyCssSplits does.
func splitCSS(css string, w *wireNode) []string {
	texts := 0
	for i := range w.ChildNodes {
		if *w.ChildNodes[i].Type == Text {
			texts++
		}
	}
	parts := strings.Split(css, "/* rr_split */")
	for len(parts) > 1 && len(parts) > texts {
		parts = append(parts[:len(parts)-2], parts[len(parts)-2]+parts[len(parts)-1])
	}
	return parts
}

// isStyleSheetElement reports whether the element is one rrweb inlines a
// sheet into (_cssText): a <style>, or a <link> rebuilt as one.
func (n *Node) isStyleSheetElement() bool {
	return n.isTag("style") || n.isTag("link")
}

// maxTreeDepth bounds how many levels deep the tree grows, iframes'
// documents included. Its walks recurse once a level, and a client can
// stack levels cheaply (add a node, move the chain under it): millions of
// levels would exhaust the stack, which ends the process, and a keyframe
// of more than about 5,000 would nest deeper than the JSON reader takes.
// Pages nest tens of levels. An add that would reach deeper is dropped, a
// snapshot's or a document's nodes deeper than it are left out: each
// node's height (see Node.height) says how deep a subtree reaches without
// walking it.
const maxTreeDepth = 4000

// appendChild appends c to n's light children, or to its shadow root's,
// taking it from where it was.
func (n *Node) appendChild(c *Node, shadow bool) {
	if c.Parent != nil {
		c.detach()
	}
	styleChanged(n)
	c.IsShadow = shadow
	c.Parent = n
	n.raise(c.height + 1)
	// after the last child of its segment or an earlier one (children are
	// in segment order; looking from the end, an append costs one look)
	at := len(n.Children)
	for at > 0 && segment(n.Children[at-1]) > segment(c) {
		at--
	}
	n.Children = slices.Insert(n.Children, at, c)
}

// insertBefore inserts c into ref's child list, before ref, taking it
// from where it was.
func (n *Node) insertBefore(c, ref *Node) {
	if c.Parent != nil {
		c.detach()
	}
	styleChanged(n)
	c.IsShadow = ref.IsShadow
	c.Parent = n
	n.raise(c.height + 1)
	n.Children = slices.Insert(n.Children, ref.index(), c)
}

// segment orders a node's children: light DOM, shadow root, content document.
func segment(c *Node) int {
	switch {
	case c.Type == Document:
		return 2
	case c.IsShadow:
		return 1
	}
	return 0
}

// unmap removes a node and its light-DOM descendants from the id map, as
// rrweb's Mirror.removeNodeFromMap does (a shadow root's children and an
// iframe's document stay mapped).
func (t *Tree) unmap(n *Node) {
	if n.ID != 0 && t.ids[n.ID] == n {
		delete(t.ids, n.ID)
		n.ID = 0
	}
	for _, c := range n.Children {
		if c.IsShadow || c.Type == Document {
			continue
		}
		t.unmap(c)
	}
}

// unmapAll removes a node and everything under it from the id map.
func (t *Tree) unmapAll(n *Node) {
	if n.ID != 0 && t.ids[n.ID] == n {
		delete(t.ids, n.ID)
		n.ID = 0
	}
	for _, c := range n.Children {
		t.unmapAll(c)
	}
}

// attached reports whether n is in the document (not in a detached subtree).
func (t *Tree) attached(n *Node) bool {
	for ; n != nil; n = n.Parent {
		if n == t.root {
			return true
		}
	}
	return false
}
