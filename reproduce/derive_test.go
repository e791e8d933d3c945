package reproduce_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/playhead/playhead/reproduce"
)

// node is a serialised rrweb node, as a recording holds it.
type node map[string]any

// page numbers the nodes it builds, as rrweb's mirror does.
type page struct{ next int }

func (p *page) id() int { p.next++; return p.next }

func (p *page) el(tag string, attrs map[string]string, children ...node) node {
	if attrs == nil {
		attrs = map[string]string{}
	}
	if children == nil {
		children = []node{}
	}
	return node{"type": 2, "id": p.id(), "tagName": tag, "attributes": attrs, "childNodes": children}
}

func (p *page) text(s string) node { return node{"type": 3, "id": p.id(), "textContent": s} }

// doc wraps a body's children in a document.
func (p *page) doc(body ...node) node {
	d := node{"type": 0, "id": p.id()}
	html := p.el("html", nil, p.el("head", nil), p.el("body", nil, body...))
	d["childNodes"] = []node{html}
	return d
}

// recording builds a session's events, one a call, from a start time.
type recording struct {
	ts     int64
	events [][]byte
}

func (r *recording) add(dt int64, typ int, data any) {
	r.ts += dt
	b, err := json.Marshal(map[string]any{"type": typ, "timestamp": r.ts, "data": data})
	if err != nil {
		panic(err)
	}
	r.events = append(r.events, b)
}

func (r *recording) open(href string, doc node) {
	r.add(0, 4, map[string]any{"href": href, "width": 1280, "height": 800})
	r.add(1, 2, map[string]any{"node": doc, "initialOffset": map[string]int{"top": 0, "left": 0}})
}

func (r *recording) click(dt int64, id any) {
	r.add(dt, 3, map[string]any{"source": 2, "type": 2, "id": id, "x": 10, "y": 10})
}

func (r *recording) focus(dt int64, id any) {
	r.add(dt, 3, map[string]any{"source": 2, "type": 5, "id": id})
}

func (r *recording) input(dt int64, id any, text string, checked bool) {
	r.add(dt, 3, map[string]any{"source": 5, "id": id, "text": text, "isChecked": checked})
}

func (r *recording) custom(dt int64, tag string, payload any) {
	r.add(dt, 5, map[string]any{"tag": tag, "payload": payload})
}

func (r *recording) mutate(dt int64, data map[string]any) {
	data["source"] = 0
	for _, k := range []string{"texts", "attributes", "removes", "adds"} {
		if data[k] == nil {
			data[k] = []any{}
		}
	}
	r.add(dt, 3, data)
}

func derive(t *testing.T, r *recording) *reproduce.Steps {
	t.Helper()
	st, err := reproduce.Derive("s1", r.events)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func texts(st *reproduce.Steps) []string {
	out := []string{}
	for _, s := range st.Steps {
		out = append(out, s.Text)
	}
	return out
}

func wantSteps(t *testing.T, st *reproduce.Steps, want ...string) {
	t.Helper()
	got := texts(st)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("steps:\n got  %q\n want %q", got, want)
	}
}

func id(n node) any { return n["id"] }

