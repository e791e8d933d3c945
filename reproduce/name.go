package reproduce

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/playhead/playhead/rrdom"
)

// maxNameNodes bounds the elements a uniqueness check looks at, so that a
// huge page costs a bounded time per step; past it, names are not proven
// unique and the CSS path is used instead.
const maxNameNodes = 20_000

func isElement(n *rrdom.Node) bool { return n != nil && n.Type == rrdom.Element }

func tag(n *rrdom.Node) string { return strings.ToLower(n.TagName) }

// actionable returns the element a click on n meant: n or its nearest
// ancestor that is a control, a link or has a role, else n itself when it
// shows some text of its own; nil for a click on nothing namable.
func actionable(n *rrdom.Node) *rrdom.Node {
	if n.Type == rrdom.Text {
		n = n.Parent
	}
	for e := n; isElement(e); e = e.Parent {
		if interactive(e) {
			return e
		}
	}
	if isElement(n) && tag(n) != "body" && tag(n) != "html" {
		if t := visibleText(n); t != "" && len([]rune(t)) <= 80 {
			return n
		}
	}
	return nil
}

func interactive(e *rrdom.Node) bool {
	switch tag(e) {
	case "button", "select", "textarea", "summary", "option", "label":
		return true
	case "a":
		_, ok := e.Attributes["href"]
		return ok
	case "input":
		return strings.ToLower(e.Attributes["type"]) != "hidden"
	}
	switch role(e) {
	case "button", "link", "checkbox", "radio", "tab", "menuitem", "menuitemcheckbox", "menuitemradio", "option", "switch", "combobox", "textbox", "slider", "treeitem", "gridcell":
		return true
	}
	// marked for tests, or focusable by keyboard: an app's own control
	for _, a := range testAttributes {
		if e.Attributes[a] != "" {
			return true
		}
	}
	t, ok := e.Attributes["tabindex"]
	return ok && atoi(t) >= 0
}

// formField reports whether e takes its change as an input event (a field,
// a checkbox or radio button, a select), which says more than a click.
func formField(e *rrdom.Node) bool {
	switch tag(e) {
	case "select", "textarea", "option":
		return true
	case "input":
		switch strings.ToLower(e.Attributes["type"]) {
		case "button", "submit", "reset", "image", "file":
			return false
		}
		return true
	}
	return e.Attributes["contenteditable"] != "" && e.Attributes["contenteditable"] != "false"
}

// labelledControl returns the control a <label> is for (its for attribute,
// else the control inside it), nil for anything else.
func labelledControl(e *rrdom.Node) *rrdom.Node {
	if tag(e) != "label" {
		return nil
	}
	if id := e.Attributes["for"]; id != "" {
		return byID(root(e), id)
	}
	var found *rrdom.Node
	walk(e, func(c *rrdom.Node) bool {
		if found == nil && c != e && isElement(c) && formField(c) {
			found = c
		}
		return found == nil
	})
	return found
}

// role returns an element's ARIA role: its role attribute's first token, or
// the implicit role of its tag, "" for none Playwright can find it by.
func role(e *rrdom.Node) string {
	if r := strings.Fields(e.Attributes["role"]); len(r) > 0 {
		return strings.ToLower(r[0])
	}
	switch t := tag(e); t {
	case "button":
		return "button"
	case "a", "area":
		if _, ok := e.Attributes["href"]; ok {
			return "link"
		}
	case "input":
		switch typ := strings.ToLower(e.Attributes["type"]); typ {
		case "button", "submit", "reset", "image":
			return "button"
		case "checkbox", "radio":
			return typ
		case "range":
			return "slider"
		case "number":
			return "spinbutton"
		case "search":
			return "searchbox"
		case "", "text", "email", "tel", "url":
			if _, ok := e.Attributes["list"]; ok {
				return "combobox"
			}
			return "textbox"
		}
	case "textarea":
		return "textbox"
	case "select":
		if _, multi := e.Attributes["multiple"]; multi || atoi(e.Attributes["size"]) > 1 {
			return "listbox"
		}
		return "combobox"
	case "option":
		return "option"
	case "h1", "h2", "h3", "h4", "h5", "h6":
		return "heading"
	case "img":
		if e.Attributes["alt"] != "" {
			return "img"
		}
	case "summary":
		return ""
	case "li":
		return "listitem"
	case "nav":
		return "navigation"
	case "dialog":
		return "dialog"
	}
	return ""
}

