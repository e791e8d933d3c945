package ingest

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/internal/jsonstr"
	"github.com/playhead/playhead/search"
)

// Custom event tags and the console plugin name the SDK uses (docs/PROTOCOL.md).
const (
	tagNetwork    = "playhead.network"
	tagError      = "playhead.error"
	tagNavigation = "playhead.navigation"
	tagIdentify   = "playhead.identify"
	tagReport     = "playhead.report"
	tagMetadata   = "playhead.metadata"
	tagReferrer   = "playhead.referrer"
	pluginConsole = "rrweb/console@1"
)

// rrweb incremental sources and mouse interactions that the index reads.
const (
	sourceMouseInteraction = 2
	interactionClick       = 2
	sourceFont             = 10
)

// A click's timeline entry is labelled clickLabel, or clickTextLabel and
// the clicked element's text when the batch shows it ("Click: Place order").
const (
	clickLabel     = "Click"
	clickTextLabel = "Click: "
)

const (
	maxLabel  = 200
	maxDetail = 32 << 10
	maxURL    = 2048
	// maxFontDetail bounds a font event kept in the timeline: a font given
	// as a URL is small; one given as bytes (rrweb's buffer) may be larger.
	maxFontDetail = 256 << 10
)

// extract computes what the index keeps of a batch: its time range and
// keyframe, the pages it shows, its timeline entries and counts, and, with
// search, its searchable text and what it says of frustration signals (by
// th).
func extract(b *Batch, th thresholds, withSearch bool) *playhead.IndexedBatch {
	ib := &playhead.IndexedBatch{SessionID: b.SessionID}
	ref := &ib.Ref
	ref.Seq = b.Seq
	ref.Events = len(b.Events)
	ref.FirstTs, ref.LastTs = b.Events[0].Timestamp, b.Events[0].Timestamp
	var metaTs *int64
	var active []int64 // the times of the user's interactions
	for i := range b.Events {
		e := &b.Events[i]
		ref.FirstTs = min(ref.FirstTs, e.Timestamp)
		ref.LastTs = max(ref.LastTs, e.Timestamp)
		switch e.Type {
		case typeMeta:
			if metaTs == nil {
				ts := e.Timestamp
				metaTs = &ts
			}
			if e.Href != "" {
				addPage(ib, e.Href)
				ib.Timeline = append(ib.Timeline, navigation(e.Timestamp, e.Href, "load"))
			}
		case typeFullSnapshot:
			if ref.KeyframeTs == nil && metaTs != nil {
				ref.KeyframeTs = metaTs
			}
		case typeIncremental:
			if userSources[e.Source] {
				active = append(active, e.Timestamp)
			}
			if e.Source == sourceMouseInteraction && e.Interaction == interactionClick {
				ib.Clicks++
				ib.Timeline = append(ib.Timeline, playhead.TimelineEntry{Ts: e.Timestamp, Kind: playhead.KindClick, Label: clickLabel, Detail: clickDetail(e.NodeID, e.X, e.Y)})
			}
			if e.Source == sourceFont {
				extractFont(ib, e)
			}
		case typeCustom:
			extractCustom(ib, e)
		case typePlugin:
			extractPlugin(ib, e)
		}
	}
	ib.ActiveMs = activeMs(active, ref.LastTs)
	if !withSearch {
		ib.Search = nil
		return ib
	}
	for _, u := range ib.Pages {
		addSearch(ib, search.FieldURL, u)
	}
	signals(b, ib, th)
	dedupeSearch(ib)
	return ib
}

// addPage appends u to the batch's pages unless it is there already or is
// not a web page's URL.
func addPage(ib *playhead.IndexedBatch, u string) {
	if !webURL(u) {
		return
	}
	u = truncate(u, maxURL)
	for _, p := range ib.Pages {
		if p == u {
			return
		}
	}
	ib.Pages = append(ib.Pages, u)
}

// webURL reports whether u is an http or https URL. Only those are kept
// as pages, for reports and the session's list of pages, and sent to
// webhooks, whose receivers may render them as links: a javascript: or
// data: URL there would run in the receiver's page.
func webURL(u string) bool {
	scheme, _, ok := strings.Cut(u, "://")
	return ok && (strings.EqualFold(scheme, "http") || strings.EqualFold(scheme, "https"))
}

func navigation(ts int64, u, kind string) playhead.TimelineEntry {
	u = truncate(u, maxURL)
	detail, _ := json.Marshal(map[string]string{"url": u, "kind": kind})
	return playhead.TimelineEntry{Ts: ts, Kind: playhead.KindNavigation, Label: truncate(u, maxLabel), Detail: detail}
}

// clickDetail is a click's timeline detail, {"id":…,"x":…,"y":…}, written
// as json.Marshal would write it, without its reflection over a map.
func clickDetail(id int64, x, y float64) json.RawMessage {
	b := make([]byte, 0, 48)
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `,"x":`...)
	b = appendNumber(b, x)
	b = append(b, `,"y":`...)
	b = appendNumber(b, y)
	return append(b, '}')
}

