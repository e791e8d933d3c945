package ingest

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/playhead/playhead"
)

// Formats of recording files Playhead imports (docs/PROTOCOL.md).
const (
	// FormatRRWeb is rrweb's own: an array of events, or {"events": [...]}
	// (what rrweb's record emits, and Playhead's export).
	FormatRRWeb = "rrweb"
	// FormatSentry is the recording segments of a Sentry replay, as its
	// API downloads them: an array of segments, each an array of events
	// (or {"data": [segments]}).
	FormatSentry = "sentry"
	// FormatPostHog is PostHog's "Export to file" of a recording:
	// {"version": "2023-04-28", "data": {"snapshots": [...]}} or the older
	// {"version": "2022-12-02", "data": {"snapshotsByWindowId": {...}}}.
	FormatPostHog = "posthog"
)

// ImportLimits bound one imported file. A file over a limit is refused
// whole, with an error that names the limit.
type ImportLimits struct {
	MaxBodyBytes    int64         // the file as received (gzip or not)
	MaxDecodedBytes int64         // after gunzip, and counting what packed events inflate to
	MaxEvents       int           // events in the file
	MaxEventBytes   int           // one event's JSON
	MaxBackstep     time.Duration // how far an event may go back in time from an earlier one
	MaxFutureSkew   time.Duration // how far past the server's clock an event may be
}

// DefaultImportLimits are the limits documented in docs/PROTOCOL.md.
var DefaultImportLimits = ImportLimits{
	MaxBodyBytes:    32 << 20,
	MaxDecodedBytes: 128 << 20,
	MaxEvents:       500_000,
	MaxEventBytes:   16 << 20,
	MaxBackstep:     5 * time.Second,
	MaxFutureSkew:   24 * time.Hour,
}

// minImportTs is the earliest time an imported event may have: rrweb did
// not exist before, and a smaller number is not a time in milliseconds.
var minImportTs = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()

// Recording is an imported file's events, as rrweb events in time order.
type Recording struct {
	Format string
	Events []ImportedEvent
	// SkippedWindows and SkippedEvents count what was left out: a PostHog
	// recording of several browser windows is imported as its busiest
	// window's (a replay shows one window).
	SkippedWindows int
	SkippedEvents  int
}

// ImportedEvent is one event of a Recording, normalised to rrweb's
// {"type","timestamp","data"}.
type ImportedEvent struct {
	Raw       []byte
	Type      int
	Timestamp int64
}

// ParseImport reads a recording file (gunzipped already) in one of the
// Format* shapes and returns its events, checked and normalised: packed
// and compressed events inflated, timestamps in whole milliseconds, in
// time order. Errors are EINVALID or ETOOLARGE and name the problem.
func ParseImport(data []byte, lim ImportLimits, now time.Time) (*Recording, error) {
	if int64(len(data)) > lim.MaxDecodedBytes {
		return nil, playhead.Errorf(playhead.ETOOLARGE, "the file is larger than the limit of %d bytes", lim.MaxDecodedBytes)
	}
	data = bytes.TrimPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("\xef\xbb\xbf"))
	data = bytes.TrimLeft(data, " \t\r\n")
	if len(data) == 0 {
		return nil, playhead.Errorf(playhead.EINVALID, "the file is empty")
	}
	if data[0] != '[' && data[0] != '{' {
		return nil, playhead.Errorf(playhead.EINVALID, "the file is not JSON: it starts with %q; an rrweb recording is a JSON array of events or an object holding one", preview(data))
	}
	imp := &importer{lim: lim, budget: lim.MaxDecodedBytes - int64(len(data)), maxTs: now.Add(lim.MaxFutureSkew).UnixMilli()}
	rec, err := imp.file(data)
	if err != nil {
		return nil, err
	}
	if len(rec.Events) == 0 {
		return nil, playhead.Errorf(playhead.EINVALID, "the file holds no events")
	}
	if err := imp.order(rec.Events); err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(rec.Events, func(e ImportedEvent) bool { return e.Type == typeFullSnapshot }) {
		return nil, playhead.Errorf(playhead.EINVALID, "the recording has no full snapshot (rrweb event type 2): without one nothing can be replayed")
	}
	return rec, nil
}

func preview(data []byte) string {
	if len(data) > 16 {
		data = data[:16]
	}
	return string(data)
}

