// Package assets captures the stylesheets, fonts and images a recording
// references, so that replay serves them from Playhead's own origin and never
// asks the recorded site: Discover finds their URLs in rrweb events, a
// Fetcher downloads them under an SSRF policy, and Rewrite points the events
// at the captured copies.
package assets

import (
	"bytes"
	"net/url"
	"slices"
	"strings"
)

// textKind says how a JSON string found in an event holds asset URLs.
type textKind int

const (
	kindURL    textKind = iota // the whole value is one URL (src, poster, href)
	kindSrcset                 // a srcset: URLs with width or density descriptors
	kindCSS                    // CSS text: a stylesheet, a rule, declarations or one value
)

// cssKeys name the event fields that hold CSS text wherever they appear:
// rrweb's inlined stylesheets (_cssText), StyleSheetRule inserts (adds[].rule)
// and constructed-sheet replacements (replace, replaceSync), adopted sheets'
// rules, and FontFace sources (fontSource, "url(...)" when not a buffer).
var cssKeys = []string{"_cssText", "cssText", "rule", "replace", "replaceSync", "fontSource"}

// Discover returns the absolute http(s) URLs of the assets one rrweb event
// references, without fragments and without duplicates, in order of
// appearance. Relative references are resolved against page, the URL of the
// recorded page (the last Meta event's href), and left out when page is nil.
// It returns nil for an event that is not valid JSON. README.md lists what it
// looks at.
func Discover(event []byte, page *url.URL) []string {
	var out []string
	var seen map[string]bool
	visitRefs(event, page, func(_ *jsonNode, refs []urlRef) {
		if seen == nil {
			seen = map[string]bool{}
		}
		for _, r := range refs {
			if !seen[r.abs] {
				seen[r.abs] = true
				out = append(out, r.abs)
			}
		}
	})
	return out
}

// Rewrite returns the event with every URL Discover(event, page) would find
// replaced by mapURL(url), followed by the reference's fragment if it had
// one, in element attributes and inside CSS text alike. Only the bytes of
// those references change: every other byte, escapes in the same strings
// included, is kept. The result is valid JSON whenever the event is; an event
// that is not valid JSON, or references nothing, is returned as is (not
// copied).
func Rewrite(event []byte, page *url.URL, mapURL func(abs string) string) []byte {
	var out []byte
	prev := 0 // event bytes before prev are in out already
	visitRefs(event, page, func(n *jsonNode, refs []urlRef) {
		content := event[n.start+1 : n.end-1]
		var offs []int
		if bytes.IndexByte(content, '\\') >= 0 {
			_, offs = unquote(content, true)
		}
		raw := func(i int) int { // where decoded byte i starts in content
			if offs == nil {
				return i
			}
			return offs[i]
		}
		if out == nil {
			out = make([]byte, 0, len(event)+len(event)/8)
		}
		out = append(out, event[prev:n.start+1]...)
		at := 0
		for _, r := range refs {
			out = append(out, content[at:raw(r.start)]...)
			out = appendJSONText(out, r.replacement(mapURL))
			at = raw(r.end)
		}
		out = append(out, content[at:]...)
		prev = n.end - 1
	})
	if out == nil {
		return event
	}
	return append(out, event[prev:]...)
}

// urlRef is one asset reference inside a decoded JSON string.
type urlRef struct {
	start, end int    // the reference's bytes in the decoded string
	abs        string // what Discover reports
	frag       string // the fragment to keep after the mapped URL
	kind       textKind
	quote      byte // for CSS: the quote around the reference, 0 if unquoted
}

// replacement is what Rewrite writes in place of the reference.
func (r urlRef) replacement(mapURL func(string) string) string {
	u := mapURL(r.abs) + r.frag
	switch r.kind {
	case kindCSS:
		return cssURLText(u, r.quote)
	case kindSrcset:
		// Whitespace and commas would split the candidate.
		return strings.NewReplacer(" ", "%20", "\t", "%09", "\n", "%0A", "\r", "%0D", "\f", "%0C", ",", "%2C").Replace(u)
	}
	return u
}

// visitRefs calls visit, in the order of the source, for each string of the
// event that holds asset references, with the references in order.
func visitRefs(event []byte, page *url.URL, visit func(n *jsonNode, refs []urlRef)) {
	if !mayReference(event, page != nil) {
		return
	}
	root, ok := parseJSON(event)
	if !ok {
		return
	}
	w := walker{src: event, page: page, visit: visit}
	w.value(&root)
}