// roleWords names roles in the steps' words.
var roleWords = map[string]string{
	"button": "the button", "link": "the link", "checkbox": "the checkbox", "radio": "the radio button",
	"tab": "the tab", "menuitem": "the menu item", "option": "the option", "switch": "the switch",
	"combobox": "", "textbox": "", "searchbox": "the search box", "spinbutton": "", "slider": "the slider",
	"heading": "the heading", "img": "the image", "listitem": "the list item",
}

// accessibleName computes an element's accessible name the way browsers do
// for the cases pages use (accname 1.2, simplified): aria-labelledby,
// aria-label, a form field's <label>, alt, the text of a control named by
// its content, title, placeholder.
func accessibleName(e *rrdom.Node, lb labelIndex) string {
	if ids := strings.Fields(e.Attributes["aria-labelledby"]); len(ids) > 0 {
		r := root(e)
		var parts []string
		for _, id := range ids {
			if l := byID(r, id); l != nil {
				parts = append(parts, nameFromContent(l))
			}
		}
		if name := normalize(strings.Join(parts, " ")); name != "" {
			return name
		}
	}
	if name := normalize(e.Attributes["aria-label"]); name != "" {
		return name
	}
	t := tag(e)
	typ := strings.ToLower(e.Attributes["type"])
	if t == "input" && (typ == "button" || typ == "submit" || typ == "reset") {
		if v := normalize(e.Attributes["value"]); v != "" {
			return v
		}
		return map[string]string{"submit": "Submit", "reset": "Reset"}[typ]
	}
	if t == "input" && typ == "image" {
		if alt := normalize(e.Attributes["alt"]); alt != "" {
			return alt
		}
	}
	if t == "input" || t == "select" || t == "textarea" {
		if l := lb.text(e); l != "" {
			return l
		}
	}
	if t == "img" || t == "area" {
		if alt := normalize(e.Attributes["alt"]); alt != "" {
			return alt
		}
	}
	switch role(e) {
	case "button", "link", "checkbox", "radio", "tab", "menuitem", "menuitemcheckbox", "menuitemradio", "option", "switch", "heading", "treeitem", "gridcell", "cell", "row", "columnheader":
		if t != "input" && t != "select" && t != "textarea" {
			if name := nameFromContent(e); name != "" {
				return name
			}
		}
	}
	if title := normalize(e.Attributes["title"]); title != "" {
		return title
	}
	return normalize(e.Attributes["placeholder"])
}

// labelIndex maps element ids to the <label for> elements naming them, so
// that naming many fields walks the page once.
type labelIndex map[string][]*rrdom.Node

func labelsOf(r *rrdom.Node) labelIndex {
	lb := labelIndex{}
	walk(r, func(c *rrdom.Node) bool {
		if isElement(c) && tag(c) == "label" {
			if f := c.Attributes["for"]; f != "" {
				lb[f] = append(lb[f], c)
			}
		}
		return true
	})
	return lb
}

// text returns the text of a field's <label for> or wrapping <label>.
func (lb labelIndex) text(e *rrdom.Node) string {
	var parts []string
	if id := e.Attributes["id"]; id != "" {
		for _, l := range lb[id] {
			parts = append(parts, nameFromContent(l))
		}
	}
	for p := e.Parent; isElement(p); p = p.Parent {
		if tag(p) == "label" && p.Attributes["for"] == "" {
			parts = append(parts, nameFromContent(p))
			break
		}
	}
	return normalize(strings.Join(parts, " "))
}

