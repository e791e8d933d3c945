package rrdom

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Keyframe returns rrweb events, each with timestamp ts, that rebuild in
// rrweb's replayer the page the tree holds: a Meta event, a FullSnapshot,
// then the incremental events that rebuild what a snapshot cannot hold, in
// this order: iframe documents (attached as rrweb's recorder attaches
// them), the text and attributes of nodes changed since they were built
// (which the snapshot writes as they were built, see below), style sheet
// edits of sheets a snapshot has no text for, constructed
// and adopted style sheets, web fonts, form values, media state, element
// scroll positions, the selection, the mouse position and the focus.
//
// A style sheet edited through the CSSOM is written into its element's
// text, as rrweb's snapshot does. Replayed from these events, then from the
// recorded events after ts, the page is the one replayed from the start.
func (t *Tree) Keyframe(ts int64) ([][]byte, error) {
	if t.root == nil {
		return nil, errors.New("keyframe: no full snapshot applied yet")
	}
	if t.meta == nil {
		return nil, errors.New("keyframe: no Meta event applied yet")
	}
	k := keyframeWriter{t: t, ts: ts, s: serializer{next: anonymousID, fold: true}}
	// A node changed since it was built (its text, or an element's
	// attributes) goes into the snapshot as it was built, then a mutation
	// gives it what it has now: the replayer's mirror then describes it as
	// it does replaying from the start, where an add describing it anew
	// builds a new node rather than moving this one.
	var texts, elements []*Node
	k.s.built = func(n *Node) (string, bool) {
		b, ok := t.staleText(n)
		if ok {
			texts = append(texts, n)
		}
		return b, ok
	}
	k.s.builtAttrs = func(n *Node) (*attrSet, bool) {
		b, ok := t.staleAttrs(n)
		if ok {
			elements = append(elements, n)
		}
		return b, ok
	}
	if err := k.meta(); err != nil {
		return nil, err
	}
	if err := k.snapshot(); err != nil {
		return nil, err
	}
	k.collect(t.root)
	for _, doc := range k.docs[1:] {
		if err := k.attach(doc); err != nil {
			return nil, err
		}
	}
	for _, n := range k.dialogs {
		// Opened as a modal, then closed as the replayer closes it.
		k.incremental(SourceMutation, `"adds":[],"removes":[],"texts":[],"attributes":[{"id":%d,"attributes":{"open":"","rr_open_mode":"modal"}}]`, n.ID)
		k.incremental(SourceMutation, `"adds":[],"removes":[],"texts":[],"attributes":[{"id":%d,"attributes":{"open":null,"rr_open_mode":%s}}]`, n.ID, attrOrNull(n, "rr_open_mode"))
	}
	for i := range t.pendingDocs {
		if err := k.pending(&t.pendingDocs[i]); err != nil {
			return nil, err
		}
	}
	// The content and attributes of the nodes written as they were built,
	// once every document is in (iframes' too).
	if len(texts) > 0 || len(elements) > 0 {
		var tx, at []byte
		for i, n := range texts {
			if i > 0 {
				tx = append(tx, ',')
			}
			tx = fmt.Appendf(tx, `{"id":%d,"value":`, n.ID)
			tx, _ = jsontext.AppendQuote(tx, n.TextContent)
			tx = append(tx, '}')
		}
		for i, n := range elements {
			if i > 0 {
				at = append(at, ',')
			}
			at = fmt.Appendf(at, `{"id":%d,"attributes":{`, n.ID)
			first := true
			sep := func() {
				if !first {
					at = append(at, ',')
				}
				first = false
			}
			// what went first, then what is (a dialog's open going takes
			// its rr_open_mode with it)
			for _, name := range n.builtAttrs.order {
				if _, ok := n.Attributes[name]; !ok {
					sep()
					at, _ = jsontext.AppendQuote(at, name)
					at = append(at, ":null"...)
				}
			}
			for _, name := range n.attrNames() {
				sep()
				at, _ = jsontext.AppendQuote(at, name)
				at = append(at, ':')
				if raw, ok := n.attrRaw[name]; ok {
					at = append(at, raw...)
				} else {
					at, _ = jsontext.AppendQuote(at, n.Attributes[name])
				}
			}
			at = append(at, "}}"...)
		}
		k.incremental(SourceMutation, `"adds":[],"removes":[],"texts":[%s],"attributes":[%s]`, tx, at)
	}
	k.sheetEdits()
	k.adopted()
	for _, f := range t.fonts {
		k.event(EventIncremental, f)
	}
	k.states()
	if t.selection != nil {
		k.event(EventIncremental, t.selection)
	}
	// The mouse keeps its node's id even when that node is not in the page
	// (yet, or any more, as an iframe's earlier document): rrweb's replayer,
	// seeking, moves the mouse once the events up to the moment are
	// applied, so a later mutation that adds a node of that id puts the
	// mouse over it, from the keyframe as from the start.
	if m := t.mousePosition(); m != nil {
		k.incremental(SourceMouseMove, `"positions":[{"x":%s,"y":%s,"id":%d,"timeOffset":0}]`, m.x, m.y, m.id)
	}
	if f := t.focus; f != nil && f.ID != 0 && t.attached(f) {
		k.incremental(SourceMouseInteraction, `"type":%d,"id":%d`, focus, f.ID)
	}
	return k.out, k.err
}

