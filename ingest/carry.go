package ingest

import (
	"cmp"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/playhead/playhead"
	"github.com/playhead/playhead/search"
)

// Frustration signals, as docs/SEARCH.md defines them, by default (a
// project's settings may change the first three).
const (
	rageClicks    = 3    // clicks …
	rageWindowMs  = 1000 // … within this long …
	deadWindowMs  = 2500 // an actionable click nothing answers within this long is dead
	rageRadiusPx  = 30   // … and this close to the first make a rage click
	errorWindowMs = 1000 // a JS error this soon after a click makes it an error click
)

// thresholds say when clicks are frustration signals.
type thresholds struct {
	rageClicks   int
	rageWindowMs int64
	deadWindowMs int64
}

// thresholdsOf returns a project's thresholds: its settings', or the
// defaults where it has none.
func thresholdsOf(s playhead.ProjectSettings) thresholds {
	th := thresholds{rageClicks: rageClicks, rageWindowMs: rageWindowMs, deadWindowMs: deadWindowMs}
	if s.RageClicks > 0 {
		th.rageClicks = s.RageClicks
	}
	if s.RageWindowMs > 0 {
		th.rageWindowMs = int64(s.RageWindowMs)
	}
	if s.DeadClickMs > 0 {
		th.deadWindowMs = int64(s.DeadClickMs)
	}
	return th
}

// thresholdsOfBatch returns the thresholds a batch was read with.
func thresholdsOfBatch(sig *playhead.BatchSignals) thresholds {
	return thresholdsOf(playhead.ProjectSettings{RageClicks: sig.RageClicks, RageWindowMs: sig.RageWindowMs, DeadClickMs: sig.DeadWindowMs})
}

// maxCarriedSearchKeys bounds the search keys remembered of a session
// (8 bytes each). A session with more distinct values sends the others
// with every batch that has them, and the index's unique key drops the
// repeats.
const maxCarriedSearchKeys = 4096

// carried is what a group's rules hold of one session while its batches
// are decided: the state its stored batches left (playhead.SessionCarry),
// each part decoded when first needed and written back when changed.
type carried struct {
	ref    playhead.SessionRef
	stored *playhead.SessionCarry // as read; nil when the session has none

	keys                []int64 // the search keys the index holds, in order
	keysRead, keysAdded bool

	signals     signalCarry
	signalsRead bool

	nodes                   *carriedNodes
	nodesRaw                []byte
	nodesRead, nodesChanged bool
}

// signalCarry is what a session's last batches left undecided.
type signalCarry struct {
	// Recent are clicks no rage click took whose window is still open.
	Recent []carriedClick `json:"r,omitempty"`
	// RunEnd is the end of the last rage click's window, when still open:
	// later clicks up to it belong to it.
	RunEnd int64 `json:"e,omitempty"`
	// Last is the session's last click, while an error may still make it
	// an error click.
	Last *carriedClick `json:"l,omitempty"`
	// Pending are actionable clicks nothing answered yet, within their
	// window.
	Pending []carriedClick `json:"p,omitempty"`
}

// carriedClick is a click kept for a later batch.
type carriedClick struct {
	Ts   int64   `json:"ts"`
	ID   int64   `json:"id"`
	X    float64 `json:"x"`
	Y    float64 `json:"y"`
	Text string  `json:"t,omitempty"`
	// Erred says the click is counted as an error click already.
	Erred bool `json:"err,omitempty"`
}

func newCarried(ref playhead.SessionRef, stored *playhead.SessionCarry) *carried {
	return &carried{ref: ref, stored: stored}
}

// newSearch returns the values of ts the session's index rows lack (as
// far as the remembered keys say), and remembers them.
func (c *carried) newSearch(ts []playhead.SearchText) []playhead.SearchText {
	if !c.keysRead {
		c.keysRead = true
		if c.stored != nil {
			raw := c.stored.Search
			c.keys = make([]int64, 0, len(raw)/8+len(ts))
			for i := 0; i+8 <= len(raw); i += 8 {
				c.keys = append(c.keys, int64(binary.LittleEndian.Uint64(raw[i:])))
			}
		}
	}
	out := make([]playhead.SearchText, 0, len(ts))
	for _, t := range ts {
		k := t.Key()
		i, found := slices.BinarySearch(c.keys, k)
		if found {
			continue
		}
		out = append(out, t)
		if len(c.keys) < maxCarriedSearchKeys {
			c.keys = slices.Insert(c.keys, i, k)
			c.keysAdded = true
		}
	}
	return out
}

// loadSignals decodes the stored signal state once. State that does not
// decode (written by a later build, say) is dropped: the signals it held
// are missed, nothing else.
func (c *carried) loadSignals() {
	if c.signalsRead {
		return
	}
	c.signalsRead = true
	if c.stored != nil && len(c.stored.Signals) > 0 {
		if json.Unmarshal(c.stored.Signals, &c.signals) != nil {
			c.signals = signalCarry{}
		}
	}
}

