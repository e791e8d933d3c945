// Package ingest turns a batch as the SDK sent it into stored chunks and index
// entries: decode the body, validate the events, extract what the index needs,
// store the chunk durably, then index it. It knows nothing of HTTP.
package ingest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/klauspost/compress/gzip"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/assets"
	"github.com/playhead/playhead/internal/jsonstr"
	"github.com/playhead/playhead/privacy"
)

// Limits bound what one batch may hold. A request over a limit is refused
// with an error that names the limit.
type Limits struct {
	MaxBodyBytes    int64         // compressed body, as received
	MaxDecodedBytes int64         // body after gunzip
	MaxEvents       int           // events in one batch
	MaxEventBytes   int           // one event's JSON
	MaxFutureSkew   time.Duration // how far past the server's clock an event may be
	MaxAge          time.Duration // how far before the server's clock an event may be
}

// DefaultLimits are the limits documented in docs/PROTOCOL.md.
var DefaultLimits = Limits{
	MaxBodyBytes:    4 << 20,
	MaxDecodedBytes: 32 << 20,
	MaxEvents:       20000,
	MaxEventBytes:   16 << 20,
	MaxFutureSkew:   24 * time.Hour,
	MaxAge:          30 * 24 * time.Hour,
}

// ReadBody reads a request body, gunzipping it when it starts with gzip's
// magic bytes (or gzipped says so), and refuses it as soon as either the
// compressed or the decompressed size passes its limit, so a gzip bomb costs
// no more than the limit to refuse.
func ReadBody(r io.Reader, gzipped bool, lim Limits) ([]byte, error) {
	raw, err := ReadRaw(r, lim)
	if err != nil {
		return nil, err
	}
	return Decompress(raw, gzipped, lim)
}

// ReadRaw reads a request body as sent, refusing one over MaxBodyBytes.
func ReadRaw(r io.Reader, lim Limits) ([]byte, error) {
	return AppendRaw(nil, r, lim)
}

// AppendRaw is ReadRaw reading into the space of dst[:0] (grown when it
// is too small), for a caller that reuses its buffers.
func AppendRaw(dst []byte, r io.Reader, lim Limits) ([]byte, error) {
	raw := dst[:0]
	if cap(raw) == 0 {
		raw = make([]byte, 0, 512)
	}
	raw, err := readAtMost(raw, r, lim.MaxBodyBytes)
	if err != nil {
		return nil, playhead.Errorf(playhead.EINVALID, "read body: %v", err)
	}
	if int64(len(raw)) > lim.MaxBodyBytes {
		return nil, playhead.Errorf(playhead.ETOOLARGE, "body is larger than the limit of %d bytes", lim.MaxBodyBytes)
	}
	return raw, nil
}

