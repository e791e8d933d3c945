package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/playhead/playhead/app"
)

// A hand-made page for the tests below: one box whose text changes.
const (
	pageHref = "https://shop.example/page"
	boxPage  = `{"node":{"type":0,"id":1,"childNodes":[{"type":1,"id":2,"name":"html","publicId":"","systemId":""},` +
		`{"type":2,"id":3,"tagName":"html","attributes":{},"childNodes":[{"type":2,"id":4,"tagName":"head","attributes":{},"childNodes":[]},` +
		`{"type":2,"id":5,"tagName":"body","attributes":{},"childNodes":[{"type":2,"id":6,"tagName":"div","attributes":{"id":"box"},"childNodes":[{"type":3,"id":7,"textContent":"first"}]}]}]}]},` +
		`"initialOffset":{"left":0,"top":0}}`
)

func lifecycle(ts int64, typ int) string {
	return fmt.Sprintf(`{"type":%d,"timestamp":%d,"data":{}}`, typ, ts)
}

func keyframe(ts int64) string {
	return fmt.Sprintf(`{"type":4,"timestamp":%d,"data":{"href":%q,"width":800,"height":600}},{"type":2,"timestamp":%d,"data":%s}`, ts, pageHref, ts, boxPage)
}

func boxText(ts int64, text string) string {
	return fmt.Sprintf(`{"type":3,"timestamp":%d,"data":{"source":0,"texts":[{"id":7,"value":%q}],"attributes":[],"removes":[],"adds":[]}}`, ts, text)
}

// adoptRed makes the document adopt a sheet that turns the box red.
func adoptRed(ts int64) string {
	return fmt.Sprintf(`{"type":3,"timestamp":%d,"data":{"source":15,"id":1,"styleIds":[1],"styles":[{"styleId":1,"rules":[{"rule":"#box { color: rgb(255, 0, 0); }","index":0}]}]}}`, ts)
}

// postBatch sends one batch (events given as JSON objects) through the ingest API.
func postBatch(t *testing.T, m *app.Main, sid string, seq int, events ...string) {
	t.Helper()
	body := fmt.Sprintf(`{"v":1,"sid":%q,"seq":%d,"events":[%s]}`, sid, seq, strings.Join(events, ","))
	resp, err := http.Post(m.URL()+"/api/v1/ingest?k="+m.Project.IngestKey, "text/plain", bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("session %s batch %d: status %d", sid, seq, resp.StatusCode)
	}
}

// sealWithKeyframes seals a session's pending batches into a chunk and has
// the server build its keyframes, as it does once a session goes quiet.
func sealWithKeyframes(t *testing.T, m *app.Main, sid string) {
	t.Helper()
	if _, err := m.Recordings.Seal(t.Context(), m.Project.ID, sid); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Recordings.BuildQueuedKeyframes(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// consoleErrors collects what the tab logs as an error (console.error,
// uncaught exceptions, failed requests, CSP violations) until the test ends.
type consoleErrors struct {
	mu   sync.Mutex
	list []string
}

func watchConsole(t *testing.T, ctx context.Context) *consoleErrors {
	t.Helper()
	c := &consoleErrors{}
	messages := chromedp.Console(ctx)
	go func() {
		for msg, err := range messages {
			if err != nil {
				return
			}
			if msg.Type == chromedp.ConsoleError || msg.IsException() {
				c.mu.Lock()
				c.list = append(c.list, msg.String()+" "+msg.URL)
				c.mu.Unlock()
			}
		}
	}()
	return c
}

// take returns the errors logged since the last call.
func (c *consoleErrors) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.list
	c.list = nil
	return l
}

func setLoginCookie(t *testing.T, ctx context.Context, m *app.Main) {
	t.Helper()
	cookie := loginCookie(t, login(t, m), m.URL())
	if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: cookie.Name, Value: cookie.Value, URL: m.URL()}); err != nil {
		t.Fatal(err)
	}
}

