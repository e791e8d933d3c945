package e2e_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/playhead/playhead/app"
	"github.com/playhead/playhead/reproduce"
)

// serveStepsApp serves one of the reproduction steps apps of e2e/fixtures
// (src/steps/): its pages with the Playhead SDK pointed at m, files by
// path, and every other path answered by fallback.
func serveStepsApp(t *testing.T, m *app.Main, pages map[string]string, files map[string]string, fallback http.HandlerFunc) *httptest.Server {
	t.Helper()
	types := map[string]string{".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
	read := func(name string) []byte {
		data, err := os.ReadFile("fixtures/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if name, ok := pages[r.URL.Path]; ok {
			page := strings.NewReplacer("{{PLAYHEAD}}", m.URL(), "{{KEY}}", m.Project.IngestKey).Replace(string(read(name)))
			w.Header().Set("Content-Type", types[".html"])
			w.Write([]byte(page))
			return
		}
		if name, ok := files[r.URL.Path]; ok {
			w.Header().Set("Content-Type", types[name[strings.LastIndexByte(name, '.'):]])
			w.Write(read(name))
			return
		}
		fallback(w, r)
	}))
	t.Cleanup(site.Close)
	return site
}

// sessionSteps polls a session's steps until they are want (the session's
// last batches may still be on their way), and fails with the difference
// after 20 s.
func sessionSteps(t *testing.T, c *http.Client, base, sessionID string, want []string) *reproduce.Steps {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var st reproduce.Steps
		getJSON(t, c, base+"/api/v1/sessions/"+sessionID+"/steps", &st)
		var got []string
		for _, s := range st.Steps {
			got = append(got, s.Text)
		}
		if strings.Join(got, "\n") == strings.Join(want, "\n") {
			return &st
		}
		if time.Now().After(deadline) {
			if dir := os.Getenv("PLAYHEAD_KEEP_EVENTS"); dir != "" {
				resp, err := c.Get(base + "/api/v1/sessions/" + sessionID + "/events")
				if err == nil {
					data, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					os.WriteFile(filepath.Join(dir, sessionID+".json"), data, 0o644)
				}
			}
			t.Fatalf("steps of session %s:\n%s", sessionID, stepsDiff(want, got))
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// stepsDiff lists two step lists side by side, marking where they differ.
func stepsDiff(want, got []string) string {
	var b strings.Builder
	for i := 0; i < max(len(want), len(got)); i++ {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		mark := "  "
		if w != g {
			mark = "≠ "
		}
		fmt.Fprintf(&b, "%s%2d. got  %q\n      want %q\n", mark, i+1, g, w)
	}
	return b.String()
}

// TestReproductionSteps records a visit to each fixture app in Chromium and
// checks the steps Playhead derives from it, element names included.
func TestReproductionSteps(t *testing.T) {
	t.Run("react single-page app", func(t *testing.T) {
		ctx := newBrowser(t)
		m := startPlayhead(t)
		// spa serves the app; its booking API answers with status (0: there is none)
		spa := func(status int) *httptest.Server {
			return serveStepsApp(t, m, nil, map[string]string{"/spa.js": "dist/spa.js"}, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/api/bookings" && status != 0 {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(status)
					w.Write([]byte(map[int]string{409: `{"error":"the trail is full"}`, 201: `{"booking":"b-1"}`}[status]))
					return
				}
				if strings.HasPrefix(r.URL.Path, "/api/") {
					http.NotFound(w, r)
					return
				}
				// every other path is a route of the app
				page, _ := os.ReadFile("fixtures/src/steps/spa.html")
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.Write([]byte(strings.NewReplacer("{{PLAYHEAD}}", m.URL(), "{{KEY}}", m.Project.IngestKey).Replace(string(page))))
			})
		}
		site := spa(http.StatusConflict)
		do(t, ctx, "visit the app",
			navigate(site.URL+"/"),
			chromedp.WaitVisible(chromedp.CSS(`input[type=search]`)),
			chromedp.Sleep(300*time.Millisecond),
			chromedp.SendKeys(chromedp.CSS(`input[type=search]`), "falls"),
			chromedp.Click(chromedp.CSS(`a[href="/trails/falls"]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=book-trail]`)),
			chromedp.Click(chromedp.CSS(`[data-testid=book-trail]`)),
			chromedp.WaitVisible(chromedp.CSS(`#guide`)),
			chromedp.Click(chromedp.CSS(`button[title="Switch theme"]`)),
			chromedp.Click(chromedp.CSS(`span.icon`)),
			chromedp.SendKeys(chromedp.CSS(`input[type=number]`), "3"),
			chromedp.SendKeys(chromedp.CSS(`input[type=email]`), "ana@example.org"),
			chromedp.Focus(chromedp.CSS(`#guide`)),
			chromedp.SetValue(chromedp.CSS(`#guide`), "ana"),
			chromedp.Click(chromedp.CSS(`input[name=terms]`)),
			chromedp.Click(chromedp.CSS(`button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`[role=status]:not(:empty)`)),
			chromedp.Sleep(500*time.Millisecond),
			chromedp.Click(chromedp.CSS(`img[alt="Trailhead home"]`)),
			chromedp.WaitVisible(chromedp.CSS(`input[type=search]`)),
		)
		id := eval[string](t, ctx, `Playhead.getSessionId()`)
		do(t, ctx, "leave", navigate("about:blank"))
		api := login(t, m)
		st := sessionSteps(t, api, m.URL(), id, []string{
			"Open /",
			"Type 'falls' into 'Search trails'",
			"Click the link 'Falls Walk'",
			"Land on /trails/falls",
			"Click the button 'Book a guide'",
			"Land on /book/falls",
			"Click the button 'Switch theme'",
			"Click the element #root > header > span",
			"Type into 'Party size' (masked in the recording)",
			"Type into 'Email' (masked in the recording)",
			"Select an option in 'Guide' (masked in the recording)",
			"Check the checkbox 'I accept the terms'",
			"Click the button 'Confirm booking'",
			"POST /api/bookings answered 409",
			"Console error: Booking failed with status 409",
			"Unhandled promise rejection: Error: Booking refused: 409",
			"Click the link 'Trailhead home'",
			"Land on /",
		})
		want := map[int]reproduce.Target{
			1:  {Role: "searchbox", Name: "Search trails"},
			4:  {TestID: "book-trail", Role: "button", Name: "Book a guide"},
			8:  {Role: "spinbutton", Name: "Party size"},
			9:  {Role: "textbox", Name: "Email"},
			10: {Role: "combobox", Name: "Guide"},
		}
		for i, w := range want {
			g := st.Steps[i].Target
			if g == nil || g.Role != w.Role || g.Name != w.Name || g.TestID != w.TestID {
				t.Errorf("step %d (%s): target %+v, want %+v", i+1, st.Steps[i].Text, g, w)
			}
		}
		if k := st.Steps[9].InputKind; k != "email" {
			t.Errorf("the email field's kind is %q, want email", k)
		}

		// The exported test finds every element in the live app, and fails
		// on the refused booking; it passes once bookings go through; and
		// with FROM_RECORDING it answers the booking from the recording, so
		// it fails the same way with no API at all.
		needPlaywright(t)
		spec := exportPlaywright(t, api, m.URL(), id)
		for _, run := range []struct {
			name   string
			site   *httptest.Server
			env    []string
			passes bool
		}{
			{"the app as recorded", site, nil, false},
			{"bookings fixed", spa(http.StatusCreated), nil, true},
			{"no API, answered from the recording", spa(0), []string{"FROM_RECORDING=1"}, false},
		} {
			out, passed := runPlaywright(t, spec, run.site.URL, run.env...)
			if passed != run.passes {
				t.Errorf("%s: the exported test passed = %v, want %v:\n%s", run.name, passed, run.passes, out)
				continue
			}
			if !run.passes {
				for _, want := range []string{"POST /api/bookings answered 409", "Error: Booking refused: 409", "Booking failed with status 409"} {
					if !strings.Contains(out, want) {
						t.Errorf("%s: playwright's output lacks %q:\n%s", run.name, want, out)
					}
				}
			}
		}
	})

	t.Run("plain multi-page form", func(t *testing.T) {
		ctx := newBrowser(t)
		m := startPlayhead(t)
		site := serveStepsApp(t, m, map[string]string{
			"/":             "src/steps/form/index.html",
			"/address.html": "src/steps/form/address.html",
			"/done.html":    "src/steps/form/done.html",
		}, map[string]string{"/form.css": "src/steps/form/form.css"}, http.NotFound)
		do(t, ctx, "fill in the form",
			navigate(site.URL+"/"),
			chromedp.WaitVisible(chromedp.CSS(`#first`)),
			chromedp.Sleep(300*time.Millisecond),
			chromedp.SendKeys(chromedp.CSS(`#first`), "Ada"),
			chromedp.SendKeys(chromedp.CSS(`#email`), "ada@example.org"),
			chromedp.Focus(chromedp.CSS(`#branch`)),
			chromedp.SetValue(chromedp.CSS(`#branch`), "north"),
			chromedp.Click(chromedp.CSS(`input[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`#address`)),
			chromedp.Sleep(300*time.Millisecond),
			chromedp.SendKeys(chromedp.CSS(`#address`), "1 Harbour Road"),
			chromedp.Click(chromedp.CSS(`label[for=child]`)),
			chromedp.Click(chromedp.CSS(`#news`)),
			chromedp.Click(chromedp.CSS(`button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`#card-status`)),
			chromedp.Poll[chromedp.Void](`document.getElementById('card-status').textContent.startsWith('We could not')`),
			chromedp.Sleep(700*time.Millisecond),
		)
		id := eval[string](t, ctx, `Playhead.getSessionId()`)
		do(t, ctx, "leave", navigate("about:blank"))
		st := sessionSteps(t, login(t, m), m.URL(), id, []string{
			"Open /",
			"Type into 'First name' (masked in the recording)",
			"Type into 'Email' (masked in the recording)",
			"Select an option in 'Branch' (masked in the recording)",
			"Click the button 'Next'",
			"Land on /address.html",
			"Type into 'Street address' (masked in the recording)",
			"Check the radio button 'Child'",
			"Check the checkbox 'Send me the newsletter'",
			"Click the button 'Submit application'",
			"Land on /done.html",
			"GET /api/card-status answered 404",
		})
		if k := st.Steps[1].InputKind; k != "given-name" {
			t.Errorf("the first name field's kind is %q, want given-name", k)
		}
		var md strings.Builder
		json.NewEncoder(&md).Encode(st)
		if strings.Contains(md.String(), "Harbour Road") || strings.Contains(md.String(), "ada@example.org") {
			t.Errorf("the steps hold a value the user typed: %s", md.String())
		}
	})
}