// lookupNode returns the text of the actionable element of the session's
// last snapshot that node id is in.
func (c *carried) lookupNode(id int64) (string, bool) {
	if n := c.loadNodes(); n != nil {
		return n.lookup(id)
	}
	return "", false
}

// lookupField returns the label of the form field id of the session's
// last snapshot.
func (c *carried) lookupField(id int64) (string, bool) {
	if n := c.loadNodes(); n != nil {
		return n.lookupField(id)
	}
	return "", false
}

// loadNodes decodes the carried snapshot nodes once; nil when there are
// none.
func (c *carried) loadNodes() *carriedNodes {
	if !c.nodesRead {
		c.nodesRead = true
		raw := c.nodesRaw
		if raw == nil && c.stored != nil {
			raw = c.stored.Nodes
		}
		if len(raw) > 0 {
			c.nodes = &carriedNodes{}
			if json.Unmarshal(raw, c.nodes) != nil {
				c.nodes = nil
			}
		}
	}
	return c.nodes
}

// signalCounts are the frustration signals found when storing a batch.
type signalCounts struct{ rage, dead, errorClicks int }

// add decides the frustration signals of b with what the session's earlier
// batches left undecided, and returns b as it is to be stored: its search
// values less those the session has, its timeline with the signals found.
// b itself is not changed.
func (c *carried) add(b *playhead.IndexedBatch) (*playhead.IndexedBatch, signalCounts) {
	nb := *b
	var n signalCounts
	sig := b.Signals
	if sig == nil {
		sig = &playhead.BatchSignals{}
	}
	if len(sig.Clicks) > 0 || c.hasSignals() {
		c.loadSignals()
		nb.Timeline = slices.Clip(nb.Timeline)
		values := slices.Clip(b.Search)
		clicks := make([]carriedClick, 0, len(sig.Clicks))
		var actionable []bool
		var answered []bool
		for _, k := range sig.Clicks {
			cc := carriedClick{Ts: k.Ts, ID: k.ID, X: k.X, Y: k.Y, Text: k.Text}
			act := k.Actionable
			if !act && k.Lookup != 0 {
				if text, ok := c.lookupNode(k.Lookup); ok {
					act, cc.Text = true, text
					if text != "" {
						values = append(values, playhead.SearchText{Field: search.FieldClick, Value: text})
					}
				}
			}
			clicks = append(clicks, cc)
			actionable = append(actionable, act)
			answered = append(answered, k.Answered)
		}
		nb.Search = values
		if sig.Nodes != nil {
			c.nodesRaw, c.nodes, c.nodesRead, c.nodesChanged = sig.Nodes, nil, false, true
		}
		lastTs := b.Ref.LastTs
		th := thresholdsOfBatch(sig)
		n.dead = c.dead(&nb, sig.Answers, clicks, actionable, answered, lastTs, th)
		n.rage = c.rage(&nb, clicks, lastTs, th)
		n.errorClicks = c.errorClicks(&nb, clicks, sig.Errors, lastTs)
	} else if sig.Nodes != nil {
		c.nodesRaw, c.nodes, c.nodesRead, c.nodesChanged = sig.Nodes, nil, false, true
	}
	// Fields the batch typed into without knowing them: labelled by the
	// last snapshot (the batch's own, when it had one, knew them).
	if len(sig.Inputs) > 0 {
		nb.Timeline, nb.Search = slices.Clip(nb.Timeline), slices.Clip(nb.Search)
	}
	for _, in := range sig.Inputs {
		if label, ok := c.lookupField(in.ID); ok {
			addInput(&nb, in.Ts, label)
		}
	}
	nb.Search = c.newSearch(nb.Search)
	return &nb, n
}

// hasSignals says whether the stored state may hold undecided signals.
func (c *carried) hasSignals() bool {
	if c.signalsRead {
		s := &c.signals
		return len(s.Recent) > 0 || len(s.Pending) > 0 || s.Last != nil || s.RunEnd != 0
	}
	return c.stored != nil && len(c.stored.Signals) > 2 // "{}" is empty
}

