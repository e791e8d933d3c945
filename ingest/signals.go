package ingest

import (
	"bytes"
	"cmp"
	"encoding/json"
	jsonv2 "github.com/go-json-experiment/json"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/internal/jsonstr"
	"github.com/playhead/playhead/search"
)

// Bounds of the text kept of a clicked element and of a search value.
const (
	maxClickText  = 100
	maxSearchText = 500
)

// rrweb incremental sources that answer a click on the page.
const (
	sourceMutation = 0
	sourceScroll   = 3
	sourceInput    = 5
)

// rrweb serialised node types.
const (
	nodeElement = 2
	nodeText    = 3
)

// click is one click of a batch.
type click struct {
	ts   int64
	id   int64
	x, y float64
}

// signals reads what the batch says of its clicks (playhead.BatchSignals)
// and adds the text of its clicked elements and its page title to its
// search text. Which clicks are rage, dead or error clicks is decided when
// the batch is stored, with what the session's earlier batches left
// undecided (see sessionSignals): a series of clicks, a click's 2.5 s and
// the error a click set off may each run on into the next batch.
//
// The clicked elements are looked up among the nodes the batch's own full
// snapshot and mutations added; a click on a node the batch does not know
// is looked up later among the actionable elements of the session's last
// full snapshot.
func signals(b *Batch, ib *playhead.IndexedBatch, th thresholds) {
	var clicks []click
	for i := range b.Events {
		e := &b.Events[i]
		if e.Type == typeIncremental && e.Source == sourceMouseInteraction && e.Interaction == interactionClick {
			clicks = append(clicks, click{ts: e.Timestamp, id: e.NodeID, x: e.X, y: e.Y})
		}
	}
	inputs := inputsOf(b)
	ids := make([]int64, 0, len(clicks)+len(inputs))
	for _, c := range clicks {
		ids = append(ids, c.id)
	}
	for _, in := range inputs {
		ids = append(ids, in.ID)
	}
	dom, snapshot := newDOMIndex(b, ids)
	if title := dom.title(); title != "" {
		addSearch(ib, search.FieldTitle, title)
	}
	sig := &playhead.BatchSignals{RageClicks: th.rageClicks, RageWindowMs: int(th.rageWindowMs), DeadWindowMs: int(th.deadWindowMs)}
	if snapshot {
		sig.Nodes = dom.actionableNodes()
	}
	// What answers a click, and when: a request counts from when it started.
	var answers []int64
	for i := range b.Events {
		e := &b.Events[i]
		if answersClick(e) {
			at := e.Timestamp
			if e.Type == typeCustom && e.Tag == tagNetwork {
				var p struct {
					Start int64 `json:"start"`
				}
				json.Unmarshal(e.Payload, &p)
				if p.Start > 0 && p.Start <= at {
					at = p.Start
				}
			}
			answers = append(answers, at)
		}
		if e.Type == typeCustom && e.Tag == tagError {
			var p struct {
				Message string `json:"message"`
			}
			json.Unmarshal(e.Payload, &p)
			sig.Errors = append(sig.Errors, playhead.SignalError{Ts: e.Timestamp, Message: truncate(firstLine(p.Message), maxLabel)})
		}
	}
	slices.Sort(answers)
	answers = slices.Compact(answers)
	// those the next batches' clicks may need: the first, up to a bound
	k := 0
	for k < len(answers) && k < maxCarriedAnswers && answers[k] <= ib.Ref.FirstTs+th.deadWindowMs {
		k++
	}
	if k > 0 {
		sig.Answers = slices.Clip(answers[:k])
	}
	slices.SortStableFunc(sig.Errors, func(a, b playhead.SignalError) int { return cmp.Compare(a.Ts, b.Ts) })
	slices.SortStableFunc(clicks, func(a, b click) int { return cmp.Compare(a.ts, b.ts) })
	for _, c := range clicks {
		el, lookup := dom.resolve(c.id)
		text := dom.clickText(c.id, el)
		if text != "" {
			addSearch(ib, search.FieldClick, text)
			nameClick(ib, c.ts, text)
		}
		// Answered within the window: the first answer at or after the click.
		k, _ := slices.BinarySearch(answers, c.ts)
		answered := k < len(answers) && answers[k]-c.ts <= th.deadWindowMs
		sig.Clicks = append(sig.Clicks, playhead.SignalClick{Ts: c.ts, ID: c.id, X: c.x, Y: c.y,
			Actionable: el != nil, Text: text, Lookup: lookup, Answered: answered})
	}
	var labels map[string]string
	if len(inputs) > 0 {
		labels = dom.labelsFor()
	}
	for _, in := range inputs {
		label, known := dom.fieldLabel(in.ID, labels)
		if !known {
			sig.Inputs = append(sig.Inputs, in)
		} else if label != "" {
			addInput(ib, in.Ts, label)
		}
	}
	if len(sig.Clicks) > 0 || len(sig.Answers) > 0 || len(sig.Errors) > 0 || len(sig.Inputs) > 0 || sig.Nodes != nil {
		ib.Signals = sig
	}
}

