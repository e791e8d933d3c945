package rrdom

import (
	"errors"
	"fmt"
	"slices"

	"github.com/go-json-experiment/json/jsontext"
)

type wireAdd struct {
	ParentID   int64    `json:"parentId"`
	NextID     *int64   `json:"nextId"`
	PreviousID *int64   `json:"previousId"`
	Node       wireNode `json:"node"`
}

type wireRemove struct {
	ParentID int64 `json:"parentId"`
	ID       int64 `json:"id"`
	IsShadow bool  `json:"isShadow"`
}

type wireText struct {
	ID    int64   `json:"id"`
	Value *string `json:"value"`
}

type wireAttrs struct {
	ID         int64    `json:"id"`
	Attributes attrList `json:"attributes"`
}

type wireMutation struct {
	Texts      []wireText   `json:"texts"`
	Attributes []wireAttrs  `json:"attributes"`
	Removes    []wireRemove `json:"removes"`
	Adds       []wireAdd    `json:"adds"`
}

func (t *Tree) applyIncremental(source int, data jsontext.Value, ts float64) error {
	switch source {
	case SourceMutation:
		var m wireMutation
		if err := unmarshal(data, &m); err != nil {
			return fmt.Errorf("mutation: %w", err)
		}
		t.now = ts
		return t.applyMutation(&m)
	case SourceMouseMove, SourceTouchMove, SourceDrag:
		// Only the last position counts: read it when it is asked for.
		t.mouse, t.mouseData = nil, append(t.mouseData[:0], data...)
		return nil
	case SourceLog, SourceCanvasMutation, SourceCustomElement:
		return nil // Playhead's player replays neither canvas nor custom elements
	}
	if source < 0 || source > SourceCustomElement {
		return fmt.Errorf("incremental snapshot: unknown source %d (rrweb's sources are 0 to %d)", source, SourceCustomElement)
	}
	return t.applyState(source, data, ts)
}

// errAbort stands for a DOM exception rrweb's replayer does not catch: the
// rest of the mutation is not applied.
var errAbort = errors.New("DOM exception")

func (t *Tree) applyMutation(m *wireMutation) error {
	for i := range m.Adds {
		if err := validate(&m.Adds[i].Node, true); err != nil {
			return fmt.Errorf("mutation: add: %w", err)
		}
	}
	attrs := make([][]attr, len(m.Attributes))
	for i, a := range m.Attributes {
		attrs[i] = a.Attributes
	}
	if t.root == nil {
		return nil // before the first full snapshot the replayer has no page
	}
	if err := t.mutate(m, attrs); err != nil && !errors.Is(err, errAbort) {
		return err
	}
	return nil
}

