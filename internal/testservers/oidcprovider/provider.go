// Package oidcprovider starts a real OpenID Connect provider for tests:
// zitadel/oidc's provider package (discovery, JWKS, authorize, token,
// userinfo) over in-memory storage, on loopback. Its authorize step has
// no page: it signs in, at once, the user the test has chosen.
package oidcprovider

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// User is a person the provider knows.
type User struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	// Claims are more claims to send, as a provider may (Entra ID's
	// xms_edov).
	Claims map[string]any
}

// Provider is a running OpenID provider with one confidential client.
type Provider struct {
	// Issuer is the provider's URL, as discovery names it.
	Issuer       string
	ClientID     string
	ClientSecret string

	mu           sync.Mutex
	user         *User
	redirects    []string
	claimsInID   bool
	requests     map[string]*authRequest
	codes        map[string]string // code → request ID
	tokens       map[string]*token
	key          *rsa.PrivateKey
	keyID        string
	challenges   []oidc.CodeChallengeMethod
	tokenCalls   int
	signingKey   signingKey
	authRequests int
}

// Start starts a provider on loopback for the test's duration. Its client
// (ClientID, ClientSecret) may redirect to the URIs given to
// AllowRedirect; ID tokens carry the email claims (see ClaimsInIDToken).
func Start(t testing.TB) *Provider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &Provider{
		ClientID:     "playhead-" + random(4),
		ClientSecret: random(16),
		claimsInID:   true,
		requests:     map[string]*authRequest{},
		codes:        map[string]string{},
		tokens:       map[string]*token{},
		key:          key,
		keyID:        random(4),
	}
	p.signingKey = signingKey{id: p.keyID, key: key}
	srv := httptest.NewUnstartedServer(nil)
	issuer := "http://" + srv.Listener.Addr().String()
	var cryptoKey [32]byte
	rand.Read(cryptoKey[:])
	provider, err := op.NewProvider(&op.Config{CryptoKey: cryptoKey, CryptoKeyId: "k1", CodeMethodS256: true, AuthMethodPost: true},
		(*storage)(p), op.StaticIssuer(issuer), op.WithAllowInsecure())
	if err != nil {
		t.Fatal(err)
	}
	callback := op.AuthCallbackURL(provider)
	mux := http.NewServeMux()
	// The login "page": it approves the request for the chosen user, or
	// answers 403 when the test has chosen none.
	mux.Handle("/login", op.NewIssuerInterceptor(provider.IssuerFromRequest).HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("id")
		p.mu.Lock()
		req, ok := p.requests[id]
		user := p.user
		if ok && user != nil {
			req.subject, req.authTime, req.done = user.Subject, time.Now(), true
		}
		p.mu.Unlock()
		switch {
		case !ok:
			http.Error(w, "unknown authorization request", http.StatusBadRequest)
		case user == nil:
			http.Error(w, "no user signs in at this provider", http.StatusForbidden)
		default:
			http.Redirect(w, r, callback(r.Context(), id), http.StatusFound)
		}
	}))
	mux.Handle("/", provider)
	srv.Config.Handler = mux
	srv.Start()
	t.Cleanup(srv.Close)
	p.Issuer = issuer
	return p
}

// SignInAs makes u the user every authorization signs in from now on.
func (p *Provider) SignInAs(u User) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.user = &u
}

// AllowRedirect registers a redirect URI of the client.
func (p *Provider) AllowRedirect(uri string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.redirects = append(p.redirects, uri)
}

// ClaimsInIDToken says whether ID tokens carry the email and profile
// claims (true at first), or only the userinfo endpoint gives them, as
// with some providers.
func (p *Provider) ClaimsInIDToken(in bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.claimsInID = in
}

// Challenges returns the PKCE methods of the authorization requests so
// far, in order ("" for a request without PKCE).
func (p *Provider) Challenges() []oidc.CodeChallengeMethod {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.challenges)
}

