// Package search is the query language of the sessions list: a query such
// as `url:/checkout -browser:safari (errors:>0 OR rage:>0)` is parsed into a
// tree of terms, which an index compiles into a parameterised condition on
// its sessions (see ToSQL). docs/SEARCH.md documents the grammar.
//
// The package knows the schema both indexes share (the sessions table and
// its search rows) but no database: each index supplies a Dialect.
package search

import (
	"fmt"
	"strings"
	"time"
)

// Expr is a node of a parsed query: an And, an Or, a Not or a Term.
type Expr interface {
	// String returns the node in a form for tests and logs.
	String() string
}

// And matches sessions every one of its terms matches.
type And struct{ Terms []Expr }

// Or matches sessions any one of its terms matches.
type Or struct{ Terms []Expr }

// Not matches sessions its term does not match.
type Not struct{ X Expr }

// Op compares a number or a date.
type Op string

// Comparisons a number or date term may start with; OpEq when none is given.
const (
	OpEq Op = "="
	OpGt Op = ">"
	OpGe Op = ">="
	OpLt Op = "<"
	OpLe Op = "<="
)

// Term is one condition: a key and its value, or free text (Key "").
type Term struct {
	// Pos is the 1-based position (in characters) of the term in the query.
	Pos int
	// Key is the term's key, as the keys table names it ("url" for
	// "page:"), or "" for free text.
	Key string
	// Value is the value as written, without quotes.
	Value string
	// Wildcard is true when Value is unquoted and holds a '*', which
	// matches any run of characters; the pattern then matches a whole value.
	Wildcard bool
	// Op, Num, At, Span and Ago are a number or date term's parsed value:
	// Num a count (or milliseconds, for duration); At and Span the instant
	// or day a date names (Span is 24h for a day, 0 for an instant); Ago
	// how long before now a relative date is.
	// Prop is the property a meta.KEY or event.prop.KEY term names.
	Prop string
	Op   Op
	Num  int64
	At   time.Time
	Span time.Duration
	Ago  time.Duration
}

func (a *And) String() string { return "(and " + join(a.Terms) + ")" }
func (o *Or) String() string  { return "(or " + join(o.Terms) + ")" }
func (n *Not) String() string { return "(not " + n.X.String() + ")" }

// String returns the term as key:value, numbers and dates parsed.
func (t *Term) String() string {
	key := t.Key
	if key == "" {
		key = "text"
	}
	switch keys[t.Key].kind {
	case kindProp:
		key += "." + t.Prop
	}
	switch keys[t.Key].kind {
	case kindCount, kindDuration, kindStatus:
		return fmt.Sprintf("%s%s%d", key, t.Op, t.Num)
	case kindDate:
		if t.Ago > 0 {
			return fmt.Sprintf("%s%s-%s", key, t.Op, t.Ago)
		}
		return fmt.Sprintf("%s%s%s+%s", key, t.Op, t.At.UTC().Format(time.RFC3339), t.Span)
	}
	if t.Wildcard {
		return fmt.Sprintf("%s~%q", key, t.Value)
	}
	return fmt.Sprintf("%s:%q", key, t.Value)
}

func join(xs []Expr) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = x.String()
	}
	return strings.Join(s, " ")
}

// kind says what a key's value is and what it is matched against.
type kind int

const (
	kindText         kind = iota // text found in the session's search rows, as a substring
	kindAttribute                // a value of the session's search rows, whole (a level, a method)
	kindSummary                  // a field of the session's summary, whole (browser, os)
	kindUser                     // the identified user, matched by keyed hash
	kindCount                    // a count of the summary
	kindDuration                 // the session's length (or, for active:, the time the user was active)
	kindDate                     // when the session started
	kindStatus                   // a request's HTTP status
	kindBool                     // true or false: a request failed
	kindProp                     // a property's value (meta.KEY, event.prop.KEY), as a substring
	kindHas                      // the session has a thing of its own (has:report)
	kindBackendError             // true or false: an error span or log of the backend is tied to the session
)

