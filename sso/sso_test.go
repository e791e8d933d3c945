package sso_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/internal/testservers/oidcprovider"
	"github.com/playhead/playhead/sso"
)

const redirect = "http://127.0.0.1:9/auth/oidc/callback"

func setup(t *testing.T) (*oidcprovider.Provider, *sso.Provider) {
	t.Helper()
	idp := oidcprovider.Start(t)
	idp.AllowRedirect(redirect)
	p, err := sso.New(sso.Config{Issuer: idp.Issuer, ClientID: idp.ClientID, ClientSecret: idp.ClientSecret,
		RedirectURL: redirect, AllowedDomains: []string{"Example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	return idp, p
}

// authorize walks the browser's part: from the authorization URL through
// the provider's redirects to Playhead's callback, and returns its query.
func authorize(t *testing.T, p *sso.Provider, state, nonce, verifier string) url.Values {
	t.Helper()
	u, err := p.AuthCodeURL(context.Background(), state, nonce, verifier)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), redirect) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), redirect) {
		t.Fatalf("authorization ended with %d, Location %q; want a redirect to the callback", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got := loc.Query().Get("state"); got != state {
		t.Fatalf("callback state %q; want %q", got, state)
	}
	return loc.Query()
}

func TestIdentify(t *testing.T) {
	idp, p := setup(t)
	idp.SignInAs(oidcprovider.User{Subject: "s-ada", Email: "Ada@example.COM", EmailVerified: true, Name: "Ada Lovelace"})
	verifier := strings.Repeat("v", 43)
	q := authorize(t, p, "state-1", "nonce-1", verifier)
	if got := idp.Challenges(); len(got) != 1 || got[0] != oidc.CodeChallengeMethodS256 {
		t.Fatalf("PKCE methods at the provider: %v; want [S256]", got)
	}
	id, err := p.Identify(context.Background(), q.Get("code"), verifier, "nonce-1")
	if err != nil {
		t.Fatal(err)
	}
	if id.Issuer != idp.Issuer || id.Subject != "s-ada" || id.Email != "ada@example.com" || id.Name != "Ada Lovelace" {
		t.Fatalf("identity %+v", id)
	}
	// A code is good once.
	_, err = p.Identify(context.Background(), q.Get("code"), verifier, "nonce-1")
	wantRefused(t, "a code used twice", err, playhead.EUNAUTHORIZED, "refused the sign-in")
}

func TestIdentifyRefuses(t *testing.T) {
	verifier := strings.Repeat("w", 43)
	for _, tc := range []struct {
		name       string
		user       oidcprovider.User
		onlyInfo   bool // claims only at the userinfo endpoint
		verifier   string
		nonce      string
		code, want string
	}{
		{name: "another domain", user: oidcprovider.User{Subject: "s1", Email: "eve@example.org", EmailVerified: true},
			code: playhead.EFORBIDDEN, want: "addresses at example.org are not among the email domains"},
		{name: "a subdomain", user: oidcprovider.User{Subject: "s1", Email: "eve@mail.example.com", EmailVerified: true},
			code: playhead.EFORBIDDEN, want: "not among the email domains"},
		{name: "unverified email", user: oidcprovider.User{Subject: "s2", Email: "bob@example.com"},
			code: playhead.EFORBIDDEN, want: "has not verified the email address bob@example.com"},
		{name: "unverified email at userinfo", user: oidcprovider.User{Subject: "s2", Email: "bob@example.com"}, onlyInfo: true,
			code: playhead.EFORBIDDEN, want: "has not verified"},
		{name: "no email", user: oidcprovider.User{Subject: "s3", EmailVerified: true},
			code: playhead.EFORBIDDEN, want: "sent no email address"},
		{name: "another nonce", user: oidcprovider.User{Subject: "s4", Email: "ada@example.com", EmailVerified: true}, nonce: "other",
			code: playhead.EUNAUTHORIZED, want: "nonce differs"},
		{name: "wrong PKCE verifier", user: oidcprovider.User{Subject: "s5", Email: "ada@example.com", EmailVerified: true}, verifier: strings.Repeat("x", 43),
			code: playhead.EUNAUTHORIZED, want: "refused the sign-in"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idp, p := setup(t)
			idp.SignInAs(tc.user)
			idp.ClaimsInIDToken(!tc.onlyInfo)
			q := authorize(t, p, "st", "n", verifier)
			v, n := verifier, "n"
			if tc.verifier != "" {
				v = tc.verifier
			}
			if tc.nonce != "" {
				n = tc.nonce
			}
			_, err := p.Identify(context.Background(), q.Get("code"), v, n)
			wantRefused(t, tc.name, err, tc.code, tc.want)
		})
	}
}

func TestClaimsFromUserinfo(t *testing.T) {
	idp, p := setup(t)
	idp.ClaimsInIDToken(false)
	idp.SignInAs(oidcprovider.User{Subject: "s-grace", Email: "grace@example.com", EmailVerified: true})
	v := strings.Repeat("u", 43)
	q := authorize(t, p, "st", "n", v)
	id, err := p.Identify(context.Background(), q.Get("code"), v, "n")
	if err != nil || id.Email != "grace@example.com" || id.Subject != "s-grace" {
		t.Fatalf("Identify with claims at userinfo = %+v, %v", id, err)
	}
}

// TestEntraDomainOwner: Entra ID sends no email_verified; its xms_edov
// claim (the address's domain is verified as the tenant's) stands for it.
func TestEntraDomainOwner(t *testing.T) {
	for _, tc := range []struct {
		edov any
		ok   bool
	}{{true, true}, {false, false}} {
		idp, p := setup(t)
		idp.SignInAs(oidcprovider.User{Subject: "s-entra", Email: "ada@example.com", Claims: map[string]any{"xms_edov": tc.edov}})
		v := strings.Repeat("e", 43)
		q := authorize(t, p, "st", "n", v)
		_, err := p.Identify(context.Background(), q.Get("code"), v, "n")
		if (err == nil) != tc.ok {
			t.Errorf("xms_edov %v: error %v; want signed in %v", tc.edov, err, tc.ok)
		}
	}
}

func TestConfigChecked(t *testing.T) {
	base := sso.Config{Issuer: "https://id.example.com", ClientID: "c", ClientSecret: "s", AllowedDomains: []string{"example.com"}}
	for _, tc := range []struct {
		edit func(*sso.Config)
		want string
	}{
		{func(c *sso.Config) { c.Issuer = "" }, "issuer URL is missing"},
		{func(c *sso.Config) { c.ClientSecret = "" }, "PLAYHEAD_OIDC_CLIENT_SECRET"},
		{func(c *sso.Config) { c.AllowedDomains = nil }, "anyone with an account at the provider"},
		{func(c *sso.Config) { c.AllowedDomains = []string{"a@b.com"} }, "not a domain name"},
	} {
		c := base
		c.AllowedDomains = append([]string(nil), base.AllowedDomains...)
		tc.edit(&c)
		if _, err := sso.New(c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New = %v; want an error saying %q", err, tc.want)
		}
	}
	p, err := sso.New(sso.Config{Issuer: "http://127.0.0.1:9", ClientID: "c", ClientSecret: "s", AllowedDomains: []string{"example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.AuthCodeURL(context.Background(), "s", "n", "v")
	wantRefused(t, "an unreachable provider", err, playhead.EUNAVAILABLE, "could not be reached")
}

func wantRefused(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	if playhead.ErrorCode(err) != code || !strings.Contains(playhead.ErrorMessage(err), msg) {
		t.Fatalf("%s: error %v; want code %s saying %q", what, err, code, msg)
	}
}