// readAtMost appends what r yields to buf until r ends or buf holds more
// than limit bytes, and reads no further: a body over its limit costs no
// more than the limit to refuse.
func readAtMost(buf []byte, r io.Reader, limit int64) ([]byte, error) {
	for int64(len(buf)) <= limit {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):min(int64(cap(buf)), limit+1)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// Decompress returns the JSON of a body read by ReadRaw: gunzipped when
// it is gzip (by header or by its magic bytes), refusing more than
// MaxDecodedBytes after reading no further.
func Decompress(raw []byte, gzipped bool, lim Limits) ([]byte, error) {
	return AppendDecompressed(nil, raw, gzipped, lim)
}

// AppendDecompressed is Decompress writing into the space of dst[:0]
// (grown when it is too small), for a caller that reuses its buffers. A
// body that is not gzip is returned as it is, not copied.
func AppendDecompressed(dst, raw []byte, gzipped bool, lim Limits) ([]byte, error) {
	if !gzipped && !bytes.HasPrefix(raw, []byte{0x1f, 0x8b}) {
		return raw, nil
	}
	zr, _ := gzipReaders.Get().(*gzip.Reader)
	var err error
	if zr == nil {
		zr, err = gzip.NewReader(bytes.NewReader(raw))
	} else {
		err = zr.Reset(bytes.NewReader(raw))
	}
	if err != nil {
		return nil, playhead.Errorf(playhead.EINVALID, "body is not valid gzip: %v", err)
	}
	defer gzipReaders.Put(zr)
	// The gzip trailer gives the (last member's) size: a hint for the
	// buffer, trusted no further than the limit and a ratio JSON reaches.
	hint := int64(0)
	if len(raw) >= 18 {
		hint = min(int64(binary.LittleEndian.Uint32(raw[len(raw)-4:])), 32*int64(len(raw)))
	}
	out := dst[:0]
	if want := min(max(hint+512, 4096), lim.MaxDecodedBytes+1); int64(cap(out)) < want {
		out = make([]byte, 0, want)
	}
	out, err = readAtMost(out, zr, lim.MaxDecodedBytes)
	if err != nil {
		return nil, playhead.Errorf(playhead.EINVALID, "body is not valid gzip: %v", err)
	}
	if int64(len(out)) > lim.MaxDecodedBytes {
		return nil, playhead.Errorf(playhead.ETOOLARGE, "decompressed body is larger than the limit of %d bytes", lim.MaxDecodedBytes)
	}
	return out, nil
}

// gzipReaders are reused: a reader's state is tens of kilobytes.
var gzipReaders sync.Pool

// Batch is a decoded, validated batch.
type Batch struct {
	SessionID string
	Seq       int
	SDK       string
	// Release is the app's release the page ran, from the SDK's release
	// option ("" when none).
	Release string
	Events  []Event

	// What parsing did besides decoding: scrubbed says the events were
	// scrubbed (scrubCounts: what was masked, by kind); findAssets says
	// assetURLs holds the assets they reference.
	scrubbed    bool
	scrubCounts map[string]int
	findAssets  bool
	assetURLs   []string
}

// Event is one validated rrweb event: its raw JSON (stored as is) and the
// few fields of it that indexing reads, picked out in the same pass that
// validates the body.
type Event struct {
	Raw       []byte
	Type      int
	Timestamp int64
	// Of an IncrementalSnapshot's data: the source and, for mouse
	// interactions, the interaction type, node and position.
	Source, Interaction int
	NodeID              int64
	X, Y                float64
	// Of a Meta event's data.
	Href string
	// Of a Custom event's data (tag) or a Plugin event's (plugin).
	Tag     string
	Payload []byte
	// payloadIn is the payload as sent, before scrubbing: the contact a
	// bug report leaves and the user ID of an identify event are read
	// from it.
	payloadIn []byte
	// snapshot is a FullSnapshot's tree of nodes, as the DOM index reads
	// it, when parsing read it (nil: decode it from Raw).
	snapshot *serialisedNode
}

// unscrubbedPayload returns the payload as the page sent it.
func (e *Event) unscrubbedPayload() []byte {
	if e.payloadIn != nil {
		return e.payloadIn
	}
	return e.Payload
}

// rrweb event types.
const (
	typeDomContentLoaded = 0
	typeLoad             = 1
	typeFullSnapshot     = 2
	typeIncremental      = 3
	typeMeta             = 4
	typeCustom           = 5
	typePlugin           = 6
)

const (
	maxSeq          = 10_000_000
	protocolVersion = 1
)

// ParseBatch decodes, validates and scrubs a batch body. now bounds event
// timestamps. Errors are EINVALID or ETOOLARGE and name the field at fault.
func ParseBatch(body []byte, lim Limits, now time.Time) (*Batch, error) {
	return ParseBatchWith(body, lim, now, ParseOptions{})
}

// ParseOptions say what parsing a batch does besides decoding and
// validating it.
type ParseOptions struct {
	// NoScrub leaves the events as they are (they were stored scrubbed).
	NoScrub bool
	// FindAssets finds the stylesheets, fonts and images the events
	// reference, for capture.
	FindAssets bool
}

// ParseBatchWith is ParseBatch with options.
//
// It makes one pass over the body with a streaming JSON tokenizer, the hot
// path of ingest: in that pass it validates the batch, reads the fields the
// index needs, masks personal data in every string value (rebuilding only
// the events where it masked something) and, with FindAssets, finds asset
// references. Mutation data, most of the bytes, is tokenized and never
// decoded: a string is only decoded when its bytes may hold personal data
// or its place may hold a URL.
func ParseBatchWith(body []byte, lim Limits, now time.Time, opts ParseOptions) (*Batch, error) {
	p := &parser{body: body, lim: lim, minTs: now.Add(-lim.MaxAge).UnixMilli(), maxTs: now.Add(lim.MaxFutureSkew).UnixMilli(), scrub: !opts.NoScrub}
	if opts.FindAssets {
		p.finder = &assets.Finder{}
	}
	p.init()
	p.dec = jsontext.NewDecoder(bytes.NewBuffer(body), jsontext.AllowDuplicateNames(true))
	b, err := p.batch()
	if err != nil {
		var pe *playhead.Error
		if errors.As(err, &pe) {
			return nil, pe
		}
		return nil, playhead.Errorf(playhead.EINVALID, "body is not a JSON batch: %v", cleanJSONError(err))
	}
	b.scrubbed = p.scrub
	b.scrubCounts = p.countsMap()
	if p.finder != nil {
		b.findAssets = true
		b.assetURLs = p.finder.URLs()
		if len(b.assetURLs) > maxAssetsPerBatch {
			b.assetURLs = b.assetURLs[:maxAssetsPerBatch]
		}
	}
	return b, nil
}

type parser struct {
	body         []byte
	dec          *jsontext.Decoder
	lim          Limits
	minTs, maxTs int64

	// Scrubbing: what was masked, and the current event's edits.
	scrub  bool
	counts privacy.Counts
	edits  []edit
	base   int64 // where the current decoder's input starts in body
	// payloadAt is where the current event's payload starts in body.
	payloadAt int64
	// finder, when assets are found, reads the events' data.
	finder *assets.Finder
	text   func(raw jsontext.Value, end int64) (string, bool)
}

// edit is a string value scrubbing replaced: body[start:end] becomes text.
type edit struct {
	start, end int64
	text       string
}

func (p *parser) init() {
	if !p.scrub {
		return
	}
	p.counts = privacy.Counts{}
	p.text = func(raw jsontext.Value, end int64) (string, bool) {
		s, ok := privacy.ScrubJSONString(raw, p.counts)
		if ok {
			p.edits = append(p.edits, edit{start: end - int64(len(raw)), end: end, text: s})
		}
		return s, ok
	}
	if p.finder != nil {
		p.finder.Text = p.text
	}
}

func (p *parser) countsMap() map[string]int {
	if len(p.counts) == 0 {
		return nil
	}
	out := make(map[string]int, len(p.counts))
	for k, n := range p.counts {
		out[string(k)] = n
	}
	return out
}

// applyEdits returns src, which starts at offset at in body, with the
// edits inside it made; src itself when there are none.
func applyEdits(src []byte, at int64, edits []edit) []byte {
	var out []byte
	copied := int64(0)
	for _, e := range edits {
		if e.start < at || e.end > at+int64(len(src)) {
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(src)+16)
		}
		out = append(out, src[copied:e.start-at]...)
		out = privacy.AppendJSONString(out, e.text)
		copied = e.end - at
	}
	if out == nil {
		return src
	}
	return append(out, src[copied:]...)
}