// staleAttrs returns the attributes a mapped element was built with, when
// they have changed since and the mirror's meta still describes them.
// Style sheet elements (whose sheet text travels in _cssText) and
// textareas (whose value is their text) are left as they are.
func (t *Tree) staleAttrs(n *Node) (*attrSet, bool) {
	b := n.builtAttrs
	if b == nil || n.Type != Element || n.ID == 0 || t.ids[n.ID] != n || n.isStyleSheetElement() || n.isTag("textarea") {
		return nil, false
	}
	if _, ok := b.vals["_cssText"]; ok {
		return nil, false
	}
	was := *n
	was.Attributes, was.attrOrder, was.attrRaw = b.vals, b.order, b.raw
	if nodeFingerprint(&was) != n.meta || nodeFingerprint(n) == n.meta {
		return nil, false
	}
	return b, true
}

// staleText returns the text a mapped text node was built with, when a
// text mutation has changed it since and the mirror's meta still
// describes that text.
func (t *Tree) staleText(n *Node) (string, bool) {
	if n.built == nil || n.ID == 0 || t.ids[n.ID] != n || *n.built == n.TextContent {
		return "", false
	}
	was := *n
	was.TextContent = *n.built
	if nodeFingerprint(&was) != n.meta {
		return "", false
	}
	return *n.built, true
}

type keyframeWriter struct {
	t   *Tree
	ts  int64
	s   serializer
	out [][]byte
	err error

	// Collected from the document, in document order.
	docs    []*Node // the page's document, then iframes' documents
	iframes map[*Node]*Node
	styles  []*Node // elements whose sheet edits are replayed as events
	hosts   []*Node // shadow hosts with adopted sheets
	stated  []*Node // nodes with form, media or scroll state
	dialogs []*Node // modal dialogs closed by removing their open attribute
}

