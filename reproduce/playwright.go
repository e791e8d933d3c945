package reproduce

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode"
)

// Response is a response the recording kept the body of (network capture
// allow-lists its URL), which an exported test can answer its request with.
type Response struct {
	Method      string `json:"method"`
	URL         string `json:"url"`
	Status      int    `json:"status"`
	ContentType string `json:"contentType,omitempty"`
	Body        string `json:"body"`
}

// placeholders are realistic values for fields whose input the recording
// masked, by the kind of field (see inputKind).
var placeholders = map[string]string{
	"email": "ada@example.com", "tel": "+1 555 0100", "password": "Correct-Horse-42", "number": "1",
	"url": "https://example.com", "date": "2026-01-15", "time": "09:30", "datetime-local": "2026-01-15T09:30",
	"month": "2026-01", "week": "2026-W03", "search": "coffee", "color": "#336699", "range": "50",
	"card": "4242 4242 4242 4242", "card-expiry": "12/34", "card-cvc": "123", "postal-code": "94107",
	"given-name": "Ada", "family-name": "Lovelace", "name": "Ada Lovelace", "address": "1 Example Street",
	"city": "Springfield", "country": "United States", "username": "ada", "text": "Sample text",
}

// Placeholder returns the value an export fills a masked field of a kind
// with.
func Placeholder(kind string) string {
	if v, ok := placeholders[kind]; ok {
		return v
	}
	return placeholders["text"]
}

// Playwright returns the steps as a TypeScript test for @playwright/test:
// it repeats what the user did with role, label, text and test id
// locators, and asserts that what went wrong then (failed requests,
// uncaught errors, console errors) does not go wrong again, so it fails
// while the bug is there and passes once it is fixed. replayURL, when set,
// is named in its header.
func (st *Steps) Playwright(replayURL string) []byte {
	g := &generator{st: st}
	return g.file(replayURL)
}

type generator struct {
	st  *Steps
	b   strings.Builder
	ind string
	n   int // responses awaited so far, for variable names
}

func (g *generator) line(format string, args ...any) {
	g.b.WriteString(g.ind)
	fmt.Fprintf(&g.b, format, args...)
	g.b.WriteByte('\n')
}

// trigger returns, for each problem step, the index of the step that caused
// it: the last thing the user did before it began (-1: before any step).
func (g *generator) triggers() map[int][]int {
	out := map[int][]int{}
	last := -1
	for i, s := range g.st.Steps {
		if actionKind(&s) {
			last = i
			continue
		}
		if !s.IsProblem() {
			continue
		}
		t := last
		if s.Kind == KindRequest && s.start > 0 {
			// the last action before the request began
			for t >= 0 && g.st.Steps[t].Ts > s.start {
				t = previousActionIndex(g.st.Steps, t)
			}
		}
		out[t] = append(out[t], i)
	}
	return out
}

func actionKind(s *Step) bool {
	switch s.Kind {
	case KindOpen, KindClick, KindFill, KindSelect, KindCheck, KindUncheck, KindScroll:
		return true
	case KindNavigate:
		return s.Cause == "back"
	}
	return false
}

func previousActionIndex(steps []Step, i int) int {
	for i--; i >= 0; i-- {
		if actionKind(&steps[i]) {
			return i
		}
	}
	return -1
}

