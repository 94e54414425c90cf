package service_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/service"
)

func TestRussianPlurals(t *testing.T) {
	for n, want := range map[int]string{
		0: "0 столов", 1: "1 стол", 2: "2 стола", 4: "4 стола", 5: "5 столов",
		11: "11 столов", 12: "12 столов", 14: "14 столов", 21: "21 стол",
		22: "22 стола", 111: "111 столов", 101: "101 стол",
	} {
		if got := service.RU(n, "стол", "стола", "столов"); got != want {
			t.Errorf("ru(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestReportCarriesTheConnectorsFix(t *testing.T) {
	err := agent.WithFix(errors.New("iiko access_token: 401 wrong apiLogin"),
		"make a new API login in iikoWeb", "создайте новый API-логин в iikoWeb")
	r := service.Report{Items: []service.CheckItem{
		service.Failed(agent.Text{EN: "RMS (iiko)", RU: "RMS (iiko)"}, err),
	}}
	var b strings.Builder
	r.Write(&b, service.LangBoth)
	for _, want := range []string{
		"FAIL RMS (iiko): iiko access_token: 401 wrong apiLogin\n",
		"что делать: создайте новый API-логин в iikoWeb",
		"next step:  make a new API login in iikoWeb",
		"1 of 1 checks failed",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
	if r.OK() {
		t.Error("a report with a failure is OK")
	}
}
