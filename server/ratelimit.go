package server

import (
	"math"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/playhead/playhead"
)

// RateLimits bound how many batches a second one project, and one client
// address, may send. Zero turns a limit off.
type RateLimits struct {
	PerProject float64
	PerIP      float64
}

// limiters hands out one token bucket per key (a project, a client
// address); buckets idle for a while are forgotten.
type limiters struct {
	perSecond float64
	// burst is how many tokens a bucket holds: ten seconds' worth when
	// zero, which absorbs a page's flush on unload and SDK retries after an
	// outage.
	burst   int
	mu      sync.Mutex
	buckets map[string]*bucket
	pruned  time.Time
}

type bucket struct {
	lim  *rate.Limiter
	used time.Time
}

// allow takes one token for key, or says how long to wait for one.
func (l *limiters) allow(key string, now time.Time) (ok bool, retryAfter time.Duration) {
	if l == nil || l.perSecond <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buckets == nil {
		l.buckets = map[string]*bucket{}
	}
	b := l.buckets[key]
	if b == nil {
		burst := l.burst
		if burst <= 0 {
			burst = int(math.Max(1, 10*l.perSecond))
		}
		b = &bucket{lim: rate.NewLimiter(rate.Limit(l.perSecond), burst)}
		l.buckets[key] = b
	}
	b.used = now
	if now.Sub(l.pruned) > time.Minute {
		for k, v := range l.buckets {
			if now.Sub(v.used) > 10*time.Minute {
				delete(l.buckets, k)
			}
		}
		l.pruned = now
	}
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

func rateLimited(what string, perSecond float64, retryAfter time.Duration) error {
	retryAfter = time.Duration(math.Ceil(retryAfter.Seconds())) * time.Second
	return &retryError{
		err:        playhead.Errorf(playhead.ERATELIMITED, "%s sends more than the limit of %g batches a second; retry after %s", what, perSecond, retryAfter),
		retryAfter: retryAfter,
	}
}

// retryError is an error that tells the client when to come back.
type retryError struct {
	err        *playhead.Error
	retryAfter time.Duration
}

func (e *retryError) Error() string { return e.err.Error() }
func (e *retryError) Unwrap() error { return e.err }

// ClientIP returns the address of the client: the connection's peer, or,
// when that peer is a trusted proxy, the last address in X-Forwarded-For
// that is not itself a trusted proxy.
func ClientIP(r *http.Request, trusted []netip.Prefix) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	peer = peer.Unmap()
	if !isTrusted(peer, trusted) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		a = a.Unmap()
		if !isTrusted(a, trusted) {
			return a
		}
		peer = a
	}
	return peer
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientKey is the key a client address is rate-limited by: the address
// itself for IPv4, its /64 for IPv6, since one subscriber or host usually
// holds a whole /64.
func clientKey(ip netip.Addr) string {
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}