// inputsOf returns the first input of the batch into each field, by time.
func inputsOf(b *Batch) []playhead.SignalInput {
	var out []playhead.SignalInput
	seen := map[int64]bool{}
	for i := range b.Events {
		e := &b.Events[i]
		if e.Type == typeIncremental && e.Source == sourceInput && !seen[e.NodeID] {
			seen[e.NodeID] = true
			out = append(out, playhead.SignalInput{Ts: e.Timestamp, ID: e.NodeID})
		}
	}
	slices.SortStableFunc(out, func(a, b playhead.SignalInput) int { return cmp.Compare(a.Ts, b.Ts) })
	return out
}

// inputLabel starts the label of an input's timeline entry.
const inputLabel = "Input: "

// addInput indexes the label of a field typed into at ts and marks the
// moment on the timeline ("Input: Email").
func addInput(ib *playhead.IndexedBatch, ts int64, label string) {
	addSearch(ib, search.FieldInput, label)
	ib.Timeline = append(ib.Timeline, playhead.TimelineEntry{Ts: ts, Kind: playhead.KindInput, Label: truncate(inputLabel+label, maxLabel)})
}

// maxCarriedAnswers bounds the answers a batch offers the clicks of earlier
// batches: the first few after its start are what matters.
const maxCarriedAnswers = 256

// answersClick says whether e shows the page reacting: the DOM changed,
// the page scrolled, an input changed, a page loaded or navigated, or a
// request went out.
func answersClick(e *Event) bool {
	switch e.Type {
	case typeIncremental:
		return e.Source == sourceMutation || e.Source == sourceScroll || e.Source == sourceInput
	case typeMeta, typeFullSnapshot:
		return true
	case typeCustom:
		return e.Tag == tagNavigation || e.Tag == tagNetwork
	}
	return false
}

// addSearch adds a searchable value to the batch, cut to a bounded length;
// extract drops repeats at the end.
func addSearch(ib *playhead.IndexedBatch, field, value string) {
	value = strings.TrimSpace(value)
	if value == "" {
		return
	}
	ib.Search = append(ib.Search, playhead.SearchText{Field: field, Value: truncate(value, maxSearchText)})
}

// domNode is what a batch says of one node of the page.
type domNode struct {
	tag        string
	actionable bool
	parent     int64
	children   []int64
	text       string // a text node's
	// Of a form field: its aria-label, the name it has without a label
	// (placeholder, name or title) and its id attribute; of a label: the
	// id its for names.
	field                  bool
	aria, fallback, htmlID string
	forID                  string
}

// domIndex holds the nodes a batch's full snapshots (and, when wanted, its
// mutations) added, by id.
type domIndex map[int64]*domNode

