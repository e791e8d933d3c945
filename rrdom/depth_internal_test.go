package rrdom

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func applyJSON(t *testing.T, tree *Tree, ev string) {
	t.Helper()
	if err := tree.Apply(json.RawMessage(ev)); err != nil {
		t.Fatal(err)
	}
}

func addsEvent(adds ...string) string {
	return `{"type":3,"data":{"source":0,"texts":[],"attributes":[],"removes":[],"adds":[` + strings.Join(adds, ",") + `]},"timestamp":2}`
}

// checkLinksAndDepth fails the test where the tree's shape breaks a rule
// (see CheckTree).
func checkLinksAndDepth(t *testing.T, tree *Tree) {
	t.Helper()
	if err := CheckTree(tree); err != nil {
		t.Error(err)
	}
}

const depthPage = `{"type":2,"data":{"node":{"type":0,"childNodes":[{"type":2,"tagName":"html","attributes":{},"childNodes":[{"type":2,"tagName":"body","attributes":{},"childNodes":[],"id":3}],"id":2}],"id":1},"initialOffset":{"top":0,"left":0}},"timestamp":1}`

// An iframe document that names its own id again inside (div 51 > document
// 50) is built with the document under the div (build reuses it); attached
// to the iframe, it leaves the div, which must not keep it as a child: its
// height would stop following the document's, and moving the div under the
// document would make a cycle.
func TestDocumentNamingItself(t *testing.T) {
	tree := NewTree()
	applyJSON(t, tree, depthPage)
	applyJSON(t, tree, addsEvent(`{"parentId":3,"nextId":null,"node":{"type":2,"tagName":"iframe","attributes":{},"childNodes":[],"id":10}}`))
	applyJSON(t, tree, addsEvent(`{"parentId":10,"nextId":null,"node":{"type":0,"id":50,"childNodes":[{"type":2,"tagName":"div","attributes":{},"id":51,"childNodes":[{"type":0,"id":50,"childNodes":[]}]}]}}`))
	checkLinksAndDepth(t, tree) // already: div 51 lists document 50, whose Parent is the iframe

	// Then the div (height 1) moved under a node inside that document: a cycle.
	applyJSON(t, tree, addsEvent(
		`{"parentId":50,"nextId":null,"node":{"type":2,"tagName":"html","attributes":{},"childNodes":[],"id":60}}`,
		`{"parentId":60,"nextId":null,"node":{"type":2,"tagName":"div","attributes":{},"childNodes":[],"id":51}}`))
	checkLinksAndDepth(t, tree)
}

// The same div, moved instead under the bottom of a 3,990-level chain of the
// top document, must not carry the iframe's document (and a 3,990-level
// chain in it) below that: about 8,000 levels, past maxTreeDepth.
func TestDocumentNamingItselfStaysBounded(t *testing.T) {
	tree := NewTree()
	applyJSON(t, tree, depthPage)
	applyJSON(t, tree, addsEvent(`{"parentId":3,"nextId":null,"node":{"type":2,"tagName":"iframe","attributes":{},"childNodes":[],"id":10}}`))
	applyJSON(t, tree, addsEvent(`{"parentId":10,"nextId":null,"node":{"type":0,"id":50,"childNodes":[{"type":2,"tagName":"div","attributes":{},"id":51,"childNodes":[{"type":0,"id":50,"childNodes":[]}]}]}}`))
	chain := func(top int64, from, n int) []string {
		var adds []string
		parent := top
		for i := range n {
			id := from + i
			adds = append(adds, fmt.Sprintf(`{"parentId":%d,"nextId":null,"node":{"type":2,"tagName":"i","attributes":{},"childNodes":[],"id":%d}}`, parent, id))
			parent = int64(id)
		}
		return adds
	}
	adds := chain(50, 1000, 3990)                 // in the iframe's document
	adds = append(adds, chain(3, 10000, 3990)...) // in the top document
	adds = append(adds, fmt.Sprintf(`{"parentId":%d,"nextId":null,"node":{"type":2,"tagName":"div","attributes":{},"childNodes":[],"id":51}}`, 10000+3990-1))
	applyJSON(t, tree, addsEvent(adds...))
	checkLinksAndDepth(t, tree)
}

