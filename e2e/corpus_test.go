package e2e_test

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The replay corpus: recordings of the pages in fixtures/src/corpus, made by
// rrweb's own recorder (@rrweb/record, as other tools use it) in headless
// Chromium, kept in testdata/corpus. `go test ./e2e/ -run TestRecordCorpus
// -record-corpus` records them again.
var recordCorpus = flag.Bool("record-corpus", false, "record the replay corpus (e2e/testdata/corpus) again from e2e/fixtures/src/corpus")

// corpusPages are the fixture pages of the corpus, each recorded into
// testdata/corpus/NAME.json.gz.
var corpusPages = []string{"styles", "widgets", "frames"}

// corpusOrigin replaces the recording server's random origin in the corpus,
// so that recording it again changes only what the pages did.
const corpusOrigin = "http://corpus.example"

// TestRecordCorpus records the corpus (only with -record-corpus).
func TestRecordCorpus(t *testing.T) {
	if !*recordCorpus {
		t.Skip("records the corpus again only with -record-corpus")
	}
	ctx := newBrowser(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /record.js", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join("fixtures", "dist", "record.js"))
	})
	mux.HandleFunc("GET /media/clip.wav", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "audio/wav")
		w.Write(silence(4))
	})
	mux.Handle("GET /", http.FileServer(http.Dir(filepath.Join("fixtures", "src", "corpus"))))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, page := range corpusPages {
		do(t, ctx, "record "+page,
			chromedp.Navigate(srv.URL+"/"+page+".html"),
			chromedp.Poll[chromedp.Void](`window.__corpus && window.__corpus.done`, chromedp.WithPollingTimeout(60*time.Second)),
		)
		events := eval[string](t, ctx, `JSON.stringify(window.__corpus.events)`)
		events = strings.ReplaceAll(events, srv.URL, corpusOrigin)
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write([]byte(events))
		zw.Close()
		if err := os.WriteFile(filepath.Join("testdata", "corpus", page+".json.gz"), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d KB of events, %d KB gzipped", page, len(events)>>10, buf.Len()>>10)
	}
}

// silence is a WAV file of that many seconds of silence (8 kHz, 8 bits,
// mono): media the page can play and pause without a media file in the
// repository.
func silence(seconds int) []byte {
	n := 8000 * seconds
	b := make([]byte, 44, 44+n)
	copy(b, "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+n))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1) // PCM
	binary.LittleEndian.PutUint16(b[22:], 1) // mono
	binary.LittleEndian.PutUint32(b[24:], 8000)
	binary.LittleEndian.PutUint32(b[28:], 8000)
	binary.LittleEndian.PutUint16(b[32:], 1)
	binary.LittleEndian.PutUint16(b[34:], 8)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(n))
	return append(b, bytes.Repeat([]byte{128}, n)...)
}
