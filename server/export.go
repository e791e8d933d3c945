package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/assets"
)

// auditExport records an export before it is sent: one that cannot be
// recorded is not made.
func (s *Server) auditExport(r *http.Request, projectID int64, id, format string) error {
	return s.audit(r, playhead.AuditSessionsExport, id, projectID, map[string]any{"format": format})
}

// export writes session id in one of the export formats: the session's
// rrweb events as stored (scrubbed and masked), or a replay in one HTML
// file.
func (s *Server) export(w http.ResponseWriter, r *http.Request, p *playhead.Project, id, format string) error {
	switch format {
	case "rrweb":
		return s.exportRRWeb(w, r, p, id)
	case "html":
		return s.exportHTML(w, r, p, id)
	default:
		return playhead.Errorf(playhead.EINVALID, "format: %q is not an export format (rrweb, html)", format)
	}
}

// sessionEvents returns a session and all its events, in order.
func (s *Server) sessionEvents(ctx context.Context, p *playhead.Project, id string) (*playhead.Session, [][]byte, error) {
	sess, err := s.Index.Session(ctx, p.ID, id)
	if err != nil {
		return nil, nil, err
	}
	refs, err := s.Index.Batches(ctx, p.ID, id)
	if err != nil {
		return nil, nil, err
	}
	events, err := s.Recordings.ReadEvents(ctx, p.ID, id, refs)
	if err != nil {
		return nil, nil, fmt.Errorf("read events of %s: %w", id, err)
	}
	return sess, events, nil
}

func attachment(w http.ResponseWriter, name string) {
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
}

// exportRRWeb writes the session's events as a JSON array of rrweb events,
// as stored: what rrweb-player and other rrweb readers play. Asset URLs
// stay as recorded.
func (s *Server) exportRRWeb(w http.ResponseWriter, r *http.Request, p *playhead.Project, id string) error {
	_, events, err := s.sessionEvents(r.Context(), p, id)
	if err != nil {
		return err
	}
	if err := s.auditExport(r, p.ID, id, "rrweb"); err != nil {
		return err
	}
	out := joinEvents(events)
	w.Header().Set("Content-Type", "application/json")
	attachment(w, "playhead-"+id+".json")
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	_, err = w.Write(out)
	return err
}

// exportHTML writes the session as one HTML file that replays offline.
func (s *Server) exportHTML(w http.ResponseWriter, r *http.Request, p *playhead.Project, id string) error {
	page, csp, err := s.replayPage(r.Context(), p, id, 0)
	if err != nil {
		return err
	}
	if err := s.auditExport(r, p.ID, id, "html"); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	attachment(w, "playhead-"+id+".html")
	h.Set("Content-Length", strconv.Itoa(len(page)))
	_, err = w.Write(page)
	return err
}

// Captured assets are inlined into a replay page as data: URLs, up to
// MaxInlineAssetBytes in all and MaxInlineAsset each; past that an asset
// is shown as the placeholder.
const (
	MaxInlineAssetBytes = 20 << 20
	MaxInlineAsset      = 5 << 20
)

var placeholderDataURL = "data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString([]byte(placeholderSVG))

// inlineAssets returns an asset mapper that turns captured assets into
// data: URLs while the budget lasts (a stylesheet's own references
// included), and everything else into the placeholder: a replay page
// reaches nothing outside itself.
func (s *Server) inlineAssets(ctx context.Context, projectID int64, urls []string, budget *int) (func(string) string, error) {
	captured, err := s.Assets.CapturedAssets(ctx, projectID, urls)
	if err != nil {
		return nil, err
	}
	inlined := map[string]string{}
	var inline func(abs string, depth int) string
	inline = func(abs string, depth int) string {
		hash, ok := captured[abs]
		if !ok {
			return placeholderDataURL
		}
		if d, ok := inlined[abs]; ok {
			return d
		}
		inlined[abs] = placeholderDataURL
		a, err := s.Assets.AssetByHash(ctx, projectID, hash)
		if err != nil || a.Size > MaxInlineAsset || a.Size > *budget {
			return placeholderDataURL
		}
		data, err := s.Objects.Get(ctx, assets.ObjectKey(projectID, hash))
		if err != nil {
			return placeholderDataURL
		}
		if strings.HasPrefix(a.ContentType, "text/css") && depth == 0 {
			if base, err := url.Parse(a.URL); err == nil {
				refs := assets.CSSURLs(string(data), base)
				if more, err := s.Assets.CapturedAssets(ctx, projectID, refs); err == nil {
					for k, v := range more {
						captured[k] = v
					}
				}
				data = []byte(assets.RewriteCSS(string(data), base, func(u string) string { return inline(u, depth+1) }))
			}
		}
		if len(data) > *budget {
			return placeholderDataURL
		}
		*budget -= len(data)
		d := "data:" + a.ContentType + ";base64," + base64.StdEncoding.EncodeToString(data)
		inlined[abs] = d
		return d
	}
	return func(abs string) string { return inline(abs, 0) }, nil
}