func TestElementsAreNamedAsPeopleFindThem(t *testing.T) {
	p := &page{}
	save := p.el("button", nil, p.text("Save"))
	saveDraft := p.el("button", nil, p.text("Save draft"))
	home := p.el("a", map[string]string{"href": "/"}, p.el("img", map[string]string{"alt": "Home", "src": "/logo.svg"}))
	theme := p.el("button", map[string]string{"title": "Switch theme"})
	icon := p.el("div", map[string]string{"tabindex": "0", "class": "icon"})
	more := p.el("span", nil, p.text("Read more"))
	tested := p.el("div", map[string]string{"data-testid": "card-3", "role": "presentation"})
	masked := p.el("button", map[string]string{"id": ":r1:"}, p.text("*****"))
	hiddenTwin := p.el("button", map[string]string{"hidden": ""}, p.text("Delete"))
	del := p.el("button", nil, p.text("Delete"))
	doc := p.doc(p.el("main", map[string]string{"id": "app"}, save, saveDraft, home, theme, p.el("div", nil), icon, more, tested, masked, hiddenTwin, del))
	r := &recording{ts: 1_000_000}
	r.open("https://shop.example/app", doc)
	for _, n := range []node{save, saveDraft, home["childNodes"].([]node)[0], theme, icon, more, tested, masked, del} {
		r.click(5000, id(n))
	}
	st := derive(t, r)
	wantSteps(t, st,
		"Open /app",
		"Click the button 'Save'",
		"Click the button 'Save draft'",
		"Click the link 'Home'",
		"Click the button 'Switch theme'",
		"Click the element #app > div:nth-of-type(2)",
		"Click the text 'Read more'",
		"Click the element with test id 'card-3'",
		"Click the element #app > button:nth-of-type(4)",
		"Click the button 'Delete'",
	)
	want := []reproduce.Target{
		{Role: "button", Name: "Save", Exact: true},
		{Role: "button", Name: "Save draft"},
		{Role: "link", Name: "Home"},
		{Role: "button", Name: "Switch theme"},
		{CSS: "#app > div:nth-of-type(2)"},
		{Text: "Read more"},
		{TestID: "card-3"},
		{CSS: "#app > button:nth-of-type(4)"}, // masked text names nothing; a generated id is no anchor
		{Role: "button", Name: "Delete"},      // its hidden twin does not count
	}
	for i, w := range want {
		g := st.Steps[i+1].Target
		if g == nil || g.Role != w.Role || g.Name != w.Name || g.Exact != w.Exact || g.Text != w.Text || g.TestID != w.TestID || (w.CSS != "" && g.CSS != w.CSS) {
			t.Errorf("step %d: target %+v, want %+v", i+2, g, w)
		}
	}
}

func TestFieldsAndTheirNames(t *testing.T) {
	p := &page{}
	party := p.el("input", map[string]string{"type": "number", "aria-labelledby": "party-label"})
	email := p.el("input", map[string]string{"type": "email", "name": "email"})
	pw := p.el("input", map[string]string{"type": "password", "id": "pw"})
	terms := p.el("input", map[string]string{"type": "checkbox", "id": "terms"})
	termsLabel := p.el("label", map[string]string{"for": "terms"}, p.text("I accept the terms"))
	express := p.el("input", map[string]string{"type": "radio", "name": "ship", "id": "express"})
	standard := p.el("input", map[string]string{"type": "radio", "name": "ship", "id": "standard"})
	sel := p.el("select", map[string]string{"id": "delivery"},
		p.el("option", map[string]string{"value": "std"}, p.text("Standard")),
		p.el("option", map[string]string{"value": "express"}, p.text("Express")))
	color := p.el("select", map[string]string{"aria-label": "Colour"},
		p.el("option", map[string]string{"value": "red"}, p.text("Red")),
		p.el("option", map[string]string{"value": "blue"}, p.text("Blue")))
	notes := p.el("textarea", map[string]string{"placeholder": "Anything else?"})
	doc := p.doc(p.el("form", nil,
		p.el("span", map[string]string{"id": "party-label"}, p.text("Party size")), party,
		p.el("label", nil, p.text("Email "), email),
		p.el("label", map[string]string{"for": "pw"}, p.text("Password")), pw,
		terms, termsLabel,
		express, p.el("label", map[string]string{"for": "express"}, p.text("Express")),
		standard, p.el("label", map[string]string{"for": "standard"}, p.text("Standard")),
		p.el("label", map[string]string{"for": "delivery"}, p.text("Delivery")), sel,
		color, notes,
	))
	r := &recording{ts: 1_000_000}
	r.open("https://shop.example/book", doc)
	// the page's script sets fields as it starts: not the user
	r.input(10, id(party), "*", false)
	r.input(0, id(terms), "on", false)
	r.click(1000, id(party))
	r.focus(0, id(party))
	r.input(50, id(party), "*", false)
	r.input(50, id(party), "**", false)
	r.focus(500, id(email))
	for i := 1; i <= 12; i++ {
		r.input(40, id(email), strings.Repeat("*", i), false)
	}
	r.focus(500, id(pw))
	r.input(40, id(pw), "******", false)
	r.click(500, id(termsLabel["childNodes"].([]node)[0]))
	r.input(5, id(terms), "on", true)
	r.click(500, id(express))
	r.input(1, id(standard), "on", false)
	r.input(0, id(express), "on", true)
	r.focus(500, id(sel))
	r.input(50, id(sel), "*******", false)
	r.focus(500, id(color))
	r.input(50, id(color), "blue", false)
	r.focus(500, id(notes))
	r.input(50, id(notes), "Ring twice", false)
	r.input(50, id(notes), "", false)
	r.add(50, 3, map[string]any{"source": 5, "id": id(notes), "text": "typed by a script", "userTriggered": false})
	st := derive(t, r)
	wantSteps(t, st,
		"Open /book",
		"Type into 'Party size' (masked in the recording)",
		"Type into 'Email' (masked in the recording)",
		"Type into 'Password' (masked in the recording)",
		"Check the checkbox 'I accept the terms'",
		"Check the radio button 'Express'",
		"Select an option in 'Delivery' (masked in the recording)",
		"Select 'Blue' in 'Colour'",
		"Clear 'Anything else?'",
	)
	if s := st.Steps[2]; s.InputKind != "email" || !s.Masked || s.Target.Role != "textbox" || s.Target.Name != "Email" {
		t.Errorf("email step = %+v, target %+v", s, s.Target)
	}
	if s := st.Steps[3]; s.InputKind != "password" || s.Target.Role != "" || s.Target.Label != "Password" {
		t.Errorf("password step = %+v, target %+v", s, s.Target)
	}
	if s := st.Steps[6]; s.Value != "express" || !s.Masked {
		t.Errorf("masked select = %+v, want the option of the masked value's length", s)
	}
	if s := st.Steps[7]; s.Value != "blue" || s.Masked {
		t.Errorf("select = %+v", s)
	}
}

