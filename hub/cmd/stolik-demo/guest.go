package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/web"
)

// guestAPI is the demo's scripted guest: it books through the hub's
// booking API, as a guest app or the bot would, with an API key.
type guestAPI struct {
	base, key string
	client    *http.Client
}

func newGuestAPI(base, key string) *guestAPI {
	return &guestAPI{base: base, key: key, client: &http.Client{Timeout: 10 * time.Second}}
}

// call sends a request and decodes a 2xx answer into out; any other
// answer is an error carrying the hub's words.
func (g *guestAPI) call(ctx context.Context, method, path string, body, out any,
	header ...string) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, g.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+g.key)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := g.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(b))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

// slots returns the free start times for a party on the venue's local date.
func (g *guestAPI) slots(ctx context.Context, venueID, date string, party int) ([]web.SlotView, error) {
	var a web.AvailabilityResponse
	q := url.Values{"date": {date}, "party": {fmt.Sprint(party)}}
	err := g.call(ctx, http.MethodGet, "/api/v1/venues/"+venueID+"/availability?"+q.Encode(), nil, &a)
	return a.Slots, err
}

// book asks for a table and confirms at once: the hub then asks the
// restaurant's RMS.
func (g *guestAPI) book(ctx context.Context, venueID string, start time.Time, party int,
	name, phone, key string) (hub.Booking, error) {
	var b hub.Booking
	err := g.call(ctx, http.MethodPost, "/api/v1/venues/"+venueID+"/bookings",
		web.CreateBookingRequest{Start: start, Party: party, Name: name, Phone: phone,
			Comment: "demo", Confirm: true}, &b, "Idempotency-Key", key)
	return b, err
}

func (g *guestAPI) booking(ctx context.Context, id string) (hub.Booking, error) {
	var b hub.Booking
	err := g.call(ctx, http.MethodGet, "/api/v1/bookings/"+id, nil, &b)
	return b, err
}

// settle waits until the booking leaves the states where it waits for
// the restaurant, and returns it.
func (g *guestAPI) settle(ctx context.Context, id string, within time.Duration) (hub.Booking, error) {
	deadline := time.Now().Add(within)
	for {
		b, err := g.booking(ctx, id)
		if err == nil && !slices.Contains([]hub.BookingState{hub.BookingHeld,
			hub.BookingRequested}, b.State) {
			return b, nil
		}
		if time.Now().After(deadline) {
			return b, fmt.Errorf("booking %s still %s after %v", id, b.State, within)
		}
		select {
		case <-ctx.Done():
			return b, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func (g *guestAPI) cancel(ctx context.Context, id, reason string) (hub.Booking, error) {
	var b hub.Booking
	err := g.call(ctx, http.MethodPost, "/api/v1/bookings/"+id+"/cancel",
		web.ReasonRequest{Reason: reason}, &b)
	return b, err
}

func (g *guestAPI) alternatives(ctx context.Context, id string) ([]web.SlotView, error) {
	var a web.AlternativesResponse
	err := g.call(ctx, http.MethodGet, "/api/v1/bookings/"+id+"/alternatives", nil, &a)
	return a.Alternatives, err
}

// tableNumbers returns the venue's table numbers by table id, as staff
// know them.
func (g *guestAPI) tableNumbers(ctx context.Context, venueID string) map[string]string {
	var list []hub.Table
	nums := map[string]string{}
	if err := g.call(ctx, http.MethodGet, "/api/v1/venues/"+venueID+"/tables", nil, &list); err != nil {
		return nums
	}
	for _, t := range list {
		nums[t.ID] = t.Number
	}
	return nums
}

// mirrored reports whether the hub's mirror of the venue holds a
// reservation on one of tables starting at start that is not booking
// bookingID.
func (g *guestAPI) mirrored(ctx context.Context, venueID string, tables []string,
	start time.Time, bookingID string) bool {
	var st hub.VenueState
	if err := g.call(ctx, http.MethodGet, "/api/v1/venues/"+venueID+"/state", nil, &st); err != nil {
		return false
	}
	for _, r := range st.Reservations {
		if r.BookingID != bookingID && r.Start.Equal(start) &&
			slices.ContainsFunc(r.TableIDs, func(id string) bool { return slices.Contains(tables, id) }) {
			return true
		}
	}
	return false
}