// appendNumber appends f as a JSON number (0 when it is none: a decoded
// position always is one).
func appendNumber(b []byte, f float64) []byte {
	if t := jsontext.Float(f); t.Kind() == '0' {
		return append(b, t.String()...)
	}
	return append(b, '0')
}

// extractFont keeps a Font event (a FontFace the page added) in the
// timeline, whole: rrweb records it once, so a replay that starts at a later
// keyframe must be handed it from there (docs/PROTOCOL.md). Larger ones are
// left to the player, which finds them as it reads the session.
func extractFont(ib *playhead.IndexedBatch, e *Event) {
	var f struct {
		Data struct {
			Family string `json:"family"`
		} `json:"data"`
	}
	if len(e.Raw) > maxFontDetail || json.Unmarshal(e.Raw, &f) != nil {
		return
	}
	ib.Timeline = append(ib.Timeline, playhead.TimelineEntry{
		Ts: e.Timestamp, Kind: playhead.KindFont, Label: truncate(f.Data.Family, maxLabel), Detail: json.RawMessage(e.Raw),
	})
}

func extractCustom(ib *playhead.IndexedBatch, e *Event) {
	c := struct {
		Tag     string
		Payload json.RawMessage
	}{e.Tag, e.Payload}
	if c.Tag == "" {
		return
	}
	switch c.Tag {
	case tagNavigation:
		var p struct {
			URL  string `json:"url"`
			Kind string `json:"kind"`
		}
		json.Unmarshal(c.Payload, &p)
		if p.URL != "" {
			addPage(ib, p.URL)
			ib.Timeline = append(ib.Timeline, navigation(e.Timestamp, p.URL, truncate(p.Kind, 16)))
		}
	case tagError:
		var p struct {
			Message string `json:"message"`
		}
		json.Unmarshal(c.Payload, &p)
		addSearch(ib, search.FieldError, p.Message)
		ib.Errors++
		ib.Timeline = append(ib.Timeline, playhead.TimelineEntry{
			Ts: e.Timestamp, Kind: playhead.KindError, Level: "error",
			Label: truncate(firstLine(p.Message), maxLabel), Detail: boundedDetail(c.Payload),
		})
	case tagNetwork:
		var p struct {
			Method string `json:"method"`
			URL    string `json:"url"`
			Status int    `json:"status"`
			Start  int64  `json:"start"`
		}
		json.Unmarshal(c.Payload, &p)
		entry := playhead.TimelineEntry{
			Ts: e.Timestamp, Kind: playhead.KindRequest,
			Label:  truncate(strings.ToUpper(p.Method)+" "+p.URL, maxLabel),
			Detail: boundedDetail(c.Payload),
		}
		// Place a request at its start, when the SDK says so plausibly.
		if p.Start > 0 && p.Start <= e.Timestamp && e.Timestamp-p.Start < 10*60*1000 {
			entry.Ts = p.Start
		}
		failed := p.Status == 0 || p.Status >= 400
		if failed {
			entry.Level = "error"
			ib.FailedRequests++
		}
		method := truncate(strings.ToUpper(p.Method), 16)
		addSearch(ib, search.FieldRequest, method+" "+p.URL)
		addSearch(ib, search.FieldRequestMethod, method)
		addSearch(ib, search.FieldRequestStatus, strconv.Itoa(max(p.Status, 0)))
		addSearch(ib, search.FieldRequestFailed, strconv.FormatBool(failed))
		ib.Timeline = append(ib.Timeline, entry)
	case tagReferrer:
		// Where the page load came from: a search key, not a moment.
		var p struct {
			URL string `json:"url"`
		}
		json.Unmarshal(c.Payload, &p)
		addSearch(ib, search.FieldReferrer, p.URL)
	case tagMetadata:
		var p struct {
			Key   string `json:"key"`
			Value any    `json:"value"`
		}
		json.Unmarshal(c.Payload, &p)
		if v, ok := scalarText(p.Value); ok && p.Key != "" {
			addSearch(ib, search.FieldMeta, truncate(p.Key, maxPropName)+"="+v)
		}
		ib.Timeline = append(ib.Timeline, playhead.TimelineEntry{
			Ts: e.Timestamp, Kind: playhead.KindCustom, Label: truncate(c.Tag, maxLabel), Detail: boundedDetail(c.Payload),
		})
	case tagIdentify:
		// The user ID reaches the index only as its keyed hash (user:):
		// the moment is kept, what it said is not.
		ib.Timeline = append(ib.Timeline, playhead.TimelineEntry{Ts: e.Timestamp, Kind: playhead.KindCustom, Label: c.Tag})
	case tagReport:
		// A bug report is stored as one (extractReports), its contact
		// and text kept out of the search rows.
		ib.Timeline = append(ib.Timeline, playhead.TimelineEntry{
			Ts: e.Timestamp, Kind: playhead.KindCustom, Label: truncate(c.Tag, maxLabel), Detail: boundedDetail(c.Payload),
		})
	default:
		addSearch(ib, search.FieldEvent, c.Tag)
		addEventProps(ib, c.Payload)
		ib.Timeline = append(ib.Timeline, playhead.TimelineEntry{
			Ts: e.Timestamp, Kind: playhead.KindCustom, Label: truncate(c.Tag, maxLabel), Detail: boundedDetail(c.Payload),
		})
	}
}

