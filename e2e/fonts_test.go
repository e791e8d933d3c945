package e2e_test

import (
	"encoding/base64"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestFontAddedAfterItsTextIsShown replays a page whose text is laid out in
// a fallback font before the page adds its web font through the FontFace
// API (a font loaded on demand, the usual case), and checks that the text
// is drawn in the web font once it has loaded, as on the recorded page.
// Replayed by rrweb alone, the face is made in the player's window and
// Chromium never lays that text out again; the player's replayers (and the
// bare ones other tests make, through window.__playhead.plugins) make it in
// the replay's window.
func TestFontAddedAfterItsTextIsShown(t *testing.T) {
	ctx := newBrowser(t)
	m := startPlayhead(t)
	setLoginCookie(t, ctx, m)
	font, err := os.ReadFile("fixtures/dist/fonts/pacifico-latin-400-normal.woff2")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().UnixMilli() - 60_000
	postBatch(t, m, "fontlate00000001", 0, keyframe(t0), boxText(t0+500, "second"))
	do(t, ctx, "open the player",
		navigate(fmt.Sprintf("%s/sessions/fontlate00000001?t=0", m.URL())),
		chromedp.Poll[chromedp.Void](`window.__playhead && window.__playhead.ready`, chromedp.WithPollingTimeout(30*time.Second)),
	)
	type shown struct {
		Box, Fallback float64
		Status        string
	}
	replay := func(plugins bool) shown {
		return evalAwait[shown](t, ctx, fmt.Sprintf(`(async (src, t0, plugins) => {
			const page = %s;
			// the box's text in "Late Face", a font the page adds 2 s later
			page.node.childNodes[1].childNodes[1].childNodes[0].attributes.style = 'font: 40px "Late Face", monospace; display: inline-block';
			const events = [
				{type: 4, timestamp: t0, data: {href: 'https://shop.example/page', width: 800, height: 600}},
				{type: 2, timestamp: t0, data: page},
				{type: 3, timestamp: t0 + 2000, data: {source: 10, family: 'Late Face', fontSource: 'url(' + src + ')', buffer: false, descriptors: {}}},
				{type: 3, timestamp: t0 + 2500, data: {source: 2, type: 2, id: 6, x: 1, y: 1}},
			];
			const host = document.createElement('div');
			host.style.cssText = 'position:fixed;left:0;top:0;z-index:100000;background:white';
			document.body.appendChild(host);
			const Replayer = window.__playhead.replayer.constructor;
			const r = new Replayer(events, {root: host, showWarning: false, showDebug: false, mouseTail: false,
				UNSAFE_replayCanvas: false, triggerFocus: false, plugins: plugins ? window.__playhead.plugins : []});
			r.pause(1000);
			const doc = r.iframe.contentDocument;
			doc.getElementById('box').getBoundingClientRect(); // laid out in the fallback font
			r.play(1000);
			const face = () => [...doc.fonts].find((f) => f.family.replace(/"/g, '') === 'Late Face');
			for (let i = 0; i < 50 && !(face() && face().status === 'loaded'); i++) await new Promise((res) => setTimeout(res, 100));
			await new Promise((res) => requestAnimationFrame(() => requestAnimationFrame(res)));
			const probe = doc.createElement('span');
			probe.style.font = '40px monospace';
			probe.textContent = doc.getElementById('box').textContent;
			doc.body.appendChild(probe);
			const out = {box: doc.getElementById('box').getBoundingClientRect().width, fallback: probe.getBoundingClientRect().width, status: face() ? face().status : 'missing'};
			r.destroy();
			host.remove();
			return out;
		})(%q, %d, %v)`, boxPage, "data:font/woff2;base64,"+base64.StdEncoding.EncodeToString(font), t0, plugins))
	}
	bare := replay(false)
	t.Logf("replayed by rrweb alone: the face is %s, the text %.1f px wide (%.1f px in the fallback font)", bare.Status, bare.Box, bare.Fallback)
	got := replay(true)
	if got.Status != "loaded" {
		t.Fatalf("the replayed page's face is %q, want loaded", got.Status)
	}
	if got.Box == got.Fallback {
		t.Errorf("the text stays in the fallback font (%.1f px wide) after its web font loaded: the replay never laid it out again", got.Box)
	}
}
