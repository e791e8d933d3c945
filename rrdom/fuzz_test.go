package rrdom_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/playhead/playhead/rrdom"
)

// FuzzKeyframes feeds random sequences of recorded changes to a page (DOM
// mutations in any order rrweb's recorder may send them, moves, shadow roots,
// iframes, style sheet and declaration edits, constructed and adopted sheets,
// fonts, form values, media, scroll, selection, a new page) to two replays:
// one from the start, one from a keyframe built at a random moment. After
// every event, both must show the same page. Inputs whose first byte is odd
// also get malformed events mixed in, which must be refused or ignored,
// never panic.
func FuzzKeyframes(f *testing.F) {
	f.Add([]byte{0, 3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4, 6, 2, 6, 4, 3, 3, 8, 3, 2, 7, 9, 5})
	f.Add([]byte("keyframes of a page that changes through its DOM, its style sheets and its form fields"))
	f.Add([]byte{2, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64})
	f.Add([]byte{1, 255, 254, 253, 0, 0, 0, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7})
	f.Fuzz(func(t *testing.T, data []byte) {
		g := &generator{data: data, whole: rrdom.NewTree()}
		g.malformed = len(data) > 0 && data[0]%2 == 1
		events := g.session(60)
		if len(events) < 2 {
			return
		}
		cut := 2 + g.intn(len(events)-1)
		whole := rrdom.NewTree()
		for _, e := range events[:cut] {
			whole.Apply(e) // malformed ones are refused
		}
		if err := rrdom.CheckTree(whole); err != nil {
			t.Fatalf("after event %d: %v", cut, err)
		}
		kf, err := whole.Keyframe(int64(1000 + cut))
		if err != nil {
			t.Fatalf("keyframe: %v", err)
		}
		from := rrdom.NewTree()
		for i, e := range kf {
			if err := from.Apply(e); err != nil {
				t.Fatalf("keyframe event %d: %v\n%s", i, err, e)
			}
		}
		// Malformed events may leave the replayer with nodes no snapshot
		// can hold (mapped, but out of the page): only no panic counts.
		check := !g.malformed
		if err := rrdom.Diff(whole, from); check && err != nil {
			t.Fatalf("right after the keyframe (event %d): %v", cut, err)
		}
		for i, e := range events[cut:] {
			errWhole, errFrom := whole.Apply(e), from.Apply(e)
			if !check {
				continue
			}
			if (errWhole == nil) != (errFrom == nil) {
				t.Fatalf("event %d: %v vs %v", cut+i, errWhole, errFrom)
			}
			if err := rrdom.Diff(whole, from); err != nil {
				t.Fatalf("keyframe at event %d, then event %d: %v\n%s", cut, cut+i, err, e)
			}
		}
		if _, err := whole.Serialize(); err != nil {
			t.Fatal(err)
		}
		for _, tree := range []*rrdom.Tree{whole, from} {
			if err := rrdom.CheckTree(tree); err != nil {
				t.Fatalf("at the end: %v", err)
			}
		}
		inSegmentOrder(t, whole.Root())
	})
}

// inSegmentOrder fails the test unless every child list under n holds its
// light children, then its shadow root's, then a content document, which
// appending relies on.
func inSegmentOrder(t *testing.T, n *rrdom.Node) {
	t.Helper()
	segment := func(c *rrdom.Node) int {
		switch {
		case c.Type == rrdom.Document:
			return 2
		case c.IsShadow:
			return 1
		}
		return 0
	}
	for i, c := range n.Children {
		if i > 0 && segment(n.Children[i-1]) > segment(c) {
			t.Fatalf("node %d's children are out of order at %d", n.ID, i)
		}
		inSegmentOrder(t, c)
	}
}

// generator makes a plausible recording from fuzz bytes: it keeps the page
// it records in a tree of its own and sends what rrweb's recorder would.
type generator struct {
	data      []byte
	pos       int
	malformed bool
	whole     *rrdom.Tree
	next      int64 // the next node id
	ts        int64
	events    []json.RawMessage
	styles    map[int64]int // style element → its rules, as the page has them
	sheets    map[int64]int // constructed sheet → its rules
	sheetDoc  map[int64]*rrdom.Node
	nextSheet int64
}

func (g *generator) byte() byte {
	if g.pos >= len(g.data) {
		return 0
	}
	b := g.data[g.pos]
	g.pos++
	return b
}

func (g *generator) intn(n int) int {
	if n <= 1 {
		return 0
	}
	return int(uint(g.byte())<<8|uint(g.byte())) % n
}

