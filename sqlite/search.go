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
	// short holds, for each text shorter than a trigram, the FTS5 query
	// of the trigrams that hold it ("" when none does); a text missing
	// is checked session by session.
	short map[string]string
	// commonTerms says which value terms find so many rows that they are
	// checked session by session.
	commonTerms map[*search.Term]bool
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

// NarrowShort looks up the trigrams dialectFor found holding text.
func (d dialect) NarrowShort(text string, arg func(any) string) (string, string, bool) {
	q, ok := d.short[strings.ToLower(text)]
	if !ok {
		return "", "", false
	}
	if q == "" {
		return "", "", true
	}
	return "session_search_fts f CROSS JOIN ", "f.session_search_fts MATCH " + arg(q) + " AND c.id = f.rowid", true
}

// PerSessionTerm says whether dialectFor found value term t common.
func (d dialect) PerSessionTerm(t *search.Term) bool { return d.commonTerms[t] }

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
func ftsQuery(ts []string) string { return strings.Join(quoteTerms(ts), " AND ") }

// quoteTerms quotes each of ts as an FTS5 string.
func quoteTerms(ts []string) []string {
	terms := make([]string, len(ts))
	for i, t := range ts {
		terms[i] = `"` + strings.ReplaceAll(t, `"`, `""`) + `"`
	}
	return terms
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
	// maxShortTrigrams bounds the trigrams a short text is looked up
	// through: a text in more is common.
	maxShortTrigrams = 200
	// maxVocabSteps bounds the steps through the index's vocabulary
	// that find the characters a trigram starts with.
	maxVocabSteps = 2000
)

// dialectFor looks the text terms of q up in the trigram index and returns
// the dialect that compiles q. Of each text's trigrams (a dozen, evenly
// spread) it counts the matches up to commonTrigram, and looks up the
// rarest few: the others narrow little and cost most to read. Then it
// counts the matches of those up to commonMatches: a common text is
// checked session by session, newest first (a page fills after a few
// hundred), a rarer one is found through the index.
func (db *DB) dialectFor(ctx context.Context, q search.Expr, projectID int64) (dialect, error) {
	d := dialect{queries: map[string]string{}, common: map[string]bool{}, short: map[string]string{}, commonTerms: map[*search.Term]bool{}}
	// A value term (console.level:error, request.status:>=500) that finds
	// many rows is checked session by session, newest first: a page fills
	// after a few hundred sessions, where finding all its rows reads tens
	// of thousands.
	for _, t := range search.ValueTerms(q) {
		if t.Wildcard {
			continue // a pattern of a field's values is read through its index
		}
		query, args := search.CountRows(t, d, projectID, commonMatches)
		var n int
		if err := db.read.DB.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
			return d, fmt.Errorf("count the rows of %s:%s: %w", t.Key, t.Value, err)
		}
		d.commonTerms[t] = n >= commonMatches
	}
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
		ts = rarest(ts, matches)
		fq := ftsQuery(ts)
		n, err := count(fq, commonMatches)
		if err != nil {
			return d, err
		}
		d.queries[key], d.common[key] = fq, n >= commonMatches
	}
	for _, text := range search.ShortTexts(q) {
		text = strings.ToLower(text)
		if _, ok := d.short[text]; ok {
			continue
		}
		ts, ok, err := db.shortTrigrams(ctx, text)
		if err != nil {
			return d, err
		}
		if !ok {
			continue
		}
		if len(ts) == 0 {
			d.short[text] = ""
			continue
		}
		fq := strings.Join(quoteTerms(ts), " OR ")
		if n, err := count(fq, commonMatches); err != nil {
			return d, err
		} else if n < commonMatches {
			d.short[text] = fq
		}
	}
	return d, nil
}