func (t *Tree) mutate(m *wireMutation, attrs [][]attr) error {
	// Removes: those naming an unknown node are dropped first, then each
	// leaves the map whether or not its parent really held it.
	var removes []wireRemove
	for _, r := range m.Removes {
		if t.ids[r.ID] != nil {
			removes = append(removes, r)
		}
	}
	for _, r := range removes {
		target := t.ids[r.ID]
		if target == nil {
			continue // an ancestor went before it
		}
		parent := t.ids[r.ParentID]
		if parent == nil {
			continue
		}
		shadow := r.IsShadow && parent.IsShadowHost
		t.unmap(target)
		if target.Parent == parent && target.IsShadow == shadow && target.Type != Document {
			target.detach()
		}
	}

	var queue []*wireAdd
	var abort error
	applied := 0
	appendNode := func(a *wireAdd) {
		if abort != nil {
			return
		}
		queued := len(queue)
		if err := t.appendNode(a, &queue); err != nil {
			abort = err
		}
		if len(queue) == queued {
			applied++
		}
	}
	for i := range m.Adds {
		appendNode(&m.Adds[i])
	}
	// The replayer gives up on what is left after 500 ms; here a bound on
	// the adds tried again stands for it: adds chained by nextId in the
	// worst order place one a pass, a cost that grows with their square.
	retried := 0
	for len(queue) > 0 && abort == nil && retried < maxRetriedAdds {
		retried += len(queue)
		trees := resolveTrees(queue)
		queue = nil
		applied = 0
		for _, rt := range trees {
			if t.ids[rt.add.ParentID] == nil {
				continue // dropped: its parent never came
			}
			rt.each(appendNode)
		}
		// When a pass places nothing, the replayer loops on the same adds
		// until its 500 ms timeout and drops them: stop here instead.
		if applied == 0 {
			break
		}
	}
	if abort != nil {
		return abort
	}

	// Texts: the last value for each node wins.
	seen := map[int64]bool{}
	for i := len(m.Texts) - 1; i >= 0; i-- {
		tx := m.Texts[i]
		if seen[tx.ID] {
			continue
		}
		seen[tx.ID] = true
		target := t.ids[tx.ID]
		if target == nil {
			continue
		}
		value := ""
		if tx.Value != nil {
			value = *tx.Value
		}
		t.setTextContent(target, value)
	}

	for i, a := range m.Attributes {
		target := t.ids[a.ID]
		if target == nil || target.Type != Element {
			continue
		}
		t.setAttributes(target, attrs[i])
	}
	return nil
}

// resolveTree is rrweb's ResolveTree: queued adds arranged by parent and
// next sibling so a parent is placed before its children.
type resolveTree struct {
	add      *wireAdd
	parent   *resolveTree
	children []*resolveTree
}

// resolveTrees is rrweb's queueToResolveTrees.
func resolveTrees(queue []*wireAdd) []*resolveTree {
	byID := map[int64]*resolveTree{}
	put := func(a *wireAdd, parent *resolveTree) *resolveTree {
		rt := &resolveTree{add: a, parent: parent}
		byID[*a.Node.ID] = rt
		return rt
	}
	var roots []*resolveTree
	for _, a := range queue {
		if a.NextID != nil && *a.NextID != 0 {
			if next, ok := byID[*a.NextID]; ok {
				if next.parent != nil {
					i := slices.Index(next.parent.children, next)
					next.parent.children = slices.Insert(next.parent.children, i, put(a, next.parent))
				} else {
					i := slices.Index(roots, next)
					roots = slices.Insert(roots, i, put(a, nil))
				}
				continue
			}
		}
		if p, ok := byID[a.ParentID]; ok {
			p.children = append(p.children, put(a, p))
			continue
		}
		roots = append(roots, put(a, nil))
	}
	return roots
}

// each is rrweb's iterateResolveTree: the node, then its children last first.
func (rt *resolveTree) each(f func(*wireAdd)) {
	f(rt.add)
	for i := len(rt.children) - 1; i >= 0; i-- {
		rt.children[i].each(f)
	}
}

