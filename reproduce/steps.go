// Package reproduce turns a recorded session into reproduction steps ("Open
// /demo/checkout", "Click the button 'Place order'", "POST /demo/api/checkout
// answered 500") and exports them as a Playwright test that fails the way
// the visit failed. Steps are derived deterministically from the stored
// rrweb events: the same events always give the same steps.
//
// Elements are named the way a person and Playwright find them: role and
// accessible name, label, visible text, test id, and only then a CSS path;
// never by rrweb's node ids, which mean nothing outside the recording.
package reproduce

import (
	"fmt"
	"net/url"
	"strings"
)

// Step kinds.
const (
	// KindOpen is a page load: the first page, a reload, or a page the user
	// reached by typing its address.
	KindOpen = "open"
	// KindNavigate is the page's address changing: a link or form the user
	// followed (Cause "action"), the history API, or the back and forward
	// buttons (Cause "back", "forward" is not told apart from "back").
	KindNavigate = "navigate"
	KindClick    = "click"
	// KindFill is typing into a field, folded into its final value.
	KindFill = "fill"
	// KindSelect is choosing an option of a <select>.
	KindSelect = "select"
	// KindCheck and KindUncheck are a checkbox or radio button changing.
	KindCheck   = "check"
	KindUncheck = "uncheck"
	// KindScroll is the page scrolled, repeated scrolls folded into one.
	KindScroll = "scroll"
	// KindRequest is a request that failed (status 0 or ≥ 400).
	KindRequest = "request"
	// KindError is an uncaught error or unhandled rejection.
	KindError = "error"
	// KindConsoleError is a console.error (or failed console.assert).
	KindConsoleError = "console_error"
	// KindReport is a bug report the user sent.
	KindReport = "report"
)

// Steps is a session's reproduction: where it ran, at what size, and what
// happened, in order.
type Steps struct {
	SessionID string `json:"sessionId"`
	// BaseURL is the origin of the first page (scheme://host:port): the
	// steps' paths are relative to it, and an exported test takes another
	// one as a parameter.
	BaseURL  string    `json:"baseUrl"`
	Viewport *Viewport `json:"viewport,omitempty"`
	// From and To bound the window the steps cover (Unix ms); Start is the
	// session's first event, which step times are shown against.
	Start int64 `json:"start"`
	From  int64 `json:"from"`
	To    int64 `json:"to"`
	// Around is the moment the window leads to (0: the whole session).
	Around int64  `json:"around,omitempty"`
	Steps  []Step `json:"steps"`
	// Responses are the responses the recording kept the bodies of.
	Responses []Response `json:"-"`

	pages []pageAt // the pages shown, in order
}

// Viewport is the size of the recorded browser window, in CSS pixels.
type Viewport struct {
	Width  int `json:"width"`
	Height int `json:"height"`
}

// Step is one thing the user did or that went wrong.
type Step struct {
	Ts   int64  `json:"ts"`
	Kind string `json:"kind"`
	// Text is the step in words, as a person would write it in a ticket.
	Text   string  `json:"text"`
	Target *Target `json:"target,omitempty"`
	// URL is the page a step opens or navigates to, or a request's URL.
	URL string `json:"url,omitempty"`
	// Cause is why the page's address changed: "action" (the step
	// before it), "back", or "script".
	Cause string `json:"cause,omitempty"`
	// Value is what was typed or selected, when the recording kept it.
	Value string `json:"value,omitempty"`
	// Masked is set when the recording masked what was typed or chosen:
	// an export fills in a placeholder of the kind InputKind names.
	Masked    bool   `json:"masked,omitempty"`
	InputKind string `json:"inputKind,omitempty"`
	// Method and Status of a failed request (Status 0: no answer at all).
	Method string `json:"method,omitempty"`
	Status int    `json:"status,omitempty"`
	// Message of an error or console error, its source file and line.
	Message string `json:"message,omitempty"`
	Source  string `json:"source,omitempty"`
	Line    int    `json:"line,omitempty"`
	// Y is how far the page was scrolled down, in CSS pixels.
	Y int `json:"y,omitempty"`
	// WaitMs is how long the user waited before this step while the page
	// was still changing: a reproduction waits as long.
	WaitMs int64 `json:"waitMs,omitempty"`

	node       int64 // the rrweb id of the step's element
	start      int64 // when a request started
	scrollFrom int   // where a scroll started
}

