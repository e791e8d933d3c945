package e2e_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
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
			navigate(srv.URL+"/"+page+".html"),
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

// corpusEvent is one recorded event, kept as it was recorded.
type corpusEvent struct {
	raw       json.RawMessage
	typ       int
	timestamp int64
	moment    string // the name of a moment the page marked (a custom event "moment")
}

func loadCorpus(t *testing.T, name string) []corpusEvent {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "corpus", name+".json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var raws []json.RawMessage
	if err := json.NewDecoder(zr).Decode(&raws); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	out := make([]corpusEvent, len(raws))
	for i, r := range raws {
		var e struct {
			Type      int   `json:"type"`
			Timestamp int64 `json:"timestamp"`
			Data      struct {
				Tag     string `json:"tag"`
				Payload struct {
					Name string `json:"name"`
				} `json:"payload"`
			} `json:"data"`
		}
		if err := json.Unmarshal(r, &e); err != nil {
			t.Fatalf("%s event %d: %v", name, i, err)
		}
		out[i] = corpusEvent{raw: r, typ: e.Type, timestamp: e.Timestamp}
		if e.Type == 5 && e.Data.Tag == "moment" {
			out[i].moment = e.Data.Payload.Name
		}
	}
	return out
}

// corpusBatches cuts a recording as a recorder following docs/PROTOCOL.md
// sends it: a new batch at every Meta event, and after two seconds.
func corpusBatches(events []corpusEvent) [][]corpusEvent {
	var out [][]corpusEvent
	for i, e := range events {
		if i == 0 || e.typ == 4 || e.timestamp-out[len(out)-1][0].timestamp > 2000 {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], e)
	}
	return out
}

// probeDOM describes a replayed document, line by line, as the same function
// sees it in Playhead's player and in a plain rrweb replay: elements and
// their attributes, text, form state, dialogs (open, modal), every style
// sheet's rules (adopted ones, of the document and of shadow roots,
// included), scroll positions, the selection, and the same for same-origin
// frames and shadow roots.
const probeDOM = `function probe(doc, indent = '') {
	const out = [];
	const rules = (sheet) => { try { return Array.from(sheet.cssRules, (r) => r.cssText).join(' ') } catch (e) { return '(unreadable)' } };
	const win = doc.defaultView;
	out.push(indent + 'scroll ' + Math.round(win ? win.scrollX : 0) + ',' + Math.round(win ? win.scrollY : 0));
	for (const s of doc.styleSheets) out.push(indent + 'sheet ' + rules(s));
	out.push(indent + 'adopted [' + Array.from(doc.adoptedStyleSheets || [], rules).join(' | ') + ']');
	const sel = doc.getSelection && doc.getSelection();
	if (sel && sel.rangeCount) out.push(indent + 'selection ' + JSON.stringify(sel.toString()) + ' ' + sel.anchorOffset + '-' + sel.focusOffset);
	const walk = (node, ind) => {
		for (const n of node.childNodes) {
			if (n.nodeType === 3) {
				const t = n.textContent.trim();
				if (t && !(n.parentNode && n.parentNode.localName === 'style')) out.push(ind + JSON.stringify(t));
				continue;
			}
			if (n.nodeType !== 1) continue;
			const el = n;
			const tag = el.localName;
			const attrs = Array.from(el.attributes, (a) => a.name + '=' + JSON.stringify(a.value)).sort().join(' ');
			let line = ind + '<' + tag + (attrs ? ' ' + attrs : '') + '>';
			if (tag === 'input' || tag === 'textarea' || tag === 'select') line += ' value=' + JSON.stringify(el.value);
			if (tag === 'input' && (el.type === 'checkbox' || el.type === 'radio')) line += ' checked=' + el.checked;
			if (tag === 'dialog') line += ' open=' + el.open + ' modal=' + el.matches(':modal');
			if (el.scrollTop || el.scrollLeft) line += ' scroll=' + Math.round(el.scrollLeft) + ',' + Math.round(el.scrollTop);
			out.push(line);
			if (el.shadowRoot) {
				out.push(ind + '  #shadow adopted [' + Array.from(el.shadowRoot.adoptedStyleSheets, rules).join(' | ') + ']');
				for (const s of el.shadowRoot.styleSheets) out.push(ind + '  #shadow sheet ' + rules(s));
				walk(el.shadowRoot, ind + '    ');
			}
			if (tag === 'iframe') {
				let d = null;
				try { d = el.contentDocument } catch (e) { d = null }
				if (d && d.documentElement) out.push(...probe(d, ind + '  | '));
			}
			walk(el, ind + '  ');
		}
	};
	walk(doc, indent);
	return out;
}`

// corpusCase is one recording sent to Playhead, whole or with batches lost.
type corpusCase struct {
	name, recording string
	// lose picks the one batch that never arrived: the first it is true for.
	lose func(batch []corpusEvent) bool
}

