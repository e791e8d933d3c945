package app

import (
	"context"
	"flag"
	"fmt"
	"net/netip"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/keyring"
	"github.com/playhead/playhead/narrate"
	"github.com/playhead/playhead/postgres"
	"github.com/playhead/playhead/recording"
	"github.com/playhead/playhead/sqlite"
	"github.com/playhead/playhead/sso"
)

// Config is the server's configuration. Every field has a flag, and a
// PLAYHEAD_* environment variable that is read when the flag is not given.
type Config struct {
	Addr    string
	DataDir string
	// Index is where the index lives: "sqlite" (the default: index.db in
	// the data directory) or a postgres:// URL.
	Index string
	Demo  string // "auto" (on when listening on loopback), "true", "false" or "fixed" (on, with its bugs fixed)
	// AdminPassword, from PLAYHEAD_ADMIN_PASSWORD only (never a flag), is
	// the password of the admin account created on first start.
	AdminPassword string
	LogLevel      string
	// Objects is the URL of the object store that keeps recordings (see
	// objects.Open): "file" (DataDir/objects), file:///path or
	// s3://bucket/prefix?endpoint=…
	Objects string
	// RateProject and RateIP bound ingest batches a second per project and
	// per client address (0: no limit).
	RateProject float64
	RateIP      float64
	// TrustedProxies are comma-separated addresses or CIDR prefixes whose
	// X-Forwarded-For header is believed.
	TrustedProxies string
	// MaxSessionDuration and MaxSessionBytes bound one session.
	MaxSessionDuration time.Duration
	MaxSessionBytes    int64
	// ClientIP is "anonymized" (keep each session's address cut to its /24
	// or /48) or "none".
	ClientIP string
	// PublicURL is Playhead's base URL as the team reaches it, for links in
	// webhooks (default: the listening address).
	PublicURL string
	// AssetOrigins are the origins (scheme://host[:port], comma-separated)
	// whose stylesheets, fonts and images Playhead may fetch and keep for
	// replay; AssetsAllowPrivate lets it reach private and loopback
	// addresses too (development only).
	AssetOrigins       string
	AssetsAllowPrivate bool
	// WebhooksAllowPrivate lets webhooks reach private and loopback
	// addresses (receivers on the operator's own network, development).
	WebhooksAllowPrivate bool
	// KeyringFile holds the master keys (default: keyring.json in the data
	// directory, created on first start).
	KeyringFile string
	// MetricsToken, from PLAYHEAD_METRICS_TOKEN only (never a flag), is the
	// bearer token /metrics asks for; without one /metrics is off.
	MetricsToken string
	// MasterKey, from PLAYHEAD_MASTER_KEY only (never a flag, which other
	// users of the machine could read), is used as the current master key.
	MasterKey string
	// TLSCert and TLSKey make the server speak HTTPS (with HSTS).
	TLSCert, TLSKey string
	// RetentionInterval is how often expired sessions are deleted.
	RetentionInterval time.Duration
	// SealIdle and SealMaxAge say when a session's pending batches are
	// sealed into a chunk: once it has sent nothing for SealIdle, or once
	// its oldest pending batch is SealMaxAge old (zero: the defaults of
	// recording.DefaultSealPolicy).
	SealIdle, SealMaxAge time.Duration
	// Pprof serves Go's profiler at /debug/pprof/ (for operators chasing a
	// performance problem; it needs a login like the dashboard API).
	Pprof bool
	// IngestWorkers bounds the batches decoded, scrubbed and encrypted at
	// once; zero means four per CPU.
	IngestWorkers int
	// OIDCIssuer and OIDCClientID turn on single sign-on through that
	// OpenID provider; OIDCClientSecret comes from
	// PLAYHEAD_OIDC_CLIENT_SECRET only (never a flag). OIDCAllowedDomains
	// (comma-separated) are the email domains that may sign in, and
	// OIDCProjects (comma-separated names or IDs; default the first
	// project) those that people signing in for the first time join as
	// viewers.
	OIDCIssuer, OIDCClientID, OIDCClientSecret string
	OIDCAllowedDomains, OIDCProjects           string
	// SummaryEndpoint and SummaryModel turn on narrative summaries of
	// sessions' steps by a language model at an OpenAI-compatible
	// endpoint; SummaryAPIKey comes from PLAYHEAD_SUMMARY_API_KEY only.
	SummaryEndpoint, SummaryModel, SummaryAPIKey string
}

