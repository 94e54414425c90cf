package config_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stolik/stolik/hub/config"
)

func TestTrustedProxies(t *testing.T) {
	p := filepath.Join(t.TempDir(), "hub.yaml")
	body := "trusted_proxies: [10.1.2.0/24, 127.0.0.1, \"::1\"]\n"
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.1.2.0/24"),
		netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}
	if got := c.ProxyPrefixes(); !slices.Equal(got, want) {
		t.Errorf("proxies %v, want %v", got, want)
	}

	t.Setenv("STOLIK_TRUSTED_PROXIES", "192.168.0.0/16, 10.0.0.1")
	c, err = config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	want = []netip.Prefix{netip.MustParsePrefix("192.168.0.0/16"),
		netip.MustParsePrefix("10.0.0.1/32")}
	if got := c.ProxyPrefixes(); !slices.Equal(got, want) {
		t.Errorf("proxies from the environment %v, want %v", got, want)
	}

	t.Setenv("STOLIK_TRUSTED_PROXIES", "10.0.0.0/8,proxy.local")
	if _, err := config.Load(""); err == nil || !strings.Contains(err.Error(), "trusted_proxies") ||
		!strings.Contains(err.Error(), "proxy.local") {
		t.Fatalf("err = %v, want the bad entry named", err)
	}
}
