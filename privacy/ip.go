package privacy

import "net/netip"

// AnonymizeIP keeps the network part of a client address: IPv4 to its /24,
// IPv6 to its /48, so a replay can still say roughly where a visit came
// from but not who made it.
func AnonymizeIP(a netip.Addr) netip.Addr {
	a = a.Unmap()
	bits := 24
	if a.Is6() {
		bits = 48
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return netip.Addr{}
	}
	return p.Addr()
}
