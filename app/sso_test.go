package app_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/app"
	"github.com/playhead/playhead/internal/testservers"
	"github.com/playhead/playhead/internal/testservers/oidcprovider"
)

// startSSO starts an OpenID provider and a Playhead that signs in through
// it, allowing example.com addresses.
func startSSO(t *testing.T) (*oidcprovider.Provider, *app.Main) {
	t.Helper()
	idp := oidcprovider.Start(t)
	m := startWith(t, func(c *app.Config) {
		c.OIDCIssuer, c.OIDCClientID, c.OIDCClientSecret = idp.Issuer, idp.ClientID, idp.ClientSecret
		c.OIDCAllowedDomains = "example.com"
		c.OIDCProjects = "default" // the first project, by name
	})
	idp.AllowRedirect(m.URL() + "/auth/sso/callback")
	return idp, m
}

// browser is a client with cookies that follows redirects, and remembers
// the callback URL the provider sent it to.
type browser struct {
	*http.Client
	callback string
}

func newBrowser(m *app.Main) *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{}
	b.Client = &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), m.URL()+"/auth/sso/callback") {
			b.callback = req.URL.String()
		}
		return nil
	}}
	return b
}

// visit gets u and returns where the redirects ended.
func (b *browser) visit(t *testing.T, u string) *url.URL {
	t.Helper()
	resp, err := b.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.Request.URL
}

// ssoSignIn clicks "Sign in with SSO" and returns where the browser ends.
func (b *browser) ssoSignIn(t *testing.T, m *app.Main) *url.URL {
	t.Helper()
	return b.visit(t, m.URL()+"/auth/sso/start?next=/sessions")
}

// me returns the signed-in user's name, or "" when not signed in.
func (b *browser) me(t *testing.T, m *app.Main) string {
	t.Helper()
	resp, err := b.Get(m.URL() + "/api/v1/me")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return ""
	}
	return string(body)
}

func wantSSOError(t *testing.T, ended *url.URL, msg string) {
	t.Helper()
	if ended.Path != "/login" || !strings.Contains(ended.Query().Get("sso_error"), msg) {
		t.Fatalf("sign-in ended at %s; want /login with an error saying %q", ended, msg)
	}
}

func TestSSOSignIn(t *testing.T) {
	idp, m := startSSO(t)
	ctx := context.Background()

	// The login page offers the button.
	scenario{method: "GET", path: "/api/v1/login/options", wantStatus: 200, want: []string{`"sso":true`}}.run(t, m, nil)

	idp.SignInAs(oidcprovider.User{Subject: "sub-ada", Email: "Ada@Example.com", EmailVerified: true, Name: "Ada"})
	b := newBrowser(m)
	ended := b.ssoSignIn(t, m)
	if ended.Path != "/sessions" || ended.Query().Get("sso_error") != "" {
		t.Fatalf("sign-in ended at %s; want /sessions", ended)
	}
	if me := b.me(t, m); !strings.Contains(me, `"username":"ada@example.com"`) {
		t.Fatalf("after SSO, /api/v1/me = %s; want ada signed in", me)
	}
	u, err := m.DB.UserByIdentity(ctx, idp.Issuer, "sub-ada")
	if err != nil || u.Email != "ada@example.com" || u.PasswordHash != "" || u.Owner {
		t.Fatalf("the new member: %+v, %v", u, err)
	}
	if role, err := m.DB.MemberRole(ctx, m.Project.ID, u.ID); err != nil || role != playhead.RoleViewer {
		t.Fatalf("the new member's role: %q, %v; want viewer", role, err)
	}
	wantAudit(t, m, "user.create ada@example.com ada@example.com", "member.set ada@example.com ada@example.com", "sign_in ada@example.com ada@example.com")

	// A later sign-in finds the same user by issuer and subject, even with
	// another address at the provider.
	idp.SignInAs(oidcprovider.User{Subject: "sub-ada", Email: "ada.lovelace@example.com", EmailVerified: true})
	b2 := newBrowser(m)
	if ended := b2.ssoSignIn(t, m); ended.Path != "/sessions" {
		t.Fatalf("second sign-in ended at %s", ended)
	}
	if n, _ := m.DB.CountUsers(ctx); n != 2 { // admin and ada
		t.Fatalf("%d users after two sign-ins of one person; want 2", n)
	}
	if me := b2.me(t, m); !strings.Contains(me, `"username":"ada@example.com"`) {
		t.Fatalf("second sign-in is %s; want the same user", me)
	}

	// The methods are PKCE S256 every time.
	for i, c := range idp.Challenges() {
		if c != "S256" {
			t.Fatalf("authorization %d used PKCE method %q; want S256", i, c)
		}
	}
}