// serialisedNode is a node of rrweb's serialised DOM.
type serialisedNode struct {
	Type        int               `json:"type"`
	ID          int64             `json:"id"`
	TagName     string            `json:"tagName"`
	Attributes  *nodeAttributes   `json:"attributes"` // nil: none the index reads
	ChildNodes  []*serialisedNode `json:"childNodes"`
	TextContent string            `json:"textContent"`
}

// nodeAttributes are the attributes that say whether an element is
// actionable; the others are skipped unread. rrweb writes an attribute's
// value as a string, a number or true.
type nodeAttributes struct {
	Href jsontext.Value `json:"href"`
	Type jsontext.Value `json:"type"`
	Role jsontext.Value `json:"role"`
	// What names a form field: the label an input: search finds.
	ID              jsontext.Value `json:"id"`
	For             jsontext.Value `json:"for"`
	AriaLabel       jsontext.Value `json:"aria-label"`
	Placeholder     jsontext.Value `json:"placeholder"`
	Name            jsontext.Value `json:"name"`
	Title           jsontext.Value `json:"title"`
	ContentEditable jsontext.Value `json:"contenteditable"`
}

// noAttributes stands for a node's attributes when it has none the index
// reads (most nodes): only those that have some carry the ten values.
var noAttributes nodeAttributes

// field returns where the attribute named name is kept, or nil.
func (a *nodeAttributes) field(name []byte) *jsontext.Value {
	switch string(name) {
	case "href":
		return &a.Href
	case "type":
		return &a.Type
	case "role":
		return &a.Role
	case "id":
		return &a.ID
	case "for":
		return &a.For
	case "aria-label":
		return &a.AriaLabel
	case "placeholder":
		return &a.Placeholder
	case "name":
		return &a.Name
	case "title":
		return &a.Title
	case "contenteditable":
		return &a.ContentEditable
	}
	return nil
}

// attributeText returns an attribute's value when it is a string.
func attributeText(v jsontext.Value) string {
	if len(v) >= 2 && v[0] == '"' { // a string the parse validated
		return jsonstr.Text(v)
	}
	return ""
}

// newDOMIndex reads the nodes of the batch's full snapshots and those of
// its mutations that the clicks need: the clicked nodes, what was added
// inside them, and their ancestors. Mutations are most of a batch's bytes,
// so one is decoded only when its bytes name a node wanted ("id":N or
// "parentId":N), found by a scan that decodes nothing; the ancestors of
// what it added are then wanted in turn, a few levels up.
//
// snapshot says whether the batch held a full snapshot.
func newDOMIndex(b *Batch, clickIDs []int64) (dom domIndex, snapshot bool) {
	dom = domIndex{}
	var mutations []mutation
	for i := range b.Events {
		e := &b.Events[i]
		switch {
		case e.Type == typeFullSnapshot && e.snapshot != nil:
			dom.add(e.snapshot, 0)
			snapshot = true
		case e.Type == typeFullSnapshot:
			var s struct {
				Data struct {
					Node *serialisedNode `json:"node"`
				} `json:"data"`
			}
			if jsonv2.Unmarshal(e.Raw, &s) == nil && s.Data.Node != nil {
				dom.add(s.Data.Node, 0)
				snapshot = true
			}
		case len(clickIDs) > 0 && e.Type == typeIncremental && e.Source == sourceMutation:
			// Only what the event added can be wanted: from its adds on.
			// (rrweb writes them last; the bytes "adds":[ can only be a
			// member's name, a string's quotes being escaped within it.)
			if at := bytes.Index(e.Raw, addsName); at >= 0 {
				mutations = append(mutations, mutation{i, at})
			}
		}
	}
	wanted := map[int64]bool{}
	for _, id := range clickIDs {
		wanted[id] = true
	}
	searched := map[int64]bool{}
	decoded := 0
	for round := 0; round < 8 && len(wanted) > 0 && len(mutations) > 0 && decoded < maxMutationsDecoded; round++ {
		// The clicked nodes' children count (their text), an ancestor's
		// do not: only the ancestor itself is wanted.
		// The latest mutations that name a wanted node, up to the cap,
		// decoded in their order.
		var hits []int
		rest := make([]mutation, 0, len(mutations))
		for k := len(mutations) - 1; k >= 0; k-- {
			m := mutations[k]
			if decoded+len(hits) < maxMutationsDecoded && mentions(b.Events[m.event].Raw[m.adds:], wanted, round == 0) {
				hits = append(hits, m.event)
			} else {
				rest = append(rest, m)
			}
		}
		slices.Reverse(rest)
		mutations = rest
		for k := len(hits) - 1; k >= 0; k-- {
			dom.addMutation(b.Events[hits[k]].Raw)
		}
		decoded += len(hits)
		for id := range wanted {
			searched[id] = true
		}
		// Next, the parents the nodes found so far lack.
		// (A page may name a node its own ancestor: the walk up is bounded.)
		next := map[int64]bool{}
		for _, id := range clickIDs {
			for n, depth := dom[id], 0; n != nil && n.parent != 0 && depth < maxAncestors; n, depth = dom[n.parent], depth+1 {
				if dom[n.parent] == nil {
					if !searched[n.parent] {
						next[n.parent] = true
					}
					break
				}
			}
		}
		wanted = next
	}
	return dom, snapshot
}

