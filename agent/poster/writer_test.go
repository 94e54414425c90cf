package poster_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/poster"
	"github.com/stolik/stolik/agent/poster/postertest"
	"github.com/stolik/stolik/shared/wire"
)

func request(table, booking string) wire.ReservationRequest {
	return wire.ReservationRequest{
		BookingID: booking, TableIDs: []string{table},
		Start:    time.Now().Add(4 * time.Hour).Truncate(15 * time.Minute).UTC(),
		Duration: wire.Duration(2 * time.Hour), Guests: 2,
		Name: "Анна Петрова", Phone: "+79161234567", Comment: "у окна",
	}
}

func live(rs []wire.Reservation) int {
	n := 0
	for _, r := range rs {
		if r.Status != wire.ReservationCancelled {
			n++
		}
	}
	return n
}

func TestCreateWritesWhatPosterTakes(t *testing.T) {
	f := newFake(t, postertest.Options{})
	c := newConnector(t, config(t, f))
	req := request("2", "bk-1")
	req.Duration = wire.Duration(15 * time.Minute)

	res, err := c.CreateReservation(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if res.Duration != wire.Duration(poster.MinDuration) || res.TableIDs[0] != "2" ||
		res.BookingID != "bk-1" || res.Comment != "у окна" || res.Status != wire.ReservationNew {
		t.Errorf("created = %+v, want 30 minutes on table 2 for bk-1", res)
	}
	rs := f.Reservations()
	if len(rs) != 1 || rs[0].Comment != "у окна [stolik:bk-1]" || !rs[0].Start.Equal(req.Start) {
		t.Errorf("the fake holds %+v", rs)
	}

	again, err := c.CreateReservation(context.Background(), req)
	if err != nil || again.ID != res.ID || len(f.Reservations()) != 1 {
		t.Errorf("create again = %+v, %v; want the same reservation, once", again, err)
	}
}

func TestCreateRefusals(t *testing.T) {
	f := newFake(t, postertest.Options{})
	c := newConnector(t, config(t, f))
	taken := request("1", "bk-first")
	if _, err := c.CreateReservation(context.Background(), taken); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		edit func(*wire.ReservationRequest)
		says string
	}{
		{"unknown table", func(r *wire.ReservationRequest) { r.TableIDs = []string{"999"} },
			"999"},
		{"two tables", func(r *wire.ReservationRequest) { r.TableIDs = []string{"1", "2"} },
			"one table"},
		{"no name", func(r *wire.ReservationRequest) { r.Name = " " }, "name"},
		{"no booking", func(r *wire.ReservationRequest) { r.BookingID = "" }, "booking id"},
		{"taken", func(r *wire.ReservationRequest) { r.TableIDs = []string{"1"} },
			"already reserved"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := request("2", "bk-"+strings.ReplaceAll(tc.name, " ", "-"))
			tc.edit(&req)
			_, err := c.CreateReservation(context.Background(), req)
			if !errors.Is(err, agent.ErrRefused) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("err = %v, want a refusal saying %q", err, tc.says)
			}
		})
	}
	if n := live(f.Reservations()); n != 1 {
		t.Errorf("the fake holds %d reservations, want 1", n)
	}
}

func TestCreateNeedsProTariff(t *testing.T) {
	f := newFake(t, postertest.Options{})
	c := newConnector(t, config(t, f))
	snapshot(t, c)
	f.SetTariffLimit(true)
	_, err := c.CreateReservation(context.Background(), request("2", "bk-1"))
	fix, ok := agent.FixOf(err)
	if !errors.Is(err, agent.ErrRefused) || !ok || !strings.Contains(fix.EN, "Pro") ||
		!strings.Contains(err.Error(), "incomingOrders.createReservation") {
		t.Errorf("err = %v (fix %q), want a refusal naming the call and the Pro tariff",
			err, fix.EN)
	}
}

