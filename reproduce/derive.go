package reproduce

import (
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/playhead/playhead/rrdom"
)

// rrweb's mouse interactions that are steps (@rrweb/types MouseInteractions).
const (
	interactionClick    = 2
	interactionDblClick = 4
	interactionFocus    = 5
	interactionBlur     = 6
)

// Custom event tags and the console plugin the SDK records (docs/PROTOCOL.md).
const (
	tagNetwork    = "playhead.network"
	tagError      = "playhead.error"
	tagNavigation = "playhead.navigation"
	tagReport     = "playhead.report"
	pluginConsole = "rrweb/console@1"
)

const (
	// causeWindow is how soon after an action a navigation counts as its
	// consequence (a link followed, a form submitted).
	causeWindow = 3000
	// waitThreshold: a pause shorter than this needs no explicit wait, the
	// test tool's own waiting for elements covers it; maxWait caps one.
	waitThreshold = 1000
	maxWait       = 10_000
	// scrollThreshold is how far the page must move for a scroll to count.
	scrollThreshold = 100
	// clickWindow is how soon after a click on a checkbox, a radio button
	// or its label the change counts as the click's.
	clickWindow = 500
	// maxText bounds recorded text kept in a step.
	maxText = 300
)

// event is one rrweb event, decoded as far as steps need.
type event struct {
	Type      int       `json:"type"`
	Timestamp int64     `json:"timestamp"`
	Data      eventData `json:"data"`
	raw       []byte
}

