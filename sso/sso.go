// Package sso signs people in through an OpenID Connect provider (Google,
// Okta, Keycloak, Authentik, Entra ID…) with the authorization code flow,
// state, nonce and PKCE, using go-oidc and x/oauth2. It says who a person
// is; deciding what they may do is the server's.
package sso

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/playhead/playhead"
)

// Config describes the provider and Playhead's client there.
type Config struct {
	// Issuer is the provider's issuer URL; its discovery document is at
	// Issuer/.well-known/openid-configuration.
	Issuer   string
	ClientID string
	// ClientSecret comes from the environment only.
	ClientSecret string
	// RedirectURL is Playhead's callback, registered at the provider.
	RedirectURL string
	// AllowedDomains are the email domains whose people may sign in
	// (compared without case, exactly: example.com does not admit
	// mail.example.com). At least one is required.
	AllowedDomains []string
	// HTTPClient makes the requests to the provider (nil: one with a
	// 10-second timeout).
	HTTPClient *http.Client
}

// Identity is a person as the provider vouches for them.
type Identity struct {
	Issuer, Subject string
	// Email is verified by the provider and at an allowed domain.
	Email string
	Name  string
}

// Provider signs people in at one OpenID provider. Its discovery document
// is fetched on first use, and again after a failure, so Playhead starts
// while the provider is unreachable.
type Provider struct {
	cfg    Config
	client *http.Client

	mu       sync.Mutex
	provider *oidc.Provider
}

// New checks cfg and returns a Provider.
func New(cfg Config) (*Provider, error) {
	switch {
	case cfg.Issuer == "":
		return nil, fmt.Errorf("the OpenID issuer URL is missing")
	case cfg.ClientID == "":
		return nil, fmt.Errorf("the OpenID client ID is missing")
	case cfg.ClientSecret == "":
		return nil, fmt.Errorf("the OpenID client secret is missing (PLAYHEAD_OIDC_CLIENT_SECRET)")
	case len(cfg.AllowedDomains) == 0:
		return nil, fmt.Errorf("no email domain is allowed to sign in: without one, anyone with an account at the provider could")
	}
	for i, d := range cfg.AllowedDomains {
		d = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "@"))
		if d == "" || strings.ContainsAny(d, "@/ ") {
			return nil, fmt.Errorf("allowed email domain %q is not a domain name", cfg.AllowedDomains[i])
		}
		cfg.AllowedDomains[i] = d
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &Provider{cfg: cfg, client: client}, nil
}

// Issuer returns the provider's issuer URL.
func (p *Provider) Issuer() string { return p.cfg.Issuer }

func (p *Provider) ctx(ctx context.Context) context.Context {
	return context.WithValue(oidc.ClientContext(ctx, p.client), oauth2.HTTPClient, p.client)
}

// discover returns the provider's configuration, fetching it the first
// time.
func (p *Provider) discover(ctx context.Context) (*oidc.Provider, *oauth2.Config, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.provider == nil {
		// The provider keeps the client of this context for its key set.
		prov, err := oidc.NewProvider(p.ctx(context.WithoutCancel(ctx)), p.cfg.Issuer)
		if err != nil {
			return nil, nil, playhead.Errorf(playhead.EUNAVAILABLE, "the single sign-on provider %s could not be reached or is misconfigured: %v", p.cfg.Issuer, err)
		}
		p.provider = prov
	}
	return p.provider, &oauth2.Config{
		ClientID: p.cfg.ClientID, ClientSecret: p.cfg.ClientSecret, RedirectURL: p.cfg.RedirectURL,
		Endpoint: p.provider.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "email", "profile"},
	}, nil
}

// AuthCodeURL returns the provider's address to send the browser to, for
// a sign-in bound to state, nonce and the PKCE verifier (whose S256
// challenge it carries).
func (p *Provider) AuthCodeURL(ctx context.Context, state, nonce, verifier string) (string, error) {
	_, conf, err := p.discover(ctx)
	if err != nil {
		return "", err
	}
	return conf.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), nil
}

