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
// runs: each is compressed once per coding (not per request), kept, and sent
// with a validator, so that a browser that has it asks only whether it
// changed (304) instead of downloading it again. The first request for a
// coding gets it compressed at a fast level (a few milliseconds for the
// player's script, where the best level takes about 60: the first page a
// freshly started server serves waited for it); the best level replaces it
// in the background. Both decode to the same bytes, so a compressed form's
// validator is weak (W/) and the same for both.

// staticFile is one file, as sent and compressed.
type staticFile struct {
	raw   []byte
	etag  string // of the raw bytes; a compressed form adds its coding
	ctype string

	mu    sync.Mutex
	forms map[string][]byte // by coding; nil: not smaller than raw
}

// staticCodings compress a file: at a fast level for its first request, at
// the best one for good.
var staticCodings = map[string]func(raw []byte, best bool) []byte{
	"zstd": func(raw []byte, best bool) []byte {
		level := zstd.SpeedDefault
		if best {
			level = zstd.SpeedBestCompression
		}
		enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(level), zstd.WithEncoderConcurrency(1))
		if err != nil {
			return nil
		}
		defer enc.Close()
		return enc.EncodeAll(raw, nil)
	},
	"gzip": func(raw []byte, best bool) []byte {
		level := gzip.DefaultCompression
		if best {
			level = gzip.BestCompression
		}
		var b bytes.Buffer
		zw, err := gzip.NewWriterLevel(&b, level)
		if err != nil {
			return nil
		}
		zw.Write(raw)
		if zw.Close() != nil {
			return nil
		}
		return b.Bytes()
	},
}

func newStaticFile(name string, raw []byte) *staticFile {
	sum := sha256.Sum256(raw)
	f := &staticFile{raw: raw, etag: hex.EncodeToString(sum[:12]), ctype: mime.TypeByExtension(path.Ext(name)), forms: map[string][]byte{}}
	if f.ctype == "" {
		f.ctype = "application/octet-stream"
	}
	return f
}

// form returns the file compressed with coding, or nil when that is not
// smaller (or the file too small to be worth it). The first call compresses
// it at the fast level and starts the best one.
func (f *staticFile) form(coding string) []byte {
	if len(f.raw) < 1024 {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if z, ok := f.forms[coding]; ok {
		return z
	}
	compress := staticCodings[coding]
	fast := smaller(compress(f.raw, false), f.raw)
	f.forms[coding] = fast
	if fast != nil {
		go func() {
			if best := smaller(compress(f.raw, true), fast); best != nil {
				f.mu.Lock()
				f.forms[coding] = best
				f.mu.Unlock()
			}
		}()
	}
	return fast
}

// smaller returns z when it is shorter than ref, else nil.
func smaller(z, ref []byte) []byte {
	if z == nil || len(z) >= len(ref) {
		return nil
	}
	return z
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
	compressible := len(f.raw) >= 1024
	for _, c := range []string{"zstd", "gzip"} {
		if compressible && accepts(ae, c) {
			if z := f.form(c); z != nil {
				body, coding = z, c
				break
			}
		}
	}
	etag, tag := `"`+f.etag+`"`, `"`+f.etag+`"`
	if coding != "" {
		etag = `"` + f.etag + "-" + coding + `"`
		tag = "W/" + etag // the fast and the best form are the same bytes once decoded
	}
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("ETag", tag)
	if compressible {
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