const frameDoc = `document.querySelector('.stage-root iframe').contentDocument`

// TestPlayerOpensEverySessionWithAKeyframe opens sessions whose first stored
// batch holds no keyframe (page lifecycle events before the first Meta, as
// rrweb records them when it starts before the page has loaded; a first
// batch that was lost): the player shows the first keyframe's page, paused
// or playing, and logs no error. A session without any full snapshot says
// so and still shows its timeline and panels.
func TestPlayerOpensEverySessionWithAKeyframe(t *testing.T) {
	ctx := newBrowser(t)
	m := startPlayhead(t)
	errs := watchConsole(t, ctx)
	setLoginCookie(t, ctx, m)
	now := time.Now().UnixMilli() - 60_000

	postBatch(t, m, "lifecycle0000001", 0, lifecycle(now, 0), lifecycle(now+5, 1))
	postBatch(t, m, "lifecycle0000001", 1, keyframe(now+20), boxText(now+3000, "second"))

	postBatch(t, m, "lostfirstbatch01", 1, boxText(now+1000, "lost with its keyframe"))
	postBatch(t, m, "lostfirstbatch01", 2, keyframe(now+5000), boxText(now+8000, "second"))

	postBatch(t, m, "nosnapshot000001", 0, lifecycle(now, 0), lifecycle(now+5, 1),
		fmt.Sprintf(`{"type":5,"timestamp":%d,"data":{"tag":"playhead.error","payload":{"kind":"error","message":"Boom before any snapshot"}}}`, now+10))

	for _, tt := range []struct{ sid, query, want string }{
		{"lifecycle0000001", "", "first"},
		{"lifecycle0000001", "?t=0", "first"},
		{"lifecycle0000001", "?t=4000", "second"},
		{"lostfirstbatch01", "", "first"},
		{"lostfirstbatch01", "?t=0", "first"},
		{"lostfirstbatch01", "?t=2000", "first"},
	} {
		do(t, ctx, "open "+tt.sid+tt.query,
			navigate(m.URL()+"/sessions/"+tt.sid+tt.query),
			chromedp.Poll[chromedp.Void](`window.__playhead && window.__playhead.ready`, chromedp.WithPollingTimeout(20*time.Second)),
			chromedp.Poll[chromedp.Void](`(`+frameDoc+`.getElementById('box') || {}).textContent`, chromedp.WithPollingTimeout(10*time.Second)),
		)
		if got := eval[string](t, ctx, frameDoc+`.getElementById('box').textContent`); got != tt.want && tt.query != "" {
			t.Errorf("%s%s shows %q, want %q", tt.sid, tt.query, got, tt.want)
		}
		if msg := eval[string](t, ctx, `document.querySelector('.stage-overlay').hidden ? '' : document.querySelector('.stage-overlay').textContent`); msg != "" {
			t.Errorf("%s%s says %q", tt.sid, tt.query, msg)
		}
		do(t, ctx, "settle", chromedp.Sleep(300*time.Millisecond))
		// the replayed document is finished (else the dashboard would never
		// stop loading), in the mode its doctype asks for
		if got := eval[string](t, ctx, `document.readyState + ' ' + `+frameDoc+`.readyState + ' ' + `+frameDoc+`.compatMode`); got != "complete complete CSS1Compat" {
			t.Errorf("%s%s: dashboard, replay readiness and the replay's mode: %q, want \"complete complete CSS1Compat\"", tt.sid, tt.query, got)
		}
		if e := errs.take(); len(e) > 0 {
			t.Errorf("%s%s logged errors: %q", tt.sid, tt.query, e)
		}
	}

	do(t, ctx, "open a session without a full snapshot",
		navigate(m.URL()+"/sessions/nosnapshot000001"),
		chromedp.Poll[chromedp.Void](`document.querySelector('.sc-canvas') && !document.querySelector('.stage-overlay').hidden`, chromedp.WithPollingTimeout(20*time.Second)),
		chromedp.Sleep(300*time.Millisecond),
	)
	msg := eval[string](t, ctx, `document.querySelector('.stage-overlay').textContent`)
	panels := eval[string](t, ctx, `document.querySelector('.side').textContent`)
	if !strings.Contains(msg, "no full snapshot") || !strings.Contains(panels, "Boom before any snapshot") {
		t.Errorf("session without a full snapshot: message %q, panels %q", msg, panels)
	}
	if e := errs.take(); len(e) > 0 {
		t.Errorf("session without a full snapshot logged errors: %q", e)
	}
}

