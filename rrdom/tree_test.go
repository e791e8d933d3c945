package rrdom_test

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/playhead/playhead/rrdom"
	"github.com/playhead/playhead/testdata"
)

// corpus returns the events of the real 60-minute recording and of the
// browser-recorded corpus sessions, by name.
func corpus(t testing.TB) map[string][]json.RawMessage {
	t.Helper()
	out := map[string][]json.RawMessage{}
	real60, err := testdata.Real60()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range real60 {
		out["real60"] = append(out["real60"], e.Raw)
	}
	files, err := filepath.Glob("../e2e/testdata/corpus/*.json.gz")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus sessions under e2e/testdata/corpus (%v)", err)
	}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(fh)
		if err != nil {
			t.Fatal(err)
		}
		var events []json.RawMessage
		if err := json.NewDecoder(zr).Decode(&events); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		fh.Close()
		out[strings.TrimSuffix(filepath.Base(f), ".json.gz")] = events
	}
	return out
}

// inlineCSS moves a <style>'s _cssText into its one text child, as
// rrweb-snapshot rebuilds it (the recorder blanks that child).
func inlineCSS(v any) any {
	n, ok := v.(map[string]any)
	if !ok {
		return v
	}
	children, _ := n["childNodes"].([]any)
	if attrs, ok := n["attributes"].(map[string]any); ok && n["tagName"] == "style" {
		if css, ok := attrs["_cssText"].(string); ok && len(children) == 1 {
			if c := children[0].(map[string]any); c["type"] == float64(rrdom.Text) {
				c["textContent"] = css
				delete(attrs, "_cssText")
			}
		}
	}
	for _, c := range children {
		inlineCSS(c)
	}
	return n
}

func canonical(t testing.TB, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	return v
}

// The first full snapshot of each recording comes back out of the tree as
// it went in.
func TestSnapshotRoundTrip(t *testing.T) {
	for name, events := range corpus(t) {
		t.Run(name, func(t *testing.T) {
			for _, e := range events {
				var h struct {
					Type int `json:"type"`
					Data struct {
						Node json.RawMessage `json:"node"`
					} `json:"data"`
				}
				if err := json.Unmarshal(e, &h); err != nil {
					t.Fatal(err)
				}
				if h.Type != rrdom.EventFullSnapshot {
					continue
				}
				tree := rrdom.NewTree()
				if err := tree.Apply(e); err != nil {
					t.Fatal(err)
				}
				got, err := tree.Serialize()
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(canonical(t, got), inlineCSS(canonical(t, h.Data.Node))) {
					t.Fatalf("serialised snapshot differs from the recorded one:\n got %.600s\nwant %.600s", got, h.Data.Node)
				}
				return
			}
			t.Fatal("no full snapshot")
		})
	}
}

// Every event of the recordings applies, and the tree at the end written
// as a snapshot and read back is the same tree.
func TestApplyRecordings(t *testing.T) {
	for name, events := range corpus(t) {
		t.Run(name, func(t *testing.T) {
			tree := rrdom.NewTree()
			for i, e := range events {
				if err := tree.Apply(e); err != nil {
					t.Fatalf("event %d: %v", i, err)
				}
			}
			checkTree(t, tree)
			snap, err := tree.Serialize()
			if err != nil {
				t.Fatal(err)
			}
			again := rrdom.NewTree()
			if err := again.Apply(fullSnapshot(snap)); err != nil {
				t.Fatal(err)
			}
			snap2, err := again.Serialize()
			if err != nil {
				t.Fatal(err)
			}
			if string(snap) != string(snap2) {
				t.Fatalf("snapshot of the rebuilt tree differs:\n%.400s\n%.400s", snap, snap2)
			}
		})
	}
}

