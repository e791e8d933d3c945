package sqlite

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/playhead/playhead/search"
)

// dialect is how SQLite spells a compiled search (search.ToSQL), with
// what dialectFor found in the trigram index for each text term's runs
// (keyed by runsKey): the FTS5 query that narrows it, and whether it is
// common.
type dialect struct {
	queries map[string]string
	common  map[string]bool
}

// Param returns "?": SQLite numbers placeholders by their order.
func (dialect) Param(int) string { return "?" }

// ILike returns "LIKE", which SQLite compares without case (ASCII letters).
func (dialect) ILike() string { return "LIKE" }

// Narrow looks trigrams of runs up in the FTS5 trigram index (the rarest,
// as dialectFor chose them), all of which a row must hold; LIKE then
// checks the whole pattern on the rows found. FTS5 does not use its index
// for a LIKE with an ESCAPE clause, which every compiled pattern has, so
// the trigrams do that part. The rows are read from the index's matches by
// id (CROSS JOIN keeps that order): reading the project's rows and
// checking each against the matches reads them all.
func (d dialect) Narrow(runs []string, arg func(any) string) (string, string) {
	q, ok := d.queries[runsKey(runs)]
	if !ok {
		q = ftsQuery(trigrams(runs))
	}
	return "session_search_fts f CROSS JOIN ", "f.session_search_fts MATCH " + arg(q) + " AND c.id = f.rowid"
}

// PerSession says whether runs were found common (see dialectFor).
func (d dialect) PerSession(runs []string) bool { return d.common[runsKey(runs)] }

func runsKey(runs []string) string { return strings.Join(runs, "\x00") }

// trigrams returns the distinct trigrams of runs, in small letters as the
// index keeps them. The index keeps no positions (detail=none), which
// makes it a fraction of the size and its lookups cheaper: a search looks
// up trigrams, not phrases.
func trigrams(runs []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range runs {
		rs := []rune(strings.ToLower(r))
		for i := 0; i+search.MinRun <= len(rs); i++ {
			if t := string(rs[i : i+search.MinRun]); !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	return out
}

// ftsQuery is the FTS5 query that finds values holding every one of ts.
func ftsQuery(ts []string) string {
	terms := make([]string, len(ts))
	for i, t := range ts {
		terms[i] = `"` + strings.ReplaceAll(t, `"`, `""`) + `"`
	}
	return strings.Join(terms, " AND ")
}

// Tuning of the trigram lookups, variables for tests.
var (
	// commonMatches is how many matches in the trigram index make a text
	// common: enough that sessions holding it come often when the newest
	// are read one by one, and few enough that finding all of them (what a
	// rarer text costs) stays quick.
	commonMatches = 10000
	// commonTrigram is how many matches make a trigram too common to be
	// worth reading ("htt" of every URL): counting stops there.
	commonTrigram = 2000
)

const (
	maxProbedTrigrams = 12 // of a text, counted to choose from
	maxUsedTrigrams   = 3  // of a text, the rarest, looked up
)

// dialectFor looks the text terms of q up in the trigram index and returns
// the dialect that compiles q. Of each text's trigrams (a dozen, evenly
// spread) it counts the matches up to commonTrigram, and looks up the
// rarest few: the others narrow little and cost most to read. Then it
// counts the matches of those up to commonMatches: a common text is
// checked session by session, newest first (a page fills after a few
// hundred), a rarer one is found through the index.
func (db *DB) dialectFor(ctx context.Context, q search.Expr) (dialect, error) {
	d := dialect{queries: map[string]string{}, common: map[string]bool{}}
	count := func(query string, limit int) (int, error) {
		var n int
		err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM session_search_fts WHERE session_search_fts MATCH ? LIMIT ?)`,
			query, limit).Scan(&n)
		if err != nil {
			return 0, fmt.Errorf("look up %s: %w", query, err)
		}
		return n, nil
	}
	for _, runs := range search.TextRuns(q) {
		key := runsKey(runs)
		if _, ok := d.queries[key]; ok {
			continue
		}
		ts := trigrams(runs)
		if len(ts) > maxProbedTrigrams {
			spread := make([]string, maxProbedTrigrams)
			for i := range spread {
				spread[i] = ts[i*(len(ts)-1)/(maxProbedTrigrams-1)]
			}
			ts = spread
		}
		matches := make(map[string]int, len(ts))
		for _, t := range ts {
			n, err := count(ftsQuery([]string{t}), commonTrigram)
			if err != nil {
				return d, err
			}
			if n == 0 { // no value holds the text
				ts, matches = []string{t}, map[string]int{t: 0}
				break
			}
			matches[t] = n
		}
		slices.SortStableFunc(ts, func(a, b string) int { return cmp.Compare(matches[a], matches[b]) })
		ts = ts[:min(len(ts), maxUsedTrigrams)]
		fq := ftsQuery(ts)
		n, err := count(fq, commonMatches)
		if err != nil {
			return d, err
		}
		d.queries[key], d.common[key] = fq, n >= commonMatches
	}
	return d, nil
}

var _ search.Dialect = dialect{}