// dead counts the dead clicks b decides: the session's pending clicks
// nothing in b answered once their window ends, and b's own unanswered
// actionable clicks whose window ends within b (the others wait).
func (c *carried) dead(b *playhead.IndexedBatch, answers []int64, clicks []carriedClick, actionable, answered []bool, lastTs int64, th thresholds) int {
	n := 0
	var pending []carriedClick
	for _, p := range c.signals.Pending {
		k, _ := slices.BinarySearch(answers, p.Ts)
		switch {
		case k < len(answers) && answers[k]-p.Ts <= th.deadWindowMs:
		case p.Ts+th.deadWindowMs <= lastTs:
			n++
			b.Timeline = append(b.Timeline, signalEntry(playhead.KindDeadClick, "warn", p, "Dead click", p.Text))
		default:
			pending = append(pending, p)
		}
	}
	for i, k := range clicks {
		if !actionable[i] || answered[i] {
			continue
		}
		if k.Ts+th.deadWindowMs <= lastTs {
			n++
			b.Timeline = append(b.Timeline, signalEntry(playhead.KindDeadClick, "warn", k, "Dead click", k.Text))
		} else {
			pending = append(pending, k)
		}
	}
	c.signals.Pending = pending
	return n
}

// rage counts a rage click for every run of th.rageClicks or more clicks
// within th.rageWindowMs of the run's first click and rageRadiusPx of
// where it was; a run may start with clicks of earlier batches. Clicks no
// run took whose window is still open wait for the next batch.
func (c *carried) rage(b *playhead.IndexedBatch, batch []carriedClick, lastTs int64, th thresholds) int {
	s := &c.signals
	clicks := slices.Clone(s.Recent)
	for _, k := range batch {
		if k.Ts > s.RunEnd {
			clicks = append(clicks, k)
		}
	}
	slices.SortStableFunc(clicks, func(a, b carriedClick) int { return cmp.Compare(a.Ts, b.Ts) })
	n := 0
	var recent []carriedClick
	for i := 0; i < len(clicks); {
		first := clicks[i]
		hits, j := 1, i+1
		for ; j < len(clicks) && clicks[j].Ts-first.Ts <= th.rageWindowMs; j++ {
			if math.Hypot(clicks[j].X-first.X, clicks[j].Y-first.Y) <= rageRadiusPx {
				hits++
			}
		}
		if hits < th.rageClicks {
			if first.Ts+th.rageWindowMs > lastTs {
				recent = append(recent, first)
			}
			i++
			continue
		}
		n++
		b.Timeline = append(b.Timeline, signalEntry(playhead.KindRageClick, "warn", first, "Rage click", fmt.Sprintf("%d clicks", hits)))
		s.RunEnd = first.Ts + th.rageWindowMs
		i = j
	}
	s.Recent = recent
	if s.RunEnd <= lastTs {
		s.RunEnd = 0
	}
	return n
}

// errorClicks counts the error clicks b decides. An error click is the
// last click before an error, within errorWindowMs: the one that set it
// off, which may be the last click of an earlier batch. Clicks before
// that one are not, and a click is counted once however many errors
// follow it.
func (c *carried) errorClicks(b *playhead.IndexedBatch, batch []carriedClick, errors []playhead.SignalError, lastTs int64) int {
	s := &c.signals
	clicks := batch
	if s.Last != nil {
		clicks = append([]carriedClick{*s.Last}, batch...)
	}
	n := 0
	for _, e := range errors {
		last := -1
		for i, k := range clicks {
			if k.Ts <= e.Ts {
				last = i
			}
		}
		if last < 0 || e.Ts-clicks[last].Ts > errorWindowMs || clicks[last].Erred {
			continue
		}
		clicks[last].Erred = true
		n++
		b.Timeline = append(b.Timeline, signalEntry(playhead.KindErrorClick, "error", clicks[last], "Error click", e.Message))
	}
	s.Last = nil
	if len(clicks) > 0 {
		last := slices.MaxFunc(clicks, func(a, b carriedClick) int { return cmp.Compare(a.Ts, b.Ts) })
		if last.Ts+errorWindowMs > lastTs {
			s.Last = &last
		}
	}
	return n
}

func signalEntry(kind, level string, c carriedClick, label, what string) playhead.TimelineEntry {
	if what != "" {
		label += ": " + what
	}
	return playhead.TimelineEntry{Ts: c.Ts, Kind: kind, Level: level, Label: truncate(label, maxLabel), Detail: clickDetail(c.ID, c.X, c.Y)}
}

// write returns what of the session's carried state changed, or nil.
func (c *carried) write() *playhead.SessionCarry {
	w := &playhead.SessionCarry{ProjectID: c.ref.ProjectID, SessionID: c.ref.SessionID}
	changed := false
	if c.keysAdded {
		w.Search = make([]byte, 8*len(c.keys))
		for i, k := range c.keys {
			binary.LittleEndian.PutUint64(w.Search[8*i:], uint64(k))
		}
		changed = true
	}
	if c.signalsRead {
		enc, _ := json.Marshal(&c.signals)
		var old []byte
		if c.stored != nil {
			old = c.stored.Signals
		}
		if string(enc) != string(old) && !(old == nil && string(enc) == "{}") {
			w.Signals, changed = enc, true
		}
	}
	if c.nodesChanged {
		w.Nodes, changed = c.nodesRaw, true
	}
	if !changed {
		return nil
	}
	return w
}
