package hub

import "regexp"

// chainID is what a chain id may be: it goes into Telegram deep links
// (start=c_<chain>, 64 characters of A-Z, a-z, 0-9, _ and - at most).
var chainID = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)

// ValidChain reports whether s may name a chain (Venue.Chain): 1–32
// lower-case letters, digits, _ or -.
func ValidChain(s string) bool { return chainID.MatchString(s) }

// ChainVenues returns the venues of chain among venues, in their order.
func ChainVenues(venues []Venue, chain string) []Venue {
	var out []Venue
	for _, v := range venues {
		if chain != "" && v.Chain == chain {
			out = append(out, v)
		}
	}
	return out
}
