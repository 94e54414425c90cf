package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/stolik/stolik/agent/files"
	"github.com/stolik/stolik/agent/files/filestest"
	"github.com/stolik/stolik/agent/iiko/iikotest"
	"github.com/stolik/stolik/agent/poster/postertest"
	"github.com/stolik/stolik/agent/quickresto/quickrestotest"
	"github.com/stolik/stolik/agent/rkeeper/rkeepertest"
	"github.com/stolik/stolik/shared/wire"
)

// rms is a fake restaurant system the demo serves on loopback: the same
// fakes the connectors' tests use, with staff and guests at the till.
type rms struct {
	// kind is the connector's name; product is what a restaurant calls it.
	kind, product string
	// venue is the restaurant's name on the hub.
	venue string
	// connector is the agent config's connector section.
	connector string
	// phoneBooking records a booking made at the till, as staff do when a
	// guest calls.
	phoneBooking func(tables []string, start time.Time, d time.Duration, name string) error
	// reservations lists what the till holds now.
	reservations func() []wire.Reservation
	// activity runs walk-ins and phone bookings until ctx ends.
	activity func(ctx context.Context)
	close    func()
}

func startIiko(seed uint64) *rms {
	f := iikotest.New(iikotest.Options{Halls: 2, Tables: 10, InProgressPolls: 2})
	o := f.Options()
	return &rms{
		kind: "iiko", product: "iiko", venue: "Демо: ресторан «Пушкин» (iiko)",
		connector: fmt.Sprintf("connector:\n  kind: iiko\n  iiko: {base_url: %q, api_key: %q, "+
			"app_id: %q, client_secret: %q, time_zone: Europe/Moscow}\n",
			f.URL(), o.APIKey, o.AppID, o.ClientSecret),
		phoneBooking: func(tables []string, start time.Time, d time.Duration, name string) error {
			f.AddReservation(wire.Reservation{TableIDs: tables, Start: start,
				Duration: wire.Duration(d), Guests: 2, Name: name, Phone: "+79035550101"})
			return nil
		},
		reservations: f.Reservations,
		activity: func(ctx context.Context) {
			f.Activity(ctx, rand.New(rand.NewPCG(seed, 1)), 4*time.Second)
		},
		close: f.Close,
	}
}

func startRKeeper(seed uint64) (*rms, error) {
	f, err := rkeepertest.New(rkeepertest.Options{Halls: 2, TablesPerHall: 5})
	if err != nil {
		return nil, err
	}
	return &rms{
		kind: "rkeeper", product: "R-Keeper", venue: "Демо: бар «Гусь» (R-Keeper)",
		connector: fmt.Sprintf("connector:\n  kind: rkeeper\n  rkeeper: {url: %q, user: %q, "+
			"password: %q, cert_sha256: %q, time_zone: Europe/Moscow, station: \"1\", "+
			"waiter: \"17\", manager: \"3\", delete_reason: \"2\"}\n",
			f.URL(), f.User(), f.Password(), f.Fingerprint()),
		phoneBooking: func(tables []string, start time.Time, d time.Duration, name string) error {
			_, err := f.AddReservation(wire.Reservation{TableIDs: tables, Start: start,
				Duration: wire.Duration(d), Guests: 2, Name: name, Phone: "+79035550102"})
			return err
		},
		reservations: f.Reservations,
		activity: func(ctx context.Context) {
			f.Activity(ctx, rand.New(rand.NewPCG(seed, 2)), 5*time.Second)
		},
		close: f.Close,
	}, nil
}

// holding returns the reservation the till holds for a hub booking, if
// any: found by the booking id the connector wrote, or else by table and
// start.
func (r *rms) holding(bookingID string, tables []string, start time.Time) (wire.Reservation, bool) {
	for _, res := range r.reservations() {
		if res.Status == wire.ReservationCancelled {
			continue
		}
		if res.BookingID == bookingID || (res.Start.Equal(start) &&
			slices.Equal(slices.Sorted(slices.Values(res.TableIDs)),
				slices.Sorted(slices.Values(tables)))) {
			return res, true
		}
	}
	return wire.Reservation{}, false
}

// moreKinds are the connectors --more can add a venue on, beside the two
// the guest books at.
var moreKinds = []string{"poster", "quickresto", "files", "sqlread"}

// startMore starts a fake for one more venue on kind. dir is where a file
// exchange venue keeps its folder. A venue the machine cannot run
// (sqlread without PostgreSQL) returns a skipped error.
func startMore(kind, dir string, seed uint64) (*rms, error) {
	switch kind {
	case "sqlread":
		return startSQLRead(dir, seed)
	case "poster":
		f, err := postertest.New(postertest.Options{Halls: 2, TablesPerHall: 4})
		if err != nil {
			return nil, err
		}
		return &rms{kind: kind, product: "Poster", venue: "Демо: кофейня «Зерно» (Poster)",
			connector: fmt.Sprintf("connector:\n  kind: poster\n  poster: {base_url: %q, "+
				"token: %q, time_zone: Europe/Moscow}\n", f.URL(), f.Token()),
			reservations: f.Reservations,
			activity: func(ctx context.Context) {
				f.Activity(ctx, rand.New(rand.NewPCG(seed, 3)), 5*time.Second)
			},
			close: f.Close,
		}, nil
	case "quickresto":
		o := quickrestotest.Options{Login: "cafe", Password: "secret", Halls: 2, TablesPerHall: 4}
		f, err := quickrestotest.New(o)
		if err != nil {
			return nil, err
		}
		return &rms{kind: kind, product: "Quick Resto",
			venue: "Демо: бистро «Щи» (Quick Resto, staff confirm)",
			connector: fmt.Sprintf("connector:\n  kind: quickresto\n  quickresto: {base_url: %q, "+
				"login: %q, password: %q}\n", f.URL(), o.Login, o.Password),
			reservations: func() []wire.Reservation { return nil },
			activity: func(ctx context.Context) {
				f.Activity(ctx, rand.New(rand.NewPCG(seed, 4)), 5*time.Second)
			},
			close: f.Close,
		}, nil
	case "files":
		// Absolute: the agent reads a relative folder from beside its config.
		exchange, err := filepath.Abs(filepath.Join(dir, "exchange"))
		if err != nil {
			return nil, err
		}
		cfg := files.Config{Dir: exchange, Preset: "generic-csv",
			TimeZone: "Europe/Moscow", ConfirmWait: 30 * time.Second}
		e, err := filestest.New(cfg, filestest.Layout{Halls: 2, Tables: 8})
		if err != nil {
			return nil, err
		}
		return &rms{kind: kind, product: "file exchange",
			venue: "Демо: столовая «Ложка» (exports and imports files)",
			connector: fmt.Sprintf("connector:\n  kind: files\n  files: {dir: %q, "+
				"preset: generic-csv, time_zone: Europe/Moscow}\n", cfg.Dir),
			reservations: func() []wire.Reservation { return nil },
			activity: func(ctx context.Context) {
				go e.Run(ctx, time.Second)
				e.Activity(ctx, rand.New(rand.NewPCG(seed, 5)), 6*time.Second)
			},
			close: func() {},
		}, nil
	}
	return nil, fmt.Errorf("--more %s: the demo can add %s", kind, strings.Join(moreKinds, ", "))
}
