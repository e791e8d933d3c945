package search

import (
	"fmt"
	"strings"
	"time"
)

// Dialect is how an index's SQL spells what a compiled query needs.
type Dialect interface {
	// Param returns the placeholder of the n-th argument, counted from 1.
	Param(n int) string
	// ILike is the case-insensitive LIKE operator.
	ILike() string
	// Narrow returns how a full-text index finds the rows of
	// session_search (c) whose value holds every one of runs (each at
	// least MinRun characters): a table to join before c ("" for none,
	// else ending in a join operator) and a condition on c.id, with arg
	// binding a value; or "", "" to leave the search to ILike.
	Narrow(runs []string, arg func(v any) string) (join, cond string)
	// PerSession says whether rows holding every one of runs are so
	// common that checking the rows of each session, newest first until a
	// page is full, costs less than finding them all.
	PerSession(runs []string) bool
	// NarrowShort is Narrow for a text shorter than MinRun: how the
	// full-text index finds the rows of MinRun characters or more that
	// hold text, with cond "" when none does; ok false to check the rows
	// session by session instead. Values shorter than MinRun, which no
	// trigram index holds, are found apart.
	NarrowShort(text string, arg func(v any) string) (join, cond string, ok bool)
	// PerSessionTerm is PerSession for a value term (an attribute, a
	// status, true or false): whether its rows are so common that checking
	// each session's, newest first, costs less than finding them all.
	PerSessionTerm(t *Term) bool
}

// MinRun is the shortest run of characters a trigram index can look up.
const MinRun = 3

// ToSQL compiles e into a condition on the sessions row s of project
// projectID: every value is bound as an argument (appended to args, whose
// placeholders d numbers on), never written into the SQL. Relative dates
// count back from now. A nil e (the empty query) compiles to "1 = 1".
func ToSQL(e Expr, d Dialect, projectID int64, now time.Time, args []any) (string, []any) {
	c := &compiler{d: d, project: projectID, now: now, args: args}
	if e == nil {
		return "1 = 1", args
	}
	return c.expr(e), c.args
}

type compiler struct {
	d       Dialect
	project int64
	now     time.Time
	args    []any
}

func (c *compiler) arg(v any) string {
	c.args = append(c.args, v)
	return c.d.Param(len(c.args))
}

func (c *compiler) expr(e Expr) string {
	switch e := e.(type) {
	case *And:
		return c.list(e.Terms, " AND ")
	case *Or:
		return c.list(e.Terms, " OR ")
	case *Not:
		return "NOT (" + c.expr(e.X) + ")"
	case *Term:
		return c.term(e)
	}
	panic(fmt.Sprintf("search: unknown node %T", e))
}

func (c *compiler) list(xs []Expr, sep string) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = "(" + c.expr(x) + ")"
	}
	return strings.Join(parts, sep)
}

func (c *compiler) term(t *Term) string {
	info := keys[t.Key]
	switch info.kind {
	case kindText:
		fields := TextFields
		if t.Key != "" {
			fields = []string{info.field}
		}
		like, runs := pattern(t, true)
		cond := func() string { return "c.value " + c.d.ILike() + " " + c.arg(like) + ` ESCAPE '\'` }
		// A text with no run long enough for a trigram index is looked
		// for session by session, unless the dialect can tell the
		// trigrams that hold it: a short text is usually common, and
		// finding every row that holds it means reading every row.
		if len(runs) == 0 {
			if short, ok := ShortText(t); ok {
				if sql, ok := c.shortRows(fields, short, cond); ok {
					return sql
				}
			}
			return c.sessionRows(fields, cond)
		}
		if c.d.PerSession(runs) {
			return c.sessionRows(fields, cond)
		}
		return c.narrowRows(fields, runs, cond)
	case kindAttribute, kindStatus, kindBool:
		if c.d.PerSessionTerm(t) {
			return c.sessionRows([]string{info.field}, valueCondition(t, c.d, c.arg, true))
		}
		return c.narrowRows([]string{info.field}, nil, valueCondition(t, c.d, c.arg, false))
	case kindProp:
		// Rows hold KEY=value; the name is matched whole, the value as
		// text is (a substring, or whole with wildcards).
		like, runs := propPattern(t)
		name := t.Prop + "="
		cond := func() string {
			return "c.value " + c.d.ILike() + " " + c.arg(likeEscaper.Replace(name)+like) + ` ESCAPE '\'`
		}
		if c.d.PerSession(runs) {
			return c.sessionRows([]string{info.field}, cond)
		}
		return c.narrowRows([]string{info.field}, runs, cond)
	case kindHas:
		// has:report, the only value the parser lets through.
		return "EXISTS (SELECT 1 FROM reports r WHERE r.project_id = s.project_id AND r.session_id = s.id)"
	case kindBackendError:
		cond := "EXISTS (SELECT 1 FROM backend_records b WHERE b.project_id = s.project_id AND b.session_id = s.id AND b.level IN ('error', 'fatal'))"
		if t.Value == "false" {
			return "NOT " + cond
		}
		return cond
	case kindSummary:
		like, _ := pattern(t, false)
		return "s." + info.field + " " + c.d.ILike() + " " + c.arg(like) + ` ESCAPE '\'`
	case kindUser:
		// The second condition is the one of the index of identified
		// sessions, which SQLite uses only when the query states it.
		return "s.user_hash = " + c.arg(t.Value) + " AND s.user_hash != ''"
	case kindCount:
		col := "s." + info.field
		if t.Key == "pages" {
			col = "(SELECT count(*) FROM session_pages p WHERE p.project_id = s.project_id AND p.session_id = s.id)"
		}
		return col + " " + string(t.Op) + " " + c.arg(t.Num)
	case kindDuration:
		if info.field != "" {
			return "s." + info.field + " " + string(t.Op) + " " + c.arg(t.Num)
		}
		return "(s.ended_at - s.started_at) " + string(t.Op) + " " + c.arg(t.Num)
	case kindDate:
		return c.date(t)
	}
	panic(fmt.Sprintf("search: key %q has no kind", t.Key))
}

