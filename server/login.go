package server

import (
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/playhead/playhead"
)

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
