package app_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/app"
	"github.com/playhead/playhead/internal/testservers"
	"github.com/playhead/playhead/server"
)

// tenants is an installation with two projects and a caller of every
// kind: the owner, a viewer, a developer and an admin of project A, the
// admin of project B (another project's user), API tokens of A of each
// scope and one of B, and A's ingest key presented as a token.
type tenants struct {
	t       *testing.T
	m       *app.Main
	a, b    *playhead.Project
	clients map[string]*http.Client   // signed-in users by name
	users   map[string]*playhead.User // by name
	tokens  map[string]string         // secrets by "project/scope"
	ip      atomic.Int32              // a new client address per ingest
}

// callerKind is who calls a route in the tenant-isolation test.
type callerKind struct {
	name string
	// user signs in (as a member of the target project with role, or the
	// owner); other is B's admin, a member of B only.
	user  string
	role  playhead.Role
	owner bool
	other bool
	// scope is that of an API token of the target project; otherToken
	// is B's admin token.
	scope      string
	otherToken bool
	ingestKey  bool
}

var callers = []callerKind{
	{name: "no credentials"},
	{name: "owner", user: "admin", owner: true},
	{name: "viewer", user: "vera", role: playhead.RoleViewer},
	{name: "developer", user: "dev", role: playhead.RoleDeveloper},
	{name: "admin", user: "ada", role: playhead.RoleAdmin},
	{name: "another project's user", user: "bob", other: true},
	{name: "token sessions:read", scope: playhead.ScopeRead},
	{name: "token erase", scope: playhead.ScopeErase},
	{name: "token otlp", scope: playhead.ScopeOTLP},
	{name: "token admin", scope: playhead.ScopeAdmin},
	{name: "token sourcemaps", scope: playhead.ScopeSourceMaps},
	{name: "another project's token", otherToken: true},
	{name: "the ingest key", ingestKey: true},
}

func newTenants(t *testing.T, index string) *tenants {
	chat := newChatEndpoint(t) // so that summaries answer those allowed to ask
	m := startWith(t, func(c *app.Config) {
		c.TrustedProxies, c.Index = "127.0.0.1", index
		c.SummaryEndpoint, c.SummaryModel = chat.URL+"/v1", "test-model"
	})
	tn := &tenants{t: t, m: m, a: m.Project, clients: map[string]*http.Client{}, users: map[string]*playhead.User{}, tokens: map[string]string{}}
	ctx := t.Context()
	tn.b = &playhead.Project{Name: "B", IngestKey: server.NewIngestKey()}
	if err := m.DB.CreateProject(ctx, tn.b); err != nil {
		t.Fatal(err)
	}
	hash, _ := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	for _, c := range callers {
		if c.user == "" || c.owner {
			continue
		}
		u := &playhead.User{Username: c.user, PasswordHash: string(hash)}
		if err := m.DB.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		tn.users[c.user] = u
		p, role := tn.a, c.role
		if c.other {
			p, role = tn.b, playhead.RoleAdmin
		}
		if err := m.DB.SetMember(ctx, p.ID, u.ID, role); err != nil {
			t.Fatal(err)
		}
	}
	spare := &playhead.User{Username: "spare", PasswordHash: string(hash)}
	if err := m.DB.CreateUser(ctx, spare); err != nil {
		t.Fatal(err)
	}
	tn.users["spare"] = spare
	for _, c := range callers {
		if c.user != "" {
			tn.clients[c.user] = tn.signIn(c.user)
		}
	}
	return tn
}

func (tn *tenants) signIn(name string) *http.Client {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Post(tn.m.URL()+"/api/v1/login", "application/json", strings.NewReader(`{"username":"`+name+`","password":"`+password+`"}`))
	if err != nil {
		tn.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		tn.t.Fatalf("sign in as %s: %d", name, resp.StatusCode)
	}
	return c
}

// token returns the secret of an API token of p with scope, made once.
func (tn *tenants) token(p *playhead.Project, scope string) string {
	key := fmt.Sprint(p.ID, "/", scope)
	if s, ok := tn.tokens[key]; ok {
		return s
	}
	tok, secret := server.NewAPIToken(p.ID, "test "+scope, []string{scope})
	tok.CreatedAt = time.Now()
	if err := tn.m.DB.CreateAPIToken(tn.t.Context(), tok); err != nil {
		tn.t.Fatal(err)
	}
	tn.tokens[key] = secret
	return secret
}

