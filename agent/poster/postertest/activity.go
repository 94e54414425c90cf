package postertest

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/stolik/stolik/shared/wire"
)

var guestNames = []string{
	"Анна Петрова", "Иван Смирнов", "Мария Кузнецова", "Олег Соколов", "Елена Попова",
	"Дмитрий Волков", "Ольга Морозова", "Сергей Лебедев",
}

// Activity changes the account every interval until ctx ends, as a busy
// evening would: walk-ins open checks on free tables and pay, guests phone
// in reservations a few hours ahead, and staff accept or cancel them on the
// terminal. It is for the demo; rnd makes it repeatable.
func (f *Fake) Activity(ctx context.Context, rnd *rand.Rand, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f.step(rnd)
		}
	}
}

// step makes one change.
func (f *Fake) step(rnd *rand.Rand) {
	tables := f.Tables()
	var live []Table
	for _, t := range tables {
		if !t.Deleted {
			live = append(live, t)
		}
	}
	if len(live) == 0 {
		return
	}
	checks := f.Checks()
	switch n := rnd.IntN(10); {
	case n < 4: // a walk-in
		t := live[rnd.IntN(len(live))]
		if len(checks[t.ID]) == 0 {
			f.OpenCheck(t.ID, 1+rnd.IntN(max(t.Capacity, 1)))
		}
	case n < 7: // a table pays
		for _, ids := range checks {
			f.CloseCheck(ids[0])
			break
		}
	case n < 9: // a phone booking
		t := live[rnd.IntN(len(live))]
		start := f.now().Add(time.Duration(1+rnd.IntN(6)) * time.Hour).Truncate(15 * time.Minute)
		f.AddReservation(wire.Reservation{
			TableIDs: []string{t.ID}, Start: start,
			Duration: wire.Duration(time.Duration(1+rnd.IntN(3)) * time.Hour),
			Guests:   1 + rnd.IntN(max(t.Capacity, 1)),
			Name:     guestNames[rnd.IntN(len(guestNames))],
			Phone:    "+7916" + string(rune('1'+rnd.IntN(9))) + "000000",
		})
	default: // staff cancel one
		rs := f.Reservations()
		for _, r := range rs {
			if r.Status != wire.ReservationCancelled && r.Start.After(f.now()) {
				f.SetReservationStatus(r.ID, 7)
				break
			}
		}
	}
}