// RegisterFlags defines the serve flags on fs.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:8080", "address to listen on (PLAYHEAD_ADDR)")
	fs.StringVar(&c.DataDir, "data", "./playhead-data", "directory for the index, recordings and keys (PLAYHEAD_DATA)")
	fs.StringVar(&c.Index, "index", "sqlite", "the index: sqlite (in the data directory) or postgres://user@host/db; a password is best given as PGPASSWORD (PLAYHEAD_INDEX)")
	fs.StringVar(&c.Objects, "objects", "file", "where recordings are kept: file (DATA/objects), file:///path, or s3://bucket/prefix?endpoint=host:port&region=…&tls=false&path_style=true with credentials from the AWS environment (PLAYHEAD_OBJECTS)")
	fs.StringVar(&c.Demo, "demo", "auto", "serve the demo shop at /demo/: true, false, auto = on when listening on loopback, or fixed = on with its bugs fixed (PLAYHEAD_DEMO)")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error (PLAYHEAD_LOG_LEVEL)")
	fs.Float64Var(&c.RateProject, "rate-project", 5000, "ingest batches a second one project may send; 0 for no limit (PLAYHEAD_RATE_PROJECT)")
	fs.Float64Var(&c.RateIP, "rate-ip", 100, "ingest batches a second one client address may send; 0 for no limit (PLAYHEAD_RATE_IP)")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", "", "comma-separated proxy addresses or CIDRs whose X-Forwarded-For is trusted (PLAYHEAD_TRUSTED_PROXIES)")
	fs.DurationVar(&c.MaxSessionDuration, "max-session-duration", 12*time.Hour, "longest session stored; later batches are refused (PLAYHEAD_MAX_SESSION_DURATION)")
	fs.StringVar(&c.ClientIP, "client-ip", "anonymized", "keep client addresses anonymized (IPv4 /24, IPv6 /48) or none at all (PLAYHEAD_CLIENT_IP)")
	fs.StringVar(&c.PublicURL, "public-url", "", "Playhead's URL as your team reaches it, for replay links in webhooks; default the listening address (PLAYHEAD_PUBLIC_URL)")
	fs.StringVar(&c.AssetOrigins, "asset-origins", "", "comma-separated origins whose stylesheets, fonts and images are captured for replay; none by default (PLAYHEAD_ASSET_ORIGINS)")
	fs.BoolVar(&c.AssetsAllowPrivate, "assets-allow-private", false, "let asset capture reach private and loopback addresses (development only) (PLAYHEAD_ASSETS_ALLOW_PRIVATE)")
	fs.BoolVar(&c.WebhooksAllowPrivate, "webhooks-allow-private", false, "let webhooks reach private and loopback addresses, for receivers on your own network (PLAYHEAD_WEBHOOKS_ALLOW_PRIVATE)")
	fs.StringVar(&c.KeyringFile, "keyring", "", "file of master keys; default DATA/keyring.json, created on first start: back it up (PLAYHEAD_KEYRING)")
	fs.StringVar(&c.TLSCert, "tls-cert", "", "certificate file: serve HTTPS with it and -tls-key (PLAYHEAD_TLS_CERT)")
	fs.StringVar(&c.TLSKey, "tls-key", "", "private key file for -tls-cert (PLAYHEAD_TLS_KEY)")
	fs.DurationVar(&c.RetentionInterval, "retention-interval", time.Hour, "how often sessions past their project's retention are deleted (PLAYHEAD_RETENTION_INTERVAL)")
	fs.DurationVar(&c.SealIdle, "seal-idle", recording.DefaultSealPolicy.Idle, "seal a session's pending batches into a chunk once it has sent nothing this long (PLAYHEAD_SEAL_IDLE)")
	fs.DurationVar(&c.SealMaxAge, "seal-max-age", recording.DefaultSealPolicy.MaxAge, "seal a session's pending batches once the oldest is this old; shorter keeps less in the index, longer makes fewer, larger chunks (PLAYHEAD_SEAL_MAX_AGE)")
	fs.BoolVar(&c.Pprof, "pprof", false, "serve Go's profiler at /debug/pprof/ to logged-in users (PLAYHEAD_PPROF)")
	fs.IntVar(&c.IngestWorkers, "ingest-workers", 0, "batches decoded, scrubbed and encrypted at once; others wait their turn (0: four per CPU) (PLAYHEAD_INGEST_WORKERS)")
	fs.StringVar(&c.OIDCIssuer, "oidc-issuer", "", "single sign-on: the OpenID provider's issuer URL; the client secret is read from PLAYHEAD_OIDC_CLIENT_SECRET (PLAYHEAD_OIDC_ISSUER)")
	fs.StringVar(&c.OIDCClientID, "oidc-client-id", "", "single sign-on: Playhead's client ID at the provider (PLAYHEAD_OIDC_CLIENT_ID)")
	fs.StringVar(&c.OIDCAllowedDomains, "oidc-allowed-domains", "", "single sign-on: comma-separated email domains whose people may sign in, required with -oidc-issuer (PLAYHEAD_OIDC_ALLOWED_DOMAINS)")
	fs.StringVar(&c.SummaryEndpoint, "summary-endpoint", "", "narrative summaries: the base URL of an OpenAI-compatible API (https://api.openai.com/v1, http://127.0.0.1:11434/v1 for Ollama); only a session's already-masked steps are sent; the key is read from PLAYHEAD_SUMMARY_API_KEY (PLAYHEAD_SUMMARY_ENDPOINT)")
	fs.StringVar(&c.SummaryModel, "summary-model", "", "narrative summaries: the model's name at -summary-endpoint (PLAYHEAD_SUMMARY_MODEL)")
	fs.StringVar(&c.OIDCProjects, "oidc-projects", "", "single sign-on: comma-separated project names or IDs that people signing in for the first time join as viewers; default the first project (PLAYHEAD_OIDC_PROJECTS)")
	fs.Int64Var(&c.MaxSessionBytes, "max-session-bytes", 256<<20, "most stored bytes one session may hold (PLAYHEAD_MAX_SESSION_BYTES)")
}