// Target names an element by the ways a person and Playwright find it, the
// most robust first. CSS is always set.
type Target struct {
	// Role and Name: the element's ARIA role and accessible name, unique
	// on the page with the role (Exact: only as the whole name).
	Role  string `json:"role,omitempty"`
	Name  string `json:"name,omitempty"`
	Exact bool   `json:"exact,omitempty"`
	// Label is the text of the <label> of a form field (or its
	// aria-label), unique on the page.
	Label string `json:"label,omitempty"`
	// Text is the element's visible text, unique on the page.
	Text string `json:"text,omitempty"`
	// TestID is its data-testid.
	TestID string `json:"testId,omitempty"`
	// CSS is a selector built from stable attributes (ids, test
	// attributes, names) and element positions.
	CSS string `json:"css"`
	// Description names the element in words: "the button 'Place order'".
	Description string `json:"description"`
}

// IsProblem reports whether the step is something that went wrong.
func (s *Step) IsProblem() bool {
	return s.Kind == KindRequest || s.Kind == KindError || s.Kind == KindConsoleError
}

// Markdown renders the steps as a numbered list for a ticket, with what went
// wrong and a link to the replay (replayURL, when not empty).
func (st *Steps) Markdown(replayURL string) string {
	var b strings.Builder
	b.WriteString("### Steps to reproduce\n\n")
	if st.Viewport != nil {
		fmt.Fprintf(&b, "In a %d×%d browser window, on %s:\n\n", st.Viewport.Width, st.Viewport.Height, st.BaseURL)
	} else if st.BaseURL != "" {
		fmt.Fprintf(&b, "On %s:\n\n", st.BaseURL)
	}
	var problems []string
	for i, s := range st.Steps {
		fmt.Fprintf(&b, "%d. %s _(%s)_\n", i+1, markdownEscape(s.Text), clock(s.Ts-st.Start))
		if s.IsProblem() {
			problems = append(problems, markdownEscape(s.Text))
		}
	}
	if len(problems) > 0 {
		b.WriteString("\n**What went wrong**\n\n")
		for _, p := range problems {
			fmt.Fprintf(&b, "- %s\n", p)
		}
	}
	if replayURL != "" {
		fmt.Fprintf(&b, "\n[Watch the replay](%s)\n", replayURL)
	}
	return b.String()
}

// markdownEscape keeps recorded text from being read as Markdown: a page's
// text could otherwise add links or images to the ticket.
func markdownEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "<", `\<`, ">", `\>`, "!", `\!`, "#", `\#`, "|", `\|`)
	return r.Replace(s)
}

// clock formats a duration in ms as m:ss.t, the player's time.
func clock(ms int64) string {
	if ms < 0 {
		ms = 0
	}
	return fmt.Sprintf("%d:%02d.%d", ms/60000, ms/1000%60, ms/100%10)
}

// pathOf returns u relative to base (path, query and fragment) when u is on
// base's origin, else u whole.
func pathOf(base, u string) string {
	pu, err := url.Parse(u)
	if err != nil || base == "" || origin(pu) != base {
		return u
	}
	p := pu.EscapedPath()
	if p == "" {
		p = "/"
	}
	if pu.RawQuery != "" {
		p += "?" + pu.RawQuery
	}
	if pu.Fragment != "" {
		p += "#" + pu.EscapedFragment()
	}
	return p
}

// pathOnly is pathOf without the query and fragment: a page the user was
// taken to is named by its path, its query (often the form just sent) left
// to the URL.
func pathOnly(base, u string) string {
	p := pathOf(base, u)
	if i := strings.IndexAny(p, "?#"); i >= 0 && strings.HasPrefix(p, "/") {
		p = p[:i]
	}
	return p
}

// origin returns scheme://host[:port] of an absolute URL, "" for another.
func origin(u *url.URL) string {
	if u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
