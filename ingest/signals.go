package ingest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	jsonv2 "github.com/go-json-experiment/json"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/search"
)

// Frustration signals, by default (a project's settings may change the
// first three).
const (
	rageClicks    = 3    // clicks …
	rageWindowMs  = 1000 // … within this long …
	deadWindowMs  = 2500 // an actionable click nothing answers within this long is dead
	rageRadiusPx  = 30   // … and this close to the first make a rage click
	errorWindowMs = 1000 // a JS error this soon after a click makes it an error click
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

// thresholds say when clicks are frustration signals.
type thresholds struct {
	rageClicks   int
	rageWindowMs int64
	deadWindowMs int64
}

// thresholdsOf returns a project's thresholds: its settings', or the
// defaults where it has none.
func thresholdsOf(s playhead.ProjectSettings) thresholds {
	th := thresholds{rageClicks: rageClicks, rageWindowMs: rageWindowMs, deadWindowMs: deadWindowMs}
	if s.RageClicks > 0 {
		th.rageClicks = s.RageClicks
	}
	if s.RageWindowMs > 0 {
		th.rageWindowMs = int64(s.RageWindowMs)
	}
	if s.DeadClickMs > 0 {
		th.deadWindowMs = int64(s.DeadClickMs)
	}
	return th
}

// click is one click of a batch.
type click struct {
	ts   int64
	id   int64
	x, y float64
	// el is the clicked element, or its nearest actionable ancestor, when
	// the batch's snapshot or mutations added it.
	el *domNode
}

// signals finds the batch's frustration signals and the text of its
// clicked elements, and adds them to ib.
//
// It sees one batch: the clicked elements are looked up among the nodes
// the batch's own full snapshot and mutations added, and a click's
// aftermath is looked for in the batch's later events. So a click on an
// element an earlier batch added has no text and is never counted dead
// (nothing says it is actionable), a dead click needs the batch to run on
// for 2.5 s after it, and rage and error clicks are found only when their
// events share a batch. The SDK sends a batch every few seconds, so these
// undercount rather than overcount.
func signals(b *Batch, ib *playhead.IndexedBatch, th thresholds) {
	var clicks []click
	for i := range b.Events {
		e := &b.Events[i]
		if e.Type == typeIncremental && e.Source == sourceMouseInteraction && e.Interaction == interactionClick {
			clicks = append(clicks, click{ts: e.Timestamp, id: e.NodeID, x: e.X, y: e.Y})
		}
	}
	ids := make([]int64, len(clicks))
	for i, c := range clicks {
		ids[i] = c.id
	}
	dom := newDOMIndex(b, ids)
	if title := dom.title(); title != "" {
		addSearch(ib, search.FieldTitle, title)
	}
	if len(clicks) == 0 {
		return
	}
	slices.SortStableFunc(clicks, func(a, b click) int { return cmp.Compare(a.ts, b.ts) })
	for i := range clicks {
		c := &clicks[i]
		c.el = dom.actionable(c.id)
		if text := dom.clickText(c.id, c.el); text != "" {
			addSearch(ib, search.FieldClick, text)
			nameClick(ib, c.ts, text)
		}
	}
	rage(ib, clicks, th)
	var lastTs int64
	var answers, errors []*Event
	for i := range b.Events {
		e := &b.Events[i]
		lastTs = max(lastTs, e.Timestamp)
		if answersClick(e) {
			answers = append(answers, e)
		}
		if e.Type == typeCustom && e.Tag == tagError {
			errors = append(errors, e)
		}
	}
	for _, c := range clicks {
		if c.el != nil && c.ts+th.deadWindowMs <= lastTs && !answered(c.ts, answers, th.deadWindowMs) {
			ib.DeadClicks++
			ib.Timeline = append(ib.Timeline, signalEntry(playhead.KindDeadClick, "warn", c, "Dead click", dom.clickText(c.id, c.el)))
		}
	}
	// An error click is the last click before an error, within
	// errorWindowMs: the one that set it off. Clicks before that one are
	// not, and a click is counted once however many errors follow it.
	counted := map[int]bool{}
	for _, e := range errors {
		last := -1
		for i, c := range clicks {
			if c.ts <= e.Timestamp {
				last = i
			}
		}
		if last < 0 || e.Timestamp-clicks[last].ts > errorWindowMs || counted[last] {
			continue
		}
		counted[last] = true
		var p struct {
			Message string `json:"message"`
		}
		json.Unmarshal(e.Payload, &p)
		ib.ErrorClicks++
		ib.Timeline = append(ib.Timeline, signalEntry(playhead.KindErrorClick, "error", clicks[last], "Error click", firstLine(p.Message)))
	}
}

// rage adds a rage click for every run of th.rageClicks or more clicks
// within th.rageWindowMs of the run's first click and rageRadiusPx of
// where it was.
func rage(ib *playhead.IndexedBatch, clicks []click, th thresholds) {
	for i := 0; i < len(clicks); {
		first := clicks[i]
		n, j := 1, i+1
		for ; j < len(clicks) && clicks[j].ts-first.ts <= th.rageWindowMs; j++ {
			if math.Hypot(clicks[j].x-first.x, clicks[j].y-first.y) <= rageRadiusPx {
				n++
			}
		}
		if n < th.rageClicks {
			i++
			continue
		}
		ib.RageClicks++
		ib.Timeline = append(ib.Timeline, signalEntry(playhead.KindRageClick, "warn", first, "Rage click", fmt.Sprintf("%d clicks", n)))
		i = j
	}
}

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

// answered says whether one of answers came within window after ts; a
// request counts from when it started.
func answered(ts int64, answers []*Event, window int64) bool {
	for _, e := range answers {
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
		if at >= ts && at-ts <= window {
			return true
		}
	}
	return false
}

func signalEntry(kind, level string, c click, label, what string) playhead.TimelineEntry {
	if what != "" {
		label += ": " + what
	}
	detail, _ := json.Marshal(map[string]any{"id": c.id, "x": c.x, "y": c.y})
	return playhead.TimelineEntry{Ts: c.ts, Kind: kind, Level: level, Label: truncate(label, maxLabel), Detail: detail}
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
}

// domIndex holds the nodes a batch's full snapshots (and, when wanted, its
// mutations) added, by id.
type domIndex map[int64]*domNode

// serialisedNode is a node of rrweb's serialised DOM.
type serialisedNode struct {
	Type        int               `json:"type"`
	ID          int64             `json:"id"`
	TagName     string            `json:"tagName"`
	Attributes  map[string]any    `json:"attributes"`
	ChildNodes  []*serialisedNode `json:"childNodes"`
	TextContent string            `json:"textContent"`
}

// newDOMIndex reads the nodes of the batch's full snapshots and those of
// its mutations that the clicks need: the clicked nodes, what was added
// inside them, and their ancestors. Mutations are most of a batch's bytes,
// so one is decoded only when its bytes name a node wanted ("id":N or
// "parentId":N), found by a scan that decodes nothing; the ancestors of
// what it added are then wanted in turn, a few levels up.
func newDOMIndex(b *Batch, clickIDs []int64) domIndex {
	dom := domIndex{}
	var mutations []int
	for i := range b.Events {
		e := &b.Events[i]
		switch {
		case e.Type == typeFullSnapshot:
			var s struct {
				Data struct {
					Node *serialisedNode `json:"node"`
				} `json:"data"`
			}
			if jsonv2.Unmarshal(e.Raw, &s) == nil && s.Data.Node != nil {
				dom.add(s.Data.Node, 0)
			}
		case len(clickIDs) > 0 && e.Type == typeIncremental && e.Source == sourceMutation:
			mutations = append(mutations, i)
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
		patterns := idPatterns(wanted, round == 0)
		// The latest mutations that name a wanted node, up to the cap,
		// decoded in their order.
		var hits []int
		rest := mutations[:0]
		for k := len(mutations) - 1; k >= 0; k-- {
			i := mutations[k]
			if decoded+len(hits) < maxMutationsDecoded && mentions(b.Events[i].Raw, patterns) {
				hits = append(hits, i)
			} else {
				rest = append(rest, i)
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
		next := map[int64]bool{}
		for _, id := range clickIDs {
			for n := dom[id]; n != nil && n.parent != 0; n = dom[n.parent] {
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
	return dom
}

// addMutation adds the nodes a mutation event added.
func (dom domIndex) addMutation(raw []byte) {
	var m struct {
		Data struct {
			Adds []struct {
				ParentID int64           `json:"parentId"`
				Node     *serialisedNode `json:"node"`
			} `json:"adds"`
		} `json:"data"`
	}
	if jsonv2.Unmarshal(raw, &m) != nil {
		return
	}
	for _, a := range m.Data.Adds {
		if a.Node != nil {
			dom.add(a.Node, a.ParentID)
			if p := dom[a.ParentID]; p != nil {
				p.children = append(p.children, a.Node.ID)
			}
		}
	}
}

// maxMutationsDecoded bounds the mutations one batch decodes for its
// clicks: a page that re-renders the clicked list every second names the
// clicked node in every mutation, and the latest few say what it was.
const maxMutationsDecoded = 8

// idPatterns returns the byte patterns naming ids in serialised nodes:
// "id":N and, with parents, "parentId":N.
func idPatterns(ids map[int64]bool, parents bool) [][]byte {
	var out [][]byte
	for id := range ids {
		n := strconv.FormatInt(id, 10)
		out = append(out, []byte(`"id":`+n))
		if parents {
			out = append(out, []byte(`"parentId":`+n))
		}
	}
	return out
}

// mentions says whether raw holds one of patterns, not followed by a digit
// (so "id":12 does not find "id":123). rrweb writes its JSON without
// spaces.
func mentions(raw []byte, patterns [][]byte) bool {
	for _, p := range patterns {
		for rest := raw; ; {
			i := bytes.Index(rest, p)
			if i < 0 {
				break
			}
			rest = rest[i+len(p):]
			if len(rest) == 0 || rest[0] < '0' || rest[0] > '9' {
				return true
			}
		}
	}
	return false
}

func (dom domIndex) add(n *serialisedNode, parent int64) {
	d := &domNode{parent: parent, tag: strings.ToLower(n.TagName)}
	switch n.Type {
	case nodeText:
		d.text = n.TextContent
	case nodeElement:
		d.actionable = isActionable(d.tag, n.Attributes)
	}
	dom[n.ID] = d
	for _, c := range n.ChildNodes {
		if c != nil {
			d.children = append(d.children, c.ID)
			dom.add(c, n.ID)
		}
	}
}

// isActionable says whether clicking an element is meant to do something:
// a link, a button, a form control that is clicked (not typed in), or an
// element whose ARIA role says it is one of those.
func isActionable(tag string, attrs map[string]any) bool {
	switch tag {
	case "a":
		_, ok := attrs["href"]
		return ok
	case "button", "select", "summary", "option":
		return true
	case "input":
		t, _ := attrs["type"].(string)
		switch strings.ToLower(t) {
		case "button", "submit", "reset", "checkbox", "radio", "image":
			return true
		}
		return false
	}
	role, _ := attrs["role"].(string)
	switch strings.ToLower(role) {
	case "button", "link", "menuitem", "tab", "checkbox", "switch", "option", "radio":
		return true
	}
	return false
}

// actionable returns the clicked node or its nearest actionable ancestor
// (a click on a button's icon is a click on the button), if known.
func (dom domIndex) actionable(id int64) *domNode {
	for range 10 {
		n := dom[id]
		if n == nil {
			return nil
		}
		if n.actionable {
			return n
		}
		id = n.parent
	}
	return nil
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
// left out.
func (dom domIndex) textOf(n *domNode) string {
	var b strings.Builder
	var walk func(n *domNode, depth int)
	walk = func(n *domNode, depth int) {
		if depth > 50 || b.Len() > 4*maxClickText || n.tag == "script" || n.tag == "style" {
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