func TestNavigationAndNoise(t *testing.T) {
	p := &page{}
	link := p.el("a", map[string]string{"href": "/checkout"}, p.text("Checkout"))
	doc := p.doc(p.el("nav", nil, link))
	r := &recording{ts: 1_000_000}
	r.open("https://shop.example/", doc)
	for i := 0; i < 20; i++ { // mouse moves
		r.add(20, 3, map[string]any{"source": 1, "positions": []map[string]int{{"x": i, "y": i, "id": 1, "timeOffset": 0}}})
	}
	r.click(1000, id(link))
	r.custom(5, "playhead.navigation", map[string]string{"url": "https://shop.example/checkout?step=1", "kind": "push"})
	r.custom(5000, "playhead.navigation", map[string]string{"url": "https://shop.example/", "kind": "pop"})
	r.custom(8000, "playhead.navigation", map[string]string{"url": "https://shop.example/promo", "kind": "replace"})
	// scrolls of the document fold into one; small ones are not steps
	docID := doc["id"]
	for _, y := range []int{40, 300, 900, 1200} {
		r.add(150, 3, map[string]any{"source": 3, "id": docID, "x": 0, "y": y})
	}
	r.add(3000, 3, map[string]any{"source": 3, "id": docID, "x": 0, "y": 1250})
	r.click(2000, id(link))
	r.click(100, id(link))
	r.add(10, 3, map[string]any{"source": 2, "type": 4, "id": id(link), "x": 1, "y": 1})
	// a full page load right after a click is where the click led
	r.click(3000, id(link))
	p2 := &page{next: 100}
	r.add(200, 4, map[string]any{"href": "https://shop.example/checkout", "width": 1280, "height": 800})
	r.add(1, 2, map[string]any{"node": p2.doc(p2.el("h1", nil, p2.text("Checkout"))), "initialOffset": map[string]int{}})
	// a periodic keyframe of the same page is not a step
	r.add(60000, 4, map[string]any{"href": "https://shop.example/checkout", "width": 1280, "height": 800})
	// one long after any action: the user opened it
	r.add(10000, 4, map[string]any{"href": "https://shop.example/help", "width": 1280, "height": 800})
	st := derive(t, r)
	wantSteps(t, st,
		"Open /",
		"Click the link 'Checkout'",
		"Land on /checkout",
		"Go back to /",
		"The page moves to /promo",
		"Scroll down to 1250 px from the top",
		"Double-click the link 'Checkout'",
		"Click the link 'Checkout'",
		"Land on /checkout",
		"Open /help",
	)
	if u := st.Steps[2].URL; u != "https://shop.example/checkout?step=1" {
		t.Errorf("navigation URL = %q, want the whole URL", u)
	}
	if st.BaseURL != "https://shop.example" || st.Viewport == nil || st.Viewport.Width != 1280 {
		t.Errorf("base %q, viewport %+v", st.BaseURL, st.Viewport)
	}
}

