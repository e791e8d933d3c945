// Package app wires storage, ingest and the HTTP server into a running
// Playhead. cmd/playhead parses flags into its Config; tests (the end-to-end
// ones included) start a whole Playhead in-process with it.
package app

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/assets"
	"github.com/playhead/playhead/ingest"
	"github.com/playhead/playhead/keyring"
	"github.com/playhead/playhead/objects"
	pwpolicy "github.com/playhead/playhead/password"
	"github.com/playhead/playhead/recording"
	sdk "github.com/playhead/playhead/sdk/browser"
	"github.com/playhead/playhead/server"
	"github.com/playhead/playhead/web"
	"github.com/playhead/playhead/webhook"
)

// Main is a running Playhead: Run opens storage and starts serving, Close
// stops. Tests run it in-process on 127.0.0.1:0 with a temporary data dir.
type Main struct {
	Config Config
	// Stderr receives the first-start notice (the generated admin password).
	Stderr io.Writer
	Logger *slog.Logger

	Project *playhead.Project
	// DB is the index: SQLite under the data directory, or PostgreSQL.
	DB       playhead.Index
	Keyring  *keyring.Keyring
	Ingester *ingest.Ingester
	// Recordings keeps what was stored: sealing, compaction, playback,
	// checkpoints, retention and erasure.
	Recordings *recording.Store
	Server     *server.Server
	Deliverer  *webhook.Deliverer
	Capturer   *assets.Capturer

	cancel   context.CancelFunc
	done     chan struct{}
	stopDemo func(context.Context) error
}

// Run opens the data directory (see Open) and starts the HTTP server and
// the background loops (sealing chunks, retention).
func (m *Main) Run(ctx context.Context) error {
	if err := m.Open(ctx); err != nil {
		return err
	}
	db, objects := m.DB, m.Recordings.Objects
	proxies, err := m.Config.trustedProxies()
	if err != nil {
		return err
	}
	// Single sign-on's settings are checked before anything listens; its
	// callback URL is known once something does.
	if _, err := m.Config.ssoProvider(""); err != nil {
		return err
	}
	projects, err := db.Projects(ctx)
	if err != nil {
		return err
	}
	ssoProjects, err := m.Config.ssoProjects(projects)
	if err != nil {
		return err
	}
	metrics := server.NewMetrics(m.Ingester.QueueDepth)
	m.Ingester.Observe = metrics.ObserveCommit
	m.Ingester.Start()
	m.Server = &server.Server{
		Index:          db,
		Accounts:       db,
		Users:          db,
		Webhooks:       db,
		Backend:        db,
		Assets:         db,
		Searches:       db,
		Shares:         db,
		SourceMaps:     db,
		Objects:        objects,
		Ingester:       m.Ingester,
		Recordings:     m.Recordings,
		Limits:         ingest.DefaultLimits,
		Logger:         m.Logger,
		Web:            web.Dist(),
		SDK:            sdk.IIFE,
		SDKReport:      sdk.ReportIIFE,
		Now:            time.Now,
		Metrics:        metrics,
		MetricsToken:   m.Config.MetricsToken,
		RateLimits:     server.RateLimits{PerProject: m.Config.RateProject, PerIP: m.Config.RateIP},
		TrustedProxies: proxies,
		Ready:          db.Ping,
		Pprof:          m.Config.Pprof,
		IngestWorkers:  m.Config.IngestWorkers,
		KeepClientIP:   m.Config.ClientIP != "none",
		SSOProjects:    ssoProjects,
	}
	demoOn := m.Config.Demo == "true" || m.Config.Demo == "fixed" || m.Config.Demo == "auto" && isLoopback(m.Config.Addr)
	if err := m.Server.Listen(m.Config.Addr); err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
	}
	if demoOn {
		// The demo's backend exports to this server's address, known now.
		m.Server.Demo, m.stopDemo = m.demoHandler()
	}
	publicURL := m.Config.PublicURL
	if publicURL == "" {
		publicURL = m.URL()
	}
	m.Server.PublicURL = publicURL
	if m.Server.SSO, err = m.Config.ssoProvider(publicURL); err != nil {
		return err
	}
	if m.Server.Narrator, err = m.Config.narrator(); err != nil {
		return err
	}
	m.Server.Serve(m.Config.TLSCert, m.Config.TLSKey)
	bg, cancel := context.WithCancel(context.Background())
	m.cancel, m.done = cancel, make(chan struct{})
	retention := m.Config.RetentionInterval
	if retention <= 0 {
		retention = time.Hour
	}
	m.Server.OwnOrigin = m.URL()
	var origins []string
	for _, o := range strings.Split(m.Config.AssetOrigins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			origins = append(origins, strings.TrimRight(o, "/"))
		}
	}
	m.Ingester.AssetOrigins = origins
	m.Capturer = &assets.Capturer{Store: db, Objects: objects, Logger: m.Logger, Now: time.Now,
		Fetcher: assets.NewFetcher(assets.Policy{AllowedOrigins: origins, AllowPrivate: m.Config.AssetsAllowPrivate}),
		Origins: func(ctx context.Context, projectID int64) ([]string, error) {
			p, err := db.Project(ctx, projectID)
			if err != nil {
				return nil, err
			}
			return p.Settings.AssetOrigins, nil
		}}
	m.Deliverer = &webhook.Deliverer{Store: db, Index: db, Client: webhook.NewClient(m.Config.WebhooksAllowPrivate),
		Logger: m.Logger, Now: time.Now, PublicURL: publicURL}
	sealPolicy, sealEvery := m.Config.sealPolicy()
	var loops sync.WaitGroup
	loops.Add(5)
	go func() {
		defer loops.Done()
		m.Capturer.Run(bg, 5*time.Second)
	}()
	go func() {
		defer loops.Done()
		m.Deliverer.Run(bg, 5*time.Second)
	}()
	go func() {
		defer loops.Done()
		m.Recordings.RunSealer(bg, sealPolicy, sealEvery, func(reason string) {
			metrics.ChunksSealed.WithLabelValues(reason).Inc()
		})
	}()
	go func() {
		defer loops.Done()
		m.Recordings.RunRetention(bg, retention, m.PurgeAudit)
	}()
	go func() {
		defer loops.Done()
		m.Recordings.RunJobs(bg, time.Minute)
	}()
	go func() {
		loops.Wait()
		close(m.done)
	}()
	url := m.URL()
	m.Logger.Info("playhead is serving", "dashboard", url+"/", "data", m.Config.DataDir, "ingest_key", m.Project.IngestKey)
	if demoOn {
		m.Logger.Info("demo shop is on", "url", url+"/demo/")
	}
	return nil
}