func TestSSORefusals(t *testing.T) {
	idp, m := startSSO(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		user oidcprovider.User
		want string
	}{
		{"another domain", oidcprovider.User{Subject: "sub-eve", Email: "eve@example.org", EmailVerified: true},
			"addresses at example.org are not among the email domains this Playhead allows"},
		{"unverified email", oidcprovider.User{Subject: "sub-bob", Email: "bob@example.com"},
			"has not verified the email address bob@example.com"},
		{"an address a password account has", oidcprovider.User{Subject: "sub-x", Email: "Carol@example.com", EmailVerified: true},
			"exists already and signs in with a password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.user.Subject == "sub-x" {
				if err := m.DB.CreateUser(ctx, &playhead.User{Username: "carol", PasswordHash: "x", Email: "carol@example.com"}); err != nil {
					t.Fatal(err)
				}
			}
			idp.SignInAs(tc.user)
			b := newBrowser(m)
			wantSSOError(t, b.ssoSignIn(t, m), tc.want)
			if me := b.me(t, m); me != "" {
				t.Fatalf("a refused sign-in is signed in: %s", me)
			}
			if _, err := m.DB.UserByIdentity(ctx, idp.Issuer, tc.user.Subject); playhead.ErrorCode(err) != playhead.ENOTFOUND {
				t.Fatalf("a refused sign-in made a user: %v", err)
			}
			wantAudit(t, m, "sign_in.failed")
		})
	}
}

func TestSSOStateUsedOnce(t *testing.T) {
	idp, m := startSSO(t)
	idp.SignInAs(oidcprovider.User{Subject: "sub-ada", Email: "ada@example.com", EmailVerified: true})
	b := newBrowser(m)
	if ended := b.ssoSignIn(t, m); ended.Path != "/sessions" {
		t.Fatalf("sign-in ended at %s", ended)
	}
	callback := b.callback
	if callback == "" {
		t.Fatal("the provider never sent the browser to the callback")
	}
	// The same callback again, in the same browser: its state cookie is gone.
	wantSSOError(t, b.visit(t, callback), "did not begin in this browser")
	// In another browser, even one that stole the state cookie: the state
	// was taken already.
	other := newBrowser(m)
	cb, _ := url.Parse(callback)
	other.Jar.SetCookies(cb, []*http.Cookie{{Name: "playhead_sso", Value: cb.Query().Get("state"), Path: "/auth/sso/"}})
	wantSSOError(t, other.visit(t, callback), "was used already")
	if me := other.me(t, m); me != "" {
		t.Fatalf("a replayed callback signed in: %s", me)
	}
	// A callback link someone else began (login CSRF): no state cookie here.
	idp.SignInAs(oidcprovider.User{Subject: "sub-mallory", Email: "mallory@example.com", EmailVerified: true})
	attacker := newBrowser(m)
	attacker.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), m.URL()+"/auth/sso/callback") {
			attacker.callback = req.URL.String()
			return http.ErrUseLastResponse
		}
		return nil
	}
	attacker.visit(t, m.URL()+"/auth/sso/start")
	victim := newBrowser(m)
	wantSSOError(t, victim.visit(t, attacker.callback), "did not begin in this browser")
}

// TestSSOStartLimited: each sign-on attempt is stored, so they are limited
// per client address like password sign-ins.
func TestSSOStartLimited(t *testing.T) {
	_, m := startSSO(t)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var last *http.Response
	for range 11 {
		resp, err := noFollow.Get(m.URL() + "/auth/sso/start")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		last = resp
	}
	loc, _ := url.Parse(last.Header.Get("Location"))
	if loc.Path != "/login" || !strings.Contains(loc.Query().Get("sso_error"), "too many login attempts") {
		t.Fatalf("the 11th attempt went to %s; want the login page saying there were too many", loc)
	}
}

