package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// The dashboard's files and the SDK's bundles never change while the server
// runs: each is compressed once, at the best level (not per request, at a
// fast one), and sent with a validator, so that a browser that has it asks
// only whether it changed (304) instead of downloading it again.

// staticFile is one file, as sent and compressed.
type staticFile struct {
	raw, gz, zst []byte
	etag         string // of the raw bytes; a compressed form adds its encoding
	ctype        string
}

func newStaticFile(name string, raw []byte) *staticFile {
	sum := sha256.Sum256(raw)
	f := &staticFile{raw: raw, etag: hex.EncodeToString(sum[:12]), ctype: mime.TypeByExtension(path.Ext(name))}
	if f.ctype == "" {
		f.ctype = "application/octet-stream"
	}
	if len(raw) < 1024 {
		return f // not worth it
	}
	var gz bytes.Buffer
	if zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression); err == nil {
		zw.Write(raw)
		if zw.Close() == nil && gz.Len() < len(raw) {
			f.gz = gz.Bytes()
		}
	}
	if enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBestCompression), zstd.WithEncoderConcurrency(1)); err == nil {
		if z := enc.EncodeAll(raw, nil); len(z) < len(raw) {
			f.zst = z
		}
		enc.Close()
	}
	return f
}

// accepts reports whether the Accept-Encoding header allows coding.
func accepts(header, coding string) bool {
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), coding) {
			continue
		}
		q, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q=")
		if !ok {
			return true
		}
		v, err := strconv.ParseFloat(q, 64)
		return err != nil || v > 0
	}
	return false
}

// serve writes f (compressed when the request accepts it), or 304 when the
// request holds its validator already.
func (f *staticFile) serve(w http.ResponseWriter, r *http.Request) {
	body, coding := f.raw, ""
	ae := r.Header.Get("Accept-Encoding")
	switch {
	case f.zst != nil && accepts(ae, "zstd"):
		body, coding = f.zst, "zstd"
	case f.gz != nil && accepts(ae, "gzip"):
		body, coding = f.gz, "gzip"
	}
	etag := `"` + f.etag + `"`
	if coding != "" {
		etag = `"` + f.etag + "-" + coding + `"`
	}
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("ETag", etag)
	if f.gz != nil || f.zst != nil {
		h.Add("Vary", "Accept-Encoding")
	}
	for m := range strings.SplitSeq(r.Header.Get("If-None-Match"), ",") {
		if m = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(m), "W/")); m == etag || m == "*" {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	if coding != "" {
		h.Set("Content-Encoding", coding) // the gzip middleware leaves an encoded answer alone
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// staticFiles serves the files of fsys under the request's path less
// prefix, each read and compressed on its first request (and kept).
// Directories and missing files are 404.
func staticFiles(fsys fs.FS, prefix string) http.Handler {
	var mu sync.Mutex
	files := map[string]*staticFile{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := strings.CutPrefix(r.URL.Path, prefix)
		if !ok || name == "" || strings.HasSuffix(name, "/") || !fs.ValidPath(name) {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		f := files[name]
		mu.Unlock()
		if f == nil {
			raw, err := fs.ReadFile(fsys, name)
			if err != nil {
				http.NotFound(w, r) // a directory, or no such file
				return
			}
			f = newStaticFile(name, raw)
			mu.Lock()
			files[name] = f
			mu.Unlock()
		}
		f.serve(w, r)
	})
}