// checkTree checks the links of every node in the document.
func checkTree(t *testing.T, tree *rrdom.Tree) {
	t.Helper()
	seen := map[int64]bool{}
	var walk func(n *rrdom.Node)
	walk = func(n *rrdom.Node) {
		if n.ID != 0 {
			if seen[n.ID] {
				t.Fatalf("id %d twice in the document", n.ID)
			}
			seen[n.ID] = true
		}
		for _, c := range n.Children {
			if c.Parent != n {
				t.Fatalf("node %d lists child %d whose parent is another", n.ID, c.ID)
			}
			walk(c)
		}
	}
	walk(tree.Root())
	if len(seen) == 0 {
		t.Fatal("empty document")
	}
}

func fullSnapshot(node []byte) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"type":2,"data":{"node":%s,"initialOffset":{"top":0,"left":0}},"timestamp":1}`, node))
}

func mutation(data string) json.RawMessage {
	return json.RawMessage(`{"type":3,"data":{"source":0,"texts":[],"attributes":[],"removes":[],"adds":[]` + data + `},"timestamp":2}`)
}

// html renders the document's body compactly for the table tests.
func html(n *rrdom.Node) string {
	var b strings.Builder
	var walk func(n *rrdom.Node)
	walk = func(n *rrdom.Node) {
		switch n.Type {
		case rrdom.Text:
			b.WriteString(n.TextContent)
			return
		case rrdom.Element:
			b.WriteString("<" + n.TagName)
			if n.ID != 0 {
				fmt.Fprintf(&b, "#%d", n.ID)
			}
			for _, k := range sortedKeys(n.Attributes) {
				fmt.Fprintf(&b, " %s=%q", k, n.Attributes[k])
			}
			b.WriteString(">")
		}
		for _, c := range n.Children {
			if c.IsShadow {
				b.WriteString("^")
			}
			walk(c)
		}
		if n.Type == rrdom.Element {
			b.WriteString("</" + n.TagName + ">")
		}
	}
	walk(n)
	return b.String()
}

func sortedKeys(m map[string]string) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			if keys[j] < keys[i] {
				keys[i], keys[j] = keys[j], keys[i]
			}
		}
	}
	return keys
}

const page = `{"type":0,"childNodes":[{"type":1,"name":"html","publicId":"","systemId":"","id":2},
{"type":2,"tagName":"html","attributes":{},"childNodes":[{"type":2,"tagName":"head","attributes":{},"childNodes":[],"id":4},
{"type":2,"tagName":"body","attributes":{},"childNodes":[{"type":2,"tagName":"ul","attributes":{"class":"list"},"childNodes":[
{"type":2,"tagName":"li","attributes":{},"childNodes":[{"type":3,"textContent":"a","id":8}],"id":7},
{"type":2,"tagName":"li","attributes":{},"childNodes":[{"type":3,"textContent":"b","id":10}],"id":9}],"id":6},
{"type":2,"tagName":"div","attributes":{"style":"color: red; margin: 0px;"},"childNodes":[],"id":11}],"id":5}],"id":3}],"id":1}`

func TestMutations(t *testing.T) {
	li := func(id int) string {
		return fmt.Sprintf(`{"type":2,"tagName":"li","attributes":{},"childNodes":[],"id":%d}`, id)
	}
	text := func(id int, s string) string {
		return fmt.Sprintf(`{"type":3,"textContent":%q,"id":%d}`, s, id)
	}
	tests := []struct {
		name    string
		muts    []string
		node    int64
		want    string
		missing []int64 // ids the map must not hold
	}{
		{"append", []string{`,"adds":[{"parentId":6,"nextId":null,"node":` + li(20) + `}]`}, 6,
			`<ul#6 class="list"><li#7>a</li><li#9>b</li><li#20></li></ul>`, nil},
		{"insert before next", []string{`,"adds":[{"parentId":6,"nextId":9,"node":` + li(20) + `}]`}, 6,
			`<ul#6 class="list"><li#7>a</li><li#20></li><li#9>b</li></ul>`, nil},
		{"insert after previous", []string{`,"adds":[{"parentId":6,"previousId":7,"nextId":null,"node":` + li(20) + `}]`}, 6,
			`<ul#6 class="list"><li#7>a</li><li#20></li><li#9>b</li></ul>`, nil},
		{"next added later in the same mutation", []string{`,"adds":[
			{"parentId":6,"nextId":21,"node":` + li(20) + `},
			{"parentId":20,"nextId":null,"node":` + text(22, "x") + `},
			{"parentId":6,"nextId":null,"node":` + li(21) + `}]`}, 6,
			`<ul#6 class="list"><li#7>a</li><li#9>b</li><li#20>x</li><li#21></li></ul>`, nil},
		{"parent added later in the same mutation", []string{`,"adds":[
			{"parentId":30,"nextId":null,"node":` + text(31, "deep") + `},
			{"parentId":6,"nextId":null,"node":` + li(30) + `}]`}, 6,
			`<ul#6 class="list"><li#7>a</li><li#9>b</li><li#30>deep</li></ul>`, nil},
		{"parent never comes", []string{`,"adds":[{"parentId":99,"nextId":null,"node":` + li(20) + `}]`}, 6,
			`<ul#6 class="list"><li#7>a</li><li#9>b</li></ul>`, []int64{20}},
		{"next never comes", []string{`,"adds":[{"parentId":6,"nextId":98,"node":` + li(20) + `}]`}, 6,
			`<ul#6 class="list"><li#7>a</li><li#9>b</li></ul>`, []int64{20}},
		{"remove takes descendants out of the map", []string{`,"removes":[{"parentId":6,"id":7}]`}, 6,
			`<ul#6 class="list"><li#9>b</li></ul>`, []int64{7, 8}},
		{"move is a remove and an add", []string{`,"removes":[{"parentId":6,"id":9}],"adds":[
			{"parentId":6,"nextId":7,"node":` + li(9) + `},
			{"parentId":9,"nextId":null,"node":` + text(10, "b") + `}]`}, 6,
			`<ul#6 class="list"><li#9>b</li><li#7>a</li></ul>`, nil},
		{"remove from the wrong parent leaves the node, unmapped", []string{`,"removes":[{"parentId":11,"id":7}]`}, 6,
			`<ul#6 class="list"><li>a</li><li#9>b</li></ul>`, []int64{7, 8}},
		{"texts: the last wins", []string{`,"texts":[{"id":8,"value":"x"},{"id":8,"value":"y"}]`}, 6,
			`<ul#6 class="list"><li#7>y</li><li#9>b</li></ul>`, nil},
		{"text on an element replaces its children", []string{`,"texts":[{"id":6,"value":"flat"}]`}, 6,
			`<ul#6 class="list">flat</ul>`, nil},
		{"attributes set and remove", []string{`,"attributes":[{"id":6,"attributes":{"class":null,"data-x":"1","hidden":""}}]`}, 6,
			`<ul#6 data-x="1" hidden=""><li#7>a</li><li#9>b</li></ul>`, nil},
		{"style object", []string{`,"attributes":[{"id":11,"attributes":{"style":{"color":"blue","margin":false,"padding":["1px","important"]}}}]`}, 11,
			`<div#11 style="color: blue; padding: 1px !important;"></div>`, nil},
		{"mutation before its node is ignored", []string{`,"texts":[{"id":500,"value":"x"}],"attributes":[{"id":501,"attributes":{"a":"b"}}],"removes":[{"parentId":6,"id":502}]`}, 6,
			`<ul#6 class="list"><li#7>a</li><li#9>b</li></ul>`, nil},
		{"shadow root", []string{`,"adds":[
			{"parentId":11,"nextId":null,"node":{"type":2,"tagName":"span","attributes":{},"childNodes":[],"isShadow":true,"id":40}},
			{"parentId":11,"nextId":null,"node":` + text(41, "light") + `}]`}, 11,
			`<div#11 style="color: red; margin: 0px;">light^<span#40></span></div>`, nil},
		{"an add cannot make a cycle", []string{`,"adds":[{"parentId":7,"nextId":null,"node":{"type":2,"tagName":"ul","attributes":{"class":"list"},"childNodes":[],"id":6}}]`}, 5,
			`<body#5><ul#6 class="list"><li#7>a</li><li#9>b</li></ul><div#11 style="color: red; margin: 0px;"></div></body>`, nil},
		{"textarea value", []string{
			`,"adds":[{"parentId":5,"nextId":null,"node":{"type":2,"tagName":"textarea","attributes":{},"childNodes":[],"id":50}}]`,
			`,"adds":[{"parentId":50,"nextId":null,"node":` + text(51, "typed") + `}]`,
			`,"attributes":[{"id":50,"attributes":{"value":"set"}}]`}, 50,
			`<textarea#50 value="set"></textarea>`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree := rrdom.NewTree()
			if err := tree.Apply(fullSnapshot([]byte(page))); err != nil {
				t.Fatal(err)
			}
			for _, m := range tt.muts {
				if err := tree.Apply(mutation(m)); err != nil {
					t.Fatal(err)
				}
			}
			n := tree.Node(tt.node)
			if n == nil {
				t.Fatalf("node %d not in the map", tt.node)
			}
			if got := html(n); got != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
			for _, id := range tt.missing {
				if tree.Node(id) != nil {
					t.Errorf("node %d still in the map", id)
				}
			}
		})
	}
}