func (g *generator) file(replayURL string) []byte {
	st := g.st
	var problems []string
	for _, s := range st.Steps {
		if s.IsProblem() {
			problems = append(problems, s.Text)
		}
	}
	g.line("// Reproduces Playhead session %s, recorded on %s.", commentSafe(st.SessionID), commentSafe(st.BaseURL))
	if replayURL != "" {
		g.line("// Replay: %s", commentSafe(replayURL))
	}
	g.line("//")
	if len(problems) > 0 {
		g.line("// It repeats what the user did and fails while what went wrong then still")
		g.line("// goes wrong:")
		for _, p := range problems {
			g.line("//   - %s", commentSafe(p))
		}
	} else {
		g.line("// It repeats what the user did; nothing went wrong in the recorded visit.")
	}
	g.line("//")
	g.line("//   BASE_URL=https://staging.example.com npx playwright test")
	g.line("//")
	g.line("// BASE_URL is the site to test (by default, where the session was recorded).")
	g.line("// Fields the recording masked are filled with placeholder values of their kind.")
	if len(st.Responses) > 0 {
		g.line("// FROM_RECORDING=1 answers the requests whose responses the recording kept")
		g.line("// from the recording (page.route), so the test runs without the backend.")
	}
	g.line("import { test, expect, type Page, type Request } from '@playwright/test';")
	g.line("")
	g.line("test.use({")
	g.line("  baseURL: process.env.BASE_URL || %s,", js(st.BaseURL))
	if st.Viewport != nil {
		g.line("  viewport: { width: %d, height: %d },", st.Viewport.Width, st.Viewport.Height)
	}
	g.line("});")
	g.line("")
	if len(st.Responses) > 0 {
		g.recordedResponses()
	}
	title := "reproduces session " + st.SessionID
	if len(problems) > 0 {
		title += ": " + problems[0]
	}
	g.line("test(%s, async ({ page }) => {", js(truncate(title, 160)))
	g.ind = "  "
	g.line("const pageErrors: string[] = [];")
	g.line("page.on('pageerror', (error) => pageErrors.push(`${error.name}: ${error.message}`));")
	g.line("const consoleErrors: string[] = [];")
	g.line("page.on('console', (message) => {")
	g.line("  if (message.type() === 'error') consoleErrors.push(message.text());")
	g.line("});")
	if len(st.Responses) > 0 {
		g.line("if (process.env.FROM_RECORDING) await answerFromRecording(page);")
	}
	triggers := g.triggers()
	g.problemsAfter(-1, triggers, nil)
	for i := range st.Steps {
		s := &st.Steps[i]
		if !actionKind(s) && s.Kind != KindNavigate && s.Kind != KindReport {
			continue
		}
		g.b.WriteByte('\n')
		g.line("// %d. %s (%s)", i+1, commentSafe(s.Text), clock(s.Ts-st.Start))
		if s.WaitMs > 0 {
			g.line("// The user waited %.1f s here while the page was still changing.", float64(s.WaitMs)/1000)
			g.line("await page.waitForTimeout(%d);", s.WaitMs)
		}
		waits := g.awaitRequests(triggers[i])
		g.step(s)
		g.problemsAfter(i, triggers, waits)
	}
	g.ind = ""
	g.line("});")
	g.helpers(triggers)
	return []byte(g.b.String())
}

// awaitRequests starts waiting, before step i runs, for the requests that
// failed after it in the recording; it returns their variables by step.
func (g *generator) awaitRequests(problems []int) map[int]string {
	waits := map[int]string{}
	for _, p := range problems {
		s := &g.st.Steps[p]
		if s.Kind != KindRequest {
			continue
		}
		g.n++
		v := fmt.Sprintf("response%d", g.n)
		waits[p] = v
		g.line("const %s = nextResponse(page, %s, %s);", v, js(s.Method), js(g.resource(s.URL)))
	}
	return waits
}

// problemsAfter asserts, after step i (or before any, -1), that what went
// wrong after it in the recording does not again.
func (g *generator) problemsAfter(i int, triggers map[int][]int, waits map[int]string) {
	var at int64
	if i >= 0 {
		at = g.st.Steps[i].Ts
	} else {
		at = g.st.From
	}
	for _, p := range triggers[i] {
		s := &g.st.Steps[p]
		g.line("// %d. What went wrong: %s (%s)", p+1, commentSafe(s.Text), clock(s.Ts-g.st.Start))
		switch s.Kind {
		case KindRequest:
			v, ok := waits[p]
			if !ok {
				// a request made before the first step: its answer is checked when the page is open
				g.n++
				v = fmt.Sprintf("response%d", g.n)
				g.line("const %s = nextResponse(page, %s, %s);", v, js(s.Method), js(g.resource(s.URL)))
			}
			what := js(fmt.Sprintf("in the recorded visit, %s", s.Text))
			if s.Status == 0 {
				g.line("expect.soft(await %s, %s).not.toBe(0);", v, what)
			} else {
				g.line("expect.soft(await %s, %s).toBeLessThan(400);", v, what)
			}
		case KindError, KindConsoleError:
			list, verb := "pageErrors", "threw"
			if s.Kind == KindConsoleError {
				list, verb = "consoleErrors", "logged the error"
			}
			wait := min(max(s.Ts-at+500, 500), 5000)
			g.line("await expectNoRepeat(page, %s, %s, %s, %d);", list, messagePattern(s.Message),
				js(fmt.Sprintf("the recorded visit %s %q here", verb, s.Message)), wait)
		}
	}
}

