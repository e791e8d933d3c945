// Package publicnet connects to public internet addresses only. Playhead
// makes requests to URLs that users and recordings supply (captured assets,
// webhooks); a Dialer refuses loopback, private, link-local and other
// special-purpose addresses at the moment it connects, after resolving the
// name itself, so neither a DNS answer that changes between check and use
// (rebinding) nor a redirect reaches them.
package publicnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// ErrNotPublic is wrapped by the error of every connection refused because
// its address is not public.
var ErrNotPublic = errors.New("not a public address")

// AddrError says which name resolved to which address that is not public.
type AddrError struct {
	Host string // the name asked for; empty when the address was literal
	Addr netip.Addr
}

func (e *AddrError) Error() string {
	if e.Host == "" || e.Host == e.Addr.String() {
		return "resolves to a private address: " + e.Addr.String()
	}
	return e.Host + " resolves to a private address: " + e.Addr.String()
}

// Unwrap makes an AddrError match ErrNotPublic.
func (e *AddrError) Unwrap() error { return ErrNotPublic }

// Dialer connects to public addresses only. Its zero value is ready.
type Dialer struct {
	// AllowPrivate lets it reach every address: for development, tests,
	// and receivers on the operator's own network.
	AllowPrivate bool
	// Timeout bounds each connection attempt; zero means no limit beyond
	// the context's.
	Timeout time.Duration
	// Lookup resolves a host name; nil uses the system's resolver. Tests
	// set it to simulate DNS answers.
	Lookup func(ctx context.Context, host string) ([]netip.Addr, error)
}

// Check returns an *AddrError for an address the Dialer may not reach.
func (d *Dialer) Check(ip netip.Addr) error {
	if d.AllowPrivate || IsPublic(ip) {
		return nil
	}
	return &AddrError{Addr: ip.WithZone("")}
}

// DialContext resolves addr's host and connects to its addresses in turn;
// each is checked as it is dialed, so what is checked is what is connected
// to. It fits http.Transport's DialContext.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else {
		lookup := d.Lookup
		if lookup == nil {
			lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
				return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
			}
		}
		if ips, err = lookup(ctx, host); err != nil {
			return nil, err
		}
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("lookup %s: no addresses", host)
	}
	dialer := &net.Dialer{Timeout: d.Timeout, Control: d.control}
	var first error
	for _, ip := range ips {
		ip = ip.Unmap() // dial IPv4 as IPv4, even on a host without IPv6
		conn, err := dialer.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		if ae := (*AddrError)(nil); errors.As(err, &ae) {
			err = &AddrError{Host: host, Addr: ae.Addr}
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, first
}

// control is the dialer's Control: it runs on the very address being
// connected to, after resolution.
func (d *Dialer) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("unexpected address %s: %w", address, ErrNotPublic)
	}
	return d.Check(ap.Addr())
}

// nonPublic are the special-purpose ranges (RFC 6890 and successors) that
// netip's predicates do not already cover and that must not be reached:
// "this network", carrier-grade NAT, IETF and documentation blocks,
// benchmarking, reserved, and IPv6 forms that embed or translate to IPv4
// addresses (NAT64, 6to4, Teredo, IPv4-compatible).
var nonPublic = func() []netip.Prefix {
	var ps []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24",
		"198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4",
		"::/96", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/32", "2001:db8::/32",
		"2002::/16", "fec0::/10",
	} {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	return ps
}()

// IsPublic reports whether ip is a public unicast address: not loopback,
// private, link-local (169.254/16 holds cloud metadata services), multicast,
// unspecified or any of the other special-purpose ranges, in IPv4 or
// IPv4-mapped IPv6 form.
func IsPublic(ip netip.Addr) bool {
	ip = ip.WithZone("").Unmap()
	if !ip.IsGlobalUnicast() || ip.IsPrivate() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}
