package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

const sourcemapsUsage = `Usage: playhead sourcemaps upload -release R [flags] DIR

Uploads every source map (*.map) under DIR as release R's: the map of
DIR/static/app.min.js.map is stored for static/app.min.js (with -prefix
assets/, for assets/static/app.min.js), the path stack frames name the
minified file by. Errors of sessions recorded with the SDK's release option
set to R then show original files, lines and source.

It talks to Playhead's API at -url (PLAYHEAD_URL) with an API token
(-token, or PLAYHEAD_TOKEN) sent as a bearer token, or, without one, logs in
with PLAYHEAD_USER and PLAYHEAD_PASSWORD.

Flags:
`

func runSourcemaps(args []string) error {
	if len(args) == 0 || args[0] != "upload" {
		fmt.Fprint(os.Stderr, sourcemapsUsage)
		return errors.New("sourcemaps: the one command is upload")
	}
	fs := flag.NewFlagSet("sourcemaps upload", flag.ContinueOnError)
	var u sourceMapUpload
	fs.StringVar(&u.Release, "release", "", "the release the maps belong to, as the SDK's release option names it")
	fs.StringVar(&u.URL, "url", envOr("PLAYHEAD_URL", "http://127.0.0.1:8080"), "Playhead's URL (PLAYHEAD_URL)")
	fs.StringVar(&u.Token, "token", os.Getenv("PLAYHEAD_TOKEN"), "an API token (PLAYHEAD_TOKEN)")
	fs.StringVar(&u.Prefix, "prefix", "", "a path put before each file's path under DIR (static/, /assets/, https://cdn.example/)")
	fs.Usage = func() {
		fmt.Fprint(os.Stderr, sourcemapsUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if u.Release == "" || fs.NArg() != 1 {
		fs.Usage()
		return errors.New("sourcemaps upload: -release and one DIR are required")
	}
	u.Dir, u.User, u.Password = fs.Arg(0), os.Getenv("PLAYHEAD_USER"), os.Getenv("PLAYHEAD_PASSWORD")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	return u.run(ctx, os.Stdout)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// sourceMapUpload uploads a folder's source maps for one release.
type sourceMapUpload struct {
	Release, URL, Token, Prefix, Dir string
	// User and Password log in when there is no Token.
	User, Password string
}

func (u *sourceMapUpload) run(ctx context.Context, out io.Writer) error {
	base := strings.TrimRight(u.URL, "/")
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 5 * time.Minute}
	if u.Token == "" {
		if u.User == "" || u.Password == "" {
			return errors.New("sourcemaps upload: give an API token (-token or PLAYHEAD_TOKEN), or PLAYHEAD_USER and PLAYHEAD_PASSWORD to log in")
		}
		login, _ := json.Marshal(map[string]string{"username": u.User, "password": u.Password})
		if err := u.call(ctx, client, "POST", base+"/api/v1/login", login, nil); err != nil {
			return fmt.Errorf("log in to %s: %w", base, err)
		}
	}
	var maps []string
	err := filepath.WalkDir(u.Dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".map") {
			maps = append(maps, p)
		}
		return err
	})
	if err != nil {
		return err
	}
	if len(maps) == 0 {
		return fmt.Errorf("sourcemaps upload: no source map (*.map) under %s", u.Dir)
	}
	failed := 0
	for _, p := range maps {
		rel, _ := filepath.Rel(u.Dir, p)
		name := strings.TrimSuffix(filepath.ToSlash(rel), ".map")
		if u.Prefix != "" {
			name = strings.TrimRight(u.Prefix, "/") + "/" + name
			if !strings.Contains(u.Prefix, "://") {
				name = strings.TrimPrefix(path.Clean(name), "/")
			}
		}
		data, err := os.ReadFile(p)
		if err == nil {
			q := url.Values{"release": {u.Release}, "name": {name}}
			err = u.call(ctx, client, "POST", base+"/api/v1/sourcemaps?"+q.Encode(), data, nil)
		}
		if err != nil {
			failed++
			fmt.Fprintf(out, "failed   %s: %v\n", name, err)
			continue
		}
		fmt.Fprintf(out, "uploaded %s (%d bytes)\n", name, len(data))
	}
	if failed > 0 {
		return fmt.Errorf("sourcemaps upload: %d of %d maps failed", failed, len(maps))
	}
	fmt.Fprintf(out, "%d source maps uploaded for release %s\n", len(maps), u.Release)
	return nil
}

// call sends a JSON body and decodes the answer into v; an error answer
// becomes an error with the server's message.
func (u *sourceMapUpload) call(ctx context.Context, c *http.Client, method, target string, body []byte, v any) error {
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if u.Token != "" {
		req.Header.Set("Authorization", "Bearer "+u.Token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		var e struct {
			Error struct{ Message string }
		}
		if json.Unmarshal(data, &e) == nil && e.Error.Message != "" {
			return fmt.Errorf("%s (%d)", e.Error.Message, resp.StatusCode)
		}
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	if v != nil {
		return json.Unmarshal(data, v)
	}
	return nil
}