// TestReplayCorpus sends every recording of the corpus to Playhead through
// the ingest API, cut as docs/PROTOCOL.md describes (a new batch at every
// Meta event, so the page lifecycle events rrweb records before its first
// Meta make a batch of their own), once more with the batch of the first
// full snapshot lost. It opens each in the player and visits the start, every
// moment the page marked, the middle and the end, going backwards through
// them and then forwards again; at each it compares a probe of the replayed
// document (see probeDOM) with a plain rrweb replay of the same events from
// the start up to the moment the player shows. Opening and seeking must log
// no error.
func TestReplayCorpus(t *testing.T) {
	ctx := newBrowser(t)
	m := startPlayhead(t)
	errs := watchConsole(t, ctx)
	setLoginCookie(t, ctx, m)

	firstKeyframeLost := func(batch []corpusEvent) bool {
		return slices.ContainsFunc(batch, func(e corpusEvent) bool { return e.typ == 2 })
	}
	cases := []corpusCase{
		{name: "styles", recording: "styles"},
		{name: "widgets", recording: "widgets"},
		{name: "frames", recording: "frames"},
		{name: "styles-first-keyframe-lost", recording: "styles", lose: firstKeyframeLost},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			events := loadCorpus(t, tc.recording)
			sid := "corpus-" + tc.name
			var kept []corpusEvent
			lostKeyframe := false
			for seq, batch := range corpusBatches(events) {
				if tc.lose != nil && !lostKeyframe && tc.lose(batch) {
					lostKeyframe = true
					continue
				}
				raws := make([]string, len(batch))
				for i, e := range batch {
					raws[i] = string(e.raw)
				}
				postBatch(t, m, sid, seq, raws...)
				kept = append(kept, batch...)
			}
			start := kept[0].timestamp
			total := kept[len(kept)-1].timestamp - start
			type moment struct {
				name string
				t    int64
			}
			var named []moment
			for _, e := range kept {
				if e.moment != "" {
					named = append(named, moment{e.moment, e.timestamp - start})
				}
			}
			// the end (twice: a seek to where the player stands changes
			// nothing), backwards from it, then forwards again
			visits := []moment{{"end", total}, {"end again", total}}
			for _, mo := range slices.Backward(named) {
				visits = append(visits, mo)
			}
			visits = append(visits, moment{"middle", total / 2}, moment{"start", 0})
			for i := 0; i < len(named); i += 3 {
				visits = append(visits, named[i])
			}
			visits = append(visits, moment{"middle", total / 2}, moment{"end", total})

			errs.take()
			do(t, ctx, "open "+sid,
				navigate(m.URL()+"/sessions/"+sid+"?t=0"),
				chromedp.Poll[chromedp.Void](`window.__playhead && window.__playhead.ready`, chromedp.WithPollingTimeout(30*time.Second)),
				chromedp.Evaluate[chromedp.Void](`(async () => {
					window.__probe = `+probeDOM+`;
					window.__corpusEvents = await (await fetch('/api/v1/sessions/`+sid+`/events')).json();
				})()`, chromedp.EvalAwaitPromise),
			)
			for _, v := range visits {
				type probed struct {
					Shown  float64
					Player []string
					Plain  []string
				}
				got := evalAwait[probed](t, ctx, fmt.Sprintf(`(async (t) => {
					await window.__playhead.seek(t);
					await new Promise((r) => setTimeout(r, 150));
					return {shown: window.__playhead.currentTime(), player: window.__probe(document.querySelector('.stage-root iframe').contentDocument)};
				})(%d)`, v.t))
				if e := errs.take(); len(e) > 0 {
					t.Errorf("%s: showing %s, the player logged errors: %q", tc.name, v.name, e)
				}
				// rrweb shows the events strictly before its time: at the end, the last one too
				at := int64(got.Shown)
				if at >= total {
					at = total + 1
				}
				got.Plain = evalAwait[[]string](t, ctx, fmt.Sprintf(`(async (at) => {
					const host = document.createElement('div');
					host.style.cssText = 'position:fixed;left:-5000px;top:0';
					document.body.appendChild(host);
					const Replayer = window.__playhead.replayer.constructor;
					const r = new Replayer(window.__corpusEvents, {root: host, showWarning: false, showDebug: false, mouseTail: false,
						UNSAFE_replayCanvas: false, triggerFocus: false, useVirtualDom: false});
					r.pause(at);
					await new Promise((r) => setTimeout(r, 150));
					const plain = window.__probe(r.iframe.contentDocument);
					r.destroy();
					host.remove();
					return plain;
				})(%d)`, at))
				errs.take() // a plain replay's own (rrweb plays media it cannot load)
				if len(got.Player) < 10 {
					t.Errorf("%s at %s: the player shows almost nothing: %q", tc.name, v.name, got.Player)
				}
				if d := probeDiff(got.Plain, got.Player); d != "" {
					t.Errorf("%s at %s (%d ms, shown at %.0f ms) differs from a plain replay up to that moment:\n%s", tc.name, v.name, v.t, got.Shown, d)
				}
			}
		})
	}
}

// evalAwait evaluates a JavaScript expression whose value is a promise and
// decodes what it resolves to.
func evalAwait[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %.80q: %v", expr, err)
	}
	return v
}

// probeDiff shows where two probes differ (plain replay, then player): the
// lines between their common beginning and end, or "".
func probeDiff(want, got []string) string {
	if slices.Equal(want, got) {
		return ""
	}
	p := 0
	for p < len(want) && p < len(got) && want[p] == got[p] {
		p++
	}
	e := 0
	for e < len(want)-p && e < len(got)-p && want[len(want)-1-e] == got[len(got)-1-e] {
		e++
	}
	var b strings.Builder
	show := func(who string, lines []string) {
		for i, l := range lines {
			if i == 8 {
				fmt.Fprintf(&b, "    %s: … %d more\n", who, len(lines)-i)
				break
			}
			fmt.Fprintf(&b, "    %s: %.300s\n", who, l)
		}
	}
	fmt.Fprintf(&b, "  from line %d:\n", p)
	show("plain ", want[p:len(want)-e])
	show("player", got[p:len(got)-e])
	return b.String()
}
