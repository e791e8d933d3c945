package ingest_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/ingest"
	"github.com/playhead/playhead/keyring"
	"github.com/playhead/playhead/objects/file"
	"github.com/playhead/playhead/privacy"
	"github.com/playhead/playhead/recording"
	"github.com/playhead/playhead/sqlite"
	"github.com/playhead/playhead/testdata"
)

var now = time.UnixMilli(1795807228200).Add(time.Hour) // an hour after real60 starts

func gz(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	return buf.Bytes()
}

func batch(events string) []byte {
	return []byte(`{"v":1,"sid":"abcdefgh12345678","seq":0,"events":[` + events + `]}`)
}

const okEvent = `{"type":3,"timestamp":1795807228300,"data":{"source":1,"positions":[]}}`

func TestParseBatchRefusesBadInput(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		code     string
		contains string
	}{
		{"not json", `{"v":1,`, playhead.EINVALID, "not a JSON batch"},
		{"json array", `[1,2]`, playhead.EINVALID, "not a JSON batch"},
		{"invalid utf8", "{\"v\":1,\"sid\":\"\xff\xfe\"}", playhead.EINVALID, "UTF-8"},
		{"wrong version", `{"v":2,"sid":"abcdefgh12345678","seq":0,"events":[` + okEvent + `]}`, playhead.EINVALID, "protocol version 2"},
		{"short sid", `{"v":1,"sid":"abc","seq":0,"events":[` + okEvent + `]}`, playhead.EINVALID, "sid: must be 8 to 64"},
		{"sid with slash", `{"v":1,"sid":"../../etc/passwd","seq":0,"events":[` + okEvent + `]}`, playhead.EINVALID, "sid:"},
		{"missing seq", `{"v":1,"sid":"abcdefgh12345678","events":[` + okEvent + `]}`, playhead.EINVALID, "seq: missing"},
		{"negative seq", `{"v":1,"sid":"abcdefgh12345678","seq":-1,"events":[` + okEvent + `]}`, playhead.EINVALID, "seq: -1"},
		{"no events", `{"v":1,"sid":"abcdefgh12345678","seq":0,"events":[]}`, playhead.EINVALID, "events: empty"},
		{"event not object", string(batch(`42`)), playhead.EINVALID, "events[0]: an rrweb event object is required"},
		{"missing type", string(batch(`{"timestamp":1795807228300,"data":{}}`)), playhead.EINVALID, "events[0].type: missing"},
		{"bad type", string(batch(`{"type":9,"timestamp":1795807228300,"data":{}}`)), playhead.EINVALID, "events[0].type: 9"},
		{"missing timestamp", string(batch(`{"type":3,"data":{}}`)), playhead.EINVALID, "events[0].timestamp: missing"},
		{"fractional timestamp", string(batch(`{"type":3,"timestamp":1.5,"data":{}}`)), playhead.EINVALID, "not whole milliseconds"},
		{"far future", string(batch(`{"type":3,"timestamp":1895807228300,"data":{}}`)), playhead.EINVALID, "before or"},
		{"far past", string(batch(`{"type":3,"timestamp":1000,"data":{}}`)), playhead.EINVALID, "before or"},
		{"data not object", string(batch(okEvent + `,{"type":3,"timestamp":1795807228300,"data":"x"}`)), playhead.EINVALID, "events[1].data"},
		{"type after data", string(batch(`{"data":{"source":2,"type":2,"id":5,"x":1,"y":2},"timestamp":1795807228300,"type":3},{"timestamp":1795807228300,"type":3,"data":"x"}`)), playhead.EINVALID, "events[1].data"},
		{"trailing data", string(batch(okEvent)) + `{}`, playhead.EINVALID, "after the batch"},
		{"version after events, wrong", `{"events":[` + okEvent + `],"sid":"abcdefgh12345678","seq":0,"v":3}`, playhead.EINVALID, "protocol version 3"},
		{"missing version", `{"sid":"abcdefgh12345678","seq":0,"events":[` + okEvent + `]}`, playhead.EINVALID, "v: missing"},
		{"seq not a number", `{"v":1,"sid":"abcdefgh12345678","seq":"1","events":[` + okEvent + `]}`, playhead.EINVALID, "seq: a number is required"},
		{"huge event", string(batch(`{"type":5,"timestamp":1795807228300,"data":{"tag":"x","payload":"` + strings.Repeat("a", 2000) + `"}}`)), playhead.ETOOLARGE, "limit of 1000 for one event"},
		{"too many events", string(batch(strings.Repeat(okEvent+",", 10) + okEvent)), playhead.ETOOLARGE, "limit of 10 a batch"},
	}
	lim := ingest.DefaultLimits
	lim.MaxEventBytes = 1000
	lim.MaxEvents = 10
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ingest.ParseBatch([]byte(tt.body), lim, now)
			if got := playhead.ErrorCode(err); got != tt.code {
				t.Fatalf("code = %q (%v), want %q", got, err, tt.code)
			}
			if msg := playhead.ErrorMessage(err); !strings.Contains(msg, tt.contains) {
				t.Fatalf("message = %q, want it to contain %q", msg, tt.contains)
			}
		})
	}
}