func (g *generator) emit(format string, args ...any) {
	g.ts++
	e := json.RawMessage(fmt.Sprintf(format, args...))
	if err := g.whole.Apply(e); err != nil {
		panic(fmt.Sprintf("the generator made an event the tree refuses: %v\n%s", err, e))
	}
	g.events = append(g.events, e)
}

func (g *generator) incremental(source int, fields string, args ...any) {
	g.emit(`{"type":3,"timestamp":%d,"data":{"source":%d,`+fields+`}}`, append([]any{g.ts + 1, source}, args...)...)
}

func (g *generator) mutation(adds, removes, texts, attributes []string) {
	g.incremental(0, `"adds":[%s],"removes":[%s],"texts":[%s],"attributes":[%s]`,
		strings.Join(adds, ","), strings.Join(removes, ","), strings.Join(texts, ","), strings.Join(attributes, ","))
}

// session records a page load, then up to n changes.
func (g *generator) session(n int) []json.RawMessage {
	g.page()
	for range n {
		if g.pos >= len(g.data) {
			break
		}
		g.change()
	}
	return g.events
}

// page records a new page: Meta and a full snapshot.
func (g *generator) page() {
	g.styles, g.sheets, g.sheetDoc = map[int64]int{}, map[int64]int{}, map[int64]*rrdom.Node{}
	g.next = 1
	id := func() int64 { g.next++; return g.next - 1 }
	doc, doctype, html, head, style, styleText, body := id(), id(), id(), id(), id(), id(), id()
	g.emit(`{"type":4,"timestamp":%d,"data":{"href":"http://example.test/%d","width":1280,"height":800}}`, g.ts+1, g.ts)
	g.emit(`{"type":2,"timestamp":%d,"data":{"node":{"type":0,"id":%d,"childNodes":[
		{"type":1,"name":"html","publicId":"","systemId":"","id":%d},
		{"type":2,"tagName":"html","attributes":{"lang":"en"},"id":%d,"childNodes":[
			{"type":2,"tagName":"head","attributes":{},"id":%d,"childNodes":[
				{"type":2,"tagName":"style","attributes":{},"id":%d,"childNodes":[{"type":3,"textContent":"body { margin: 0px; }.a { color: red; }","isStyle":true,"id":%d}]}]},
			{"type":2,"tagName":"body","attributes":{"class":"page"},"id":%d,"childNodes":[]}]}]},"initialOffset":{"left":0,"top":0}}}`,
		g.ts+1, doc, doctype, html, head, style, styleText, body)
	g.styles[style] = 2
}