// A text mutation on an element at the bottom of a 4,000-level tree gives
// it no text child at level 4,001.
func TestTextAtTheDepthBound(t *testing.T) {
	tree := NewTree()
	applyJSON(t, tree, depthPage)
	var adds []string
	for i := range 4000 {
		parent := 3
		if i > 0 {
			parent = 1000 + i - 1
		}
		adds = append(adds, fmt.Sprintf(`{"parentId":%d,"nextId":null,"node":{"type":2,"tagName":"i","attributes":{},"childNodes":[],"id":%d}}`, parent, 1000+i))
	}
	applyJSON(t, tree, addsEvent(adds...))
	bottom := 1000 + 3997 - 1 // body is level 3: <i> 1000 is level 4, 4996 level 4,000
	if !tree.attached(tree.Node(int64(bottom))) || tree.attached(tree.Node(int64(bottom+1))) {
		t.Fatalf("expected %d to be the last <i> placed", bottom)
	}
	applyJSON(t, tree, fmt.Sprintf(`{"type":3,"data":{"source":0,"texts":[{"id":%d,"value":"x"}],"attributes":[],"removes":[],"adds":[]},"timestamp":3}`, bottom))
	checkLinksAndDepth(t, tree)
}

// TestCheckTree: what removes leave mapped (a shadow root's children, an
// iframe's document, their parents detached and unmapped) is a tree
// CheckTree accepts; a child listed twice, or a Parent that does not list
// its node, it does not.
func TestCheckTree(t *testing.T) {
	tree := NewTree()
	applyJSON(t, tree, `{"type":2,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":2,"tagName":"html","attributes":{},"id":2,"childNodes":[`+
		`{"type":2,"tagName":"body","attributes":{},"id":3,"childNodes":[{"type":2,"tagName":"div","attributes":{},"id":4,"childNodes":[`+
		`{"type":2,"tagName":"div","attributes":{},"id":5,"childNodes":[{"type":2,"tagName":"div","attributes":{},"id":6,"childNodes":[`+
		`{"type":2,"tagName":"div","attributes":{},"id":7,"isShadowHost":true,"childNodes":[{"type":2,"tagName":"span","attributes":{},"id":8,"isShadow":true,"childNodes":[]}]},`+
		`{"type":2,"tagName":"iframe","attributes":{},"id":9,"childNodes":[]}]}]}]}]}]}]},"initialOffset":{"top":0,"left":0}},"timestamp":1}`)
	applyJSON(t, tree, addsEvent(`{"parentId":9,"nextId":null,"node":{"type":0,"id":50,"childNodes":[]}}`))
	checkLinksAndDepth(t, tree)
	applyJSON(t, tree, `{"type":3,"data":{"source":0,"texts":[],"attributes":[],"removes":[{"parentId":1,"id":2}],"adds":[]},"timestamp":2}`)
	if tree.Node(8) == nil || tree.Node(50) == nil {
		t.Fatal("the shadow child and the iframe's document should stay mapped")
	}
	checkLinksAndDepth(t, tree)

	tree = NewTree()
	applyJSON(t, tree, depthPage)
	d := &Node{ID: 100, Type: Element, TagName: "div", height: 1}
	x := &Node{ID: 101, Type: Element, TagName: "i", Parent: d}
	d.Children = []*Node{x, x}
	tree.ids[100], tree.ids[101] = d, x
	if CheckTree(tree) == nil {
		t.Error("a child listed twice passes")
	}
	d.Children = []*Node{x}
	tree.ids[102] = &Node{ID: 102, Type: Element, TagName: "b", Parent: tree.ids[3]}
	if CheckTree(tree) == nil {
		t.Error("a node its parent does not list passes")
	}
}
