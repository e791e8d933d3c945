package assets

import (
	"context"
	"net/netip"
)

// SetLookup makes f resolve host names with lookup, to simulate DNS answers.
func SetLookup(f *Fetcher, lookup func(ctx context.Context, host string) ([]netip.Addr, error)) {
	f.dialer.Lookup = lookup
}