// TestLoggedOutLinkLogsNoError: a player link opened without a login shows
// the login form, with nothing in the console (the page says no one is
// logged in: no request answers 401), and signing in opens the session.
func TestLoggedOutLinkLogsNoError(t *testing.T) {
	ctx := newBrowser(t)
	m := startPlayhead(t)
	now := time.Now().UnixMilli() - 60_000
	const sid = "loggedoutlink001"
	postBatch(t, m, sid, 0, keyframe(now), boxText(now+1000, "second"))
	errs := watchConsole(t, ctx)

	do(t, ctx, "open the link", navigate(m.URL()+"/sessions/"+sid+"?t=2000"), chromedp.WaitVisible(`input[name="password"]`))
	if got := eval[[]string](t, ctx, `performance.getEntriesByType("resource").map((r) => r.name).filter((n) => n.includes("/api/v1/me") || n.includes("/api/v1/sessions"))`); len(got) != 0 {
		t.Errorf("logged out, the page asked %q", got)
	}
	do(t, ctx, "sign in",
		chromedp.SendKeys(`input[name="username"]`, "admin"),
		chromedp.SendKeys(`input[name="password"]`, adminPassword),
		chromedp.Click(`button[type="submit"]`),
	)
	waitAcrossPages(t, ctx, `window.__playhead && window.__playhead.ready`)
	if got := eval[string](t, ctx, `(`+frameDoc+`).getElementById('box').textContent`); got != "second" {
		t.Errorf("after signing in, the box says %q, want second", got)
	}
	if e := errs.take(); len(e) > 0 {
		t.Errorf("logged errors: %q", e)
	}

	// signed in, the same link followed from another site (a chat, a
	// ticket; here the server under another host name): the login cookie
	// (SameSite=Strict) does not come with that navigation, and the
	// session opens all the same
	other := strings.Replace(m.URL(), "127.0.0.1", "localhost", 1)
	do(t, ctx, "another site", navigate(other+"/healthz"))
	eval[bool](t, ctx, `(location.href = `+strconv.Quote(m.URL()+"/sessions/"+sid+"?t=500")+`, true)`)
	waitAcrossPages(t, ctx, `location.host === `+strconv.Quote(strings.TrimPrefix(m.URL(), "http://"))+` && window.__playhead && window.__playhead.ready`)
	if got := eval[string](t, ctx, `(`+frameDoc+`).getElementById('box').textContent`); got != "first" {
		t.Errorf("from another site, the box says %q, want first", got)
	}

	// logging out shows the login form without asking who is logged in
	const askedMe = `performance.getEntriesByType("resource").map((r) => r.name).filter((n) => n.includes("/api/v1/me"))`
	do(t, ctx, "the sessions list", navigate(m.URL()+"/"), chromedp.WaitVisible(`.topbar-right button`))
	errs.take()
	eval[bool](t, ctx, `(performance.clearResourceTimings(), [...document.querySelectorAll(".topbar-right button")].find((b) => b.textContent === "Log out").click(), true)`)
	do(t, ctx, "log out", chromedp.WaitVisible(`input[name="password"]`))
	if got := eval[[]string](t, ctx, askedMe); len(got) != 0 || eval[string](t, ctx, `location.pathname`) != "/login" {
		t.Errorf("after logging out, at %s the page asked %q", eval[string](t, ctx, `location.pathname`), got)
	}
	// the login page with a login cookie no longer valid: the form, no 401
	if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: "playhead_login", Value: "not-a-login", URL: m.URL()}); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "the login page, stale cookie", navigate(m.URL()+"/login?next=/reports"), chromedp.WaitVisible(`input[name="password"]`))
	if got := eval[[]string](t, ctx, askedMe); len(got) != 0 {
		t.Errorf("the login page with a stale cookie asked %q", got)
	}
	if e := errs.take(); len(e) > 0 {
		t.Errorf("logged errors: %q", e)
	}
}

