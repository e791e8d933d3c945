package e2e_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/playhead/playhead/app"
)

// signInUI signs in through the dashboard's own form.
func signInUI(t *testing.T, ctx context.Context, m *app.Main, username, password string) {
	t.Helper()
	if _, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "sign in as "+username,
		navigate(m.URL()+"/login"),
		chromedp.WaitVisible(`input[name=username]`),
		chromedp.SendKeys(`input[name=username]`, username),
		chromedp.SendKeys(`input[name=password]`, password),
		chromedp.Click(`button[type=submit]`),
		chromedp.WaitVisible(`.topbar`),
	)
}

// apiStatus makes an API call from the page, as its own scripts would, and
// returns the status.
func apiStatus(t *testing.T, ctx context.Context, method, path, body string) int {
	t.Helper()
	js := fmt.Sprintf(`fetch(%q, {method: %q, credentials: "same-origin", headers: {"Content-Type": "application/json"}%s}).then(r => r.status)`,
		path, method, map[bool]string{true: ", body: " + fmt.Sprintf("%q", body), false: ""}[body != ""])
	return evalAwait[int](t, ctx, js)
}

// TestViewerWatchesAReplayAndTheOwnerSeesIt: the owner invites a viewer by
// link from the Members page; the viewer accepts it, signs in, finds the
// session and watches its replay; the dashboard offers them no settings,
// members, tokens, audit log or erasure, and the server refuses those if
// asked anyway. The owner then finds the viewing (who, which session, from
// where) in the audit log page, filters it and exports it.
func TestViewerWatchesAReplayAndTheOwnerSeesIt(t *testing.T) {
	m := startPlayhead(t)
	now := time.Now().UnixMilli() - 60_000
	const sid = "viewedsession001"
	postBatch(t, m, sid, 0, keyframe(now), boxText(now+1000, "second"))

	// The owner invites a viewer.
	owner := newBrowser(t)
	signInUI(t, owner, m, "admin", adminPassword)
	do(t, owner, "create an invitation",
		navigate(m.URL()+"/members"),
		chromedp.WaitVisible(`.invite-form button`),
		chromedp.SetValue(`.invite-form select[name=invite-role]`, "viewer"),
		chromedp.Click(`.invite-form button`),
		chromedp.WaitVisible(`.invite-link`),
	)
	link := eval[string](t, owner, `document.querySelector(".invite-link").textContent`)

	// The viewer accepts it, and later signs in with the password chosen.
	ctx := newBrowser(t)
	errs := watchConsole(t, ctx)
	defer func() {
		if t.Failed() {
			t.Logf("console: %q; at %s", errs.take(), eval[string](t, ctx, `location.href + ' ' + document.body.innerText.slice(0, 300)`))
		}
	}()
	const viewerPassword = "a viewer's long passphrase"
	do(t, ctx, "accept the invitation",
		navigate(link),
		chromedp.WaitVisible(`input[name=password]`),
		chromedp.SetValue(`input[name=username]`, "vera"),
		chromedp.SetValue(`input[name=password]`, viewerPassword),
		chromedp.SetValue(`input[name=confirm-password]`, viewerPassword),
		chromedp.Click(`button[type=submit]`),
	)
	waitAcrossPages(t, ctx, `document.querySelector(".topbar .user")?.textContent === "vera"`)
	signInUI(t, ctx, m, "vera", viewerPassword)
	do(t, ctx, "the sessions list", chromedp.WaitVisible(`tr[data-id]`))
	nav := eval[string](t, ctx, `document.querySelector('.topnav').textContent`)
	for _, hidden := range []string{"Settings", "Members", "API tokens", "Audit log", "Webhooks"} {
		if strings.Contains(nav, hidden) {
			t.Errorf("a viewer's navigation offers %s: %q", hidden, nav)
		}
	}
	href := eval[string](t, ctx, `document.querySelector('tr[data-id="`+sid+`"] a').href`)
	if !strings.Contains(href, "/sessions/"+sid+"?project=") {
		t.Errorf("the sessions list links to %s, want the session in its project", href)
	}
	do(t, ctx, "open the replay",
		navigate(href),
		chromedp.Poll[chromedp.Void](`window.__playhead && window.__playhead.ready`, chromedp.WithPollingTimeout(20*time.Second)),
		chromedp.Poll[chromedp.Void](`(`+frameDoc+`.getElementById('box') || {}).textContent`, chromedp.WithPollingTimeout(10*time.Second)),
	)
	if n := eval[int](t, ctx, `[...document.querySelectorAll('button')].filter(b => /erase/i.test(b.textContent)).length`); n != 0 {
		t.Errorf("the player offers a viewer %d erase button(s)", n)
	}

	// Settings are closed to a viewer, in the dashboard and at the server.
	do(t, ctx, "open settings",
		navigate(m.URL()+"/settings"),
		chromedp.WaitVisible(`.message-page`),
	)
	if msg := eval[string](t, ctx, `document.querySelector('.message-page').textContent`); !strings.Contains(msg, "needs the developer role") {
		t.Errorf("a viewer opening /settings sees %q", msg)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('.settings-form').length`); n != 0 {
		t.Errorf("a viewer sees the settings form")
	}
	for _, c := range []struct{ method, path, body string }{
		{"PATCH", "/api/v1/project", `{"retentionDays":1}`},
		{"DELETE", "/api/v1/sessions/" + sid, ""},
		{"POST", "/api/v1/erase", `{"userId":"u1"}`},
		{"GET", "/api/v1/audit", ""},
		{"POST", "/api/v1/tokens", `{"name":"mine","scopes":["sessions:read"]}`},
	} {
		if got := apiStatus(t, ctx, c.method, c.path, c.body); got != http.StatusForbidden {
			t.Errorf("%s %s as a viewer: %d, want 403", c.method, c.path, got)
		}
	}
	if _, err := m.DB.Session(t.Context(), m.Project.ID, sid); err != nil {
		t.Fatalf("the session is gone after the viewer's refused erasure: %v", err)
	}

	// The owner sees the viewing in the audit log.
	ctx = owner
	do(t, ctx, "open the audit log",
		navigate(m.URL()+"/audit"),
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('table.audit tbody tr')].some(r => r.textContent.includes('replay.view'))`, chromedp.WithPollingTimeout(10*time.Second)),
	)
	row := eval[string](t, ctx, `[...document.querySelectorAll('table.audit tbody tr')].find(r => r.textContent.includes('replay.view')).textContent`)
	if !strings.Contains(row, "vera") || !strings.Contains(row, sid) || !strings.Contains(row, "127.0.0.0") {
		t.Errorf("the audit log's viewing row is %q, want vera, the session and the anonymised address", row)
	}
	do(t, ctx, "filter by the viewer",
		chromedp.SendKeys(`.audit-filter input[name=actor]`, "vera"),
		chromedp.Click(`.audit-filter button[type=submit]`),
		chromedp.Sleep(500*time.Millisecond),
	)
	actors := eval[[]string](t, ctx, `[...document.querySelectorAll('table.audit tbody tr td:nth-child(2)')].map(td => td.textContent)`)
	if len(actors) == 0 {
		t.Errorf("filtering by vera shows nothing")
	}
	for _, a := range actors {
		if a != "vera" {
			t.Errorf("filtering by vera shows an entry of %q", a)
		}
	}

	// The export link downloads what the filter selects, as CSV.
	href = eval[string](t, ctx, `[...document.querySelectorAll('.audit-filter a')].find(a => a.textContent.includes('CSV')).href`)
	csv := fetchWithCookies(t, ctx, m, href)
	if !strings.HasPrefix(csv, "id,at,actor") || !strings.Contains(csv, "replay.view") || !strings.Contains(csv, sid) || strings.Contains(csv, ",admin,") {
		t.Errorf("the CSV export is %q", csv)
	}
}

