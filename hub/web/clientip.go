package web

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientIP returns the address a request comes from, as the login limits
// count it. It is the peer's address, unless the peer is one of
// Options.TrustedProxies: then it is the right-most address in
// X-Forwarded-For that is not a trusted proxy, since each proxy appends
// the address it heard from and only trusted proxies' entries can be
// believed. Entries a client wrote to the left of that are ignored: a
// client cannot pick its own address. If every entry is a trusted proxy,
// the left-most one is used; if an entry is not an address, the hop
// after it (which wrote it) is.
func (s *Server) clientIP(r *http.Request) string {
	peer := peerAddr(r.RemoteAddr)
	if len(s.opts.TrustedProxies) == 0 || !s.trusted(peer) {
		return addrString(peer, r.RemoteAddr)
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	last := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			break
		}
		last = a
		if !s.trusted(a) {
			break
		}
	}
	return last.String()
}

func (s *Server) trusted(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	a = a.Unmap()
	for _, p := range s.opts.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// peerAddr parses a RemoteAddr ("host:port"); the zero Addr if it is not
// an address.
func peerAddr(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// parseHop parses one X-Forwarded-For entry: an address, possibly with a
// port ("203.0.113.7:41234", "[2001:db8::1]:443").
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

func addrString(a netip.Addr, fallback string) string {
	if !a.IsValid() {
		return fallback
	}
	return a.String()
}
