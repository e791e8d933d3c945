package assets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/playhead/playhead/internal/publicnet"
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

	dialer *publicnet.Dialer
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
	f := &Fetcher{Policy: p, dialer: &publicnet.Dialer{AllowPrivate: p.AllowPrivate, Timeout: p.Timeout}}
	transport := &http.Transport{
		Proxy:                  nil, // an environment's proxy would dial for us, unchecked
		DialContext:            f.dialer.DialContext,
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
	var private *publicnet.AddrError
	switch {
	case errors.As(err, &r):
		return fmt.Errorf("fetch %s: %w", rawURL, r)
	case errors.As(err, &private):
		return fmt.Errorf("fetch %s: %w", rawURL, refusal(private.Error()))
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
		if err := f.dialer.Check(ip); err != nil {
			return refusal(err.Error())
		}
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
