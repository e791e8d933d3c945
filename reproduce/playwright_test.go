package reproduce_test

import (
	"strings"
	"testing"

	"github.com/playhead/playhead/reproduce"
)

// checkout records a visit whose order fails, with a masked email, a name
// holding a quote, a captured response body and a thrown error.
func checkout(t *testing.T) *reproduce.Steps {
	t.Helper()
	p := &page{}
	email := p.el("input", map[string]string{"type": "email", "id": "email"})
	pick := p.el("button", nil, p.text("Pick Lu's roast"))
	order := p.el("button", map[string]string{"type": "submit"}, p.text("Place order"))
	doc := p.doc(p.el("form", nil, p.el("label", map[string]string{"for": "email"}, p.text("Email")), email, pick, order))
	r := &recording{ts: 1_700_000_000_000}
	r.open("https://shop.example/checkout?from=cart", doc)
	r.custom(300, "playhead.network", map[string]any{"method": "GET", "url": "https://shop.example/api/cart", "status": 200, "responseBody": `{"items":["mug"]}`, "responseHeaders": map[string]string{"content-type": "application/json"}})
	r.focus(1000, id(email))
	for i := 1; i <= 9; i++ {
		r.input(60, id(email), strings.Repeat("*", i), false)
	}
	r.click(800, id(pick))
	r.click(900, id(order))
	r.custom(30, "playhead.network", map[string]any{"method": "POST", "url": "https://shop.example/api/order", "status": 502, "start": r.ts + 5, "responseBody": `{"error":"down"}`})
	r.custom(5, "playhead.error", map[string]any{"message": "Uncaught TypeError: Cannot read properties of undefined (reading 'id') for user ***@***", "source": "https://shop.example/app.js", "line": 9})
	return derive(t, r)
}

func TestPlaywrightExport(t *testing.T) {
	st := checkout(t)
	src := string(st.Playwright("https://playhead.example/sessions/s1?t=0"))
	for _, want := range []string{
		"import { test, expect, type Page, type Request } from '@playwright/test';",
		"baseURL: process.env.BASE_URL || 'https://shop.example',",
		"viewport: { width: 1280, height: 800 },",
		"// Replay: https://playhead.example/sessions/s1?t=0",
		"test('reproduces session s1: POST /api/order answered 502', async ({ page }) => {",
		"await page.goto('/checkout?from=cart');",
		"// Masked in the recording: a placeholder email.",
		"await page.getByRole('textbox', { name: 'Email' }).fill('ada@example.com');",
		`await page.getByRole('button', { name: "Pick Lu's roast" }).click();`,
		"const response1 = nextResponse(page, 'POST', '/api/order');\n  await page.getByRole('button', { name: 'Place order' }).click();",
		"expect.soft(await response1, 'in the recorded visit, POST /api/order answered 502').toBeLessThan(400);",
		`await expectNoRepeat(page, pageErrors, /TypeError: Cannot read properties of undefined \(reading 'id'\) for user .+?@.+?/,`,
		// the recorded responses answer their requests only when asked to
		"if (process.env.FROM_RECORDING) await answerFromRecording(page);",
		`'GET /api/cart': [`,
		`{ status: 200, contentType: 'application/json', body: '{"items":["mug"]}' },`,
		`'POST /api/order': [`,
		"function nextResponse(page: Page, method: string, url: string): Promise<number> {",
		"async function expectNoRepeat(",
	} {
		if !strings.Contains(src, want) {
			t.Errorf("the test lacks %q", want)
		}
	}
	if strings.Count(src, "await page.goto(") != 1 {
		t.Errorf("the test opens the page %d times, want once", strings.Count(src, "await page.goto("))
	}
	if t.Failed() {
		t.Logf("the test:\n%s", src)
	}
}

func TestPlaywrightExportWithoutProblems(t *testing.T) {
	p := &page{}
	b := p.el("button", map[string]string{"data-testid": "go"}, p.text("****"))
	r := &recording{ts: 1}
	r.open("http://localhost:3000/", p.doc(b))
	r.click(100, id(b))
	src := string(derive(t, r).Playwright(""))
	for _, want := range []string{"nothing went wrong in the recorded visit", "await page.getByTestId('go').click();", "test('reproduces session s1', async"} {
		if !strings.Contains(src, want) {
			t.Errorf("the test lacks %q:\n%s", want, src)
		}
	}
	for _, not := range []string{"nextResponse", "expectNoRepeat", "FROM_RECORDING"} {
		if strings.Contains(src, not) {
			t.Errorf("the test has %q, which it does not use:\n%s", not, src)
		}
	}
}

// Recorded text cannot break out of the test's strings and comments.
func TestPlaywrightExportQuotesRecordedText(t *testing.T) {
	p := &page{}
	b := p.el("button", nil, p.text("a'b\\c\u2028d */ e"))
	r := &recording{ts: 1}
	r.open("http://localhost:3000/x\ny", p.doc(b))
	r.click(100, id(b))
	r.custom(1, "playhead.error", map[string]any{"message": "Uncaught Error: a/b\u2028c"})
	src := string(derive(t, r).Playwright(""))
	if !strings.Contains(src, `page.getByRole('button', { name: "a'b\\c d */ e" })`) {
		t.Errorf("the button's name is not quoted as a JSON string:\n%s", src)
	}
	if !strings.Contains(src, `/Error: a\/b\u2028c/`) {
		t.Errorf("the error's pattern does not escape / and line separators:\n%s", src)
	}
	for _, l := range strings.Split(src, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "y") {
			t.Errorf("a recorded newline started a line of code: %q", l)
		}
	}
}

func TestMarkdown(t *testing.T) {
	st := checkout(t)
	md := st.Markdown("https://playhead.example/sessions/s1")
	for _, want := range []string{
		"### Steps to reproduce\n\nIn a 1280×800 browser window, on https://shop.example:\n\n1. Open /checkout?from=cart _(0:00.0)_\n",
		"2. Type into 'Email' (masked in the recording) _(0:01.8)_\n",
		"4. Click the button 'Place order' _(0:03.5)_\n5. POST /api/order answered 502 _(0:03.5)_\n",
		"**What went wrong**\n\n- POST /api/order answered 502\n- Uncaught TypeError: Cannot read properties of undefined (reading 'id') for user \\*\\*\\*@\\*\\*\\* at app.js:9\n",
		"[Watch the replay](https://playhead.example/sessions/s1)\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the Markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestPlaceholders(t *testing.T) {
	for kind, want := range map[string]string{"email": "ada@example.com", "card": "4242 4242 4242 4242", "tel": "+1 555 0100", "nonsense": "Sample text"} {
		if got := reproduce.Placeholder(kind); got != want {
			t.Errorf("Placeholder(%q) = %q, want %q", kind, got, want)
		}
	}
}
