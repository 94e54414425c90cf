package rkeepertest

import (
	"context"
	"math/rand/v2"
	"time"
)

// Activity drives the venue like a working shift until ctx ends: every
// tick a walk-in order opens on a free table or an open one is paid, or
// a phone booking is made or called off. Orders and reservations made
// through the XML interface are left alone. It is for the demo; tests
// drive the venue step by step instead.
func (f *Fake) Activity(ctx context.Context, rnd *rand.Rand, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			f.step(rnd)
		}
	}
}

// step makes one change.
func (f *Fake) step(rnd *rand.Rand) {
	f.mu.Lock()
	defer f.mu.Unlock()
	busy := map[*item]bool{}
	var walkIns, phone []*order
	for _, o := range f.sorted() {
		busy[o.table] = true
		switch {
		case !o.reserve:
			walkIns = append(walkIns, o)
		case o.props["tg_booking_id"] == "":
			phone = append(phone, o)
		}
	}
	var free []*item
	for _, t := range f.tables {
		if !busy[t] {
			free = append(free, t)
		}
	}
	switch n := rnd.IntN(10); {
	case n < 4 && len(free) > 0:
		t := free[rnd.IntN(len(free))]
		f.newOrder(t, 1+rnd.IntN(t.seats), "")
	case n < 7 && len(walkIns) > 0:
		o := walkIns[rnd.IntN(len(walkIns))]
		if _, ours := f.lockReason[o.guid]; !ours && o.comment == "" {
			delete(f.orders, o.guid)
			f.version++
		}
	case n < 9 && len(free) > 0:
		t := free[rnd.IntN(len(free))]
		o := f.newOrder(t, 1+rnd.IntN(t.seats), "")
		// Guests phone for lunch or dinner, today or tomorrow.
		loc := f.opts.Location
		now := f.opts.Now().In(loc)
		start := time.Date(now.Year(), now.Month(), now.Day()+rnd.IntN(2), 12+rnd.IntN(10),
			30*rnd.IntN(2), 0, 0, loc)
		if !start.After(now.Add(time.Hour)) {
			start = start.AddDate(0, 0, 1)
		}
		o.reserve = true
		o.openTime = f.local(start)
		o.duration = f.formatDuration(time.Duration(60+30*rnd.IntN(4)) * time.Minute)
		o.holder = guestNames[rnd.IntN(len(guestNames))]
	case len(phone) > 0:
		o := phone[rnd.IntN(len(phone))]
		delete(f.orders, o.guid)
		f.version++
	}
}

// guestNames are invented holders of phone bookings, with invented phones.
var guestNames = []string{
	"Мария Иванова +79160000101", "Олег Кузнецов +79160000102",
	"Елена Соколова +79160000103", "Дмитрий Попов +79160000104",
	"Ольга Лебедева +79160000105", "Павел Новиков +79160000106",
}
