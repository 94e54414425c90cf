package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/web"
)

// scriptVenue is a venue the scripted guest books at.
type scriptVenue struct {
	id  string
	rms *rms
}

// script is what the demo's guest does, each step checked against the
// fake RMS and told in plain words:
//
//  1. Anna books a table for two at the iiko restaurant; the agent writes
//     it into iiko, and it is confirmed; the demo finds it at the till;
//  2. Anna cancels; the reservation is cancelled at the till;
//  3. Boris asks for a table at the R-Keeper bar; while he confirms, a
//     phone booking takes the table at the till; R-Keeper refuses, the hub
//     declines with other times; Boris rebooks on the first, confirmed.
//
// It returns an error naming the first step that did not happen.
func script(ctx context.Context, out io.Writer, g *guestAPI, iiko, rk scriptVenue) error {
	say := func(format string, args ...any) {
		fmt.Fprintf(out, "%s  guest: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
	}
	moscow, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		return err
	}
	local := func(t time.Time) string { return t.In(moscow).Format("02.01 15:04") }
	tomorrow := time.Now().In(moscow).AddDate(0, 0, 1).Format("2006-01-02")

	// 1. Anna books at the iiko restaurant.
	slot, err := eveningSlot(ctx, g, iiko.id, tomorrow)
	if err != nil {
		return fmt.Errorf("step 1, find a free table: %w", err)
	}
	say("Anna asks «%s» for a table for two tomorrow at %s", iiko.rms.venue, local(slot.Start))
	anna, err := g.book(ctx, iiko.id, slot.Start, 2, "Анна Смирнова", "+79161234567", "demo-anna")
	if err != nil {
		return fmt.Errorf("step 1, book: %w", err)
	}
	say("the hub holds table %s and asks %s through the agent: «waiting for the restaurant»",
		numbers(g.tableNumbers(ctx, iiko.id), anna.TableIDs), iiko.rms.product)
	anna, err = g.settle(ctx, anna.ID, time.Minute)
	if err != nil || anna.State != hub.BookingConfirmed {
		return fmt.Errorf("step 1, confirmation: booking is %s (%s) %v", anna.State, anna.Reason, err)
	}
	res, ok := iiko.rms.holding(anna.ID, anna.TableIDs, anna.Start)
	if !ok {
		return errors.New("step 1: the confirmed booking is not at the iiko till")
	}
	say("confirmed ✓ — iiko holds reserve %s: %s for %s, %d guests, %s",
		short(res.ID), local(res.Start), span(time.Duration(res.Duration)), res.Guests, res.Name)

	// 2. Anna cancels.
	if _, err := g.cancel(ctx, anna.ID, "plans changed"); err != nil {
		return fmt.Errorf("step 2, cancel: %w", err)
	}
	say("Anna cancels; the hub asks iiko to cancel the reserve")
	if err := waitFor(ctx, time.Minute, func() bool {
		_, still := iiko.rms.holding(anna.ID, anna.TableIDs, anna.Start)
		return !still
	}); err != nil {
		return errors.New("step 2: the reserve is still live at the iiko till")
	}
	say("cancelled ✓ — the reserve is cancelled in iiko, the table is free again")

	// 3. Boris at the R-Keeper bar: the till takes his table first.
	slot, err = eveningSlot(ctx, g, rk.id, tomorrow)
	if err != nil {
		return fmt.Errorf("step 3, find a free table: %w", err)
	}
	say("Boris asks «%s» for a table for two tomorrow at %s", rk.rms.venue, local(slot.Start))
	var boris hub.Booking
	if err := g.call(ctx, "POST", "/api/v1/venues/"+rk.id+"/bookings",
		web.CreateBookingRequest{Start: slot.Start, Party: 2, Name: "Борис Орлов",
			Phone: "+79169876543"}, &boris, "Idempotency-Key", "demo-boris"); err != nil {
		return fmt.Errorf("step 3, hold: %w", err)
	}
	if err := rk.rms.phoneBooking(boris.TableIDs, boris.Start, boris.End.Sub(boris.Start),
		"Звонок в бар"); err != nil {
		return fmt.Errorf("step 3, phone booking at the till: %w", err)
	}
	say("meanwhile a guest phones the bar and staff book table %s at the till for the same time",
		numbers(g.tableNumbers(ctx, rk.id), boris.TableIDs))
	if err := g.call(ctx, "POST", "/api/v1/bookings/"+boris.ID+"/confirm", nil, &boris); err != nil {
		return fmt.Errorf("step 3, confirm: %w", err)
	}
	boris, err = g.settle(ctx, boris.ID, time.Minute)
	if err != nil || boris.State != hub.BookingDeclined {
		return fmt.Errorf("step 3, refusal: booking is %s, want declined (%v)", boris.State, err)
	}
	say("R-Keeper refused ✗ — «%s»; the hub tells Boris and offers other times", boris.Reason)
	// Boris takes a moment to choose; by then the agent has brought the
	// phone booking to the hub too.
	if err := waitFor(ctx, 30*time.Second, func() bool {
		return g.mirrored(ctx, rk.id, boris.TableIDs, boris.Start, boris.ID)
	}); err != nil {
		return errors.New("step 3: the phone booking did not reach the hub")
	}
	alts, err := g.alternatives(ctx, boris.ID)
	if err != nil || len(alts) == 0 {
		return fmt.Errorf("step 3, alternatives: %d offered (%v)", len(alts), err)
	}
	var offered []string
	nums := g.tableNumbers(ctx, rk.id)
	for _, a := range alts[:min(3, len(alts))] {
		offered = append(offered, local(a.Start)+" at table "+numbers(nums, a.TableIDs))
	}
	say("offered: %s; Boris picks %s", strings.Join(offered, ", "), offered[0])
	again, err := g.book(ctx, rk.id, alts[0].Start, 2, "Борис Орлов", "+79169876543", "demo-boris-2")
	if err != nil {
		return fmt.Errorf("step 3, rebook: %w", err)
	}
	again, err = g.settle(ctx, again.ID, time.Minute)
	if err != nil || again.State != hub.BookingConfirmed {
		return fmt.Errorf("step 3, rebooked confirmation: %s (%s) %v", again.State, again.Reason, err)
	}
	res, ok = rk.rms.holding(again.ID, again.TableIDs, again.Start)
	if !ok {
		return errors.New("step 3: the rebooked table is not at the R-Keeper till")
	}
	say("confirmed ✓ — R-Keeper holds order %s: %s for %s, %s", short(res.ID), local(res.Start),
		span(time.Duration(res.Duration)), res.Name)
	return nil
}

