package e2e_test

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/playhead/playhead"
)

// TestSearchOpensTheMatchingMoment records four visits to the demo shop in
// Chromium (an uncaught error, a failed order, rage clicks, an identified
// user), then searches the dashboard for each: the search box suggests keys
// and the project's values, each search finds its visit alone and says why
// (the moments it matched), and opening a result starts the player at the
// matched moment, from which it steps to the next and previous match.
func TestSearchOpensTheMatchingMoment(t *testing.T) {
	ctx := newBrowser(t)
	m := startPlayhead(t)
	base := m.URL()

	// 1. Four visits, each in a tab of its own (a tab is a session).
	record := func(what string, steps ...chromedp.Action[chromedp.Void]) string {
		tab, cancel := chromedp.NewContext(ctx)
		defer cancel()
		do(t, tab, "open the shop for "+what, navigate(base+"/demo/"), chromedp.WaitVisible(chromedp.CSS(`.add-to-cart`)), chromedp.Sleep(300*time.Millisecond))
		do(t, tab, what, steps...)
		sid := eval[string](t, tab, `Playhead.getSessionId()`)
		// Everything sent before the tab closes.
		do(t, tab, "flush", chromedp.Evaluate[chromedp.Void](`Playhead.flush()`, chromedp.EvalAwaitPromise), navigate("about:blank"))
		return sid
	}
	click := func(sel string) chromedp.Action[chromedp.Void] { return chromedp.Click(chromedp.CSS(sel)) }
	rage := []chromedp.Action[chromedp.Void]{}
	for range 2 { // two bursts, so one falls within a batch whatever the SDK's timing
		rage = append(rage, click(`#shop-title`), click(`#shop-title`), click(`#shop-title`), click(`#shop-title`), chromedp.Sleep(1500*time.Millisecond))
	}
	errSid := record("an uncaught error", click(`#throw-error`), chromedp.Sleep(300*time.Millisecond))
	orderSid := record("a failed order", click(`.add-to-cart`), click(`#nav-checkout`), chromedp.WaitVisible(chromedp.CSS(`#place-order`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), "ada@example.com"), click(`#place-order`), chromedp.WaitVisible(chromedp.CSS(`#checkout-error`)))
	rageSid := record("rage clicks", rage...)
	userSid := record("an identified user", chromedp.Evaluate[chromedp.Void](`Playhead.identify('e2e-user-42')`), chromedp.Sleep(200*time.Millisecond),
		chromedp.Evaluate[chromedp.Void](`Playhead.track('coupon_applied')`), chromedp.Sleep(300*time.Millisecond))
	if len(slices.Compact([]string{errSid, orderSid, rageSid, userSid})) != 4 {
		t.Fatalf("the visits share sessions: %s %s %s %s", errSid, orderSid, rageSid, userSid)
	}

	// 2. Each is indexed with what happened in it.
	api := login(t, m)
	type detail struct {
		Session  playhead.Session
		Batches  []playhead.BatchRef
		Timeline []playhead.TimelineEntry
	}
	details := map[string]*detail{}
	ready := map[string]func(d *detail) bool{
		errSid:   func(d *detail) bool { return d.Session.Errors >= 1 },
		orderSid: func(d *detail) bool { return d.Session.FailedRequests >= 1 },
		rageSid:  func(d *detail) bool { return d.Session.RageClicks >= 1 },
		userSid: func(d *detail) bool {
			return slices.ContainsFunc(d.Timeline, func(e playhead.TimelineEntry) bool { return e.Label == "coupon_applied" })
		},
	}
	deadline := time.Now().Add(30 * time.Second)
	for sid, ok := range ready {
		for {
			d := &detail{}
			getJSON(t, api, base+"/api/v1/sessions/"+sid, d)
			if ok(d) {
				details[sid] = d
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("session %s not indexed with what happened after 30 s: %+v", sid, d.Session)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	// startOf is where the player's clock starts: the session's first event.
	startOf := func(sid string) int64 {
		start := int64(math.MaxInt64)
		for _, b := range details[sid].Batches {
			start = min(start, b.FirstTs)
		}
		return start
	}

	setLoginCookie(t, ctx, m)
	input := chromedp.CSS(`.search-input`)
	rowIDs := `Array.from(document.querySelectorAll('table.sessions tbody tr:not(.why-row)')).map(tr => tr.dataset.id)`
	search := func(query string) {
		t.Helper()
		do(t, ctx, "search "+query,
			navigate(base+"/"),
			chromedp.WaitVisible(input),
			chromedp.SendKeys(input, query),
			chromedp.KeyEvent(kb.Enter), // no suggestion highlighted: it searches
			chromedp.Poll[chromedp.Void](fmt.Sprintf(`new URLSearchParams(location.search).get('q') === %q && document.querySelector('.list-status').textContent === ''`, query),
				chromedp.WithPollingTimeout(10*time.Second)),
		)
	}
	// playerTime waits for the player and returns its clock.
	playerTime := func() float64 {
		t.Helper()
		do(t, ctx, "wait for the player",
			chromedp.Poll[chromedp.Void](`window.__playhead && window.__playhead.ready`, chromedp.WithPollingTimeout(30*time.Second)),
			chromedp.Sleep(200*time.Millisecond))
		return eval[float64](t, ctx, `window.__playhead.currentTime()`)
	}

	// 3. The search box suggests keys, with what each is, from the keyboard.
	do(t, ctx, "type a key's start",
		navigate(base+"/"),
		chromedp.WaitVisible(input),
		chromedp.SendKeys(input, "rag"),
		chromedp.Poll[chromedp.Void](`document.querySelector('.search-input').getAttribute('aria-expanded') === 'true'`, chromedp.WithPollingTimeout(5*time.Second)),
		chromedp.KeyEvent(kb.ArrowDown),
	)
	combo := eval[map[string]string](t, ctx, `(() => { const i = document.querySelector('.search-input'), o = document.getElementById(i.getAttribute('aria-activedescendant'));
		return {role: i.getAttribute('role'), controls: document.getElementById(i.getAttribute('aria-controls')).getAttribute('role'),
			option: o ? o.getAttribute('role') + ' ' + o.getAttribute('aria-selected') + ' ' + o.textContent : ''}; })()`)
	if combo["role"] != "combobox" || combo["controls"] != "listbox" || !strings.HasPrefix(combo["option"], "option true rage:") || !strings.Contains(combo["option"], "rage clicks") {
		t.Errorf("search box after typing 'rag' and ↓: %v, want a combobox whose listbox's highlighted option is rage: with its description", combo)
	}
	do(t, ctx, "take the key, then its first value",
		chromedp.KeyEvent(kb.Enter),
		chromedp.Poll[chromedp.Void](`document.querySelector('.search-input').value === 'rage:' && document.querySelector('#search-suggestions li')`, chromedp.WithPollingTimeout(5*time.Second)),
		chromedp.KeyEvent(kb.ArrowDown),
		chromedp.KeyEvent(kb.Enter),
	)
	if got := eval[string](t, ctx, `document.querySelector('.search-input').value`); got != "rage:>0 " {
		t.Errorf("search box after taking two suggestions = %q, want %q", got, "rage:>0 ")
	}
	do(t, ctx, "run it", chromedp.KeyEvent(kb.Enter),
		chromedp.Poll[chromedp.Void](`document.querySelector('.why-row')`, chromedp.WithPollingTimeout(10*time.Second)))
	if got := eval[[]string](t, ctx, rowIDs); !slices.Equal(got, []string{rageSid}) {
		t.Errorf("rage:>0 lists %v, want the rage clicks' session %s alone", got, rageSid)
	}

	// Values are the project's own: the failed order's request.
	do(t, ctx, "type a key and part of a value",
		navigate(base+"/"),
		chromedp.WaitVisible(input),
		chromedp.SendKeys(input, "request:check"),
		chromedp.Poll[chromedp.Void](`Array.from(document.querySelectorAll('#search-suggestions li')).some(li => li.textContent.includes('POST http') && li.textContent.includes('/demo/api/checkout'))`,
			chromedp.WithPollingTimeout(5*time.Second)),
	)

	// 4. Each search finds its visit alone, shows why, and opens the
	// player at the moment it matched.
	for _, tt := range []struct {
		query, sid, why string
	}{
		{`error:"Cannot read properties"`, errSid, "Cannot read properties of undefined"},
		{`request.status:>=500`, orderSid, "POST /demo/api/checkout 500"},
		{`input:email -input:ada`, orderSid, "typed into 'Email'"},
		{`rage:>0`, rageSid, "rage click"},
		{`user:e2e-user-42 event:coupon_applied`, userSid, "event coupon_applied"},
	} {
		search(tt.query)
		if got := eval[[]string](t, ctx, rowIDs); !slices.Equal(got, []string{tt.sid}) {
			t.Errorf("%s lists %v, want %s alone", tt.query, got, tt.sid)
			continue
		}
		why := eval[string](t, ctx, `document.querySelector('.why-row').textContent`)
		if !strings.Contains(why, tt.why) {
			t.Errorf("%s: the result says %q, want it to name %q", tt.query, why, tt.why)
		}
		at := eval[int64](t, ctx, `Number(document.querySelector('.why-row a.moment').dataset.ts)`)
		var matched bool
		for _, e := range details[tt.sid].Timeline {
			matched = matched || e.Ts == at && e.Kind != playhead.KindNavigation
		}
		if !matched {
			t.Errorf("%s: the first moment shown (%d) is no moment of the session's timeline", tt.query, at)
		}
		do(t, ctx, "open the result", click(`table.sessions tbody tr[data-id="`+tt.sid+`"]`))
		want := float64(at - startOf(tt.sid))
		if got := playerTime(); math.Abs(got-want) > 50 {
			t.Errorf("%s: the player opened at %.0f ms, want the match at %.0f ms", tt.query, got, want)
		}
		u, _ := url.Parse(eval[string](t, ctx, `location.href`))
		if u.Query().Get("q") != tt.query {
			t.Errorf("%s: the player's URL %s does not carry the search", tt.query, u)
		}
		if got := eval[string](t, ctx, `document.querySelector('.match-status').textContent`); !strings.HasPrefix(got, "Match 1 of ") || !strings.Contains(got, tt.why) {
			t.Errorf("%s: the player says %q, want the first match named", tt.query, got)
		}
	}

	// 5. The player steps through a search's matches: the failed order's
	// request, then the console error the shop logged about it.
	const requests = `request.method:POST OR console.level:error`
	var list struct{ Matches []struct{ Ts int64 } }
	getJSON(t, api, base+"/api/v1/sessions/"+orderSid+"/matches?q="+url.QueryEscape(requests), &list)
	if len(list.Matches) < 2 {
		t.Fatalf("%s matches %d moments of the order's session, want the order and the error it logged", requests, len(list.Matches))
	}
	do(t, ctx, "open the order's session from the search", navigate(base+"/sessions/"+orderSid+"?q="+url.QueryEscape(requests)))
	start := startOf(orderSid)
	at := func(i int) float64 { return float64(list.Matches[i].Ts - start) }
	if got := playerTime(); math.Abs(got-at(0)) > 50 {
		t.Errorf("a player link with a search opened at %.0f ms, want its first match at %.0f ms", got, at(0))
	}
	if got := eval[string](t, ctx, `document.querySelector('.legend-item[data-kind=match]').textContent`); !strings.Contains(got, fmt.Sprint(len(list.Matches))) {
		t.Errorf("the timeline's legend says %q, want %d search matches marked", got, len(list.Matches))
	}
	do(t, ctx, "next match (N)", chromedp.KeyEvent("n"), chromedp.Sleep(500*time.Millisecond))
	if got := playerTime(); math.Abs(got-at(1)) > 50 {
		t.Errorf("after N the player is at %.0f ms, want the second match at %.0f ms", got, at(1))
	}
	do(t, ctx, "previous match (button)", click(`button[aria-label="Previous search match"]`), chromedp.Sleep(500*time.Millisecond))
	if got := playerTime(); math.Abs(got-at(0)) > 50 {
		t.Errorf("after the previous-match button the player is at %.0f ms, want the first match at %.0f ms", got, at(0))
	}

	// 6. A search that does not parse says where; a saved search is a link.
	search(`errors:>0 urll:x`)
	do(t, ctx, "wait for the message", chromedp.Poll[chromedp.Void](`!document.getElementById('search-error').hidden`, chromedp.WithPollingTimeout(10*time.Second)))
	if got := eval[string](t, ctx, `document.getElementById('search-error').textContent`); !strings.Contains(got, `position 11: unknown key "urll"`) {
		t.Errorf("a bad search says %q, want the position and the token", got)
	}
	search(`rage:>0`)
	do(t, ctx, "save the search",
		click(`.saved-actions button`),
		chromedp.WaitVisible(chromedp.CSS(`.saved-name`)),
		chromedp.SendKeys(chromedp.CSS(`.saved-name`), "Angry visitors"),
		chromedp.KeyEvent(kb.Enter),
		chromedp.Poll[chromedp.Void](`Array.from(document.querySelectorAll('.saved-link')).some(a => a.textContent === 'Angry visitors')`, chromedp.WithPollingTimeout(5*time.Second)),
	)
	link := eval[string](t, ctx, `Array.from(document.querySelectorAll('.saved-link')).find(a => a.textContent === 'Angry visitors').href`)
	do(t, ctx, "open the saved search's link",
		navigate("about:blank"),
		navigate(link),
		chromedp.Poll[chromedp.Void](`document.querySelector('.why-row')`, chromedp.WithPollingTimeout(10*time.Second)),
	)
	if got, rows := eval[string](t, ctx, `document.querySelector('.search-input').value`), eval[[]string](t, ctx, rowIDs); got != "rage:>0" || !slices.Equal(rows, []string{rageSid}) {
		t.Errorf("the saved search's link %s shows the search %q and %v, want rage:>0 and %s", link, got, rows, rageSid)
	}
}