func TestSSODisabledUserRefused(t *testing.T) {
	idp, m := startSSO(t)
	ctx := context.Background()
	idp.SignInAs(oidcprovider.User{Subject: "sub-ada", Email: "ada@example.com", EmailVerified: true})
	b := newBrowser(m)
	if ended := b.ssoSignIn(t, m); ended.Path != "/sessions" {
		t.Fatalf("sign-in ended at %s", ended)
	}
	u, err := m.DB.UserByIdentity(ctx, idp.Issuer, "sub-ada")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.DB.SetDisabled(ctx, u.ID, true); err != nil {
		t.Fatal(err)
	}
	if me := b.me(t, m); me != "" {
		t.Fatalf("a disabled user's login still works: %s", me)
	}
	wantSSOError(t, newBrowser(m).ssoSignIn(t, m), "the account ada@example.com is disabled")
}

func TestSSOConfiguration(t *testing.T) {
	for _, tc := range []struct {
		edit func(*app.Config)
		want string
	}{
		{func(c *app.Config) { c.OIDCIssuer, c.OIDCClientID, c.OIDCClientSecret = "http://127.0.0.1:9", "c", "s" }, "no email domain is allowed"},
		{func(c *app.Config) {
			c.OIDCIssuer, c.OIDCClientID, c.OIDCAllowedDomains = "http://127.0.0.1:9", "c", "example.com"
		}, "PLAYHEAD_OIDC_CLIENT_SECRET"},
		{func(c *app.Config) { c.OIDCAllowedDomains = "example.com" }, "need -oidc-issuer"},
		{func(c *app.Config) {
			c.OIDCIssuer, c.OIDCClientID, c.OIDCClientSecret, c.OIDCAllowedDomains, c.OIDCProjects = "http://127.0.0.1:9", "c", "s", "example.com", "Nope"
		}, `no project is named "Nope"`},
	} {
		c := app.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Demo: "false", AdminPassword: password, LogLevel: "error"}
		tc.edit(&c)
		m := &app.Main{Config: c, Stderr: io.Discard}
		err := m.Run(t.Context())
		m.Close(context.Background())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Run = %v; want an error saying %q", err, tc.want)
		}
	}
	// Without single sign-on the login page shows no button.
	m := start(t)
	scenario{method: "GET", path: "/api/v1/login/options", wantStatus: 200, want: []string{`"sso":false`}}.run(t, m, nil)
	scenario{method: "GET", path: "/auth/sso/start", wantStatus: 200}.run(t, m, nil) // redirected to the login page
}

// TestSSOAcrossNodes: two nodes on one PostgreSQL index; a sign-on begun
// on one is finished by the other, which is where the provider sends the
// browser back (behind a load balancer, any node may be).
func TestSSOAcrossNodes(t *testing.T) {
	idp := oidcprovider.Start(t)
	dsn := testservers.PostgreSQL(t)
	sso := func(c *app.Config) {
		c.Index = dsn
		c.OIDCIssuer, c.OIDCClientID, c.OIDCClientSecret = idp.Issuer, idp.ClientID, idp.ClientSecret
		c.OIDCAllowedDomains = "example.com"
	}
	b := startWith(t, sso)
	a := startWith(t, func(c *app.Config) { sso(c); c.PublicURL = b.URL() })
	idp.AllowRedirect(b.URL() + "/auth/sso/callback")
	idp.SignInAs(oidcprovider.User{Subject: "sub-ada", Email: "ada@example.com", EmailVerified: true})
	br := newBrowser(b)
	ended := br.visit(t, a.URL()+"/auth/sso/start")
	if !strings.HasPrefix(br.callback, b.URL()+"/auth/sso/callback") || ended.Path != "/" || ended.Query().Get("sso_error") != "" {
		t.Fatalf("a sign-on begun on node A ended at %s (callback %q); want node B's dashboard", ended, br.callback)
	}
	for _, node := range []*app.Main{a, b} {
		if me := br.me(t, node); !strings.Contains(me, `"username":"ada@example.com"`) {
			t.Fatalf("node %s does not know the login: %s", node.URL(), me)
		}
	}
}