// keyInfo is what the parser and the compiler know of a key.
type keyInfo struct {
	kind kind
	// field is the search rows' field (text and attributes) or the
	// sessions column (summary fields and counts) the key reads.
	field string
}

// Fields of the search rows an index keeps of each session, one row per
// distinct value: ingest fills them from the events as stored (scrubbed).
const (
	FieldURL           = "url"            // a page visited
	FieldTitle         = "title"          // a page's title
	FieldClick         = "click"          // the text of a clicked element
	FieldError         = "error"          // a JS error's message
	FieldConsole       = "console"        // a console message
	FieldRequest       = "request"        // a request's method and URL
	FieldEvent         = "event"          // a custom event's name
	FieldConsoleLevel  = "console.level"  // a console message's level
	FieldRequestMethod = "request.method" // a request's method
	FieldRequestStatus = "request.status" // a request's status (0 when it failed)
	FieldRequestFailed = "request.failed" // "true" for a failed request (no answer or status >= 400)
	FieldReferrer      = "referrer"       // the page a visit came from
	FieldMeta          = "meta"           // a setMetadata property, as KEY=value
	FieldEventProp     = "event.prop"     // a custom event's property, as KEY=value
	FieldInput         = "input"          // the label of a field typed into (never what was typed)
)

// TextFields are the search rows' fields free text is looked for in.
var TextFields = []string{FieldURL, FieldTitle, FieldClick, FieldError, FieldConsole, FieldRequest, FieldEvent}

// keys are the query's keys. Aliases share an entry.
var keys = map[string]keyInfo{
	"":               {kindText, ""},
	"url":            {kindText, FieldURL},
	"page":           {kindText, FieldURL},
	"title":          {kindText, FieldTitle},
	"click":          {kindText, FieldClick},
	"error":          {kindText, FieldError},
	"console":        {kindText, FieldConsole},
	"request":        {kindText, FieldRequest},
	"event":          {kindText, FieldEvent},
	"console.level":  {kindAttribute, FieldConsoleLevel},
	"request.method": {kindAttribute, FieldRequestMethod},
	"request.status": {kindStatus, FieldRequestStatus},
	"request.failed": {kindBool, FieldRequestFailed},
	"user":           {kindUser, "user_hash"},
	"browser":        {kindSummary, "browser"},
	"os":             {kindSummary, "os"},
	"device":         {kindSummary, "device"},
	"duration":       {kindDuration, ""},
	"active":         {kindDuration, "active_ms"},
	"pages":          {kindCount, ""},
	"clicks":         {kindCount, "clicks"},
	"errors":         {kindCount, "errors"},
	"rage":           {kindCount, "rage_clicks"},
	"dead":           {kindCount, "dead_clicks"},
	"errorclick":     {kindCount, "error_clicks"},
	"started":        {kindDate, "started_at"},
	"referrer":       {kindText, FieldReferrer},
	"meta":           {kindProp, FieldMeta},
	"event.prop":     {kindProp, FieldEventProp},
	"input":          {kindText, FieldInput},
	"has":            {kindHas, ""},
	"backend.error":  {kindBackendError, ""},
}

// propKeys are the keys followed by a property's name (meta.plan:pro).
var propKeys = []string{"meta", "event.prop"}

// hasValues are what has: may name.
var hasValues = []string{"report"}

// canonical maps an alias to the key it stands for.
var canonical = map[string]string{"page": "url"}

// KeyNames lists the keys a query may use, for messages and docs.
func KeyNames() []string {
	return []string{"url", "page", "title", "click", "error", "console", "console.level", "request", "request.method",
		"request.status", "request.failed", "event", "user", "browser", "os", "device", "duration", "pages", "clicks",
		"errors", "rage", "dead", "errorclick", "started", "active", "referrer", "meta.KEY", "event.prop.KEY", "has", "backend.error"}
}

// MapUsers replaces the value of every user: term of e with hash(value):
// an index holds the identified user's keyed hash, never the ID.
func MapUsers(e Expr, hash func(id string) string) {
	walkTerms(e, func(t *Term) {
		if t.Key == "user" {
			t.Value = hash(t.Value)
		}
	})
}