// claims are the ID token's and userinfo's claims Playhead reads.
// email_verified is a boolean, or the string "true" with some providers.
// Entra ID sends no email_verified; its xms_edov (an optional claim: the
// email's domain is verified as the tenant's) stands for it.
type claims struct {
	Subject       string          `json:"sub"`
	Email         string          `json:"email"`
	EmailVerified json.RawMessage `json:"email_verified"`
	DomainOwner   json.RawMessage `json:"xms_edov"`
	Name          string          `json:"name"`
}

func (c *claims) verified() bool {
	isTrue := func(v json.RawMessage) bool {
		s := strings.Trim(string(v), `"`)
		return s == "true" || s == "1"
	}
	return isTrue(c.EmailVerified) || isTrue(c.DomainOwner)
}

// Identify exchanges the code the provider sent back (with the PKCE
// verifier), verifies the ID token (signature, issuer, audience, expiry
// and nonce) and returns who signed in. A person whose email is missing,
// unverified or at a domain not allowed is refused with EFORBIDDEN and a
// message that says which.
func (p *Provider) Identify(ctx context.Context, code, verifier, nonce string) (*Identity, error) {
	prov, conf, err := p.discover(ctx)
	if err != nil {
		return nil, err
	}
	ctx = p.ctx(ctx)
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, playhead.Errorf(playhead.EUNAUTHORIZED, "the single sign-on provider refused the sign-in: %v", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return nil, playhead.Errorf(playhead.EUNAUTHORIZED, "the single sign-on provider sent no ID token; is the openid scope allowed for this client?")
	}
	idToken, err := prov.Verifier(&oidc.Config{ClientID: p.cfg.ClientID}).Verify(ctx, raw)
	if err != nil {
		return nil, playhead.Errorf(playhead.EUNAUTHORIZED, "the ID token from the single sign-on provider is not valid: %v", err)
	}
	if idToken.Nonce != nonce {
		return nil, playhead.Errorf(playhead.EUNAUTHORIZED, "the ID token was not issued for this sign-in (its nonce differs); start again")
	}
	var c claims
	if err := idToken.Claims(&c); err != nil {
		return nil, playhead.Errorf(playhead.EUNAUTHORIZED, "the ID token's claims cannot be read: %v", err)
	}
	if c.Email == "" || len(c.EmailVerified) == 0 && len(c.DomainOwner) == 0 {
		// Some providers give the email claims at the userinfo endpoint
		// only. Its answer must be about the same person.
		info, err := prov.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return nil, playhead.Errorf(playhead.EUNAUTHORIZED, "the ID token has no email address and the userinfo endpoint failed: %v", err)
		}
		var ic claims
		if err := info.Claims(&ic); err != nil {
			return nil, playhead.Errorf(playhead.EUNAUTHORIZED, "the userinfo answer cannot be read: %v", err)
		}
		if ic.Subject != idToken.Subject {
			return nil, playhead.Errorf(playhead.EUNAUTHORIZED, "the userinfo answer is about another subject than the ID token")
		}
		if c.Name == "" {
			c.Name = ic.Name
		}
		c.Email, c.EmailVerified, c.DomainOwner = ic.Email, ic.EmailVerified, ic.DomainOwner
	}
	if c.Email == "" {
		return nil, playhead.Errorf(playhead.EFORBIDDEN, "the single sign-on provider sent no email address; Playhead needs the email scope to know who you are")
	}
	if !c.verified() {
		return nil, playhead.Errorf(playhead.EFORBIDDEN, "the single sign-on provider has not verified the email address %s; verify it there, then sign in again", c.Email)
	}
	if !p.allowed(c.Email) {
		return nil, playhead.Errorf(playhead.EFORBIDDEN, "%s may not sign in: addresses at %s are not among the email domains this Playhead allows", c.Email, domain(c.Email))
	}
	return &Identity{Issuer: idToken.Issuer, Subject: idToken.Subject, Email: strings.ToLower(c.Email), Name: c.Name}, nil
}

func domain(email string) string {
	i := strings.LastIndexByte(email, '@')
	if i < 0 {
		return ""
	}
	return strings.ToLower(email[i+1:])
}

func (p *Provider) allowed(email string) bool {
	d := domain(email)
	if d == "" || strings.IndexByte(email, '@') == 0 {
		return false
	}
	for _, a := range p.cfg.AllowedDomains {
		if d == a {
			return true
		}
	}
	return false
}
