package hub

import (
	"strconv"
	"strings"
)

// VersionBehind reports whether an agent's version is older than latest.
// Versions are compared as dotted numbers ("1.4.2", with or without a
// leading "v"; anything after a "-" is ignored); a version that is not
// such a number (a development build) is never reported behind.
func VersionBehind(version, latest string) bool {
	v, ok1 := parseVersion(version)
	l, ok2 := parseVersion(latest)
	if !ok1 || !ok2 {
		return false
	}
	for i := 0; i < max(len(v), len(l)); i++ {
		a, b := at(v, i), at(l, i)
		if a != b {
			return a < b
		}
	}
	return false
}

func parseVersion(s string) ([]int, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	s, _, _ = strings.Cut(s, "-")
	if s == "" {
		return nil, false
	}
	var out []int
	for _, p := range strings.Split(s, ".") {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, false
		}
		out = append(out, n)
	}
	return out, true
}

func at(v []int, i int) int {
	if i < len(v) {
		return v[i]
	}
	return 0
}