// TokenCalls returns how many codes were exchanged for tokens.
func (p *Provider) TokenCalls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tokenCalls
}

func random(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// authRequest is one authorization in progress.
type authRequest struct {
	id, clientID, redirectURI, state, nonce string
	scopes                                  []string
	responseType                            oidc.ResponseType
	responseMode                            oidc.ResponseMode
	challenge                               *oidc.CodeChallenge
	subject                                 string
	authTime                                time.Time
	done                                    bool
}

func (a *authRequest) GetID() string                         { return a.id }
func (a *authRequest) GetACR() string                        { return "" }
func (a *authRequest) GetAMR() []string                      { return []string{"pwd"} }
func (a *authRequest) GetAudience() []string                 { return []string{a.clientID} }
func (a *authRequest) GetAuthTime() time.Time                { return a.authTime }
func (a *authRequest) GetClientID() string                   { return a.clientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.challenge }
func (a *authRequest) GetNonce() string                      { return a.nonce }
func (a *authRequest) GetRedirectURI() string                { return a.redirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType    { return a.responseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode    { return a.responseMode }
func (a *authRequest) GetScopes() []string                   { return a.scopes }
func (a *authRequest) GetState() string                      { return a.state }
func (a *authRequest) GetSubject() string                    { return a.subject }
func (a *authRequest) Done() bool                            { return a.done }

// token is an access token the provider issued.
type token struct {
	subject string
	scopes  []string
	expires time.Time
}

type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k *signingKey) Key() any                                    { return k.key }
func (k *signingKey) ID() string                                  { return k.id }

type publicKey struct{ signingKey }

func (k *publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k *publicKey) Use() string                        { return "sig" }
func (k *publicKey) Key() any                           { return &k.key.PublicKey }

// client is the provider's one client: a confidential web application.
type client struct{ p *Provider }

func (c client) GetID() string { return c.p.ClientID }
func (c client) RedirectURIs() []string {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	return slices.Clone(c.p.redirects)
}
func (c client) PostLogoutRedirectURIs() []string    { return nil }
func (c client) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c client) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodBasic }
func (c client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c client) GrantTypes() []oidc.GrantType        { return []oidc.GrantType{oidc.GrantTypeCode} }
func (c client) LoginURL(id string) string           { return "/login?id=" + id }
func (c client) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeBearer }
func (c client) IDTokenLifetime() time.Duration      { return 5 * time.Minute }
func (c client) DevMode() bool                       { return false }
func (c client) IsScopeAllowed(scope string) bool    { return false }
func (c client) ClockSkew() time.Duration            { return 0 }
func (c client) IDTokenUserinfoClaimsAssertion() bool {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	return c.p.claimsInID
}
func (c client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// storage is the provider's op.Storage, kept in the Provider's maps.
type storage Provider

var _ op.Storage = (*storage)(nil)

func (s *storage) CreateAuthRequest(ctx context.Context, r *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req := &authRequest{id: random(8), clientID: r.ClientID, redirectURI: r.RedirectURI, state: r.State, nonce: r.Nonce,
		scopes: r.Scopes, responseType: r.ResponseType, responseMode: r.ResponseMode}
	if r.CodeChallenge != "" {
		req.challenge = &oidc.CodeChallenge{Challenge: r.CodeChallenge, Method: r.CodeChallengeMethod}
	}
	s.challenges = append(s.challenges, r.CodeChallengeMethod)
	s.authRequests++
	s.requests[req.id] = req
	return req, nil
}

func (s *storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.requests[id]
	if !ok {
		return nil, fmt.Errorf("no authorization request %q", id)
	}
	return req, nil
}

func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	id, ok := s.codes[code]
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("the code is unknown or was used")
	}
	return s.AuthRequestByID(ctx, id)
}

func (s *storage) SaveAuthCode(ctx context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = id
	return nil
}