// relativeMarks are what an event holding a relative reference must contain:
// the end of an attribute name that takes a URL, or a CSS url() or @import.
var relativeMarks = []string{`src"`, `srcset"`, `href"`, `poster"`, "url(", "import"}

// mayReference reports whether an event can hold an asset reference, without
// parsing it: most events, mouse moves and scrolls, hold none. An absolute
// one holds "http"; a relative one (when relative ones count) an attribute
// or CSS that takes a URL (url(), @import); either may be spelled with
// escapes.
func mayReference(event []byte, relative bool) bool {
	if containsFold(event, "http") || bytes.Contains(event, []byte(`\u`)) {
		return true
	}
	if relative {
		for _, m := range relativeMarks {
			if containsFold(event, m) {
				return true
			}
		}
	}
	return false
}

// containsFold reports whether s contains the lowercase ASCII word in any case.
func containsFold(s []byte, word string) bool {
	for i := 0; i+len(word) <= len(s); i++ {
		j := 0
		for j < len(word) && s[i+j]|0x20 == word[j] {
			j++
		}
		if j == len(word) {
			return true
		}
	}
	return false
}

// walker finds, in a parsed event, the strings that hold asset references.
type walker struct {
	src   []byte
	page  *url.URL // what relative references resolve against, or nil
	visit func(n *jsonNode, refs []urlRef)
}

func (w *walker) value(n *jsonNode) {
	switch n.kind {
	case '[':
		for i := range n.kids {
			w.value(&n.kids[i])
		}
	case '{':
		w.object(n)
	}
}

func (w *walker) object(n *jsonNode) {
	// A serialized node's tagName and isStyle say how to read its other members.
	tag, isStyle := "", false
	for i, key := range n.keys {
		switch v := &n.kids[i]; key {
		case "tagName":
			if v.kind == '"' {
				tag = strings.ToLower(v.text(w.src))
			}
		case "isStyle":
			isStyle = string(w.src[v.start:v.end]) == "true"
		}
	}
	for i, key := range n.keys {
		v := &n.kids[i]
		switch {
		case key == "attributes" && v.kind == '{':
			// A serialized element's attributes (with its tagName beside
			// them), or a mutation's changed attributes (without).
			w.attributes(v, tag)
		case slices.Contains(cssKeys, key) && v.kind == '"':
			w.string(v, kindCSS)
		case key == "textContent" && v.kind == '"' && isStyle:
			// The text of a <style> element in a snapshot or added node.
			w.string(v, kindCSS)
		case key == "set" && v.kind == '{' && v.member("property") != nil:
			// A StyleDeclaration change: data.set.value is one CSS value.
			if val := v.member("value"); val != nil && val.kind == '"' {
				w.string(val, kindCSS)
			}
		default:
			w.value(v)
		}
	}
}

// attributes visits the asset references among one element's attributes.
func (w *walker) attributes(attrs *jsonNode, tag string) {
	rel, as := "", ""
	for i, name := range attrs.keys {
		if v := &attrs.kids[i]; v.kind == '"' {
			switch strings.ToLower(name) {
			case "rel":
				rel = strings.ToLower(v.text(w.src))
			case "as":
				as = strings.ToLower(v.text(w.src))
			}
		}
	}
	for i, name := range attrs.keys {
		v := &attrs.kids[i]
		name = strings.ToLower(name)
		if name == "style" && v.kind == '{' {
			w.styleObject(v)
			continue
		}
		if v.kind != '"' {
			continue
		}
		switch name {
		case "src":
			// Replay never runs scripts and rebuilds frames from their own
			// snapshots, so their sources are not assets.
			if tag != "script" && tag != "iframe" && tag != "frame" {
				w.string(v, kindURL)
			}
		case "poster":
			w.string(v, kindURL)
		case "srcset", "imagesrcset":
			w.string(v, kindSrcset)
		case "href", "xlink:href":
			if hrefIsAsset(tag, rel, as, v.text(w.src)) {
				w.string(v, kindURL)
			}
		case "style", "_csstext":
			w.string(v, kindCSS)
		}
	}
}