// nameFromContent is the text an element's subtree gives its name: text
// nodes, a descendant's aria-label or an image's alt in place of its
// content, hidden subtrees left out.
func nameFromContent(e *rrdom.Node) string {
	var b strings.Builder
	var visit func(n *rrdom.Node)
	visit = func(n *rrdom.Node) {
		switch {
		case n.Type == rrdom.Text:
			b.WriteString(n.TextContent)
			return
		case !isElement(n) || hidden(n):
			return
		}
		switch tag(n) {
		case "script", "style", "noscript", "template":
			return
		}
		if n != e {
			if l := normalize(n.Attributes["aria-label"]); l != "" {
				b.WriteString(" " + l + " ")
				return
			}
			if tag(n) == "img" {
				b.WriteString(" " + n.Attributes["alt"] + " ")
				return
			}
		}
		block := blockTag(tag(n))
		if block {
			b.WriteByte(' ')
		}
		for _, c := range n.Children {
			visit(c)
		}
		if block {
			b.WriteByte(' ')
		}
	}
	visit(e)
	return normalize(b.String())
}

func blockTag(t string) bool {
	switch t {
	case "div", "p", "li", "ul", "ol", "section", "article", "header", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "br", "tr", "td", "th", "table", "form", "fieldset", "legend", "label", "option":
		return true
	}
	return false
}

// visibleText is the text a person sees in an element.
func visibleText(e *rrdom.Node) string {
	var b strings.Builder
	walk(e, func(n *rrdom.Node) bool {
		if n.Type == rrdom.Text {
			b.WriteString(n.TextContent)
			b.WriteByte(' ')
			return true
		}
		if isElement(n) {
			switch tag(n) {
			case "script", "style", "noscript", "template":
				return false
			}
			return !hidden(n)
		}
		return true
	})
	return normalize(b.String())
}

// hidden reports whether an element is hidden by its own attributes: what
// a recording shows of visibility without the stylesheets' layout.
func hidden(e *rrdom.Node) bool {
	if _, ok := e.Attributes["hidden"]; ok {
		return true
	}
	if e.Attributes["aria-hidden"] == "true" {
		return true
	}
	if tag(e) == "input" && strings.ToLower(e.Attributes["type"]) == "hidden" {
		return true
	}
	style := strings.ReplaceAll(strings.ToLower(e.Attributes["style"]), " ", "")
	return strings.Contains(style, "display:none") || strings.Contains(style, "visibility:hidden")
}

// shown reports whether neither e nor an ancestor is hidden.
func shown(e *rrdom.Node) bool {
	for p := e; isElement(p); p = p.Parent {
		if hidden(p) {
			return false
		}
	}
	return true
}

func normalize(s string) string { return strings.Join(strings.Fields(s), " ") }

// unreadable reports whether a name was masked in the recording: the SDK
// replaces each character of masked text (all of it, or an email, a card
// number) with '*', so a run of them, or nothing else, is masking, while a
// lone '*' ("Email *") is the page's own. A test cannot find an element by
// masked text.
func unreadable(s string) bool {
	return strings.Contains(s, "**") || strings.Trim(s, "* ") == ""
}

func root(n *rrdom.Node) *rrdom.Node {
	for n.Parent != nil {
		n = n.Parent
	}
	return n
}

// walk visits n and its descendants in document order; fn returns false to
// skip a node's children.
func walk(n *rrdom.Node, fn func(*rrdom.Node) bool) {
	if !fn(n) {
		return
	}
	for _, c := range n.Children {
		walk(c, fn)
	}
}

func byID(r *rrdom.Node, id string) *rrdom.Node {
	var found *rrdom.Node
	walk(r, func(n *rrdom.Node) bool {
		if found == nil && isElement(n) && n.Attributes["id"] == id {
			found = n
		}
		return found == nil
	})
	return found
}