// elements returns the page's elements (in document order), iframes'
// documents included; only those under body when bodyOnly.
func (g *generator) nodes(keep func(n *rrdom.Node) bool) []*rrdom.Node {
	var out []*rrdom.Node
	var walk func(n *rrdom.Node)
	walk = func(n *rrdom.Node) {
		if n.ID > 0 && keep(n) {
			out = append(out, n)
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	if r := g.whole.Root(); r != nil {
		walk(r)
	}
	return out
}

func (g *generator) pick(keep func(n *rrdom.Node) bool) *rrdom.Node {
	list := g.nodes(keep)
	if len(list) == 0 {
		return nil
	}
	return list[g.intn(len(list))]
}

// container is an element new nodes may go under: in a body, not a
// style, textarea or iframe.
func container(n *rrdom.Node) bool {
	if n.Type != rrdom.Element {
		return false
	}
	switch n.TagName {
	case "html", "head", "style", "textarea", "iframe", "video", "input":
		return false
	}
	for p := n; p != nil; p = p.Parent {
		if p.TagName == "body" {
			return true
		}
	}
	return false
}

func inBody(n *rrdom.Node) bool {
	return n.Parent != nil && container(n.Parent)
}

// nextOf returns the id of n's next sibling in its child list, or "null".
func nextOf(n *rrdom.Node) string {
	p := n.Parent
	for i, c := range p.Children {
		if c == n {
			for _, s := range p.Children[i+1:] {
				if s.IsShadow == n.IsShadow && s.Type != rrdom.Document {
					return fmt.Sprint(s.ID)
				}
			}
		}
	}
	return "null"
}

var tags = []string{"div", "span", "p", "li", "ul", "button", "section", "b"}

func (g *generator) newNode(shadow bool, rootID int64) (string, int64) {
	id := g.next
	g.next++
	extra := ""
	if shadow {
		extra += `,"isShadow":true`
	}
	if rootID != 0 {
		extra += fmt.Sprintf(`,"rootId":%d`, rootID)
	}
	switch g.intn(6) {
	case 0:
		return fmt.Sprintf(`{"type":3,"textContent":"t%d"%s,"id":%d}`, id, extra, id), id
	case 1:
		return fmt.Sprintf(`{"type":5,"textContent":"c%d"%s,"id":%d}`, id, extra, id), id
	}
	attrs := fmt.Sprintf(`{"class":"c%d"}`, g.intn(4))
	if g.intn(3) == 0 {
		attrs = fmt.Sprintf(`{"style":"color: red; width: %dpx;","data-n":"%d"}`, g.intn(100), id)
	}
	return fmt.Sprintf(`{"type":2,"tagName":%q,"attributes":%s,"childNodes":[]%s,"id":%d}`, tags[g.intn(len(tags))], attrs, extra, id), id
}

func rootOf(n *rrdom.Node) int64 {
	for p := n; p != nil; p = p.Parent {
		if p.Type == rrdom.Document {
			if p.Parent != nil { // an iframe's document
				return p.ID
			}
			return 0
		}
	}
	return 0
}

// change records one change to the page.
func (g *generator) change() {
	if g.malformed && g.intn(8) == 0 {
		g.garbage()
		return
	}
	switch g.intn(24) {
	case 0, 1, 2, 3:
		g.add()
	case 4, 5:
		g.remove()
	case 6, 7:
		g.move()
	case 8:
		if n := g.pick(func(n *rrdom.Node) bool { return n.Type == rrdom.Text && inBody(n) }); n != nil {
			g.mutation(nil, nil, []string{fmt.Sprintf(`{"id":%d,"value":"v%d"}`, n.ID, g.intn(100))}, nil)
		}
	case 9:
		g.attributes()
	case 10, 11:
		g.sheetEdit()
	case 12:
		g.styleElement()
	case 13:
		g.adopted()
	case 14:
		g.iframe()
	case 15:
		g.formField()
	case 16:
		if n := g.pick(func(n *rrdom.Node) bool { return n.TagName == "input" }); n != nil {
			g.incremental(5, `"id":%d,"text":"typed %d","isChecked":%t,"userTriggered":true`, n.ID, g.intn(9), g.intn(2) == 0)
		}
	case 17:
		if n := g.pick(func(n *rrdom.Node) bool { return n.Type == rrdom.Document || container(n) }); n != nil {
			g.incremental(3, `"id":%d,"x":%d,"y":%d`, n.ID, g.intn(500), g.intn(5000))
		}
	case 18:
		if n := g.pick(func(n *rrdom.Node) bool { return n.TagName == "video" }); n != nil {
			g.incremental(7, `"type":%d,"id":%d,"currentTime":%d.5,"playbackRate":1,"volume":0.5,"muted":%t`, g.intn(2), n.ID, g.intn(30), g.intn(2) == 0)
		}
	case 19:
		g.incremental(10, `"family":"F%d","fontSource":"url(https://fonts.example/f%d.woff2)","buffer":false,"descriptors":{}`, g.intn(3), g.intn(3))
	case 20:
		if n := g.pick(func(n *rrdom.Node) bool { return n.Type == rrdom.Text && inBody(n) }); n != nil {
			g.incremental(14, `"ranges":[{"start":%d,"startOffset":0,"end":%d,"endOffset":1}]`, n.ID, n.ID)
		}
	case 21:
		if n := g.pick(container); n != nil {
			g.incremental(1, `"positions":[{"x":%d,"y":%d,"id":%d,"timeOffset":-10}]`, g.intn(1280), g.intn(800), n.ID)
			g.incremental(2, `"type":%d,"id":%d,"x":3,"y":4`, []int{2, 5, 6}[g.intn(3)], n.ID)
		}
	case 22:
		g.incremental(4, `"width":%d,"height":%d`, 600+g.intn(600), 400+g.intn(400))
	case 23:
		if g.intn(4) == 0 {
			g.page()
		}
	}
}

func (g *generator) add() {
	parent := g.pick(container)
	if parent == nil {
		return
	}
	shadow := g.intn(5) == 0 && parent.Type == rrdom.Element
	var siblings []*rrdom.Node
	for _, c := range parent.Children {
		if c.IsShadow == shadow && c.Type != rrdom.Document {
			siblings = append(siblings, c)
		}
	}
	at := g.intn(len(siblings) + 1)
	next := "null"
	if at < len(siblings) {
		next = fmt.Sprint(siblings[at].ID)
	}
	root := rootOf(parent)
	node, id := g.newNode(shadow, root)
	adds := []string{fmt.Sprintf(`{"parentId":%d,"nextId":%s,"node":%s}`, parent.ID, next, node)}
	// Children of the new node, added in the same mutation, in an order the
	// replayer has to resolve.
	if strings.HasPrefix(node, `{"type":2`) {
		var kids []int64
		for range g.intn(4) {
			child, cid := g.newNode(false, root)
			kids = append(kids, cid)
			adds = append(adds, fmt.Sprintf(`{"parentId":%d,"nextId":NEXT%d,"node":%s}`, id, cid, child))
		}
		for i, cid := range kids {
			nextID := "null"
			if i+1 < len(kids) {
				nextID = fmt.Sprint(kids[i+1])
			}
			for j := range adds {
				adds[j] = strings.Replace(adds[j], fmt.Sprintf("NEXT%d", cid), nextID, 1)
			}
		}
		if g.intn(2) == 0 { // rrweb sends adds last first
			for i, j := 0, len(adds)-1; i < j; i, j = i+1, j-1 {
				adds[i], adds[j] = adds[j], adds[i]
			}
		}
	}
	g.mutation(adds, nil, nil, nil)
}

// holdsFrame says whether an iframe is in n's subtree: a moved iframe
// loads its document again, which the generator does not record.
func holdsFrame(n *rrdom.Node) bool {
	if n.TagName == "iframe" {
		return true
	}
	for _, c := range n.Children {
		if holdsFrame(c) {
			return true
		}
	}
	return false
}

func removal(n *rrdom.Node) string {
	shadow := ""
	if n.IsShadow {
		shadow = `,"isShadow":true`
	}
	return fmt.Sprintf(`{"parentId":%d,"id":%d%s}`, n.Parent.ID, n.ID, shadow)
}

func (g *generator) remove() {
	if n := g.pick(inBody); n != nil {
		g.mutation(nil, []string{removal(n)}, nil, nil)
	}
}

// move re-parents a node the way the recorder reports it: removed, then
// added again with its descendants, under their ids.
func (g *generator) move() {
	n := g.pick(func(n *rrdom.Node) bool { return inBody(n) && n.Type == rrdom.Element && !holdsFrame(n) })
	if n == nil {
		return
	}
	to := g.pick(func(p *rrdom.Node) bool {
		if !container(p) || p.IsShadowHost {
			return false
		}
		for a := p; a != nil; a = a.Parent {
			if a == n {
				return false
			}
		}
		return rootOf(p) == rootOf(n)
	})
	if to == nil {
		return
	}
	var adds []string
	var ser func(m *rrdom.Node, parent int64, next string)
	ser = func(m *rrdom.Node, parent int64, next string) {
		one := *m
		one.Children = nil
		node, err := rrdom.SerializeNode(&one)
		if err != nil || m.ID <= 0 {
			return
		}
		adds = append(adds, fmt.Sprintf(`{"parentId":%d,"nextId":%s,"node":%s}`, parent, next, node))
		for _, c := range m.Children {
			if c.Type == rrdom.Document || c.ID <= 0 {
				continue
			}
			ser(c, m.ID, nextOf(c))
		}
	}
	var siblings []*rrdom.Node
	for _, c := range to.Children {
		if !c.IsShadow && c != n {
			siblings = append(siblings, c)
		}
	}
	next := "null"
	if at := g.intn(len(siblings) + 1); at < len(siblings) {
		next = fmt.Sprint(siblings[at].ID)
	}
	rem := removal(n)
	ser(n, to.ID, next)
	g.mutation(adds, []string{rem}, nil, nil)
}

func (g *generator) attributes() {
	if d := g.pick(func(n *rrdom.Node) bool { return n.TagName == "dialog" }); d != nil && g.intn(2) == 0 {
		a := []string{`"open":"","rr_open_mode":"modal"`, `"open":"","rr_open_mode":"non-modal"`, `"open":null,"rr_open_mode":"non-modal"`, `"rr_open_mode":"modal"`}[g.intn(4)]
		g.mutation(nil, nil, nil, []string{fmt.Sprintf(`{"id":%d,"attributes":{%s}}`, d.ID, a)})
		return
	}
	n := g.pick(func(n *rrdom.Node) bool { return container(n) })
	if n == nil {
		return
	}
	var a string
	switch g.intn(4) {
	case 0:
		a = fmt.Sprintf(`"class":"k%d","data-x":null`, g.intn(5))
	case 1:
		a = fmt.Sprintf(`"style":{"color":"rgb(%d, 0, 0)","width":false,"margin-top":["%dpx","important"]}`, g.intn(255), g.intn(9))
	case 2:
		a = `"hidden":"","title":"x"`
	default:
		a = `"hidden":null`
	}
	g.mutation(nil, nil, nil, []string{fmt.Sprintf(`{"id":%d,"attributes":{%s}}`, n.ID, a)})
}

// styleElement adds a <style>: with text, or empty and filled through
// insertRule as CSS-in-JS libraries do.
func (g *generator) styleElement() {
	head := g.pick(func(n *rrdom.Node) bool { return n.TagName == "head" })
	if head == nil {
		return
	}
	id := g.next
	g.next += 2
	adds := []string{fmt.Sprintf(`{"parentId":%d,"nextId":null,"node":{"type":2,"tagName":"style","attributes":{"data-s":"%d"},"childNodes":[],"id":%d}}`, head.ID, id, id)}
	rules := 0
	if g.intn(2) == 0 {
		adds = append(adds, fmt.Sprintf(`{"parentId":%d,"nextId":null,"node":{"type":3,"textContent":".s%d { color: blue; }@media (min-width: 1px) { .m { color: green; } }","id":%d}}`, id, id, id+1))
		rules = 2
	}
	g.mutation(adds, nil, nil, nil)
	g.styles[id] = rules
}

var ruleTexts = []string{".x { color: red; }", "#y { margin: 0px; }", "p::-moz-selection { color: red; }", ".z:hover { opacity: 0.5; }", "@media (max-width: 600px) { .q { display: none; } }"}

// sheetEdit inserts or deletes a rule, or sets a declaration, of a
// <style>'s sheet or a constructed one, at indexes valid in the page.
func (g *generator) sheetEdit() {
	target, rules := "", 0
	var count *int
	if ids := sortedIDs(g.sheets); len(ids) > 0 && g.intn(3) == 0 {
		id := ids[g.intn(len(ids))]
		target, rules = fmt.Sprintf(`"styleId":%d`, id), g.sheets[id]
		c := rules
		count = &c
		defer func() { g.sheets[id] = *count }()
	} else {
		var ids []int64
		for _, id := range sortedIDs(g.styles) {
			if n := g.whole.Node(id); n != nil && n.Parent != nil {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			return
		}
		id := ids[g.intn(len(ids))]
		target, rules = fmt.Sprintf(`"id":%d`, id), g.styles[id]
		c := rules
		count = &c
		defer func() { g.styles[id] = *count }()
	}
	switch g.intn(4) {
	case 0, 1:
		text := ruleTexts[g.intn(len(ruleTexts))]
		g.incremental(8, `%s,"adds":[{"rule":%q,"index":%d}]`, target, text, g.intn(rules+1))
		if !strings.Contains(text, "-moz-") { // the browser refuses that one
			*count++
		}
	case 2:
		if rules > 0 {
			g.incremental(8, `%s,"removes":[{"index":%d}]`, target, g.intn(rules))
			*count--
		}
	case 3:
		if rules > 0 {
			g.incremental(13, `%s,"index":[%d],"set":{"property":"padding","value":"%dpx","priority":""}`, target, g.intn(rules), g.intn(20))
		}
	}
}

func sortedIDs(m map[int64]int) []int64 {
	return slices.Sorted(maps.Keys(m))
}

// adopted creates a constructed sheet and adopts sheets in the document
// or a shadow root.
func (g *generator) adopted() {
	host := g.pick(func(n *rrdom.Node) bool { return n.Type == rrdom.Document || n.IsShadowHost })
	if host == nil {
		return
	}
	g.nextSheet++
	id := g.nextSheet
	doc := documentOf(host)
	var ids []string
	for _, sid := range sortedIDs(g.sheets) {
		// A browser lets a document or shadow root adopt only sheets
		// constructed in its own document.
		if g.sheetDoc[sid] == doc && g.intn(2) == 0 {
			ids = append(ids, fmt.Sprint(sid))
		}
	}
	ids = append(ids, fmt.Sprint(id))
	g.incremental(15, `"id":%d,"styleIds":[%s],"styles":[{"styleId":%d,"rules":[{"rule":".adopted%d { color: teal; }","index":0}]}]`, host.ID, strings.Join(ids, ","), id, id)
	g.sheets[id], g.sheetDoc[id] = 1, doc
	if g.intn(3) == 0 {
		g.incremental(8, `"styleId":%d,"replaceSync":".r { color: navy; } .s { color: olive; }"`, id)
		g.sheets[id] = 2
	}
}

// iframe adds an iframe and attaches its document, as rrweb's recorder
// does once the iframe loads.
func (g *generator) iframe() {
	parent := g.pick(func(n *rrdom.Node) bool { return container(n) && rootOf(n) == 0 })
	if parent == nil {
		return
	}
	frame, doc := g.next, g.next+1
	g.next += 5
	g.mutation([]string{fmt.Sprintf(`{"parentId":%d,"nextId":null,"node":{"type":2,"tagName":"iframe","attributes":{},"childNodes":[],"id":%d}}`, parent.ID, frame)}, nil, nil, nil)
	g.incremental(0, `"adds":[{"parentId":%d,"nextId":null,"node":{"type":0,"id":%d,"childNodes":[{"type":2,"tagName":"html","attributes":{},"rootId":%d,"id":%d,"childNodes":[
		{"type":2,"tagName":"head","attributes":{},"rootId":%d,"id":%d,"childNodes":[]},
		{"type":2,"tagName":"body","attributes":{},"rootId":%d,"id":%d,"childNodes":[]}]}]}}],"removes":[],"texts":[],"attributes":[],"isAttachIframe":true`,
		frame, doc, doc, doc+1, doc, doc+2, doc, doc+3)
}

// formField adds an input, a textarea or a video.
func (g *generator) formField() {
	parent := g.pick(container)
	if parent == nil {
		return
	}
	id := g.next
	g.next++
	var node string
	switch g.intn(4) {
	case 3:
		node = fmt.Sprintf(`{"type":2,"tagName":"dialog","attributes":{"id":"d%d"},"childNodes":[],"id":%d}`, id, id)
	case 0:
		node = fmt.Sprintf(`{"type":2,"tagName":"input","attributes":{"type":"checkbox","value":"on"},"childNodes":[],"id":%d}`, id)
	case 1:
		node = fmt.Sprintf(`{"type":2,"tagName":"textarea","attributes":{"value":"draft"},"childNodes":[],"id":%d}`, id)
	default:
		node = fmt.Sprintf(`{"type":2,"tagName":"video","attributes":{"src":"v.mp4","rr_mediaState":"played","rr_mediaCurrentTime":2},"childNodes":[],"id":%d}`, id)
	}
	g.mutation([]string{fmt.Sprintf(`{"parentId":%d,"nextId":null,"node":%s}`, parent.ID, node)}, nil, nil, nil)
}

// garbage records an event a recorder would not send: both replays must
// refuse it or ignore it alike.
func (g *generator) garbage() {
	bad := []string{
		`{"type":3,"timestamp":%d,"data":{"source":0,"adds":[{"parentId":%d,"nextId":%d,"node":{"type":2,"tagName":"i","attributes":{},"childNodes":[],"id":%d}}],"removes":[],"texts":[],"attributes":[]}}`,
		`{"type":3,"timestamp":%d,"data":{"source":0,"adds":[],"removes":[{"parentId":%d,"id":%d}],"texts":[{"id":%d,"value":null}],"attributes":[]}}`,
		`{"type":3,"timestamp":%d,"data":{"source":8,"id":%d,"adds":[{"rule":"}{","index":%d}],"removes":[{"index":%d}]}}`,
		`{"type":3,"timestamp":%d,"data":{"source":0,"adds":[{"parentId":%d,"node":{"type":9,"id":%d}}],"texts":"%d"}}`,
		`{"type":%d,"timestamp":%d,"data":%d,"x":%d}`,
		`{"type":3,"timestamp":%d,"data":{"source":15,"id":%d,"styleIds":[%d],"styles":[{"styleId":%d}]}}`,
	}
	g.ts++
	e := json.RawMessage(fmt.Sprintf(bad[g.intn(len(bad))], g.ts, g.intn(int(g.next)+2), g.intn(int(g.next)+2), g.intn(int(g.next)+2)))
	g.whole.Apply(e) // refused or applied: only no panic counts here
	g.events = append(g.events, e)
}

// documentOf returns the document n is in (n, for a document).
func documentOf(n *rrdom.Node) *rrdom.Node {
	for n.Parent != nil && n.Type != rrdom.Document {
		n = n.Parent
	}
	return n
}