func TestIframeDocument(t *testing.T) {
	tree := rrdom.NewTree()
	if err := tree.Apply(fullSnapshot([]byte(page))); err != nil {
		t.Fatal(err)
	}
	doc := `{"type":0,"childNodes":[{"type":2,"tagName":"html","attributes":{},"childNodes":[{"type":2,"tagName":"body","attributes":{},"childNodes":[{"type":3,"textContent":"inside","rootId":61,"id":64}],"rootId":61,"id":63}],"rootId":61,"id":62}],"id":61}`
	// The document arrives before its iframe: it waits for it.
	for _, m := range []string{
		`,"adds":[{"parentId":60,"nextId":null,"node":` + doc + `}],"isAttachIframe":true`,
		`,"adds":[{"parentId":5,"nextId":null,"node":{"type":2,"tagName":"iframe","attributes":{},"childNodes":[],"id":60}}]`,
	} {
		if err := tree.Apply(mutation(m)); err != nil {
			t.Fatal(err)
		}
	}
	if n := tree.Node(64); n == nil || n.TextContent != "inside" {
		t.Fatalf("iframe text not in the map: %+v", n)
	}
	if got, want := html(tree.Node(60)), `<iframe#60><html#62><body#63>inside</body></html></iframe>`; got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	snap, _ := tree.Serialize()
	if strings.Contains(string(snap), "inside") {
		t.Fatal("an iframe's document is part of the serialised snapshot; rrweb sends it on its own")
	}
}