// event appends an event of the given type with data.
func (k *keyframeWriter) event(typ int, data []byte) {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"type":%d,"data":`, typ)
	b.Write(data)
	fmt.Fprintf(&b, `,"timestamp":%d}`, k.ts)
	k.out = append(k.out, b.Bytes())
}

// incremental appends an incremental event of source whose other fields
// are format's.
func (k *keyframeWriter) incremental(source int, format string, args ...any) {
	k.event(EventIncremental, fmt.Appendf(nil, `{"source":%d,`+format+`}`, append([]any{source}, args...)...))
}

func (k *keyframeWriter) meta() error {
	members, err := readAttrs(k.t.meta)
	if err != nil {
		return fmt.Errorf("keyframe: meta: %w", err)
	}
	var b bytes.Buffer
	enc := jsontext.NewEncoder(&b, jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true))
	_ = enc.WriteToken(jsontext.BeginObject)
	written := map[string]bool{}
	for _, m := range members {
		v := m.json()
		if vp := k.t.viewport; vp != nil && (m.name == "width" || m.name == "height") {
			if m.name == "width" {
				v = vp[0]
			} else {
				v = vp[1]
			}
		}
		if len(v) == 0 {
			continue
		}
		written[m.name] = true
		_ = enc.WriteToken(jsontext.String(m.name))
		if err := enc.WriteValue(v); err != nil {
			return fmt.Errorf("keyframe: meta: %w", err)
		}
	}
	if vp := k.t.viewport; vp != nil {
		for i, name := range []string{"width", "height"} {
			if !written[name] && len(vp[i]) > 0 {
				_ = enc.WriteToken(jsontext.String(name))
				_ = enc.WriteValue(vp[i])
			}
		}
	}
	if err := enc.WriteToken(jsontext.EndObject); err != nil {
		return fmt.Errorf("keyframe: meta: %w", err)
	}
	k.event(EventMeta, bytes.TrimSpace(b.Bytes()))
	return nil
}

func (k *keyframeWriter) snapshot() error {
	node, err := k.s.serialize(k.t.root)
	if err != nil {
		return fmt.Errorf("keyframe: snapshot: %w", err)
	}
	left, top := jsontext.Value("0"), jsontext.Value("0")
	if st := k.t.root.st; st != nil && st.scroll != nil {
		left, top = st.scroll.x, st.scroll.y
	}
	k.event(EventFullSnapshot, fmt.Appendf(nil, `{"node":%s,"initialOffset":{"left":%s,"top":%s}}`, node, left, top))
	return nil
}

// collect walks the document, and the iframes' documents, in order.
func (k *keyframeWriter) collect(n *Node) {
	if n.Type == Document {
		k.docs = append(k.docs, n)
	}
	if st := n.st; st != nil {
		if st.sheet != nil && (!st.sheet.known || !k.s.folds(n)) {
			k.styles = append(k.styles, n)
		}
		if st.adopts && n.Type == Element {
			k.hosts = append(k.hosts, n)
		}
		if n.stuckModal() && n.ID != 0 {
			k.dialogs = append(k.dialogs, n)
		}
		if st.input != nil || st.media != nil || st.scroll != nil && n != k.t.root {
			k.stated = append(k.stated, n)
		}
	}
	for _, c := range n.Children {
		if c.Type == Document {
			if k.iframes == nil {
				k.iframes = map[*Node]*Node{}
			}
			k.iframes[c] = n
		}
		k.collect(c)
	}
}

// attach appends the mutation that attaches an iframe's document.
func (k *keyframeWriter) attach(doc *Node) error {
	iframe := k.iframes[doc]
	node, err := k.s.serialize(doc)
	if err != nil {
		return fmt.Errorf("keyframe: iframe %d: %w", iframe.ID, err)
	}
	k.incremental(SourceMutation, `"adds":[{"parentId":%d,"nextId":null,"node":%s}],"removes":[],"texts":[],"attributes":[],"isAttachIframe":true`, iframe.ID, node)
	return nil
}

// pending appends an iframe document still waiting for its iframe.
func (k *keyframeWriter) pending(a *wireAdd) error {
	node, err := json.Marshal(&a.Node, decodeOpts)
	if err != nil {
		return err
	}
	k.incremental(SourceMutation, `"adds":[{"parentId":%d,"nextId":null,"node":%s}],"removes":[],"texts":[],"attributes":[],"isAttachIframe":true`, a.ParentID, node)
	return nil
}

// sheetEdits appends the edits of sheets the snapshot holds no text for:
// an empty <style> filled through insertRule gets its rules inserted, an
// external sheet's recorded edits are replayed as they came.
func (k *keyframeWriter) sheetEdits() {
	for _, n := range k.styles {
		s := n.st.sheet
		if !s.known {
			for _, raw := range s.log {
				k.event(EventIncremental, raw)
			}
			continue
		}
		if len(s.rules) == 0 {
			continue
		}
		k.incremental(SourceStyleSheetRule, `"id":%d,"adds":%s`, n.ID, rulesJSON(s.rules))
	}
}

// rulesJSON writes rules as rrweb's adds: [{"rule": text, "index": i}].
func rulesJSON(rules []*cssRule) []byte {
	b := []byte{'['}
	for i, r := range rules {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"rule":`...)
		b, _ = jsontext.AppendQuote(b, r.String())
		b = append(b, `,"index":`...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, '}')
	}
	return append(b, ']')
}

