package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/playhead/playhead/search"
)

// dialect is how SQLite spells a compiled search (search.ToSQL). common
// holds the full-text queries (ftsQuery) found common before compiling.
type dialect struct {
	common map[string]bool
}

// Param returns "?": SQLite numbers placeholders by their order.
func (dialect) Param(int) string { return "?" }

// ILike returns "LIKE", which SQLite compares without case (ASCII letters).
func (dialect) ILike() string { return "LIKE" }

// Narrow looks trigrams of runs up in the FTS5 trigram index, all of
// which a row must hold; LIKE then checks the whole pattern on the rows
// found. FTS5 does not use its index for a LIKE with an ESCAPE clause,
// which every compiled pattern has, so the trigrams do that part. The rows
// are read from the index's matches by id (CROSS JOIN keeps that order):
// reading the project's rows and checking each against the matches reads
// them all.
func (dialect) Narrow(runs []string, arg func(any) string) (string, string) {
	return "session_search_fts f CROSS JOIN ", "f.session_search_fts MATCH " + arg(ftsQuery(runs)) + " AND c.id = f.rowid"
}

// PerSession says whether runs were found common (see commonRuns).
func (d dialect) PerSession(runs []string) bool { return d.common[ftsQuery(runs)] }

// ftsQuery is the FTS5 query that finds values holding trigrams of each of
// runs: every third one and the last, enough to leave few rows for LIKE to
// check. The index keeps no positions (detail=none), which makes it a
// fraction of the size and its lookups cheaper, so the query is of
// trigrams, not phrases.
func ftsQuery(runs []string) string {
	var terms []string
	seen := map[string]bool{}
	add := func(t []rune) {
		s := strings.ToLower(string(t))
		if !seen[s] {
			seen[s] = true
			terms = append(terms, `"`+strings.ReplaceAll(s, `"`, `""`)+`"`)
		}
	}
	for _, r := range runs {
		rs := []rune(r)
		if len(rs) < search.MinRun {
			continue
		}
		last := len(rs) - search.MinRun
		for i := 0; i < last; i += search.MinRun {
			add(rs[i : i+search.MinRun])
		}
		add(rs[last:])
	}
	return strings.Join(terms, " AND ")
}

// commonMatches is how many matches in the trigram index make a text
// common: enough that sessions holding it come often when the newest are
// read one by one, and few enough that finding all of them (what a
// rarer text costs) stays quick. A variable for tests.
var commonMatches = 10000

// dialectFor looks the text terms of q up in the trigram index, counting
// their matches up to commonMatches, and returns the dialect that compiles
// q: a common text is checked session by session, newest first (a page
// fills after a few hundred), a rarer one is found through the index.
func (db *DB) dialectFor(ctx context.Context, q search.Expr) (dialect, error) {
	d := dialect{common: map[string]bool{}}
	for _, runs := range search.TextRuns(q) {
		fq := ftsQuery(runs)
		if _, ok := d.common[fq]; ok {
			continue
		}
		var n int
		err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM session_search_fts WHERE session_search_fts MATCH ? LIMIT ?)`,
			fq, commonMatches).Scan(&n)
		if err != nil {
			return d, fmt.Errorf("look up %s: %w", fq, err)
		}
		d.common[fq] = n >= commonMatches
	}
	return d, nil
}

var _ search.Dialect = dialect{}