type importer struct {
	lim    ImportLimits
	budget int64 // decoded bytes left for inflating packed events
	maxTs  int64
	n      int // events read so far
}

func invalidJSON(what string, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return playhead.Errorf(playhead.EINVALID, "%s is not valid JSON: %v (at byte %d)", what, se, se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return playhead.Errorf(playhead.EINVALID, "%s: found a JSON %s where %s was expected", what, te.Value, jsonKind(te.Type.String()))
	}
	return playhead.Errorf(playhead.EINVALID, "%s is not valid JSON: %v", what, err)
}

func jsonKind(goType string) string {
	switch goType {
	case "[]json.RawMessage":
		return "an array"
	case "map[string]json.RawMessage":
		return "an object"
	case "string":
		return "a string"
	}
	return "a " + goType
}

// file reads the top level of the file and tells the formats apart.
func (imp *importer) file(data []byte) (*Recording, error) {
	if data[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(data, &list); err != nil {
			return nil, invalidJSON("the file", err)
		}
		if len(list) > 0 && firstByte(list[0]) == '[' {
			return imp.segments(list, "")
		}
		events, err := imp.events(list, "")
		return &Recording{Format: FormatRRWeb, Events: events}, err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return nil, invalidJSON("the file", err)
	}
	switch {
	case obj["events"] != nil:
		var list []json.RawMessage
		if err := json.Unmarshal(obj["events"], &list); err != nil {
			return nil, invalidJSON("events", err)
		}
		events, err := imp.events(list, "events")
		return &Recording{Format: FormatRRWeb, Events: events}, err
	case obj["version"] != nil && obj["data"] != nil:
		return imp.posthog(obj["version"], obj["data"])
	case obj["data"] != nil && firstByte(obj["data"]) == '[':
		var list []json.RawMessage
		if err := json.Unmarshal(obj["data"], &list); err != nil {
			return nil, invalidJSON("data", err)
		}
		return imp.segments(list, "data")
	}
	return nil, playhead.Errorf(playhead.EINVALID, `the file is a JSON object without "events" (rrweb), "version" and "data" (a PostHog export) or "data" (Sentry recording segments): not a recording Playhead can import`)
}