// fetchWithCookies gets url with the tab's cookies, as a download would.
func fetchWithCookies(t *testing.T, ctx context.Context, m *app.Main, url string) string {
	t.Helper()
	cookies, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{m.URL()}})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", url, nil)
	for _, c := range cookies.Cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	return string(body)
}

// TestProjectSettingsReachTheSDK: a sample rate of 0 set in the dashboard
// stops the SDK recording new sessions from the next page load on: the
// demo shop records a session, learns the setting, and a new tab (a new
// session) records nothing.
func TestProjectSettingsReachTheSDK(t *testing.T) {
	ctx := newBrowser(t)
	m := startPlayhead(t)
	c := login(t, m)
	req, _ := http.NewRequest("PATCH", m.URL()+"/api/v1/project", strings.NewReader(`{"settings":{"sampleRate":0}}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("set the sample rate: %d", resp.StatusCode)
	}

	// A first page load knows no setting yet: it records, and asks.
	do(t, ctx, "open the demo shop",
		navigate(m.URL()+"/demo/"),
		chromedp.Poll[chromedp.Void](`window.Playhead && Playhead.getSessionId()`, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Poll[chromedp.Void](`localStorage.getItem('playhead.config.`+m.Project.IngestKey+`')`, chromedp.WithPollingTimeout(10*time.Second)),
	)
	// A new tab starts a new session, with the setting.
	tab, cancel := chromedp.NewContext(ctx)
	defer cancel()
	do(t, tab, "open the demo shop in a new tab",
		navigate(m.URL()+"/demo/"),
		chromedp.Poll[chromedp.Void](`window.Playhead`, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Sleep(time.Second),
	)
	if sid := eval[string](t, tab, `Playhead.getSessionId() || ''`); sid != "" {
		t.Errorf("the new tab records session %s, with a sample rate of 0", sid)
	}
}

// TestProjectPagesWork: the owner uses each project page as a person
// would: saves settings, rotates the ingest key, creates an API token
// (its secret shown once) and revokes it, lists the members; the pages log
// no error, and the project's audit log page lists every change.
func TestProjectPagesWork(t *testing.T) {
	m := startPlayhead(t)
	ctx := newBrowser(t)
	errs := watchConsole(t, ctx)
	signInUI(t, ctx, m, "admin", adminPassword)
	errs.take() // the login page's own check of the login, before there was one

	do(t, ctx, "save settings",
		navigate(m.URL()+"/settings"),
		chromedp.WaitVisible(`#settings-form`),
		chromedp.SetValue(`#settings-form input[name=rageClicks]`, "5"),
		chromedp.SetValue(`#settings-form select[name=clientIp]`, "none"),
		chromedp.Click(`#settings-form button[type=submit]`),
	)
	waitAcrossPages(t, ctx, `document.querySelector('#settings-form .form-ok')?.textContent === 'Saved.'`)
	p, err := m.DB.Project(t.Context(), m.Project.ID)
	if err != nil || p.Settings.RageClicks != 5 || p.Settings.ClientIP != "none" {
		t.Errorf("settings after saving = %+v, %v", p.Settings, err)
	}

	do(t, ctx, "rotate the key", chromedp.Click(`//button[text()="Rotate key"]`))
	waitAcrossPages(t, ctx, `document.body.innerText.includes('is still accepted until')`)
	if p2, _ := m.DB.Project(t.Context(), m.Project.ID); p2.IngestKey == m.Project.IngestKey || p2.PreviousIngestKey != m.Project.IngestKey {
		t.Errorf("after rotation the key is %s, the previous %s", p2.IngestKey, p2.PreviousIngestKey)
	}

	do(t, ctx, "create a token",
		navigate(m.URL()+"/tokens"),
		chromedp.WaitVisible(`.token-form`),
		chromedp.SendKeys(`.token-form input[name=name]`, "backend"),
		chromedp.Click(`.token-form input[value=otlp]`),
		chromedp.Click(`.token-form button[type=submit]`),
		chromedp.WaitVisible(`.token-secret`),
	)
	secret := eval[string](t, ctx, `document.querySelector('.token-secret').textContent`)
	if !strings.HasPrefix(secret, "pht_") {
		t.Fatalf("the token's secret shows as %q", secret)
	}
	waitAcrossPages(t, ctx, `document.querySelectorAll('table.tokens tbody tr').length >= 1`)
	eval[bool](t, ctx, `window.confirm = () => true, [...document.querySelectorAll('table.tokens tbody tr')].find(tr => tr.cells[0].textContent === 'backend').querySelector('button').click(), true`)
	waitAcrossPages(t, ctx, `![...document.querySelectorAll('table.tokens tbody tr')].some(tr => tr.cells[0].textContent === 'backend')`)

	do(t, ctx, "open members",
		navigate(m.URL()+"/members"),
		chromedp.WaitVisible(`table.members tbody tr`),
	)
	if got := eval[string](t, ctx, `document.querySelector('table.members tbody').textContent`); !strings.Contains(got, "admin") || !strings.Contains(got, "owner") {
		t.Errorf("members list %q, want the owner", got)
	}

	do(t, ctx, "open the audit log", navigate(m.URL()+"/audit"), chromedp.WaitVisible(`table.audit tbody tr`))
	actions := eval[string](t, ctx, `document.querySelector('table.audit tbody').textContent`)
	for _, a := range []string{"settings.change", "ingest_key.rotate", "token.create", "token.revoke"} {
		if !strings.Contains(actions, a) {
			t.Errorf("the audit log lacks %s: %.400s", a, actions)
		}
	}
	if e := errs.take(); len(e) > 0 {
		t.Errorf("the pages logged errors: %q", e)
	}
}