// appendNode applies one add as the replayer's appendNode does.
func (t *Tree) appendNode(a *wireAdd, queue *[]*wireAdd) error {
	parent := t.ids[a.ParentID]
	if parent == nil {
		if *a.Node.Type == Document {
			t.pendingDocs = append(t.pendingDocs, *a)
			return nil
		}
		*queue = append(*queue, a)
		return nil
	}
	shadow := false
	if a.Node.IsShadow {
		parent.IsShadowHost = true // attachShadow when the host had none
		shadow = true
	}
	var previous, next *Node
	if a.PreviousID != nil && *a.PreviousID != 0 {
		previous = t.ids[*a.PreviousID]
	}
	if a.NextID != nil && *a.NextID != 0 {
		next = t.ids[*a.NextID]
	}
	if a.NextID != nil && *a.NextID != -1 && next == nil {
		*queue = append(*queue, a)
		return nil
	}
	if a.Node.RootID != 0 && t.ids[a.Node.RootID] == nil {
		return nil
	}
	if parent.isIframe() {
		t.attachDocument(a, parent)
		return nil
	}
	target := t.buildAdded(&a.Node)
	if target == nil {
		return nil
	}
	if (a.PreviousID != nil && *a.PreviousID == -1) || (a.NextID != nil && *a.NextID == -1) {
		// Legacy recordings: built and mapped, never inserted.
		return nil
	}

	switch {
	case parent.Type == Element && target.Type == Text:
		if parent.isTag("textarea") {
			// A textarea keeps one text node: its value.
			parent.removeAttr("value")
			for _, c := range append([]*Node(nil), parent.Children...) {
				if c.Type == Text && !c.IsShadow {
					c.detach()
				}
			}
		} else if parent.isTag("style") && len(parent.Children) == 0 {
			// The unmapped text rebuilt from _cssText gives the new text
			// node its content and goes.
			if css, ok := parent.Attributes["_cssText"]; ok {
				target.TextContent = css
				parent.removeAttr("_cssText")
			}
		}
	case parent.Type == Document:
		for _, c := range append([]*Node(nil), parent.Children...) {
			if target.Type == DocumentType && c.Type == DocumentType && c == parent.Children[0] {
				c.detach()
			}
			if target.Type == Element && c.Type == Element && c != target {
				c.detach()
			}
		}
	}

	depth, err := canInsert(parent, target, shadow)
	if err != nil {
		return err
	}
	if depth+1+target.height > maxTreeDepth {
		return nil // dropped: deeper than a tree goes (see maxTreeDepth)
	}
	var sib *Node
	if previous != nil {
		sib = previous.nextSibling()
	}
	switch {
	case sib != nil:
		if sib.Parent != parent || sib.IsShadow != shadow || sib == target {
			if sib == target {
				return nil // inserting a node before itself leaves it in place
			}
			return errAbort // insertBefore with a reference outside the parent
		}
		target.detach()
		parent.insertBefore(target, sib)
	case next != nil && next.Parent != nil:
		if container(parent, shadow).containsIn(next) {
			if next.Parent != parent || next.IsShadow != shadow {
				return errAbort
			}
			if next == target {
				return nil
			}
			target.detach()
			parent.insertBefore(target, next)
		} else {
			target.detach()
			parent.appendChild(target, shadow)
		}
	default:
		target.detach()
		parent.appendChild(target, shadow)
	}

	t.applyDialog(target, nil) // the replayer's afterAppend
	if target.isIframe() {
		for i, d := range t.pendingDocs {
			if d.ParentID == target.ID {
				t.pendingDocs = append(t.pendingDocs[:i:i], t.pendingDocs[i+1:]...)
				t.attachDocument(&d, target)
				break
			}
		}
	}
	return nil
}

// maxRetriedAdds bounds the adds of one mutation tried again after their
// first pass (see mutate).
const maxRetriedAdds = 200_000

// buildAdded builds an added node without its children, or returns the
// mapped node the add describes unchanged (which the add then moves).
func (t *Tree) buildAdded(w *wireNode) *Node {
	if *w.Type == Document {
		// The replayer maps the id to its own document; nothing is inserted.
		return nil
	}
	n := t.build(w, true, 0)
	if n != nil && (n.isTag("audio") || n.isTag("video")) && (n.st == nil || n.st.media == nil) {
		// The replayer's node builder plays and seeks an added media
		// element as its recorded state says, as for one of a snapshot;
		// holding that state here lets a keyframe carry it on.
		n.state().media = mediaFromAttributes(n, t.now)
	}
	return n
}

