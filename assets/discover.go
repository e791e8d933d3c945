// Package assets captures the stylesheets, fonts and images a recording
// references, so that replay serves them from Playhead's own origin and never
// asks the recorded site: Discover finds their URLs in rrweb events, a
// Fetcher downloads them under an SSRF policy, and Rewrite points the events
// at the captured copies.
package assets

import (
	"bytes"
	"io"
	"net/url"
	"slices"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
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
	f, ok := find(event, page)
	if !ok || !f.Found() {
		return nil
	}
	return f.URLs()
}

// Rewrite returns the event with every URL Discover(event, page) would find
// replaced by mapURL(url), followed by the reference's fragment if it had
// one, in element attributes and inside CSS text alike. Only the bytes of
// those references change: every other byte, escapes in the same strings
// included, is kept. The result is valid JSON whenever the event is; an event
// that is not valid JSON, or references nothing, is returned as is (not
// copied).
func Rewrite(event []byte, page *url.URL, mapURL func(abs string) string) []byte {
	f, ok := find(event, page)
	if !ok || !f.Found() {
		return event
	}
	f.sort()
	out := make([]byte, 0, len(event)+len(event)/8)
	prev := 0 // event bytes before prev are in out already
	for _, t := range f.found {
		content := event[t.start+1 : t.end-1]
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
		out = append(out, event[prev:t.start+1]...)
		at := 0
		for _, r := range t.refs {
			out = append(out, content[at:raw(r.start)]...)
			out = appendJSONText(out, r.replacement(mapURL))
			at = raw(r.end)
		}
		out = append(out, content[at:]...)
		prev = int(t.end) - 1
	}
	return append(out, event[prev:]...)
}

// find reads a whole event with a Finder, reporting false when it is not
// one valid JSON value.
func find(event []byte, page *url.URL) (*Finder, bool) {
	if !mayReference(event, page != nil) {
		return nil, false
	}
	f := &Finder{Page: page}
	dec := jsontext.NewDecoder(bytes.NewBuffer(event), jsontext.AllowDuplicateNames(true))
	if err := f.Value(dec); err != nil {
		return nil, false
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return nil, false
	}
	return f, true
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

// containsFold reports whether s contains the lowercase ASCII word in any
// case: a byte of s matches a byte of word that it equals with bit 0x20 set.
// Places for the word's first byte are found with bytes.IndexByte, which
// scans many bytes at a time, in each of its two cases; events are mostly
// long runs without either.
func containsFold(s []byte, word string) bool {
	n := len(word)
	last := len(s) - n // the last place word can start
	if n == 0 || last < 0 || word[0]&0x20 == 0 {
		return n == 0 && last >= 0
	}
	lo, hi := word[0], word[0]&^0x20
	// the next place at or after from holding c, or last+1 for none
	next := func(c byte, from int) int {
		if i := bytes.IndexByte(s[from:last+1], c); i >= 0 {
			return from + i
		}
		return last + 1
	}
	nl, nh := next(lo, 0), next(hi, 0)
	for {
		i := min(nl, nh)
		if i > last {
			return false
		}
		if restFold(s[i+1:i+n], word[1:]) {
			return true
		}
		if nl == i {
			nl = next(lo, i+1)
		}
		if nh == i {
			nh = next(hi, i+1)
		}
	}
}

// restFold reports whether s (as long as word) is word in any case, as containsFold compares.
func restFold(s []byte, word string) bool {
	for j := range len(word) {
		if s[j]|0x20 != word[j] {
			return false
		}
	}
	return true
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
