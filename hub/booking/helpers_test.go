package booking_test

import (
	"testing"
	"time"
	_ "time/tzdata" // the zones under test, whatever the machine has

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/booking"
	"github.com/stolik/stolik/shared/wire"
)

func loadZone(t testing.TB, name string) *time.Location {
	t.Helper()
	z, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load zone %s: %v", name, err)
	}
	return z
}

func table(id, number string, seats int) hub.Table {
	return hub.Table{VenueID: "v", Table: wire.Table{ID: id, Number: number, Seats: seats},
		TableSettings: hub.TableSettings{Online: true}}
}

// every returns one service per weekday.
func every(name, open, close string) []hub.Service {
	list := make([]hub.Service, 7)
	for d := range list {
		list[d] = hub.Service{Weekday: time.Weekday(d), Name: name, Open: open, Close: close}
	}
	return list
}

func minutes(n int) wire.Duration { return wire.Duration(time.Duration(n) * time.Minute) }

// cafe is a small venue: two 2-tops, two 4-tops, a 6-top, tables 4 and 5
// joinable for up to 10; open 12:00-23:00 every day except Monday.
func cafe(t testing.TB, zone string) booking.Venue {
	t.Helper()
	var services []hub.Service
	for _, s := range every("", "12:00", "23:00") {
		if s.Weekday != time.Monday {
			services = append(services, s)
		}
	}
	return booking.Venue{
		ID:   "v",
		Zone: loadZone(t, zone),
		Policy: hub.Policy{
			TurnTimes: []hub.TurnTime{{MaxParty: 2, Duration: minutes(90)},
				{MaxParty: 4, Duration: minutes(120)}, {MaxParty: 99, Duration: minutes(150)}},
			Buffer:   minutes(15),
			MinLead:  minutes(30),
			Services: services,
		},
		Tables: []hub.Table{table("t1", "1", 2), table("t2", "2", 2), table("t3", "3", 4),
			table("t4", "4", 4), table("t5", "5", 6)},
		Groups: []hub.TableGroup{{ID: "g45", VenueID: "v", TableIDs: []string{"t4", "t5"},
			MaxParty: 10}},
	}
}

// at returns the instant of a wall-clock time in zone.
func at(zone *time.Location, y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, zone)
}

// localStarts writes each slot's start as the venue's wall clock reads it.
func localStarts(slots []booking.Slot, zone *time.Location) []string {
	out := make([]string, len(slots))
	for i, s := range slots {
		out[i] = s.Start.In(zone).Format("15:04")
	}
	return out
}

// booked returns the hub booking made for slot s.
func booked(id string, s booking.Slot, party int) hub.Booking {
	return hub.Booking{ID: id, VenueID: "v", TableIDs: s.TableIDs, Start: s.Start,
		End: s.Until, Party: party, State: hub.BookingHeld}
}

// blocksOf returns the blocks a booking puts on its tables.
func blocksOf(b hub.Booking) []hub.Block {
	var out []hub.Block
	for _, id := range b.TableIDs {
		out = append(out, hub.Block{TableID: id, Start: b.Start, End: b.End,
			Kind: hub.BlockBooking, Ref: b.ID})
	}
	return out
}