// TestBackwardSeekResetsAdoptedStyleSheets: a style sheet the document
// adopts at 2 s turns the box red; after showing 4 s, a seek back to 1 s
// shows the box as it was then (rrweb's rebuild keeps the document, and with
// it the sheets it adopted), and a seek forward again shows it red.
func TestBackwardSeekResetsAdoptedStyleSheets(t *testing.T) {
	ctx := newBrowser(t)
	m := startPlayhead(t)
	setLoginCookie(t, ctx, m)
	now := time.Now().UnixMilli() - 60_000
	const sid = "adoptedsheets001"
	postBatch(t, m, sid, 0, keyframe(now), adoptRed(now+2000), boxText(now+3000, "second"), boxText(now+5000, "third"))

	do(t, ctx, "open", navigate(m.URL()+"/sessions/"+sid+"?t=4000"),
		chromedp.Poll[chromedp.Void](`window.__playhead && window.__playhead.ready`, chromedp.WithPollingTimeout(20*time.Second)))
	probe := `(() => { const d = ` + frameDoc + `; const box = d.getElementById('box');
		return box.textContent + ' ' + d.defaultView.getComputedStyle(box).color + ' ' + d.adoptedStyleSheets.length; })()`
	seeksShow(t, ctx, "box", probe, []seekShows{
		{4000, "second rgb(255, 0, 0) 1"},
		{1000, "first rgb(0, 0, 0) 0"},
		{4000, "second rgb(255, 0, 0) 1"},
		{2500, "first rgb(255, 0, 0) 1"},
		{500, "first rgb(0, 0, 0) 0"},
	})
}

// seekShows is a moment to seek to and what a probe should then give.
type seekShows struct {
	t    int
	want string
}

// seeksShow seeks the open player to each step's moment in turn and checks
// what probe (a script) gives there.
func seeksShow(t *testing.T, ctx context.Context, what, probe string, steps []seekShows) {
	t.Helper()
	for _, step := range steps {
		do(t, ctx, "seek", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`window.__playhead.seek(%d)`, step.t), chromedp.EvalAwaitPromise), chromedp.Sleep(100*time.Millisecond))
		if got := eval[string](t, ctx, probe); got != step.want {
			t.Errorf("at %d ms: %s %q, want %q", step.t, what, got, step.want)
		}
	}
}

// hoverPage is boxPage with a style sheet whose rule for the box applies
// under the pointer.
const hoverPage = `{"node":{"type":0,"id":1,"childNodes":[{"type":1,"id":2,"name":"html","publicId":"","systemId":""},` +
	`{"type":2,"id":3,"tagName":"html","attributes":{},"childNodes":[{"type":2,"id":4,"tagName":"head","attributes":{},"childNodes":[` +
	`{"type":2,"id":8,"tagName":"style","attributes":{},"childNodes":[{"type":3,"id":9,"isStyle":true,"textContent":"#box { width: 200px; height: 50px; }\n#other, #box:hover { color: rgb(255, 0, 0); }"}]}]},` +
	`{"type":2,"id":5,"tagName":"body","attributes":{},"childNodes":[{"type":2,"id":6,"tagName":"div","attributes":{"id":"box"},"childNodes":[{"type":3,"id":7,"textContent":"first"}]}]}]}]},` +
	`"initialOffset":{"left":0,"top":0}}`