func TestRetryAfterRestartFindsTheReservation(t *testing.T) {
	f := newFake(t, postertest.Options{})
	cfg := config(t, f)
	req := request("3", "bk-lost")

	f.LoseNextAnswer()
	if _, err := newConnector(t, cfg).CreateReservation(context.Background(), req); err == nil {
		t.Fatal("create with a lost answer succeeded")
	}
	// The agent restarts: its map never heard of the reservation.
	res, err := newConnector(t, cfg).CreateReservation(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if rs := f.Reservations(); len(rs) != 1 || rs[0].ID != res.ID || res.TableIDs[0] != "3" {
		t.Errorf("after the retry: created %+v, the fake holds %+v", res, rs)
	}
}

func TestRetryFindsByPhoneWithoutMark(t *testing.T) {
	f := newFake(t, postertest.Options{})
	c := newConnector(t, config(t, f))
	req := request("3", "bk-phone")
	// Staff wrote the same guest in by hand at the same time.
	id, err := f.AddReservation(wire.Reservation{
		TableIDs: []string{"3"}, Start: req.Start, Duration: req.Duration,
		Guests: 2, Name: "Анна", Phone: "8 (916) 123-45-67",
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.CreateReservation(context.Background(), req)
	if err != nil || res.ID != id || len(f.Reservations()) != 1 {
		t.Errorf("create = %+v, %v; want the till's reservation %s, not a second one",
			res, err, id)
	}
}

func TestCreateOfCancelledBookingRefused(t *testing.T) {
	f := newFake(t, postertest.Options{})
	c := newConnector(t, config(t, f))
	req := request("2", "bk-gone")
	res, err := c.CreateReservation(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetReservationStatus(res.ID, 7); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateReservation(context.Background(), req)
	if !errors.Is(err, agent.ErrRefused) {
		t.Errorf("create of a booking staff cancelled = %v, want a refusal", err)
	}
}

func TestCancelIsUnsupported(t *testing.T) {
	f := newFake(t, postertest.Options{})
	c := newConnector(t, config(t, f))
	res, err := c.CreateReservation(context.Background(), request("2", "bk-c"))
	if err != nil {
		t.Fatal(err)
	}

	cr := wire.CancelRequest{BookingID: "bk-c", ReservationID: res.ID}
	err = c.CancelReservation(context.Background(), cr)
	if !errors.Is(err, agent.ErrUnsupported) ||
		!strings.Contains(err.Error(), "cancel it on the Poster terminal") {
		t.Fatalf("cancel = %v, want ErrUnsupported asking for the terminal", err)
	}
	// Staff find it at the terminal by Poster's number, the guest, the time
	// and the table: the booking id means nothing there.
	at := res.Start.In(f.Location()).Format("02.01.2006 15:04")
	for _, want := range []string{"№" + res.ID, res.Name, at, "table 2 (Стол 2)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("cancel error %q does not say %q", err, want)
		}
	}
	err = c.CancelReservation(context.Background(), wire.CancelRequest{BookingID: "bk-c"})
	if !errors.Is(err, agent.ErrUnsupported) {
		t.Errorf("cancel by booking id = %v, want ErrUnsupported", err)
	}

	// Staff cancel it on the terminal; the connector follows.
	if err := f.SetReservationStatus(res.ID, 7); err != nil {
		t.Fatal(err)
	}
	if err := c.CancelReservation(context.Background(), cr); err != nil {
		t.Errorf("cancel of a cancelled reservation = %v, want success", err)
	}
	st := snapshot(t, c)
	if len(st.Reservations) != 1 || st.Reservations[0].Status != wire.ReservationCancelled {
		t.Errorf("reservations = %+v, want it cancelled", st.Reservations)
	}
	if err := c.CancelReservation(context.Background(),
		wire.CancelRequest{ReservationID: "4040"}); err != nil {
		t.Errorf("cancel of an unknown reservation = %v, want success", err)
	}
}

func TestTableMapPersists(t *testing.T) {
	f := newFake(t, postertest.Options{})
	cfg := config(t, f)
	res, err := newConnector(t, cfg).CreateReservation(context.Background(), request("4", "bk-m"))
	if err != nil {
		t.Fatal(err)
	}
	st := snapshot(t, newConnector(t, cfg))
	if len(st.Reservations) != 1 || st.Reservations[0].ID != res.ID ||
		len(st.Reservations[0].TableIDs) != 1 || st.Reservations[0].TableIDs[0] != "4" ||
		st.Reservations[0].BookingID != "bk-m" {
		t.Errorf("after a restart: %+v, want %s on table 4", st.Reservations, res.ID)
	}
	if fi, err := os.Stat(cfg.MapFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("map file: %v, %v; want mode 0600", fi, err)
	}

	for name, body := range map[string]string{
		"not json":    "{",
		"old version": `{"version": 9, "reservations": []}`,
		"no table":    `{"version": 1, "reservations": [{"reservation_id": "1"}]}`,
	} {
		if err := os.WriteFile(cfg.MapFile, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := poster.New(cfg); err == nil || !strings.Contains(err.Error(), cfg.MapFile) {
			t.Errorf("%s: New = %v, want an error naming %s", name, err, cfg.MapFile)
		}
	}
}