// eveningSlot picks the first free slot for two at 19:00 or later on
// date, or the first one of the day.
func eveningSlot(ctx context.Context, g *guestAPI, venueID, date string) (web.SlotView, error) {
	var slots []web.SlotView
	err := waitFor(ctx, 30*time.Second, func() bool {
		var err error
		slots, err = g.slots(ctx, venueID, date, 2)
		return err == nil && len(slots) > 0
	})
	if err != nil {
		return web.SlotView{}, errors.New("no free slot (is the agent connected?)")
	}
	moscow, _ := time.LoadLocation("Europe/Moscow")
	for _, s := range slots {
		if s.Start.In(moscow).Hour() >= 19 {
			return s, nil
		}
	}
	return slots[0], nil
}

// waitFor polls cond until it holds or within passes.
func waitFor(ctx context.Context, within time.Duration, cond func() bool) error {
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("not within %v", within)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return nil
}

// numbers writes table ids as the numbers staff use.
func numbers(nums map[string]string, ids []string) string {
	var out []string
	for _, id := range ids {
		if n := nums[id]; n != "" {
			out = append(out, n)
		} else {
			out = append(out, short(id))
		}
	}
	return strings.Join(out, "+")
}

// span says a booking's length as a person would: "2 h", "1 h 30 min".
func span(d time.Duration) string {
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case h == 0:
		return fmt.Sprintf("%d min", m)
	case m == 0:
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d h %d min", h, m)
}

func short(id string) string {
	if len(id) > 8 {
		return id[:8] + "…"
	}
	return id
}