// valueCondition is the condition on a search row (c) of a value term
// (an attribute, a status, true or false), binding its argument through
// arg when called. A status checked session by session (perSession) is
// written so that the index of statuses cannot serve it: a range of it
// would be read whole for every session, where the session's own rows are
// few (an equality is looked up in its field's index by session at once).
func valueCondition(t *Term, d Dialect, arg func(any) string, perSession bool) func() string {
	field := keys[t.Key].field
	switch keys[t.Key].kind {
	case kindAttribute:
		if !t.Wildcard {
			// Ingest stores these values in one case, so an index of them
			// answers an equality.
			return func() string { return "c.value = " + arg(attributeValue(field, t.Value)) }
		}
		like, _ := pattern(t, false)
		return func() string { return "c.value " + d.ILike() + " " + arg(like) + ` ESCAPE '\'` }
	case kindStatus:
		value := "c.value"
		if perSession {
			value = "(c.value || '')"
		}
		return func() string { return "CAST(" + value + " AS BIGINT) " + string(t.Op) + " " + arg(t.Num) }
	}
	return func() string { return "c.value = " + arg(t.Value) }
}

// ValueTerms returns the value terms of e (attributes, statuses, true or
// false), whose rows a dialect may count before e is compiled (see
// Dialect.PerSessionTerm).
func ValueTerms(e Expr) []*Term {
	var out []*Term
	walkTerms(e, func(t *Term) {
		switch keys[t.Key].kind {
		case kindAttribute, kindStatus, kindBool:
			out = append(out, t)
		}
	})
	return out
}

// CountRows returns the SQL that counts, up to limit, the search rows of
// project projectID that value term t finds, and its arguments.
func CountRows(t *Term, d Dialect, projectID int64, limit int) (string, []any) {
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return d.Param(len(args))
	}
	sql := "SELECT count(*) FROM (SELECT 1 FROM session_search c WHERE c.project_id = " + arg(projectID) +
		" AND " + fieldIn([]string{keys[t.Key].field}) + " AND " + valueCondition(t, d, arg, false)() + " LIMIT " + arg(limit) + ") n"
	return sql, args
}

// narrowRows is the condition that the session has a search row of one
// of fields for which cond (on the row c) holds, the rows found first
// (through a full-text index for runs, when the dialect has one). cond
// binds its arguments when called: after the project's and the index's,
// as its text comes after them (SQLite numbers "?" by order).
func (c *compiler) narrowRows(fields []string, runs []string, cond func() string) string {
	sql := "s.id IN (SELECT c.session_id FROM "
	project := c.arg(c.project)
	join, narrow := "", ""
	if len(runs) > 0 {
		join, narrow = c.d.Narrow(runs, c.arg)
	}
	sql += join + "session_search c WHERE c.project_id = " + project + " AND " + fieldIn(fields) + " AND "
	if narrow != "" {
		sql += narrow + " AND "
	}
	return sql + cond() + ")"
}

// shortRows is narrowRows for a text shorter than MinRun: the rows long
// enough for the full-text index, found through it, and the shorter ones,
// found through their own index (see the dialect's NarrowShort).
func (c *compiler) shortRows(fields []string, text string, cond func() string) (string, bool) {
	args := len(c.args)
	project := c.arg(c.project)
	join, narrow, ok := c.d.NarrowShort(text, c.arg)
	if !ok {
		c.args = c.args[:args]
		return "", false
	}
	var parts []string
	if narrow != "" {
		parts = append(parts, "s.id IN (SELECT c.session_id FROM "+join+"session_search c WHERE c.project_id = "+project+
			" AND "+fieldIn(fields)+" AND "+narrow+" AND "+cond()+")")
		project = c.arg(c.project)
	}
	parts = append(parts, "s.id IN (SELECT c.session_id FROM session_search c WHERE c.project_id = "+project+
		" AND "+fieldIn(fields)+" AND "+ShortValue+" AND "+cond()+")")
	return "(" + strings.Join(parts, " OR ") + ")", true
}

// ShortValue is the condition that a search row's value is too short for
// a trigram index, as the index of such rows states it.
const ShortValue = "length(c.value) < 3"