// Bad events are errors that leave the tree as it was; none panics.
func TestApplyErrors(t *testing.T) {
	tests := []struct{ event, want string }{
		{`not json`, "rrweb event"},
		{`{"data":{}}`, "no type"},
		{`{"type":9,"data":{}}`, "unknown type 9"},
		{`{"type":2,"data":{}}`, "no node"},
		{`{"type":2,"data":{"node":{"type":2,"tagName":"div","attributes":{},"childNodes":[],"id":1}}}`, "not a document"},
		{`{"type":2,"data":{"node":{"type":0,"childNodes":[{"type":7,"id":2}],"id":1}}}`, "unknown type 7"},
		{`{"type":2,"data":{"node":{"type":0,"childNodes":[{"type":2,"attributes":{},"id":2}],"id":1}}}`, "without a tag name"},
		{`{"type":2,"data":{"node":{"type":0,"childNodes":[{"type":3,"textContent":"x"}],"id":1}}}`, "without an id"},
		{`{"type":2,"data":{"node":{"type":0,"childNodes":[{"type":2,"tagName":"a","attributes":[1],"id":2}],"id":1}}}`, "not an object"},
		{`{"type":3,"data":{}}`, "no source"},
		{`{"type":3,"data":{"source":77}}`, "unknown source 77"},
		{`{"type":3,"data":{"source":0,"adds":[{"parentId":1,"node":{"id":5}}]}}`, "without a type"},
		{`{"type":3,"data":{"source":0,"adds":"x"}}`, "mutation"},
		{`{"type":3,"data":{"source":0,"attributes":[{"id":6,"attributes":"x"}]}}`, "attributes are a JSON string, not an object"},
	}
	for _, tt := range tests {
		tree := rrdom.NewTree()
		if err := tree.Apply(fullSnapshot([]byte(page))); err != nil {
			t.Fatal(err)
		}
		before, _ := tree.Serialize()
		err := tree.Apply(json.RawMessage(tt.event))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one saying %q", tt.event, err, tt.want)
		}
		after, _ := tree.Serialize()
		if string(before) != string(after) {
			t.Errorf("%s: the tree changed", tt.event)
		}
	}
}