type eventData struct {
	// Meta
	Href   string `json:"href"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	// Incremental
	Source    *int    `json:"source"`
	Type      int     `json:"type"`
	ID        int64   `json:"id"`
	Y         float64 `json:"y"`
	Text      string  `json:"text"`
	IsChecked bool    `json:"isChecked"`
	// UserTriggered is false on an input the page's script made (rrweb
	// sets it only when recording with userTriggeredOnInput).
	UserTriggered *bool `json:"userTriggered"`
	// Custom (tag) and Plugin (plugin)
	Tag     string          `json:"tag"`
	Plugin  string          `json:"plugin"`
	Payload json.RawMessage `json:"payload"`
}

// deriver walks a session's events in order, keeping the page's DOM so that
// each action's element is named as it was at that moment.
type deriver struct {
	tree  *rrdom.Tree
	st    *Steps
	page  string // the page's URL now
	pages []pageAt
	// lastAction is the index in st.Steps of the last thing the user did,
	// -1 before any; lastActionTs its time (or the page load's).
	lastAction   int
	lastActionTs int64
	// lastChange is when the DOM last changed.
	lastChange int64
	// focused is the element that has the focus (0: none); clicked the
	// last element clicked (a label stands for its field), and when.
	focused, clicked int64
	clickedTs        int64
	scrollY          int
	docID            int64
}

// pageAt is the page shown from Ts on.
type pageAt struct {
	Ts  int64
	URL string
}

// Derive returns the reproduction steps of a session from its rrweb events
// (each one JSON object), in the order they were recorded. Events it cannot
// read are skipped: a recording is shown as far as it can be understood.
func Derive(sessionID string, events [][]byte) (*Steps, error) {
	evs := make([]event, 0, len(events))
	for _, raw := range events {
		var e event
		if json.Unmarshal(raw, &e) != nil {
			continue
		}
		e.raw = raw
		evs = append(evs, e)
	}
	// Events are stored in the order they were recorded; a stable sort by
	// time only mends batches that arrived out of order.
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Timestamp < evs[j].Timestamp })
	d := &deriver{
		tree:       rrdom.NewTree(),
		st:         &Steps{SessionID: sessionID, Steps: []Step{}},
		lastAction: -1,
	}
	if len(evs) > 0 {
		d.st.Start, d.st.From, d.st.To = evs[0].Timestamp, evs[0].Timestamp, evs[len(evs)-1].Timestamp
	}
	for i := range evs {
		d.event(&evs[i])
	}
	d.st.pages = d.pages
	return d.st, nil
}

func (d *deriver) event(e *event) {
	data := &e.Data
	switch e.Type {
	case rrdom.EventMeta:
		d.meta(e.Timestamp, data)
	case rrdom.EventFullSnapshot:
		d.tree = rrdom.NewTree()
		if d.tree.Apply(e.raw) == nil {
			d.lastChange = e.Timestamp
			d.docID = d.tree.Root().ID
		}
	case rrdom.EventIncremental:
		if data.Source == nil {
			return
		}
		// only mutations change what steps name (the tree ignores the rest)
		if *data.Source == rrdom.SourceMutation && d.tree.Apply(e.raw) == nil {
			d.lastChange = e.Timestamp
		}
		switch *data.Source {
		case rrdom.SourceMouseInteraction:
			switch data.Type {
			case interactionClick, interactionDblClick:
				d.click(e.Timestamp, data.ID, data.Type == interactionDblClick)
			case interactionFocus:
				d.focused = data.ID
			case interactionBlur:
				if d.focused == data.ID {
					d.focused = 0
				}
			}
		case rrdom.SourceInput:
			if data.UserTriggered != nil && !*data.UserTriggered {
				return
			}
			d.input(e.Timestamp, data.ID, data.Text, data.IsChecked)
		case rrdom.SourceScroll:
			if data.ID == d.docID {
				d.scroll(e.Timestamp, int(data.Y))
			}
		}
	case rrdom.EventCustom:
		d.custom(e.Timestamp, data.Tag, data.Payload)
	case rrdom.EventPlugin:
		if data.Plugin == pluginConsole {
			d.console(e.Timestamp, data.Payload)
		}
	}
}

// add appends a step and returns its index.
func (d *deriver) add(s Step) int {
	d.st.Steps = append(d.st.Steps, s)
	return len(d.st.Steps) - 1
}

// addAnswer adds a failed request's step where its answer came: before the
// errors the page reported since (its code acting on the answer, reported
// ahead of the request, whose body the SDK was still reading). The SDK's
// times are rounded to the millisecond, so those may be dated up to one
// before it. Actions are never passed over.
func (d *deriver) addAnswer(s Step) {
	i := len(d.st.Steps)
	for i > 0 {
		p := &d.st.Steps[i-1]
		if (p.Kind != KindError && p.Kind != KindConsoleError) || p.Ts < s.Ts-1 {
			break
		}
		i--
	}
	d.st.Steps = slices.Insert(d.st.Steps, i, s)
}

// action appends a step the user took, with the wait before it that
// mattered: while the page kept changing after the previous action, the
// user (and so a reproduction) waited for it.
func (d *deriver) action(s Step, node int64) {
	if d.lastActionTs > 0 && s.Ts-d.lastActionTs > waitThreshold && d.lastChange > d.lastActionTs+waitThreshold/2 && d.lastChange <= s.Ts {
		s.WaitMs = min(d.lastChange-d.lastActionTs+100, maxWait)
	}
	s.node = node
	d.lastAction, d.lastActionTs = d.add(s), s.Ts
}

func (d *deriver) meta(ts int64, m *eventData) {
	if m.Href == "" {
		return
	}
	if d.st.BaseURL == "" {
		if u, err := url.Parse(m.Href); err == nil {
			d.st.BaseURL = origin(u)
		}
		if m.Width > 0 && m.Height > 0 {
			d.st.Viewport = &Viewport{Width: m.Width, Height: m.Height}
		}
	}
	if m.Href == d.page {
		return // a periodic keyframe of the same page
	}
	s := Step{Ts: ts, Kind: KindOpen, URL: m.Href, Text: "Open " + pathOf(d.st.BaseURL, m.Href)}
	if d.page != "" && d.lastAction >= 0 && ts-d.lastActionTs <= causeWindow && d.st.Steps[d.lastAction].Kind != KindOpen {
		s.Kind, s.Cause, s.Text = KindNavigate, "action", "Land on "+pathOnly(d.st.BaseURL, m.Href)
	}
	d.setPage(ts, m.Href)
	d.add(s)
	if s.Kind == KindOpen {
		d.lastAction, d.lastActionTs = len(d.st.Steps)-1, ts
	}
	d.scrollY = 0
}

func (d *deriver) setPage(ts int64, u string) {
	d.page = u
	d.pages = append(d.pages, pageAt{ts, u})
}

func (d *deriver) navigation(ts int64, payload json.RawMessage) {
	var p struct {
		URL  string `json:"url"`
		Kind string `json:"kind"`
	}
	if json.Unmarshal(payload, &p) != nil || p.URL == "" || p.URL == d.page {
		return
	}
	rel := pathOnly(d.st.BaseURL, p.URL)
	s := Step{Ts: ts, Kind: KindNavigate, URL: p.URL}
	switch {
	case p.Kind == "pop":
		s.Cause, s.Text = "back", "Go back to "+rel
	case d.lastAction >= 0 && ts-d.lastActionTs <= causeWindow && d.st.Steps[d.lastAction].Kind != KindOpen:
		s.Cause, s.Text = "action", "Land on "+rel
	default:
		s.Cause, s.Text = "script", "The page moves to "+rel
	}
	d.setPage(ts, p.URL)
	if s.Cause == "back" {
		d.action(s, 0)
		return
	}
	d.add(s)
}

// byUser reports whether a field's change was the user's: a field changes
// under the user's hands while it has the focus, and a checkbox or radio
// button also right after a click on it or its label. Changes the page's
// script makes (a framework setting a field's initial value) are neither.
func (d *deriver) byUser(field *rrdom.Node, ts int64) bool {
	if d.focused == field.ID {
		return true
	}
	if ts-d.clickedTs > clickWindow {
		return false
	}
	c := d.tree.Node(d.clicked)
	if c == nil {
		return false
	}
	if c.Type == rrdom.Text {
		c = c.Parent
	}
	for e := c; isElement(e); e = e.Parent {
		if e == field || labelledControl(e) == field {
			return true
		}
	}
	return false
}

func (d *deriver) click(ts int64, id int64, double bool) {
	d.clicked, d.clickedTs = id, ts
	n := d.tree.Node(id)
	if n == nil {
		return
	}
	el := actionable(n)
	if el == nil {
		return // a click on nothing a person would name: noise
	}
	if formField(el) {
		return // focusing a field: the fill, check or select that follows says more
	}
	if label := labelledControl(el); label != nil && formField(label) {
		return // a label clicked for its field: the field's change follows
	}
	t := d.target(el)
	if double {
		// the double click's two clicks were recorded before it
		for k := 0; k < 2 && d.lastAction == len(d.st.Steps)-1 && d.lastAction >= 0 &&
			d.st.Steps[d.lastAction].Kind == KindClick && d.st.Steps[d.lastAction].node == el.ID && ts-d.lastActionTs < 1000; k++ {
			d.st.Steps = d.st.Steps[:d.lastAction]
			d.lastAction = len(d.st.Steps) - 1
		}
		d.action(Step{Ts: ts, Kind: KindClick, Text: "Double-click " + t.Description, Target: t, Value: "double"}, el.ID)
		return
	}
	d.action(Step{Ts: ts, Kind: KindClick, Text: "Click " + t.Description, Target: t}, el.ID)
}

func (d *deriver) input(ts int64, id int64, text string, checked bool) {
	n := d.tree.Node(id)
	if n == nil || !isElement(n) {
		return
	}
	if !d.byUser(n, ts) {
		return // the page's script set the field (a framework's initial value), not the user
	}
	tag := strings.ToLower(n.TagName)
	typ := strings.ToLower(n.Attributes["type"])
	var t *Target
	if i := d.lastAction; i >= 0 && i == len(d.st.Steps)-1 && d.st.Steps[i].node == n.ID && d.st.Steps[i].Target != nil {
		t = d.st.Steps[i].Target // typing on in the same field: named as before
	} else {
		t = d.target(n)
	}
	switch {
	case tag == "input" && (typ == "checkbox" || typ == "radio"):
		if typ == "radio" && !checked {
			return // the radio button that was left: the one chosen says it
		}
		s := Step{Ts: ts, Kind: KindCheck, Target: t, Text: "Check " + t.Description}
		if !checked {
			s.Kind, s.Text = KindUncheck, "Uncheck "+t.Description
		}
		d.action(s, n.ID)
	case tag == "select":
		s := Step{Ts: ts, Kind: KindSelect, Target: t}
		if masked(text) {
			s.Masked = true
			s.Value = maskedOption(n, len([]rune(text)))
			s.Text = "Select an option in " + t.Description + " (masked in the recording)"
		} else {
			s.Value = text
			label := optionLabel(n, text)
			s.Text = "Select " + quote(label) + " in " + t.Description
		}
		d.foldInto(s, n.ID)
	default:
		s := Step{Ts: ts, Kind: KindFill, Target: t, InputKind: inputKind(n)}
		if masked(text) {
			s.Masked = true
			s.Text = "Type into " + t.Description + " (masked in the recording)"
		} else {
			s.Value = text
			s.Text = "Type " + quote(truncate(text, maxText)) + " into " + t.Description
			if text == "" {
				s.Text = "Clear " + t.Description
			}
		}
		d.foldInto(s, n.ID)
	}
}

// foldInto replaces the previous step when it changed the same field since
// the last other action: typing key by key becomes one fill.
func (d *deriver) foldInto(s Step, node int64) {
	if i := d.lastAction; i >= 0 && i == len(d.st.Steps)-1 && d.st.Steps[i].node == node && d.st.Steps[i].Kind == s.Kind {
		s.WaitMs, s.node = d.st.Steps[i].WaitMs, node
		d.st.Steps[i] = s
		d.lastActionTs = s.Ts
		return
	}
	d.action(s, node)
}

func (d *deriver) scroll(ts int64, y int) {
	i := len(d.st.Steps) - 1
	if i >= 0 && i == d.lastAction && d.st.Steps[i].Kind == KindScroll {
		// repeated scrolls fold into the last position
		d.st.Steps[i].Ts, d.st.Steps[i].Y = ts, y
		d.st.Steps[i].Text = scrollText(y, d.st.Steps[i].scrollFrom)
		d.lastActionTs = ts
		if abs(y-d.st.Steps[i].scrollFrom) < scrollThreshold {
			d.st.Steps = d.st.Steps[:i]
			d.lastAction = d.previousAction()
		}
		d.scrollY = y
		return
	}
	if abs(y-d.scrollY) < scrollThreshold {
		d.scrollY = y
		return
	}
	d.action(Step{Ts: ts, Kind: KindScroll, Y: y, scrollFrom: d.scrollY, Text: scrollText(y, d.scrollY)}, 0)
	d.scrollY = y
}

func (d *deriver) previousAction() int {
	for i := len(d.st.Steps) - 1; i >= 0; i-- {
		switch d.st.Steps[i].Kind {
		case KindRequest, KindError, KindConsoleError, KindReport:
			continue
		case KindNavigate:
			if d.st.Steps[i].Cause != "back" {
				continue
			}
		}
		return i
	}
	return -1
}

func scrollText(y, from int) string {
	if y < from {
		return fmt.Sprintf("Scroll up to %d px from the top", y)
	}
	return fmt.Sprintf("Scroll down to %d px from the top", y)
}

func (d *deriver) custom(ts int64, tag string, payload json.RawMessage) {
	switch tag {
	case tagNavigation:
		d.navigation(ts, payload)
	case tagNetwork:
		var p struct {
			Method       string            `json:"method"`
			URL          string            `json:"url"`
			Status       int               `json:"status"`
			Start        int64             `json:"start"`
			Duration     *float64          `json:"duration"`
			Error        string            `json:"error"`
			ResponseBody string            `json:"responseBody"`
			Headers      map[string]string `json:"responseHeaders"`
		}
		if json.Unmarshal(payload, &p) != nil || p.URL == "" {
			return
		}
		method := strings.ToUpper(p.Method)
		if method == "" {
			method = "GET"
		}
		var contentType string
		for k, v := range p.Headers {
			if strings.EqualFold(k, "content-type") {
				contentType = v
			}
		}
		if p.ResponseBody != "" && p.Status > 0 {
			d.st.Responses = append(d.st.Responses, Response{Method: method, URL: p.URL, Status: p.Status, ContentType: contentType, Body: p.ResponseBody})
		}
		if p.Status > 0 && p.Status < 400 {
			return
		}
		rel := pathOf(d.st.BaseURL, p.URL)
		s := Step{Ts: ts, Kind: KindRequest, URL: p.URL, Method: method, Status: p.Status,
			Text: fmt.Sprintf("%s %s answered %d", method, rel, p.Status)}
		if p.Status == 0 {
			s.Text = fmt.Sprintf("%s %s got no answer", method, rel)
			if p.Error != "" {
				s.Message = truncate(p.Error, maxText)
				s.Text += " (" + s.Message + ")"
			}
		}
		s.start = p.Start
		// The SDK reports a request once it has read what it records of the
		// answer, which may be after the page acted on it: the step is when
		// the answer came, when the SDK says so plausibly.
		if p.Start > 0 && p.Duration != nil && *p.Duration >= 0 {
			if end := p.Start + int64(*p.Duration); end <= ts && ts-end < 10*60*1000 {
				s.Ts = end
			}
		}
		d.addAnswer(s)
	case tagError:
		var p struct {
			Kind    string `json:"kind"`
			Message string `json:"message"`
			Source  string `json:"source"`
			Line    int    `json:"line"`
		}
		if json.Unmarshal(payload, &p) != nil || p.Message == "" {
			return
		}
		msg := truncate(firstLine(p.Message), maxText)
		s := Step{Ts: ts, Kind: KindError, Message: msg, Source: p.Source, Line: p.Line, Text: msg}
		if p.Kind == "unhandledrejection" {
			s.Text = "Unhandled promise rejection: " + msg
		}
		if file := fileName(p.Source); file != "" {
			s.Text += " at " + file
			if p.Line > 0 {
				s.Text += fmt.Sprintf(":%d", p.Line)
			}
		}
		d.add(s)
	case tagReport:
		var p struct {
			Text string `json:"text"`
		}
		if json.Unmarshal(payload, &p) != nil {
			return
		}
		d.add(Step{Ts: ts, Kind: KindReport, Message: truncate(p.Text, maxText), Text: "The user reports: " + quote(truncate(firstLine(p.Text), maxText))})
	}
}

func (d *deriver) console(ts int64, payload json.RawMessage) {
	var c struct {
		Level   string   `json:"level"`
		Payload []string `json:"payload"`
	}
	if json.Unmarshal(payload, &c) != nil || (c.Level != "error" && c.Level != "assert") {
		return
	}
	args := make([]string, 0, len(c.Payload))
	for _, a := range c.Payload {
		// each argument is recorded as JSON: a string argument prints unquoted
		var s string
		if json.Unmarshal([]byte(a), &s) == nil {
			a = s
		}
		args = append(args, a)
	}
	msg := truncate(firstLine(strings.Join(args, " ")), maxText)
	if msg == "" {
		return
	}
	d.add(Step{Ts: ts, Kind: KindConsoleError, Message: msg, Text: "Console error: " + msg})
}

// masked reports whether a recorded value was masked: the SDK replaces
// each character of a masked value with '*'.
func masked(text string) bool {
	return strings.Contains(text, "*")
}

func fileName(source string) string {
	if source == "" {
		return ""
	}
	if u, err := url.Parse(source); err == nil && u.Path != "" {
		return path.Base(u.Path)
	}
	return path.Base(source)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[:i])
	}
	return s
}

// truncate cuts s to at most n runes, marking the cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func quote(s string) string { return "'" + s + "'" }

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