func firstByte(raw json.RawMessage) byte {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

// segments reads Sentry's recording segments, each an array of events.
func (imp *importer) segments(list []json.RawMessage, path string) (*Recording, error) {
	rec := &Recording{Format: FormatSentry}
	for i, seg := range list {
		name := fmt.Sprintf("%s[%d]", path, i)
		var events []json.RawMessage
		if err := json.Unmarshal(seg, &events); err != nil {
			return nil, invalidJSON("segment "+name, err)
		}
		got, err := imp.events(events, name)
		if err != nil {
			return nil, err
		}
		rec.Events = append(rec.Events, got...)
	}
	return rec, nil
}

// posthog reads PostHog's export file.
func (imp *importer) posthog(version, data json.RawMessage) (*Recording, error) {
	var v string
	if err := json.Unmarshal(version, &v); err != nil {
		return nil, invalidJSON("version", err)
	}
	windows := map[string][]json.RawMessage{}
	var order []string
	switch v {
	case "2023-04-28":
		var d struct {
			Snapshots []json.RawMessage `json:"snapshots"`
		}
		if err := json.Unmarshal(data, &d); err != nil {
			return nil, invalidJSON("data.snapshots", err)
		}
		for _, s := range d.Snapshots {
			var w struct {
				WindowID any `json:"windowId"`
			}
			json.Unmarshal(s, &w) // not an object: events() names the problem
			id := fmt.Sprint(w.WindowID)
			if windows[id] == nil {
				order = append(order, id)
			}
			windows[id] = append(windows[id], s)
		}
	case "2022-12-02":
		var d struct {
			ByWindow map[string][]json.RawMessage `json:"snapshotsByWindowId"`
		}
		if err := json.Unmarshal(data, &d); err != nil {
			return nil, invalidJSON("data.snapshotsByWindowId", err)
		}
		for id, list := range d.ByWindow {
			order = append(order, id)
			windows[id] = list
		}
		slices.Sort(order)
	default:
		return nil, playhead.Errorf(playhead.EINVALID, "version: PostHog export version %q is not one Playhead reads (2023-04-28, 2022-12-02)", v)
	}
	// A replay shows one window: the one with the most events.
	best := ""
	for _, id := range order {
		if best == "" && len(windows[id]) > 0 || len(windows[id]) > len(windows[best]) {
			best = id
		}
	}
	rec := &Recording{Format: FormatPostHog}
	for _, id := range order {
		if id != best {
			rec.SkippedWindows++
			rec.SkippedEvents += len(windows[id])
		}
	}
	events, err := imp.events(windows[best], "data.snapshots")
	rec.Events = events
	return rec, err
}

// events reads a list of events; path names the list in errors.
func (imp *importer) events(list []json.RawMessage, path string) ([]ImportedEvent, error) {
	out := make([]ImportedEvent, 0, len(list))
	for i, raw := range list {
		if imp.n == imp.lim.MaxEvents {
			return nil, playhead.Errorf(playhead.ETOOLARGE, "the file holds more events than the limit of %d", imp.lim.MaxEvents)
		}
		imp.n++
		e, err := imp.event(raw, fmt.Sprintf("%s[%d]", path, i))
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// event normalises one event.
func (imp *importer) event(raw json.RawMessage, name string) (ImportedEvent, error) {
	var e ImportedEvent
	if firstByte(raw) == '"' {
		var err error
		if raw, err = imp.unpack(raw, name); err != nil {
			return e, err
		}
	}
	if firstByte(raw) != '{' {
		return e, playhead.Errorf(playhead.EINVALID, "%s: an rrweb event object is required", name)
	}
	var ev struct {
		Type      json.RawMessage `json:"type"`
		Timestamp json.RawMessage `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
		CV        string          `json:"cv"`
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		return e, invalidJSON(name, err)
	}
	if ev.Type == nil {
		return e, playhead.Errorf(playhead.EINVALID, "%s.type: missing", name)
	}
	t, err := strconv.Atoi(string(ev.Type))
	if err != nil || t < typeDomContentLoaded || t > typePlugin {
		return e, playhead.Errorf(playhead.EINVALID, "%s.type: %s is not an rrweb event type (0-6)", name, ev.Type)
	}
	if ev.Timestamp == nil {
		return e, playhead.Errorf(playhead.EINVALID, "%s.timestamp: missing", name)
	}
	ts, err := strconv.ParseFloat(string(ev.Timestamp), 64)
	if c := firstByte(ev.Timestamp); c != '-' && (c < '0' || c > '9') {
		err = strconv.ErrSyntax // a quoted number is not one
	}
	if err == nil && ts < 1e11 {
		ts *= 1000 // seconds, as Sentry gives some of its events' times
	}
	if err != nil || math.IsNaN(ts) || ts < float64(minImportTs) || ts > float64(imp.maxTs) {
		return e, playhead.Errorf(playhead.EINVALID, "%s.timestamp: %s is not a time in milliseconds from 2000 to now", name, ev.Timestamp)
	}
	e.Type, e.Timestamp = t, int64(math.Round(ts))
	data := ev.Data
	if t >= typeFullSnapshot && firstByte(data) != '{' && !(ev.CV != "" && firstByte(data) == '"') {
		return e, playhead.Errorf(playhead.EINVALID, "%s.data: an object is required for event type %d", name, t)
	}
	if ev.CV != "" {
		if data, err = imp.decompressPostHog(ev.CV, t, data, name); err != nil {
			return e, err
		}
	}
	if len(data) == 0 {
		data = json.RawMessage("{}")
	}
	e.Raw = fmt.Appendf(nil, `{"type":%d,"timestamp":%d,"data":%s}`, t, e.Timestamp, compactJSON(data))
	if len(e.Raw) > imp.lim.MaxEventBytes {
		return e, playhead.Errorf(playhead.ETOOLARGE, "%s: %d bytes is over the limit of %d for one event", name, len(e.Raw), imp.lim.MaxEventBytes)
	}
	return e, nil
}

// compactJSON drops insignificant white space (an indented file's), so an
// event's stored form is as small as the SDK's.
func compactJSON(raw []byte) []byte {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}

// unpack inflates an event packed by rrweb's packer (@rrweb/packer): a
// string of zlib-deflated JSON, one byte a character.
func (imp *importer) unpack(raw json.RawMessage, name string) (json.RawMessage, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, invalidJSON(name, err)
	}
	if s != "" && s[0] == '{' {
		return json.RawMessage(s), nil // JSON in a string
	}
	packed, ok := latin1(s)
	if !ok {
		return nil, playhead.Errorf(playhead.EINVALID, "%s: a string that is neither an event's JSON nor an event packed by rrweb's packer", name)
	}
	zr, err := zlib.NewReader(bytes.NewReader(packed))
	if err != nil {
		return nil, playhead.Errorf(playhead.EINVALID, "%s: a string that is neither an event's JSON nor an event packed by rrweb's packer (%v)", name, err)
	}
	out, err := imp.inflate(zr, name)
	if err != nil {
		return nil, err
	}
	var mark struct {
		V string `json:"v"`
	}
	if json.Unmarshal(out, &mark) != nil || mark.V != "v1" {
		return nil, playhead.Errorf(playhead.EINVALID, "%s: a packed event, but not one rrweb's packer v1 wrote", name)
	}
	return out, nil
}

// latin1 returns the bytes a string of characters U+0000..U+00FF stands for
// (how fflate's strFromU8(data, true) turns bytes into a string).
func latin1(s string) ([]byte, bool) {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			return nil, false
		}
		out = append(out, byte(r))
	}
	return out, true
}

// inflate reads a decompressor to its end within the file's budget of
// decoded bytes.
func (imp *importer) inflate(r io.Reader, name string) ([]byte, error) {
	out, err := io.ReadAll(io.LimitReader(r, imp.budget+1))
	if int64(len(out)) > imp.budget {
		return nil, playhead.Errorf(playhead.ETOOLARGE, "%s: decompressed, the file is larger than the limit of %d bytes", name, imp.lim.MaxDecodedBytes)
	}
	if err != nil {
		return nil, playhead.Errorf(playhead.EINVALID, "%s: compressed data is damaged: %v", name, err)
	}
	imp.budget -= int64(len(out))
	return out, nil
}

// decompressPostHog inflates the fields posthog-js compresses (compression
// version "2024-10"): a full snapshot's data, and a mutation's or style
// sheet rule's lists, each gzip held in a string of one byte a character.
func (imp *importer) decompressPostHog(cv string, t int, data json.RawMessage, name string) (json.RawMessage, error) {
	if cv != "2024-10" {
		return nil, playhead.Errorf(playhead.EINVALID, "%s.cv: PostHog compression %q is not one Playhead reads (2024-10)", name, cv)
	}
	unzip := func(raw json.RawMessage, field string) (json.RawMessage, error) {
		if firstByte(raw) != '"' {
			return raw, nil // not compressed
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, invalidJSON(field, err)
		}
		packed, ok := latin1(s)
		if !ok {
			return nil, playhead.Errorf(playhead.EINVALID, "%s: compressed data is not a string of bytes", field)
		}
		zr, err := gzip.NewReader(bytes.NewReader(packed))
		if err != nil {
			return nil, playhead.Errorf(playhead.EINVALID, "%s: compressed data is not gzip: %v", field, err)
		}
		out, err := imp.inflate(zr, field)
		if err != nil {
			return nil, err
		}
		if !json.Valid(out) {
			return nil, playhead.Errorf(playhead.EINVALID, "%s: decompressed data is not JSON", field)
		}
		return out, nil
	}
	if t == typeFullSnapshot {
		return unzip(data, name+".data")
	}
	if t != typeIncremental || firstByte(data) != '{' {
		return data, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, invalidJSON(name+".data", err)
	}
	for _, f := range []string{"adds", "removes", "texts", "attributes"} {
		if fields[f] == nil {
			continue
		}
		v, err := unzip(fields[f], name+".data."+f)
		if err != nil {
			return nil, err
		}
		fields[f] = v
	}
	return json.Marshal(fields)
}

// order puts the events in time order, refusing a file whose events go
// back in time further than MaxBackstep: rrweb replays events in the
// order given, and a recording that jumps back is not one recording.
func (imp *importer) order(events []ImportedEvent) error {
	bound := imp.lim.MaxBackstep.Milliseconds()
	latest := events[0].Timestamp
	sorted := true
	for i, e := range events {
		if e.Timestamp < latest-bound {
			return playhead.Errorf(playhead.EINVALID, "event %d: its timestamp is %d ms before an earlier event's, more than the %s an import may go back: the events are not one recording in time order",
				i, latest-e.Timestamp, imp.lim.MaxBackstep)
		}
		sorted = sorted && e.Timestamp >= latest
		latest = max(latest, e.Timestamp)
	}
	if !sorted {
		slices.SortStableFunc(events, func(a, b ImportedEvent) int { return int(a.Timestamp - b.Timestamp) })
	}
	return nil
}

// Import batch sizes: the SDK's batches are a few seconds of events; an
// import is cut the same way, at each keyframe and at these sizes, so the
// player fetches and seeks it like a recorded session.
const (
	importBatchEvents = 2000
	importBatchBytes  = 1 << 20
)

// ImportResult says what an import stored.
type ImportResult struct {
	SessionID string `json:"sessionId"`
	Format    string `json:"format"`
	Events    int    `json:"events"`
	Batches   int    `json:"batches"`
	// SkippedWindows and SkippedEvents: see Recording.
	SkippedWindows int `json:"skippedWindows,omitempty"`
	SkippedEvents  int `json:"skippedEvents,omitempty"`
}

// Import stores rec as a new session of project p through the path every
// batch takes: each of its batches is validated, scrubbed by the privacy
// rules, indexed and encrypted, and the session's limits apply. It is
// stored whole, in one transaction, or not at all.
func (in *Ingester) Import(ctx context.Context, p *playhead.Project, rec *Recording, from Origin) (*ImportResult, error) {
	now := in.Now()
	id := make([]byte, 16)
	rand.Read(id)
	sid := hex.EncodeToString(id)
	lim := Limits{MaxDecodedBytes: math.MaxInt64, MaxEvents: math.MaxInt, MaxEventBytes: math.MaxInt,
		MaxFutureSkew: now.Sub(time.UnixMilli(minImportTs)), MaxAge: now.Sub(time.UnixMilli(minImportTs))}
	var batches []*playhead.IndexedBatch
	for i, body := range importBatches(sid, rec.Events) {
		b, err := ParseBatch(body, lim, now)
		if err != nil {
			return nil, fmt.Errorf("imported batch %d: %w", i, err)
		}
		ib, err := in.prepare(ctx, p, b, from)
		if err != nil {
			return nil, err
		}
		ib.ImportedAt = now.UnixMilli()
		batches = append(batches, ib)
	}
	ids := make([]playhead.BatchID, len(batches))
	for i, b := range batches {
		ids[i] = playhead.BatchID{ProjectID: p.ID, SessionID: sid, Seq: b.Ref.Seq}
	}
	err := in.Index.WriteGroup(ctx, ids, func(st *playhead.GroupState) (*playhead.GroupWrite, error) {
		w, results := decideGroup(batches, st, in.Limits, now)
		for _, r := range results {
			if r.Err != nil {
				return nil, r.Err
			}
			if r.Duplicate {
				return nil, playhead.Errorf(playhead.EUNAVAILABLE, "session %s exists already; retry", sid)
			}
		}
		// An imported session's errors and reports happened long ago:
		// webhooks are told of what happens now.
		w.Events = nil
		return w, nil
	})
	if playhead.ErrorCode(err) == playhead.EINTERNAL {
		return nil, in.unavailable(err)
	}
	if err != nil {
		return nil, err
	}
	return &ImportResult{SessionID: sid, Format: rec.Format, Events: len(rec.Events), Batches: len(batches),
		SkippedWindows: rec.SkippedWindows, SkippedEvents: rec.SkippedEvents}, nil
}

// importBatches cuts events into batch bodies of session sid, starting a
// batch at each Meta event (a keyframe begins with one, as the SDK's do).
func importBatches(sid string, events []ImportedEvent) [][]byte {
	var out [][]byte
	var cur []ImportedEvent
	size := 0
	flush := func() {
		if len(cur) == 0 {
			return
		}
		b := fmt.Appendf(nil, `{"v":%d,"sid":%q,"seq":%d,"events":[`, protocolVersion, sid, len(out))
		for i, e := range cur {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, e.Raw...)
		}
		out = append(out, append(b, "]}"...))
		cur, size = cur[:0], 0
	}
	for _, e := range events {
		if e.Type == typeMeta || len(cur) == importBatchEvents || size+len(e.Raw) > importBatchBytes {
			flush()
		}
		cur = append(cur, e)
		size += len(e.Raw)
	}
	flush()
	return out
}