func TestWhatWentWrong(t *testing.T) {
	p := &page{}
	order := p.el("button", nil, p.text("Place order"))
	r := &recording{ts: 1_000_000}
	r.open("https://shop.example/checkout", p.doc(order))
	r.click(1000, id(order))
	r.custom(40, "playhead.network", map[string]any{"type": "fetch", "method": "post", "url": "https://shop.example/api/order?token=[redacted]", "status": 500, "start": r.ts - 35, "duration": 35})
	r.custom(1, "playhead.network", map[string]any{"type": "fetch", "method": "GET", "url": "https://shop.example/api/cart", "status": 200, "start": r.ts - 5, "responseBody": `{"items":[]}`, "responseHeaders": map[string]string{"Content-Type": "application/json"}})
	r.custom(1, "playhead.network", map[string]any{"type": "xhr", "method": "GET", "url": "https://cdn.example/x.js", "status": 0, "error": "NetworkError"})
	r.add(1, 6, map[string]any{"plugin": "rrweb/console@1", "payload": map[string]any{"level": "error", "payload": []string{`"Order failed:"`, `{"status":500}`}}})
	r.add(1, 6, map[string]any{"plugin": "rrweb/console@1", "payload": map[string]any{"level": "log", "payload": []string{`"fine"`}}})
	r.custom(1, "playhead.error", map[string]any{"kind": "error", "message": "Uncaught TypeError: x is undefined", "source": "https://shop.example/static/app.js?v=3", "line": 42, "column": 7})
	r.custom(1, "playhead.error", map[string]any{"kind": "unhandledrejection", "message": "Error: boom\nmore"})
	r.custom(1000, "playhead.report", map[string]any{"text": "The order button does nothing", "url": "https://shop.example/checkout"})
	st := derive(t, r)
	wantSteps(t, st,
		"Open /checkout",
		"Click the button 'Place order'",
		"POST /api/order?token=[redacted] answered 500",
		"GET https://cdn.example/x.js got no answer (NetworkError)",
		`Console error: Order failed: {"status":500}`,
		"Uncaught TypeError: x is undefined at app.js:42",
		"Unhandled promise rejection: Error: boom",
		"The user reports: 'The order button does nothing'",
	)
	if len(st.Responses) != 1 || st.Responses[0].Body != `{"items":[]}` || st.Responses[0].ContentType != "application/json" {
		t.Errorf("responses = %+v, want the cart's", st.Responses)
	}
	if ts, err := st.Problem(3); err != nil || ts != st.Steps[5].Ts {
		t.Errorf("Problem(3) = %d, %v; want the TypeError's time %d", ts, err, st.Steps[5].Ts)
	}
	if _, err := st.Problem(5); err == nil || !strings.Contains(err.Error(), "has 4") {
		t.Errorf("Problem(5) error = %v, want one naming the 4 problems", err)
	}
}

// A request whose body the SDK read before reporting it is reported after
// the page's reaction to its answer; its step comes where the answer came.
func TestAFailedRequestComesBeforeWhatItCaused(t *testing.T) {
	p := &page{}
	b := p.el("button", nil, p.text("Book"))
	r := &recording{ts: 1_000_000}
	r.open("https://app.example/", p.doc(b))
	r.click(1000, id(b))
	clicked := r.ts
	r.add(30, 6, map[string]any{"plugin": "rrweb/console@1", "payload": map[string]any{"level": "error", "payload": []string{`"Booking failed"`}}})
	r.custom(0, "playhead.error", map[string]any{"kind": "unhandledrejection", "message": "Error: refused"})
	// answered 31 ms after the click (rounded up a millisecond), reported 20 ms later
	r.custom(20, "playhead.network", map[string]any{"method": "POST", "url": "https://app.example/api/book", "status": 409, "start": clicked + 1, "duration": 30})
	r.click(1000, id(b))
	st := derive(t, r)
	wantSteps(t, st, "Open /", "Click the button 'Book'", "POST /api/book answered 409", "Console error: Booking failed",
		"Unhandled promise rejection: Error: refused", "Click the button 'Book'")
	if ts := st.Steps[2].Ts; ts != clicked+31 {
		t.Errorf("the request's step is at %d, want its answer's time %d", ts, clicked+31)
	}
}