// DeleteAuthRequest is called once a code was exchanged: the code cannot
// be used again.
func (s *storage) DeleteAuthRequest(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	for code, rid := range s.codes {
		if rid == id {
			delete(s.codes, code)
		}
	}
	return nil
}

func (s *storage) CreateAccessToken(ctx context.Context, r op.TokenRequest) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenCalls++
	id, expires := random(8), time.Now().Add(5*time.Minute)
	s.tokens[id] = &token{subject: r.GetSubject(), scopes: r.GetScopes(), expires: expires}
	return id, expires, nil
}

func (s *storage) CreateAccessAndRefreshTokens(ctx context.Context, r op.TokenRequest, _ string) (string, string, time.Time, error) {
	return "", "", time.Time{}, fmt.Errorf("refresh tokens are not offered")
}

func (s *storage) TokenRequestByRefreshToken(ctx context.Context, _ string) (op.RefreshTokenRequest, error) {
	return nil, op.ErrInvalidRefreshToken
}

func (s *storage) TerminateSession(ctx context.Context, userID, clientID string) error { return nil }

func (s *storage) RevokeToken(ctx context.Context, tokenOrID, userID, clientID string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, tokenOrID)
	return nil
}

func (s *storage) GetRefreshTokenInfo(ctx context.Context, clientID, token string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

func (s *storage) SigningKey(ctx context.Context) (op.SigningKey, error) { return &s.signingKey, nil }

func (s *storage) SignatureAlgorithms(ctx context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *storage) KeySet(ctx context.Context) ([]op.Key, error) {
	return []op.Key{&publicKey{s.signingKey}}, nil
}

func (s *storage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	if id != s.ClientID {
		return nil, fmt.Errorf("no client %q", id)
	}
	return client{(*Provider)(s)}, nil
}

func (s *storage) AuthorizeClientIDSecret(ctx context.Context, id, secret string) error {
	if id != s.ClientID || secret != s.ClientSecret {
		return fmt.Errorf("wrong client credentials")
	}
	return nil
}

// userinfo fills info with what the provider knows of subject: every
// scope's claims are given (openid, email, profile).
func (s *storage) userinfo(info *oidc.UserInfo, subject string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.user == nil || s.user.Subject != subject {
		return fmt.Errorf("no user %q", subject)
	}
	info.Subject = subject
	info.Email, info.EmailVerified = s.user.Email, oidc.Bool(s.user.EmailVerified)
	info.Name = s.user.Name
	for k, v := range s.user.Claims {
		info.AppendClaims(k, v)
	}
	return nil
}

func (s *storage) SetUserinfoFromScopes(ctx context.Context, info *oidc.UserInfo, userID, clientID string, scopes []string) error {
	return nil
}

func (s *storage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, r op.IDTokenRequest, scopes []string) error {
	return s.userinfo(info, r.GetSubject())
}

func (s *storage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, origin string) error {
	s.mu.Lock()
	tok, ok := s.tokens[tokenID]
	s.mu.Unlock()
	if !ok || time.Now().After(tok.expires) {
		return fmt.Errorf("the access token is unknown or has expired")
	}
	return s.userinfo(info, tok.subject)
}

func (s *storage) SetIntrospectionFromToken(ctx context.Context, r *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	return fmt.Errorf("introspection is not offered")
}

func (s *storage) GetPrivateClaimsFromScopes(ctx context.Context, userID, clientID string, scopes []string) (map[string]any, error) {
	return nil, nil
}

func (s *storage) GetKeyByIDAndClientID(ctx context.Context, keyID, clientID string) (*jose.JSONWebKey, error) {
	return nil, fmt.Errorf("client keys are not offered")
}

func (s *storage) ValidateJWTProfileScopes(ctx context.Context, userID string, scopes []string) ([]string, error) {
	return nil, fmt.Errorf("JWT profile grants are not offered")
}

func (s *storage) Health(ctx context.Context) error { return nil }
