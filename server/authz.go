package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/playhead/playhead"
)

// Who may call a route. Every route under /api/ is listed in the route
// table (apiRoutes) with what it needs of its caller; a route that needs
// nothing says so (public).
type needKind int

const (
	needUndeclared needKind = iota
	// needPublic: anyone; the handler checks what it takes itself (an
	// ingest key, a password).
	needPublic
	// needSignedIn: a signed-in user, in no particular project.
	needSignedIn
	// needOwner: a signed-in owner of the installation.
	needOwner
	// needProject: a member of the request's project with at least a
	// role, or an API token of that project with one of some scopes.
	needProject
)

// need is what a route needs of its caller.
type need struct {
	kind needKind
	// role is the least role a member needs (needProject).
	role playhead.Role
	// scopes are the API token scopes that may call the route beside
	// ScopeAdmin, which may call every project route an admin may.
	scopes []string
}

var (
	public    = need{kind: needPublic}
	signedIn  = need{kind: needSignedIn}
	ownerOnly = need{kind: needOwner}
)

// member returns the need of a project route: role, or a token with one
// of scopes (or ScopeAdmin).
func member(role playhead.Role, scopes ...string) need {
	return need{kind: needProject, role: role, scopes: scopes}
}

// String says what the need is, for errors and the route list.
func (n need) String() string {
	switch n.kind {
	case needPublic:
		return "public"
	case needSignedIn:
		return "signed in"
	case needOwner:
		return "owner"
	case needProject:
		s := string(n.role)
		for _, sc := range append(slices.Clone(n.scopes), playhead.ScopeAdmin) {
			s += " | token:" + sc
		}
		return s
	}
	return "undeclared"
}

// route is one entry of the route table.
type route struct {
	pattern string
	need    need
	h       apiFunc
}

// RouteInfo describes one API route and who may call it, for tests and
// documentation.
type RouteInfo struct {
	Method, Path string
	// Need is "public", "signed in", "owner", or the least role of a
	// project member followed by the API token scopes that may call it
	// ("viewer | token:sessions:read | token:admin").
	Need string
	// Role is the least project role (for project routes); Scopes the
	// token scopes that may call it (ScopeAdmin last).
	Role   playhead.Role
	Scopes []string
}

// Routes lists every API route and who may call it.
func (s *Server) Routes() []RouteInfo {
	var out []RouteInfo
	for _, rt := range s.apiRoutes() {
		method, path, _ := strings.Cut(rt.pattern, " ")
		info := RouteInfo{Method: method, Path: path, Need: rt.need.String(), Role: rt.need.role}
		if rt.need.kind == needProject {
			info.Scopes = append(slices.Clone(rt.need.scopes), playhead.ScopeAdmin)
		}
		out = append(out, info)
	}
	return out
}

// caller is who makes a request and where: set by authorize.
type caller struct {
	user    *playhead.User     // nil for a token
	token   *playhead.APIToken // nil for a user
	project *playhead.Project  // nil outside project routes
	role    playhead.Role      // the user's role in project
}

type callerKey struct{}

// requestCaller returns who makes a request, as authorize found it.
func requestCaller(r *http.Request) *caller {
	c, _ := r.Context().Value(callerKey{}).(*caller)
	return c
}

// authorize wraps h so that it runs only for a caller n allows: it signs
// the caller in (login cookie or API token), finds the project of a
// project route, and checks role or scope. A project the caller may not
// see is not found, whether it exists or not; one they see but may not do
// this in is forbidden.
func (s *Server) authorize(n need, h apiFunc) apiFunc {
	switch n.kind {
	case needPublic:
		return h
	case needUndeclared:
		panic("route without a declared need")
	}
	return sameOrigin(func(w http.ResponseWriter, r *http.Request) error {
		c, err := s.signIn(w, r)
		if err != nil {
			return err
		}
		switch n.kind {
		case needSignedIn:
			if c.user == nil {
				return playhead.Errorf(playhead.EFORBIDDEN, "API tokens cannot call %s %s: it is for signed-in users", r.Method, r.URL.Path)
			}
		case needOwner:
			if c.user == nil || !c.user.Owner {
				return playhead.Errorf(playhead.EFORBIDDEN, "only an owner of this Playhead may call %s %s", r.Method, r.URL.Path)
			}
		case needProject:
			if err := s.enterProject(r, c, n); err != nil {
				return err
			}
		}
		ctx := context.WithValue(r.Context(), callerKey{}, c)
		if c.user != nil {
			ctx = context.WithValue(ctx, userKey{}, c.user)
		}
		if c.token != nil {
			ctx = context.WithValue(ctx, tokenKey{}, c.token)
		}
		w.Header().Set("Cache-Control", "private, no-cache")
		return h(w, r.WithContext(ctx))
	})
}