// canInsert stands for the DOM's pre-insertion validity checks, whose
// exceptions the replayer does not catch. It returns the parent's depth.
func canInsert(parent, target *Node, shadow bool) (depth int, err error) {
	// one walk up from parent: is target there (a cycle), how deep is parent
	for d := parent; d != nil; d = d.Parent {
		if d == target {
			return 0, errAbort
		}
		depth++
	}
	switch parent.Type {
	case Document:
		switch target.Type {
		case Text, CDATA, Document:
			return 0, errAbort
		case Element, DocumentType:
			for _, c := range parent.Children {
				if c.Type == target.Type && c != target {
					return 0, errAbort
				}
			}
		}
	case Element:
		if target.Type == DocumentType || target.Type == Document {
			return 0, errAbort
		}
	default:
		return 0, errAbort // text, comments and doctypes have no children
	}
	return depth, nil
}

// scope is a child list: an element's light DOM or its shadow root.
type scope struct {
	n      *Node
	shadow bool
}

func container(n *Node, shadow bool) scope { return scope{n, shadow} }

// containsIn reports whether d is inside the scope, as Node.contains on the
// element or its shadow root would.
func (s scope) containsIn(d *Node) bool {
	for ; d != nil && d.Parent != nil; d = d.Parent {
		if d.Parent == s.n && d.IsShadow == s.shadow && d.Type != Document {
			return true
		}
		if d.IsShadow || d.Type == Document {
			return false
		}
	}
	return false
}

// attachDocument builds an iframe's document with all its children, as the
// replayer's attachDocumentToIframe does: it replaces what the iframe held.
func (t *Tree) attachDocument(a *wireAdd, iframe *Node) {
	if *a.Node.Type != Document {
		t.build(&a.Node, false, maxTreeDepth-1) // built into the iframe's document, never inserted
		return
	}
	if old := t.ids[*a.Node.ID]; old != nil && old.meta == fingerprint(&a.Node) {
		return // the document rrweb has under that id already: it stays as it is
	}
	if t.reusesAncestor(&a.Node, iframe) {
		// A document that would take in, as a node it already has, the
		// iframe or one of its ancestors would contain itself under the
		// iframe. A page cannot make one; what a client sends as such is
		// dropped before it moves anything.
		return
	}
	room := maxTreeDepth - iframe.depth() - 1 // levels below the document
	if room < 0 {
		return // deeper than a tree goes (see maxTreeDepth)
	}
	for _, c := range append([]*Node(nil), iframe.Children...) {
		if c.Type == Document {
			t.unmapAll(c)
			c.detach()
		}
	}
	doc := t.build(&a.Node, false, room)
	if doc == nil {
		return
	}
	if doc.isAncestorOf(iframe) { // reusesAncestor rules this out; never a cycle
		return
	}
	// (appendChild takes it out of a node of its own that reused it, as
	// build does with a description naming the document inside itself)
	iframe.appendChild(doc, false)
	t.applyDialogs(doc)
	// Iframes inside it whose documents came first.
	var walk func(n *Node)
	walk = func(n *Node) {
		for _, c := range n.Children {
			if c.isIframe() {
				for i, d := range t.pendingDocs {
					if d.ParentID == c.ID {
						t.pendingDocs = append(t.pendingDocs[:i:i], t.pendingDocs[i+1:]...)
						t.attachDocument(&d, c)
						break
					}
				}
			}
			walk(c)
		}
	}
	walk(doc)
}

// reusesAncestor reports whether building w would reuse (see build) the
// iframe or one of its ancestors.
func (t *Tree) reusesAncestor(w *wireNode, iframe *Node) bool {
	up := map[*Node]bool{}
	for n := iframe; n != nil; n = n.Parent {
		up[n] = true
	}
	var reuses func(w *wireNode) bool
	reuses = func(w *wireNode) bool {
		if w.ID != nil {
			if old := t.ids[*w.ID]; old != nil && up[old] && old.meta == fingerprint(w) {
				return true
			}
		}
		for i := range w.ChildNodes {
			if reuses(&w.ChildNodes[i]) {
				return true
			}
		}
		return false
	}
	return reuses(w)
}

