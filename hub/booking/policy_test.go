package booking_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/booking"
	"github.com/stolik/stolik/shared/wire"
)

// span lists the wall-clock times from first to last, every step minutes.
func span(first, last string, step int) []string {
	a, _ := time.Parse("15:04", first)
	b, _ := time.Parse("15:04", last)
	var out []string
	for t := a; !t.After(b); t = t.Add(time.Duration(step) * time.Minute) {
		out = append(out, t.Format("15:04"))
	}
	return out
}

func TestAvailabilityRules(t *testing.T) {
	base := cafe(t, "Europe/Moscow")
	msk := base.Zone
	wed := booking.Date{Year: 2026, Month: time.June, Day: 10}
	morning := at(msk, 2026, 6, 10, 9, 0)

	for _, tc := range []struct {
		name   string
		change func(v *booking.Venue, b *booking.Book, q *booking.Query)
		want   []string // local starts
		err    error
		msg    string // in the error
	}{
		{name: "open day, party of two", want: span("12:00", "21:30", 15)},
		{name: "party of four: last seating two hours before close",
			change: func(_ *booking.Venue, _ *booking.Book, q *booking.Query) { q.Party = 4 },
			want:   span("12:00", "21:00", 15)},
		{name: "lead time counts from now",
			change: func(_ *booking.Venue, _ *booking.Book, q *booking.Query) {
				q.Now = at(msk, 2026, 6, 10, 14, 7) // earliest 14:37
			},
			want: span("14:45", "21:30", 15)},
		{name: "slot step from the open time",
			change: func(v *booking.Venue, _ *booking.Book, _ *booking.Query) {
				v.Policy.SlotStep = minutes(40)
				v.Policy.Services = every("", "12:10", "16:00")
			},
			want: []string{"12:10", "12:50", "13:30", "14:10"}},
		{name: "horizon cuts the last day",
			change: func(_ *booking.Venue, _ *booking.Book, q *booking.Query) {
				q.Now = at(msk, 2026, 5, 11, 18, 0) // + 30 days = June 10 18:00
			},
			want: span("12:00", "18:00", 15)},
		{name: "beyond the horizon",
			change: func(_ *booking.Venue, _ *booking.Book, q *booking.Query) {
				q.Now = at(msk, 2026, 5, 1, 18, 0)
			},
			err: booking.ErrTooFar, msg: "choose 2026-05-31 or earlier"},
		{name: "a past date",
			change: func(_ *booking.Venue, _ *booking.Book, q *booking.Query) {
				q.Date = wed.AddDays(-1)
			},
			err: booking.ErrPast, msg: "2026-06-09 is over"},
		{name: "closed on Mondays",
			change: func(_ *booking.Venue, _ *booking.Book, q *booking.Query) {
				q.Date = wed.AddDays(5)
			},
			err: booking.ErrClosed, msg: "closed on monday, 2026-06-15"},
		{name: "closed by an exception, with its note",
			change: func(v *booking.Venue, _ *booking.Book, _ *booking.Query) {
				v.Policy.Exceptions = []hub.Exception{{Date: "2026-06-10", Closed: true,
					Note: "private event"}}
			},
			err: booking.ErrClosed, msg: "2026-06-10: private event"},
		{name: "an exception with no services closes the day",
			change: func(v *booking.Venue, _ *booking.Book, _ *booking.Query) {
				v.Policy.Exceptions = []hub.Exception{{Date: "2026-06-10", Note: "inventory"}}
			},
			err: booking.ErrClosed, msg: "inventory"},
		{name: "a short day",
			change: func(v *booking.Venue, _ *booking.Book, _ *booking.Query) {
				v.Policy.Exceptions = []hub.Exception{{Date: "2026-06-10", Services: []hub.Service{
					{Open: "12:00", Close: "15:00"}}}}
			},
			want: span("12:00", "13:30", 15)},
		{name: "lunch and dinner overlapping",
			change: func(v *booking.Venue, _ *booking.Book, _ *booking.Query) {
				v.Policy.SlotStep = minutes(30)
				v.Policy.Services = append(every("lunch", "12:00", "15:00"),
					every("dinner", "14:15", "18:00")...)
			},
			want: []string{"12:00", "12:30", "13:00", "13:30", "14:15", "14:45", "15:15",
				"15:45", "16:15"}},
		{name: "party of zero",
			change: func(_ *booking.Venue, _ *booking.Book, q *booking.Query) { q.Party = 0 },
			err:    booking.ErrParty, msg: "at least one guest"},
		{name: "party of 500",
			change: func(_ *booking.Venue, _ *booking.Book, q *booking.Query) { q.Party = 500 },
			err:    booking.ErrLargeParty, msg: "largest party booked online here is 10"},
		{name: "above the largest online party",
			change: func(v *booking.Venue, _ *booking.Book, q *booking.Query) {
				v.Policy.MaxOnlineParty = 6
				q.Party = 8
			},
			err: booking.ErrLargeParty, msg: "up to 6 guests; for 8, send the restaurant a request"},
		{name: "no table takes a party of one",
			change: func(v *booking.Venue, _ *booking.Book, q *booking.Query) {
				for i := range v.Tables {
					v.Tables[i].MinParty = 2
				}
				v.Groups = nil
				q.Party = 1
			},
			err: booking.ErrParty, msg: "parties of 2 or more"},
		{name: "no table online",
			change: func(v *booking.Venue, _ *booking.Book, _ *booking.Query) {
				for i := range v.Tables {
					v.Tables[i].Online = false
				}
			},
			err: booking.ErrTable},
		{name: "guest at the limit",
			change: func(v *booking.Venue, _ *booking.Book, q *booking.Query) {
				v.Policy.MaxActivePerGuest = 1
				q.Guest = []hub.Booking{{ID: "b9", VenueID: "v", State: hub.BookingConfirmed,
					Start: at(msk, 2026, 6, 20, 19, 0), End: at(msk, 2026, 6, 20, 21, 0)}}
			},
			err: booking.ErrGuestLimit},
		{name: "guest limit counts only upcoming active bookings here",
			change: func(v *booking.Venue, _ *booking.Book, q *booking.Query) {
				v.Policy.MaxActivePerGuest = 1
				d := at(msk, 2026, 6, 20, 19, 0)
				q.Guest = []hub.Booking{
					{ID: "other venue", VenueID: "w", State: hub.BookingConfirmed, Start: d,
						End: d.Add(time.Hour)},
					{ID: "cancelled", VenueID: "v", State: hub.BookingCancelled, Start: d,
						End: d.Add(time.Hour)},
					{ID: "past", VenueID: "v", State: hub.BookingConfirmed,
						Start: morning.Add(-3 * time.Hour), End: morning.Add(-time.Hour)},
				}
			},
			want: span("12:00", "21:30", 15)},
		{name: "guest already booked elsewhere that evening",
			change: func(_ *booking.Venue, _ *booking.Book, q *booking.Query) {
				q.Guest = []hub.Booking{{ID: "b9", VenueID: "w", State: hub.BookingConfirmed,
					Start: at(msk, 2026, 6, 10, 14, 0), End: at(msk, 2026, 6, 10, 21, 0)}}
			},
			want: append(span("12:00", "12:30", 15), "21:00", "21:15", "21:30")},
		{name: "every table busy but one 2-top, with the buffer after a reservation",
			change: func(_ *booking.Venue, b *booking.Book, _ *booking.Query) {
				day := func(table string) hub.Block {
					return hub.Block{TableID: table, Start: at(msk, 2026, 6, 10, 11, 0),
						End: at(msk, 2026, 6, 10, 23, 0), Kind: hub.BlockReservation, Ref: "r"}
				}
				b.Blocks = []hub.Block{day("t2"), day("t3"), day("t4"), day("t5"),
					{TableID: "t1", Start: at(msk, 2026, 6, 10, 14, 0),
						End: at(msk, 2026, 6, 10, 16, 0), Kind: hub.BlockReservation, Ref: "r2"},
					{TableID: "t1", Start: at(msk, 2026, 6, 10, 19, 0),
						End: at(msk, 2026, 6, 10, 20, 0), Kind: hub.BlockBooking, Ref: "b2"}}
			},
			// 90 min + 15 buffer must end by 14:00; after 16:00 (+15 buffer);
			// before the booking at 19:00; after it ends at 20:00.
			want: append(append(span("12:00", "12:15", 15), span("16:15", "17:15", 15)...),
				span("20:00", "21:30", 15)...)},
		{name: "pacing",
			change: func(v *booking.Venue, b *booking.Book, q *booking.Query) {
				v.Policy.Pacing = 6
				v.Policy.SlotStep = minutes(60)
				q.Party = 3
				b.Seatings = []booking.Seating{
					{Ref: "a", Start: at(msk, 2026, 6, 10, 13, 0), Party: 2},
					{Ref: "a", Start: at(msk, 2026, 6, 10, 13, 0), Party: 2}, // once
					{Ref: "b", Start: at(msk, 2026, 6, 10, 13, 30), Party: 1},
					{Ref: "c", Start: at(msk, 2026, 6, 10, 15, 0), Party: 4},
				}
			},
			want: []string{"12:00", "13:00", "14:00", "16:00", "17:00", "18:00", "19:00",
				"20:00", "21:00"}},
		{name: "pacing counts the slot offered, when services overlap",
			change: func(v *booking.Venue, b *booking.Book, _ *booking.Query) {
				v.Policy.Pacing = 6
				v.Policy.SlotStep = minutes(30)
				v.Policy.Services = append(every("", "17:45", "23:00"),
					every("", "18:00", "23:00")...)
				b.Seatings = []booking.Seating{
					{Ref: "x", Start: at(msk, 2026, 6, 10, 19, 20), Party: 6}}
			},
			// 19:00 and 19:15 have it in their half hour; 19:30 does not,
			// though the 17:45 service's half hour from 19:15 would.
			want: append(span("17:45", "18:45", 15), span("19:30", "21:30", 15)...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := cafe(t, "Europe/Moscow")
			book := booking.Book{}
			q := booking.Query{Date: wed, Party: 2, Now: morning}
			if tc.change != nil {
				tc.change(&v, &book, &q)
			}
			slots, err := booking.Availability(v, book, q)
			if tc.err != nil {
				if !errors.Is(err, tc.err) || !strings.Contains(fmtErr(err), tc.msg) {
					t.Fatalf("err = %v, want %v with %q", err, tc.err, tc.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(localStarts(slots, v.Zone), tc.want); diff != "" {
				t.Errorf("starts (-got +want):\n%s", diff)
			}
			for _, s := range slots {
				if err := booking.Check(v, book, booked("new", s, q.Party), q.Now); err != nil {
					t.Errorf("offered %s fails Check: %v", s.Start, err)
				}
			}
		})
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestAvailabilitySlotFields(t *testing.T) {
	v := cafe(t, "Europe/Moscow")
	v.Policy.Services = []hub.Service{{Weekday: time.Wednesday, Name: "dinner", Open: "18:00",
		Close: "21:00"}}
	slots, err := booking.Availability(v, booking.Book{Blocks: []hub.Block{
		{TableID: "t3", Start: at(v.Zone, 2026, 6, 10, 18, 0), End: at(v.Zone, 2026, 6, 10, 19, 0),
			Kind: hub.BlockOccupancy, Ref: "o"}}},
		booking.Query{Date: booking.Date{Year: 2026, Month: 6, Day: 10}, Party: 4,
			Now: at(v.Zone, 2026, 6, 10, 9, 0)})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 6, 10, 15, 0, 0, 0, time.UTC)
	want := []booking.Slot{
		{Start: start, End: start.Add(2 * time.Hour), Until: start.Add(135 * time.Minute),
			TableIDs: []string{"t4"}, Service: "dinner"},
		{Start: start.Add(15 * time.Minute), End: start.Add(135 * time.Minute),
			Until: start.Add(150 * time.Minute), TableIDs: []string{"t4"}, Service: "dinner"},
		{Start: start.Add(30 * time.Minute), End: start.Add(150 * time.Minute),
			Until: start.Add(165 * time.Minute), TableIDs: []string{"t4"}, Service: "dinner"},
		{Start: start.Add(45 * time.Minute), End: start.Add(165 * time.Minute),
			Until: start.Add(180 * time.Minute), TableIDs: []string{"t4"}, Service: "dinner"},
		{Start: start.Add(60 * time.Minute), End: start.Add(180 * time.Minute),
			Until: start.Add(195 * time.Minute), TableIDs: []string{"t4"}, Service: "dinner"},
	}
	if diff := cmp.Diff(slots, want); diff != "" {
		t.Errorf("slots (-got +want):\n%s", diff)
	}
	// t3 (same size, lower number) is taken by an order until 19:00 plus
	// the buffer: t4 is chosen, and slots are in UTC.
	if slots[0].Start.Location() != time.UTC {
		t.Errorf("start in %v, want UTC", slots[0].Start.Location())
	}
}

func TestServicePastMidnight(t *testing.T) {
	v := cafe(t, "Europe/Moscow")
	v.Policy.Services = []hub.Service{
		{Weekday: time.Friday, Open: "20:00", Close: "02:00"},
		{Weekday: time.Saturday, Open: "12:00", Close: "14:00"},
	}
	v.Policy.TurnTimes = []hub.TurnTime{{MaxParty: 99, Duration: minutes(60)}}
	v.Policy.SlotStep = minutes(30)
	fri := booking.Date{Year: 2026, Month: 6, Day: 12}
	q := booking.Query{Date: fri, Party: 2, Now: at(v.Zone, 2026, 6, 12, 9, 0)}

	slots, err := booking.Availability(v, booking.Book{}, q)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"20:00", "20:30", "21:00", "21:30", "22:00", "22:30", "23:00", "23:30",
		"00:00", "00:30", "01:00"}
	if diff := cmp.Diff(localStarts(slots, v.Zone), want); diff != "" {
		t.Errorf("friday (-got +want):\n%s", diff)
	}
	if got := booking.DateOf(slots[len(slots)-1].Start, v.Zone); got != fri.AddDays(1) {
		t.Errorf("last start on %s, want saturday", got)
	}

	alt := booking.Alternatives(v, booking.Book{}, q, at(v.Zone, 2026, 6, 13, 0, 30), 3)
	if diff := cmp.Diff(localStarts(alt, v.Zone), []string{"00:30", "00:00", "01:00"}); diff != "" {
		t.Errorf("alternatives after midnight come from friday (-got +want):\n%s", diff)
	}

	q.Date = fri.AddDays(1)
	slots, err = booking.Availability(v, booking.Book{}, q)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(localStarts(slots, v.Zone), []string{"12:00", "12:30", "13:00"}); diff != "" {
		t.Errorf("saturday holds only its own service (-got +want):\n%s", diff)
	}

	// At 00:10 on Saturday, Friday's service still runs: Friday is not
	// over, and its remaining starts are offered.
	q.Date, q.Now = fri, at(v.Zone, 2026, 6, 13, 0, 10)
	v.Policy.MinLead = minutes(1)
	slots, err = booking.Availability(v, booking.Book{}, q)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(localStarts(slots, v.Zone), []string{"00:30", "01:00"}); diff != "" {
		t.Errorf("after midnight (-got +want):\n%s", diff)
	}
	b := booked("b", slots[0], 2)
	if err := booking.Check(v, booking.Book{}, b, q.Now); err != nil {
		t.Errorf("a start after midnight in Friday's service: %v", err)
	}
	q.Now = at(v.Zone, 2026, 6, 13, 2, 10)
	if _, err := booking.Availability(v, booking.Book{}, q); !errors.Is(err, booking.ErrPast) {
		t.Errorf("friday after its close: err = %v, want ErrPast", err)
	}
}

func TestEffective(t *testing.T) {
	got := booking.Effective(hub.Policy{Buffer: minutes(10), MinLead: minutes(5)})
	want := hub.Policy{
		SlotStep: minutes(15), Buffer: minutes(10), MinLead: minutes(5),
		Horizon: wire.Duration(30 * 24 * time.Hour), HoldTTL: minutes(5),
		ConfirmTimeout: minutes(10), PauseAfter: minutes(5),
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("Effective (-got +want):\n%s", diff)
	}
}

func TestValidatePolicy(t *testing.T) {
	good := cafe(t, "UTC").Policy
	good.Exceptions = []hub.Exception{{Date: "2026-12-31", Services: []hub.Service{
		{Open: "18:00", Close: "03:00"}}}}
	if err := booking.ValidatePolicy(good); err != nil {
		t.Fatalf("good policy: %v", err)
	}
	for _, tc := range []struct {
		name   string
		change func(p *hub.Policy)
		want   []string
	}{
		{"bad clock", func(p *hub.Policy) { p.Services[0].Open = "25:00" },
			[]string{"services[0].open"}},
		{"bad weekday", func(p *hub.Policy) { p.Services[1].Weekday = 7 },
			[]string{"services[1].weekday"}},
		{"negative and tiny", func(p *hub.Policy) {
			p.Buffer = -1
			p.SlotStep = wire.Duration(time.Second)
			p.Pacing = -2
		}, []string{"buffer", "slot_step", "pacing"}},
		{"turn times out of order", func(p *hub.Policy) {
			p.TurnTimes = []hub.TurnTime{{MaxParty: 4, Duration: minutes(60)},
				{MaxParty: 2, Duration: minutes(60)}}
		}, []string{"turn_times[1]"}},
		{"exceptions", func(p *hub.Policy) {
			p.Exceptions = []hub.Exception{{Date: "31.12.2026"},
				{Date: "2026-01-01", Closed: true, Services: p.Services[:1]},
				{Date: "2026-01-01", Closed: true}}
		}, []string{"exceptions[0].date", "exceptions[1]: a closed day", "exceptions[2].date"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := cafe(t, "UTC").Policy
			tc.change(&p)
			err := booking.ValidatePolicy(p)
			if !errors.Is(err, booking.ErrPolicy) {
				t.Fatalf("err = %v, want ErrPolicy", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
}

func TestDate(t *testing.T) {
	d, err := booking.ParseDate("2028-02-28")
	if err != nil {
		t.Fatal(err)
	}
	if got := d.AddDays(1).String(); got != "2028-02-29" {
		t.Errorf("leap day: %s", got)
	}
	if got := d.AddDays(2).Weekday(); got != time.Wednesday {
		t.Errorf("2028-03-01 is a %s", got)
	}
	if d.Compare(d.AddDays(-1)) != 1 || d.Compare(d) != 0 || (booking.Date{}).IsZero() == false {
		t.Error("Compare or IsZero wrong")
	}
	if _, err := booking.ParseDate("2028-02-30"); err == nil {
		t.Error("2028-02-30 parsed")
	}
	kam := loadZone(t, "Asia/Kamchatka")
	if got := booking.DateOf(time.Date(2026, 6, 9, 13, 0, 0, 0, time.UTC), kam); got.String() !=
		"2026-06-10" {
		t.Errorf("13:00 UTC on June 9 is %s in Kamchatka, want 2026-06-10", got)
	}
}
