package server

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/assets"
)

const (
	assetPath       = "/api/v1/assets/"
	placeholderPath = "/api/v1/assets/placeholder"
)

// assetCSP is sent with every captured asset: an SVG opened directly must
// not run script on Playhead's origin.
const assetCSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:"

// placeholderSVG stands in for an asset that was not captured: a light,
// hatched box, so the replay shows where something was without asking the
// recorded site for it.
const placeholderSVG = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">` +
	`<defs><pattern id="h" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">` +
	`<rect width="8" height="8" fill="#eef0f3"/><rect width="2" height="8" fill="#d5d9e0"/></pattern></defs>` +
	`<rect width="64" height="64" fill="url(#h)"/></svg>`

var hashPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

func (s *Server) handleAsset(w http.ResponseWriter, r *http.Request) error {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", assetCSP)
	hash := r.PathValue("hash")
	if hash == "placeholder" {
		h.Set("Content-Type", "image/svg+xml")
		h.Set("Cache-Control", "private, max-age=86400")
		_, err := w.Write([]byte(placeholderSVG))
		return err
	}
	if !hashPattern.MatchString(hash) {
		return playhead.Errorf(playhead.ENOTFOUND, "asset %q not found", hash)
	}
	p, err := s.project(r.Context())
	if err != nil {
		return err
	}
	a, err := s.Assets.AssetByHash(r.Context(), p.ID, hash)
	if err != nil {
		return err
	}
	data, err := s.Objects.Get(r.Context(), assets.ObjectKey(p.ID, hash))
	if err != nil {
		return err
	}
	if strings.HasPrefix(a.ContentType, "text/css") {
		// A stylesheet's own references point at what was captured too.
		if base, err := url.Parse(a.URL); err == nil {
			mapURL, err := s.assetMapper(r.Context(), p.ID, assets.CSSURLs(string(data), base))
			if err != nil {
				return err
			}
			data = []byte(assets.RewriteCSS(string(data), base, mapURL))
		}
	}
	h.Set("Content-Type", a.ContentType)
	if strings.HasPrefix(a.ContentType, "text/css") {
		// Its references point at the placeholder until what they name is
		// captured: asked again each time.
		h.Set("Cache-Control", "private, no-cache")
	} else {
		// Content-addressed: the bytes under a hash never change.
		h.Set("Cache-Control", "private, max-age=31536000, immutable")
	}
	_, err = w.Write(data)
	return err
}

// handleAssets lists the asset URLs recordings referenced and what became
// of each: captured, refused by the policy (and why), failed, or pending.
func (s *Server) handleAssets(w http.ResponseWriter, r *http.Request) error {
	p, err := s.project(r.Context())
	if err != nil {
		return err
	}
	list, err := s.Assets.Assets(r.Context(), p.ID, 500)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"assets": list})
}

// assetMapper returns the function that rewrites an asset URL for replay:
// a captured asset is served by Playhead, anything else becomes the
// placeholder, and URLs on Playhead's own origin (the demo shop) are left
// as they are, since Playhead serves them itself.
func (s *Server) assetMapper(ctx context.Context, projectID int64, urls []string) (func(string) string, error) {
	captured, err := s.Assets.CapturedAssets(ctx, projectID, urls)
	if err != nil {
		return nil, err
	}
	return capturedMapper(captured, projectID, s.OwnOrigin), nil
}

func capturedMapper(captured map[string]string, projectID int64, ownOrigin string) func(string) string {
	return func(abs string) string {
		if h, ok := captured[abs]; ok {
			return assetPath + h + "?project=" + strconv.FormatInt(projectID, 10)
		}
		if ownOrigin != "" && strings.HasPrefix(abs, ownOrigin+"/") {
			return abs
		}
		return placeholderPath
	}
}

// pendingAssetsHeader tells a player how many of the assets the events it
// got reference are still being captured (served as the placeholder for
// now): it asks again later and shows them once they are captured.
const pendingAssetsHeader = "X-Playhead-Pending-Assets"

// rewriteAssets points the asset URLs of events at Playhead's origin.
// Relative references resolve against the recorded page's URL: start, the
// page at the first event, until a Meta event among them names another.
func (s *Server) rewriteAssets(ctx context.Context, projectID int64, events [][]byte, start *url.URL) error {
	_, err := s.rewriteEventAssets(ctx, projectID, events, start)
	return err
}

// rewriteEventAssets is rewriteAssets that also counts the referenced
// assets still to be captured.
func (s *Server) rewriteEventAssets(ctx context.Context, projectID int64, events [][]byte, start *url.URL) (pending int, err error) {
	pages, urls := eventAssets(events, start)
	if len(urls) == 0 {
		return 0, nil
	}
	captured, err := s.Assets.CapturedAssets(ctx, projectID, urls)
	if err != nil {
		return 0, err
	}
	if len(captured) < len(urls) {
		var rest []string
		for _, u := range urls {
			if _, ok := captured[u]; !ok {
				rest = append(rest, u)
			}
		}
		waiting, err := s.Assets.PendingAssets(ctx, projectID, rest)
		if err != nil {
			return 0, err
		}
		pending = len(waiting)
	}
	mapURL := capturedMapper(captured, projectID, s.OwnOrigin)
	for i, e := range events {
		events[i] = assets.Rewrite(e, pages[i], mapURL)
	}
	return pending, nil
}

// eventAssets returns the page each event was recorded on (for its
// relative references: start until a Meta event names another) and the
// asset URLs the events reference, each once.
func eventAssets(events [][]byte, start *url.URL) (pages []*url.URL, urls []string) {
	pages = make([]*url.URL, len(events))
	page := start
	for i, e := range events {
		if href, ok := metaHref(e); ok {
			page, _ = url.Parse(href)
		}
		pages[i] = page
	}
	seen := map[string]bool{}
	for i, e := range events {
		for _, u := range assets.Discover(e, pages[i]) {
			if !seen[u] {
				seen[u] = true
				urls = append(urls, u)
			}
		}
	}
	return pages, urls
}

// maxNavigations bounds the navigation entries read to find the page of a
// moment: the index keeps far fewer for one session.
const maxNavigations = 1 << 20

// metaHref returns the page URL of a Meta event. Other events are told
// apart without parsing them: a Meta event is small and names an href.
func metaHref(event []byte) (string, bool) {
	if len(event) > 64<<10 || !bytes.Contains(event, []byte(`"href"`)) {
		return "", false
	}
	var m struct {
		Type int `json:"type"`
		Data struct {
			Href string `json:"href"`
		} `json:"data"`
	}
	if json.Unmarshal(event, &m) != nil || m.Type != 4 {
		return "", false
	}
	return m.Data.Href, true
}

// pageAt returns the URL of the page recorded at ts: that of the last page
// load (Meta event) the timeline lists at or before ts, or nil.
func pageAt(timeline []playhead.TimelineEntry, ts int64) *url.URL {
	var page *url.URL
	last := int64(math.MinInt64)
	for _, e := range timeline {
		if e.Kind != playhead.KindNavigation || e.Ts > ts || e.Ts < last {
			continue
		}
		var d struct{ URL, Kind string }
		if json.Unmarshal(e.Detail, &d) != nil || d.Kind != "load" {
			continue
		}
		if u, err := url.Parse(d.URL); err == nil {
			page, last = u, e.Ts
		}
	}
	return page
}