// session ingests a new session into p and returns its ID.
func (tn *tenants) session(p *playhead.Project) string {
	sid := fmt.Sprintf("tenant%010d", tn.ip.Add(1))
	req, _ := http.NewRequest("POST", tn.m.URL()+"/api/v1/ingest?k="+p.IngestKey, bytes.NewReader(batch(sid, 0, time.Now().UnixMilli())))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", tn.ip.Load()%250+1))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tn.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		tn.t.Fatalf("ingest: %d", resp.StatusCode)
	}
	return sid
}

// call makes a request as c in project p and returns its status and body.
func (tn *tenants) call(c callerKind, p *playhead.Project, method, path string, body []byte) (int, string) {
	req, err := http.NewRequest(method, tn.m.URL()+path, bytes.NewReader(body))
	if err != nil {
		tn.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	client := http.DefaultClient
	switch {
	case c.user != "":
		client = tn.clients[c.user]
	case c.scope != "":
		req.Header.Set("Authorization", "Bearer "+tn.token(p, c.scope))
	case c.otherToken:
		req.Header.Set("Authorization", "Bearer "+tn.token(tn.b, playhead.ScopeAdmin))
	case c.ingestKey:
		req.Header.Set("Authorization", "Bearer "+p.IngestKey)
	}
	resp, err := client.Do(req)
	if err != nil {
		tn.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// request is one call of a route: its path (with its parameters filled
// in, before ?project=), body and the status that means it worked.
type request struct {
	path string
	body string
	ok   int
	// project, when set, is the target project instead of A (a route
	// that would destroy A).
	project *playhead.Project
}

// recipes make a request for each route, with fresh things to act on for
// those that change or delete them. Every API route needs one: a new
// route without one fails the test.
func (tn *tenants) recipes() map[string]func() request {
	ctx := tn.t.Context()
	readSession := tn.session(tn.a)
	code, _ := tn.call(callers[1], tn.a, "PUT", "/api/v1/sessions/"+readSession+"/checkpoints?project="+strconv.FormatInt(tn.a.ID, 10),
		[]byte(`{"v":1,"batches":1,"checkpoints":[{"at":1,"seq":0,"idx":0,"z":"AA=="}]}`))
	if code != 204 {
		tn.t.Fatalf("store checkpoints: %d", code)
	}
	webhook := func() string {
		w := &playhead.Webhook{ProjectID: tn.a.ID, URL: "https://hooks.example.com/x", Secret: "s"}
		if err := tn.m.DB.CreateWebhook(ctx, w); err != nil {
			tn.t.Fatal(err)
		}
		return strconv.FormatInt(w.ID, 10)
	}
	readWebhook := webhook()
	savedSearch := func() string {
		n := tn.ip.Add(1)
		x := &playhead.SavedSearch{ProjectID: tn.a.ID, Name: fmt.Sprint("saved ", n), Query: "errors:>0"}
		if err := tn.m.DB.CreateSavedSearch(ctx, x); err != nil {
			tn.t.Fatal(err)
		}
		return strconv.FormatInt(x.ID, 10)
	}
	readSavedSearch := savedSearch()
	member := func() {
		if err := tn.m.DB.SetMember(ctx, tn.a.ID, tn.users["spare"].ID, playhead.RoleViewer); err != nil {
			tn.t.Fatal(err)
		}
	}
	n := 0
	// like makes a project of its own, where every caller is what it is
	// in A, for a route that would destroy A or its key.
	like := func() *playhead.Project {
		n++
		p := &playhead.Project{Name: fmt.Sprintf("like A %d", n), IngestKey: server.NewIngestKey()}
		if err := tn.m.DB.CreateProject(ctx, p); err != nil {
			tn.t.Fatal(err)
		}
		for _, c := range callers {
			if c.user != "" && !c.owner && !c.other {
				if err := tn.m.DB.SetMember(ctx, p.ID, tn.users[c.user].ID, c.role); err != nil {
					tn.t.Fatal(err)
				}
			}
		}
		return p
	}
	return map[string]func() request{
		"GET /api/v1/me":       func() request { return request{path: "/api/v1/me", ok: 200} },
		"GET /api/v1/sessions": func() request { return request{path: "/api/v1/sessions", ok: 200} },
		"GET /api/v1/sessions/{id}": func() request {
			return request{path: "/api/v1/sessions/" + readSession, ok: 200}
		},
		"GET /api/v1/sessions/{id}/events": func() request {
			return request{path: "/api/v1/sessions/" + readSession + "/events", ok: 200}
		},
		"POST /api/v1/sessions/{id}/summary": func() request {
			return request{path: "/api/v1/sessions/" + readSession + "/summary", body: `{}`, ok: 200}
		},
		"GET /api/v1/sessions/{id}/steps": func() request {
			return request{path: "/api/v1/sessions/" + readSession + "/steps", ok: 200}
		},
		"GET /api/v1/sessions/{id}/export": func() request {
			return request{path: "/api/v1/sessions/" + readSession + "/export?format=playwright", ok: 200}
		},
		"DELETE /api/v1/sessions/{id}": func() request {
			return request{path: "/api/v1/sessions/" + tn.session(tn.a), ok: 200}
		},
		"GET /api/v1/sessions/{id}/matches": func() request {
			return request{path: "/api/v1/sessions/" + readSession + "/matches?q=errors:%3E0", ok: 200}
		},
		"GET /api/v1/search/suggest": func() request { return request{path: "/api/v1/search/suggest?key=url&prefix=shop", ok: 200} },
		"GET /api/v1/searches":       func() request { return request{path: "/api/v1/searches", ok: 200} },
		"GET /api/v1/searches/{id}":  func() request { return request{path: "/api/v1/searches/" + readSavedSearch, ok: 200} },
		"POST /api/v1/searches": func() request {
			return request{path: "/api/v1/searches", body: fmt.Sprintf(`{"name":"new %d","query":"rage:>0"}`, tn.ip.Add(1)), ok: 201}
		},
		"PATCH /api/v1/searches/{id}": func() request {
			return request{path: "/api/v1/searches/" + savedSearch(), body: fmt.Sprintf(`{"name":"renamed %d"}`, tn.ip.Add(1)), ok: 200}
		},
		"DELETE /api/v1/searches/{id}": func() request { return request{path: "/api/v1/searches/" + savedSearch(), ok: 200} },
		"GET /api/v1/sessions/{id}/keyframes": func() request {
			return request{path: "/api/v1/sessions/" + readSession + "/keyframes", ok: 200}
		},
		// The session is not sealed, so it has no keyframe yet: a caller
		// let through gets the handler's 400 for a time that is not a
		// number, which no refusal answers.
		"GET /api/v1/sessions/{id}/keyframes/{ts}": func() request {
			return request{path: "/api/v1/sessions/" + readSession + "/keyframes/first", ok: 400}
		},
		"GET /api/v1/sessions/{id}/checkpoints": func() request {
			return request{path: "/api/v1/sessions/" + readSession + "/checkpoints", ok: 200}
		},
		"PUT /api/v1/sessions/{id}/checkpoints": func() request {
			return request{path: "/api/v1/sessions/" + readSession + "/checkpoints", body: `{"v":1,"batches":1,"checkpoints":[{"at":1,"seq":0,"idx":0,"z":"AA=="}]}`, ok: 204}
		},
		"POST /api/v1/sessions/import": func() request {
			now := time.Now().UnixMilli()
			return request{path: "/api/v1/sessions/import", body: fmt.Sprintf(`[{"type":4,"timestamp":%d,"data":{"href":"https://shop.example/"}},`+
				`{"type":2,"timestamp":%d,"data":{"node":{"type":0,"childNodes":[],"id":1},"initialOffset":{"left":0,"top":0}}}]`, now, now+1), ok: 201}
		},
		"GET /api/v1/sessions/{id}/shares": func() request {
			return request{path: "/api/v1/sessions/" + readSession + "/shares", ok: 200}
		},
		"POST /api/v1/sessions/{id}/shares": func() request {
			return request{path: "/api/v1/sessions/" + readSession + "/shares", body: `{"expiresInHours":1}`, ok: 201}
		},
		"DELETE /api/v1/sessions/{id}/shares/{share}": func() request {
			l := &playhead.ShareLink{ProjectID: tn.a.ID, SessionID: readSession, TokenHash: fmt.Sprintf("hash-%d", time.Now().UnixNano()),
				CreatedBy: "admin", CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
			if err := tn.m.DB.CreateShareLink(ctx, l); err != nil {
				tn.t.Fatal(err)
			}
			return request{path: fmt.Sprintf("/api/v1/sessions/%s/shares/%d", readSession, l.ID), ok: 200}
		},
		"POST /api/v1/sourcemaps": func() request {
			return request{path: "/api/v1/sourcemaps?release=v1&name=app.js", body: `{"version":3,"sources":["app.ts"],"names":[],"mappings":"AAAA"}`, ok: 201}
		},
		"GET /api/v1/sourcemaps":    func() request { return request{path: "/api/v1/sourcemaps?release=v1", ok: 200} },
		"DELETE /api/v1/sourcemaps": func() request { return request{path: "/api/v1/sourcemaps?release=v0", ok: 200} },
		"POST /api/v1/erase":        func() request { return request{path: "/api/v1/erase", body: `{"userId":"someone"}`, ok: 200} },
		"GET /api/v1/assets/{hash}": func() request { return request{path: "/api/v1/assets/placeholder", ok: 200} },
		"GET /api/v1/assets":        func() request { return request{path: "/api/v1/assets", ok: 200} },
		"GET /api/v1/reports":       func() request { return request{path: "/api/v1/reports", ok: 200} },
		"GET /api/v1/webhooks":      func() request { return request{path: "/api/v1/webhooks", ok: 200} },
		"POST /api/v1/webhooks": func() request {
			return request{path: "/api/v1/webhooks", body: `{"url":"https://hooks.example.com/new"}`, ok: 201}
		},
		"DELETE /api/v1/webhooks/{id}": func() request { return request{path: "/api/v1/webhooks/" + webhook(), ok: 200} },
		"GET /api/v1/webhooks/{id}/deliveries": func() request {
			return request{path: "/api/v1/webhooks/" + readWebhook + "/deliveries", ok: 200}
		},
		"GET /api/v1/projects": func() request { return request{path: "/api/v1/projects", ok: 200} },
		"POST /api/v1/projects": func() request {
			n++
			return request{path: "/api/v1/projects", body: fmt.Sprintf(`{"name":"new %d"}`, n), ok: 201}
		},
		"GET /api/v1/project": func() request { return request{path: "/api/v1/project", ok: 200} },
		"PATCH /api/v1/project": func() request {
			return request{path: "/api/v1/project", body: `{"settings":{"rageClicks":4}}`, ok: 200}
		},
		"DELETE /api/v1/project": func() request {
			p := like()
			return request{path: "/api/v1/project", body: `{"confirm":"` + p.Name + `"}`, ok: 202, project: p}
		},
		"POST /api/v1/project/ingest-key": func() request {
			return request{path: "/api/v1/project/ingest-key", body: `{"graceHours":0}`, ok: 200, project: like()}
		},
		"GET /api/v1/members": func() request { return request{path: "/api/v1/members", ok: 200} },
		"PUT /api/v1/members/{user}": func() request {
			return request{path: "/api/v1/members/spare", body: `{"role":"developer"}`, ok: 200}
		},
		"DELETE /api/v1/members/{user}": func() request { member(); return request{path: "/api/v1/members/spare", ok: 200} },
		"GET /api/v1/tokens":            func() request { return request{path: "/api/v1/tokens", ok: 200} },
		"POST /api/v1/tokens": func() request {
			return request{path: "/api/v1/tokens", body: `{"name":"ci","scopes":["sessions:read"]}`, ok: 201}
		},
		"DELETE /api/v1/tokens/{id}": func() request {
			tok, _ := server.NewAPIToken(tn.a.ID, "to revoke", []string{playhead.ScopeRead})
			if err := tn.m.DB.CreateAPIToken(ctx, tok); err != nil {
				tn.t.Fatal(err)
			}
			return request{path: "/api/v1/tokens/" + strconv.FormatInt(tok.ID, 10), ok: 200}
		},
		"GET /api/v1/audit":        func() request { return request{path: "/api/v1/audit", ok: 200} },
		"GET /api/v1/audit/all":    func() request { return request{path: "/api/v1/audit/all", ok: 200} },
		"GET /api/v1/installation": func() request { return request{path: "/api/v1/installation", ok: 200} },
		"PATCH /api/v1/installation": func() request {
			return request{path: "/api/v1/installation", body: `{"auditRetentionDays":400}`, ok: 200}
		},
		// Each signed-in caller changes their own password once.
		"POST /api/v1/me/password": func() request {
			return request{path: "/api/v1/me/password", body: `{"currentPassword":"` + password + `","newPassword":"another test password"}`, ok: 200}
		},
		"GET /api/v1/users": func() request { return request{path: "/api/v1/users", ok: 200} },
		"POST /api/v1/users/{id}/password": func() request {
			return request{path: "/api/v1/users/" + strconv.FormatInt(tn.users["spare"].ID, 10) + "/password", body: `{}`, ok: 200}
		},
		"POST /api/v1/users/{id}/disable": func() request {
			return request{path: "/api/v1/users/" + strconv.FormatInt(tn.users["spare"].ID, 10) + "/disable", body: `{}`, ok: 200}
		},
		"POST /api/v1/users/{id}/enable": func() request {
			return request{path: "/api/v1/users/" + strconv.FormatInt(tn.users["spare"].ID, 10) + "/enable", body: `{}`, ok: 200}
		},
		"PUT /api/v1/users/{id}/owner": func() request {
			return request{path: "/api/v1/users/" + strconv.FormatInt(tn.users["spare"].ID, 10) + "/owner", body: `{"owner":false}`, ok: 200}
		},
		"GET /api/v1/invites":  func() request { return request{path: "/api/v1/invites", ok: 200} },
		"POST /api/v1/invites": func() request { return request{path: "/api/v1/invites", body: `{"role":"viewer"}`, ok: 201} },
		"DELETE /api/v1/invites/{id}": func() request {
			n++
			inv := &playhead.Invite{TokenHash: fmt.Sprint("tenant-invite-", n), ProjectID: tn.a.ID, Role: playhead.RoleViewer, CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
			if err := tn.m.DB.CreateInvite(ctx, inv); err != nil {
				tn.t.Fatal(err)
			}
			return request{path: "/api/v1/invites/" + strconv.FormatInt(inv.ID, 10), ok: 200}
		},
		"GET /api/v1/login/options":   nil, // public: how one may sign in
		"POST /api/v1/invites/lookup": nil, // public: takes an invitation's token
		"POST /api/v1/invites/accept": nil, // public: takes an invitation's token
		"POST /api/v1/ingest":         nil, // public: takes the ingest key itself
		"OPTIONS /api/v1/ingest":      nil, // public: a CORS preflight
		"GET /api/v1/ingest/config":   nil, // public: takes the ingest key itself
		"POST /api/v1/login":          nil, // public: takes a password
		"POST /api/v1/logout":         nil, // public: ends the caller's own login
	}
}

// want returns the status a caller should get from a route: the recipe's
// on success, 401 without credentials, 404 for a project the caller does
// not see, 403 for one it sees but may not do this in.
func want(rt server.RouteInfo, c callerKind, ok int) int {
	switch {
	case c.user == "" && c.scope == "" && !c.otherToken || c.ingestKey:
		return 401
	}
	isToken := c.scope != "" || c.otherToken
	switch rt.Need {
	case "signed in":
		if isToken {
			return 403
		}
		return ok
	case "owner":
		if c.owner {
			return ok
		}
		return 403
	}
	switch {
	case c.other || c.otherToken:
		return 404
	case c.owner:
		return ok
	case isToken:
		if slices.Contains(rt.Scopes, c.scope) {
			return ok
		}
		return 403
	case c.role.AtLeast(rt.Role):
		return ok
	}
	return 403
}

// TestTenantIsolation calls every API route as every kind of caller, in
// project A: each call a caller may make works, and each other one is
// refused, 404 for a project the caller cannot see (another project's
// user or token), 403 for a role or scope too small, 401 without
// credentials (or with the public ingest key). Another project's callers
// asking for A's sessions, webhooks and tokens in their own project find
// nothing.
func TestTenantIsolation(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) { testTenantIsolation(t, "") })
	t.Run("PostgreSQL", func(t *testing.T) { testTenantIsolation(t, testservers.PostgreSQL(t)) })
}

func testTenantIsolation(t *testing.T, index string) {
	tn := newTenants(t, index)
	recipes := tn.recipes()
	routes := tn.m.Server.Routes()
	for _, rt := range routes {
		key := rt.Method + " " + rt.Path
		recipe, ok := recipes[key]
		if !ok {
			t.Errorf("route %s has no request in the tenant-isolation test: add one", key)
			continue
		}
		if rt.Need == "undeclared" {
			t.Errorf("route %s declares no role", key)
		}
		if recipe == nil {
			if rt.Need != "public" {
				t.Errorf("route %s (%s) is skipped as public but is not", key, rt.Need)
			}
			continue
		}
		for _, c := range callers {
			req := recipe()
			p := tn.a
			if req.project != nil {
				p = req.project
			}
			path := req.path
			if rt.Role != "" {
				path += sep(path) + "project=" + strconv.FormatInt(p.ID, 10)
			}
			var body []byte
			if req.body != "" {
				body = []byte(req.body)
			}
			code, out := tn.call(c, p, rt.Method, path, body)
			if w := want(rt, c, req.ok); code != w {
				t.Errorf("%s as %s: %d, want %d: %.200s", key, c.name, code, w, out)
			}
		}
	}
	for key := range recipes {
		method, path, _ := strings.Cut(key, " ")
		if !slices.ContainsFunc(routes, func(r server.RouteInfo) bool { return r.Method == method && r.Path == path }) {
			t.Errorf("the test has a request for %s, which is no route", key)
		}
	}

	// Another project's admin, and its admin token, in their own project:
	// A's things are not found there, and its lists hold none of A's.
	sid := tn.session(tn.a)
	wh := &playhead.Webhook{ProjectID: tn.a.ID, URL: "https://hooks.example.com/a", Secret: "s"}
	if err := tn.m.DB.CreateWebhook(t.Context(), wh); err != nil {
		t.Fatal(err)
	}
	tok, _ := server.NewAPIToken(tn.a.ID, "a's token", []string{playhead.ScopeRead})
	if err := tn.m.DB.CreateAPIToken(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	saved := &playhead.SavedSearch{ProjectID: tn.a.ID, Name: "a's saved search", Query: "errors:>0"}
	if err := tn.m.DB.CreateSavedSearch(t.Context(), saved); err != nil {
		t.Fatal(err)
	}
	for _, c := range []callerKind{callers[5], {name: "B's admin token", scope: playhead.ScopeAdmin}} {
		for _, r := range []struct {
			method, path string
			body         string
		}{
			{"GET", "/api/v1/sessions/" + sid, ""},
			{"GET", "/api/v1/sessions/" + sid + "/events", ""},
			{"GET", "/api/v1/sessions/" + sid + "/steps", ""},
			{"GET", "/api/v1/sessions/" + sid + "/export", ""},
			{"GET", "/api/v1/sessions/" + sid + "/checkpoints", ""},
			{"DELETE", "/api/v1/sessions/" + sid, ""},
			{"GET", fmt.Sprintf("/api/v1/webhooks/%d/deliveries", wh.ID), ""},
			{"DELETE", fmt.Sprintf("/api/v1/webhooks/%d", wh.ID), ""},
			{"DELETE", fmt.Sprintf("/api/v1/tokens/%d", tok.ID), ""},
			{"GET", "/api/v1/sessions/" + sid + "/matches?q=errors:%3E0", ""},
			{"GET", fmt.Sprintf("/api/v1/searches/%d", saved.ID), ""},
			{"DELETE", fmt.Sprintf("/api/v1/searches/%d", saved.ID), ""},
		} {
			for _, path := range []string{r.path, r.path + sep(r.path) + "project=" + strconv.FormatInt(tn.b.ID, 10)} {
				if code, out := tn.call(c, tn.b, r.method, path, nil); code != 404 {
					t.Errorf("%s %s as %s: %d, want 404: %.200s", r.method, path, c.name, code, out)
				}
			}
		}
		for _, path := range []string{"/api/v1/sessions", "/api/v1/webhooks", "/api/v1/tokens", "/api/v1/audit", "/api/v1/members", "/api/v1/project", "/api/v1/searches"} {
			code, out := tn.call(c, tn.b, "GET", path, nil)
			if code != 200 || strings.Contains(out, sid) || strings.Contains(out, "hooks.example.com/a") || strings.Contains(out, "a's token") || strings.Contains(out, "a's saved search") ||
				strings.Contains(out, tn.a.IngestKey) || strings.Contains(out, `"vera"`) {
				t.Errorf("GET %s as %s: %d, or it shows project A's: %.300s", path, c.name, code, out)
			}
		}
	}
	if code, out := tn.call(callers[5], tn.b, "GET", "/api/v1/projects", nil); code != 200 || strings.Contains(out, `"name":"Default"`) {
		t.Errorf("GET /api/v1/projects as B's admin: %d, lists A: %s", code, out)
	}
}

func sep(path string) string {
	if strings.Contains(path, "?") {
		return "&"
	}
	return "?"
}
