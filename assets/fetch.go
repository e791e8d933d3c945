package assets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrRefused is wrapped by every error Fetch returns because the policy
// forbids the fetch: an origin not allowed, a private address, a response too
// large or not an asset. Retrying such a fetch is pointless; any other error
// (a timeout, a refused connection, a 5xx) may be transient.
var ErrRefused = errors.New("refused")

// refusal is a policy refusal; its text says why.
type refusal string

func (r refusal) Error() string { return "refused: " + string(r) }
func (r refusal) Unwrap() error { return ErrRefused }

// Defaults for a Policy's zero fields.
const (
	DefaultMaxBytes     = 10 << 20
	DefaultTimeout      = 10 * time.Second
	DefaultMaxRedirects = 3
)

// userAgent names the fetcher to the sites whose assets it captures.
const userAgent = "Playhead-AssetFetcher/1 (session replay asset capture)"

// Policy is what a Fetcher may reach and how much it may take.
type Policy struct {
	// AllowedOrigins are the exact "scheme://host[:port]" origins the project
	// allows (a default port may be written or not); empty allows none. An
	// entry with a path, query or credentials matches nothing.
	AllowedOrigins []string
	// AllowPrivate also allows loopback, private, link-local and other
	// non-public addresses: for development and the demo, never in production.
	AllowPrivate bool
	// MaxBytes is the largest asset taken, DefaultMaxBytes when zero.
	MaxBytes int64
	// Timeout bounds a whole fetch, redirects and body included;
	// DefaultTimeout when zero.
	Timeout time.Duration
	// MaxRedirects is how many redirects a fetch follows, each of which must
	// stay on an allowed origin: DefaultMaxRedirects when zero, none when
	// negative.
	MaxRedirects int
}

// Asset is one fetched asset.
type Asset struct {
	URL         string // as requested, before any redirect
	Hash        string // hex SHA-256 of Data
	ContentType string // the media type (with its charset, for CSS)
	Data        []byte
}

// Fetcher downloads assets under a Policy. Build it with NewFetcher, one per
// policy (allowed origins are a project's); it is safe for concurrent use as
// long as its Policy is not changed.
type Fetcher struct {
	Policy Policy
	// Client is built by NewFetcher: no proxy, no cookies, and a dialer that
	// checks every address it connects to against the Policy.
	Client *http.Client

	// lookup resolves a host name; tests replace it to simulate DNS answers.
	lookup func(ctx context.Context, host string) ([]netip.Addr, error)
}

// NewFetcher returns a Fetcher for p, its zero limits set to the defaults.
func NewFetcher(p Policy) *Fetcher {
	if p.MaxBytes <= 0 {
		p.MaxBytes = DefaultMaxBytes
	}
	if p.Timeout <= 0 {
		p.Timeout = DefaultTimeout
	}
	if p.MaxRedirects == 0 {
		p.MaxRedirects = DefaultMaxRedirects
	}
	f := &Fetcher{Policy: p, lookup: func(ctx context.Context, host string) ([]netip.Addr, error) {
		return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	}}
	dialer := &net.Dialer{Timeout: p.Timeout, Control: f.checkDial}
	transport := &http.Transport{
		Proxy: nil, // an environment's proxy would dial for us, unchecked
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return f.dial(ctx, dialer, network, addr)
		},
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           32,
		IdleConnTimeout:        30 * time.Second,
		TLSHandshakeTimeout:    p.Timeout,
		MaxResponseHeaderBytes: 64 << 10,
	}
	f.Client = &http.Client{
		Transport: transport,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > f.Policy.MaxRedirects {
				return refusal(fmt.Sprintf("too many redirects: over the limit of %d", max(f.Policy.MaxRedirects, 0)))
			}
			req.Header.Del("Referer")
			return f.checkURL(req.URL)
		},
	}
	return f
}

// Fetch downloads the asset at rawURL, refusing (with an error wrapping
// ErrRefused that names why) what the Policy forbids, before connecting
// wherever it can.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string) (*Asset, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", rawURL, refusal("not a URL"))
	}
	if err := f.checkURL(u); err != nil {
		return nil, fmt.Errorf("fetch %s: %w", rawURL, err)
	}
	ctx, cancel := context.WithTimeout(ctx, f.Policy.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", rawURL, refusal("not a URL"))
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", "text/css,image/*,font/*,application/font-woff2;q=0.9,*/*;q=0.1")
	resp, err := f.Client.Do(req)
	if err != nil {
		return nil, f.failed(ctx, rawURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch %s: status %s", rawURL, resp.Status)
	}
	if resp.ContentLength > f.Policy.MaxBytes {
		return nil, fmt.Errorf("fetch %s: %w", rawURL, f.tooLarge())
	}
	mt, params, declared := declaredType(resp.Header.Get("Content-Type"))
	if declared && !isAssetType(mt) {
		return nil, fmt.Errorf("fetch %s: %w", rawURL, refusal("not an asset content type: "+mt))
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, f.Policy.MaxBytes+1))
	if err != nil {
		return nil, f.failed(ctx, rawURL, err)
	}
	if int64(len(data)) > f.Policy.MaxBytes {
		return nil, fmt.Errorf("fetch %s: %w", rawURL, f.tooLarge())
	}
	ct := mt
	if !declared {
		// Only images and fonts are recognised this way; CSS sniffs as text/plain.
		ct, _, _ = mime.ParseMediaType(http.DetectContentType(data))
		if !isAssetType(ct) {
			return nil, fmt.Errorf("fetch %s: %w", rawURL, refusal("not an asset content type: "+ct+" (sniffed)"))
		}
	} else if mt == "text/css" && params["charset"] != "" {
		ct = mime.FormatMediaType(mt, map[string]string{"charset": params["charset"]})
	}
	sum := sha256.Sum256(data)
	return &Asset{URL: rawURL, Hash: hex.EncodeToString(sum[:]), ContentType: ct, Data: data}, nil
}