// cycleFreeWithin fails the test when Apply of ev does not return within
// 5 s, or node id's ancestors are a cycle.
func cycleFreeWithin(t *testing.T, tree *rrdom.Tree, ev json.RawMessage, id int64) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- tree.Apply(ev) }()
	select {
	case err := <-done:
		if err != nil {
			t.Logf("Apply: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Apply did not return")
	}
	n := tree.Node(id)
	for i := 0; n != nil; i++ {
		if i > 100 {
			t.Fatalf("node %d's ancestors are a cycle", id)
		}
		n = n.Parent
	}
	if _, err := tree.Serialize(); err != nil {
		t.Fatal(err)
	}
}

// TestIframeDocumentHoldingItsIframe: a client that sends, as an iframe's
// document, one that holds the iframe itself (its id and description, which
// the tree reuses as the node it has) or an ancestor of it, sends what no
// page can make: the document is dropped before it moves anything, and
// nothing contains itself.
// (Before, the tree's walks recursed until the stack ran out, which ends
// the whole server.)
func TestIframeDocumentHoldingItsIframe(t *testing.T) {
	debug.SetMaxStack(64 << 20) // an unbounded recursion fails fast
	defer debug.SetMaxStack(1 << 30)
	page := `{"type":0,"childNodes":[{"type":2,"tagName":"html","attributes":{},"childNodes":[{"type":2,"tagName":"body","attributes":{},"childNodes":[{"type":2,"tagName":"iframe","attributes":{},"childNodes":[],"id":4}],"id":3}],"id":2}],"id":1}`
	tree := rrdom.NewTree()
	if err := tree.Apply(fullSnapshot([]byte(page))); err != nil {
		t.Fatal(err)
	}
	cycleFreeWithin(t, tree, mutation(`,"adds":[{"parentId":4,"nextId":null,"node":{"type":0,"childNodes":[{"type":2,"tagName":"iframe","attributes":{},"childNodes":[],"id":4}],"id":10}}]`), 4)
	if n := tree.Node(4); n == nil || n.Parent != tree.Node(3) || tree.Node(10) != nil {
		t.Errorf("the page changed: iframe %+v, document %+v", n, tree.Node(10))
	}

	// an ancestor, and the document before its iframe
	tree = rrdom.NewTree()
	if err := tree.Apply(fullSnapshot([]byte(`{"type":0,"childNodes":[{"type":2,"tagName":"html","attributes":{},"childNodes":[{"type":2,"tagName":"body","attributes":{},"childNodes":[],"id":3}],"id":2}],"id":1}`))); err != nil {
		t.Fatal(err)
	}
	if err := tree.Apply(mutation(`,"adds":[{"parentId":4,"nextId":null,"node":{"type":0,"childNodes":[{"type":2,"tagName":"html","attributes":{},"childNodes":[],"id":2}],"id":10}}]`)); err != nil {
		t.Fatal(err)
	}
	cycleFreeWithin(t, tree, mutation(`,"adds":[{"parentId":3,"nextId":null,"node":{"type":2,"tagName":"iframe","attributes":{},"childNodes":[],"id":4}}]`), 4)
}