// Open opens the data directory (index, recordings, master keys) and
// creates the first project and admin account when there are none. Commands
// that work on the data without serving (keys rotate, erase) use it alone.
func (m *Main) Open(ctx context.Context) error {
	if m.Stderr == nil {
		m.Stderr = os.Stderr
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(m.Config.LogLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	m.Logger = slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: level}))

	if err := os.MkdirAll(m.Config.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	// The object store first: a wrong bucket stops the start before an
	// index is created.
	store, err := objects.Open(ctx, m.Config.Objects, m.Config.DataDir)
	if err != nil {
		return err
	}
	db, err := m.Config.openIndex(ctx)
	if err != nil {
		return err
	}
	m.DB = db
	if err := m.bootstrap(ctx); err != nil {
		return err
	}
	if err := m.openKeyring(); err != nil {
		return err
	}
	keys := &keyring.DataKeys{Keyring: m.Keyring, Index: db}
	m.Ingester = &ingest.Ingester{
		Index: db, Logger: m.Logger, Now: time.Now, Keys: keys,
		Limits: playhead.SessionLimits{MaxDuration: m.Config.MaxSessionDuration, MaxBytes: m.Config.MaxSessionBytes},
	}
	m.Recordings = &recording.Store{Objects: store, Index: db, Keys: keys, Logger: m.Logger, Now: time.Now}
	return nil
}

// URL returns the server's base URL, e.g. http://127.0.0.1:8080.
func (m *Main) URL() string {
	scheme := "http://"
	if m.Config.TLSCert != "" {
		scheme = "https://"
	}
	return scheme + m.Server.Addr().String()
}

// openKeyring opens the master keys, creating them on first start.
func (m *Main) openKeyring() error {
	ring, created, err := m.Config.openKeyring()
	if err != nil {
		return err
	}
	m.Keyring = ring
	if created {
		fmt.Fprintf(m.Stderr, "\n  Generated a master key in %s (mode 0600).\n  Back it up: without it no recording can be decrypted.\n\n", m.Config.keyringPath())
	}
	return nil
}