// replayPage builds the self-contained replay of a session: one HTML file
// holding the replayer (the dashboard's export bundle), the session's
// events and its captured assets, under a CSP that allows the page's own
// script and nothing else (no request of any kind). startAt, when not
// zero, is the moment it opens at. It returns the page and its CSP.
func (s *Server) replayPage(ctx context.Context, p *playhead.Project, id string, startAt int64) ([]byte, string, error) {
	sess, events, err := s.sessionEvents(ctx, p, id)
	if err != nil {
		return nil, "", err
	}
	var start *url.URL
	if len(events) > 0 {
		if _, meta := metaHref(events[0]); !meta {
			timeline, err := s.Index.Timeline(ctx, p.ID, id)
			if err != nil {
				return nil, "", err
			}
			start = pageAt(timeline, sess.StartedAt)
		}
	}
	budget := MaxInlineAssetBytes
	if pages, urls := eventAssets(events, start); len(urls) > 0 {
		mapURL, err := s.inlineAssets(ctx, p.ID, urls, &budget)
		if err != nil {
			return nil, "", err
		}
		for i, e := range events {
			events[i] = assets.Rewrite(e, pages[i], mapURL)
		}
	}
	script, err := fs.ReadFile(s.Web, "assets/export.js")
	if err != nil {
		return nil, "", fmt.Errorf("read the export bundle: %w", err)
	}
	style, err := fs.ReadFile(s.Web, "assets/export.css")
	if err != nil {
		return nil, "", fmt.Errorf("read the export styles: %w", err)
	}
	if bytes.Contains(bytes.ToLower(script), []byte("</script")) || bytes.Contains(bytes.ToLower(style), []byte("</style")) {
		return nil, "", fmt.Errorf("the export bundle would end its own element")
	}
	title := "Replay of session " + id
	if sess.FirstURL != "" {
		title = "Replay of " + sess.FirstURL
	}
	title += " · " + time.UnixMilli(sess.StartedAt).UTC().Format("2006-01-02 15:04 UTC")
	meta, err := json.Marshal(map[string]any{"title": title, "sessionId": id, "startAt": startAt})
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(script)
	csp := "default-src 'none'; script-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; " +
		"style-src 'unsafe-inline'; img-src data:; font-src data:; media-src data:; frame-src about:; " +
		"connect-src 'none'; base-uri 'none'; form-action 'none'"
	var b bytes.Buffer
	b.WriteString(`<!doctype html>` + "\n" + `<html lang="en"><head><meta charset="utf-8">` + "\n")
	b.WriteString(`<meta http-equiv="Content-Security-Policy" content="` + csp + `">` + "\n")
	b.WriteString(`<meta name="referrer" content="no-referrer"><meta name="viewport" content="width=device-width, initial-scale=1">` + "\n")
	b.WriteString(`<meta name="generator" content="Playhead">` + "\n")
	b.WriteString(`<title>` + html.EscapeString(title) + `</title>` + "\n<style>")
	b.Write(style)
	b.WriteString("</style></head>\n<body><div id=\"playhead-export\"></div>\n")
	// HTMLEscape turns <, > and & (which valid JSON holds only inside
	// strings) into \u escapes: no recorded text can end the element.
	b.WriteString(`<script type="application/json" id="playhead-events">`)
	json.HTMLEscape(&b, joinEvents(events))
	b.WriteString("</script>\n" + `<script type="application/json" id="playhead-meta">`)
	json.HTMLEscape(&b, meta)
	b.WriteString("</script>\n<script>")
	b.Write(script)
	b.WriteString("</script>\n</body></html>\n")
	return b.Bytes(), csp, nil
}
