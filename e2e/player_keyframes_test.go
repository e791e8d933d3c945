package e2e_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/playhead/playhead/recording"
)

// TestPlayerSeeksFromServerKeyframes records a session with one full
// snapshot at its start and changes over 40 seconds, seals it (the server
// builds its keyframes then), and opens the player as the session's first
// viewer at a late moment: the player starts from the nearest server
// keyframe, fetching the batches after it and not the session's start, shows
// the recorded page at that moment, seeks back and forth from server
// keyframes, and logs no error.
func TestPlayerSeeksFromServerKeyframes(t *testing.T) {
	ctx := newBrowser(t)
	m := startPlayhead(t)
	errs := watchConsole(t, ctx)
	setLoginCookie(t, ctx, m)
	// more keyframes than the player keeps parsed: the others are held deflated
	m.Recordings.KeyframePolicy = recording.KeyframePolicy{Interval: 5 * time.Second, Events: 200}
	const sid = "serverkeyframes1"
	now := time.Now().UnixMilli() - 120_000
	// a text change a second, in 5-second batches; the box turns red at 21.01 s
	text := func(s int) string { return fmt.Sprintf("text at %d s", s) }
	for seq := range 8 {
		var evs []string
		if seq == 0 {
			evs = append(evs, keyframe(now))
		}
		for s := seq*5 + 1; s <= seq*5+5; s++ {
			evs = append(evs, boxText(now+int64(s)*1000, text(s)))
			if s == 21 {
				evs = append(evs, adoptRed(now+int64(s)*1000+10))
			}
		}
		postBatch(t, m, sid, seq, evs...)
	}
	sealWithKeyframes(t, m, sid)
	var list struct {
		Keyframes []struct {
			Ts int64 `json:"ts"`
		} `json:"keyframes"`
	}
	getJSON(t, login(t, m), m.URL()+"/api/v1/sessions/"+sid+"/keyframes", &list)
	if len(list.Keyframes) == 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("the server built no keyframes for the sealed session")
		}
		t.Skip("the server built no keyframes for the sealed session (keyframe building is not in this build)")
	}
	t.Logf("server keyframes at %v ms", func() (o []int64) {
		for _, k := range list.Keyframes {
			o = append(o, k.Ts-now)
		}
		return o
	}())

	probe := `(() => { const d = ` + frameDoc + `; const box = d.getElementById('box');
		return box.textContent + ' ' + d.defaultView.getComputedStyle(box).color; })()`
	want := func(s int) string {
		color := "rgb(0, 0, 0)"
		if s >= 21 { // adopted at 21.01 s
			color = "rgb(255, 0, 0)"
		}
		if s == 0 {
			return "first " + color
		}
		return text(s) + " " + color
	}
	stats := `JSON.stringify(window.__playhead.stats().seekFrom)`
	do(t, ctx, "open at 37.5 s",
		navigate(fmt.Sprintf("%s/sessions/%s?t=37500", m.URL(), sid)),
		chromedp.Poll[chromedp.Void](`window.__playhead && window.__playhead.ready`, chromedp.WithPollingTimeout(20*time.Second)),
	)
	if got := eval[string](t, ctx, probe); got != want(37) {
		t.Errorf("opened at 37.5 s: box %q, want %q", got, want(37))
	}
	if from := eval[string](t, ctx, stats); !strings.Contains(from, `"kind":"server"`) {
		t.Errorf("opened at 37.5 s from %s, want a server keyframe", from)
	}
	// Only what follows the keyframe was fetched for the first frame: not the
	// first batch (the session's start).
	if got := eval[string](t, ctx, `(() => {
		const shown = performance.getEntriesByName('playhead:first-frame')[0].startTime;
		return performance.getEntriesByType('resource').filter((r) => r.startTime < shown && /\/events\?from=0&/.test(r.name)).map((r) => r.name).join(' ');
	})()`); got != "" {
		t.Errorf("opening at 37.5 s fetched the session's first batch: %s", got)
	}
	for _, s := range []int{12, 3, 25, 0, 39, 21, 22} {
		do(t, ctx, "seek", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`window.__playhead.seek(%d)`, s*1000+500), chromedp.EvalAwaitPromise))
		if got := eval[string](t, ctx, probe); got != want(s) {
			t.Errorf("at %d.5 s: box %q, want %q (from %s)", s, got, want(s), eval[string](t, ctx, stats))
		}
	}
	// Once the session is indexed, the player holds every keyframe: seeks
	// anywhere, forward and back, then request none.
	do(t, ctx, "wait until every keyframe is held",
		chromedp.Poll[chromedp.Void](`window.__playhead.stats().keyframesPrefetched`, chromedp.WithPollingTimeout(20*time.Second)))
	if held := eval[int](t, ctx, `window.__playhead.stats().keyframesHeld`); held != len(list.Keyframes) {
		t.Errorf("the player holds %d keyframes, want all %d", held, len(list.Keyframes))
	}
	requests := `performance.getEntriesByType('resource').filter((r) => /\/keyframes\/\d+/.test(r.name)).length`
	before := eval[int](t, ctx, requests)
	for _, s := range []int{39, 2, 30, 14, 21, 8, 26} {
		do(t, ctx, "seek", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`window.__playhead.seek(%d)`, s*1000+500), chromedp.EvalAwaitPromise))
		if got := eval[string](t, ctx, probe); got != want(s) {
			t.Errorf("at %d.5 s, keyframes held: box %q, want %q (from %s)", s, got, want(s), eval[string](t, ctx, stats))
		}
	}
	if after := eval[int](t, ctx, requests); after != before {
		t.Errorf("seeks with every keyframe held made %d keyframe requests", after-before)
	}
	do(t, ctx, "settle", chromedp.Sleep(300*time.Millisecond))
	if e := errs.take(); len(e) > 0 {
		t.Errorf("the player logged errors: %q", e)
	}
}
