package e2e_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/playhead/playhead"
)

// replayState is what a replayed page shows at a moment: its elements and
// its text.
type replayState struct {
	Shape []string
	Text  string
}

// stateOf reads a replayed document's state.
func stateOf(doc string) string {
	return `(() => { const d = ` + doc + `; return {shape: (` + domShape + `)(d), text: (d.body ? d.body.innerText : '').replace(/\s+/g, ' ').trim()}; })()`
}

// TestExportImportRoundTrip records a visit to the demo shop, exports it as
// rrweb events and imports the file again: the imported session replays
// the same DOM as the recorded one at the same moments. The HTML export,
// opened from a file: URL with the network off, replays it too.
func TestExportImportRoundTrip(t *testing.T) {
	ctx := newBrowser(t)
	m := startPlayhead(t)
	base := m.URL()

	do(t, ctx, "shop",
		navigate(base+"/demo/"),
		chromedp.WaitVisible(chromedp.CSS(`.add-to-cart`)),
		chromedp.Sleep(300*time.Millisecond),
		chromedp.Click(chromedp.CSS(`.add-to-cart`)),
		chromedp.Sleep(300*time.Millisecond),
		chromedp.Click(chromedp.CSS(`#nav-checkout`)),
		chromedp.WaitVisible(chromedp.CSS(`#name`)),
		chromedp.SendKeys(chromedp.CSS(`#name`), "Ada Lovelace"),
		chromedp.Click(chromedp.CSS(`#place-order`)),
		chromedp.WaitVisible(chromedp.CSS(`#checkout-error`)),
		chromedp.Sleep(300*time.Millisecond),
	)
	sid := eval[string](t, ctx, `Playhead.getSessionId()`)
	do(t, ctx, "leave", navigate("about:blank"))

	api := login(t, m)
	var detail struct{ Session playhead.Session }
	deadline := time.Now().Add(20 * time.Second)
	for {
		getJSON(t, api, base+"/api/v1/sessions/"+sid, &detail)
		if detail.Session.FailedRequests >= 1 && len(detail.Session.Pages) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("session not complete after 20 s: %+v", detail.Session)
		}
		time.Sleep(250 * time.Millisecond)
	}
	time.Sleep(time.Second) // the SDK's last batch, sent on leaving
	duration := detail.Session.DurationMs

	get := func(u string) []byte {
		resp, err := api.Get(base + u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", u, resp.StatusCode, data)
		}
		return data
	}
	exported := get("/api/v1/sessions/" + sid + "/export?format=rrweb")
	resp, err := api.Post(base+"/api/v1/sessions/import", "application/json", bytes.NewReader(exported))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("import: %d %s", resp.StatusCode, body)
	}
	var imported struct{ Import struct{ SessionID string } }
	json.Unmarshal(body, &imported)

	// The player shows the same DOM at the same moments of both sessions.
	setLoginCookie(t, ctx, m)
	moments := []int64{duration / 4, duration / 2, duration * 3 / 4, duration}
	watch := func(id string) []replayState {
		do(t, ctx, "open the player of "+id,
			navigate(fmt.Sprintf("%s/sessions/%s", base, id)),
			chromedp.Poll[chromedp.Void](`window.__playhead && window.__playhead.ready`, chromedp.WithPollingTimeout(30*time.Second)),
		)
		var states []replayState
		for _, at := range moments {
			do(t, ctx, fmt.Sprintf("seek to %d", at),
				chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`window.__playhead.seek(%d)`, at), chromedp.EvalAwaitPromise),
				chromedp.Sleep(700*time.Millisecond),
			)
			states = append(states, eval[replayState](t, ctx, stateOf(frameDoc)))
		}
		return states
	}
	original := watch(sid)
	again := watch(imported.Import.SessionID)
	for i, at := range moments {
		if len(original[i].Shape) < 5 {
			t.Fatalf("the recorded session's replay at %d ms shows almost nothing: %v", at, original[i].Shape)
		}
		if strings.Join(original[i].Shape, " ") != strings.Join(again[i].Shape, " ") || original[i].Text != again[i].Text {
			t.Errorf("at %d ms the imported replay differs:\nrecorded: %v\n%q\nimported: %v\n%q", at, original[i].Shape, original[i].Text, again[i].Shape, again[i].Text)
		}
	}
	if !strings.Contains(original[3].Text, "Place order") {
		t.Errorf("the replay's end does not show the checkout: %q", original[3].Text)
	}

	// The HTML export replays from a file, with the network off, and asks
	// for nothing.
	page := get("/api/v1/sessions/" + sid + "/export?format=html")
	file := filepath.Join(t.TempDir(), "replay.html")
	if err := os.WriteFile(file, page, 0o644); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var requested []string
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requested = append(requested, e.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	errs := watchConsole(t, ctx)
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}},
	}); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "open the HTML export offline", navigate("file://"+file), chromedp.WaitReady(`#playhead-export`))
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](`window.__playheadExport && window.__playheadExport.ready`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("the HTML export did not start: %v; console: %q", err, errs.take())
	}
	do(t, ctx, "seek the HTML export",
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`window.__playheadExport.seek(%d)`, duration)),
		chromedp.Sleep(time.Second),
	)
	const exportDoc = `document.querySelector('.px-frame iframe').contentDocument`
	offline := eval[replayState](t, ctx, stateOf(exportDoc))
	if strings.Join(offline.Shape, " ") != strings.Join(original[3].Shape, " ") || offline.Text != original[3].Text {
		t.Errorf("the HTML export's end differs from the player's:\nplayer: %v %q\nexport: %v %q", original[3].Shape, original[3].Text, offline.Shape, offline.Text)
	}
	if sandbox := eval[string](t, ctx, `document.querySelector('.px-frame iframe').getAttribute('sandbox')`); strings.Contains(sandbox, "allow-scripts") || sandbox == "" {
		t.Errorf("export iframe sandbox = %q, want one without allow-scripts", sandbox)
	}
	mu.Lock()
	for _, u := range requested {
		if !strings.HasPrefix(u, "file://") && !strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "about:") {
			t.Errorf("the HTML export requested %s", u)
		}
	}
	mu.Unlock()
	for _, e := range errs.take() {
		if !strings.Contains(e, "Content Security Policy") { // the recorded page's own references, refused
			t.Errorf("console error in the HTML export: %s", e)
		}
	}
}
