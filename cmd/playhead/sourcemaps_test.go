package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/app"
	"github.com/playhead/playhead/server"
)

func TestSourcemapsUpload(t *testing.T) {
	m := &app.Main{Config: app.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), AdminPassword: "a test password", LogLevel: "error"}, Stderr: io.Discard}
	if err := m.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(context.Background()) })
	dir := t.TempDir()
	smap, err := os.ReadFile("../../sourcemaps/testdata/shop.min.js.map")
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "js"), 0o755)
	os.WriteFile(filepath.Join(dir, "js", "shop.min.js.map"), smap, 0o644)
	os.WriteFile(filepath.Join(dir, "js", "shop.min.js"), []byte("minified"), 0o644)

	u := &sourceMapUpload{Release: "shop@3.0.0", URL: m.URL(), Prefix: "static/", Dir: dir, User: "admin", Password: "a test password"}
	var out bytes.Buffer
	if err := u.run(t.Context(), &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "uploaded static/js/shop.min.js") || !strings.Contains(out.String(), "1 source maps uploaded for release shop@3.0.0") {
		t.Errorf("output = %s", out.String())
	}
	maps, err := m.DB.SourceMaps(t.Context(), m.Project.ID, "shop@3.0.0")
	if err != nil || len(maps) != 1 || maps[0].Name != "static/js/shop.min.js" {
		t.Errorf("stored maps = %+v, %v", maps, err)
	}

	// With an API token of scope sourcemaps, as a CI pipeline uploads;
	// one of another scope may not.
	tok, secret := server.NewAPIToken(m.Project.ID, "ci", []string{playhead.ScopeSourceMaps})
	if err := m.DB.CreateAPIToken(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	ci := &sourceMapUpload{Release: "shop@3.0.1", URL: m.URL(), Dir: dir, Token: secret}
	if err := ci.run(t.Context(), &out); err != nil {
		t.Fatalf("upload with a token: %v\n%s", err, out.String())
	}
	if maps, _ := m.DB.SourceMaps(t.Context(), m.Project.ID, "shop@3.0.1"); len(maps) != 1 || maps[0].Name != "js/shop.min.js" {
		t.Errorf("maps uploaded with a token = %+v", maps)
	}
	tok, secret = server.NewAPIToken(m.Project.ID, "reader", []string{playhead.ScopeRead})
	if err := m.DB.CreateAPIToken(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	ci.Token = secret
	out.Reset()
	if err := ci.run(t.Context(), &out); err == nil || !strings.Contains(out.String(), "(403)") {
		t.Errorf("upload with a sessions:read token: %v\n%s", err, out.String())
	}

	// A wrong password, a bad map: errors that say what went wrong.
	u.Password = "wrong"
	if err := u.run(t.Context(), &out); err == nil || !strings.Contains(err.Error(), "wrong username or password") {
		t.Errorf("wrong password: %v", err)
	}
	u.Password = "a test password"
	os.WriteFile(filepath.Join(dir, "broken.js.map"), []byte("{"), 0o644)
	out.Reset()
	if err := u.run(t.Context(), &out); err == nil || !strings.Contains(out.String(), "broken.js: not a source map") {
		t.Errorf("bad map: %v\n%s", err, out.String())
	}
}