// TestStyleRebuiltKeepsItsID: a <style> whose _cssText a mutation changes
// is rebuilt under the same id, and the id maps the new element.
func TestStyleRebuiltKeepsItsID(t *testing.T) {
	tree := rrdom.NewTree()
	page := `{"type":0,"childNodes":[{"type":2,"tagName":"html","attributes":{},"childNodes":[{"type":2,"tagName":"head","attributes":{},"childNodes":[{"type":2,"tagName":"style","attributes":{"_cssText":"a{}"},"childNodes":[],"id":5}],"id":4}],"id":2}],"id":1}`
	if err := tree.Apply(fullSnapshot([]byte(page))); err != nil {
		t.Fatal(err)
	}
	if err := tree.Apply(json.RawMessage(`{"type":3,"data":{"source":0,"texts":[],"removes":[],"adds":[],"attributes":[{"id":5,"attributes":{"_cssText":"b{}"}}]},"timestamp":2}`)); err != nil {
		t.Fatal(err)
	}
	if n := tree.Node(5); n == nil || n.Parent == nil || n.Attributes["_cssText"] != "b{}" {
		t.Errorf("id 5 maps %+v", n)
	}
	if n := tree.Node(0); n != nil {
		t.Errorf("id 0 maps %s", n.TagName)
	}
}

// TestNestedRuleDepth: a rule inserted into nested grouping rules lands
// there, up to a depth no sheet reaches; deeper paths are ignored.
func TestNestedRuleDepth(t *testing.T) {
	for _, c := range []struct {
		depth int
		want  bool
	}{{3, true}, {32, true}, {40, false}} {
		css := strings.Repeat("@media a{", c.depth) + "b{}" + strings.Repeat("}", c.depth)
		page := fmt.Sprintf(`{"type":0,"childNodes":[{"type":2,"tagName":"html","attributes":{},"childNodes":[{"type":2,"tagName":"head","attributes":{},"childNodes":[{"type":2,"tagName":"style","attributes":{},"childNodes":[{"type":3,"textContent":%q,"id":6}],"id":5}],"id":4}],"id":2}],"id":1}`, css)
		tree := rrdom.NewTree()
		if err := tree.Apply(fullSnapshot([]byte(page))); err != nil {
			t.Fatal(err)
		}
		path := strings.TrimSuffix(strings.Repeat("0,", c.depth+1), ",")
		if err := tree.Apply(json.RawMessage(fmt.Sprintf(`{"type":3,"data":{"source":8,"id":5,"adds":[{"rule":"inserted{}","index":[%s]}]},"timestamp":3}`, path))); err != nil {
			t.Fatal(err)
		}
		out, err := tree.Serialize()
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(string(out), "inserted"); got != c.want {
			t.Errorf("depth %d: rule inserted = %v, want %v", c.depth, got, c.want)
		}
	}
}

