package hub_test

import (
	"testing"

	"github.com/stolik/stolik/hub"
)

func TestVersionBehind(t *testing.T) {
	for _, tc := range []struct {
		version, latest string
		want            bool
	}{
		{"1.2.3", "1.2.4", true},
		{"v1.2", "1.10.0", true},
		{"1.10.0", "1.9.9", false},
		{"1.2.3", "1.2.3", false},
		{"1.2.3-rc1", "1.2.3", false},
		{"dev", "1.0.0", false},
		{"1.0.0", "", false},
		{"0.9", "v1", true},
	} {
		if got := hub.VersionBehind(tc.version, tc.latest); got != tc.want {
			t.Errorf("VersionBehind(%q, %q) = %v, want %v", tc.version, tc.latest, got, tc.want)
		}
	}
}
