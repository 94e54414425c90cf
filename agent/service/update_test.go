package service_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/service"
	"github.com/stolik/stolik/shared/wire"
)

// TestExecutorUpdate moves a reservation through the executor: the result
// carries the reservation as the RMS holds it after the move; a move onto
// a taken table is refused with the reason; a bad body is bad_request.
func TestExecutorUpdate(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	start := f.clock.now().Add(72 * time.Hour).Truncate(time.Hour)
	for _, id := range []string{"bk_1", "bk_2"} {
		table := map[string]string{"bk_1": "t-01", "bk_2": "t-03"}[id]
		req := wire.ReservationRequest{BookingID: id, TableIDs: []string{table}, Start: start,
			Duration: wire.Duration(2 * time.Hour), Guests: 2, Name: "Анна"}
		if r := f.exec.Run(ctx, command(t, wire.CommandCreateReservation, req)); !r.OK {
			t.Fatalf("create %s: %+v", id, r)
		}
	}
	service.Poked(f.poller)

	later := start.Add(30 * time.Minute)
	r := f.exec.Run(ctx, command(t, wire.CommandUpdateReservation, wire.UpdateRequest{
		BookingID: "bk_1", ReservationID: "sim-r-bk_1", Start: later,
		TableIDs: []string{"t-02"}}))
	if !r.OK {
		t.Fatalf("move: %+v", r)
	}
	var res wire.Reservation
	if err := json.Unmarshal(r.Body, &res); err != nil {
		t.Fatalf("move body %s: %v", r.Body, err)
	}
	if !slices.Equal(res.TableIDs, []string{"t-02"}) || !res.Start.Equal(later) ||
		time.Duration(res.Duration) != 2*time.Hour {
		t.Errorf("moved reservation %+v, want t-02 at %s for 2h", res, later)
	}
	if !service.Poked(f.poller) {
		t.Error("a move did not ask the poller to read the RMS")
	}

	r = f.exec.Run(ctx, command(t, wire.CommandUpdateReservation, wire.UpdateRequest{
		BookingID: "bk_1", TableIDs: []string{"t-03"}}))
	if r.OK || r.Code != wire.CodeRefused || !strings.Contains(r.Message, "t-03") {
		t.Errorf("move onto a taken table = %+v, want refused naming the table", r)
	}

	for name, c := range map[string]wire.Command{
		"not json": {ID: "u1", Kind: wire.CommandUpdateReservation, Body: []byte(`{`)},
		"no change": command(t, wire.CommandUpdateReservation,
			wire.UpdateRequest{BookingID: "bk_1"}),
		"no body": {ID: "u2", Kind: wire.CommandUpdateReservation},
	} {
		if r := f.exec.Run(ctx, c); r.OK || r.Code != wire.CodeBadRequest {
			t.Errorf("%s: %+v, want bad_request", name, r)
		}
	}
}

// readOnly is a connector that can write but not move reservations.
type readOnly struct {
	agent.Connector
	agent.ReservationWriter
}

func TestExecutorUpdateUnsupported(t *testing.T) {
	f := newFixture(t)
	conn := readOnly{f.venue, f.venue}
	if caps := agent.Capabilities(conn); slices.Contains(caps, agent.CapabilityUpdate) {
		t.Errorf("capabilities %v name moves", caps)
	}
	if caps := agent.Capabilities(f.venue); !slices.Contains(caps, agent.CapabilityUpdate) {
		t.Errorf("sim capabilities %v do not name moves", caps)
	}
	exec := service.NewExecutor(conn, f.ob, f.poller, quiet)
	r := exec.Run(context.Background(), command(t, wire.CommandUpdateReservation,
		wire.UpdateRequest{BookingID: "bk_1", TableIDs: []string{"t-02"}}))
	if r.OK || r.Code != wire.CodeUnsupported || !strings.Contains(r.Message, "at the till") {
		t.Errorf("move without the capability = %+v, want unsupported saying what to do", r)
	}
}