func extractPlugin(ib *playhead.IndexedBatch, e *Event) {
	if e.Tag != pluginConsole {
		return
	}
	level, args := consoleOf(e.Payload)
	level = strings.ToLower(truncate(level, 16))
	if level == "" {
		level = "log"
	}
	if level == "error" || level == "assert" {
		ib.ConsoleErrors++
	}
	text := strings.Join(args, " ")
	addSearch(ib, search.FieldConsole, text)
	addSearch(ib, search.FieldConsoleLevel, level)
	ib.Timeline = append(ib.Timeline, playhead.TimelineEntry{
		Ts: e.Timestamp, Kind: playhead.KindConsole, Level: level,
		Label: truncate(firstLine(text), maxLabel), Detail: boundedDetail(e.Payload),
	})
}

// consoleOf reads a console plugin payload's level and the strings of its
// payload (rrweb's console plugin writes each argument as a string), token
// by token: the stack trace and anything else are skipped unread. What
// cannot be read is left out.
func consoleOf(payload []byte) (level string, args []string) {
	dec := jsontext.NewDecoder(bytes.NewBuffer(payload), jsontext.AllowDuplicateNames(true))
	if dec.PeekKind() != '{' {
		return "", nil
	}
	jsonstr.Members(dec, func(k []byte) error {
		switch {
		case string(k) == "level" && dec.PeekKind() == '"':
			v, err := dec.ReadValue()
			level = jsonstr.Text(v)
			return err
		case string(k) == "payload" && dec.PeekKind() == '[':
			return jsonstr.Elements(dec, func() error {
				if dec.PeekKind() != '"' {
					return dec.SkipValue()
				}
				v, err := dec.ReadValue()
				if err == nil {
					args = append(args, jsonstr.Text(v))
				}
				return err
			})
		}
		return dec.SkipValue()
	})
	return level, args
}

// boundedDetail keeps a payload for the index unless it is too large to be
// worth indexing; the full payload stays in the stored chunk.
func boundedDetail(payload json.RawMessage) json.RawMessage {
	if len(payload) == 0 {
		return nil
	}
	if len(payload) > maxDetail {
		return json.RawMessage(`{"truncated":true}`)
	}
	return payload
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
//
// It also replaces NUL bytes and invalid UTF-8 with U+FFFD: text the index
// keeps is text every index can store (PostgreSQL's text takes neither),
// so every index stores the same.
func truncate(s string, n int) string {
	if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Limits of the properties of custom events that are made searchable
// (event.prop.KEY): the first maxEventProps top-level properties whose
// values are strings, numbers or booleans, names cut to maxPropName bytes.
const (
	maxEventProps = 20
	maxPropName   = 64
)

// addEventProps adds a custom event's top-level scalar properties to the
// batch's search rows as KEY=value.
func addEventProps(ib *playhead.IndexedBatch, payload json.RawMessage) {
	var props map[string]any
	if json.Unmarshal(payload, &props) != nil || len(props) == 0 {
		return
	}
	names := make([]string, 0, len(props))
	for k := range props {
		names = append(names, k)
	}
	slices.Sort(names)
	n := 0
	for _, k := range names {
		v, ok := scalarText(props[k])
		if !ok || k == "" {
			continue
		}
		if n++; n > maxEventProps {
			return
		}
		addSearch(ib, search.FieldEventProp, truncate(k, maxPropName)+"="+v)
	}
}

// scalarText returns a string, number or boolean of decoded JSON as text.
func scalarText(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, v != ""
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(v), true
	}
	return "", false
}

// activeSpanMs is how long one interaction counts as the user being active
// when nothing follows it sooner: the time a person takes to read and
// think between two actions, not a pause to do something else.
const activeSpanMs = 5000

// userSources are the rrweb incremental sources a person's action makes:
// mouse moves and interactions, scrolls, inputs, touch moves, media
// controls, drags and text selection.
var userSources = map[int]bool{1: true, sourceMouseInteraction: true, sourceScroll: true, sourceInput: true, 6: true, 7: true, 12: true, 14: true}

// activeMs is how long the user was active in a batch whose interactions
// happened at times ts (in any order) and whose last event is at last:
// each counts until the next one, for at most activeSpanMs, and never past
// the batch's end.
func activeMs(ts []int64, last int64) int64 {
	slices.Sort(ts)
	var sum int64
	for i, t := range ts {
		end := last
		if i+1 < len(ts) {
			end = ts[i+1]
		}
		sum += max(0, min(end-t, activeSpanMs))
	}
	return sum
}