func (p *parser) batch() (*Batch, error) {
	if err := p.expect('{'); err != nil {
		return nil, err
	}
	b := &Batch{}
	var v, seq int64 = -1, 0
	haveEvents, haveSeq := false, false
	for p.dec.PeekKind() != '}' {
		key, err := p.dec.ReadToken()
		if err != nil {
			return nil, err
		}
		switch key.String() {
		case "v":
			if v, err = p.int(-1, "v"); err != nil {
				return nil, err
			}
		case "sid":
			if b.SessionID, err = p.str("sid"); err != nil {
				return nil, err
			}
		case "seq":
			if seq, err = p.int(-1, "seq"); err != nil {
				return nil, err
			}
			haveSeq = true
		case "sdk":
			if b.SDK, err = p.str("sdk"); err != nil {
				return nil, err
			}
			b.SDK = truncate(b.SDK, 100)
		case "release":
			if b.Release, err = p.str("release"); err != nil {
				return nil, err
			}
			// A release the server cannot take is dropped, not the
			// recording: the SDK sends whatever the app configured.
			if ValidRelease(b.Release) != nil {
				b.Release = ""
			}
		case "events":
			// Fields may come in any order (a JSON encoder that sorts keys
			// puts "events" before "v"): the version is checked at the end.
			if err := p.events(b); err != nil {
				return nil, err
			}
			haveEvents = true
		default:
			if err := p.dec.SkipValue(); err != nil {
				return nil, err
			}
		}
	}
	if err := p.expect('}'); err != nil {
		return nil, err
	}
	if _, err := p.dec.ReadToken(); err != io.EOF {
		return nil, playhead.Errorf(playhead.EINVALID, "body is not a JSON batch: data after the batch object")
	}
	if v != protocolVersion {
		return nil, versionError(v)
	}
	if err := ValidSessionID(b.SessionID); err != nil {
		return nil, err
	}
	if !haveSeq {
		return nil, playhead.Errorf(playhead.EINVALID, "seq: missing")
	}
	if seq < 0 || seq > maxSeq {
		return nil, playhead.Errorf(playhead.EINVALID, "seq: %d is outside 0..%d", seq, maxSeq)
	}
	b.Seq = int(seq)
	if !haveEvents || len(b.Events) == 0 {
		return nil, playhead.Errorf(playhead.EINVALID, "events: empty")
	}
	return b, nil
}