// styleObject visits a mutation's style attribute change, which rrweb
// records as {"property": "value" | ["value", "important"] | false}.
func (w *walker) styleObject(style *jsonNode) {
	for i := range style.kids {
		v := &style.kids[i]
		if v.kind == '[' && len(v.kids) > 0 {
			v = &v.kids[0]
		}
		if v.kind == '"' {
			w.string(v, kindCSS)
		}
	}
}

// assetRels are the <link rel> tokens whose href the page loads as a
// stylesheet, icon, font or image (any token ending in "icon" counts too:
// apple-touch-icon, mask-icon). dns-prefetch, preconnect and modulepreload
// are not loads of assets.
var assetRels = []string{"stylesheet", "icon", "preload", "prefetch", "manifest"}

// assetExts are the extensions that make any other href an asset: SVG
// <image> and <use>, and link elements whose rel changed in another event.
var assetExts = []string{
	".css", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".svg", ".ico", ".bmp",
	".woff", ".woff2", ".ttf", ".otf", ".eot",
}

// hrefIsAsset reports whether an element's href loads an asset.
func hrefIsAsset(tag, rel, as, href string) bool {
	if tag == "a" || tag == "area" || tag == "base" {
		return false // navigation, not a load
	}
	if tag == "image" || tag == "use" || tag == "feimage" {
		return true
	}
	for tok := range strings.FieldsSeq(rel) {
		if slices.Contains(assetRels, tok) || strings.HasSuffix(tok, "icon") {
			if (tok == "preload" || tok == "prefetch") && as != "" && as != "style" && as != "font" && as != "image" {
				return false // a script, fetch or document
			}
			return true
		}
	}
	path := href
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	path = strings.ToLower(path)
	return slices.ContainsFunc(assetExts, func(ext string) bool { return strings.HasSuffix(path, ext) })
}

// string decodes a JSON string that may hold references of the given kind and
// reports those it holds.
func (w *walker) string(n *jsonNode, kind textKind) {
	text := n.text(w.src)
	var refs []urlRef
	switch kind {
	case kindURL:
		refs = appendRef(refs, text, 0, len(text), kind, w.page)
	case kindSrcset:
		for _, c := range srcsetURLs(text) {
			refs = appendRef(refs, text, c[0], c[1], kind, w.page)
		}
	case kindCSS:
		for _, r := range scanCSS(text) {
			if abs, frag, ok := absURL(r.value, w.page); ok {
				refs = append(refs, urlRef{start: r.start, end: r.end, abs: abs, frag: frag, kind: kind, quote: r.quote})
			}
		}
	}
	if len(refs) > 0 {
		w.visit(n, refs)
	}
}

// appendRef appends the reference text[start:end], trimmed of the
// whitespace HTML strips from URL attributes, if it names an http(s) URL
// (resolved against page, when not nil).
func appendRef(refs []urlRef, text string, start, end int, kind textKind, page *url.URL) []urlRef {
	for start < end && isCSSSpace(text[start]) {
		start++
	}
	for end > start && isCSSSpace(text[end-1]) {
		end--
	}
	abs, frag, ok := absURL(text[start:end], page)
	if !ok {
		return refs
	}
	return append(refs, urlRef{start: start, end: end, abs: abs, frag: frag, kind: kind})
}

// srcsetURLs returns where each candidate's URL is in a srcset, following
// the HTML parsing algorithm: candidates are separated by commas, a URL runs
// to the next whitespace (commas inside it are kept, trailing ones are not),
// and descriptors run to the next comma outside parentheses.
func srcsetURLs(s string) [][2]int {
	var out [][2]int
	for i := 0; i < len(s); {
		for i < len(s) && (isCSSSpace(s[i]) || s[i] == ',') {
			i++
		}
		start := i
		for i < len(s) && !isCSSSpace(s[i]) {
			i++
		}
		end := i
		trailingComma := false
		for end > start && s[end-1] == ',' {
			end--
			trailingComma = true
		}
		if !trailingComma {
			depth := 0
			for ; i < len(s); i++ {
				c := s[i]
				if c == '(' {
					depth++
				} else if c == ')' && depth > 0 {
					depth--
				} else if c == ',' && depth == 0 {
					break
				}
			}
		}
		if end > start {
			out = append(out, [2]int{start, end})
		}
	}
	return out
}