// ApplyEnv fills every flag not set on the command line from its PLAYHEAD_*
// environment variable (the flag name upper-cased, '-' as '_').
func (c *Config) ApplyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || err != nil {
			return
		}
		name := "PLAYHEAD_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(name); v != "" {
			if e := f.Value.Set(v); e != nil {
				err = fmt.Errorf("%s=%q: %v", name, v, e)
			}
		}
	})
	if err != nil {
		return err
	}
	// Secrets come from the environment only: a flag is visible to every
	// user of the machine in the process list.
	c.MasterKey = getenv("PLAYHEAD_MASTER_KEY")
	c.AdminPassword = getenv("PLAYHEAD_ADMIN_PASSWORD")
	c.MetricsToken = getenv("PLAYHEAD_METRICS_TOKEN")
	c.OIDCClientSecret = getenv("PLAYHEAD_OIDC_CLIENT_SECRET")
	c.SummaryAPIKey = getenv("PLAYHEAD_SUMMARY_API_KEY")
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return fmt.Errorf("-tls-cert and -tls-key go together")
	}
	if c.ClientIP != "anonymized" && c.ClientIP != "none" && c.ClientIP != "" {
		return fmt.Errorf("-client-ip: %q is not anonymized or none", c.ClientIP)
	}
	switch c.Demo {
	case "auto", "true", "false", "fixed":
	default:
		if b, e := strconv.ParseBool(c.Demo); e == nil {
			c.Demo = strconv.FormatBool(b)
		} else {
			return fmt.Errorf("-demo: %q is not true, false, auto or fixed", c.Demo)
		}
	}
	return nil
}

