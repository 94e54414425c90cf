package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/bolt"
	"github.com/stolik/stolik/hub/desk"
	"github.com/stolik/stolik/hub/postgres"
	"github.com/stolik/stolik/hub/postgres/pgtest"
	"github.com/stolik/stolik/hub/web"
	"github.com/stolik/stolik/shared/wire"
)

// idleFleet is a gateway with no agent connected: a manual venue needs none.
type idleFleet struct{}

func (idleFleet) Live(string) hub.Live { return hub.Live{} }
func (idleFleet) Poke(string)          {}
func (idleFleet) Disconnect(string)    {}

// BenchmarkBookingAPI has 32 clients book, through the HTTP API, 20 tables
// of a manual venue over the next day, every client trying the same 48
// starts in the same order, on both stores. It reports attempts/s and
// checks afterwards that no two active bookings overlap.
func BenchmarkBookingAPI(b *testing.B) {
	b.Run("bolt", func(b *testing.B) {
		s, err := bolt.Open(filepath.Join(b.TempDir(), "hub.db"), bolt.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		benchBookingAPI(b, s)
	})
	b.Run("postgres", func(b *testing.B) {
		s, err := postgres.Open(context.Background(), postgres.Config{URL: pgtest.URL(b), MaxConns: 32})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		benchBookingAPI(b, s)
	})
}

func benchBookingAPI(b *testing.B, s hub.Store) {
	const clients, tables = 32, 20
	ctx := context.Background()
	now := time.Now().UTC()
	var services []hub.Service
	for d := time.Sunday; d <= time.Saturday; d++ {
		services = append(services, hub.Service{Weekday: d, Open: "10:00", Close: "23:00"})
	}
	v := hub.Venue{ID: "ven_1", Name: "Bench", TimeZone: "UTC", Mode: hub.ModeManual,
		CreatedAt: now, Policy: hub.Policy{Services: services, MinLead: wire.Duration(time.Minute),
			TurnTimes: []hub.TurnTime{{MaxParty: 8, Duration: wire.Duration(time.Hour)}}}}
	if err := s.CreateVenue(ctx, v); err != nil {
		b.Fatal(err)
	}
	// Manual venues have no mirror: the tables come from the hub's
	// settings, so give the venue an agent-free mirror through a batch.
	if err := s.CreateAgent(ctx, hub.Agent{ID: "agt_1", VenueID: v.ID,
		SecretHash: hub.HashSecret("s"), CreatedAt: now}); err != nil {
		b.Fatal(err)
	}
	var events []wire.Event
	for i := 1; i <= tables; i++ {
		id := fmt.Sprintf("t-%02d", i)
		data, _ := json.Marshal(wire.Table{ID: id, HallID: "h-1", Number: fmt.Sprint(i), Seats: 4})
		events = append(events, wire.Event{Seq: uint64(i), Entity: wire.EntityTable, ID: id,
			Op: wire.OpUpsert, Data: data})
	}
	if _, err := s.ApplyBatch(ctx, "agt_1", events); err != nil {
		b.Fatal(err)
	}
	key := "bench-key"
	if err := s.CreateAPIKey(ctx, hub.APIKey{ID: "key_1", KeyHash: hub.HashSecret(key),
		VenueIDs: []string{v.ID}, CreatedAt: now}); err != nil {
		b.Fatal(err)
	}

	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	api := web.New(s, idleFleet{}, quiet)
	api.SetDesk(desk.New(s, idleFleet{}, desk.Options{Logger: quiet}))
	srv := httptest.NewServer(api)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}

	day := now.Truncate(24 * time.Hour).Add(24 * time.Hour)
	var attempts, wins atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	begin := time.Now()
	for c := range clients {
		wg.Go(func() {
			// 48 starts, 10:00 to 21:45: the last seating is an hour
			// before closing.
			for i := 0; i < 48*b.N; i++ {
				start := day.Add(10*time.Hour + time.Duration(i%48)*15*time.Minute)
				body, _ := json.Marshal(map[string]any{"start": start, "party": 2,
					"name": fmt.Sprint("guest ", c), "channel": "api"})
				req, _ := http.NewRequest("POST", srv.URL+"/api/v1/venues/ven_1/bookings",
					bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+key)
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				attempts.Add(1)
				switch resp.StatusCode {
				case http.StatusCreated:
					wins.Add(1)
				case http.StatusConflict:
				default:
					b.Errorf("book %v: %s", start, resp.Status)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(begin)
	b.StopTimer()

	list, err := s.Bookings(ctx, hub.BookingQuery{VenueID: v.ID})
	if err != nil {
		b.Fatal(err)
	}
	overlaps := 0
	for i, x := range list {
		for _, y := range list[i+1:] {
			if !x.State.Active() || !y.State.Active() || !x.Start.Before(y.End) ||
				!y.Start.Before(x.End) {
				continue
			}
			for _, t := range x.TableIDs {
				for _, u := range y.TableIDs {
					if t == u {
						overlaps++
					}
				}
			}
		}
	}
	if overlaps > 0 {
		b.Errorf("%d overlapping active bookings", overlaps)
	}
	b.ReportMetric(float64(attempts.Load())/elapsed.Seconds(), "attempts/s")
	b.ReportMetric(float64(wins.Load()), "bookings")
	b.ReportMetric(float64(overlaps), "overlaps")
}