// mutation is a mutation event of a batch that added nodes: its index and
// where its adds start in its bytes.
type mutation struct{ event, adds int }

var addsName = []byte(`"adds":[`)

// addMutation adds the nodes a mutation event added. Only its adds are
// read, token by token; the rest of the event is skipped unread. An event
// that cannot be read adds nothing.
func (dom domIndex) addMutation(raw []byte) {
	type added struct {
		parent int64
		node   *serialisedNode
	}
	var adds []added
	p := parser{body: raw} // reads the event as stored: nothing to scrub
	dec := jsontext.NewDecoder(bytes.NewBuffer(raw), jsontext.AllowDuplicateNames(true))
	if dec.PeekKind() != '{' {
		return
	}
	err := jsonstr.Members(dec, func(k []byte) error {
		if string(k) != "data" || dec.PeekKind() != '{' {
			return dec.SkipValue()
		}
		return jsonstr.Members(dec, func(k []byte) error {
			if string(k) != "adds" || dec.PeekKind() != '[' {
				return dec.SkipValue()
			}
			return jsonstr.Elements(dec, func() error {
				if dec.PeekKind() != '{' {
					return dec.SkipValue()
				}
				var a added
				err := jsonstr.Members(dec, func(k []byte) error {
					switch {
					case string(k) == "parentId" && dec.PeekKind() == '0':
						tok, err := dec.ReadToken()
						if err != nil {
							return err
						}
						a.parent = tok.Int()
						return nil
					case string(k) == "node" && dec.PeekKind() == '{':
						var err error
						a.node, err = p.node(dec)
						return err
					}
					return dec.SkipValue()
				})
				if a.node != nil {
					adds = append(adds, a)
				}
				return err
			})
		})
	})
	if err != nil {
		return
	}
	for _, a := range adds {
		dom.add(a.node, a.parent)
		if p := dom[a.parent]; p != nil {
			p.children = append(p.children, a.node.ID)
		}
	}
}

// maxAncestors bounds the walk up from a clicked node to the ancestors
// the batch lacks; maxTextNodes the nodes whose text makes an element's.
const (
	maxAncestors = 64
	maxTextNodes = 4096
)

// maxMutationsDecoded bounds the mutations one batch decodes for its
// clicks: a page that re-renders the clicked list every second names the
// clicked node in every mutation, and the latest few say what it was.
const maxMutationsDecoded = 8

