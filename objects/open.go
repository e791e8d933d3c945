// Package objects opens the object store an operator names with a URL:
// a local directory (objects/file) or an S3-compatible bucket (objects/s3).
package objects

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/objects/file"
	"github.com/playhead/playhead/objects/s3"
)

// Open returns the object store rawURL names:
//
//   - "" or "file": the directory "objects" in dataDir, where Playhead
//     has always kept recordings;
//   - "file:///abs/path": that directory;
//   - "s3://bucket/prefix?endpoint=host:port&region=r&tls=false&path_style=true":
//     keys under prefix (optional) in bucket. endpoint is the server's
//     host[:port] (default AWS S3); region the bucket's region (default:
//     asked of the server); tls=false speaks plain HTTP; path_style=true
//     names the bucket in the path (endpoint/bucket), false in the host
//     name (bucket.endpoint), and by default the client picks.
//
// Credentials never go in the URL: a URL with a user or password is refused.
// The S3 store takes them from the AWS environment variables, the shared
// credentials file or the instance role, and Open checks them and the bucket
// before it returns.
func Open(ctx context.Context, rawURL, dataDir string) (playhead.ObjectStore, error) {
	if rawURL == "" || rawURL == "file" {
		return file.New(filepath.Join(dataDir, "objects"))
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		// The error would repeat the URL, and with it anything pasted in.
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err
		}
		return nil, fmt.Errorf("object storage URL: %v", err)
	}
	if u.User != nil {
		return nil, errors.New("object storage URL: it holds credentials, which would show in logs and process lists: " +
			"remove them and set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or use a shared credentials file or an instance role)")
	}
	// Errors show the URL without its parameters, where a secret could
	// have been put by mistake.
	shown := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
	if u.Fragment != "" {
		return nil, fmt.Errorf("object storage URL %s: a fragment (#...) means nothing here", shown)
	}
	switch u.Scheme {
	case "file":
		if u.Opaque != "" || (u.Host != "" && u.Host != "localhost") || !filepath.IsAbs(filepath.FromSlash(u.Path)) {
			return nil, fmt.Errorf("object storage URL %s: want file:///absolute/path", shown)
		}
		if u.RawQuery != "" {
			return nil, fmt.Errorf("object storage URL %s: a file URL takes no parameters", shown)
		}
		return file.New(filepath.FromSlash(u.Path))
	case "s3":
		cfg, err := s3Config(u)
		if err != nil {
			return nil, fmt.Errorf("object storage URL %s: %w", shown, err)
		}
		return s3.Open(ctx, cfg)
	}
	return nil, fmt.Errorf("object storage URL: scheme %q is not file or s3", u.Scheme)
}

// s3Params are the parameters an s3:// URL may carry.
var s3Params = []string{"endpoint", "region", "tls", "path_style"}

func s3Config(u *url.URL) (s3.Config, error) {
	if u.Host == "" {
		return s3.Config{}, errors.New("no bucket: want s3://bucket/prefix")
	}
	cfg := s3.Config{Bucket: u.Host, Prefix: strings.Trim(u.Path, "/")}
	q := u.Query()
	for name, values := range q {
		if !slices.Contains(s3Params, name) {
			// Only the name: a value could be a secret put in the wrong place.
			return s3.Config{}, fmt.Errorf("unknown parameter %q (known: %s)", name, strings.Join(s3Params, ", "))
		}
		if len(values) > 1 {
			return s3.Config{}, fmt.Errorf("parameter %q given %d times", name, len(values))
		}
	}
	cfg.Endpoint = q.Get("endpoint")
	cfg.Region = q.Get("region")
	if v := q.Get("tls"); v != "" {
		tls, err := strconv.ParseBool(v)
		if err != nil {
			return s3.Config{}, fmt.Errorf("tls=%q: want true or false", v)
		}
		cfg.PlainHTTP = !tls
	}
	if v := q.Get("path_style"); v != "" {
		path, err := strconv.ParseBool(v)
		if err != nil {
			return s3.Config{}, fmt.Errorf("path_style=%q: want true or false", v)
		}
		cfg.Addressing = s3.AddressingVirtualHost
		if path {
			cfg.Addressing = s3.AddressingPath
		}
	}
	return cfg, nil
}