// sessionRows is the same condition checked session by session: the
// session's own rows are read, for a value so common that a page of
// sessions is found after reading few.
func (c *compiler) sessionRows(fields []string, cond func() string) string {
	return "EXISTS (SELECT 1 FROM session_search c WHERE c.project_id = s.project_id AND c.session_id = s.id AND " +
		fieldIn(fields) + " AND " + cond() + ")"
}

// fieldIn is the condition that c's field is one of fields.
func fieldIn(fields []string) string {
	quoted := make([]string, len(fields))
	for i, f := range fields {
		quoted[i] = "'" + f + "'" // the package's own constants, never user text
	}
	if len(quoted) == 1 {
		return "c.field = " + quoted[0] // as an index's condition is written
	}
	return "c.field IN (" + strings.Join(quoted, ", ") + ")"
}

// ShortText returns the text of a text term too short for a trigram
// index (a substring, not a wildcard, of fewer than MinRun characters).
func ShortText(t *Term) (string, bool) {
	if keys[t.Key].kind != kindText || t.Wildcard {
		return "", false
	}
	n := len([]rune(t.Value))
	return t.Value, n > 0 && n < MinRun
}

// ShortTexts returns the texts of e's terms too short for a trigram index
// (see ShortText), which a dialect may look up in its index's vocabulary
// before e is compiled (see Dialect.NarrowShort).
func ShortTexts(e Expr) []string {
	var out []string
	walkTerms(e, func(t *Term) {
		if s, ok := ShortText(t); ok {
			out = append(out, s)
		}
	})
	return out
}

// walkTerms calls f for each term of e, in order.
func walkTerms(e Expr, f func(*Term)) {
	switch e := e.(type) {
	case *And:
		for _, x := range e.Terms {
			walkTerms(x, f)
		}
	case *Or:
		for _, x := range e.Terms {
			walkTerms(x, f)
		}
	case *Not:
		walkTerms(e.X, f)
	case *Term:
		f(e)
	}
}

// TextRuns returns the literal runs (of MinRun characters or more) of each
// text term of e, which a dialect may look up in its full-text index
// before e is compiled (see Dialect.PerSession).
func TextRuns(e Expr) [][]string {
	var out [][]string
	walkTerms(e, func(t *Term) {
		switch keys[t.Key].kind {
		case kindText:
			if _, runs := pattern(t, true); len(runs) > 0 {
				out = append(out, runs)
			}
		case kindProp:
			if _, runs := propPattern(t); len(runs) > 0 {
				out = append(out, runs)
			}
		}
	})
	return out
}

// attributeValue is v as ingest stores values of field: a request's method
// in capitals, a console level in small letters.
func attributeValue(field, v string) string {
	switch field {
	case FieldRequestMethod:
		return strings.ToUpper(v)
	case FieldConsoleLevel:
		return strings.ToLower(v)
	}
	return v
}

// date compiles started: a day is a span of time, "how long ago" turns the
// comparison around (started:<24h is a start after now-24h).
func (c *compiler) date(t *Term) string {
	const col = "s.started_at"
	if t.Ago > 0 {
		at := c.now.Add(-t.Ago).UnixMilli()
		flip := map[Op]Op{OpLt: OpGt, OpLe: OpGe, OpGt: OpLt, OpGe: OpLe}
		return col + " " + string(flip[t.Op]) + " " + c.arg(at)
	}
	from, to := t.At.UnixMilli(), t.At.Add(t.Span).UnixMilli()
	switch t.Op {
	case OpGt:
		if t.Span == 0 {
			return col + " > " + c.arg(from)
		}
		return col + " >= " + c.arg(to)
	case OpGe:
		return col + " >= " + c.arg(from)
	case OpLt:
		return col + " < " + c.arg(from)
	case OpLe:
		if t.Span == 0 {
			return col + " <= " + c.arg(from)
		}
		return col + " < " + c.arg(to)
	}
	if t.Span == 0 {
		return col + " = " + c.arg(from)
	}
	return col + " >= " + c.arg(from) + " AND " + col + " < " + c.arg(to)
}

// pattern returns t's value as a LIKE pattern with '\' escaping, and its
// literal runs. A wildcard value matches a whole value, '*' standing for
// any run of characters; any other value matches a part of one when
// substring is set, and a whole one otherwise.
func pattern(t *Term, substring bool) (string, []string) {
	var parts []string
	if t.Wildcard {
		parts = strings.Split(t.Value, "*")
	} else if substring {
		parts = []string{"", t.Value, ""}
	} else {
		parts = []string{t.Value}
	}
	var runs []string
	esc := make([]string, len(parts))
	for i, p := range parts {
		esc[i] = likeEscaper.Replace(p)
		if len([]rune(p)) >= MinRun {
			runs = append(runs, p)
		}
	}
	return strings.Join(esc, "%"), runs
}

// propPattern is pattern for a property's value, with the literal runs
// of the whole row (KEY=value) a full-text index may look up.
func propPattern(t *Term) (string, []string) {
	like, runs := pattern(t, !t.Wildcard)
	if name := t.Prop + "="; len([]rune(name)) >= MinRun {
		runs = append(runs, name)
	}
	return like, runs
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
