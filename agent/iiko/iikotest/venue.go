package iikotest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"time"

	"github.com/stolik/stolik/shared/wire"
)

// Tables returns the ids of the tables that are not deleted, by number.
func (f *Fake) Tables() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for _, t := range f.sortedTables() {
		if !t.deleted {
			ids = append(ids, t.id)
		}
	}
	return ids
}

// AddTable adds a table to the first hall and returns its id.
func (f *Fake) AddTable(number, seats int) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.revision++
	t := &table{id: f.newID(), hall: f.halls[0].id, number: number, seats: seats,
		name: "", revision: f.revision}
	f.tables[t.id] = t
	return t.id
}

// SetSeats changes a table's seats (a new revision).
func (f *Fake) SetSeats(tableID string, seats int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t, ok := f.tables[tableID]; ok {
		f.revision++
		t.seats, t.revision = seats, f.revision
	}
}

// DeleteTable marks a table deleted (a new revision).
func (f *Fake) DeleteTable(tableID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t, ok := f.tables[tableID]; ok {
		f.revision++
		t.deleted, t.revision = true, f.revision
	}
}

// OpenOrder opens an order on a table, as a waiter does, and returns its
// id.
func (f *Fake) OpenOrder(tableID string, guests int) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	o := &order{id: f.newID(), tables: []string{tableID}, status: "New",
		created: f.opts.Now().Truncate(time.Millisecond), guests: guests, number: f.serial,
		stamp: f.opts.Now().UnixMilli()}
	f.orders[o.id] = o
	f.notify("TableOrderUpdate", f.orderInfo(o))
	return o.id
}

// PrintBill moves an order to status Bill.
func (f *Fake) PrintBill(orderID string) { f.setOrder(orderID, "Bill") }

// CloseOrder closes (pays) an order.
func (f *Fake) CloseOrder(orderID string) { f.setOrder(orderID, "Closed") }

func (f *Fake) setOrder(id, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if o, ok := f.orders[id]; ok {
		o.status, o.stamp = status, f.opts.Now().UnixMilli()
		f.notify("TableOrderUpdate", f.orderInfo(o))
	}
}

// AddReservation records a reserve made at the till (created at once)
// and returns its id. TableIDs, Start, Duration, Guests, Name, Phone and
// Comment are used.
func (f *Fake) AddReservation(r wire.Reservation) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	rv := &reserve{id: f.newID(), name: r.Name, phone: r.Phone, comment: r.Comment,
		tables: slices.Clone(r.TableIDs), start: r.Start.Truncate(time.Second),
		minutes: int(time.Duration(r.Duration) / time.Minute), guests: r.Guests,
		status: "New", creation: "Success"}
	f.reserves[rv.id] = rv
	f.touch(rv)
	return rv.id
}

// CancelReservation cancels a reserve at the till.
func (f *Fake) CancelReservation(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r, ok := f.reserves[id]; ok && r.cancelReason == "" {
		r.status, r.cancelReason = "Closed", "Other"
		f.touch(r)
	}
}

// Lock seats the guests of a reserve (status Started): iiko then refuses
// to cancel it.
func (f *Fake) Lock(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r, ok := f.reserves[id]; ok {
		r.status = "Started"
		f.touch(r)
	}
}

// Reservations lists every reserve the fake holds whose creation
// succeeded, cancelled ones with status cancelled, in UTC.
func (f *Fake) Reservations() []wire.Reservation {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []wire.Reservation
	for _, r := range f.sortedReserves() {
		if r.creation != "Success" {
			continue
		}
		st := wire.ReservationConfirmed
		switch {
		case r.deleted || r.cancelReason != "":
			st = wire.ReservationCancelled
		case r.status != "New":
			st = wire.ReservationSeated
		}
		out = append(out, wire.Reservation{ID: r.id, TableIDs: slices.Clone(r.tables),
			Start: r.start.UTC(), Duration: wire.Duration(time.Duration(r.minutes) * time.Minute),
			Guests: r.guests, Name: r.name, Phone: r.phone, Comment: r.comment, Status: st})
	}
	return out
}

// Comment returns a reserve's comment as iiko holds it.
func (f *Fake) Comment(id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r, ok := f.reserves[id]; ok {
		return r.comment
	}
	return ""
}

type hook struct {
	url, token string
	filter     map[string]any // as /webhooks/update_settings set it
	client     *http.Client
}

const webhookTimeout = 5 * time.Second

// SetWebhook makes the fake POST reserve and table order events to url
// with "Authorization: <token>", as iiko does once webhooks are set up in
// iikoWeb. An empty url stops it.
func (f *Fake) SetWebhook(url, token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hook = hook{url: url, token: token, client: &http.Client{Timeout: webhookTimeout}}
}

// notify sends one event in the background; mu is held.
func (f *Fake) notify(kind string, info map[string]any) {
	h := f.hook
	if h.url == "" {
		return
	}
	body, err := json.Marshal([]any{map[string]any{
		"eventType": kind, "eventTime": f.opts.Now().UTC().Format(timeLayout),
		"organizationId": OrganizationID, "correlationId": f.newID(), "eventInfo": info,
	}})
	if err != nil {
		return
	}
	f.sent.Add(1)
	go func() {
		defer f.sent.Done()
		req, err := http.NewRequest(http.MethodPost, h.url, bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", h.token)
		if res, err := h.client.Do(req); err == nil {
			res.Body.Close()
		}
	}()
}

// Activity makes the venue live until ctx ends: every period it opens an
// order on a free table, closes one, takes a phone reserve or cancels
// one, chosen with rnd.
func (f *Fake) Activity(ctx context.Context, rnd *rand.Rand, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		f.step(rnd)
	}
}

func (f *Fake) step(rnd *rand.Rand) {
	tables := f.Tables()
	if len(tables) == 0 {
		return
	}
	f.mu.Lock()
	var open, reserves []string
	for _, o := range f.sortedOrders() {
		if o.status != "Closed" {
			open = append(open, o.id)
		}
	}
	for _, r := range f.sortedReserves() {
		if r.creation == "Success" && r.cancelReason == "" && r.status == "New" {
			reserves = append(reserves, r.id)
		}
	}
	f.mu.Unlock()
	switch rnd.IntN(4) {
	case 0:
		f.OpenOrder(tables[rnd.IntN(len(tables))], 1+rnd.IntN(4))
	case 1:
		if len(open) > 0 {
			f.CloseOrder(open[rnd.IntN(len(open))])
		}
	case 2:
		// Guests phone for lunch or dinner, today or in the next two days.
		now := f.opts.Now().In(f.loc)
		day := time.Date(now.Year(), now.Month(), now.Day()+rnd.IntN(3), 12+rnd.IntN(10), 0, 0, 0, f.loc)
		start := day
		if !start.After(now.Add(time.Hour)) {
			start = day.AddDate(0, 0, 1)
		}
		f.AddReservation(wire.Reservation{TableIDs: []string{tables[rnd.IntN(len(tables))]},
			Start: start, Duration: wire.Duration(2 * time.Hour), Guests: 2 + rnd.IntN(3),
			Name: "Гость", Phone: fmt.Sprintf("+7916%07d", rnd.IntN(10_000_000))})
	case 3:
		if len(reserves) > 0 {
			f.CancelReservation(reserves[rnd.IntN(len(reserves))])
		}
	}
}