func (f *Fetcher) tooLarge() error {
	return refusal(fmt.Sprintf("too large: over the limit of %d bytes", f.Policy.MaxBytes))
}

// failed explains an error of the client or of reading the body.
func (f *Fetcher) failed(ctx context.Context, rawURL string, err error) error {
	var r refusal
	switch {
	case errors.As(err, &r):
		return fmt.Errorf("fetch %s: %w", rawURL, r)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("fetch %s: timeout after %s: %w", rawURL, f.Policy.Timeout, context.DeadlineExceeded)
	}
	if ue := (*url.Error)(nil); errors.As(err, &ue) {
		err = ue.Err // its text repeats the URL
	}
	return fmt.Errorf("fetch %s: %w", rawURL, err)
}

// checkURL refuses a URL, the first or a redirect's, that the policy forbids
// before any connection: not http(s), credentials, an origin not allowed, or
// a literal address that is not public.
func (f *Fetcher) checkURL(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return refusal("not an http(s) URL")
	}
	if u.User != nil {
		return refusal("credentials in URL")
	}
	o := origin(u)
	allowed := false
	for _, a := range f.Policy.AllowedOrigins {
		if au, err := url.Parse(a); err == nil && au.User == nil && (au.Path == "" || au.Path == "/") &&
			au.RawQuery == "" && au.Fragment == "" && au.Host != "" && origin(au) == o {
			allowed = true
			break
		}
	}
	if !allowed {
		return refusal("origin not allowed: " + o)
	}
	if ip, err := netip.ParseAddr(u.Hostname()); err == nil {
		return f.checkAddr(ip)
	}
	return nil
}

// origin returns u's "scheme://host[:port]" in lowercase, without the
// scheme's default port or the host's trailing dot.
func origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	port := u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host
}

// dial resolves addr's host itself and connects to its addresses in turn;
// checkDial vets each address as it is dialed, so what is checked is what is
// connected to, whatever DNS answers next time (rebinding) and wherever a
// redirect points.
func (f *Fetcher) dial(ctx context.Context, dialer *net.Dialer, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else if ips, err = f.lookup(ctx, host); err != nil {
		return nil, err
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("lookup %s: no addresses", host)
	}
	var first error
	for _, ip := range ips {
		ip = ip.Unmap() // dial IPv4 as IPv4, even on a host without IPv6
		conn, err := dialer.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		var r refusal
		if errors.As(err, &r) {
			err = refusal(fmt.Sprintf("%s resolves to a private address: %s", host, ip))
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, first
}

// checkDial is the dialer's Control: it runs on the very address being
// connected to, after resolution, and refuses one that is not public.
func (f *Fetcher) checkDial(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return refusal("unexpected address " + address)
	}
	return f.checkAddr(ap.Addr())
}

func (f *Fetcher) checkAddr(ip netip.Addr) error {
	if f.Policy.AllowPrivate || isPublic(ip) {
		return nil
	}
	return refusal("resolves to a private address: " + ip.String())
}

// nonPublic are the special-purpose ranges (RFC 6890 and successors) that
// netip's predicates do not already cover and that must not be reached from
// a recording: "this network", carrier-grade NAT, IETF and documentation
// blocks, benchmarking, reserved, and IPv6 forms that embed or translate to
// IPv4 addresses (NAT64, 6to4, Teredo, IPv4-compatible).
var nonPublic = func() []netip.Prefix {
	var ps []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24",
		"198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4",
		"::/96", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/32", "2001:db8::/32",
		"2002::/16", "fec0::/10",
	} {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	return ps
}()

// isPublic reports whether ip is a public unicast address: not loopback,
// private, link-local (169.254/16 holds cloud metadata services), multicast,
// unspecified or any of nonPublic, in IPv4 or IPv4-mapped IPv6 form.
func isPublic(ip netip.Addr) bool {
	ip = ip.WithZone("").Unmap()
	if !ip.IsGlobalUnicast() || ip.IsPrivate() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// declaredType parses a Content-Type header, reporting false when there is
// no type to trust (absent, malformed or octet-stream) and the body must be
// sniffed.
func declaredType(header string) (string, map[string]string, bool) {
	mt, params, err := mime.ParseMediaType(header)
	if err != nil || mt == "application/octet-stream" || mt == "binary/octet-stream" {
		return "", nil, false
	}
	return mt, params, true
}

// isAssetType reports whether mt is a stylesheet, image or font type.
func isAssetType(mt string) bool {
	switch {
	case mt == "text/css", mt == "application/vnd.ms-fontobject":
		return true
	case strings.HasPrefix(mt, "image/"), strings.HasPrefix(mt, "font/"),
		strings.HasPrefix(mt, "application/font-"), strings.HasPrefix(mt, "application/x-font"):
		return true
	}
	return false
}
