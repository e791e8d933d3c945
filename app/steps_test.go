package app_test

import (
	"fmt"
	"testing"
	"time"
)

// TestStepsAPI derives the steps of a stored session and exports them, and
// refuses windows and formats it cannot give with a message naming them.
func TestStepsAPI(t *testing.T) {
	m := start(t)
	c := loggedIn(t, m)
	now := time.Now().UnixMilli()
	sid := "stepsapisession1"
	batch := fmt.Appendf(nil, `{"v":1,"sid":%q,"seq":0,"events":[`+
		`{"type":4,"timestamp":%d,"data":{"href":"http://shop.example/cart","width":1024,"height":700}},`+
		`{"type":2,"timestamp":%d,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":2,"id":2,"tagName":"html","attributes":{},"childNodes":[`+
		`{"type":2,"id":3,"tagName":"body","attributes":{},"childNodes":[{"type":2,"id":4,"tagName":"button","attributes":{},"childNodes":[{"type":3,"id":5,"textContent":"Buy now"}]}]}]}]},"initialOffset":{"left":0,"top":0}}},`+
		`{"type":3,"timestamp":%d,"data":{"source":2,"type":2,"id":4,"x":5,"y":5}},`+
		`{"type":5,"timestamp":%d,"data":{"tag":"playhead.network","payload":{"type":"fetch","method":"POST","url":"http://shop.example/api/buy","status":503,"start":%d}}},`+
		`{"type":5,"timestamp":%d,"data":{"tag":"playhead.error","payload":{"kind":"error","message":"Uncaught Error: sold out","source":"http://shop.example/shop.js","line":7}}}]}`,
		sid, now, now+1, now+500, now+540, now+510, now+560)
	steps := "/api/v1/sessions/" + sid + "/steps"
	export := "/api/v1/sessions/" + sid + "/export"
	scenarios := []scenario{
		{name: "batch", method: "POST", path: "/api/v1/ingest?k=" + m.Project.IngestKey, body: batch, wantStatus: 200},
		{name: "steps need a login", method: "GET", path: steps, wantStatus: 401},
		{name: "steps", method: "GET", path: steps, login: true, wantStatus: 200, want: []string{
			`"baseUrl":"http://shop.example"`, `"viewport":{"width":1024,"height":700}`,
			`"text":"Open /cart"`, `"text":"Click the button 'Buy now'"`, `"target":{"role":"button","name":"Buy now","css":"body \u003e button","description":"the button 'Buy now'"}`,
			`"text":"POST /api/buy answered 503"`, `"text":"Uncaught Error: sold out at shop.js:7"`,
		}, wantNot: []string{`"id":4`, "nodeId"}},
		{name: "the window of the second problem", method: "GET", path: steps + "?error=2", login: true, wantStatus: 200,
			want: []string{fmt.Sprintf(`"from":%d`, now), `"text":"Uncaught Error: sold out at shop.js:7"`}},
		{name: "a window around a moment", method: "GET", path: steps + fmt.Sprintf("?around=%d", now+500), login: true, wantStatus: 200,
			want: []string{`"text":"Click the button 'Buy now'"`}},
		{name: "no such problem", method: "GET", path: steps + "?error=3", login: true, wantStatus: 404,
			want: []string{"the session has 2 errors and failed requests, not 3"}},
		{name: "bad problem number", method: "GET", path: steps + "?error=first", login: true, wantStatus: 400,
			want: []string{`error: \"first\" is not a number from 1 on`}},
		{name: "bad moment", method: "GET", path: steps + "?around=yesterday", login: true, wantStatus: 400,
			want: []string{`around: \"yesterday\" is not a time in Unix milliseconds`}},
		{name: "two windows", method: "GET", path: steps + "?around=5&error=1", login: true, wantStatus: 400, want: []string{"give one window, not both"}},
		{name: "steps of no session", method: "GET", path: "/api/v1/sessions/nosuchsession1/steps", login: true, wantStatus: 404},
		{name: "playwright", method: "GET", path: export + "?format=playwright", login: true, wantStatus: 200,
			want:       []string{"import { test, expect", "await page.getByRole('button', { name: 'Buy now' }).click();", "toBeLessThan(400)", "/Error: sold out/"},
			wantHeader: map[string]string{"Content-Disposition": `attachment; filename="session-` + sid + `.spec.ts"`, "Content-Type": "text/plain"}},
		{name: "markdown", method: "GET", path: export + "?format=markdown&error=1", login: true, wantStatus: 200,
			want:       []string{"1. Open /cart", "**What went wrong**", fmt.Sprintf("[Watch the replay](%s/sessions/%s?project=%d&t=0&steps=%d)", m.URL(), sid, m.Project.ID, now+540)},
			wantHeader: map[string]string{"Content-Type": "text/markdown"}},
		{name: "unknown format", method: "GET", path: export + "?format=docx", login: true, wantStatus: 400,
			want: []string{`format: \"docx\" is not one of`}},
		{name: "export of no session", method: "GET", path: "/api/v1/sessions/nosuchsession1/export?format=playwright", login: true, wantStatus: 404},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) { sc.run(t, m, c) })
	}
}
