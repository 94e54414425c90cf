package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

// watched is a venue whose mirror the demo tells about.
type watched struct {
	id, name string
	tables   map[string]string // id -> number, for plain words
	orders   map[string]wire.Order
	res      map[string]wire.Reservation
	seen     bool
}

// narrate tells, every two seconds, what changed in each venue's mirror
// on the hub, in plain words, until ctx ends.
func narrate(ctx context.Context, out io.Writer, base, key string, venues []*watched) {
	moscow, _ := time.LoadLocation("Europe/Moscow")
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(2 * time.Second):
		}
		for _, v := range venues {
			var st hub.VenueState
			if err := getJSON(base+"/api/v1/venues/"+v.id+"/state", key, &st); err != nil {
				continue
			}
			for _, line := range v.update(st, moscow) {
				fmt.Fprintf(out, "%s  %s: %s\n", time.Now().Format("15:04:05"), v.name, line)
			}
		}
	}
}

// update takes the venue's new mirror and returns what changed.
func (v *watched) update(st hub.VenueState, zone *time.Location) []string {
	first := !v.seen
	v.seen = true
	v.tables = map[string]string{}
	for _, t := range st.Tables {
		v.tables[t.ID] = t.Number
	}
	var lines []string
	if first {
		lines = append(lines, fmt.Sprintf("the hub mirrors %d halls, %d tables, %d open orders, "+
			"%d reservations", len(st.Halls), len(st.Tables), len(st.Orders), len(st.Reservations)))
	}
	orders := map[string]wire.Order{}
	for _, o := range st.Orders {
		orders[o.ID] = o
		if _, ok := v.orders[o.ID]; !ok && !first {
			lines = append(lines, fmt.Sprintf("guests sat down at table %s (an order opened)",
				v.numbers(o.TableIDs)))
		}
	}
	for id, o := range v.orders {
		if _, ok := orders[id]; !ok {
			lines = append(lines, fmt.Sprintf("table %s is free again (the order was paid)",
				v.numbers(o.TableIDs)))
		}
	}
	res := map[string]wire.Reservation{}
	for _, r := range st.Reservations {
		res[r.ID] = r
		was, ok := v.res[r.ID]
		switch {
		case first:
		case !ok && r.BookingID != "":
			lines = append(lines, fmt.Sprintf("the RMS now holds the Stolik booking for %s, "+
				"table %s", r.Start.In(zone).Format("02.01 15:04"), v.numbers(r.TableIDs)))
		case !ok:
			lines = append(lines, fmt.Sprintf("a phone booking for %d at %s appeared, table %s",
				r.Guests, r.Start.In(zone).Format("02.01 15:04"), v.numbers(r.TableIDs)))
		case was.Status != r.Status && r.Status == wire.ReservationCancelled:
			lines = append(lines, fmt.Sprintf("the booking at %s, table %s, was cancelled",
				r.Start.In(zone).Format("02.01 15:04"), v.numbers(r.TableIDs)))
		}
	}
	for id, r := range v.res {
		if _, ok := res[id]; !ok {
			lines = append(lines, fmt.Sprintf("the booking at %s, table %s, is gone from the RMS "+
				"(cancelled)", r.Start.In(zone).Format("02.01 15:04"), v.numbers(r.TableIDs)))
		}
	}
	v.orders, v.res = orders, res
	slices.Sort(lines)
	return lines
}

func (v *watched) numbers(ids []string) string {
	if len(ids) == 0 {
		return "not given by the RMS"
	}
	var n []string
	for _, id := range ids {
		if num := v.tables[id]; num != "" {
			n = append(n, num)
		} else {
			n = append(n, short(id))
		}
	}
	return strings.Join(n, "+")
}

// getJSON reads url with the API key and decodes its answer into v.
func getJSON(url, key string, v any) error {
	c := http.Client{Timeout: 2 * time.Second}
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	r, err := c.Do(req)
	if err != nil {
		return err
	}
	defer r.Body.Close()
	if r.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, r.Status)
	}
	return json.NewDecoder(r.Body).Decode(v)
}
