package ingest_test

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/ingest"
	"github.com/playhead/playhead/testdata"
)

const (
	t0        = int64(1795807228300)
	metaEv    = `{"type":4,"timestamp":1795807228300,"data":{"href":"https://shop.example/cart","width":800,"height":600}}`
	fullEv    = `{"type":2,"timestamp":1795807228301,"data":{"node":{"type":0,"childNodes":[],"id":1},"initialOffset":{"top":0,"left":0}}}`
	clickEv   = `{"type":3,"timestamp":1795807229000,"data":{"source":2,"type":2,"id":5,"x":10,"y":20}}`
	consoleEv = `{"type":6,"timestamp":1795807229500,"data":{"plugin":"rrweb/console@1","payload":{"level":"error","payload":["\"mail ada@example.com\""],"trace":[]}}}`
)

var recordingEvents = "[" + metaEv + "," + fullEv + "," + clickEv + "," + consoleEv + "]"

// latin1 writes bytes as a string of one character a byte, the way
// fflate's strFromU8(data, true) does in posthog-js and rrweb's packer.
func latin1(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

func gzipLatin1(t *testing.T, s string) string {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(s))
	zw.Close()
	return latin1(buf.Bytes())
}

func packed(t *testing.T, event string) string {
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	zw.Write([]byte(strings.TrimSuffix(event, "}") + `,"v":"v1"}`))
	zw.Close()
	s, _ := json.Marshal(latin1(buf.Bytes()))
	return string(s)
}

func TestParseImportFormats(t *testing.T) {
	jsonString := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	posthogFull := `{"type":2,"timestamp":1795807228301,"cv":"2024-10","windowId":"w1","data":` +
		jsonString(gzipLatin1(t, `{"node":{"type":0,"childNodes":[],"id":1},"initialOffset":{"top":0,"left":0}}`)) + `}`
	posthogMutation := `{"type":3,"timestamp":1795807229000,"cv":"2024-10","windowId":"w1","data":{"source":0,"adds":` +
		jsonString(gzipLatin1(t, `[{"parentId":1,"nextId":null,"node":{"type":3,"textContent":"hi","id":2}}]`)) + `,"removes":` +
		jsonString(gzipLatin1(t, `[]`)) + `,"texts":[],"attributes":[]}}`
	for _, c := range []struct {
		name, file, format string
		events             int
		skipped            int
		check              func(t *testing.T, rec *ingest.Recording)
	}{
		{name: "rrweb array", file: recordingEvents, format: ingest.FormatRRWeb, events: 4},
		{name: "rrweb object, indented", file: "{\n  \"events\": [\n    " + metaEv + ",\n    " + fullEv + "\n  ]\n}", format: ingest.FormatRRWeb, events: 2},
		{name: "rrweb packed", file: "[" + packed(t, metaEv) + "," + packed(t, fullEv) + "]", format: ingest.FormatRRWeb, events: 2,
			check: func(t *testing.T, rec *ingest.Recording) {
				if !bytes.Contains(rec.Events[0].Raw, []byte(`"href":"https://shop.example/cart"`)) || bytes.Contains(rec.Events[0].Raw, []byte(`"v":"v1"`)) {
					t.Errorf("unpacked event = %s", rec.Events[0].Raw)
				}
			}},
		{name: "sentry segments", format: ingest.FormatSentry, events: 4,
			file: "[[" + metaEv + "," + fullEv + "],[" + clickEv + `,{"type":5,"timestamp":1795807229.75,"data":{"tag":"breadcrumb","payload":{"category":"ui.click"}}}` + "]]",
			check: func(t *testing.T, rec *ingest.Recording) {
				if rec.Events[3].Timestamp != 1795807229750 || !bytes.Contains(rec.Events[3].Raw, []byte(`"timestamp":1795807229750`)) {
					t.Errorf("a time in seconds = %d (%s), want it in milliseconds", rec.Events[3].Timestamp, rec.Events[3].Raw)
				}
			}},
		{name: "sentry API page", file: `{"data":[[` + metaEv + "," + fullEv + "]]}", format: ingest.FormatSentry, events: 2},
		{name: "posthog 2023-04-28, compressed, two windows", format: ingest.FormatPostHog, events: 3, skipped: 1,
			file: `{"version":"2023-04-28","data":{"id":"x","person":null,"snapshots":[` +
				strings.Replace(metaEv, `"data"`, `"windowId":"w1","data"`, 1) + "," + posthogFull + "," + posthogMutation + "," +
				strings.Replace(metaEv, `"data"`, `"windowId":"w2","data"`, 1) + "]}}",
			check: func(t *testing.T, rec *ingest.Recording) {
				if !bytes.Contains(rec.Events[1].Raw, []byte(`"data":{"node":{"type":0`)) || !bytes.Contains(rec.Events[2].Raw, []byte(`"adds":[{"parentId":1`)) ||
					bytes.Contains(rec.Events[1].Raw, []byte(`windowId`)) {
					t.Errorf("decompressed events = %s, %s", rec.Events[1].Raw, rec.Events[2].Raw)
				}
			}},
		{name: "posthog 2022-12-02", file: `{"version":"2022-12-02","data":{"person":null,"snapshotsByWindowId":{"w":[` + metaEv + "," + fullEv + `]}}}`, format: ingest.FormatPostHog, events: 2},
		{name: "slightly out of order is sorted", format: ingest.FormatRRWeb, events: 3,
			file: "[" + metaEv + "," + fullEv + `,{"type":3,"timestamp":1795807228000,"data":{"source":1,"positions":[]}}]`,
			check: func(t *testing.T, rec *ingest.Recording) {
				if rec.Events[0].Timestamp != 1795807228000 {
					t.Errorf("first event at %d, want the earliest", rec.Events[0].Timestamp)
				}
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec, err := ingest.ParseImport([]byte(c.file), ingest.DefaultImportLimits, now)
			if err != nil {
				t.Fatal(err)
			}
			if rec.Format != c.format || len(rec.Events) != c.events || rec.SkippedWindows != c.skipped {
				t.Fatalf("got format %s, %d events, %d skipped windows; want %s, %d, %d", rec.Format, len(rec.Events), rec.SkippedWindows, c.format, c.events, c.skipped)
			}
			for i, e := range rec.Events {
				if !json.Valid(e.Raw) {
					t.Errorf("event %d is not JSON: %s", i, e.Raw)
				}
			}
			if c.check != nil {
				c.check(t, rec)
			}
		})
	}
}

