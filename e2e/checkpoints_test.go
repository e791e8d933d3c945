package e2e_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/playhead/playhead/testdata"
)

// TestStoredCheckpointsServeTheNextViewer opens a long session (the first
// ten minutes of the real recording, one full snapshot at its start) in the
// player until it has indexed the session and stored its checkpoints, then
// opens it again in a fresh page: a seek far into the session replays from a
// stored checkpoint at once, before that page has indexed anything, and
// shows the same page as the first player did.
func TestStoredCheckpointsServeTheNextViewer(t *testing.T) {
	ctx := newBrowser(t)
	m := startPlayhead(t)
	base := m.URL()
	events, err := testdata.Real60()
	if err != nil {
		t.Fatal(err)
	}
	end := 0
	for end < len(events) && events[end].Timestamp-events[0].Timestamp < 10*60*1000 {
		end++
	}
	const sid = "checkpointreplay1"
	for i, body := range testdata.Batches(events[:end], sid, 5000) {
		resp, err := http.Post(base+"/api/v1/ingest?k="+m.Project.IngestKey, "text/plain", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("batch %d: status %d", i, resp.StatusCode)
		}
	}
	cookie := loginCookie(t, login(t, m), base)
	if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: cookie.Name, Value: cookie.Value, URL: base}); err != nil {
		t.Fatal(err)
	}
	const target = 9 * 60 * 1000 // ms into the session
	const frameShape = `(` + domShape + `)(document.querySelector('iframe').contentDocument)`

	do(t, ctx, "first viewer: open and index",
		navigate(fmt.Sprintf("%s/sessions/%s", base, sid)),
		chromedp.Poll[chromedp.Void](`window.__playhead && window.__playhead.ready`, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Poll[chromedp.Void](`window.__playhead.stats().checkpointsSaved`, chromedp.WithPollingTimeout(120*time.Second)),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`window.__playhead.seek(%d)`, target), chromedp.EvalAwaitPromise),
		chromedp.Poll[chromedp.Void](frameShape+`.length > 0`, chromedp.WithPollingTimeout(10*time.Second)),
	)
	made := eval[int](t, ctx, `window.__playhead.stats().checkpoints`)
	want := eval[[]string](t, ctx, frameShape)
	if made < 2 || len(want) < 10 {
		t.Fatalf("first viewer: %d checkpoints, %d elements shown at the target", made, len(want))
	}

	do(t, ctx, "next viewer: open and seek at once",
		navigate("about:blank"),
		navigate(fmt.Sprintf("%s/sessions/%s", base, sid)),
		chromedp.Poll[chromedp.Void](`window.__playhead && window.__playhead.ready && window.__playhead.stats().loadedCheckpoints > 0`, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`window.__playhead.seek(%d)`, target), chromedp.EvalAwaitPromise),
	)
	type from struct {
		Kind   string
		At     int64
		Stored bool
	}
	stats := eval[struct {
		LoadedCheckpoints int
		SeekFrom          *from
	}](t, ctx, `window.__playhead.stats()`)
	start := events[0].Timestamp
	if stats.SeekFrom == nil || !stats.SeekFrom.Stored || stats.SeekFrom.At < start+target-2*60*1000 {
		t.Errorf("the next viewer's seek to %d s replayed from %+v (%d checkpoints loaded), want a stored checkpoint shortly before it", target/1000, stats.SeekFrom, stats.LoadedCheckpoints)
	}
	// the rebuilt page may land a frame after the seek's promise
	chromedp.Run(ctx, chromedp.Poll[chromedp.Void](frameShape+`.length > 0`, chromedp.WithPollingTimeout(10*time.Second)))
	if got := eval[[]string](t, ctx, frameShape); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("from the stored checkpoint the page differs (%d elements) from the first viewer's (%d)", len(got), len(want))
	}
}