func versionError(v int64) error {
	if v == -1 {
		return playhead.Errorf(playhead.EINVALID, "v: missing (this server speaks protocol version %d)", protocolVersion)
	}
	return playhead.Errorf(playhead.EINVALID, "v: protocol version %d is not supported (this server speaks %d)", v, protocolVersion)
}

func (p *parser) expect(k jsontext.Kind) error {
	tok, err := p.dec.ReadToken()
	if err != nil {
		return err
	}
	if tok.Kind() != k {
		return playhead.Errorf(playhead.EINVALID, "body is not a JSON batch: found %v where %v was expected", tok.Kind(), k)
	}
	return nil
}

// int reads a whole number: field name of the batch, or of events[event]
// when event is not negative (named only in an error, so the common case
// formats nothing).
func (p *parser) int(event int, name string) (int64, error) {
	v, err := p.dec.ReadValue()
	if err != nil {
		return 0, err
	}
	n, perr := strconv.ParseInt(string(v), 10, 64)
	if perr != nil {
		field := name
		if event >= 0 {
			field = fmt.Sprintf("events[%d].%s", event, name)
		}
		if v.Kind() == '0' {
			return 0, playhead.Errorf(playhead.EINVALID, "%s: %s is not a whole number", field, v)
		}
		return 0, playhead.Errorf(playhead.EINVALID, "%s: a number is required, found %v", field, v.Kind())
	}
	return n, nil
}

func (p *parser) num(field string) (float64, error) {
	tok, err := p.dec.ReadToken()
	if err != nil {
		return 0, err
	}
	if tok.Kind() != '0' {
		return 0, playhead.Errorf(playhead.EINVALID, "%s: a number is required, found %v", field, tok.Kind())
	}
	return tok.Float(), nil
}

func (p *parser) str(field string) (string, error) {
	tok, err := p.dec.ReadToken()
	if err != nil {
		return "", err
	}
	if tok.Kind() != '"' {
		return "", playhead.Errorf(playhead.EINVALID, "%s: a string is required, found %v", field, tok.Kind())
	}
	return tok.String(), nil
}

func (p *parser) events(b *Batch) error {
	if err := p.expect('['); err != nil {
		return err
	}
	// Room for somewhat more events than a body this size usually holds
	// (the real recording's average 366 bytes), so the slice is seldom
	// grown, nor much larger than needed; but for no more than 256: a
	// page's first batch is large for its full snapshot, not for its
	// number of events (room for 4,096 cost 700 kB a page).
	b.Events = make([]Event, 0, min(len(p.body)/256+1, p.lim.MaxEvents, 256))
	for i := 0; p.dec.PeekKind() != ']'; i++ {
		if i == p.lim.MaxEvents {
			return playhead.Errorf(playhead.ETOOLARGE, "events: more events than the limit of %d a batch", p.lim.MaxEvents)
		}
		start := p.dec.InputOffset()
		e, err := p.event(i)
		if err != nil {
			return err
		}
		end := p.dec.InputOffset()
		raw := bytes.TrimLeft(p.body[start:end], ", \t\r\n")
		if len(raw) > p.lim.MaxEventBytes {
			return playhead.Errorf(playhead.ETOOLARGE, "events[%d]: %d bytes is over the limit of %d for one event", i, len(raw), p.lim.MaxEventBytes)
		}
		e.Raw = p.finish(&e, raw, end-int64(len(raw)))
		b.Events = append(b.Events, e)
	}
	return p.expect(']')
}

