package sqlite

import (
	"strings"

	"github.com/playhead/playhead/search"
)

// dialect is how SQLite spells a compiled search (search.ToSQL).
type dialect struct{}

// Param returns "?": SQLite numbers placeholders by their order.
func (dialect) Param(int) string { return "?" }

// ILike returns "LIKE", which SQLite compares without case (ASCII letters).
func (dialect) ILike() string { return "LIKE" }

// Narrow looks runs up in the FTS5 trigram index as phrases, all of which
// a row must hold; LIKE then checks the whole pattern on the rows found.
// FTS5 does not use its index for a LIKE with an ESCAPE clause, which
// every compiled pattern has, so the phrases do that part.
func (dialect) Narrow(runs []string, arg func(any) string) string {
	if len(runs) == 0 {
		return ""
	}
	phrases := make([]string, len(runs))
	for i, r := range runs {
		phrases[i] = `"` + strings.ReplaceAll(r, `"`, `""`) + `"`
	}
	return "c.id IN (SELECT rowid FROM session_search_fts WHERE session_search_fts MATCH " + arg(strings.Join(phrases, " AND ")) + ")"
}

var _ search.Dialect = dialect{}
