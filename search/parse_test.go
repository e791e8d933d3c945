package search_test

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/playhead/playhead/search"
)

func TestParse(t *testing.T) {
	tests := []struct{ query, want string }{
		{"", "<nil>"},
		{"   ", "<nil>"},
		{"checkout", `text:"checkout"`},
		{`"place order"`, `text:"place order"`},
		{"https://shop.example/cart", `text:"https://shop.example/cart"`},
		{"url:/checkout", `url:"/checkout"`},
		{"page:/checkout", `url:"/checkout"`},
		{"URL:/checkout", `url:"/checkout"`},
		{"url:shop.example/*/confirm", `url~"shop.example/*/confirm"`},
		{`url:"a b*"`, `url:"a b*"`},
		{`click:"Place \"order\""`, `click:"Place \"order\""`},
		{"user:u-42", `user:"u-42"`},
		{"browser:firefox os:ios device:mobile", `(and browser:"firefox" os:"ios" device:"mobile")`},
		{"duration:>2m", "duration>120000"},
		{"duration:90", "duration=90000"},
		{"duration:<=1h30m", "duration<=5400000"},
		{"duration:>=2d", "duration>=172800000"},
		{"pages:>=3 errors:>0", "(and pages>=3 errors>0)"},
		{"rage:>0 OR dead:>0 OR errorclick:>0", "(or rage>0 dead>0 errorclick>0)"},
		{"request.status:>=500 request.method:POST request.failed:TRUE", `(and request.status>=500 request.method:"POST" request.failed:"true")`},
		{"console.level:error console:timeout", `(and console.level:"error" console:"timeout")`},
		{"started:>2026-12-01", "started>2026-12-01T00:00:00Z+24h0m0s"},
		{"started:2026-12-01T09:30:00Z", "started=2026-12-01T09:30:00Z+0s"},
		{"started:<24h", "started<-24h0m0s"},
		{"started:>7d", "started>-168h0m0s"},
		{"-browser:safari", `(not browser:"safari")`},
		{"-(a OR b) c", `(and (not (or text:"a" text:"b")) text:"c")`},
		{"a b OR c", `(or (and text:"a" text:"b") text:"c")`},
		{"a AND (b OR c)", `(and text:"a" (or text:"b" text:"c"))`},
		{"((a))", `text:"a"`},
		{"- a", `(and text:"-" text:"a")`},
		{"a-b", `text:"a-b"`},
		{"or", `text:"or"`},
		{"café", `text:"café"`},
		{"event:signup*", `event~"signup*"`},
		{"meta.plan:pro", `meta.plan:"pro"`},
		{"META.Plan_Tier-2:gold*", `meta.Plan_Tier-2~"gold*"`},
		{`event.prop.amount:"12.50"`, `event.prop.amount:"12.50"`},
		{"referrer:news.example", `referrer:"news.example"`},
		{"active:>30s", "active>30000"},
		{"has:Report -backend.error:true", `(and has:"report" (not backend.error:"true"))`},
		{"12:30", `text:"12:30"`},
		{"meta.a/b:x", `text:"meta.a/b:x"`},
	}
	for _, tt := range tests {
		e, err := search.Parse(tt.query)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.query, err)
			continue
		}
		got := "<nil>"
		if e != nil {
			got = e.String()
		}
		if got != tt.want {
			t.Errorf("Parse(%q) = %s, want %s", tt.query, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		query string
		pos   int
		msg   string
	}{
		{"urll:x", 1, `unknown key "urll"`},
		{"a  nope:x", 4, `unknown key "nope"`},
		{"url:", 1, "url: has no value"},
		{`url:"abc`, 5, "the quote opened here is not closed"},
		{`"abc`, 1, "the quote opened here is not closed"},
		{`""`, 1, "empty phrase"},
		{"(a", 1, "the ( here is not closed"},
		{"a)", 2, `")" without a matching (`},
		{"()", 1, "() holds nothing"},
		{"a OR", 5, `the query ends after "OR"`},
		{"OR a", 1, "OR needs a term on each side"},
		{"a OR OR b", 6, "OR needs a term on each side"},
		{"-", 0, ""}, // free text "-", no error
		{"duration:>abc", 11, `"abc" is not a duration`},
		{"errors:>", 8, "has no value after the comparison"},
		{"pages:-1", 7, `"-1" is not a whole number`},
		{"started:yesterday", 9, `"yesterday" is not a date`},
		{"started:24h", 9, "needs < (within the last 24h) or > (longer ago)"},
		{"request.failed:maybe", 16, "neither true nor false"},
		{"has:errors", 5, `"errors" is not something a session has (has: takes report)`},
		{"backend.error:yes", 15, "neither true nor false"},
		{"meta:pro", 1, "needs a property's name"},
		{"event.prop:x", 1, "needs a property's name"},
		{strings.Repeat("(", 11) + "a" + strings.Repeat(")", 11), 11, "deeper than the limit of 10"},
		{strings.Repeat("a ", 51), 101, "more than 50 terms"},
		{strings.Repeat("x", 1001), 1001, "over the limit of 1000"},
	}
	for _, tt := range tests {
		_, err := search.Parse(tt.query)
		if tt.msg == "" {
			if err != nil {
				t.Errorf("Parse(%q): %v", tt.query, err)
			}
			continue
		}
		var se *search.Error
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) error = %v, want a *search.Error", tt.query, err)
			continue
		}
		if se.Pos != tt.pos || !strings.Contains(se.Msg, tt.msg) {
			t.Errorf("Parse(%q) error = %v, want position %d and %q", tt.query, err, tt.pos, tt.msg)
		}
	}
}