// setTextContent applies a text mutation: Node.textContent = value.
func (t *Tree) setTextContent(n *Node, value string) {
	switch n.Type {
	case Text, Comment, CDATA:
		if n.built == nil && n.TextContent != value {
			built := n.TextContent
			n.built = &built
		}
		n.TextContent = value
		styleChanged(n.Parent)
	case Element:
		// Replaces the light children by one text node the mirror does not
		// know; the children stay in the map, detached.
		for _, c := range append([]*Node(nil), n.Children...) {
			if !c.IsShadow && c.Type != Document {
				c.detach()
			}
		}
		styleChanged(n)
		if n.isStyleSheetElement() {
			n.removeAttr("_cssText")
			if value != "" {
				n.setAttr("_cssText", value)
			}
			return
		}
		if n.isTag("textarea") {
			n.removeAttr("value")
		}
		// (an element with children was within the bound with one more
		// level; one without is looked at: at the bound, it keeps none)
		if value != "" && (n.height > 0 || n.depth() < maxTreeDepth) {
			n.appendChild(&Node{Type: Text, TextContent: value}, false)
		}
	}
}

// setAttributes applies one node's attribute mutation.
func (t *Tree) setAttributes(n *Node, list []attr) {
	for _, a := range list {
		switch {
		case a.raw.Kind() == 'n' && !a.isString():
			n.removeAttr(a.name)
			if a.name == "open" && n.isDialog() && t.attached(n) {
				// removeDialogFromTopLevel: the dialog stays modal.
				n.removeAttr("rr_open_mode")
			}
		case a.isString():
			v := a.stringValue()
			if a.name == "_cssText" && n.isStyleSheetElement() {
				// The replayer rebuilds the element with the new sheet
				// text and stops reading this mutation's attributes.
				t.rebuildWithCSS(n, list)
				return
			}
			if a.name == "value" && n.isTag("textarea") {
				for _, c := range append([]*Node(nil), n.Children...) {
					if !c.IsShadow && c.Type != Document {
						c.detach()
					}
				}
				n.setAttr("value", v)
				continue
			}
			n.setAttr(a.name, v)
			if a.name == "rr_open_mode" {
				t.applyDialog(n, list)
			}
		case a.name == "style" && a.raw.Kind() == '{':
			applyStyleObject(n, a.raw)
		}
	}
}

// rebuildWithCSS replaces a <link> or <style> by a new element with the
// mutation's attributes merged in and no children, under the same id.
func (t *Tree) rebuildWithCSS(n *Node, list []attr) {
	if n.Parent == nil {
		for _, a := range list {
			if a.isString() {
				n.setAttr(a.name, a.stringValue())
			}
		}
		return
	}
	fresh := &Node{ID: n.ID, Type: Element, TagName: n.TagName, IsSVG: n.IsSVG, NeedBlock: n.NeedBlock,
		IsCustom: n.IsCustom, RootID: n.RootID, extra: n.extra}
	for _, name := range n.attrNames() {
		if raw, ok := n.attrRaw[name]; ok {
			fresh.setRawAttr(name, raw)
		} else {
			fresh.setAttr(name, n.Attributes[name])
		}
	}
	for _, a := range list {
		switch {
		case a.isString():
			fresh.setAttr(a.name, a.stringValue())
		case a.raw.Kind() == 'n':
			fresh.removeAttr(a.name)
		default:
			fresh.setRawAttr(a.name, a.raw)
		}
	}
	fresh.meta = nodeFingerprint(fresh)
	fresh.tracked = true
	parent, i, shadow := n.Parent, n.index(), n.IsShadow
	n.detach()
	n.ID = 0
	fresh.Parent = parent
	fresh.IsShadow = shadow
	parent.Children = insertAt(parent.Children, i, fresh)
	t.ids[fresh.ID] = fresh
}

func insertAt(s []*Node, i int, n *Node) []*Node {
	s = append(s, nil)
	copy(s[i+1:], s[i:])
	s[i] = n
	return s
}
