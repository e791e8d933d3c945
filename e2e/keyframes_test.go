package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/app"
	"github.com/playhead/playhead/internal/testutil"
	"github.com/playhead/playhead/recording"
	"github.com/playhead/playhead/testdata"
)

// TestServerKeyframesReplayLikeTheStart sends recordings to Playhead (a
// visit of the fidelity fixture, the replay corpus and ten minutes of the
// real recording), seals them and builds their
// keyframes, then, in Chromium, for keyframes of each: replays with rrweb
// the keyframe and the events after it, and the session from its start, up
// to the keyframe's moment and up to a later one, and compares the two
// documents (probeDOM: elements, attributes, text, form state, every style
// sheet's rules, adopted sheets, scroll, selection, frames and shadow roots)
// and their screenshots.
func TestServerKeyframesReplayLikeTheStart(t *testing.T) {
	ctx := newBrowser(t)
	m := startPlayhead(t)
	// Short sessions: a keyframe every second, so each has several.
	m.Recordings.KeyframePolicy = recording.KeyframePolicy{Interval: time.Second, Events: 200}
	errs := watchConsole(t, ctx)
	setLoginCookie(t, ctx, m)
	api := login(t, m)

	sessions := map[string]string{} // session → what it replays
	fixture := recordFidelityFixture(t, ctx, m, api)
	sessions[fixture] = "the fidelity fixture (styled-components, Emotion, shadow DOM, an iframe, web fonts)"
	// Both replays must see the same assets: a font still being captured
	// when the first replay loads it and captured when the second does
	// would differ for that reason alone (what the first viewer sees while
	// assets are captured is TestReplayLooksLikeTheLivePage's).
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		resp, err := api.Head(m.URL() + "/api/v1/sessions/" + fixture + "/events")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("X-Playhead-Pending-Assets") == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the fixture's assets are still being captured after 30 s (%s pending)", resp.Header.Get("X-Playhead-Pending-Assets"))
		}
	}
	for _, name := range []string{"styles", "widgets", "frames"} {
		sid := "keyframes-" + name
		for seq, batch := range corpusBatches(loadCorpus(t, name)) {
			raws := make([]string, len(batch))
			for i, e := range batch {
				raws[i] = string(e.raw)
			}
			postBatch(t, m, sid, seq, raws...)
		}
		sessions[sid] = name
	}
	real60, err := testdata.Real60()
	if err != nil {
		t.Fatal(err)
	}
	for i, body := range testdata.Batches(real60[:5000], "keyframes-real60", 5000) {
		var b struct {
			Events []json.RawMessage `json:"events"`
		}
		if err := json.Unmarshal(body, &b); err != nil {
			t.Fatal(err)
		}
		raws := make([]string, len(b.Events))
		for j, e := range b.Events {
			raws[j] = string(e)
		}
		postBatch(t, m, "keyframes-real60", i, raws...)
	}
	sessions["keyframes-real60"] = "ten minutes of the real recording"
	if _, err := m.Recordings.SealIdle(t.Context(), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Recordings.BuildQueuedKeyframes(t.Context()); err != nil {
		t.Fatal(err)
	}

	do(t, ctx, "open the dashboard, whose player bundles rrweb's replayer",
		navigate(m.URL()+"/sessions/keyframes-styles?t=0"),
		chromedp.Poll[chromedp.Void](`window.__playhead && window.__playhead.ready`, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Evaluate[chromedp.Void](`window.__probe = `+probeDOM),
	)
	out := screenshotDir(t)
	for sid, what := range sessions {
		name := strings.TrimPrefix(sid, "keyframes-")
		if !strings.HasPrefix(sid, "keyframes-") {
			name = "fidelity"
		}
		t.Run(name, func(t *testing.T) {
			var list struct {
				Keyframes []struct {
					Ts int64 `json:"ts"`
				} `json:"keyframes"`
			}
			_, body := testutil.Get(t, api, m.URL()+"/api/v1/sessions/"+sid+"/keyframes")
			if err := json.Unmarshal([]byte(body), &list); err != nil {
				t.Fatalf("%s: %v", body, err)
			}
			// A short visit of a large page gets few: one is cut only once
			// the events since the last hold a quarter of its size.
			if len(list.Keyframes) < 2 {
				t.Fatalf("%s: %d keyframes, want 2 or more: %s", what, len(list.Keyframes), body)
			}
			// The first, one in the middle, the one before the end: each up to
			// its moment, and up to the next keyframe's.
			picks := []int{0}
			if n := len(list.Keyframes); n >= 3 {
				picks = append(picks, n/2, n-2)
			}
			for _, i := range picks {
				ts, later := list.Keyframes[i].Ts, list.Keyframes[i+1].Ts
				for _, at := range []int64{ts, (ts + later) / 2} {
					type shown struct {
						FromStart, FromKeyframe []string
					}
					got := evalAwait[shown](t, ctx, fmt.Sprintf(`(async (sid, ts, at) => {
						const all = await (await fetch('/api/v1/sessions/' + sid + '/events')).json();
						const kf = await (await fetch('/api/v1/sessions/' + sid + '/keyframes/' + ts)).json();
						// rrweb's replayer starts a seek at the last Meta event
						// before the moment: between a Meta and its full
						// snapshot (a page that snapshots again), a replay from
						// the start shows an empty page. Such a moment is
						// compared once the snapshot is in.
						const meta = all.findLastIndex((e) => e.type === 4 && e.timestamp <= at + 1);
						const snapshot = meta < 0 ? undefined : all.slice(meta).find((e) => e.type === 2);
						if (snapshot && snapshot.timestamp > at) at = snapshot.timestamp;
						const fromKeyframe = kf.concat(all.filter((e) => e.timestamp > ts));
						const replay = async (events, id) => {
							const host = document.createElement('div');
							host.id = id;
							host.style.cssText = 'position:fixed;left:0;top:0;z-index:100000;background:white';
							document.body.appendChild(host);
							const Replayer = window.__playhead.replayer.constructor;
							const r = new Replayer(events, {root: host, showWarning: false, showDebug: false, mouseTail: false,
								UNSAFE_replayCanvas: false, triggerFocus: false, useVirtualDom: false, plugins: window.__playhead.plugins});
							r.pause(at - events[0].timestamp + 1);
							await new Promise((res) => setTimeout(res, 700));
							return r;
						};
						const a = await replay(all, 'from-start');
						const fromStart = window.__probe(a.iframe.contentDocument);
						window.__replays = [a];
						document.getElementById('from-start').style.visibility = 'hidden';
						const b = await replay(fromKeyframe, 'from-keyframe');
						window.__replays.push(b);
						return {fromStart, fromKeyframe: window.__probe(b.iframe.contentDocument)};
					})(%q, %d, %d)`, sid, ts, at))
					if len(got.FromStart) < 10 {
						t.Fatalf("at %d: the replay from the start shows almost nothing: %q", at, got.FromStart)
					}
					if d := probeDiff(got.FromStart, got.FromKeyframe); d != "" {
						_, events := testutil.Get(t, api, m.URL()+"/api/v1/sessions/"+sid+"/events")
						writeArtifact(t, out, fmt.Sprintf("keyframe-%s-%d-%d-events.json", name, ts, at-ts), []byte(events))
						t.Errorf("%s, keyframe %d (at +%d ms): replayed from it, the page differs from the replay from the start:\n%s", what, ts, at-ts, d)
					}
					a, b := replayShots(t, ctx)
					if diff := differingPixels(a, b); diff > 0.001 {
						name := fmt.Sprintf("keyframe-%s-%d-%d", name, ts, at-ts)
						writeArtifactPNG(t, out, name+"-from-start.png", a)
						writeArtifactPNG(t, out, name+"-from-keyframe.png", b)
						t.Errorf("%s, keyframe %d (at +%d ms): %.2f%% of the pixels differ from the replay from the start (see %s)", what, ts, at-ts, diff*100, out)
					}
				}
			}
			if e := errs.take(); len(e) > 0 {
				t.Logf("console (rrweb's own warnings about media it cannot load are expected): %q", e)
			}
		})
	}
}

// recordFidelityFixture records a visit of the fidelity fixture (see
// TestReplayLooksLikeTheLivePage) with Playhead's SDK: its styled-components
// and Emotion rules inserted through the CSSOM, constructed and adopted
// sheets, a shadow-DOM component, an iframe, web fonts, form input, scroll
// and a modal dialog, over some seconds. It returns the session's id once
// Playhead holds all of it.
func recordFidelityFixture(t *testing.T, ctx context.Context, m *app.Main, api *http.Client) string {
	t.Helper()
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serveFixture(w, r, m.URL(), m.Project.IngestKey)
	}))
	t.Cleanup(site.Close)
	click := func(id string) chromedp.Action[chromedp.Void] { return chromedp.Click(chromedp.CSS("#" + id)) }
	js := func(expr string) chromedp.Action[chromedp.Void] { return chromedp.Evaluate[chromedp.Void](expr) }
	pause := chromedp.Sleep(1200 * time.Millisecond)
	do(t, ctx, "record the fidelity fixture",
		chromedp.EmulateViewport(shotW, shotH),
		navigate(site.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#open-dialog`)),
		chromedp.Poll[chromedp.Void](`!!window.Playhead && !!Playhead.getSessionId()`, chromedp.WithPollingTimeout(20*time.Second)),
		pause, click("theme"), click("inc"), click("card-toggle"),
		pause, click("add"), click("add"), click("remove"), js(`document.getElementById('scroller').scrollTop = 230`),
		pause, click("name"), chromedp.SendKeys(chromedp.CSS("#name"), "hello replay"), click("poke"), click("restyle"),
		pause, click("inc"), click("theme"), js(`window.scrollTo(0, 240)`),
		pause, click("open-dialog"), pause,
	)
	sid := eval[string](t, ctx, `Playhead.getSessionId()`)
	last := eval[int64](t, ctx, `Date.now()`) - 1300
	do(t, ctx, "leave (the SDK flushes)", navigate("about:blank"))
	var detail struct {
		Session playhead.Session
		Batches []playhead.BatchRef
	}
	for deadline := time.Now().Add(20 * time.Second); detail.Session.EndedAt < last || !batchesContiguous(detail.Batches); {
		if time.Now().After(deadline) {
			t.Fatalf("the fixture's session is not complete after 20 s: %+v", detail.Batches)
		}
		time.Sleep(200 * time.Millisecond)
		getJSON(t, api, m.URL()+"/api/v1/sessions/"+sid, &detail)
	}
	return sid
}

