package service_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/config"
	"github.com/stolik/stolik/agent/rkeeper/rkeepertest"
	"github.com/stolik/stolik/agent/service"
)

// rkeeperConfig is an agent config reading a fresh fake cash server.
func rkeeperConfig(t *testing.T) (config.Config, *rkeepertest.Fake) {
	t.Helper()
	f, err := rkeepertest.New(rkeepertest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	c := config.Default()
	c.DataDir = t.TempDir()
	c.Connector.Kind = "rkeeper"
	r := &c.Connector.RKeeper
	r.URL, r.User, r.Password, r.CertSHA256 = f.URL(), f.User(), f.Password(), f.Fingerprint()
	r.TimeZone, r.Manager, r.DeleteReason = "Europe/Moscow", "3", "2"
	return c, f
}

func TestCheckRKeeperWrongPin(t *testing.T) {
	c, f := rkeeperConfig(t)
	c.Connector.RKeeper.CertSHA256 = strings.Repeat("00", 32)
	rep := service.Check(context.Background(), c)
	var rms *service.CheckItem
	for i, it := range rep.Items {
		if strings.HasPrefix(it.Name.EN, "RMS") {
			rms = &rep.Items[i]
		}
	}
	if rms == nil || rms.OK {
		t.Fatalf("check items %+v, want a failed RMS item", rep.Items)
	}
	fp := strings.ToUpper(f.Fingerprint()[:2]) + ":" + strings.ToUpper(f.Fingerprint()[2:4])
	if !strings.Contains(rms.Fix.EN, "cert_sha256 to "+fp) ||
		!strings.Contains(rms.Fix.RU, "cert_sha256") {
		t.Errorf("fix = %+v, want the presented fingerprint (%s...) for cert_sha256", rms.Fix, fp)
	}
}

func TestNewConnectorRKeeper(t *testing.T) {
	c, _ := rkeeperConfig(t)
	conn, err := service.NewConnector(c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := conn.(agent.ReservationWriter); !ok || conn.Kind() != "rkeeper" {
		t.Fatalf("connector %s (%T) is not an rkeeper reservation writer", conn.Kind(), conn)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := conn.Snapshot(ctx)
	if err != nil || len(st.Tables) == 0 {
		t.Errorf("snapshot = %d tables, %v; want the fake's tables", len(st.Tables), err)
	}
}