func (p *parser) event(i int) (Event, error) {
	e := Event{Type: -1}
	p.edits = p.edits[:0]
	if p.dec.PeekKind() != '{' {
		return e, playhead.Errorf(playhead.EINVALID, "events[%d]: an rrweb event object is required, found %v", i, p.dec.PeekKind())
	}
	p.dec.ReadToken()
	var ts int64 = -1
	var deferStart, deferEnd int64 = -1, -1 // data seen before type: read once type is known
	haveData := false
	for p.dec.PeekKind() != '}' {
		key, err := jsonstr.Name(p.dec)
		if err != nil {
			return e, err
		}
		switch string(key) {
		case "type":
			n, err := p.int(i, "type")
			if err != nil {
				return e, err
			}
			if n < typeDomContentLoaded || n > typePlugin {
				return e, playhead.Errorf(playhead.EINVALID, "events[%d].type: %d is not an rrweb event type (0-6)", i, n)
			}
			e.Type = int(n)
		case "timestamp":
			v, err := p.dec.ReadValue()
			if err != nil {
				return e, err
			}
			n, perr := strconv.ParseInt(string(v), 10, 64)
			if perr != nil {
				if v.Kind() == '0' {
					return e, playhead.Errorf(playhead.EINVALID, "events[%d].timestamp: %s is not whole milliseconds", i, v)
				}
				return e, playhead.Errorf(playhead.EINVALID, "events[%d].timestamp: a number is required, found %v", i, v.Kind())
			}
			ts = n
		case "data":
			haveData = true
			if p.dec.PeekKind() != '{' {
				if e.Type >= typeFullSnapshot || e.Type < 0 {
					return e, playhead.Errorf(playhead.EINVALID, "events[%d].data: an object is required", i)
				}
				if err := p.walk(p.dec); err != nil {
					return e, err
				}
				continue
			}
			if e.Type < 0 {
				v, err := p.dec.ReadValue()
				if err != nil {
					return e, err
				}
				deferEnd = p.dec.InputOffset()
				deferStart = deferEnd - int64(len(v))
				continue
			}
			if err := p.data(&e, p.dec); err != nil {
				return e, err
			}
		default:
			if err := p.walk(p.dec); err != nil {
				return e, err
			}
		}
	}
	p.dec.ReadToken() // '}'
	if e.Type < 0 {
		return e, playhead.Errorf(playhead.EINVALID, "events[%d].type: missing", i)
	}
	if ts == -1 {
		return e, playhead.Errorf(playhead.EINVALID, "events[%d].timestamp: missing", i)
	}
	if ts < p.minTs || ts > p.maxTs {
		return e, playhead.Errorf(playhead.EINVALID, "events[%d].timestamp: %s is more than %s before or %s after the server's clock",
			i, time.UnixMilli(ts).UTC().Format(time.RFC3339), p.lim.MaxAge, p.lim.MaxFutureSkew)
	}
	e.Timestamp = ts
	if e.Type >= typeFullSnapshot && !haveData {
		return e, playhead.Errorf(playhead.EINVALID, "events[%d].data: an object is required for event type %d", i, e.Type)
	}
	if deferStart >= 0 {
		d := jsontext.NewDecoder(bytes.NewBuffer(p.body[deferStart:deferEnd]), jsontext.AllowDuplicateNames(true))
		p.setBase(deferStart)
		err := p.data(&e, d)
		p.setBase(0)
		if err != nil {
			return e, err
		}
	}
	if e.Type == typeMeta && p.finder != nil {
		// Relative references resolve against the page from here on.
		p.finder.Page, _ = url.Parse(e.Href)
	}
	return e, nil
}

// setBase says where the input of the decoder being read starts in body.
func (p *parser) setBase(at int64) {
	p.base = at
	if p.finder != nil {
		p.finder.Offset = at
	}
}

// finish returns the event's bytes, raw, which start at offset at in body,
// with what scrubbing replaced in them, and scrubs its payload alike.
func (p *parser) finish(e *Event, raw []byte, at int64) []byte {
	if len(p.edits) == 0 {
		return raw
	}
	// Data read after the rest of the event put its edits last.
	slices.SortFunc(p.edits, func(a, b edit) int { return int(a.start - b.start) })
	if e.Payload != nil {
		e.payloadIn = e.Payload
		e.Payload = applyEdits(e.Payload, p.payloadAt, p.edits)
	}
	return applyEdits(raw, at, p.edits)
}

