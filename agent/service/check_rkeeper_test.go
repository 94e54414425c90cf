package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/agent/config"
	"github.com/stolik/stolik/agent/rkeeper"
	"github.com/stolik/stolik/agent/rkeeper/rkeepertest"
	"github.com/stolik/stolik/agent/service"
	"github.com/stolik/stolik/shared/wire"
)

// rkeeperYAML is an agent.yaml for the R-Keeper fake f, without cert_sha256.
func rkeeperYAML(f *rkeepertest.Fake) string {
	return `version: 1
hub:
  urls: [wss://hub.example.ru]
  agent_id: agt_1
  secret: s
connector:
  kind: rkeeper
  rkeeper:
    url: ` + f.URL() + `
    user: ` + f.User() + `
    password: ` + f.Password() + `
    time_zone: Europe/Moscow
    manager: "3"
    delete_reason: "2"
`
}

// A config that does not load shows its problems in Russian in the
// Russian report, not in English.
func TestCheckConfigProblemsInRussian(t *testing.T) {
	f, err := rkeepertest.New(rkeepertest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	p := writeConfig(t, rkeeperYAML(f)+"    window_ahead: 1m\n")
	_, err = config.Load(p)
	if err == nil {
		t.Fatal("a config without cert_sha256 loaded")
	}
	var b strings.Builder
	service.Report{Items: []service.CheckItem{service.ConfigFailed(p, err)}}.Write(&b,
		service.LangRU)
	ru := b.String()
	for _, want := range []string{"конфигурация", "ошибок: 2", "строка 15: connector.rkeeper.window_ahead",
		"слишком мало", "connector.rkeeper.cert_sha256: не заполнено"} {
		if !strings.Contains(ru, want) {
			t.Errorf("Russian report lacks %q:\n%s", want, ru)
		}
	}
	if strings.Contains(ru, "is empty") || strings.Contains(ru, "too short") {
		t.Errorf("Russian report has English text:\n%s", ru)
	}
}

// With cert_sha256 empty, check reads the fingerprint the server presents
// and says to paste it, without sending a single request (no credentials).
func TestCheckShowsFingerprintToPin(t *testing.T) {
	f, err := rkeepertest.New(rkeepertest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	c, err := config.Load(writeConfig(t, rkeeperYAML(f)))
	it, ok := service.PinProbe(context.Background(), c, err)
	if !ok {
		t.Fatalf("no fingerprint item for an empty cert_sha256 (load error %v)", err)
	}
	pin, _ := rkeeper.ParseFingerprint(f.Fingerprint())
	fp := rkeeper.FormatFingerprint(pin)
	if it.OK || !strings.Contains(it.Detail.EN, fp) || !strings.Contains(it.Fix.EN,
		"cert_sha256: "+fp) || !strings.Contains(it.Fix.RU, "cert_sha256: "+fp) {
		t.Errorf("item %+v, want the fingerprint %s and where to paste it", it, fp)
	}
	if n := f.Requests(""); n != 0 {
		t.Errorf("%d requests reached the XML interface, want none", n)
	}

	// With a pin set (right or wrong), the probe keeps out of it.
	c.Connector.RKeeper.CertSHA256 = f.Fingerprint()
	if _, ok := service.PinProbe(context.Background(), c, err); ok {
		t.Error("the probe ran with cert_sha256 set")
	}
}

// The next reservation is printed in the venue's time, not UTC.
func TestCheckNextReservationInVenueTime(t *testing.T) {
	c, f := rkeeperConfig(t)
	moscow, _ := time.LoadLocation("Europe/Moscow")
	start := time.Now().Add(26 * time.Hour).Truncate(time.Hour)
	if _, err := f.AddReservation(wire.Reservation{TableIDs: []string{f.Tables()[0].ID},
		Start: start, Duration: wire.Duration(time.Hour), Guests: 2, Name: "Гость"}); err != nil {
		t.Fatal(err)
	}
	rep := service.Check(context.Background(), c)
	want := start.In(moscow).Format("2006-01-02 15:04") + " (Europe/Moscow)"
	var notes []string
	for _, it := range rep.Items {
		notes = append(notes, it.Notes...)
	}
	if !strings.Contains(strings.Join(notes, "\n"), "ближайшая: "+want) {
		t.Errorf("notes %q, want the next reservation at %s", notes, want)
	}
}