// TestTreeDepthIsBounded: whatever a client sends, the tree grows no deeper
// than 4,000 levels — a chain grown from the top, from the bottom (a new
// node, then the chain so far moved under it), a snapshot deeper than
// that, or iframes' documents nested in one another — so its walks stay
// shallow and its keyframes stay readable.
func TestTreeDepthIsBounded(t *testing.T) {
	debug.SetMaxStack(16 << 20) // walks 20,000 levels deep would run out of it
	defer debug.SetMaxStack(1 << 30)
	const page = `{"type":0,"childNodes":[{"type":2,"tagName":"html","attributes":{},"childNodes":[{"type":2,"tagName":"body","attributes":{},"childNodes":[],"id":3}],"id":2}],"id":1}`
	// chain returns n nested <i> (ids from id), with inner inside the last.
	chain := func(n, id int, inner string) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, `{"type":2,"tagName":"i","attributes":{},"id":%d,"childNodes":[`, id+i)
		}
		b.WriteString(inner)
		b.WriteString(strings.Repeat(`]}`, n))
		return b.String()
	}
	for _, grow := range []string{"down", "up", "snapshot", "iframes"} {
		tree := rrdom.NewTree()
		snapshot := page
		if grow == "snapshot" {
			snapshot = `{"type":0,"childNodes":[{"type":2,"tagName":"html","attributes":{},"childNodes":[` + chain(4500, 100, "") + `],"id":2}],"id":1}`
		}
		if err := tree.Apply(fullSnapshot([]byte(snapshot))); err != nil {
			t.Fatal(err)
		}
		tree.Apply(json.RawMessage(`{"type":4,"data":{"href":"https://shop.test/","width":800,"height":600},"timestamp":1}`))
		var adds []string
		switch grow {
		case "down", "up":
			for i := range 20000 {
				id := 100 + i
				switch {
				case grow == "down" && i == 0:
					adds = append(adds, fmt.Sprintf(`{"parentId":3,"nextId":null,"node":{"type":2,"tagName":"i","attributes":{},"childNodes":[],"id":%d}}`, id))
				case grow == "down":
					adds = append(adds, fmt.Sprintf(`{"parentId":%d,"nextId":null,"node":{"type":2,"tagName":"i","attributes":{},"childNodes":[],"id":%d}}`, id-1, id))
				default: // a new node under <body>, then the chain so far under it
					adds = append(adds, fmt.Sprintf(`{"parentId":3,"nextId":null,"node":{"type":2,"tagName":"i","attributes":{},"childNodes":[],"id":%d}}`, id))
					if i > 0 {
						adds = append(adds, fmt.Sprintf(`{"parentId":%d,"nextId":null,"node":{"type":2,"tagName":"i","attributes":{},"childNodes":[],"id":%d}}`, id, id-1))
					}
				}
			}
		case "iframes": // each document 1,000 levels deep, an iframe at its bottom
			adds = append(adds, `{"parentId":3,"nextId":null,"node":{"type":2,"tagName":"iframe","attributes":{},"childNodes":[],"id":10}}`)
			for i := range 12 {
				iframe, next := 10+i, 11+i
				id := 1000 + 10000*i
				adds = append(adds, fmt.Sprintf(`{"parentId":%d,"nextId":null,"node":{"type":0,"id":%d,"childNodes":[{"type":2,"tagName":"html","attributes":{},"id":%d,"childNodes":[%s]}]}}`,
					iframe, id, id+1, chain(1000, id+2, fmt.Sprintf(`{"type":2,"tagName":"iframe","attributes":{},"childNodes":[],"id":%d}`, next))))
			}
		}
		if len(adds) > 0 {
			if err := tree.Apply(mutation(`,"adds":[` + strings.Join(adds, ",") + `]`)); err != nil {
				t.Fatal(err)
			}
		}
		deepest := 0
		var walk func(n *rrdom.Node, depth int)
		walk = func(n *rrdom.Node, depth int) {
			deepest = max(deepest, depth)
			for _, c := range n.Children {
				walk(c, depth+1)
			}
		}
		walk(tree.Root(), 1)
		if deepest > 4000 || deepest < 3900 {
			t.Errorf("grown %s: the tree is %d levels deep", grow, deepest)
		}
		events, err := tree.Keyframe(5)
		if err != nil {
			t.Fatal(err)
		}
		again := rrdom.NewTree()
		for i, e := range events {
			if err := again.Apply(e); err != nil {
				t.Fatalf("grown %s: keyframe event %d does not apply: %.200v", grow, i, err)
			}
		}
		if err := rrdom.Diff(tree, again); err != nil {
			t.Errorf("grown %s: replayed from its keyframe, the page differs: %v", grow, err)
		}
	}
}
