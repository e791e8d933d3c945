package rrdom

import (
	"fmt"
	"slices"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

// What the replayer holds besides the DOM, per node: kept on the node, so a
// node rebuilt under the same id starts without it, as in the browser.
type nodeState struct {
	sheet   *styleSheet // the element's own sheet, once edited
	adopted []int64     // adoptedStyleSheets of a document or shadow root
	adopts  bool        // adopted was set
	scroll  *scrollState
	input   *inputState
	media   *mediaState
	modal   bool // a dialog shown with showModal(), until close()
}

type scrollState struct{ x, y jsontext.Value }

type inputState struct {
	text      jsontext.Value
	isChecked jsontext.Value // absent when the event had none
}

// mediaState is the replayer's MediaManager state of an audio or video
// element: enough to set it playing from the right time at any moment.
type mediaState struct {
	playing      bool
	currentTime  float64 // at the last interaction
	at           float64 // the last interaction's timestamp
	playbackRate float64
	volume       float64
	muted, loop  bool
}

// mediaFromAttributes is MediaManager.addMediaElements: the state of a
// media element of a full snapshot, from what rrweb recorded of it.
func mediaFromAttributes(n *Node, at float64) *mediaState {
	m := &mediaState{at: at, playbackRate: 1, volume: 1}
	if s, ok := n.Attributes["rr_mediaState"]; ok && s != "" {
		m.playing = s == "played"
	} else {
		_, m.playing = n.Attributes["autoplay"]
	}
	num := func(name string, def float64) float64 {
		if raw, ok := n.attrRaw[name]; ok && raw.Kind() == '0' {
			var f float64
			if unmarshal(raw, &f) == nil {
				return f
			}
		}
		return def
	}
	flag := func(name, attr string) bool {
		if raw, ok := n.attrRaw[name]; ok && (raw.Kind() == 't' || raw.Kind() == 'f') {
			return raw.Kind() == 't'
		}
		_, ok := n.Attributes[attr]
		return ok
	}
	m.playbackRate = num("rr_mediaPlaybackRate", 1)
	m.volume = num("rr_mediaVolume", 1)
	m.currentTime = num("rr_mediaCurrentTime", 0)
	m.muted = flag("rr_mediaMuted", "muted")
	m.loop = flag("rr_mediaLoop", "loop")
	return m
}

// timeAt returns the media's current time at timestamp ts.
func (m *mediaState) timeAt(ts float64) float64 {
	if !m.playing {
		return m.currentTime
	}
	return m.currentTime + (ts-m.at)/1000*m.playbackRate
}

// incremental is the data of an incremental snapshot, all sources' fields.
type incremental struct {
	Source *int   `json:"source"`
	ID     *int64 `json:"id"`
	// Mouse interactions, scroll, media, viewport.
	Type   *int           `json:"type"`
	X      jsontext.Value `json:"x"`
	Y      jsontext.Value `json:"y"`
	Width  jsontext.Value `json:"width"`
	Height jsontext.Value `json:"height"`
	// Input.
	Text      jsontext.Value `json:"text"`
	IsChecked jsontext.Value `json:"isChecked"`
	// Media.
	CurrentTime  *float64 `json:"currentTime"`
	PlaybackRate *float64 `json:"playbackRate"`
	Volume       *float64 `json:"volume"`
	Muted        *bool    `json:"muted"`
	Loop         *bool    `json:"loop"`
	// Style sheet rules and declarations.
	StyleID *int64 `json:"styleId"`
	Adds    []struct {
		Rule  string         `json:"rule"`
		Index jsontext.Value `json:"index"`
	} `json:"adds"`
	Removes []struct {
		Index jsontext.Value `json:"index"`
	} `json:"removes"`
	Replace     *string        `json:"replace"`
	ReplaceSync *string        `json:"replaceSync"`
	Index       jsontext.Value `json:"index"`
	Set         *struct {
		Property string  `json:"property"`
		Value    *string `json:"value"`
		Priority string  `json:"priority"`
	} `json:"set"`
	Remove *struct {
		Property string `json:"property"`
	} `json:"remove"`
	// Adopted style sheets.
	StyleIDs []int64 `json:"styleIds"`
	Styles   []struct {
		StyleID int64 `json:"styleId"`
		Rules   []struct {
			Rule  string `json:"rule"`
			Index *int   `json:"index"`
		} `json:"rules"`
	} `json:"styles"`
}

// rrweb's MouseInteractions.
const (
	mouseUp    = 0
	mouseDown  = 1
	click      = 2
	focus      = 5
	blur       = 6
	touchStart = 7
	touchEnd   = 9
	mediaPlay  = 0
	mediaPause = 1
)

// applyState applies an incremental event other than a mutation.
func (t *Tree) applyState(source int, data jsontext.Value, ts float64) error {
	var d incremental
	var err error
	switch source {
	case SourceMouseInteraction, SourceScroll, SourceInput:
		// The most frequent events, and small: read without reflection.
		err = d.readSmall(data)
	default:
		err = unmarshal(data, &d)
	}
	if err != nil {
		return fmt.Errorf("incremental snapshot of source %d: %w", source, err)
	}
	node := func() *Node {
		if d.ID == nil || *d.ID == -1 {
			return nil
		}
		return t.ids[*d.ID]
	}
	switch source {
	case SourceMouseInteraction:
		n := node()
		if n == nil || d.Type == nil {
			return nil
		}
		switch *d.Type {
		case click, touchStart, touchEnd, mouseDown, mouseUp:
			x, y := d.X, d.Y
			if len(x) == 0 {
				x = jsontext.Value("0")
			}
			if len(y) == 0 {
				y = jsontext.Value("0")
			}
			t.mouse, t.mouseData = &mousePos{x: x, y: y, id: n.ID}, nil
		case focus:
			t.focus = n
		case blur:
			if t.focus == n {
				t.focus = nil
			}
		}
	case SourceScroll:
		if n := node(); n != nil && len(d.X) > 0 && len(d.Y) > 0 {
			n.state().scroll = &scrollState{x: d.X, y: d.Y}
		}
	case SourceViewportResize:
		t.viewport = &[2]jsontext.Value{d.Width, d.Height}
	case SourceInput:
		if n := node(); n != nil {
			n.state().input = &inputState{text: d.Text, isChecked: d.IsChecked}
		}
	case SourceMediaInteraction:
		n := node()
		if n == nil || d.Type == nil {
			return nil
		}
		last := n.state().media
		m := &mediaState{at: ts}
		_, autoplay := n.Attributes["autoplay"]
		m.playing = *d.Type == mediaPlay || *d.Type != mediaPause && (last != nil && last.playing || autoplay)
		pick := func(v *float64, last func(*mediaState) float64, def float64) float64 {
			switch {
			case v != nil:
				return *v
			case n.st.media != nil:
				return last(n.st.media)
			}
			return def
		}
		m.currentTime = pick(d.CurrentTime, func(l *mediaState) float64 { return l.currentTime }, 0)
		m.playbackRate = pick(d.PlaybackRate, func(l *mediaState) float64 { return l.playbackRate }, 1)
		m.volume = pick(d.Volume, func(l *mediaState) float64 { return l.volume }, 1)
		_, mutedAttr := n.Attributes["muted"]
		_, loopAttr := n.Attributes["loop"]
		switch {
		case d.Muted != nil:
			m.muted = *d.Muted
		case last != nil:
			m.muted = last.muted
		default:
			m.muted = !mutedAttr // as rrweb 2.1.6 has it
		}
		switch {
		case d.Loop != nil:
			m.loop = *d.Loop
		case last != nil:
			m.loop = last.loop
		default:
			m.loop = !loopAttr
		}
		n.st.media = m
	case SourceStyleSheetRule, SourceStyleDeclaration:
		t.applySheetEdit(source, &d, data)
	case SourceFont:
		for _, f := range t.fonts {
			if string(f) == string(data) {
				return nil
			}
		}
		t.fonts = append(t.fonts, data.Clone())
	case SourceSelection:
		t.selection = data.Clone()
	case SourceAdoptedStyleSheet:
		t.applyAdopted(&d)
	}
	return nil
}

// readSmall reads the fields of a mouse interaction, scroll or input.
func (d *incremental) readSmall(data []byte) error {
	return eachMember(data, 0, func(name, v []byte) error {
		if !jsontext.Value(v).IsValid(decodeOpts) {
			return fmt.Errorf("%s: not a JSON value: %.40s", name, v)
		}
		num := func() (int64, error) {
			var f float64
			if err := unmarshal(v, &f); err != nil {
				return 0, fmt.Errorf("%s: %w", name, err)
			}
			return int64(f), nil
		}
		switch string(name) {
		case "id":
			n, err := num()
			d.ID = &n
			return err
		case "type":
			n, err := num()
			i := int(n)
			d.Type = &i
			return err
		case "x":
			d.X = jsontext.Value(v)
		case "y":
			d.Y = jsontext.Value(v)
		case "text":
			d.Text = jsontext.Value(v)
		case "isChecked":
			d.IsChecked = jsontext.Value(v)
		}
		return nil
	})
}

type mousePos struct {
	x, y jsontext.Value
	id   int64
}

// mousePosition returns where the mouse last was: the last position of the
// last move, or of the last click.
func (t *Tree) mousePosition() *mousePos {
	if t.mouseData == nil {
		return t.mouse
	}
	var d struct {
		Positions []struct {
			X  jsontext.Value `json:"x"`
			Y  jsontext.Value `json:"y"`
			ID int64          `json:"id"`
		} `json:"positions"`
	}
	if unmarshal(t.mouseData, &d) != nil || len(d.Positions) == 0 {
		return nil
	}
	p := d.Positions[len(d.Positions)-1]
	if len(p.X) == 0 || len(p.Y) == 0 {
		return nil
	}
	return &mousePos{x: p.X, y: p.Y, id: p.ID}
}

func (n *Node) state() *nodeState {
	if n.st == nil {
		n.st = &nodeState{}
	}
	return n.st
}

// applySheetEdit applies a StyleSheetRule or StyleDeclaration event, as the
// replayer's applyStyleSheetMutation does.
func (t *Tree) applySheetEdit(source int, d *incremental, raw jsontext.Value) {
	var s *styleSheet
	switch {
	case d.StyleID != nil && *d.StyleID != 0:
		s = t.sheets[*d.StyleID]
	case d.ID != nil && *d.ID != 0:
		n := t.ids[*d.ID]
		if n == nil {
			return
		}
		s = t.elementSheet(n)
	}
	if s == nil {
		return
	}
	if !s.known {
		s.log = append(s.log, raw.Clone())
		return
	}
	if source == SourceStyleDeclaration {
		path, _ := indexPath(d.Index)
		r := s.rule(path)
		if r == nil {
			return
		}
		if d.Set != nil {
			value := ""
			if d.Set.Value != nil {
				value = *d.Set.Value
			}
			r.setDeclaration(d.Set.Property, &value, d.Set.Priority)
		}
		if d.Remove != nil {
			r.setDeclaration(d.Remove.Property, nil, "")
		}
		return
	}
	for _, a := range d.Adds {
		path, nested := indexPath(a.Index)
		if nested {
			list := s.nestedList(path[:len(path)-1])
			if list != nil {
				*list, _ = insertRule(*list, a.Rule, path[len(path)-1])
			}
			continue
		}
		i := 0
		if len(path) == 1 {
			i = min(path[0], len(s.rules))
		}
		s.rules, _ = insertRule(s.rules, a.Rule, i)
	}
	for _, r := range d.Removes {
		path, nested := indexPath(r.Index)
		if nested {
			list := s.nestedList(path[:len(path)-1])
			if list != nil {
				*list, _ = deleteRule(*list, path[len(path)-1])
			}
			continue
		}
		i := 0
		if len(path) == 1 {
			i = path[0]
		}
		s.rules, _ = deleteRule(s.rules, i)
	}
	if s.owner != nil { // replace and replaceSync exist on constructed sheets only
		if d.Replace != nil {
			*s = *constructed(*d.Replace, s.owner)
		}
		if d.ReplaceSync != nil {
			*s = *constructed(*d.ReplaceSync, s.owner)
		}
	}
}

// constructed returns a constructed sheet with the rules of css, which
// replace() and replaceSync() read without @import rules.
func constructed(css string, owner *Node) *styleSheet {
	s := newSheet(css, true)
	s.rules = slices.DeleteFunc(s.rules, func(r *cssRule) bool {
		return strings.HasPrefix(strings.ToLower(r.text), "@import")
	})
	s.owner = owner
	return s
}

// indexPath reads an index that is a number or an array of numbers; nested
// says it was an array.
func indexPath(raw jsontext.Value) (path []int, nested bool) {
	switch raw.Kind() {
	case '0':
		var f float64
		if unmarshal(raw, &f) == nil {
			return []int{int(f)}, false
		}
	case '[':
		var fs []float64
		if unmarshal(raw, &fs) == nil && len(fs) > 0 {
			for _, f := range fs {
				path = append(path, int(f))
			}
			return path, true
		}
	}
	return nil, false
}

// elementSheet returns the sheet of a <style> (or of a <link> rrweb
// inlined), starting to track its edits from the text it has now.
func (t *Tree) elementSheet(n *Node) *styleSheet {
	if n.Type != Element {
		return nil
	}
	if n.st != nil && n.st.sheet != nil {
		return n.st.sheet
	}
	var s *styleSheet
	switch {
	case n.isTag("style"):
		s = newSheet(sheetText(n), true)
	case n.isTag("link"):
		if css, ok := n.Attributes["_cssText"]; ok {
			s = newSheet(css, true)
		} else {
			s = &styleSheet{}
		}
	default:
		return nil
	}
	n.state().sheet = s
	return s
}

// sheetText is the text a <style> element's sheet is parsed from.
func sheetText(n *Node) string {
	var b strings.Builder
	texts := 0
	for _, c := range n.Children {
		if c.Type == Text && !c.IsShadow {
			b.WriteString(c.TextContent)
			texts++
		}
	}
	if texts == 0 {
		return n.Attributes["_cssText"]
	}
	return b.String()
}

// styleChanged forgets the edits of an element's sheet when its text
// changes: the browser parses the new text into a new sheet.
func styleChanged(n *Node) {
	if n != nil && n.st != nil && n.Type == Element {
		n.st.sheet = nil
	}
}

// applyAdopted creates constructed sheets and sets a document's or shadow
// root's adoptedStyleSheets, as the replayer's applyAdoptedStyleSheet does.
func (t *Tree) applyAdopted(d *incremental) {
	if d.ID == nil {
		return
	}
	host := t.ids[*d.ID]
	if host == nil {
		return
	}
	isHost := host.Type == Document || host.Type == Element && host.IsShadowHost
	if isHost {
		for _, st := range d.Styles {
			s := &styleSheet{known: true, owner: host}
			for _, r := range st.Rules {
				i := 0
				if r.Index != nil {
					i = min(*r.Index, len(s.rules))
				}
				s.rules, _ = insertRule(s.rules, r.Rule, i)
			}
			t.sheets[st.StyleID] = s
		}
	}
	if !isHost {
		return
	}
	// The replayer retries for a while to find sheets it lacks: keep
	// the ids asked for, and adopt those that exist.
	host.state().adopted, host.st.adopts = slices.Clone(d.StyleIDs), true
}