// TestHoverRulesReplay: the recorded pointer moves over the box at 2 s and
// away at 4 s; the replay shows the box's :hover rule in between, and only
// then (rules for :hover are replayed through a class the replayer adds
// under the pointer, and a selector each such rule gains for it).
func TestHoverRulesReplay(t *testing.T) {
	ctx := newBrowser(t)
	m := startPlayhead(t)
	setLoginCookie(t, ctx, m)
	now := time.Now().UnixMilli() - 60_000
	const sid = "hoverrules000001"
	move := func(ts int64, x, y, id int) string {
		return fmt.Sprintf(`{"type":3,"timestamp":%d,"data":{"source":1,"positions":[{"x":%d,"y":%d,"id":%d,"timeOffset":0}]}}`, ts, x, y, id)
	}
	postBatch(t, m, sid, 0,
		fmt.Sprintf(`{"type":4,"timestamp":%d,"data":{"href":%q,"width":800,"height":600}},{"type":2,"timestamp":%d,"data":%s}`, now, pageHref, now, hoverPage),
		move(now+2000, 20, 20, 6), move(now+4000, 400, 400, 5), boxText(now+5000, "second"))

	do(t, ctx, "open", navigate(m.URL()+"/sessions/"+sid+"?t=1000"),
		chromedp.Poll[chromedp.Void](`window.__playhead && window.__playhead.ready`, chromedp.WithPollingTimeout(20*time.Second)))
	probe := `(() => { const d = ` + frameDoc + `; const box = d.getElementById('box');
		return box.classList.contains(':hover') + ' ' + d.defaultView.getComputedStyle(box).color; })()`
	seeksShow(t, ctx, "box hovered and colour", probe, []seekShows{
		{1000, "false rgb(0, 0, 0)"},
		{3000, "true rgb(255, 0, 0)"},
		{4500, "false rgb(0, 0, 0)"},
		{2500, "true rgb(255, 0, 0)"},
		{500, "false rgb(0, 0, 0)"},
	})
	// the sheet as replayed: as recorded, with the hover rule's second selector
	sheet := eval[string](t, ctx, `[...(`+frameDoc+`).querySelectorAll('style')].map((s) => s.textContent).find((t) => t.includes('#box')) || ''`)
	if want := "#box { width: 200px; height: 50px; }\n#other, #box:hover,\n#box.\\:hover { color: rgb(255, 0, 0); }"; sheet != want {
		t.Errorf("replayed sheet %q, want %q", sheet, want)
	}
}

// consoleLog is a console.log of text at ts, as the SDK records it.
func consoleLog(ts int64, text string) string {
	return fmt.Sprintf(`{"type":6,"timestamp":%d,"data":{"plugin":"rrweb/console@1","payload":{"level":"log","payload":[%q],"trace":[]}}}`, ts, `"`+text+`"`)
}

// openConsole opens the player on session sid at its start and shows the
// console panel.
func openConsole(t *testing.T, ctx context.Context, m *app.Main, sid string) {
	t.Helper()
	do(t, ctx, "open the console",
		chromedp.EmulateViewport(1280, 800),
		navigate(m.URL()+"/sessions/"+sid+"?t=0"),
		chromedp.Poll[chromedp.Void](`window.__playhead && window.__playhead.ready`, chromedp.WithPollingTimeout(20*time.Second)),
		chromedp.Click(`button[data-tab="console"]`),
	)
}

// shownList finds the entry list of the panel shown (in page scripts).
const shownList = `[...document.querySelectorAll('.entry-list')].find((l) => l.offsetParent)`

// settlesOn reports whether expr evaluates to want within 3 s (a panel
// follows a seek once the replayed frame is drawn), and what it gave last.
func settlesOn(t *testing.T, ctx context.Context, expr, want string) (string, bool) {
	t.Helper()
	q, _ := json.Marshal(want)
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr+` === `+string(q), chromedp.WithPollingTimeout(3*time.Second))); err != nil {
		return eval[string](t, ctx, expr), false
	}
	return want, true
}