// rarest returns the trigrams of ts (in the text's order) to look up: the
// rarest few. Counting stops at commonTrigram, so the trigrams counted that
// far tie; those looked up among them are spread over the text, since
// trigrams side by side ("ord", "rde", "der") are found in the same values
// and narrow no more than one of them.
func rarest(ts []string, matches map[string]int) []string {
	byCount := slices.Clone(ts)
	slices.SortStableFunc(byCount, func(a, b string) int { return cmp.Compare(matches[a], matches[b]) })
	var out, capped []string
	for _, t := range byCount {
		if matches[t] < commonTrigram && len(out) < maxUsedTrigrams {
			out = append(out, t)
		}
	}
	for _, t := range ts {
		if matches[t] >= commonTrigram {
			capped = append(capped, t)
		}
	}
	need := min(maxUsedTrigrams-len(out), len(capped))
	for i := range need {
		k := 0
		if need > 1 {
			k = i * (len(capped) - 1) / (need - 1)
		}
		out = append(out, capped[k])
	}
	return out
}

// shortTrigrams returns the trigrams of the index's vocabulary that hold
// text, of two characters (in small letters): those that start with it
// and those that end with it. ok is false when text is of one character,
// or is in more than maxShortTrigrams trigrams, or the vocabulary starts
// trigrams with more characters than maxVocabSteps: then it is common, or
// costs too much to look up this way.
//
// The vocabulary (fts5vocab, one row a match) is read a term at a time by
// recursive queries that step from one term to the next (a range of
// terms from their first match each, never the count of all), inside
// SQLite: a round trip a step would cost more than the steps.
func (db *DB) shortTrigrams(ctx context.Context, text string) (ts []string, ok bool, err error) {
	if len([]rune(text)) != search.MinRun-1 {
		return nil, false, nil
	}
	read := func(query string, limit int) ([]string, error) {
		rows, err := db.read.DB.QueryContext(ctx, query, text, limit)
		if err != nil {
			return nil, fmt.Errorf("read the search index's vocabulary: %w", err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var t string
			if err := rows.Scan(&t); err != nil {
				return nil, fmt.Errorf("read the search index's vocabulary: %w", err)
			}
			out = append(out, t)
		}
		return out, rows.Err()
	}
	// The trigrams that start with text, one step a term.
	starts, err := read(`WITH RECURSIVE p(t) AS (
			SELECT (SELECT term FROM session_search_vocab WHERE term >= ?1 LIMIT 1)
			UNION ALL
			SELECT (SELECT term FROM session_search_vocab WHERE term > p.t LIMIT 1) FROM p WHERE substr(p.t, 1, length(?1)) = ?1
			LIMIT ?2)
		SELECT t FROM p WHERE substr(t, 1, length(?1)) = ?1`, maxShortTrigrams+2)
	if err != nil || len(starts) > maxShortTrigrams {
		return nil, false, err
	}
	// Those that end with it: for each character a trigram starts with (a
	// step a character), the trigram of it and text, if the vocabulary has
	// it. The steps are counted: a vocabulary of very many first
	// characters (a language written in thousands) is not walked.
	ends, err := read(`WITH RECURSIVE f(c, n) AS (
			SELECT substr((SELECT term FROM session_search_vocab LIMIT 1), 1, 1), 1
			UNION ALL
			SELECT substr((SELECT term FROM session_search_vocab WHERE term >= char(unicode(f.c) + 1) LIMIT 1), 1, 1), n + 1
			FROM f WHERE f.c != '' AND n <= ?2)
		SELECT CASE WHEN n > ?2 THEN '' ELSE c || ?1 END FROM f
		WHERE c != '' AND (n > ?2 OR EXISTS (SELECT 1 FROM session_search_vocab WHERE term = c || ?1))`, maxVocabSteps)
	if err != nil {
		return nil, false, err
	}
	if slices.Contains(ends, "") {
		return nil, false, nil
	}
	ts = starts
	for _, t := range ends {
		if !slices.Contains(starts, t) { // "aaa" both starts and ends with "aa"
			ts = append(ts, t)
		}
	}
	return ts, len(ts) <= maxShortTrigrams, nil
}

var _ search.Dialect = dialect{}
