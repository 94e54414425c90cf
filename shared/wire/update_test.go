package wire_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stolik/stolik/shared/wire"
)

// TestUpdateRequestRoundTrip sends a move the way the hub does (a command
// frame) and reads it the way the agent does.
func TestUpdateRequestRoundTrip(t *testing.T) {
	want := wire.UpdateRequest{BookingID: "bkg_1", ReservationID: "r-1",
		Start: time.Date(2026, 12, 31, 17, 30, 0, 0, time.UTC), TableIDs: []string{"t-2", "стол 3"}}
	c := sendCommand(t, wire.CommandUpdateReservation, want)
	if strings.Contains(string(c.Body), "duration") {
		t.Errorf("an unset duration is sent: %s", c.Body)
	}
	got, err := wire.DecodeUpdateRequest(c.Body)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request after a round trip (-want +got):\n%s", diff)
	}
	// Only the tables: start and duration stay zero ("keep").
	only, err := wire.DecodeUpdateRequest(json.RawMessage(
		`{"booking_id":"b","table_ids":["t-9"],"later":true}`))
	if err != nil || !only.Start.IsZero() || only.Duration != 0 {
		t.Errorf("tables only: %+v, %v", only, err)
	}
}

func TestUpdateRequestBounds(t *testing.T) {
	start := time.Date(2026, 12, 31, 17, 0, 0, 0, time.UTC)
	many := make([]string, wire.MaxUpdateTables+1)
	for i := range many {
		many[i] = "t-" + strings.Repeat("x", i+1)
	}
	for name, r := range map[string]wire.UpdateRequest{
		"no ids":          {Start: start},
		"nothing to do":   {BookingID: "b"},
		"negative":        {BookingID: "b", Duration: wire.Duration(-time.Minute)},
		"too long":        {BookingID: "b", Duration: wire.Duration(25 * time.Hour)},
		"too many tables": {BookingID: "b", TableIDs: many},
		"empty table":     {BookingID: "b", TableIDs: []string{""}},
		"twice":           {BookingID: "b", TableIDs: []string{"t-1", "t-1"}},
		"control char":    {BookingID: "b\n", Start: start},
		"long id": {ReservationID: strings.Repeat("r", wire.MaxPollHintLen+1),
			Start: start},
	} {
		if err := r.Validate(); err == nil {
			t.Errorf("%s: valid, want an error", name)
		}
		body, _ := json.Marshal(r)
		if _, err := wire.DecodeUpdateRequest(body); !errors.Is(err, wire.ErrMalformed) {
			t.Errorf("%s: decode gave %v, want ErrMalformed", name, err)
		}
	}
	for _, body := range []string{"", `{"booking_id":1}`, `[]`} {
		if _, err := wire.DecodeUpdateRequest(json.RawMessage(body)); !errors.Is(err,
			wire.ErrMalformed) {
			t.Errorf("body %q: %v, want ErrMalformed", body, err)
		}
	}
	limit := wire.UpdateRequest{ReservationID: "r", TableIDs: many[1:],
		Duration: wire.Duration(wire.MaxUpdateDuration)}
	if err := limit.Validate(); err != nil {
		t.Errorf("a request at the limits: %v", err)
	}
}