// adopted appends the constructed sheets, created through the document of
// their window, and each document's and shadow root's adopted sheets.
func (k *keyframeWriter) adopted() {
	ids := make([]int64, 0, len(k.t.sheets))
	for id := range k.t.sheets {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	adopters := map[int64]*Node{}
	emitters := map[*Node]bool{}
	for _, n := range append(slices.Clone(k.docs), k.hosts...) {
		emitters[n] = n.Type == Document || n.ID != 0
		if n.st == nil {
			continue
		}
		for _, id := range n.st.adopted {
			if adopters[id] == nil {
				adopters[id] = n
			}
		}
	}
	// Each sheet is made where the page made it, its document or a shadow
	// host, while that is in the page.
	byOwner := map[*Node][]int64{}
	for _, id := range ids {
		owner := k.t.sheets[id].owner
		if owner == nil || !k.t.attached(owner) {
			owner = adopters[id]
		}
		if owner == nil {
			// Nothing in the page adopts it now, but a later event may
			// adopt it again by its id: it is kept, made on the document.
			owner = k.t.root
		}
		if !emitters[owner] {
			owner = documentOf(owner)
		}
		byOwner[owner] = append(byOwner[owner], id)
	}
	styles := func(owner *Node) []byte {
		b := []byte{'['}
		for i, id := range byOwner[owner] {
			if i > 0 {
				b = append(b, ',')
			}
			b = fmt.Appendf(b, `{"styleId":%d,"rules":%s}`, id, rulesJSON(k.t.sheets[id].rules))
		}
		return append(b, ']')
	}
	for _, doc := range k.docs {
		adopts := doc.st != nil && doc.st.adopts
		if len(byOwner[doc]) == 0 && !adopts {
			continue
		}
		var adopted []int64
		if adopts {
			adopted = doc.st.adopted
		}
		k.incremental(SourceAdoptedStyleSheet, `"id":%d,"styleIds":%s,"styles":%s`, doc.ID, idsJSON(adopted), styles(doc))
	}
	for _, h := range k.hosts {
		if h.ID == 0 {
			continue
		}
		if len(byOwner[h]) == 0 {
			k.incremental(SourceAdoptedStyleSheet, `"id":%d,"styleIds":%s`, h.ID, idsJSON(h.st.adopted))
			continue
		}
		k.incremental(SourceAdoptedStyleSheet, `"id":%d,"styleIds":%s,"styles":%s`, h.ID, idsJSON(h.st.adopted), styles(h))
	}
}

func idsJSON(ids []int64) []byte {
	b := []byte{'['}
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return append(b, ']')
}

// documentOf returns the document a node belongs to.
func documentOf(n *Node) *Node {
	for ; n.Parent != nil && n.Type != Document; n = n.Parent {
	}
	return n
}

// states appends form values, media state and scroll positions.
func (k *keyframeWriter) states() {
	var scrolls []*Node
	for _, n := range k.stated {
		if n.ID == 0 {
			continue
		}
		st := n.st
		if in := st.input; in != nil {
			fields := fmt.Sprintf(`"id":%d`, n.ID)
			if len(in.text) > 0 {
				fields += `,"text":` + string(in.text)
			}
			if len(in.isChecked) > 0 {
				fields += `,"isChecked":` + string(in.isChecked)
			}
			k.incremental(SourceInput, "%s", fields)
		}
		if m := st.media; m != nil {
			typ := mediaPause
			if m.playing {
				typ = mediaPlay
			}
			k.incremental(SourceMediaInteraction, `"type":%d,"id":%d,"currentTime":%s,"playbackRate":%s,"volume":%s,"muted":%t,"loop":%t`,
				typ, n.ID, num(m.timeAt(float64(k.ts))), num(m.playbackRate), num(m.volume), m.muted, m.loop)
		}
		if st.scroll != nil {
			scrolls = append(scrolls, n)
		}
	}
	for _, n := range scrolls {
		k.incremental(SourceScroll, `"id":%d,"x":%s,"y":%s`, n.ID, n.st.scroll.x, n.st.scroll.y)
	}
}

// attrOrNull returns an attribute's value as JSON, or null.
func attrOrNull(n *Node, name string) []byte {
	if !n.hasAttr(name) {
		return []byte("null")
	}
	return n.attrJSON(name)
}

func num(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