// resource is how a test names a request's URL: its path when on the
// site's origin, so that BASE_URL moves it too, else the whole URL; the
// query is left out (the recording may have masked it).
func (g *generator) resource(u string) string {
	pu, err := url.Parse(u)
	if err != nil {
		return u
	}
	p := pu.EscapedPath()
	if p == "" {
		p = "/"
	}
	if origin(pu) == g.st.BaseURL || origin(pu) == "" {
		return p
	}
	return origin(pu) + p
}

func (g *generator) step(s *Step) {
	switch s.Kind {
	case KindOpen:
		g.line("await page.goto(%s);", js(pathOf(g.st.BaseURL, s.URL)))
	case KindNavigate:
		switch s.Cause {
		case "back":
			g.line("await page.goBack();")
		default:
			g.line("await expect(page).toHaveURL((url) => %s);", g.urlTest(s.URL))
		}
	case KindClick:
		if s.Value == "double" {
			g.line("await %s.dblclick();", locator(s.Target))
		} else {
			g.line("await %s.click();", locator(s.Target))
		}
	case KindFill:
		value := s.Value
		if s.Masked {
			value = Placeholder(s.InputKind)
			g.line("// Masked in the recording: a placeholder %s.", strings.ReplaceAll(s.InputKind, "-", " "))
		}
		g.line("await %s.fill(%s);", locator(s.Target), js(value))
	case KindSelect:
		if s.Masked {
			g.line("// Masked in the recording: one of the options.")
		}
		g.line("await %s.selectOption(%s);", locator(s.Target), js(s.Value))
	case KindCheck:
		g.line("await %s.check();", locator(s.Target))
	case KindUncheck:
		g.line("await %s.uncheck();", locator(s.Target))
	case KindScroll:
		g.line("await page.evaluate((y) => window.scrollTo(0, y), %d);", s.Y)
	case KindReport:
		g.line("// (The user sent this report from the page.)")
	}
}

// urlTest is a JavaScript test of a URL object against a recorded URL: the
// same path (and origin, for another site's page).
func (g *generator) urlTest(u string) string {
	r := g.resource(u)
	if strings.HasPrefix(r, "/") {
		return "url.pathname === " + js(r)
	}
	return "url.origin + url.pathname === " + js(r)
}

// locator returns the Playwright locator of a target, by the first way of
// naming it that is set.
func locator(t *Target) string {
	switch {
	case t.Role != "" && t.Exact:
		return fmt.Sprintf("page.getByRole(%s, { name: %s, exact: true })", js(t.Role), js(t.Name))
	case t.Role != "":
		return fmt.Sprintf("page.getByRole(%s, { name: %s })", js(t.Role), js(t.Name))
	case t.Label != "":
		return fmt.Sprintf("page.getByLabel(%s)", js(t.Label))
	case t.Text != "":
		return fmt.Sprintf("page.getByText(%s)", js(t.Text))
	case t.TestID != "":
		return fmt.Sprintf("page.getByTestId(%s)", js(t.TestID))
	}
	return fmt.Sprintf("page.locator(%s)", js(t.CSS))
}

func (g *generator) recordedResponses() {
	g.line("// Responses the recording kept, by method and URL, in the order they came.")
	g.line("const recorded: Record<string, { status: number; contentType?: string; body: string }[]> = {")
	keys := map[string][]Response{}
	var order []string
	for _, r := range g.st.Responses {
		k := strings.ToUpper(r.Method) + " " + g.resource(r.URL)
		if _, ok := keys[k]; !ok {
			order = append(order, k)
		}
		keys[k] = append(keys[k], r)
	}
	for _, k := range order {
		g.line("  %s: [", js(k))
		for _, r := range keys[k] {
			ct := ""
			if r.ContentType != "" {
				ct = ", contentType: " + js(r.ContentType)
			}
			g.line("    { status: %d%s, body: %s },", r.Status, ct, js(r.Body))
		}
		g.line("  ],")
	}
	g.line("};")
	g.line("")
	g.line("/** Answers the requests the recording kept the responses of, in order, the last one again after. */")
	g.line("async function answerFromRecording(page: Page) {")
	g.line("  const origin = new URL(process.env.BASE_URL || %s).origin;", js(g.st.BaseURL))
	g.line("  await page.route('**/*', async (route) => {")
	g.line("    const u = new URL(route.request().url());")
	g.line("    const key = route.request().method() + ' ' + (u.origin === origin ? u.pathname : u.origin + u.pathname);")
	g.line("    const list = recorded[key];")
	g.line("    if (!list) return route.fallback();")
	g.line("    const r = list.length > 1 ? list.shift()! : list[0];")
	g.line("    await route.fulfill({ status: r.status, contentType: r.contentType, body: r.body });")
	g.line("  });")
	g.line("}")
	g.line("")
}