// walk reads the next value: finding assets in it, scrubbing it, or only
// validating it, as the parse does.
func (p *parser) walk(dec *jsontext.Decoder) error {
	switch {
	case p.finder != nil:
		return p.finder.Value(dec)
	case p.scrub:
		return p.value(dec)
	default:
		return dec.SkipValue()
	}
}

// value reads the next value, scrubbing every string value in it. It reads
// tokens, not values: a string token's bytes are found back from where it
// ends, which costs less than asking the decoder for each value.
func (p *parser) value(dec *jsontext.Decoder) error {
	depth := 0
	for {
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		switch tok.Kind() {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case '"':
			// A member's name leaves an odd count in its object.
			if k, n := dec.StackIndex(dec.StackDepth()); k == '{' && n%2 == 1 {
				break
			}
			end := p.base + dec.InputOffset()
			p.text(quoted(p.body, end), end)
		}
		if depth == 0 {
			return nil
		}
	}
}

// quoted returns the JSON string that ends at body[end], which the decoder
// has validated: back to the first quote not escaped.
func quoted(body []byte, end int64) []byte {
	i := int(end) - 1
	for {
		j := bytes.LastIndexByte(body[:i], '"')
		k := j
		for k > 0 && body[k-1] == '\\' {
			k--
		}
		if (j-k)%2 == 0 {
			return body[j:end]
		}
		i = j
	}
}

// data reads the fields indexing needs from an event's data object and
// walks the rest.
func (p *parser) data(e *Event, dec *jsontext.Decoder) error {
	if e.Type == typeFullSnapshot && p.finder == nil {
		return p.snapshotData(e, dec)
	}
	if e.Type != typeIncremental && e.Type != typeMeta && e.Type != typeCustom && e.Type != typePlugin {
		return p.walk(dec)
	}
	return jsonstr.Members(dec, func(k []byte) error {
		kind := dec.PeekKind()
		switch {
		case e.Type == typeIncremental && kind == '0' && (string(k) == "source" || string(k) == "type" || string(k) == "id" || string(k) == "x" || string(k) == "y"):
			tok, err := dec.ReadToken()
			if err != nil {
				return err // a malformed number: its kind was peeked, its token is not there
			}
			switch string(k) {
			case "source":
				e.Source = int(tok.Int())
			case "type":
				e.Interaction = int(tok.Int())
			case "id":
				e.NodeID = tok.Int()
			case "x":
				e.X = tok.Float()
			case "y":
				e.Y = tok.Float()
			}
			return err
		case (e.Type == typeMeta && string(k) == "href" || e.Type == typeCustom && string(k) == "tag" || e.Type == typePlugin && string(k) == "plugin") && kind == '"':
			text, err := p.textOf(dec)
			if string(k) == "href" {
				e.Href = text
			} else {
				e.Tag = text
			}
			return err
		case (e.Type == typeCustom || e.Type == typePlugin) && string(k) == "payload":
			var err error
			e.Payload, p.payloadAt, err = p.span(dec)
			return err
		case p.finder != nil:
			return p.finder.Member(k, dec)
		}
		return p.walk(dec)
	})
}

// span walks the next value and returns its bytes in body (as they were
// sent) and where they start.
func (p *parser) span(dec *jsontext.Decoder) ([]byte, int64, error) {
	start := p.base + dec.InputOffset()
	if err := p.walk(dec); err != nil {
		return nil, 0, err
	}
	end := p.base + dec.InputOffset()
	v := bytes.TrimLeft(p.body[start:end], " \t\r\n:")
	return v, end - int64(len(v)), nil
}

// snapshotData reads a FullSnapshot's data, keeping its tree of nodes for
// the DOM index, so that extracting the page's title, actionable elements
// and form fields takes no second pass. (Where assets are found, the
// Finder reads the data and the index decodes the tree afterwards.)
func (p *parser) snapshotData(e *Event, dec *jsontext.Decoder) error {
	return jsonstr.Members(dec, func(k []byte) error {
		if string(k) == "node" && dec.PeekKind() == '{' {
			var err error
			e.snapshot, err = p.node(dec)
			return err
		}
		return p.walk(dec)
	})
}

