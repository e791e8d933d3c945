package ingest_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/playhead/playhead/ingest"
	"github.com/playhead/playhead/privacy"
	"github.com/playhead/playhead/testdata"
)

// Parsing scrubs as it reads: every event is what ScrubJSON makes of it,
// the fields indexing reads come from the scrubbed event, and the payload
// as sent stays at hand for what is read before scrubbing.
func TestParseBatchScrubsInTheSamePass(t *testing.T) {
	body := batch(`{"type":4,"timestamp":1795807228300,"data":{"href":"https://shop.example/reset?token=abc123&page=2","width":800,"height":600}},` +
		`{"type":3,"timestamp":1795807228301,"data":{"source":0,"texts":[{"id":4,"value":"Mail ada@example.com"}],"attributes":[],"removes":[],"adds":[]}},` +
		`{"timestamp":1795807228302,"data":{"tag":"playhead.identify","payload":{"userId":"ada@example.com","traits":{"plan":"pro"}}},"type":5},` +
		`{"type":6,"timestamp":1795807228303,"data":{"plugin":"rrweb/console@1","payload":{"level":"log","payload":["\"card 4111 1111 1111 1111\""],"trace":[]}}},` +
		`{"type":3,"timestamp":1795807228304,"data":{"source":2,"type":2,"id":7,"x":10.5,"y":20}}`)
	b, err := ingest.ParseBatch(body, ingest.DefaultLimits, now)
	if err != nil {
		t.Fatal(err)
	}
	sent, err := ingest.ParseBatchWith(body, ingest.DefaultLimits, now, ingest.ParseOptions{NoScrub: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range b.Events {
		if want := privacy.ScrubJSON(sent.Events[i].Raw, nil); !bytes.Equal(e.Raw, want) {
			t.Errorf("event %d:\n got %s\nwant %s", i, e.Raw, want)
		}
	}
	if got := b.Events[0].Href; got != "https://shop.example/reset?token=[redacted]&page=2" {
		t.Errorf("href read as %q", got)
	}
	if p := string(b.Events[2].Payload); strings.Contains(p, "ada@") || !strings.Contains(p, `"plan":"pro"`) {
		t.Errorf("identify payload read as %s", p)
	}
	if p := string(ingest.Unscrubbed(b, 2)); !strings.Contains(p, "ada@example.com") {
		t.Errorf("identify payload as sent read as %s", p)
	}
	if p := string(b.Events[3].Payload); strings.Contains(p, "4111") || !strings.HasPrefix(p, `{"level":"log"`) {
		t.Errorf("console payload read as %s", p)
	}
	if e := b.Events[4]; e.Source != 2 || e.Interaction != 2 || e.NodeID != 7 || e.X != 10.5 || e.Y != 20 {
		t.Errorf("click read as %+v", e)
	}
	// Scrubbing a batch again changes nothing.
	n, err := ingest.Scrub(b, now)
	if err != nil || n[string(privacy.Email)] != 2 || n[string(privacy.Card)] != 1 || n[string(privacy.Secret)] != 1 {
		t.Errorf("counts %v, %v", n, err)
	}
}

// Assets found while parsing are the ones the events are looked at for
// afterwards, on the real recording and on nodes, mutations and CSS.
func TestParseBatchFindsAssetsInTheSamePass(t *testing.T) {
	events, err := testdata.Real60()
	if err != nil {
		t.Fatal(err)
	}
	bodies := testdata.Batches(events, "assets0000000001", 5000)
	bodies = append(bodies, batch(`{"type":4,"timestamp":1795807228300,"data":{"href":"https://shop.example/a/b?x=1","width":800,"height":600}},`+
		`{"type":2,"timestamp":1795807228301,"data":{"node":{"type":0,"childNodes":[{"type":2,"attributes":{"href":"style.css?u=ada@example.com","REL":"Stylesheet"},"tagName":"LINK","childNodes":[],"id":2},`+
		`{"type":2,"tagName":"style","attributes":{},"childNodes":[{"type":3,"textContent":"body{background:url(/bg.png)}","isStyle":true,"id":4}],"id":3},`+
		`{"type":2,"tagName":"a","attributes":{"href":"/page.png"},"childNodes":[],"id":5},{"type":2,"tagName":"img","attributes":{"srcset":"s1.png 1x, s2.png 2x","style":"background:url(i.png)"},"childNodes":[],"id":6}],"id":1},"initialOffset":{"left":0,"top":0}}},`+
		`{"type":3,"timestamp":1795807228302,"data":{"source":13,"id":3,"index":[0],"set":{"property":"background","value":"url(set.png)","priority":""}}},`+
		`{"type":3,"timestamp":1795807228303,"data":{"source":0,"texts":[],"attributes":[{"id":6,"attributes":{"src":"mut.png","style":{"background":["url(st.png)","important"]}}}],"removes":[],"adds":[]}},`+
		`{"type":3,"timestamp":1795807228304,"data":{"source":8,"id":3,"adds":[{"rule":"@import 'rule.css';","index":0}]}}`))
	for i, body := range bodies {
		found, err := ingest.ParseBatchWith(body, ingest.DefaultLimits, now, ingest.ParseOptions{FindAssets: true})
		if err != nil {
			t.Fatal(err)
		}
		later, err := ingest.ParseBatch(body, ingest.DefaultLimits, now)
		if err != nil {
			t.Fatal(err)
		}
		got, want := ingest.AssetURLs(found), ingest.AssetURLs(later)
		if !slices.Equal(got, want) {
			t.Fatalf("batch %d: found while parsing %q, afterwards %q", i, got, want)
		}
		if i == len(bodies)-1 {
			wantLast := []string{"https://shop.example/a/style.css?u=***************", "https://shop.example/bg.png", "https://shop.example/a/s1.png",
				"https://shop.example/a/s2.png", "https://shop.example/a/i.png", "https://shop.example/a/set.png", "https://shop.example/a/mut.png",
				"https://shop.example/a/st.png", "https://shop.example/a/rule.css"}
			if !slices.Equal(got, wantLast) {
				t.Errorf("assets of the crafted batch:\n got %q\nwant %q", got, wantLast)
			}
		}
	}
}

// A buffer reused from an earlier, larger body holds exactly the new one,
// and the limits still count what is read, not the buffer's size.
func TestAppendRawAndDecompressedReuseBuffers(t *testing.T) {
	lim := ingest.Limits{MaxBodyBytes: 64, MaxDecodedBytes: 100}
	old := bytes.Repeat([]byte("x"), 200)
	long := []byte(strings.Repeat("{}", 40)) // 80 bytes
	zipped := gz(t, long)
	raw, err := ingest.AppendRaw(old[:0], bytes.NewReader(zipped), lim)
	if err != nil || !bytes.Equal(raw, zipped) {
		t.Fatalf("AppendRaw into a used buffer: %q, %v", raw, err)
	}
	if &raw[0] != &old[0] {
		t.Error("AppendRaw did not read into the buffer it was given")
	}
	out, err := ingest.AppendDecompressed(make([]byte, 0, 4096), raw, true, lim)
	if err != nil || !bytes.Equal(out, long) {
		t.Fatalf("AppendDecompressed: %q, %v", out, err)
	}
	if _, err := ingest.AppendRaw(old[:0], bytes.NewReader(bytes.Repeat([]byte("y"), 65)), lim); err == nil || !strings.Contains(err.Error(), "limit of 64 bytes") {
		t.Errorf("a body one byte over the limit, read into a larger buffer: %v", err)
	}
	bomb := gz(t, []byte(strings.Repeat(" ", 101)))
	if _, err := ingest.AppendDecompressed(make([]byte, 0, 4096), bomb, true, lim); err == nil || !strings.Contains(err.Error(), "limit of 100 bytes") {
		t.Errorf("a body decompressing one byte over the limit, into a larger buffer: %v", err)
	}
	// A body that is not gzip is the buffer it was read into.
	plain := []byte(`{"v":1}`)
	if out, err := ingest.AppendDecompressed(make([]byte, 0, 4096), plain, false, lim); err != nil || &out[0] != &plain[0] {
		t.Errorf("plain body copied or refused: %v", err)
	}
}