// Close stops the server, waiting for in-flight requests until ctx ends, and
// closes storage.
func (m *Main) Close(ctx context.Context) error {
	var errs []error
	if m.stopDemo != nil {
		// Flush the demo backend's last spans and logs while the server
		// still takes them.
		errs = append(errs, m.stopDemo(ctx))
	}
	if m.Server != nil {
		errs = append(errs, m.Server.Close(ctx))
	}
	if m.cancel != nil {
		m.cancel()
		<-m.done
	}
	if m.Ingester != nil {
		m.Ingester.Close()
	}
	if m.DB != nil {
		errs = append(errs, m.DB.Close())
	}
	return errors.Join(errs...)
}

// bootstrap creates the first project and the admin account on first start.
//
// Nodes starting together on one index take turns (the bootstrap lease),
// so the first project and the admin are created once.
func (m *Main) bootstrap(ctx context.Context) error {
	node := randomToken(8)
	for {
		now := time.Now()
		ok, err := m.DB.AcquireLease(ctx, "bootstrap", node, now, now.Add(time.Minute))
		if err != nil {
			return err
		}
		if ok {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	defer m.DB.ReleaseLease(context.WithoutCancel(ctx), "bootstrap", node)
	projects, err := m.DB.Projects(ctx)
	if err != nil {
		return err
	}
	if len(projects) == 0 {
		p := &playhead.Project{Name: "Default", IngestKey: "phk_" + randomToken(20)}
		if err := m.DB.CreateProject(ctx, p); err != nil {
			return err
		}
		m.Logger.Info("created the first project", "name", p.Name)
		projects = append(projects, p)
	}
	m.Project = projects[0]

	n, err := m.DB.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	password, generated := m.Config.AdminPassword, false
	if password == "" {
		password, generated = randomToken(16), true
	}
	if err := pwpolicy.Check(password, "admin"); err != nil && !generated {
		m.Logger.Warn("PLAYHEAD_ADMIN_PASSWORD is weak: change it in the dashboard", "problem", playhead.ErrorMessage(err))
	}
	hash, err := pwpolicy.Hash(password)
	if err != nil {
		return fmt.Errorf("hash admin password: %w", err)
	}
	if err := m.DB.CreateUser(ctx, &playhead.User{Username: "admin", PasswordHash: hash, CreatedAt: time.Now(), Owner: true}); err != nil {
		return err
	}
	if generated {
		fmt.Fprintf(m.Stderr, "\n  Created the admin account.\n    username: admin\n    password: %s\n  It is shown only this once; set PLAYHEAD_ADMIN_PASSWORD on first start to choose it.\n\n", password)
	} else {
		m.Logger.Info("created the admin account with the configured password", "username", "admin")
	}
	return nil
}

// randomToken returns n random bytes as lower-case base32 without padding.
func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// RotateMasterKey makes key (a new random key when nil) the current master
// key, re-wraps every session's data key under it, and removes the old keys
// from the keyring file. Recordings are not rewritten.
func (m *Main) RotateMasterKey(ctx context.Context, key []byte, out io.Writer) error {
	if key == nil {
		key = keyring.NewKey()
	}
	id, err := m.Keyring.AddCurrent(key)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "new master key %s is current; re-wrapping data keys\n", id)
	total := 0
	// Twice: the second pass catches keys a running server wrapped with the
	// old master key before it saw the new one.
	for pass := range 2 {
		if pass == 1 {
			// A running server looks at the keyring file once a second.
			time.Sleep(2 * time.Second)
		}
		n, err := m.Ingester.Keys.Rewrap(ctx, func(done int) { fmt.Fprintf(out, "\r  %d re-wrapped", total+done) })
		if err != nil {
			return fmt.Errorf("re-wrap: %w (the old keys stay in the keyring; run rotate again)", err)
		}
		total += n
	}
	if err := m.Keyring.Retire(id); err != nil {
		return err
	}
	fmt.Fprintf(out, "\r  %d data keys re-wrapped; old master keys removed from %s\n", total, m.Config.keyringPath())
	return nil
}

// PurgeAudit deletes the audit entries older than the audit log's
// retention period (an installation setting), as the retention pass does.
func (m *Main) PurgeAudit(ctx context.Context) error {
	days, err := server.AuditRetentionDays(ctx, m.DB)
	if err != nil {
		return err
	}
	n, err := m.DB.PurgeAudit(ctx, time.Now().Add(-time.Duration(days)*24*time.Hour))
	if n > 0 {
		m.Logger.Info("audit retention: deleted old entries", "count", n, "days", days)
	}
	return err
}
