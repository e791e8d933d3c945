package app_test

import (
	"fmt"
	"testing"
	"time"
)

// TestSearchAPI: a search's matches (in the list and for the player),
// suggestions for the search box and saved searches, through the API.
func TestSearchAPI(t *testing.T) {
	m := start(t)
	c := loggedIn(t, m)
	ingest := "/api/v1/ingest?k=" + m.Project.IngestKey
	t0 := time.Now().Add(-time.Minute).UnixMilli()
	snapshot := `{"type":0,"id":1,"childNodes":[{"type":2,"id":2,"tagName":"html","attributes":{},"childNodes":[
		{"type":2,"id":6,"tagName":"body","attributes":{},"childNodes":[
			{"type":2,"id":10,"tagName":"button","attributes":{},"childNodes":[{"type":3,"id":11,"textContent":"Place order"}]}]}]}]}`
	body := fmt.Appendf(nil, `{"v":1,"sid":"searchapisession1","seq":0,"events":[`+
		`{"type":4,"timestamp":%d,"data":{"href":"http://shop.example/checkout","width":1280,"height":800}},`+
		`{"type":2,"timestamp":%d,"data":{"node":%s,"initialOffset":{"left":0,"top":0}}},`+
		`{"type":3,"timestamp":%d,"data":{"source":2,"type":2,"id":11,"x":10,"y":10}},`+
		`{"type":5,"timestamp":%d,"data":{"tag":"playhead.error","payload":{"kind":"error","message":"TypeError: order is undefined"}}},`+
		`{"type":5,"timestamp":%d,"data":{"tag":"playhead.network","payload":{"method":"POST","url":"http://shop.example/api/order","status":500}}},`+
		`{"type":3,"timestamp":%d,"data":{"source":2,"type":2,"id":11,"x":10,"y":10}}]}`,
		t0, t0+1, snapshot, t0+150_000, t0+151_000, t0+152_000, t0+160_000)
	matches := "/api/v1/sessions/searchapisession1/matches?q="
	scenarios := []scenario{
		{name: "batch", method: "POST", path: ingest, body: body, wantStatus: 200},
		{name: "list shows why a row matched", method: "GET", path: `/api/v1/sessions?q=click:%22place+order%22+OR+error:TypeError+OR+request.status:%3E=500`, login: true, wantStatus: 200,
			want: []string{`"matches":[{"ts":` + fmt.Sprint(t0+150_000) + `,"kind":"click","label":"Click: Place order"}`,
				`"kind":"error","level":"error","label":"TypeError: order is undefined"`,
				`"kind":"request","level":"error","label":"POST http://shop.example/api/order","status":500}`}},
		{name: "list without a search has no matches", method: "GET", path: "/api/v1/sessions", login: true, wantStatus: 200,
			want: []string{"searchapisession1"}, wantNot: []string{`"matches"`}},
		{name: "matches of a session", method: "GET", path: matches + "click:order", login: true, wantStatus: 200,
			want:    []string{fmt.Sprintf(`{"matches":[{"ts":%d,"kind":"click","label":"Click: Place order"},{"ts":%d,"kind":"click","label":"Click: Place order"}],"truncated":false}`, t0+150_000, t0+160_000)},
			wantNot: []string{`"kind":"error"`}},
		{name: "negated terms match no moment", method: "GET", path: matches + "-click:order+errors:%3E0", login: true, wantStatus: 200,
			want: []string{`"kind":"error"`}, wantNot: []string{`"kind":"click"`}},
		{name: "matches: bad query", method: "GET", path: matches + "click:order+(", login: true, wantStatus: 400,
			want: []string{`q: position 14: the query ends after \"(\", where a term was expected`}},
		{name: "matches: unknown session", method: "GET", path: "/api/v1/sessions/nosuchsession1/matches?q=x", login: true, wantStatus: 404},
		{name: "matches need login", method: "GET", path: matches + "x", wantStatus: 401},
		{name: "suggest keys", method: "GET", path: "/api/v1/search/suggest?prefix=re", login: true, wantStatus: 200,
			want: []string{`"key":"request"`, `"key":"request.status"`, `"description":"a request's HTTP status (0: no answer)"`}, wantNot: []string{`"key":"url"`}},
		{name: "suggest values", method: "GET", path: "/api/v1/search/suggest?key=click&prefix=pla", login: true, wantStatus: 200,
			want: []string{`"values":[{"value":"Place order","sessions":1}]`}},
		{name: "suggest URLs by part", method: "GET", path: "/api/v1/search/suggest?key=page&prefix=checkout", login: true, wantStatus: 200,
			want: []string{`{"value":"http://shop.example/checkout","sessions":1}`}},
		{name: "suggest examples", method: "GET", path: "/api/v1/search/suggest?key=request.failed", login: true, wantStatus: 200,
			want: []string{`"values":[{"value":"true","sessions":0},{"value":"false","sessions":0}]`}},
		{name: "suggest: unknown key", method: "GET", path: "/api/v1/search/suggest?key=urll", login: true, wantStatus: 400,
			want: []string{`key: unknown key \"urll\"`}},
		{name: "suggest: prefix too long", method: "GET", path: "/api/v1/search/suggest?key=url&prefix=" + fmt.Sprintf("%0201d", 0), login: true, wantStatus: 400,
			want: []string{"prefix: 201 characters, over the limit of 200"}},
		{name: "save a search", method: "POST", path: "/api/v1/searches", body: []byte(`{"name":"Broken checkout","query":"url:/checkout errors:>0"}`), login: true, wantStatus: 201,
			want: []string{`"id":1`, `"name":"Broken checkout"`, `"query":"url:/checkout errors:\u003e0"`}},
		{name: "save: same name", method: "POST", path: "/api/v1/searches", body: []byte(`{"name":"Broken checkout","query":"rage:>0"}`), login: true, wantStatus: 400,
			want: []string{`a saved search named \"Broken checkout\" exists already`}},
		{name: "save: bad query", method: "POST", path: "/api/v1/searches", body: []byte(`{"name":"Bad","query":"urll:x"}`), login: true, wantStatus: 400,
			want: []string{`query: position 1: unknown key \"urll\"`}},
		{name: "save: no name", method: "POST", path: "/api/v1/searches", body: []byte(`{"name":"  ","query":"x"}`), login: true, wantStatus: 400, want: []string{"name: missing"}},
		{name: "save needs login", method: "POST", path: "/api/v1/searches", body: []byte(`{"name":"x","query":"x"}`), wantStatus: 401},
		{name: "save from another site", method: "POST", path: "/api/v1/searches", body: []byte(`{"name":"x","query":"x"}`), login: true,
			header: map[string]string{"Sec-Fetch-Site": "cross-site"}, wantStatus: 403},
		{name: "rename", method: "PATCH", path: "/api/v1/searches/1", body: []byte(`{"name":"Checkout errors"}`), login: true, wantStatus: 200,
			want: []string{`"name":"Checkout errors"`, `"query":"url:/checkout errors:\u003e0"`}},
		{name: "one saved search", method: "GET", path: "/api/v1/searches/1", login: true, wantStatus: 200, want: []string{`"name":"Checkout errors"`}},
		{name: "list saved searches", method: "GET", path: "/api/v1/searches", login: true, wantStatus: 200, want: []string{`{"searches":[{"id":1,"name":"Checkout errors"`}},
		{name: "delete", method: "DELETE", path: "/api/v1/searches/1", login: true, wantStatus: 200},
		{name: "deleted", method: "GET", path: "/api/v1/searches/1", login: true, wantStatus: 404, want: []string{"saved search 1 not found"}},
		{name: "rename: unknown", method: "PATCH", path: "/api/v1/searches/x", body: []byte(`{"name":"y"}`), login: true, wantStatus: 404},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) { sc.run(t, m, c) })
	}
}