func (g *generator) helpers(triggers map[int][]int) {
	var requests, errors bool
	for _, ps := range triggers {
		for _, p := range ps {
			if g.st.Steps[p].Kind == KindRequest {
				requests = true
			} else {
				errors = true
			}
		}
	}
	if requests {
		g.line("")
		g.line("/**")
		g.line(" * Resolves with the status of the next request for method and url (a path")
		g.line(" * on the site, or a whole URL): 0 when it got no answer, -1 when none was")
		g.line(" * made within 10 s.")
		g.line(" */")
		g.line("function nextResponse(page: Page, method: string, url: string): Promise<number> {")
		g.line("  const matches = (request: Request) => {")
		g.line("    const u = new URL(request.url());")
		g.line("    return request.method() === method && (url.startsWith('/') ? u.pathname : u.origin + u.pathname) === url;")
		g.line("  };")
		g.line("  return new Promise((resolve) => {")
		g.line("    const done = (status: number) => {")
		g.line("      clearTimeout(timer);")
		g.line("      page.off('response', onResponse);")
		g.line("      page.off('requestfailed', onFailed);")
		g.line("      resolve(status);")
		g.line("    };")
		g.line("    const onResponse = (response: { request(): Request; status(): number }) => {")
		g.line("      if (matches(response.request())) done(response.status());")
		g.line("    };")
		g.line("    const onFailed = (request: Request) => {")
		g.line("      if (matches(request)) done(0);")
		g.line("    };")
		g.line("    const timer = setTimeout(() => done(-1), 10_000);")
		g.line("    page.on('response', onResponse);")
		g.line("    page.on('requestfailed', onFailed);")
		g.line("  });")
		g.line("}")
	}
	if errors {
		g.line("")
		g.line("/**")
		g.line(" * Fails (softly, so that the test goes on) when the page repeats an error of")
		g.line(" * the recorded visit, once it has had as long to do so as it took then.")
		g.line(" */")
		g.line("async function expectNoRepeat(page: Page, seen: string[], recorded: RegExp, what: string, ms: number) {")
		g.line("  for (const end = Date.now() + ms; Date.now() < end && !seen.some((m) => recorded.test(m)); ) {")
		g.line("    await page.waitForTimeout(50);")
		g.line("  }")
		g.line("  expect.soft(seen.filter((m) => recorded.test(m)), what).toEqual([]);")
		g.line("}")
	}
}

// messagePattern returns a JavaScript regular expression literal matching
// a recorded error message as a browser reports it again: without the
// "Uncaught " prefix, masked runs ('*') and a cut end matching anything.
func messagePattern(msg string) string {
	msg = strings.TrimPrefix(msg, "Uncaught ")
	msg = strings.TrimSuffix(msg, "…")
	var b strings.Builder
	for _, part := range maskedRun.Split(msg, -1) {
		if b.Len() > 0 {
			b.WriteString(".+?")
		}
		b.WriteString(regexp.QuoteMeta(part))
	}
	re := strings.NewReplacer("/", `\/`, "\n", `\n`, "\r", `\r`, "\u2028", `\u2028`, "\u2029", `\u2029`).Replace(b.String())
	return "/" + re + "/"
}

var maskedRun = regexp.MustCompile(`\*+`)

// js returns s as a JavaScript string literal: single-quoted when that
// needs no escapes, else JSON's (a valid JavaScript literal too).
func js(s string) string {
	plain := true
	for _, r := range s {
		if r == '\'' || r == '\\' || r == '\u2028' || r == '\u2029' || !unicode.IsPrint(r) {
			plain = false
			break
		}
	}
	if plain {
		return "'" + s + "'"
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// commentSafe keeps recorded text from ending a line comment.
func commentSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}
