package assets_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/playhead/playhead/assets"
)

var cssBase, _ = url.Parse("https://shop.test/static/css/site.css?v=2")

func TestCSSURLs(t *testing.T) {
	tests := []struct {
		name string
		css  string
		base *url.URL
		want []string
	}{
		{name: "unquoted, quoted, relative", base: cssBase,
			css:  `a{background:url(../img/a.png)} b{background:url( "/img/b.png" )} c{background:URL('c.png')}`,
			want: []string{"https://shop.test/static/img/a.png", "https://shop.test/img/b.png", "https://shop.test/static/css/c.png"}},
		{name: "imports", base: cssBase,
			css:  `@import "reset.css"; @IMPORT url(https://cdn.test/fonts.css) screen; @import /* why */ 'print.css' print;`,
			want: []string{"https://shop.test/static/css/reset.css", "https://cdn.test/fonts.css", "https://shop.test/static/css/print.css"}},
		{name: "font-face with several sources and fragments", base: cssBase,
			css:  `@font-face{font-family:X;src:url(x.eot?#iefix) format("embedded-opentype"),url("x.woff2") format("woff2"),url(x.svg#X) format("svg")}`,
			want: []string{"https://shop.test/static/css/x.eot?", "https://shop.test/static/css/x.woff2", "https://shop.test/static/css/x.svg"}},
		{name: "no base keeps absolute only",
			css:  `a{background:url(/a.png)} b{background:url(https://cdn.test/b.png)}`,
			want: []string{"https://cdn.test/b.png"}},
		{name: "not loads: comments, strings, lookalike names, data, fragments", base: cssBase,
			css: `/* url(a.png) */ a::before{content:"url(b.png)"} b{background:myurl(c.png)} c{background:url(data:image/png;base64,AA==)}` +
				` d{filter:url(#blur)} e{background:url(blob:https://shop.test/1)} f{background:url()}`},
		{name: "escapes", base: cssBase,
			css:  `a{background:url(a\)b.png)} b{background:url("q\"uote.png")} c{background:\75 rl(esc.png)} d{background:url(sp\ ace.png)}`,
			want: []string{"https://shop.test/static/css/a)b.png", "https://shop.test/static/css/q%22uote.png", "https://shop.test/static/css/esc.png", "https://shop.test/static/css/sp%20ace.png"}},
		{name: "bad urls load nothing", base: cssBase,
			css:  `a{background:url(a b.png)} b{background:url(c"d.png)} c{background:url("e.png" x)} d{background:url("f` + "\n" + `.png)} g{background:url(ok.png)}`,
			want: []string{"https://shop.test/static/css/ok.png"}},
		{name: "unterminated at end of input", base: cssBase,
			css:  `a{background:url(end.png`,
			want: []string{"https://shop.test/static/css/end.png"}},
		{name: "duplicates", base: cssBase,
			css:  `a{background:url(a.png)} b{background:url("a.png#x")} c{background:url(https://shop.test/static/css/a.png)}`,
			want: []string{"https://shop.test/static/css/a.png"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := assets.CSSURLs(tt.css, tt.base)
			if !slices.Equal(got, tt.want) {
				t.Errorf("CSSURLs:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestRewriteCSS(t *testing.T) {
	mapURL := func(abs string) string {
		return "/api/v1/assets/" + strings.ReplaceAll(strings.TrimPrefix(abs, "https://shop.test/"), "/", "_")
	}
	tests := []struct {
		name, css, want string
		mapURL          func(string) string
	}{
		{name: "keeps quotes, fragments and the rest",
			css:  `@import "reset.css" screen;a{background:url( ../img/a.png ) no-repeat}b{mask:url('m.svg#x')}c{background:url(data:image/png;base64,AA==)}d{filter:url(#f)}`,
			want: `@import "/api/v1/assets/static_css_reset.css" screen;a{background:url( /api/v1/assets/static_img_a.png ) no-repeat}b{mask:url('/api/v1/assets/static_css_m.svg#x')}c{background:url(data:image/png;base64,AA==)}d{filter:url(#f)}`},
		{name: "a mapped URL needing escapes is quoted",
			css:    `a{background:url(a.png)}b{background:url("b.png")}`,
			mapURL: func(abs string) string { return `/x/it's (a) "test"` },
			want:   `a{background:url("/x/it's (a) \"test\"")}b{background:url("/x/it's (a) \"test\"")}`},
		{name: "nothing to rewrite",
			css:  `a{color:red}`,
			want: `a{color:red}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.mapURL
			if m == nil {
				m = mapURL
			}
			got := assets.RewriteCSS(tt.css, cssBase, m)
			if got != tt.want {
				t.Errorf("RewriteCSS:\n got %s\nwant %s", got, tt.want)
			}
			if len(assets.CSSURLs(tt.css, cssBase)) > 0 {
				if again := assets.CSSURLs(got, nil); again != nil {
					t.Errorf("CSSURLs after rewrite = %q, want none", again)
				}
			}
		})
	}
}

func FuzzRewriteCSS(f *testing.F) {
	f.Add(`@import "a.css";a{background:url( b.png#f )}b{src:url('c.woff2') format("woff2")}/* url(d) */`)
	f.Add(`a{background:url(a\)b.png)} b{background:url("q\"uote.png")} c{background:\75 rl(esc.png)}`)
	f.Add(`a{background:url(a b.png)} b{background:url("f` + "\n" + `.png")}url(x`)
	f.Fuzz(func(t *testing.T, css string) {
		urls := assets.CSSURLs(css, cssBase)
		var mapped []string
		out := assets.RewriteCSS(css, cssBase, func(abs string) string {
			mapped = append(mapped, abs)
			return "https://m.test/x"
		})
		if got, want := slices.Compact(slices.Sorted(slices.Values(mapped))), slices.Sorted(slices.Values(urls)); !slices.Equal(got, want) {
			t.Fatalf("RewriteCSS mapped %q, CSSURLs found %q", got, want)
		}
		if len(urls) == 0 {
			if out != css {
				t.Fatalf("RewriteCSS changed CSS without references: %q", out)
			}
			return
		}
		if again := assets.CSSURLs(out, cssBase); !slices.Equal(again, []string{"https://m.test/x"}) {
			t.Fatalf("CSSURLs after rewrite = %q in %q", again, out)
		}
		awkward := assets.RewriteCSS(css, cssBase, func(string) string { return "/a\"b'c)d\\e f" })
		if again := assets.CSSURLs(awkward, cssBase); len(again) != 1 {
			t.Fatalf("a mapped URL needing escapes broke the CSS: CSSURLs = %q in %q", again, awkward)
		}
	})
}