func TestParseImportRefuses(t *testing.T) {
	small := ingest.DefaultImportLimits
	small.MaxEvents = 3
	tiny := ingest.DefaultImportLimits
	tiny.MaxDecodedBytes = 100
	for _, c := range []struct {
		name, file string
		lim        ingest.ImportLimits
		code, want string
	}{
		{"empty", "  ", ingest.DefaultImportLimits, playhead.EINVALID, "the file is empty"},
		{"html", "<html><body>", ingest.DefaultImportLimits, playhead.EINVALID, "not JSON: it starts with"},
		{"broken JSON", "[" + metaEv + ",", ingest.DefaultImportLimits, playhead.EINVALID, "not valid JSON"},
		{"a number", "[1,2]", ingest.DefaultImportLimits, playhead.EINVALID, "[0]: an rrweb event object is required"},
		{"no type", `[{"timestamp":1795807228300,"data":{}}]`, ingest.DefaultImportLimits, playhead.EINVALID, "[0].type: missing"},
		{"bad type", `[{"type":9,"timestamp":1795807228300,"data":{}}]`, ingest.DefaultImportLimits, playhead.EINVALID, "not an rrweb event type"},
		{"string type", `[{"type":"2","timestamp":1795807228300,"data":{}}]`, ingest.DefaultImportLimits, playhead.EINVALID, "type"},
		{"no timestamp", `[{"type":2,"data":{}}]`, ingest.DefaultImportLimits, playhead.EINVALID, "[0].timestamp: missing"},
		{"ancient", `[{"type":2,"timestamp":5,"data":{}}]`, ingest.DefaultImportLimits, playhead.EINVALID, "not a time in milliseconds"},
		{"future", `[{"type":2,"timestamp":9795807228300,"data":{}}]`, ingest.DefaultImportLimits, playhead.EINVALID, "not a time in milliseconds"},
		{"no data", `[{"type":2,"timestamp":1795807228300}]`, ingest.DefaultImportLimits, playhead.EINVALID, "data: an object is required"},
		{"other object", `{"foo":[]}`, ingest.DefaultImportLimits, playhead.EINVALID, "not a recording Playhead can import"},
		{"events not a list", `{"events":{}}`, ingest.DefaultImportLimits, playhead.EINVALID, "events: found a JSON object where an array was expected"},
		{"no events", `[]`, ingest.DefaultImportLimits, playhead.EINVALID, "no events"},
		{"no full snapshot", "[" + metaEv + "," + clickEv + "]", ingest.DefaultImportLimits, playhead.EINVALID, "no full snapshot"},
		{"back in time", "[" + metaEv + "," + fullEv + `,{"type":3,"timestamp":1795807200000,"data":{"source":1,"positions":[]}}]`, ingest.DefaultImportLimits, playhead.EINVALID, "before an earlier event's, more than the 5s"},
		{"too many events", recordingEvents, small, playhead.ETOOLARGE, "more events than the limit of 3"},
		{"too large", recordingEvents, tiny, playhead.ETOOLARGE, "larger than the limit of 100 bytes"},
		{"unknown posthog", `{"version":"1999","data":{}}`, ingest.DefaultImportLimits, playhead.EINVALID, `PostHog export version "1999"`},
		{"unknown compression", `[{"type":2,"timestamp":1795807228300,"cv":"2030","data":"x"}]`, ingest.DefaultImportLimits, playhead.EINVALID, `compression "2030"`},
		{"damaged compression", `[{"type":2,"timestamp":1795807228300,"cv":"2024-10","data":"xyz"}]`, ingest.DefaultImportLimits, playhead.EINVALID, "not gzip"},
		{"bad packed string", `["not packed"]`, ingest.DefaultImportLimits, playhead.EINVALID, "packed by rrweb's packer"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ingest.ParseImport([]byte(c.file), c.lim, now)
			if playhead.ErrorCode(err) != c.code || !strings.Contains(playhead.ErrorMessage(err), c.want) {
				t.Errorf("err = %v, want %s naming %q", err, c.code, c.want)
			}
		})
	}
	// A compressed field that inflates past the budget is refused while it
	// inflates.
	bomb := strings.Repeat(" ", 1<<20)
	b, _ := json.Marshal(gzipLatin1(t, `{"x":"`+bomb+`"}`))
	file := fmt.Sprintf(`[{"type":2,"timestamp":1795807228300,"cv":"2024-10","data":%s}]`, b)
	lim := ingest.DefaultImportLimits
	lim.MaxDecodedBytes = 64 << 10
	if _, err := ingest.ParseImport([]byte(file), lim, now); playhead.ErrorCode(err) != playhead.ETOOLARGE {
		t.Errorf("compressed bomb: err = %v, want too_large", err)
	}
}

