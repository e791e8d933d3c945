package assets_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/playhead/playhead/assets"
	"github.com/playhead/playhead/testdata"
)

// fullSnapshot is a FullSnapshot as @rrweb/record 2.x writes it, for a page
// with the usual kinds of assets, and some references that are not assets.
const fullSnapshot = `{"type":2,"data":{"node":{"type":0,"childNodes":[
{"type":1,"name":"html","publicId":"","systemId":"","id":2},
{"type":2,"tagName":"html","attributes":{"lang":"en"},"childNodes":[
 {"type":2,"tagName":"head","attributes":{},"childNodes":[
  {"type":2,"tagName":"link","attributes":{"rel":"stylesheet","href":"https://cdn.shop.test/css/app.css?v=3"},"childNodes":[],"id":5},
  {"type":2,"tagName":"link","attributes":{"rel":"shortcut icon","href":"https://shop.test/favicon.ico"},"childNodes":[],"id":6},
  {"type":2,"tagName":"link","attributes":{"rel":"preconnect","href":"https://fonts.shop.test"},"childNodes":[],"id":7},
  {"type":2,"tagName":"link","attributes":{"rel":"preload","as":"script","href":"https://shop.test/chunk.js"},"childNodes":[],"id":8},
  {"type":2,"tagName":"link","attributes":{"rel":"preload","as":"font","href":"https://shop.test/fonts/inter.woff2","crossorigin":""},"childNodes":[],"id":9},
  {"type":2,"tagName":"link","attributes":{"_cssText":"@import url(\"https://shop.test/css/reset.css\");@font-face { font-family: Inter; src: url(\"https://shop.test/fonts/inter.woff2\") format(\"woff2\"); }body { background: url(https://shop.test/img/bg.png); }/* url(https://shop.test/commented.png) */"},"childNodes":[],"id":10},
  {"type":2,"tagName":"style","attributes":{},"childNodes":[{"type":3,"textContent":".hero { background-image: url('https://shop.test/img/hero.jpg'); }","isStyle":true,"id":12}],"id":11},
  {"type":2,"tagName":"script","attributes":{"src":"https://shop.test/app.js"},"childNodes":[],"id":13}
 ],"id":4},
 {"type":2,"tagName":"body","attributes":{},"childNodes":[
  {"type":2,"tagName":"img","attributes":{"src":"https://shop.test/img/logo.png","srcset":"https://shop.test/img/logo@2x.png 2x, https://shop.test/img/logo@3x.png 3x","alt":"Shop"},"childNodes":[],"id":15},
  {"type":2,"tagName":"img","attributes":{"src":"data:image/gif;base64,R0lGODlhAQABAAAAACw="},"childNodes":[],"id":16},
  {"type":2,"tagName":"img","attributes":{"src":"blob:https://shop.test/0d9f6c1e"},"childNodes":[],"id":17},
  {"type":2,"tagName":"a","attributes":{"href":"https://shop.test/img/full.png"},"childNodes":[{"type":3,"textContent":"url(https://shop.test/not-css.png)","id":19}],"id":18},
  {"type":2,"tagName":"a","attributes":{"href":"javascript:void(0)"},"childNodes":[],"id":20},
  {"type":2,"tagName":"video","attributes":{"poster":"https://shop.test/img/poster.webp"},"childNodes":[],"id":21},
  {"type":2,"tagName":"svg","attributes":{},"childNodes":[
   {"type":2,"tagName":"use","attributes":{"xlink:href":"https://shop.test/icons.svg#cart"},"childNodes":[],"isSVG":true,"id":23},
   {"type":2,"tagName":"image","attributes":{"href":"https://shop.test/map"},"childNodes":[],"isSVG":true,"id":24}
  ],"isSVG":true,"id":22},
  {"type":2,"tagName":"div","attributes":{"class":"card","style":"background-image: url(\"https://shop.test/img/card.png\");"},"childNodes":[],"id":25},
  {"type":2,"tagName":"iframe","attributes":{"src":"https://widgets.test/frame.html"},"childNodes":[],"id":26}
 ],"id":14}
],"id":3}],"id":1},"initialOffset":{"left":0,"top":0}},"timestamp":1795807228205}`