// projectParam is the query parameter that names the project of a
// project route.
const projectParam = "project"

// enterProject finds the request's project (its ?project=, else the
// token's, else the user's first) and checks the caller may do n there.
func (s *Server) enterProject(r *http.Request, c *caller, n need) error {
	ctx := r.Context()
	v := r.URL.Query().Get(projectParam)
	var id int64
	if v != "" {
		var err error
		id, err = strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return playhead.Errorf(playhead.ENOTFOUND, "project %q not found", v)
		}
	}
	notFound := playhead.Errorf(playhead.ENOTFOUND, "project %s not found", v)
	if c.token != nil {
		if id != 0 && id != c.token.ProjectID {
			return notFound
		}
		p, err := s.Accounts.Project(ctx, c.token.ProjectID)
		if err != nil {
			return err
		}
		c.project = p
		if !slices.Contains(c.token.Scopes, playhead.ScopeAdmin) && !slices.ContainsFunc(n.scopes, func(sc string) bool { return slices.Contains(c.token.Scopes, sc) }) {
			return playhead.Errorf(playhead.EFORBIDDEN, "this API token (scopes %s) may not call %s %s: it needs scope %s",
				strings.Join(c.token.Scopes, ", "), r.Method, r.URL.Path, strings.Join(append(slices.Clone(n.scopes), playhead.ScopeAdmin), " or "))
		}
		return nil
	}
	if id == 0 {
		list, err := s.Accounts.UserProjects(ctx, c.user.ID)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return playhead.Errorf(playhead.ENOTFOUND, "you are not a member of any project yet: ask an owner or admin to add you")
		}
		c.project, c.role = list[0].Project, list[0].Role
	} else {
		role, err := s.Accounts.MemberRole(ctx, id, c.user.ID)
		if playhead.ErrorCode(err) == playhead.ENOTFOUND {
			return notFound
		}
		if err != nil {
			return err
		}
		if c.project, err = s.Accounts.Project(ctx, id); err != nil {
			return err
		}
		c.role = role
	}
	if !c.role.AtLeast(n.role) {
		return playhead.Errorf(playhead.EFORBIDDEN, "your role in project %q is %s; %s %s needs %s", c.project.Name, c.role, r.Method, r.URL.Path, n.role)
	}
	return nil
}

// signIn finds who makes a request: the API token of an Authorization
// bearer header, or else the user of the login cookie.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) (*caller, error) {
	if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		t, err := s.tokenOf(r.Context(), strings.TrimSpace(v))
		if err != nil {
			return nil, err
		}
		return &caller{token: t}, nil
	}
	u, err := s.loginOf(r)
	if err != nil {
		return nil, err
	}
	return &caller{user: u}, nil
}

// tokenPrefix starts every API token's secret, so that one is recognised
// (and found by secret scanners) when it leaks.
const tokenPrefix = "pht_"

// tokenOf returns the API token whose secret is secret.
func (s *Server) tokenOf(ctx context.Context, secret string) (*playhead.APIToken, error) {
	if !strings.HasPrefix(secret, tokenPrefix) {
		return nil, playhead.Errorf(playhead.EUNAUTHORIZED, "the bearer token is not a Playhead API token (they start with %s); an ingest key cannot read", tokenPrefix)
	}
	t, err := s.Accounts.APITokenByHash(ctx, hashToken(secret))
	if err != nil {
		return nil, err
	}
	now := s.Now()
	if s.tokenTouches.due(t.Hash, now) {
		if err := s.Accounts.TouchAPIToken(ctx, t.ID, now); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// touches remembers when something (a login, an API token) was last
// marked as used, so that it is written at most every loginTouchEvery.
type touches struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// due reports whether key's use should be written now, and if so notes
// that it was.
func (t *touches) due(key string, now time.Time) bool { return t.dueEvery(key, now, loginTouchEvery) }

// dueEvery reports whether key was last noted every or longer before now,
// and if so notes it now.
func (t *touches) dueEvery(key string, now time.Time, every time.Duration) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if last, ok := t.last[key]; ok && now.Sub(last) < every {
		return false
	}
	if t.last == nil || len(t.last) > 10_000 {
		t.last = map[string]time.Time{}
	}
	t.last[key] = now
	return true
}

// NewAPIToken returns a new API token of a project and its secret, which
// is shown once: the token keeps only its hash and first characters.
func NewAPIToken(projectID int64, name string, scopes []string) (*playhead.APIToken, string) {
	b := make([]byte, 32)
	rand.Read(b)
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return &playhead.APIToken{ProjectID: projectID, Name: name, Scopes: scopes, Hash: hashToken(secret), Hint: secret[:len(tokenPrefix)+6]}, secret
}

// clear forgets key, so that it is due again.
func (t *touches) clear(key string) {
	t.mu.Lock()
	delete(t.last, key)
	t.mu.Unlock()
}
