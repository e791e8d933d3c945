package e2e_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestPlayerHoldsABoundedStore records a session of 16,000 events (more
// than the player keeps parsed in memory) and opens it: once the player has
// read the whole session (its background indexer) and the page is idle, the
// events it holds parsed are back under its bound, the rest kept deflated
// (a slice of them at a time), and seeks into the evicted stretches still
// show the right moment.
func TestPlayerHoldsABoundedStore(t *testing.T) {
	ctx := newBrowser(t)
	m := startPlayhead(t)
	errs := watchConsole(t, ctx)
	setLoginCookie(t, ctx, m)
	const sid = "boundedstore1"
	const batches, perBatch = 40, 400 // 5-second batches: a text change every 12.5 ms
	now := time.Now().UnixMilli() - int64(batches)*5000 - 60_000
	at := func(i int) int64 { return now + 1 + int64(i)*12 } // event i, i from 0
	for seq := range batches {
		var evs []string
		if seq == 0 {
			evs = append(evs, keyframe(now))
		}
		for k := range perBatch {
			i := seq*perBatch + k
			evs = append(evs, boxText(at(i), fmt.Sprintf("change %d", i)))
		}
		postBatch(t, m, sid, seq, evs...)
	}
	sealWithKeyframes(t, m, sid)
	probe := `(() => ` + frameDoc + `.getElementById('box').textContent)()`
	do(t, ctx, "open",
		navigate(fmt.Sprintf("%s/sessions/%s?t=0", m.URL(), sid)),
		chromedp.Poll[chromedp.Void](`window.__playhead && window.__playhead.ready`, chromedp.WithPollingTimeout(20*time.Second)),
		chromedp.Poll[chromedp.Void](`window.__playhead.stats().indexed`, chromedp.WithPollingTimeout(60*time.Second)),
	)
	const bound = 10_000 // MAX_STORE_EVENTS in web/src/player/engine.ts
	var held int
	deadline := time.Now().Add(20 * time.Second)
	for {
		held = eval[int](t, ctx, `window.__playhead.stats().storeEvents`)
		if held <= bound || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if held > bound {
		t.Fatalf("the idle player holds %d events parsed, want at most %d", held, bound)
	}
	// moments in every stretch, the evicted ones included
	for _, i := range []int{15_900, 100, 8_000, 2_500, 12_345, 0} {
		ms := at(i) - now + 1 // just after event i
		do(t, ctx, "seek", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`window.__playhead.seek(%d)`, ms), chromedp.EvalAwaitPromise))
		if got, want := eval[string](t, ctx, probe), fmt.Sprintf("change %d", i); got != want {
			t.Errorf("at %d ms: box %q, want %q", ms, got, want)
		}
	}
	if e := errs.take(); len(e) > 0 {
		t.Errorf("the player logged errors: %q", e)
	}
}
