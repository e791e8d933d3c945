package postgres

import (
	"strconv"

	"github.com/playhead/playhead/search"
)

// dialect is how PostgreSQL spells a compiled search (search.ToSQL).
type dialect struct{}

// Param returns $n.
func (dialect) Param(n int) string { return "$" + strconv.Itoa(n) }

// ILike returns "ILIKE", which pg_trgm's GIN index on session_search.value
// answers.
func (dialect) ILike() string { return "ILIKE" }

// Narrow returns "": the trigram index serves ILIKE itself.
func (dialect) Narrow([]string, func(any) string) (string, string) { return "", "" }

// PerSession returns false: the trigram index finds the rows.
func (dialect) PerSession([]string) bool { return false }

// PerSessionTerm returns false: the indexes of the value fields find the
// rows.
func (dialect) PerSessionTerm(*search.Term) bool { return false }

// NarrowShort returns false: pg_trgm takes no trigram from a pattern
// shorter than one, so a short text is checked session by session.
func (dialect) NarrowShort(string, func(any) string) (string, string, bool) { return "", "", false }

var _ search.Dialect = dialect{}