// target names an element for a step.
func (d *deriver) target(e *rrdom.Node) *Target {
	t := &Target{CSS: cssPath(e)}
	lb := labelsOf(root(e))
	r, name := role(e), accessibleName(e, lb)
	if name != "" && !unreadable(name) {
		if r != "" {
			switch count(e, func(c *rrdom.Node) bool { return role(c) == r && containsFold(accessibleName(c, lb), name) }) {
			case 1:
				t.Role, t.Name = r, name
			default:
				if count(e, func(c *rrdom.Node) bool { return role(c) == r && accessibleName(c, lb) == name }) == 1 {
					t.Role, t.Name, t.Exact = r, name, true
				}
			}
		}
	}
	if t.Role == "" && formField(e) {
		if l := lb.text(e); l != "" && !unreadable(l) &&
			count(e, func(c *rrdom.Node) bool { return formField(c) && containsFold(lb.text(c), l) }) == 1 {
			t.Label = l
		}
	}
	if t.Role == "" && t.Label == "" && !formField(e) {
		if text := visibleText(e); text != "" && !unreadable(text) && len([]rune(text)) <= 80 &&
			count(e, func(c *rrdom.Node) bool { return ownsText(c, text) }) == 1 {
			t.Text = text
		}
	}
	if id := e.Attributes["data-testid"]; id != "" {
		t.TestID = id
	}
	t.Description = describe(e, r, name, t)
	return t
}

// ownsText reports whether c is the innermost element showing text
// (containing it, case-insensitively), as getByText matches.
func ownsText(c *rrdom.Node, text string) bool {
	if !containsFold(visibleText(c), text) {
		return false
	}
	for _, k := range c.Children {
		if isElement(k) && containsFold(visibleText(k), text) {
			return false
		}
	}
	return true
}

// count returns how many shown elements of e's page match, up to 2.
func count(e *rrdom.Node, match func(*rrdom.Node) bool) int {
	n, seen := 0, 0
	walk(root(e), func(c *rrdom.Node) bool {
		if n >= 2 || seen > maxNameNodes {
			return false
		}
		if !isElement(c) {
			return true
		}
		seen++
		if hidden(c) {
			return false
		}
		if match(c) {
			n++
		}
		return true
	})
	if seen > maxNameNodes {
		return 2
	}
	return n
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(normalize(s)), strings.ToLower(sub))
}

// describe names an element in a step's words.
func describe(e *rrdom.Node, r, name string, t *Target) string {
	switch {
	case t.Role != "" || (name != "" && !unreadable(name)):
		if formField(e) && tag(e) != "option" && r != "checkbox" && r != "radio" {
			return quote(name)
		}
		if w, ok := roleWords[r]; ok && w != "" {
			return w + " " + quote(name)
		}
		return quote(name)
	case t.Label != "":
		return quote(t.Label)
	case t.Text != "":
		return "the text " + quote(t.Text)
	case t.TestID != "":
		return "the element with test id " + quote(t.TestID)
	}
	return "the element " + t.CSS
}

// generatedID matches ids that frameworks generate and change between
// builds or renders (React's :r1:, long numbers, hashes), which make
// fragile selectors.
var generatedID = regexp.MustCompile(`^:|[0-9]{3,}|[0-9a-f]{8,}|^(ember|ext-gen|yui_|react-)`)

// testAttributes are the attributes apps mark elements with for tests.
var testAttributes = []string{"data-testid", "data-test-id", "data-test", "data-cy", "data-qa"}