// replayShots screenshots the two replays made last, the one from the
// start, then the one from the keyframe, each shown alone, and removes them.
func replayShots(t *testing.T, ctx context.Context) (image.Image, image.Image) {
	t.Helper()
	shot := func(show, hide string) image.Image {
		// A hidden replay's frame may not be laid out, so the web fonts its
		// page uses start loading once it is shown, and text in a loading
		// font is invisible: each replay is shot once the fonts its layout
		// asked for have loaded (none is loaded that the page does not use).
		evalAwait[bool](t, ctx, fmt.Sprintf(`(async (show, hide, i) => {
			document.getElementById(show).style.visibility = 'visible';
			document.getElementById(hide).style.visibility = 'hidden';
			const frames = () => new Promise((res) => requestAnimationFrame(() => requestAnimationFrame(res)));
			const doc = window.__replays[i].iframe.contentDocument;
			doc.documentElement.getBoundingClientRect();
			await frames();
			await Promise.race([doc.fonts.ready, new Promise((res) => setTimeout(res, 5000))]);
			await frames();
			return true;
		})(%q, %q, %d)`, show, hide, map[string]int{"from-start": 0, "from-keyframe": 1}[show]))
		buf, err := chromedp.Run(ctx, chromedp.Screenshot("#"+show))
		if err != nil {
			t.Fatalf("screenshot of %s: %v", show, err)
		}
		img, err := png.Decode(bytes.NewReader(buf))
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	a, b := shot("from-start", "from-keyframe"), shot("from-keyframe", "from-start")
	do(t, ctx, "remove the replays", chromedp.Evaluate[chromedp.Void](`for (const r of window.__replays) r.destroy();
		document.getElementById('from-start').remove(); document.getElementById('from-keyframe').remove();`))
	return a, b
}

// differingPixels returns the share of pixels that differ between two
// images (all of them when their sizes differ).
func differingPixels(a, b image.Image) float64 {
	if a.Bounds() != b.Bounds() {
		return 1
	}
	r := a.Bounds()
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			ar, ag, ab, _ := a.At(x, y).RGBA()
			br, bg, bb, _ := b.At(x, y).RGBA()
			if channelDiff(ar, br) > 0x800 || channelDiff(ag, bg) > 0x800 || channelDiff(ab, bb) > 0x800 {
				n++
			}
		}
	}
	return float64(n) / float64(r.Dx()*r.Dy())
}
