package server

import (
	"crypto/rand"
	"encoding/base64"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/playhead/playhead"
)

// A login ends after loginIdle without use, and loginLifetime after it
// began in any case. Its expiry in the index is the idle deadline, moved
// on by use at most every loginTouchEvery (a write per request would
// compete with ingest for the index); its start is in the cookie's value,
// which cannot be changed without changing the token.
const (
	loginIdle       = 12 * time.Hour
	loginLifetime   = 7 * 24 * time.Hour
	loginTouchEvery = time.Minute
)

// newLoginToken returns a new login cookie value: the Unix time it was
// issued, a dot, and 32 random bytes.
func newLoginToken(now time.Time) string {
	token := make([]byte, 32)
	rand.Read(token)
	return strconv.FormatInt(now.Unix(), 10) + "." + base64.RawURLEncoding.EncodeToString(token)
}

// loginIssued returns when a login cookie value was issued.
func loginIssued(value string) (time.Time, bool) {
	ts, _, ok := strings.Cut(value, ".")
	n, err := strconv.ParseInt(ts, 10, 64)
	if !ok || err != nil {
		return time.Time{}, false
	}
	return time.Unix(n, 0), true
}

// viaHTTPS reports whether the browser reached Playhead over HTTPS:
// directly, or through a trusted proxy that says so in X-Forwarded-Proto.
func (s *Server) viaHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !isTrusted(peer.Unmap(), s.TrustedProxies) {
		return false
	}
	proto, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	return strings.EqualFold(strings.TrimSpace(proto), "https")
}

// Login attempts are limited per client address and per account, each to a
// burst of loginBurst and then one every loginEvery, so that guessing a
// password takes years and cannot spend the server's CPU on bcrypt. A
// successful login counts too: a person logs in a few times a day.
const (
	loginBurst = 10
	loginEvery = 6 * time.Second
)

func newLoginLimiters() *limiters {
	return &limiters{perSecond: 1 / loginEvery.Seconds(), burst: loginBurst}
}

// allowLogin takes one login attempt from the client's address and one
// from the account named, before any password is checked.
func (s *Server) allowLogin(r *http.Request, username string) error {
	now := s.Now()
	if ok, wait := s.loginIPLimits.allow(clientKey(ClientIP(r, s.TrustedProxies)), now); !ok {
		return tooManyLogins("from this client address", now, wait)
	}
	if ok, wait := s.loginUserLimits.allow(strings.ToLower(username), now); !ok {
		return tooManyLogins("for this account", now, wait)
	}
	return nil
}

func tooManyLogins(who string, now time.Time, wait time.Duration) error {
	wait = time.Duration(math.Ceil(wait.Seconds())) * time.Second
	return &retryError{
		err: playhead.Errorf(playhead.ERATELIMITED, "too many login attempts %s (at most %d, then one every %s); retry after %s (at %s)",
			who, loginBurst, loginEvery, wait, now.Add(wait).UTC().Format("15:04:05 UTC")),
		retryAfter: wait,
	}
}