func TestWindowStartsOnThePageOfTheMoment(t *testing.T) {
	p := &page{}
	b := p.el("button", nil, p.text("Next"))
	r := &recording{ts: 1_000_000}
	r.open("https://app.example/a", p.doc(b))
	r.click(1000, id(b))
	r.custom(10, "playhead.navigation", map[string]string{"url": "https://app.example/b", "kind": "push"})
	r.click(5*60*1000, id(b)) // five minutes later
	r.custom(20, "playhead.error", map[string]any{"message": "Uncaught Error: late"})
	r.click(10*60*1000, id(b))
	st := derive(t, r)
	at, err := st.Problem(1)
	if err != nil {
		t.Fatal(err)
	}
	w := st.Window(at)
	wantSteps(t, w, "Open /b", "Click the button 'Next'", "Uncaught Error: late")
	if w.From != at-reproduce.Lookback {
		t.Errorf("window from %d, want %d", w.From, at-reproduce.Lookback)
	}
	if len(st.Steps) != 6 {
		t.Errorf("the whole session has %d steps, want 6 (a window must not change it)", len(st.Steps))
	}
}

func TestTheUsersWaitsThatMatter(t *testing.T) {
	p := &page{}
	b := p.el("button", nil, p.text("Search"))
	box := p.el("div", map[string]string{"id": "results"})
	r := &recording{ts: 1_000_000}
	r.open("https://app.example/", p.doc(b, box))
	r.click(1000, id(b))
	// results arrive 2.5 s later; the user clicks again at 4 s
	r.mutate(2500, map[string]any{"adds": []any{map[string]any{"parentId": id(box), "nextId": nil, "node": node{"type": 3, "id": 500, "textContent": "3 results"}}}})
	r.click(1500, id(b))
	// a pause with nothing changing is not a wait
	r.click(6000, id(b))
	st := derive(t, r)
	if w := st.Steps[2].WaitMs; w != 2600 {
		t.Errorf("wait before the second click = %d ms, want 2600 (until the page stopped changing)", w)
	}
	if w := st.Steps[3].WaitMs; w != 0 {
		t.Errorf("wait before the third click = %d ms, want none", w)
	}
}

// Derive reads whatever is stored without failing: events it cannot read
// are passed over.
func TestDeriveSkipsWhatItCannotRead(t *testing.T) {
	events := [][]byte{
		[]byte(`not json`), []byte(`{"type":3,"timestamp":5,"data":{"source":2,"type":2,"id":99}}`),
		[]byte(`{"type":4,"timestamp":6,"data":{"href":"::bad"}}`), []byte(`{"type":2,"timestamp":7,"data":{"node":{"type":9}}}`),
		[]byte(`{"type":5,"timestamp":8,"data":{"tag":"playhead.network","payload":"x"}}`),
		[]byte(`{"type":3,"timestamp":9,"data":{"source":5,"id":1,"text":"x"}}`),
	}
	st, err := reproduce.Derive("s", events)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Steps) != 1 || st.Steps[0].Text != "Open ::bad" {
		t.Errorf("steps = %q", texts(st))
	}
}

func FuzzDerive(f *testing.F) {
	p := &page{}
	b := p.el("button", map[string]string{"aria-labelledby": "b b"}, p.text("x"))
	r := &recording{ts: 1}
	r.open("https://a.example/", p.doc(b, p.el("label", map[string]string{"for": "x"})))
	r.click(1, id(b))
	r.input(1, id(b), "**", true)
	f.Add(strings.Join(func() []string {
		var s []string
		for _, e := range r.events {
			s = append(s, string(e))
		}
		return s
	}(), "\n"))
	f.Fuzz(func(t *testing.T, data string) {
		var events [][]byte
		for _, l := range strings.Split(data, "\n") {
			events = append(events, []byte(l))
		}
		st, err := reproduce.Derive("s", events)
		if err != nil {
			return
		}
		st.Playwright("")
		st.Markdown("")
		for i := range st.Steps {
			st.Window(st.Steps[i].Ts)
		}
		_ = fmt.Sprint(st)
	})
}