// cssPath returns a selector for e from its nearest stable anchor (an id,
// a test attribute) down, by tag and position among siblings of its tag.
func cssPath(e *rrdom.Node) string {
	var parts []string
	for n := e; isElement(n); n = n.Parent {
		if sel := anchor(n); sel != "" {
			parts = append(parts, sel)
			break
		}
		t := tag(n)
		if t == "html" || t == "body" {
			parts = append(parts, t)
			break
		}
		part := t
		if nm := n.Attributes["name"]; nm != "" && (t == "input" || t == "select" || t == "textarea" || t == "button") {
			part += `[name="` + cssEscape(nm) + `"]`
		} else if n.Parent != nil {
			i, of := 0, 0
			for _, s := range n.Parent.Children {
				if isElement(s) && tag(s) == t {
					of++
					if s == n {
						i = of
					}
				}
			}
			if of > 1 {
				part += ":nth-of-type(" + strconv.Itoa(i) + ")"
			}
		}
		parts = append(parts, part)
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, " > ")
}

func anchor(n *rrdom.Node) string {
	for _, a := range testAttributes {
		if v := n.Attributes[a]; v != "" {
			return "[" + a + `="` + cssEscape(v) + `"]`
		}
	}
	if id := n.Attributes["id"]; id != "" && !generatedID.MatchString(id) && !unreadable(id) {
		if cssIdent.MatchString(id) {
			return "#" + id
		}
		return `[id="` + cssEscape(id) + `"]`
	}
	return ""
}

var cssIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

func cssEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\a `).Replace(s)
}

// inputKind tells what a field takes, for a realistic placeholder value:
// its type, else its autocomplete token, else its name or id.
func inputKind(e *rrdom.Node) string {
	if tag(e) == "textarea" {
		return "text"
	}
	typ := strings.ToLower(e.Attributes["type"])
	switch typ {
	case "email", "tel", "password", "number", "url", "date", "time", "datetime-local", "month", "week", "search", "color", "range":
		return typ
	}
	hint := strings.ToLower(e.Attributes["autocomplete"] + " " + e.Attributes["name"] + " " + e.Attributes["id"] + " " + e.Attributes["inputmode"])
	for _, k := range []struct{ word, kind string }{
		{"cc-number", "card"}, {"card", "card"}, {"cc-exp", "card-expiry"}, {"expir", "card-expiry"}, {"cc-csc", "card-cvc"}, {"cvc", "card-cvc"}, {"cvv", "card-cvc"},
		{"email", "email"}, {"mail", "email"}, {"tel", "tel"}, {"phone", "tel"}, {"postal", "postal-code"}, {"zip", "postal-code"},
		{"given-name", "given-name"}, {"first", "given-name"}, {"family-name", "family-name"}, {"last", "family-name"}, {"surname", "family-name"},
		{"name", "name"}, {"street", "address"}, {"address", "address"}, {"city", "city"}, {"locality", "city"}, {"country", "country"},
		{"username", "username"}, {"user", "username"}, {"password", "password"}, {"search", "search"}, {"numeric", "number"}, {"url", "url"},
	} {
		if strings.Contains(hint, k.word) {
			return k.kind
		}
	}
	return "text"
}

// options returns a select's options as (value, label) pairs.
func options(sel *rrdom.Node) [][2]string {
	var out [][2]string
	walk(sel, func(n *rrdom.Node) bool {
		if isElement(n) && tag(n) == "option" {
			label := visibleText(n)
			value, ok := n.Attributes["value"]
			if !ok {
				value = label
			}
			out = append(out, [2]string{value, label})
			return false
		}
		return true
	})
	return out
}

// optionLabel returns the label of the option of sel whose value is value.
func optionLabel(sel *rrdom.Node, value string) string {
	for _, o := range options(sel) {
		if o[0] == value {
			return o[1]
		}
	}
	return value
}

// maskedOption picks a stand-in for a masked choice: the first option whose
// value has the recorded (masked) length, else the first non-empty one.
func maskedOption(sel *rrdom.Node, length int) string {
	opts := options(sel)
	for _, o := range opts {
		if o[0] != "" && len([]rune(o[0])) == length {
			return o[0]
		}
	}
	for _, o := range opts {
		if o[0] != "" {
			return o[0]
		}
	}
	return ""
}

func atoi(s string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(s))
	return n
}