// node reads one serialised node and its children: the members the DOM
// index reads are kept, every string is scrubbed as value scrubs them.
func (p *parser) node(dec *jsontext.Decoder) (*serialisedNode, error) {
	n := &serialisedNode{}
	err := jsonstr.Members(dec, func(k []byte) error {
		kind := dec.PeekKind()
		switch {
		case (string(k) == "type" || string(k) == "id") && kind == '0':
			tok, err := dec.ReadToken()
			if err != nil {
				return err
			}
			if string(k) == "type" {
				n.Type = int(tok.Int())
			} else {
				n.ID = tok.Int()
			}
			return nil
		case (string(k) == "tagName" || string(k) == "textContent") && kind == '"':
			text, err := p.textOf(dec)
			if string(k) == "tagName" {
				n.TagName = text
			} else {
				n.TextContent = text
			}
			return err
		case string(k) == "attributes" && kind == '{':
			return p.attributes(dec, &n.Attributes)
		case string(k) == "childNodes" && kind == '[':
			return jsonstr.Elements(dec, func() error {
				if dec.PeekKind() != '{' {
					return p.walk(dec)
				}
				c, err := p.node(dec)
				n.ChildNodes = append(n.ChildNodes, c)
				return err
			})
		}
		return p.walk(dec)
	})
	return n, err
}

// attributes reads an element's attributes, keeping the values of those the
// DOM index reads as scrubbed JSON (in *a, made when there is one).
func (p *parser) attributes(dec *jsontext.Decoder, a **nodeAttributes) error {
	return jsonstr.Members(dec, func(k []byte) error {
		if (&noAttributes).field(k) == nil {
			return p.walk(dec)
		}
		if *a == nil {
			*a = new(nodeAttributes)
		}
		v := (*a).field(k)
		val, at, err := p.span(dec)
		*v = val
		if n := len(p.edits); n > 0 && p.edits[n-1].end > at { // scrubbed inside
			*v = applyEdits(val, at, p.edits)
		}
		return err
	})
}

// textOf reads a string value, scrubbed.
func (p *parser) textOf(dec *jsontext.Decoder) (string, error) {
	raw, err := dec.ReadValue()
	if err != nil {
		return "", err
	}
	if p.text != nil {
		if text, ok := p.text(raw, p.base+dec.InputOffset()); ok {
			return text, nil
		}
	}
	return jsonstr.Text(raw), nil
}

// one reads one event on its own (its timestamp unchecked).
func (p *parser) one(raw []byte) (Event, error) {
	p.body = raw
	p.dec = jsontext.NewDecoder(bytes.NewBuffer(raw), jsontext.AllowDuplicateNames(true))
	e, err := p.event(0)
	if err != nil {
		return e, err
	}
	e.Raw = p.finish(&e, raw, 0)
	return e, nil
}

// cleanJSONError shortens the tokenizer's errors to what a client can act on.
func cleanJSONError(err error) string {
	msg := err.Error()
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return "unexpected end of input"
	}
	return strings.TrimPrefix(msg, "jsontext: ")
}

// MaxReleaseLen bounds a release name.
const MaxReleaseLen = 200

// ValidRelease returns an EINVALID error when r cannot name a release: up
// to MaxReleaseLen printable ASCII characters without spaces (v1.2.3,
// 2026-12-06.1, a commit hash, shop@4.1.0+build.7).
func ValidRelease(r string) error {
	if len(r) > MaxReleaseLen {
		return playhead.Errorf(playhead.EINVALID, "release: %d characters is over the limit of %d", len(r), MaxReleaseLen)
	}
	for _, c := range []byte(r) {
		if c <= ' ' || c > '~' {
			return playhead.Errorf(playhead.EINVALID, "release: %q may hold only printable ASCII characters without spaces", r)
		}
	}
	return nil
}

// ValidSessionID returns an EINVALID error when sid cannot be a session ID, so
// routes that take one refuse it before touching storage.
func ValidSessionID(sid string) error {
	if len(sid) < 8 || len(sid) > 64 {
		return playhead.Errorf(playhead.EINVALID, "sid: must be 8 to 64 characters, got %d", len(sid))
	}
	for _, c := range []byte(sid) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
		if !ok {
			return playhead.Errorf(playhead.EINVALID, "sid: %q may hold only letters, digits, '-' and '_'", sid)
		}
	}
	return nil
}