// FuzzParse checks that every query either parses or gets an error at a
// position inside it (or just past its end), without a panic and quickly.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"url:/checkout -browser:safari (errors:>0 OR rage:>0)", `click:"Place order"`,
		"started:<24h duration:>2m", "a OR (b -c)", `"unclosed`, "((((", "request.status:>=500", "user:u-1 page:*/x*", "meta.plan:pro* has:report", "event.prop.a-b:1 -backend.error:false"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		start := time.Now()
		e, err := search.Parse(q)
		if d := time.Since(start); d > time.Second {
			t.Errorf("Parse(%q) took %s", q, d)
		}
		if err != nil {
			var se *search.Error
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error = %v, not a *search.Error", q, err)
			}
			n := utf8.RuneCountInString(q)
			if se.Pos < 1 || se.Pos > n+1 || se.Msg == "" {
				t.Fatalf("Parse(%q) error = %v: position outside 1..%d", q, err, n+1)
			}
			return
		}
		if e != nil {
			sql, args := search.ToSQL(e, sqliteLike{}, 1, time.Now(), nil)
			if strings.Count(sql, "?") != len(args) {
				t.Fatalf("ToSQL(%q) = %s with %d args", q, sql, len(args))
			}
			// Whatever it parsed to, matching a moment against it is safe.
			if m := search.MomentsOf(e); m != nil {
				m.Match([]search.FieldValue{{Field: search.FieldClick, Value: q}, {Field: search.FieldRequestStatus, Value: "500"}, {Field: search.MomentRage}})
			}
		}
	})
}

// sqliteLike is a dialect with ? placeholders and no full-text index.
type sqliteLike struct{}

func (sqliteLike) Param(int) string                                   { return "?" }
func (sqliteLike) ILike() string                                      { return "LIKE" }
func (sqliteLike) Narrow([]string, func(any) string) (string, string) { return "", "" }
func (sqliteLike) PerSession([]string) bool                           { return false }

func (sqliteLike) PerSessionTerm(*search.Term) bool { return false }

// NarrowShort binds the text, so that the count of placeholders checks the
// order short texts are compiled in.
func (sqliteLike) NarrowShort(text string, arg func(any) string) (string, string, bool) {
	return "fts f CROSS JOIN ", "f.fts MATCH " + arg(text) + " AND c.id = f.rowid", true
}

// TestKeysDescribeEveryKey: the search box's suggestions describe keys
// the parser knows, with examples it takes.
func TestKeysDescribeEveryKey(t *testing.T) {
	described := map[string]bool{}
	for _, k := range search.Keys {
		described[k.Key] = true
		if k.Description == "" {
			t.Errorf("key %q has no description", k.Key)
		}
		if _, err := search.Parse(k.Key + ":x"); err != nil && strings.Contains(err.Error(), "unknown key") {
			t.Errorf("key %q of Keys does not parse: %v", k.Key, err)
		}
		for _, ex := range k.Examples {
			if _, err := search.Parse(k.Key + ":" + ex); err != nil {
				t.Errorf("example %s:%s does not parse: %v", k.Key, ex, err)
			}
		}
	}
	for _, name := range search.KeyNames() {
		if !described[strings.TrimSuffix(name, ".KEY")] {
			t.Errorf("key %q is not described for the search box", name)
		}
	}
}