// TestLaterEntriesDimmed: the console rows after the play head are under the
// list's veil, the ones at or before it are not, wherever a seek lands.
func TestLaterEntriesDimmed(t *testing.T) {
	ctx := newBrowser(t)
	m := startPlayhead(t)
	errs := watchConsole(t, ctx)
	setLoginCookie(t, ctx, m)
	now := time.Now().UnixMilli() - 60_000
	postBatch(t, m, "dimmedrows000001", 0, keyframe(now), consoleLog(now+1000, "one"), consoleLog(now+2000, "two"), consoleLog(now+3000, "three"), boxText(now+4000, "end"))
	openConsole(t, ctx, m, "dimmedrows000001")
	// which rows the veil covers: the ones whose top is at or below its top
	const veiled = `(() => {
		const list = ` + shownList + `;
		const top = new DOMMatrix(getComputedStyle(list.querySelector('.entry-veil')).transform).m42;
		return [...list.querySelectorAll('.entry')].filter((r) => !r.hidden).map((r) => (r.offsetTop >= top ? 'dim ' : '') + r.textContent.match(/one|two|three/)[0]).join(', ');
	})()`
	for _, tt := range []struct {
		at   int
		want string
	}{
		{0, "dim one, dim two, dim three"},
		{1500, "one, dim two, dim three"},
		{3500, "one, two, three"},
		{2000, "one, two, dim three"},
		{500, "dim one, dim two, dim three"},
	} {
		do(t, ctx, "seek", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`window.__playhead.seek(%d)`, tt.at), chromedp.EvalAwaitPromise))
		if got, ok := settlesOn(t, ctx, veiled, tt.want); !ok {
			t.Errorf("at %d ms: %s, want %s", tt.at, got, tt.want)
		}
	}
	if e := errs.take(); len(e) > 0 {
		t.Errorf("logged errors: %q", e)
	}
}

// TestCurrentEntryInView: after a seek, the console row at the play head is
// in view, though the rows around it (never drawn before, some several
// lines tall) turn out taller than the list guessed.
func TestCurrentEntryInView(t *testing.T) {
	ctx := newBrowser(t)
	m := startPlayhead(t)
	setLoginCookie(t, ctx, m)
	now := time.Now().UnixMilli() - 120_000
	events := []string{keyframe(now)}
	long := strings.Repeat("a long line of console output ", 12)
	for i := range 400 {
		text := fmt.Sprintf("entry %d", i)
		if i%3 == 0 {
			text += " " + long // several lines in the panel
		}
		events = append(events, consoleLog(now+int64(100+i*100), text))
	}
	events = append(events, boxText(now+50_000, "end"))
	postBatch(t, m, "entryinview00001", 0, events...)
	openConsole(t, ctx, m, "entryinview00001")
	const inView = `(() => {
		const list = ` + shownList + `;
		const row = list.querySelector('.entry.current');
		if (!row) return 'no current row';
		const l = list.getBoundingClientRect(), r = row.getBoundingClientRect();
		return (r.top >= l.top - 1 && r.bottom <= l.bottom + 1 ? 'in view: ' : 'out of view: ') + row.textContent.match(/entry \d+/)[0];
	})()`
	moments := []int{30_050, 10_050, 38_050, 20_050, 25_050}
	for i, at := range moments {
		if i == len(moments)-1 {
			// opened at the moment, the console shown from the start
			do(t, ctx, "open at a moment",
				navigate(fmt.Sprintf("%s/sessions/entryinview00001?t=%d", m.URL(), at)),
				chromedp.Poll[chromedp.Void](`window.__playhead && window.__playhead.ready`, chromedp.WithPollingTimeout(20*time.Second)),
			)
		} else {
			do(t, ctx, "seek", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`window.__playhead.seek(%d)`, at), chromedp.EvalAwaitPromise))
		}
		want := fmt.Sprintf("in view: entry %d", (at-100)/100)
		if got, ok := settlesOn(t, ctx, inView, want); !ok {
			t.Errorf("at %d ms: %s, want %s", at, got, want)
		}
	}
}
