package rrdom

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

// Diff compares what two trees would show and replay alike: the documents
// node for node (ids, tags, attributes, texts; a node the mirror does not
// know matches one another tree gave a negative id), each style sheet's
// rules, constructed and adopted sheets, form values, media state at the
// later tree's moment, scroll positions, fonts, selection, mouse and focus,
// and the Meta in force. It returns the first difference, or nil.
func Diff(a, b *Tree) error {
	if (a.root == nil) != (b.root == nil) {
		return fmt.Errorf("one tree has a document, the other none")
	}
	if a.root == nil {
		return nil
	}
	at := max(a.ts, b.ts)
	if err := diffNode(a.root, b.root, "", at); err != nil {
		return err
	}
	if am, bm := metaOf(a), metaOf(b); am != bm {
		return fmt.Errorf("meta: %s vs %s", am, bm)
	}
	if err := diffSheets(a, b); err != nil {
		return err
	}
	if !slices.EqualFunc(a.fonts, b.fonts, func(x, y jsontext.Value) bool { return string(x) == string(y) }) {
		return fmt.Errorf("fonts: %d vs %d", len(a.fonts), len(b.fonts))
	}
	if string(a.selection) != string(b.selection) {
		return fmt.Errorf("selection: %s vs %s", a.selection, b.selection)
	}
	if am, bm := mouseOf(a), mouseOf(b); am != bm {
		return fmt.Errorf("mouse: %s vs %s", am, bm)
	}
	if af, bf := focusOf(a), focusOf(b); af != bf {
		return fmt.Errorf("focus: %d vs %d", af, bf)
	}
	if len(a.pendingDocs) != len(b.pendingDocs) {
		return fmt.Errorf("iframe documents waiting for their iframe: %d vs %d", len(a.pendingDocs), len(b.pendingDocs))
	}
	return nil
}

func metaOf(t *Tree) string {
	list, _ := readAttrs(t.meta)
	var href, w, h string
	for _, m := range list {
		switch m.name {
		case "href":
			href = string(m.json())
		case "width":
			w = string(m.json())
		case "height":
			h = string(m.json())
		}
	}
	if t.viewport != nil {
		w, h = string(t.viewport[0]), string(t.viewport[1])
	}
	return href + " " + w + "x" + h
}

// mouseOf is where the mouse is over the page, and over which node: none
// while its node is not in the page (the replayer finds no node to move
// it over).
func mouseOf(t *Tree) string {
	m := t.mousePosition()
	if m == nil {
		return ""
	}
	if n := t.ids[m.id]; n == nil || !t.attached(n) {
		return ""
	}
	return fmt.Sprintf("%s,%s@%d", m.x, m.y, m.id)
}

func focusOf(t *Tree) int64 {
	if t.focus == nil || !t.attached(t.focus) {
		return 0
	}
	return t.focus.ID
}

func diffNode(a, b *Node, path string, at float64) error {
	path = fmt.Sprintf("%s/%s", path, label(a))
	switch {
	case a.Type != b.Type:
		return fmt.Errorf("%s: type %d vs %d", path, a.Type, b.Type)
	case a.ID > 0 || b.ID > 0:
		if a.ID != b.ID {
			return fmt.Errorf("%s: id %d vs %d", path, a.ID, b.ID)
		}
	}
	if a.TagName != b.TagName || a.IsSVG != b.IsSVG || a.NeedBlock != b.NeedBlock || a.IsCustom != b.IsCustom ||
		a.IsShadowHost != b.IsShadowHost || a.IsShadow != b.IsShadow || a.RootID != b.RootID ||
		a.CompatMode != b.CompatMode || a.Name != b.Name || a.PublicID != b.PublicID || a.SystemID != b.SystemID {
		return fmt.Errorf("%s: %+v vs %+v", path, flags(a), flags(b))
	}
	sheetElement := a.isStyleSheetElement()
	if a.Type != Element && a.Type != Document {
		inSheet := a.Parent != nil && a.Parent.isStyleSheetElement() && b.Parent != nil && b.Parent.isStyleSheetElement()
		if !inSheet && a.TextContent != b.TextContent {
			return fmt.Errorf("%s: text %q vs %q", path, a.TextContent, b.TextContent)
		}
	}
	if a.Type == Element {
		am, bm := maps.Clone(a.Attributes), maps.Clone(b.Attributes)
		if sheetElement {
			delete(am, "_cssText")
			delete(bm, "_cssText")
		}
		if !maps.Equal(am, bm) {
			return fmt.Errorf("%s: attributes %v vs %v", path, am, bm)
		}
		if sheetElement {
			if ar, br := effectiveRules(a), effectiveRules(b); !slices.Equal(ar, br) {
				return fmt.Errorf("%s: style sheet rules\n%q\nvs\n%q", path, ar, br)
			}
		}
	}
	if as, bs := stateOf(a, at), stateOf(b, at); as != bs {
		return fmt.Errorf("%s: state %s vs %s", path, as, bs)
	}
	if len(a.Children) != len(b.Children) {
		return fmt.Errorf("%s: %d children vs %d: %s vs %s", path, len(a.Children), len(b.Children), childLabels(a), childLabels(b))
	}
	for i := range a.Children {
		if err := diffNode(a.Children[i], b.Children[i], path, at); err != nil {
			return err
		}
	}
	return nil
}

