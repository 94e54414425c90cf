package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/sim"
	"github.com/stolik/stolik/shared/wire"

	"github.com/stolik/stolik/agent/service"
)

func TestMaskPhones(t *testing.T) {
	for in, want := range map[string]string{
		"iiko reserve/create: iiko did not accept the phone number (InvalidPhone: " +
			"phone +79161234567 is invalid)": "iiko reserve/create: iiko did not accept the " +
			"phone number (InvalidPhone: phone ***67 is invalid)",
		"bad phone 8 (916) 123-45-67.": "bad phone ***67.",
		"phones 89161234567, 8916123":  "phones ***67, ***23",
		"six digits 123456 stay":       "six digits 123456 stay",
		"correlation id 00000000-0000-4000-8000-00000000e440": "correlation id " +
			"00000000-0000-4000-8000-00000000e440",
		"reserved 2025-06-14 19:00:00.000 to 21:00": "reserved 2025-06-14 19:00:00.000 to 21:00",
		"on 2025-06-14": "on 2025-06-14",
		"order 7b8c9d0e-1f2a-4b3c-8d4e-000000000017": "order 7b8c9d0e-1f2a-4b3c-8d4e-000000000017",
	} {
		if got := service.MaskPhones(in); got != want {
			t.Errorf("MaskPhones(%q)\n = %q\nwant %q", in, got, want)
		}
	}
}

// echoVenue refuses every reservation the way iiko does, echoing the
// number it was given.
type echoVenue struct{ *sim.Venue }

func (v echoVenue) CreateReservation(_ context.Context, req wire.ReservationRequest) (
	wire.Reservation, error) {
	return wire.Reservation{}, fmt.Errorf("iiko reserve/create: iiko did not accept the phone "+
		"number (InvalidPhone: %s is not a phone): %w", req.Phone, agent.ErrRefused)
}

// A refusal echoing the guest's phone reaches neither the log nor the
// result the hub stores as the booking's reason.
func TestRefusalWithPhoneIsMasked(t *testing.T) {
	f := newFixture(t)
	var logs strings.Builder
	exec := service.NewExecutor(echoVenue{f.venue}, f.ob, f.poller,
		slog.New(slog.NewTextHandler(&logs, nil)))
	body, _ := json.Marshal(wire.ReservationRequest{BookingID: "bk_1",
		TableIDs: []string{"t1"}, Start: time.Now().Add(time.Hour),
		Duration: wire.Duration(time.Hour), Guests: 2, Name: "Анна", Phone: "+7 916 123-45-67"})
	r := exec.Run(context.Background(), wire.Command{ID: "c1",
		Kind: wire.CommandCreateReservation, Body: body})
	if r.OK || !strings.Contains(r.Message, "InvalidPhone") {
		t.Fatalf("result %+v, want the refusal", r)
	}
	for what, text := range map[string]string{"result": r.Message, "log": logs.String()} {
		if strings.Contains(text, "916") || strings.Contains(text, "123-45") {
			t.Errorf("the %s holds the guest's phone: %s", what, text)
		}
	}
}
