package ingest

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/search"
)

// MomentValues returns the searchable values of a timeline entry, as
// extract indexed them for its session: a query term that found the
// session through one of them finds the entry, which is how a search
// result shows the moments it matched (docs/SEARCH.md).
func MomentValues(e *playhead.TimelineEntry) []search.FieldValue {
	v := func(field, value string) search.FieldValue {
		return search.FieldValue{Field: field, Value: truncate(strings.TrimSpace(value), maxSearchText)}
	}
	switch e.Kind {
	case playhead.KindNavigation:
		var d struct {
			URL string `json:"url"`
		}
		json.Unmarshal(e.Detail, &d)
		if d.URL == "" {
			d.URL = e.Label
		}
		return []search.FieldValue{v(search.FieldURL, d.URL)}
	case playhead.KindClick:
		out := []search.FieldValue{{Field: search.MomentClick}}
		if text, ok := strings.CutPrefix(e.Label, clickTextLabel); ok {
			out = append(out, v(search.FieldClick, text))
		}
		return out
	case playhead.KindError:
		var d struct {
			Message string `json:"message"`
		}
		json.Unmarshal(e.Detail, &d)
		if d.Message == "" {
			d.Message = e.Label
		}
		return []search.FieldValue{{Field: search.MomentError}, v(search.FieldError, d.Message)}
	case playhead.KindConsole:
		var d struct {
			Payload []string `json:"payload"`
		}
		text := e.Label
		if json.Unmarshal(e.Detail, &d) == nil && len(d.Payload) > 0 {
			text = strings.Join(d.Payload, " ")
		}
		level := e.Level
		if level == "" {
			level = "log"
		}
		return []search.FieldValue{v(search.FieldConsole, text), {Field: search.FieldConsoleLevel, Value: level}}
	case playhead.KindRequest:
		var d struct {
			Method string `json:"method"`
			URL    string `json:"url"`
			Status int    `json:"status"`
		}
		if json.Unmarshal(e.Detail, &d) != nil {
			return []search.FieldValue{v(search.FieldRequest, e.Label)}
		}
		method := truncate(strings.ToUpper(d.Method), 16)
		failed := d.Status == 0 || d.Status >= 400
		return []search.FieldValue{
			v(search.FieldRequest, method+" "+d.URL),
			{Field: search.FieldRequestMethod, Value: method},
			{Field: search.FieldRequestStatus, Value: strconv.Itoa(max(d.Status, 0))},
			{Field: search.FieldRequestFailed, Value: strconv.FormatBool(failed)},
		}
	case playhead.KindCustom:
		return []search.FieldValue{v(search.FieldEvent, e.Label)}
	case playhead.KindInput:
		if label, ok := strings.CutPrefix(e.Label, inputLabel); ok {
			return []search.FieldValue{v(search.FieldInput, label)}
		}
	case playhead.KindRageClick:
		return []search.FieldValue{{Field: search.MomentRage}}
	case playhead.KindDeadClick:
		return []search.FieldValue{{Field: search.MomentDead}}
	case playhead.KindErrorClick:
		return []search.FieldValue{{Field: search.MomentErrorClick}}
	}
	return nil
}

// nameClick puts the text of the element clicked at ts into the click's
// timeline entry ("Click: Place order"), the moment a click: search finds.
func nameClick(ib *playhead.IndexedBatch, ts int64, text string) {
	for i := range ib.Timeline {
		if e := &ib.Timeline[i]; e.Kind == playhead.KindClick && e.Ts == ts && e.Label == clickLabel {
			e.Label = truncate(clickTextLabel+text, maxLabel)
			return
		}
	}
}

// momentKinds are the timeline kinds whose entries carry each field.
var momentKinds = map[string][]string{
	search.FieldURL:           {playhead.KindNavigation},
	search.FieldClick:         {playhead.KindClick},
	search.FieldError:         {playhead.KindError},
	search.FieldConsole:       {playhead.KindConsole},
	search.FieldConsoleLevel:  {playhead.KindConsole},
	search.FieldRequest:       {playhead.KindRequest},
	search.FieldRequestMethod: {playhead.KindRequest},
	search.FieldRequestStatus: {playhead.KindRequest},
	search.FieldRequestFailed: {playhead.KindRequest},
	search.FieldEvent:         {playhead.KindCustom},
	search.FieldInput:         {playhead.KindInput},
	search.MomentClick:        {playhead.KindClick},
	search.MomentError:        {playhead.KindError},
	search.MomentRage:         {playhead.KindRageClick},
	search.MomentDead:         {playhead.KindDeadClick},
	search.MomentErrorClick:   {playhead.KindErrorClick},
}

// MomentKinds returns the timeline kinds whose entries can carry one of
// fields, each once: the only ones a search for them needs to read.
func MomentKinds(fields []string) []string {
	var out []string
	for _, f := range fields {
		for _, k := range momentKinds[f] {
			if !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	return out
}