func TestDiscover(t *testing.T) {
	tests := []struct {
		name  string
		event string
		want  []string
	}{
		{
			name:  "full snapshot",
			event: fullSnapshot,
			want: []string{
				"https://cdn.shop.test/css/app.css?v=3",
				"https://shop.test/favicon.ico",
				"https://shop.test/fonts/inter.woff2",
				"https://shop.test/css/reset.css",
				"https://shop.test/img/bg.png",
				"https://shop.test/img/hero.jpg",
				"https://shop.test/img/logo.png",
				"https://shop.test/img/logo@2x.png",
				"https://shop.test/img/logo@3x.png",
				"https://shop.test/img/poster.webp",
				"https://shop.test/icons.svg",
				"https://shop.test/map",
				"https://shop.test/img/card.png",
			},
		},
		{
			name:  "mutation adds an img",
			event: `{"type":3,"data":{"source":0,"texts":[],"attributes":[],"removes":[],"adds":[{"parentId":14,"nextId":null,"node":{"type":2,"tagName":"img","attributes":{"src":"https://shop.test/img/p1.jpg","loading":"lazy"},"childNodes":[],"id":40}}]},"timestamp":2}`,
			want:  []string{"https://shop.test/img/p1.jpg"},
		},
		{
			name:  "mutation adds a style element",
			event: `{"type":3,"data":{"source":0,"texts":[],"attributes":[],"removes":[],"adds":[{"parentId":4,"nextId":null,"node":{"type":2,"tagName":"style","attributes":{"_cssText":".x { mask: url(\"https://shop.test/m.svg#a\"); }"},"childNodes":[],"id":41}},{"parentId":41,"nextId":null,"node":{"type":3,"textContent":"@import 'https://shop.test/late.css' screen;","isStyle":true,"id":42}}]},"timestamp":2}`,
			want:  []string{"https://shop.test/m.svg", "https://shop.test/late.css"},
		},
		{
			name:  "mutation changes src, a style object and a link href",
			event: `{"type":3,"data":{"source":0,"texts":[],"attributes":[{"id":15,"attributes":{"src":"https://shop.test/img/logo-dark.png","srcset":null}},{"id":25,"attributes":{"style":{"background-image":"url(\"https://shop.test/img/banner.png\")","border-image":["url(https://shop.test/img/border.png) 30","important"],"width":false}}},{"id":5,"attributes":{"href":"https://shop.test/css/dark.css"}},{"id":18,"attributes":{"href":"https://shop.test/next-page"}}],"removes":[],"adds":[]},"timestamp":3}`,
			want: []string{
				"https://shop.test/img/logo-dark.png",
				"https://shop.test/img/banner.png",
				"https://shop.test/img/border.png",
				"https://shop.test/css/dark.css",
			},
		},
		{
			name:  "style attribute string",
			event: `{"type":3,"data":{"source":0,"texts":[],"attributes":[{"id":25,"attributes":{"style":"background-image: url(https://shop.test/img/bg2.png); color: red"}}],"removes":[],"adds":[]},"timestamp":3}`,
			want:  []string{"https://shop.test/img/bg2.png"},
		},
		{
			name:  "StyleSheetRule insert",
			event: `{"type":3,"data":{"source":8,"id":21,"adds":[{"rule":".badge{background:url(https://shop.test/img/badge.svg) no-repeat}","index":3}]},"timestamp":4}`,
			want:  []string{"https://shop.test/img/badge.svg"},
		},
		{
			name:  "StyleSheetRule replaceSync",
			event: `{"type":3,"data":{"source":8,"styleId":2,"replaceSync":"@import 'https://shop.test/css/theme.css';"},"timestamp":4}`,
			want:  []string{"https://shop.test/css/theme.css"},
		},
		{
			name:  "StyleDeclaration set",
			event: `{"type":3,"data":{"source":13,"id":21,"index":[0],"set":{"property":"background-image","value":"url(\"https://shop.test/img/dyn.png\")","priority":""}},"timestamp":5}`,
			want:  []string{"https://shop.test/img/dyn.png"},
		},
		{
			name:  "adopted style sheet",
			event: `{"type":3,"data":{"source":15,"id":1,"styleIds":[1],"styles":[{"styleId":1,"rules":[{"rule":"body{cursor:url(https://shop.test/cur.png),auto}","index":0}]}]},"timestamp":6}`,
			want:  []string{"https://shop.test/cur.png"},
		},
		{
			name:  "FontFace",
			event: `{"type":3,"data":{"source":10,"family":"Brand","fontSource":"url(https://shop.test/fonts/brand.woff2)","buffer":false},"timestamp":7}`,
			want:  []string{"https://shop.test/fonts/brand.woff2"},
		},
		{
			name:  "JSON escapes",
			event: `{"type":3,"data":{"source":0,"adds":[{"parentId":1,"node":{"type":2,"tagName":"img","attributes":{"\u0073rc":"https:\/\/shop.test\/img\/caf\u00e9.png"},"id":3}}]},"timestamp":8}`,
			want:  []string{"https://shop.test/img/caf%C3%A9.png"},
		},
		{
			name:  "duplicates",
			event: `{"type":3,"data":{"source":0,"adds":[{"parentId":1,"node":{"type":2,"tagName":"img","attributes":{"src":"https://shop.test/a.png","srcset":"https://shop.test/a.png 1x"},"id":3}},{"parentId":1,"node":{"type":2,"tagName":"img","attributes":{"src":"https://shop.test/a.png#x"},"id":4}}]},"timestamp":9}`,
			want:  []string{"https://shop.test/a.png"},
		},
		{name: "meta", event: `{"type":4,"data":{"href":"https://shop.test/cart.png","width":1280,"height":800},"timestamp":1}`},
		{name: "custom event payload", event: `{"type":5,"data":{"tag":"playhead.navigation","payload":{"src":"https://shop.test/x.png","style":"url(https://shop.test/y.png)"}},"timestamp":1}`},
		{name: "console", event: `{"type":6,"data":{"plugin":"rrweb/console@1","payload":{"level":"log","payload":["\"<img src=https://shop.test/a.png>\""]}},"timestamp":1}`},
		{name: "text mutation", event: `{"type":3,"data":{"source":0,"texts":[{"id":12,"value":".x{background:url(https://shop.test/t.png)}"}],"attributes":[],"removes":[],"adds":[]},"timestamp":1}`},
		{name: "relative and other schemes", event: `{"type":3,"data":{"source":0,"attributes":[{"id":1,"attributes":{"src":"/img/rel.png"}},{"id":2,"attributes":{"src":"ftp://shop.test/a.png"}},{"id":3,"attributes":{"style":"background:url(data:image/png;base64,AAAA)"}}]},"timestamp":1}`},
		{name: "mouse move", event: `{"type":3,"data":{"source":1,"positions":[{"x":1,"y":2,"id":3,"timeOffset":0}]},"timestamp":1}`},
		{name: "invalid JSON", event: `{"type":3,"data":{"source":0,"adds":[{"node":{"attributes":{"src":"https://shop.test/a.png"}}}]`},
		{name: "empty", event: ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := assets.Discover([]byte(tt.event), nil)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Discover:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestDiscoverRelative resolves the relative references of events against
// the recorded page's URL (recorders other than rrweb's snapshot leave them
// relative, and rrweb itself does in CSS rules and style changes), and
// rewrites them like absolute ones.
func TestDiscoverRelative(t *testing.T) {
	page, _ := url.Parse("https://shop.test/products/item?id=3")
	tests := []struct {
		name, event string
		want        []string
	}{
		{
			name:  "attributes",
			event: `{"type":3,"data":{"source":0,"adds":[{"parentId":1,"node":{"type":2,"tagName":"video","attributes":{"src":"/media/x.webm","poster":"poster.png"},"id":3}},{"parentId":1,"node":{"type":2,"tagName":"img","attributes":{"srcset":"a.png 1x, //cdn.test/a2.png 2x"},"id":4}}]},"timestamp":1}`,
			want:  []string{"https://shop.test/media/x.webm", "https://shop.test/products/poster.png", "https://shop.test/products/a.png", "https://cdn.test/a2.png"},
		},
		{
			name:  "style change",
			event: `{"type":3,"data":{"source":0,"attributes":[{"id":25,"attributes":{"style":{"background":"url(../b.png)"}}}]},"timestamp":2}`,
			want:  []string{"https://shop.test/b.png"},
		},
		{
			name:  "CSS rule, declaration, adopted sheet and font",
			event: `{"type":3,"data":{"source":8,"id":2,"adds":[{"rule":"@import \"theme.css\"; .a{background:url(/c.png)}","index":0}]},"timestamp":3}`,
			want:  []string{"https://shop.test/products/theme.css", "https://shop.test/c.png"},
		},
		{
			name:  "FontFace",
			event: `{"type":3,"data":{"source":10,"family":"Brand","fontSource":"url(/fonts/brand.woff2)","buffer":false},"timestamp":4}`,
			want:  []string{"https://shop.test/fonts/brand.woff2"},
		},
		{
			name:  "not assets",
			event: `{"type":3,"data":{"source":0,"attributes":[{"id":1,"attributes":{"href":"/next"}},{"id":2,"attributes":{"style":"background:url(data:image/png;base64,AAAA);mask:url(#m)"}}],"adds":[{"parentId":1,"node":{"type":2,"tagName":"a","attributes":{"href":"/cart.png"},"id":5}},{"parentId":1,"node":{"type":2,"tagName":"iframe","attributes":{"src":"/frame.html"},"id":6}}]},"timestamp":5}`,
		},
		{name: "mouse move", event: `{"type":3,"data":{"source":1,"positions":[{"x":1,"y":2,"id":3,"timeOffset":0}]},"timestamp":6}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := assets.Discover([]byte(tt.event), page); !slices.Equal(got, tt.want) {
				t.Errorf("Discover:\n got %q\nwant %q", got, tt.want)
			}
			out := assets.Rewrite([]byte(tt.event), page, func(string) string { return "/api/v1/assets/placeholder" })
			if again := assets.Discover(out, page); len(tt.want) > 0 && !slices.Equal(again, []string{"https://shop.test/api/v1/assets/placeholder"}) {
				t.Errorf("after Rewrite, Discover finds %q, want only the placeholder", again)
			}
		})
	}
	if got := assets.Discover([]byte(tests[0].event), nil); got != nil {
		t.Errorf("without a page, Discover found %q in relative references", got)
	}
}

func TestRewrite(t *testing.T) {
	mapURL := func(abs string) string {
		return "/api/v1/assets/" + strings.NewReplacer("https://shop.test/", "", "/", "_").Replace(abs)
	}
	tests := []struct {
		name, event, want string
	}{
		{
			name:  "attribute, srcset, style object and untouched href",
			event: `{"type":3,"data":{"source":0,"attributes":[{"id":15,"attributes":{"src":" https://shop.test/img/a.png ","srcset":"https://shop.test/img/a@2x.png 2x,https://shop.test/img/a@3x.png 3x"}},{"id":25,"attributes":{"style":{"background":["url(\"https://shop.test/img/b.png\") no-repeat","important"]}}},{"id":18,"attributes":{"href":"https://shop.test/next"}}]},"timestamp":3}`,
			want:  `{"type":3,"data":{"source":0,"attributes":[{"id":15,"attributes":{"src":" /api/v1/assets/img_a.png ","srcset":"/api/v1/assets/img_a@2x.png 2x,/api/v1/assets/img_a@3x.png 3x"}},{"id":25,"attributes":{"style":{"background":["url(\"/api/v1/assets/img_b.png\") no-repeat","important"]}}},{"id":18,"attributes":{"href":"https://shop.test/next"}}]},"timestamp":3}`,
		},
		{
			name:  "CSS keeps fragments, quotes and other escapes",
			event: `{"type":3,"data":{"source":8,"id":21,"adds":[{"rule":".a{content:\"\u2014\";mask:url('https:\/\/shop.test\/m.svg#x')}\n.b{background:url(https://shop.test/b.png)}","index":0}]},"timestamp":4}`,
			want:  `{"type":3,"data":{"source":8,"id":21,"adds":[{"rule":".a{content:\"\u2014\";mask:url('/api/v1/assets/m.svg#x')}\n.b{background:url(/api/v1/assets/b.png)}","index":0}]},"timestamp":4}`,
		},
		{
			name:  "SVG use keeps its fragment",
			event: `{"type":2,"tagName":"use","attributes":{"xlink:href":"https://shop.test/icons.svg#cart"}}`,
			want:  `{"type":2,"tagName":"use","attributes":{"xlink:href":"/api/v1/assets/icons.svg#cart"}}`,
		},
		{
			name:  "nothing to rewrite",
			event: `{"type":3,"data":{"source":1,"positions":[{"x":1,"y":2,"id":3,"timeOffset":0}]},"timestamp":1}`,
			want:  `{"type":3,"data":{"source":1,"positions":[{"x":1,"y":2,"id":3,"timeOffset":0}]},"timestamp":1}`,
		},
		{
			name:  "invalid JSON is returned as is",
			event: `{"attributes":{"src":"https://shop.test/a.png"}`,
			want:  `{"attributes":{"src":"https://shop.test/a.png"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(assets.Rewrite([]byte(tt.event), nil, mapURL))
			if got != tt.want {
				t.Errorf("Rewrite:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestRewriteFullSnapshot checks that every asset of a snapshot is
// rewritten, that nothing else changes and that the result stays valid.
func TestRewriteFullSnapshot(t *testing.T) {
	var mapped []string
	out := assets.Rewrite([]byte(fullSnapshot), nil, func(abs string) string {
		mapped = append(mapped, abs)
		return "/api/v1/assets/h" + string(rune('a'+len(mapped)))
	})
	if !json.Valid(out) {
		t.Fatalf("Rewrite made invalid JSON: %s", out)
	}
	if got := assets.Discover(out, nil); got != nil {
		t.Errorf("Discover after Rewrite = %q, want none", got)
	}
	if want := assets.Discover([]byte(fullSnapshot), nil); !slices.Equal(slices.Compact(slices.Sorted(slices.Values(mapped))), slices.Sorted(slices.Values(want))) {
		t.Errorf("mapURL called with %q, want %q", mapped, want)
	}
	for _, keep := range []string{`"src":"https://shop.test/app.js"`, `"href":"https://shop.test/img/full.png"`, `"src":"data:image/gif;base64,R0lGODlhAQABAAAAACw="`, `/* url(https://shop.test/commented.png) */`} {
		if !strings.Contains(string(out), keep) {
			t.Errorf("Rewrite changed %s", keep)
		}
	}
}

// TestReal60 runs discovery and rewriting over a real recording: it must
// find the page's assets, and rewriting with the identity must change no byte.
func TestReal60(t *testing.T) {
	if testing.Short() {
		t.Skip("real recording")
	}
	events, err := testdata.Real60()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for i, e := range events {
		urls := assets.Discover(e.Raw, nil)
		for _, u := range urls {
			found[u] = true
		}
		same := assets.Rewrite(e.Raw, nil, func(abs string) string { return abs })
		if string(same) != string(e.Raw) {
			t.Fatalf("event %d: identity Rewrite changed the event:\n%s\n%s", i, e.Raw, same)
		}
		if len(urls) > 0 {
			out := assets.Rewrite(e.Raw, nil, func(string) string { return "/api/v1/assets/x" })
			if !json.Valid(out) || assets.Discover(out, nil) != nil {
				t.Fatalf("event %d: bad rewrite: %s", i, out)
			}
		}
	}
	t.Logf("%d events, assets found: %q", len(events), slices.Sorted(func(yield func(string) bool) {
		for u := range found {
			if !yield(u) {
				return
			}
		}
	}))
}

func BenchmarkRewriteReal60(b *testing.B) {
	events, err := testdata.Real60()
	if err != nil {
		b.Fatal(err)
	}
	var size int64
	for _, e := range events {
		size += int64(len(e.Raw))
	}
	b.SetBytes(size)
	for b.Loop() {
		for _, e := range events {
			assets.Rewrite(e.Raw, nil, func(string) string { return "/api/v1/assets/x" })
		}
	}
}

func FuzzDiscover(f *testing.F) {
	f.Add([]byte(fullSnapshot))
	f.Add([]byte(`{"type":3,"data":{"source":13,"id":21,"index":[0],"set":{"property":"background-image","value":"url(\"https://a.test/x.png#f\")","priority":""}}}`))
	f.Add([]byte(`{"attributes":{"style":{"a":["url(https://a.test/b)",""]},"srcset":"https://a.test/1,2.png 1x,https://a.test/c.png","rel":"icon","href":"https:\/\/a.test\/\u00e9"}}`))
	f.Add([]byte(`[{"rule":"@import 'https://a.test/a.css';url(\"https://a.test/\\\"x\")"}]`))
	f.Add([]byte(`[-0.5e+10,1E2,true,false,null,{"a":[]},"\ud83d\ude00\ud800x"]`))
	f.Fuzz(func(t *testing.T, event []byte) {
		urls := assets.Discover(event, nil)
		var mapped []string
		out := assets.Rewrite(event, nil, func(abs string) string {
			mapped = append(mapped, abs)
			return "/m/" + abs[len(abs)/2:]
		})
		if got, want := slices.Compact(slices.Sorted(slices.Values(mapped))), slices.Sorted(slices.Values(urls)); !slices.Equal(got, want) {
			t.Fatalf("Rewrite mapped %q, Discover found %q", got, want)
		}
		if len(urls) == 0 && string(out) != string(event) {
			t.Fatalf("Rewrite changed an event without assets")
		}
		if json.Valid(event) && !json.Valid(out) {
			t.Fatalf("Rewrite made invalid JSON: %s", out)
		}
		if len(urls) > 0 {
			out := assets.Rewrite(event, nil, func(string) string { return "/api/v1/assets/h" })
			if again := assets.Discover(out, nil); again != nil {
				t.Fatalf("Discover after Rewrite found %q in %s", again, out)
			}
		}
	})
}
