package assets

import (
	"context"
	"net/netip"
)

// SetLookup makes f resolve host names with lookup, to simulate DNS answers.
func SetLookup(f *Fetcher, lookup func(ctx context.Context, host string) ([]netip.Addr, error)) {
	f.dialer.Lookup = lookup
}

// ParsesJSON reports whether the package's own parser accepts src.
func ParsesJSON(src []byte) bool {
	_, ok := parseJSON(src)
	return ok
}