// mentions says whether raw names one of ids as "id":N or, with parents,
// as "parentId":N. rrweb writes its JSON without spaces. A few ids are
// each looked for as the bytes ":N, which are rare; more are found in one
// pass over raw that reads the number after each name ending in d":.
func mentions(raw []byte, ids map[int64]bool, parents bool) bool {
	if len(ids) <= 4 {
		for id := range ids {
			if mentionsOne(raw, id, parents) {
				return true
			}
		}
		return false
	}
	for rest := raw; ; {
		i := bytes.Index(rest, idSuffix)
		if i < 0 {
			return false
		}
		before := rest[:i]
		rest = rest[i+len(idSuffix):]
		if !bytes.HasSuffix(before, idName) && !(parents && bytes.HasSuffix(before, parentName)) {
			continue
		}
		var n int64
		k := 0
		for ; k < len(rest) && k < 19 && rest[k] >= '0' && rest[k] <= '9'; k++ {
			n = n*10 + int64(rest[k]-'0')
		}
		if k > 0 && (k == len(rest) || rest[k] < '0' || rest[k] > '9') && ids[n] {
			return true
		}
	}
}

// mentionsOne says whether raw names id as "id":id or, with parents, as
// "parentId":id.
func mentionsOne(raw []byte, id int64, parents bool) bool {
	if id < 0 {
		return false
	}
	var buf [24]byte
	needle := strconv.AppendInt(append(buf[:0], '"', ':'), id, 10)
	for rest := raw; ; {
		i := bytes.Index(rest, needle)
		if i < 0 {
			return false
		}
		before, after := rest[:i], rest[i+len(needle):]
		rest = after
		if len(after) > 0 && after[0] >= '0' && after[0] <= '9' {
			continue
		}
		if bytes.HasSuffix(before, idKey) || parents && bytes.HasSuffix(before, parentKey) {
			return true
		}
	}
}

var (
	idSuffix   = []byte(`d":`)
	idName     = []byte(`"i`)
	parentName = []byte(`"parentI`)
	idKey      = []byte(`"id`)
	parentKey  = []byte(`"parentId`)
)

func (dom domIndex) add(n *serialisedNode, parent int64) {
	// the tree's nodes in one allocation (a snapshot holds thousands)
	slab := make([]domNode, 0, treeSize(n))
	dom.addTree(&slab, n, parent)
}

// treeSize counts the nodes of the tree n.
func treeSize(n *serialisedNode) int {
	size := 1
	for _, c := range n.ChildNodes {
		if c != nil {
			size += treeSize(c)
		}
	}
	return size
}

// addTree adds n and the nodes under it, each taken from slab, which has
// room for them all.
func (dom domIndex) addTree(slab *[]domNode, n *serialisedNode, parent int64) {
	*slab = append(*slab, domNode{parent: parent, tag: strings.ToLower(n.TagName)})
	d := &(*slab)[len(*slab)-1]
	switch n.Type {
	case nodeText:
		d.text = n.TextContent
	case nodeElement:
		a := n.Attributes
		if a == nil {
			a = &noAttributes
		}
		d.actionable = isActionable(d.tag, *a)
		if isField(d.tag, *a) {
			d.field, d.htmlID = true, attributeText(a.ID)
			d.aria = strings.TrimSpace(attributeText(a.AriaLabel))
			d.fallback = cmp.Or(strings.TrimSpace(attributeText(a.Placeholder)),
				strings.TrimSpace(attributeText(a.Name)), strings.TrimSpace(attributeText(a.Title)))
		} else if d.tag == "label" {
			d.forID = attributeText(a.For)
		}
	}
	dom[n.ID] = d
	for _, c := range n.ChildNodes {
		if c != nil {
			d.children = append(d.children, c.ID)
			dom.addTree(slab, c, n.ID)
		}
	}
}