func label(n *Node) string {
	switch n.Type {
	case Element:
		return fmt.Sprintf("%s#%d", n.TagName, n.ID)
	case Document:
		return fmt.Sprintf("#document%d", n.ID)
	}
	return fmt.Sprintf("#%d", n.ID)
}

func childLabels(n *Node) string {
	var s []string
	for _, c := range n.Children {
		s = append(s, label(c))
	}
	return strings.Join(s, " ")
}

func flags(n *Node) string {
	return fmt.Sprintf("tag=%s svg=%t block=%t custom=%t host=%t shadow=%t root=%d compat=%s doctype=%s/%s/%s",
		n.TagName, n.IsSVG, n.NeedBlock, n.IsCustom, n.IsShadowHost, n.IsShadow, n.RootID, n.CompatMode, n.Name, n.PublicID, n.SystemID)
}

// effectiveRules returns the rules of an element's sheet: its edited
// rules, or those of the text it is built from.
func effectiveRules(n *Node) []string {
	if n.st != nil && n.st.sheet != nil {
		if !n.st.sheet.known {
			var log []string
			for _, l := range n.st.sheet.log {
				log = append(log, string(l))
			}
			return append([]string{"external sheet, edits:"}, log...)
		}
		return n.st.sheet.ruleTexts()
	}
	if n.isTag("link") {
		if css, ok := n.Attributes["_cssText"]; ok {
			return splitRules(css)
		}
		return nil
	}
	return splitRules(sheetText(n))
}

func stateOf(n *Node, at float64) string {
	st := n.st
	if st == nil {
		return ""
	}
	var b strings.Builder
	if in := st.input; in != nil {
		fmt.Fprintf(&b, "input=%s/%s ", in.text, in.isChecked)
	}
	if m := st.media; m != nil {
		fmt.Fprintf(&b, "media=%t@%.3f rate=%g vol=%g muted=%t loop=%t ", m.playing, m.timeAt(at), m.playbackRate, m.volume, m.muted, m.loop)
	}
	if s := st.scroll; s != nil && !(string(s.x) == "0" && string(s.y) == "0" && n.Type == Document) {
		fmt.Fprintf(&b, "scroll=%s,%s ", s.x, s.y)
	}
	if st.modal {
		b.WriteString("modal ")
	}
	if st.adopts && len(st.adopted) > 0 {
		fmt.Fprintf(&b, "adopted=%v ", st.adopted)
	}
	return b.String()
}

// diffSheets compares the constructed sheets the page has adopted: those
// that style it (one made but adopted by nothing is compared once
// something adopts it).
func diffSheets(a, b *Tree) error {
	ra, rb := adoptedSheets(a), adoptedSheets(b)
	if !slices.Equal(slices.Sorted(maps.Keys(ra)), slices.Sorted(maps.Keys(rb))) {
		return fmt.Errorf("constructed sheets %v vs %v", slices.Sorted(maps.Keys(ra)), slices.Sorted(maps.Keys(rb)))
	}
	for id, sa := range ra {
		sb := rb[id]
		if !slices.Equal(sa.ruleTexts(), sb.ruleTexts()) {
			return fmt.Errorf("constructed sheet %d: %q vs %q", id, sa.ruleTexts(), sb.ruleTexts())
		}
		if !a.attached(sa.owner) || !b.attached(sb.owner) {
			continue
		}
		if da, db := documentOf(sa.owner).ID, documentOf(sb.owner).ID; da != db {
			return fmt.Errorf("constructed sheet %d: of document %d vs %d", id, da, db)
		}
	}
	return nil
}

func adoptedSheets(t *Tree) map[int64]*styleSheet {
	out := map[int64]*styleSheet{}
	var walk func(n *Node)
	walk = func(n *Node) {
		if n.st != nil {
			for _, id := range n.st.adopted {
				if s := t.sheets[id]; s != nil {
					out[id] = s
				}
			}
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(t.root)
	return out
}