// trustedProxies parses TrustedProxies.
func (c *Config) trustedProxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(c.TrustedProxies, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("-trusted-proxies: %q is not an address or CIDR prefix", f)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("-trusted-proxies: %q is not an address or CIDR prefix", f)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// sealPolicy returns when sessions are sealed, and how often the sealer
// looks: an eighth of the idle time, between a second and 15 seconds.
func (c *Config) sealPolicy() (playhead.SealPolicy, time.Duration) {
	p := recording.DefaultSealPolicy
	if c.SealIdle > 0 {
		p.Idle = c.SealIdle
	}
	if c.SealMaxAge > 0 {
		p.MaxAge = c.SealMaxAge
	}
	return p, min(15*time.Second, max(time.Second, p.Idle/8))
}

// keyringPath returns where the master keys are kept.
func (c *Config) keyringPath() string {
	if c.KeyringFile != "" {
		return c.KeyringFile
	}
	return filepath.Join(c.DataDir, "keyring.json")
}

// openKeyring opens the master keys (see keyring.Open), with
// PLAYHEAD_MASTER_KEY's in front of the file's.
func (c *Config) openKeyring() (ring *keyring.Keyring, created bool, err error) {
	var env []byte
	if c.MasterKey != "" {
		if env, err = keyring.ParseKey(c.MasterKey); err != nil {
			return nil, false, fmt.Errorf("PLAYHEAD_MASTER_KEY: %w", err)
		}
	}
	return keyring.Open(c.keyringPath(), env)
}

// openIndex opens the index the configuration names.
func (c *Config) openIndex(ctx context.Context) (playhead.Index, error) {
	switch {
	case c.Index == "" || c.Index == "sqlite":
		return sqlite.Open(ctx, filepath.Join(c.DataDir, "index.db"))
	case strings.HasPrefix(c.Index, "postgres://") || strings.HasPrefix(c.Index, "postgresql://"):
		return postgres.Open(ctx, c.Index)
	default:
		return nil, fmt.Errorf("-index: %q is neither sqlite nor a postgres:// URL", redactURL(c.Index))
	}
}

// redactURL returns u with any password replaced, for messages and logs.
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(an unparsable URL)"
	}
	return p.Redacted()
}

// ssoProvider returns the single sign-on provider the configuration
// names, or nil when -oidc-issuer is not set. Its callback is under
// publicURL.
func (c *Config) ssoProvider(publicURL string) (*sso.Provider, error) {
	if c.OIDCIssuer == "" {
		if c.OIDCClientID != "" || c.OIDCAllowedDomains != "" || c.OIDCProjects != "" {
			return nil, fmt.Errorf("-oidc-client-id, -oidc-allowed-domains and -oidc-projects need -oidc-issuer")
		}
		return nil, nil
	}
	var domains []string
	for _, d := range strings.Split(c.OIDCAllowedDomains, ",") {
		if d = strings.TrimSpace(d); d != "" {
			domains = append(domains, d)
		}
	}
	p, err := sso.New(sso.Config{Issuer: c.OIDCIssuer, ClientID: c.OIDCClientID, ClientSecret: c.OIDCClientSecret,
		RedirectURL: strings.TrimRight(publicURL, "/") + "/auth/sso/callback", AllowedDomains: domains})
	if err != nil {
		return nil, fmt.Errorf("single sign-on (-oidc-issuer): %w", err)
	}
	return p, nil
}

// ssoProjects returns the IDs of the projects -oidc-projects names (by
// name or ID), or the first project's when it names none.
func (c *Config) ssoProjects(projects []*playhead.Project) ([]int64, error) {
	var ids []int64
	for _, f := range strings.Split(c.OIDCProjects, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		i := slices.IndexFunc(projects, func(p *playhead.Project) bool {
			return strings.EqualFold(p.Name, f) || strconv.FormatInt(p.ID, 10) == f
		})
		if i < 0 {
			return nil, fmt.Errorf("-oidc-projects: no project is named %q or has that ID", f)
		}
		ids = append(ids, projects[i].ID)
	}
	if len(ids) == 0 && len(projects) > 0 {
		ids = append(ids, projects[0].ID)
	}
	return ids, nil
}

// narrator returns the summaries' language model the flags name, or nil
// when -summary-endpoint is not set.
func (c *Config) narrator() (*narrate.Narrator, error) {
	if c.SummaryEndpoint == "" {
		if c.SummaryModel != "" {
			return nil, fmt.Errorf("-summary-model needs -summary-endpoint")
		}
		return nil, nil
	}
	n, err := narrate.New(narrate.Config{Endpoint: c.SummaryEndpoint, Model: c.SummaryModel, APIKey: c.SummaryAPIKey})
	if err != nil {
		return nil, fmt.Errorf("narrative summaries: %w", err)
	}
	return n, nil
}