// isActionable says whether clicking an element is meant to do something:
// a link, a button, a form control that is clicked (not typed in), or an
// element whose ARIA role says it is one of those.
func isActionable(tag string, attrs nodeAttributes) bool {
	switch tag {
	case "a":
		return len(attrs.Href) > 0
	case "button", "select", "summary", "option":
		return true
	case "input":
		switch strings.ToLower(attributeText(attrs.Type)) {
		case "button", "submit", "reset", "checkbox", "radio", "image":
			return true
		}
		return false
	}
	switch strings.ToLower(attributeText(attrs.Role)) {
	case "button", "link", "menuitem", "tab", "checkbox", "switch", "option", "radio":
		return true
	}
	return false
}

// isField says whether an element is typed into: a text-like input, a
// text area, a select or an editable element.
func isField(tag string, attrs nodeAttributes) bool {
	switch tag {
	case "textarea", "select":
		return true
	case "input":
		switch strings.ToLower(attributeText(attrs.Type)) {
		case "button", "submit", "reset", "image", "hidden":
			return false
		}
		return true
	}
	ce := strings.ToLower(attributeText(attrs.ContentEditable))
	return len(attrs.ContentEditable) > 0 && ce != "false" && ce != "inherit"
}

// labelsFor returns the text of the <label for=…> elements of the batch
// by the id they name, the first (by node id) with text when several
// name one, for fieldLabel.
func (dom domIndex) labelsFor() map[string]string {
	var ids []int64
	for id, n := range dom {
		if n.tag == "label" && n.forID != "" {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	out := map[string]string{}
	for _, id := range ids {
		l := dom[id]
		if _, ok := out[l.forID]; !ok {
			if t := dom.textOf(l); t != "" {
				out[l.forID] = t
			}
		}
	}
	return out
}

// fieldLabel returns the label of the form field id, as a person reads
// it: its aria-label, the <label> that names it (labels, by for, or one
// around it), its placeholder, name or title. known is false when the
// batch does not know the node (an earlier snapshot may).
func (dom domIndex) fieldLabel(id int64, labels map[string]string) (label string, known bool) {
	n := dom[id]
	if n == nil {
		return "", false
	}
	if !n.field {
		return "", true
	}
	if n.aria != "" {
		return truncate(n.aria, maxClickText), true
	}
	if t := labels[n.htmlID]; t != "" { // labels names no ""
		return truncate(t, maxClickText), true
	}
	for p, depth := dom[n.parent], 0; p != nil && depth < 10; p, depth = dom[p.parent], depth+1 {
		if p.tag == "label" {
			if t := dom.textOf(p); t != "" {
				return truncate(t, maxClickText), true
			}
			break
		}
	}
	return truncate(n.fallback, maxClickText), true
}

// resolve returns the clicked node or its nearest actionable ancestor (a
// click on a button's icon is a click on the button), if known; or, when
// the walk up meets a node the batch does not know, that node's id, to
// look up among an earlier snapshot's nodes.
func (dom domIndex) resolve(id int64) (el *domNode, lookup int64) {
	for range 10 {
		n := dom[id]
		if n == nil {
			return nil, id
		}
		if n.actionable {
			return n, 0
		}
		if n.parent == 0 {
			return nil, 0
		}
		id = n.parent
	}
	return nil, 0
}

// clickText is the text of the clicked actionable element, or of the
// clicked node when it is short.
func (dom domIndex) clickText(id int64, el *domNode) string {
	if el != nil {
		return truncate(dom.textOf(el), maxClickText)
	}
	n := dom[id]
	if n == nil {
		return ""
	}
	if t := dom.textOf(n); len(t) <= maxClickText {
		return t
	}
	return ""
}

// textOf returns the text inside n, spaces collapsed, scripts and styles
// left out. It looks at no more than maxTextNodes nodes: mutations can
// make a node its own child, or a child twice, and the walk must end.
func (dom domIndex) textOf(n *domNode) string {
	var b strings.Builder
	visits := 0
	var walk func(n *domNode, depth int)
	walk = func(n *domNode, depth int) {
		visits++
		if depth > 50 || visits > maxTextNodes || b.Len() > 4*maxClickText || n.tag == "script" || n.tag == "style" {
			return
		}
		if n.text != "" {
			b.WriteString(n.text)
			b.WriteByte(' ')
		}
		for _, c := range n.children {
			if cn := dom[c]; cn != nil {
				walk(cn, depth+1)
			}
		}
	}
	walk(n, 0)
	return strings.Join(strings.Fields(b.String()), " ")
}

// title returns the text of the page's <title>, if a snapshot gave it.
func (dom domIndex) title() string {
	for _, n := range dom {
		if p := dom[n.parent]; n.tag == "title" && p != nil && p.tag == "head" {
			return dom.textOf(n)
		}
	}
	return ""
}

// dedupeSearch keeps one of each searchable value of the batch.
func dedupeSearch(ib *playhead.IndexedBatch) {
	slices.SortFunc(ib.Search, func(a, b playhead.SearchText) int {
		return cmp.Or(cmp.Compare(a.Field, b.Field), cmp.Compare(a.Value, b.Value))
	})
	ib.Search = slices.Compact(ib.Search)
}

// maxCarriedNodes bounds the nodes of a snapshot kept for the clicks of
// later batches.
const maxCarriedNodes = 4000

// carriedNodes is the encoded form of a snapshot's actionable elements
// (playhead.BatchSignals.Nodes): Text holds each element's text, Nodes
// pairs of a node's id and the index in Text of the element it is in.
type carriedNodes struct {
	Text  []string `json:"t"`
	Nodes []int64  `json:"n"`
	// Fields are pairs of a form field's id and the index in Text of its
	// label.
	Fields []int64 `json:"f,omitempty"`
}

// actionableNodes encodes the actionable elements of the batch and the
// nodes inside them, at most maxCarriedNodes.
func (dom domIndex) actionableNodes() []byte {
	ids := make([]int64, 0, len(dom))
	for id := range dom {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var c carriedNodes
	index := map[*domNode]int{}
	for _, id := range ids {
		el, _ := dom.resolve(id)
		if el == nil {
			continue
		}
		i, ok := index[el]
		if !ok {
			i = len(c.Text)
			index[el] = i
			c.Text = append(c.Text, truncate(dom.textOf(el), maxClickText))
		}
		c.Nodes = append(c.Nodes, id, int64(i))
		if len(c.Nodes) == 2*maxCarriedNodes {
			break
		}
	}
	labels := dom.labelsFor()
	texts := map[string]int{}
	for _, id := range ids {
		if !dom[id].field {
			continue
		}
		label, _ := dom.fieldLabel(id, labels)
		if label == "" {
			continue
		}
		i, ok := texts[label]
		if !ok {
			i = len(c.Text)
			texts[label] = i
			c.Text = append(c.Text, label)
		}
		c.Fields = append(c.Fields, id, int64(i))
		if len(c.Fields) == 2*maxCarriedFields {
			break
		}
	}
	out, _ := json.Marshal(c)
	return out
}

// maxCarriedFields bounds the form fields of a snapshot kept for the
// inputs of later batches.
const maxCarriedFields = 1000

// lookup returns the text of the actionable element node id is in. The
// pairs are in the order of their ids.
func (c *carriedNodes) lookup(id int64) (text string, ok bool) { return c.find(c.Nodes, id) }

// lookupField returns the label of the form field id.
func (c *carriedNodes) lookupField(id int64) (label string, ok bool) { return c.find(c.Fields, id) }

// find returns the text pairs (id, index in Text, in the order of their
// ids) give id.
func (c *carriedNodes) find(pairs []int64, id int64) (string, bool) {
	n := len(pairs) / 2
	k := sort.Search(n, func(k int) bool { return pairs[2*k] >= id })
	if k == n || pairs[2*k] != id {
		return "", false
	}
	if t := pairs[2*k+1]; t >= 0 && t < int64(len(c.Text)) {
		return c.Text[t], true
	}
	return "", false
}
