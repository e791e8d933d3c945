package assets

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/playhead/playhead"
)

// ObjectKey is where a captured asset's bytes are kept: by project and
// content hash, so a file referenced from many pages is stored once.
func ObjectKey(projectID int64, hash string) string {
	return fmt.Sprintf("assets/%d/%s", projectID, hash)
}

// Capturer fetches the asset URLs recordings reference (queued by ingest),
// under the SSRF policy, and stores what it may fetch by content hash.
type Capturer struct {
	Store   playhead.AssetStore
	Objects playhead.ObjectStore
	// Fetcher fetches under the installation's policy. When Origins is
	// set, a project's assets are fetched under the same policy with the
	// origins Origins names for it allowed too.
	Fetcher *Fetcher
	Origins func(ctx context.Context, projectID int64) ([]string, error)
	Logger  *slog.Logger
	Now     func() time.Time

	mu       sync.Mutex
	projects map[int64]*Fetcher // by project, for Origins
}

// fetcher returns the Fetcher for a project's assets.
func (c *Capturer) fetcher(ctx context.Context, projectID int64) (*Fetcher, error) {
	if c.Origins == nil {
		return c.Fetcher, nil
	}
	extra, err := c.Origins(ctx, projectID)
	if err != nil || len(extra) == 0 {
		return c.Fetcher, err
	}
	origins := slices.Concat(c.Fetcher.Policy.AllowedOrigins, extra)
	c.mu.Lock()
	defer c.mu.Unlock()
	if f, ok := c.projects[projectID]; ok && slices.Equal(f.Policy.AllowedOrigins, origins) {
		return f, nil
	}
	p := c.Fetcher.Policy
	p.AllowedOrigins = origins
	if c.projects == nil {
		c.projects = map[int64]*Fetcher{}
	}
	c.projects[projectID] = NewFetcher(p)
	return c.projects[projectID], nil
}

const maxAttempts = 5

// Run captures due assets every interval until ctx ends.
func (c *Capturer) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := c.RunOnce(ctx); err != nil {
			c.Logger.Error("asset capture", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce makes one attempt at every due asset.
func (c *Capturer) RunOnce(ctx context.Context) error {
	due, err := c.Store.DueAssets(ctx, c.Now(), 50)
	if err != nil {
		return err
	}
	for _, a := range due {
		c.capture(ctx, a)
		if err := c.Store.UpdateAsset(ctx, a); err != nil {
			return err
		}
	}
	return nil
}

func (c *Capturer) capture(ctx context.Context, a *playhead.AssetRecord) {
	a.Attempts++
	f, err := c.fetcher(ctx, a.ProjectID)
	var got *Asset
	if err == nil {
		got, err = f.Fetch(ctx, a.URL)
	}
	if err == nil {
		err = c.Objects.Put(ctx, ObjectKey(a.ProjectID, got.Hash), got.Data)
	}
	switch {
	case err == nil:
		a.Status, a.Hash, a.ContentType, a.Size, a.Error = "captured", got.Hash, got.ContentType, len(got.Data), ""
		if base, perr := url.Parse(got.URL); perr == nil && isCSS(got.ContentType) {
			// A stylesheet's fonts, images and imports are assets too.
			if err := c.Store.AddAssetURLs(ctx, a.ProjectID, CSSURLs(string(got.Data), base), c.Now()); err != nil {
				c.Logger.Error("queue stylesheet assets", "url", a.URL, "err", err)
			}
		}
	case errors.Is(err, ErrRefused):
		a.Status, a.Error = "refused", err.Error()
	case a.Attempts >= maxAttempts:
		a.Status, a.Error = "failed", err.Error()
	default:
		a.Error = err.Error()
		a.NextAttempt = c.Now().Add(time.Duration(a.Attempts*a.Attempts) * 30 * time.Second)
	}
}

func isCSS(contentType string) bool {
	mt, _, _ := declaredType(contentType)
	return mt == "text/css"
}