func TestReadBody(t *testing.T) {
	lim := ingest.DefaultLimits
	lim.MaxBodyBytes = 1 << 10
	lim.MaxDecodedBytes = 64 << 10
	plain := batch(okEvent)

	got, err := ingest.ReadBody(bytes.NewReader(plain), false, lim)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("plain: %q, %v", got, err)
	}
	got, err = ingest.ReadBody(bytes.NewReader(gz(t, plain)), false, lim)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("gzip sniffed: %q, %v", got, err)
	}
	if _, err := ingest.ReadBody(bytes.NewReader(plain), true, lim); playhead.ErrorCode(err) != playhead.EINVALID {
		t.Fatalf("Content-Encoding gzip on a plain body: err = %v, want EINVALID", err)
	}
	if _, err := ingest.ReadBody(bytes.NewReader(make([]byte, 2<<10)), false, lim); playhead.ErrorCode(err) != playhead.ETOOLARGE {
		t.Fatalf("oversized body: err = %v, want ETOOLARGE", err)
	}
	// A gzip bomb: 100 MiB of zeros compress to ~100 KB; with a small
	// compressed limit it must be refused after reading at most the limits.
	lim.MaxBodyBytes = 1 << 20
	bomb := gz(t, make([]byte, 100<<20))
	r := &countingReader{r: bytes.NewReader(bomb)}
	_, err = ingest.ReadBody(r, false, lim)
	if playhead.ErrorCode(err) != playhead.ETOOLARGE || !strings.Contains(err.Error(), "decompressed") {
		t.Fatalf("gzip bomb: err = %v, want ETOOLARGE naming the decompressed limit", err)
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func newIngester(t testing.TB) (*ingest.Ingester, *sqlite.DB, *playhead.Project) {
	t.Helper()
	dir := t.TempDir()
	db, err := sqlite.Open(t.Context(), filepath.Join(dir, "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p := &playhead.Project{Name: "Test", IngestKey: "phk_test"}
	if err := db.CreateProject(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	ring, _, err := keyring.Open(filepath.Join(dir, "keyring.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	in := &ingest.Ingester{Index: db, Logger: logger, Now: func() time.Time { return now },
		Keys: &keyring.DataKeys{Keyring: ring, Index: db}}
	t.Cleanup(in.Close)
	return in, db, p
}

func TestIngestRealSession(t *testing.T) {
	events, err := testdata.Real60()
	if err != nil {
		t.Fatal(err)
	}
	events = events[:2000]
	in, db, p := newIngester(t)
	bodies := testdata.Batches(events, "real60session", 5000)
	for i, body := range bodies {
		b, err := ingest.ParseBatch(body, ingest.DefaultLimits, now)
		if err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		res, err := in.Ingest(t.Context(), p, b, ingest.Origin{UserAgent: "TestAgent/1.0"})
		if err != nil || res.Duplicate {
			t.Fatalf("batch %d: %+v, %v", i, res, err)
		}
	}
	// The same batch again is stored once.
	b, _ := ingest.ParseBatch(bodies[3], ingest.DefaultLimits, now)
	if res, err := in.Ingest(t.Context(), p, b, ingest.Origin{UserAgent: "TestAgent/1.0"}); err != nil || !res.Duplicate {
		t.Fatalf("resent batch: %+v, %v; want duplicate", res, err)
	}

	s, err := db.Session(t.Context(), p.ID, "real60session")
	if err != nil {
		t.Fatal(err)
	}
	clicks := 0
	for _, e := range events {
		if bytes.Contains(e.Raw, []byte(`"source":2,"type":2,`)) {
			clicks++
		}
	}
	if s.Events != len(events) || s.Batches != len(bodies) || s.UserAgent != "TestAgent/1.0" {
		t.Errorf("session = %+v, want %d events in %d batches", s, len(events), len(bodies))
	}
	if s.StartedAt != events[0].Timestamp || s.EndedAt != events[len(events)-1].Timestamp {
		t.Errorf("session spans %d..%d, want %d..%d", s.StartedAt, s.EndedAt, events[0].Timestamp, events[len(events)-1].Timestamp)
	}
	if s.Clicks != clicks || clicks == 0 {
		t.Errorf("clicks = %d, want %d", s.Clicks, clicks)
	}
	if len(s.Pages) != 1 || !strings.HasPrefix(s.Pages[0], "http") {
		t.Errorf("pages = %v, want the recorded page", s.Pages)
	}
	refs, err := db.Batches(t.Context(), p.ID, "real60session")
	if err != nil {
		t.Fatal(err)
	}
	if refs[0].KeyframeTs == nil || *refs[0].KeyframeTs != events[2].Timestamp {
		t.Errorf("first batch keyframe = %v, want the Meta event's timestamp %d", refs[0].KeyframeTs, events[2].Timestamp)
	}
	for _, r := range refs[1:] {
		if r.KeyframeTs != nil {
			t.Errorf("batch %d has a keyframe; the recording has only one", r.Seq)
		}
	}
	tl, err := db.Timeline(t.Context(), p.ID, "real60session")
	if err != nil {
		t.Fatal(err)
	}

	// Sealing moves the pending batches into chunks; the events read back are
	// the events sent, in order, before and after.
	objects, err := file.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rs := &recording.Store{Objects: objects, Index: db, Keys: in.Keys, Logger: in.Logger, Now: in.Now}
	assertEvents := func(when string) {
		t.Helper()
		refs, err := db.Batches(t.Context(), p.ID, "real60session")
		if err != nil {
			t.Fatal(err)
		}
		got, err := rs.ReadEvents(t.Context(), p.ID, "real60session", refs)
		if err != nil {
			t.Fatalf("%s: %v", when, err)
		}
		if len(got) != len(events) {
			t.Fatalf("%s: read %d events, want %d", when, len(got), len(events))
		}
		// What is stored is what was sent, scrubbed: the recording holds an
		// email address in an input's value and in console output.
		for i := range got {
			if want := privacy.ScrubJSON(events[i].Raw, nil); !bytes.Equal(got[i], want) {
				t.Fatalf("%s: event %d differs from the scrubbed event sent", when, i)
			}
			if bytes.Contains(got[i], []byte("mara@northwind.example")) {
				t.Fatalf("%s: event %d holds an email address", when, i)
			}
		}
	}
	assertEvents("pending")
	n, err := rs.Seal(t.Context(), p.ID, "real60session")
	if err != nil || n != 1 {
		t.Fatalf("Seal = %d chunks, %v; want 1 (the recording has one keyframe)", n, err)
	}
	assertEvents("sealed")
	if n, err := rs.Seal(t.Context(), p.ID, "real60session"); n != 0 || err != nil {
		t.Fatalf("second Seal = %d, %v; want nothing to do", n, err)
	}

	kinds := map[string]int{}
	for _, e := range tl {
		kinds[e.Kind]++
	}
	if kinds[playhead.KindClick] != clicks || kinds[playhead.KindConsole] == 0 || kinds[playhead.KindNavigation] != 1 {
		t.Errorf("timeline kinds = %v", kinds)
	}
}

func TestExtractSDKEvents(t *testing.T) {
	in, db, p := newIngester(t)
	body := batch(strings.Join([]string{
		`{"type":4,"timestamp":1795807228300,"data":{"href":"http://shop/","width":800,"height":600}}`,
		`{"type":2,"timestamp":1795807228301,"data":{"node":{},"initialOffset":{"top":0,"left":0}}}`,
		`{"type":5,"timestamp":1795807229000,"data":{"tag":"playhead.navigation","payload":{"url":"http://shop/checkout","kind":"push"}}}`,
		`{"type":5,"timestamp":1795807230000,"data":{"tag":"playhead.error","payload":{"kind":"error","message":"TypeError: x is undefined\nmore","stack":"at f"}}}`,
		`{"type":5,"timestamp":1795807231500,"data":{"tag":"playhead.network","payload":{"type":"fetch","method":"post","url":"http://shop/api/checkout","status":500,"start":1795807231000,"duration":500}}}`,
		`{"type":5,"timestamp":1795807232000,"data":{"tag":"playhead.network","payload":{"type":"fetch","method":"GET","url":"http://shop/api/products","status":200,"start":1795807231900,"duration":100}}}`,
		`{"type":6,"timestamp":1795807233000,"data":{"plugin":"rrweb/console@1","payload":{"level":"error","payload":["\"Checkout failed\"","500"],"trace":[]}}}`,
		`{"type":5,"timestamp":1795807234000,"data":{"tag":"signup","payload":{"plan":"pro"}}}`,
	}, ","))
	b, err := ingest.ParseBatch(body, ingest.DefaultLimits, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Ingest(t.Context(), p, b, ingest.Origin{UserAgent: ""}); err != nil {
		t.Fatal(err)
	}
	s, _ := db.Session(t.Context(), p.ID, "abcdefgh12345678")
	if s.Errors != 1 || s.FailedRequests != 1 || s.ConsoleErrors != 1 || fmt.Sprint(s.Pages) != "[http://shop/ http://shop/checkout]" {
		t.Errorf("session = %+v", s)
	}
	tl, _ := db.Timeline(t.Context(), p.ID, "abcdefgh12345678")
	var got []string
	for _, e := range tl {
		got = append(got, fmt.Sprintf("%d %s %s %s", e.Ts-1795807228000, e.Kind, e.Level, e.Label))
	}
	want := []string{
		"300 navigation  http://shop/",
		"1000 navigation  http://shop/checkout",
		"2000 error error TypeError: x is undefined",
		"3000 request error POST http://shop/api/checkout",
		"3900 request  GET http://shop/api/products",
		"5000 console error \"Checkout failed\" 500",
		"6000 custom  signup",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("timeline:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func FuzzParseBatch(f *testing.F) {
	f.Add(batch(okEvent))
	f.Add(batch(`{"type":4,"timestamp":1795807228300,"data":{"href":"x"}},{"type":2,"timestamp":1795807228300,"data":{}}`))
	f.Add(batch(`{"type":5,"timestamp":1795807228300,"data":{"tag":"playhead.network","payload":{"status":"x"}}}`))
	f.Add([]byte(`{"v":1}`))
	f.Add(batch(`{"data":{"node":{"type":0,"childNodes":[{"type":2,"tagName":"a","attributes":{"href":"/x?token=1","title":"ada@example.com","n":1},"childNodes":[{"type":3,"textContent":"+44 20 7946 0958","id":3}],"id":2}],"id":1}},"timestamp":1795807228300,"type":2}`))
	f.Add(batch(`{"type":3,"timestamp":1795807228300,"data":{"source":0,"adds":[{"parentId":1,"node":{"type":2,"tagName":"link","attributes":{"rel":"stylesheet","href":"https://a.test/s.css"},"childNodes":[],"id":9}}],"texts":[{"id":3,"value":"card 4111 1111 1111 1111 \u00e9\"x"}]}}`))
	// numbers whose kind is seen before they turn out malformed (the first found by this fuzz target)
	f.Add([]byte(`{"events":[{"type":3,"":8,"data":{"source":0E`))
	f.Add(batch(`{"type":2,"timestamp":1795807228300,"data":{"node":{"type":0,"childNodes":[{"type":2,"id":1E}]}}}`))
	in, _, p := newIngester(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := ingest.ParseBatch(body, ingest.DefaultLimits, now)
		// Scrubbing while parsing, or finding assets too, refuses what
		// validating alone refuses, and scrubs each event as ScrubJSON
		// would on its own.
		sent, errSent := ingest.ParseBatchWith(body, ingest.DefaultLimits, now, ingest.ParseOptions{NoScrub: true})
		withAssets, errAssets := ingest.ParseBatchWith(body, ingest.DefaultLimits, now, ingest.ParseOptions{FindAssets: true})
		if (err == nil) != (errSent == nil) || (err == nil) != (errAssets == nil) {
			t.Fatalf("errors differ: scrubbing %v, validating %v, with assets %v", err, errSent, errAssets)
		}
		if err != nil {
			if playhead.ErrorCode(err) == playhead.EINTERNAL {
				t.Fatalf("ParseBatch returned an internal error: %v", err)
			}
			return
		}
		for i := range b.Events {
			if want := privacy.ScrubJSON(sent.Events[i].Raw, nil); !bytes.Equal(b.Events[i].Raw, want) || !bytes.Equal(withAssets.Events[i].Raw, want) {
				t.Fatalf("event %d scrubbed while parsing:\n%s\nwith assets:\n%s\nScrubJSON:\n%s", i, b.Events[i].Raw, withAssets.Events[i].Raw, want)
			}
		}
		if _, err := in.Ingest(t.Context(), p, b, ingest.Origin{UserAgent: ""}); err != nil {
			t.Fatalf("valid batch failed to store: %v", err)
		}
	})
}

func BenchmarkIngest(b *testing.B) {
	events, err := testdata.Real60()
	if err != nil {
		b.Fatal(err)
	}
	bodies := testdata.Batches(events, "bench0000session", 5000)
	var gzBodies [][]byte
	total := 0
	for _, body := range bodies {
		g := gz(b, body)
		gzBodies = append(gzBodies, g)
		total += len(g)
	}
	avg := float64(total) / float64(len(gzBodies))

	// Baseline: receive the same compressed bytes and write + fsync each to
	// the same disk, doing nothing else.
	b.Run("raw-write-fsync", func(b *testing.B) {
		dir := b.TempDir()
		for i := 0; b.Loop(); i++ {
			f, err := os.Create(filepath.Join(dir, fmt.Sprint(i)))
			if err != nil {
				b.Fatal(err)
			}
			f.Write(gzBodies[i%len(gzBodies)])
			f.Sync()
			f.Close()
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "batches/s")
		b.ReportMetric(avg*float64(b.N)/b.Elapsed().Seconds()/1e6, "MB/s")
	})
	b.Run("ingest", func(b *testing.B) {
		in, _, p := newIngester(b)
		for i := 0; b.Loop(); i++ {
			body, err := ingest.ReadBody(bytes.NewReader(gzBodies[i%len(gzBodies)]), false, ingest.DefaultLimits)
			if err != nil {
				b.Fatal(err)
			}
			batch, err := ingest.ParseBatch(body, ingest.DefaultLimits, now)
			if err != nil {
				b.Fatal(err)
			}
			batch.SessionID = fmt.Sprintf("bench%011d", i/len(gzBodies))
			if _, err := in.Ingest(b.Context(), p, batch, ingest.Origin{UserAgent: "bench"}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "batches/s")
		b.ReportMetric(avg*float64(b.N)/b.Elapsed().Seconds()/1e6, "MB/s")
	})
	// Many browsers at once: batches are prepared in parallel and committed
	// in groups, so this is bound by CPU per batch, not by fsync. With
	// search=off the searchable text and frustration signals are left out:
	// the ratio of the two is what the search index costs ingest.
	for _, delay := range []time.Duration{-1, ingest.DefaultCommitDelay} {
		for _, search := range []bool{true, false} {
			name := fmt.Sprintf("ingest-parallel/commit-delay=%s/search=%s", map[bool]string{true: "0", false: "default"}[delay < 0], map[bool]string{true: "on", false: "off"}[search])
			b.Run(name, func(b *testing.B) {
				in, _, p := newIngester(b)
				in.CommitDelay = delay
				ingest.SetSearchIndexing(in, search)
				var next atomic.Int64
				b.SetParallelism(32)
				cpu := cpuTime()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						i := int(next.Add(1) - 1)
						body, err := ingest.ReadBody(bytes.NewReader(gzBodies[i%len(gzBodies)]), false, ingest.DefaultLimits)
						if err != nil {
							b.Error(err)
							return
						}
						batch, err := ingest.ParseBatch(body, ingest.DefaultLimits, now)
						if err != nil {
							b.Error(err)
							return
						}
						batch.SessionID = fmt.Sprintf("bench%011d", i/len(gzBodies))
						if _, err := in.Ingest(b.Context(), p, batch, ingest.Origin{UserAgent: "bench"}); err != nil {
							b.Error(err)
							return
						}
					}
				})
				// CPU time per batch (of the whole process, the index's
				// work included): on a machine shared with other work, a
				// steadier measure of the cost than batches per second.
				b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N), "cpu-µs/batch")
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "batches/s")
				b.ReportMetric(avg*float64(b.N)/b.Elapsed().Seconds()/1e6, "MB/s")
			})
		}
	}
}

// cpuTime returns the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestParseBatchTakesFieldsInAnyOrder(t *testing.T) {
	b, err := ingest.ParseBatch([]byte(`{"events":[`+okEvent+`],"seq":4,"sid":"abcdefgh12345678","v":1}`), ingest.DefaultLimits, now)
	if err != nil || b.Seq != 4 || len(b.Events) != 1 {
		t.Fatalf("batch with sorted keys: %+v, %v", b, err)
	}
}

func TestParseBatchReadsFieldsInAnyOrder(t *testing.T) {
	b, err := ingest.ParseBatch(batch(`{"data":{"x":1.5,"type":2,"source":2,"id":5,"y":2},"timestamp":1795807228300,"type":3},`+
		`{"timestamp":1795807228301,"data":{"payload":{"url":"http://a/"},"tag":"playhead.navigation"},"type":5}`), ingest.DefaultLimits, now)
	if err != nil {
		t.Fatal(err)
	}
	e := b.Events[0]
	if e.Source != 2 || e.Interaction != 2 || e.NodeID != 5 || e.X != 1.5 || e.Y != 2 || e.Timestamp != 1795807228300 {
		t.Errorf("click read as %+v", e)
	}
	if e := b.Events[1]; e.Tag != "playhead.navigation" || string(e.Payload) != `{"url":"http://a/"}` {
		t.Errorf("custom event read as tag %q payload %s", e.Tag, e.Payload)
	}
	if !strings.HasPrefix(string(b.Events[1].Raw), `{"timestamp"`) || !strings.HasSuffix(string(b.Events[1].Raw), `"type":5}`) {
		t.Errorf("raw event = %s", b.Events[1].Raw)
	}
}

func TestDecompressJoinsMembersAndHoldsTheLimit(t *testing.T) {
	part := func(s string) []byte {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(s))
		zw.Close()
		return b.Bytes()
	}
	big := strings.Repeat("x", 100_000)
	body := append(append(part(big), part("-")...), part("end")...) // the last member's size says 3
	for range 2 {                                                   // twice: the second reader is a reused one
		got, err := ingest.Decompress(body, true, ingest.DefaultLimits)
		if err != nil || string(got) != big+"-end" {
			t.Fatalf("three members: %d bytes, %v", len(got), err)
		}
	}
	lim := ingest.DefaultLimits
	lim.MaxDecodedBytes = 50_000
	if _, err := ingest.Decompress(body, true, lim); playhead.ErrorCode(err) != playhead.ETOOLARGE {
		t.Fatalf("over the decoded limit: %v", err)
	}
	exact := ingest.DefaultLimits
	exact.MaxDecodedBytes = int64(len(big) + 4)
	if got, err := ingest.Decompress(body, true, exact); err != nil || len(got) != len(big)+4 {
		t.Fatalf("exactly at the limit: %d bytes, %v", len(got), err)
	}
	corrupt := bytes.Clone(body)
	corrupt[len(corrupt)-1] ^= 0xff // the size in the trailer
	if _, err := ingest.Decompress(corrupt, true, ingest.DefaultLimits); playhead.ErrorCode(err) != playhead.EINVALID {
		t.Fatalf("corrupt trailer: %v", err)
	}
}

// TestStorageFailuresLogOnceASecond: while storage is down every batch
// fails; the log says so once a second, with a count, and every caller
// still gets an unavailable error.
func TestStorageFailuresLogOnceASecond(t *testing.T) {
	var buf bytes.Buffer
	in := &ingest.Ingester{Logger: slog.New(slog.NewTextHandler(&buf, nil))}
	down := errors.New("connection refused")
	for range 100 {
		if err := in.StorageFailed("storage failed", down); playhead.ErrorCode(err) != playhead.EUNAVAILABLE {
			t.Fatalf("StorageFailed = %v, want EUNAVAILABLE", err)
		}
	}
	if n := strings.Count(buf.String(), "storage failed"); n != 1 {
		t.Fatalf("%d lines logged for 100 failures within a second, want 1:\n%s", n, buf.String())
	}
	time.Sleep(1100 * time.Millisecond)
	in.StorageFailed("storage failed", down)
	if !strings.Contains(buf.String(), "failed_since_last_logged=99") {
		t.Fatalf("the second line does not count the failures in between:\n%s", buf.String())
	}
}