func TestImportStoresASessionWhole(t *testing.T) {
	in, db, p := newIngester(t)
	events, err := testdata.Real60()
	if err != nil {
		t.Fatal(err)
	}
	events = events[:3000]
	var file bytes.Buffer
	file.WriteString(`{"events":[`)
	for i, e := range events {
		if i > 0 {
			file.WriteByte(',')
		}
		file.Write(e.Raw)
	}
	file.WriteString(`]}`)
	rec, err := ingest.ParseImport(file.Bytes(), ingest.DefaultImportLimits, now)
	if err != nil {
		t.Fatal(err)
	}
	res, err := in.Import(t.Context(), p, rec, ingest.Origin{UserAgent: "Importer/1"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Events != 3000 || res.Batches < 2 || res.Format != ingest.FormatRRWeb {
		t.Errorf("result = %+v", res)
	}
	s, err := db.Session(t.Context(), p.ID, res.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	if s.Events != 3000 || s.ImportedAt != now.UnixMilli() || s.StartedAt != events[0].Timestamp || s.Batches != res.Batches {
		t.Errorf("session = %+v", s)
	}
	refs, err := db.Batches(t.Context(), p.ID, res.SessionID)
	keyframes := 0
	for _, r := range refs {
		if r.KeyframeTs != nil && *r.KeyframeTs == r.FirstTs {
			keyframes++
		}
	}
	if err != nil || len(refs) != res.Batches || keyframes == 0 {
		t.Errorf("batches = %+v, %v; want one to start at the keyframe", refs, err)
	}

	// Scrubbed like any batch: the e-mail in the console message is masked.
	rec, err = ingest.ParseImport([]byte(recordingEvents), ingest.DefaultImportLimits, now)
	if err != nil {
		t.Fatal(err)
	}
	res, err = in.Import(t.Context(), p, rec, ingest.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	timeline, _ := db.Timeline(t.Context(), p.ID, res.SessionID)
	var console string
	for _, e := range timeline {
		if e.Kind == playhead.KindConsole {
			console = e.Label
		}
	}
	if strings.Contains(console, "ada@example.com") || console == "" {
		t.Errorf("console entry = %q, want the e-mail masked", console)
	}

	// Over the session limits: refused, and nothing stored.
	in.Limits = playhead.SessionLimits{MaxDuration: time.Minute}
	before, _, _ := db.Sessions(t.Context(), playhead.SessionFilter{ProjectID: p.ID, Limit: 100})
	rec, err = ingest.ParseImport(file.Bytes(), ingest.DefaultImportLimits, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Import(t.Context(), p, rec, ingest.Origin{}); playhead.ErrorCode(err) != playhead.ETOOLARGE || !strings.Contains(err.Error(), "longer than the limit of 1m0s") {
		t.Errorf("import past the session limit: err = %v", err)
	}
	after, _, _ := db.Sessions(t.Context(), playhead.SessionFilter{ProjectID: p.ID, Limit: 100})
	if len(after) != len(before) {
		t.Errorf("sessions after a refused import = %d, want %d", len(after), len(before))
	}
}

func FuzzParseImport(f *testing.F) {
	f.Add([]byte(recordingEvents))
	f.Add([]byte(`{"events":[` + metaEv + "," + fullEv + `]}`))
	f.Add([]byte("[[" + metaEv + "],[" + fullEv + "]]"))
	f.Add([]byte(`{"version":"2023-04-28","data":{"snapshots":[` + metaEv + "," + fullEv + `]}}`))
	f.Add([]byte(`{"version":"2022-12-02","data":{"snapshotsByWindowId":{"a":[` + fullEv + `]}}}`))
	f.Add([]byte(`[{"type":2,"timestamp":1795807228.3,"cv":"2024-10","data":"\u001f\u008b"}]`))
	f.Add([]byte(`["x\u009c"]`))
	in, _, p := newIngester(f)
	lim := ingest.DefaultImportLimits
	lim.MaxDecodedBytes = 1 << 20
	f.Fuzz(func(t *testing.T, file []byte) {
		rec, err := ingest.ParseImport(file, lim, now)
		if err != nil {
			if code := playhead.ErrorCode(err); code != playhead.EINVALID && code != playhead.ETOOLARGE {
				t.Fatalf("ParseImport returned %s: %v", code, err)
			}
			return
		}
		if len(rec.Events) == 0 {
			t.Fatal("a recording without events was accepted")
		}
		for i, e := range rec.Events {
			if !json.Valid(e.Raw) || i > 0 && e.Timestamp < rec.Events[i-1].Timestamp {
				t.Fatalf("event %d (%s) is not valid JSON in time order", i, e.Raw)
			}
		}
		// What the parser accepts, ingest stores or refuses by its rules,
		// never with an internal error.
		if _, err := in.Import(t.Context(), p, rec, ingest.Origin{}); err != nil && playhead.ErrorCode(err) != playhead.EINVALID {
			t.Fatalf("accepted recording failed to store: %v", err)
		}
	})
}

// BenchmarkImportReal60 imports the real 60-minute recording (28.7k
// events, 10.5 MB of JSON) as one file: parsing, then storing it through
// the batches' path.
func BenchmarkImportReal60(b *testing.B) {
	events, err := testdata.Real60()
	if err != nil {
		b.Fatal(err)
	}
	var file bytes.Buffer
	file.WriteByte('[')
	for i, e := range events {
		if i > 0 {
			file.WriteByte(',')
		}
		file.Write(e.Raw)
	}
	file.WriteByte(']')
	in, _, p := newIngester(b)
	lim := ingest.DefaultImportLimits
	b.SetBytes(int64(file.Len()))
	b.ResetTimer()
	for b.Loop() {
		rec, err := ingest.ParseImport(file.Bytes(), lim, now)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := in.Import(b.Context(), p, rec, ingest.Origin{}); err != nil {
			b.Fatal(err)
		}
	}
}
