package sqlite

// SetCommonMatches sets how many trigram matches make a searched text
// common, and returns a function that restores the default.
func SetCommonMatches(n int) (restore func()) {
	old := commonMatches
	commonMatches = n
	return func() { commonMatches = old }
}
