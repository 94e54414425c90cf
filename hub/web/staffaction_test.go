package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/hub/bolt"
	"github.com/stolik/stolik/hub/desk"
	"github.com/stolik/stolik/hub/web"
	"github.com/stolik/stolik/shared/wire"
)

// failingCommands is a store whose commands cannot be enqueued: the desk
// holds and moves bookings but cannot send them to the RMS.
type failingCommands struct{ hub.Store }

func (failingCommands) EnqueueCommand(context.Context, hub.Command) error {
	return errors.New("database is read-only")
}

// staffVenue is a hub whose one venue (ven_1, API mode, a connected agent
// that writes reservations, two tables) is served to a signed-in staff
// member, with a desk that cannot enqueue commands.
func staffVenue(t *testing.T) (*browser, hub.Store) {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "hub.db"), bolt.Options{})
	mustDo(t, err)
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	now := time.Now().UTC()
	mustDo(t, st.CreateVenue(ctx, hub.Venue{ID: "ven_1", Name: "Пушкин", TimeZone: zoneName,
		Mode: hub.ModeAPI, Policy: openHours(), CreatedAt: now}))
	mustDo(t, st.CreateAgent(ctx, hub.Agent{ID: "agt_1", VenueID: "ven_1",
		SecretHash: hub.HashSecret("s"), CreatedAt: now}))
	mustDo(t, st.UpdateAgentStatus(ctx, "agt_1", hub.AgentStatus{Connector: "iiko",
		Capabilities: []string{"reservations.write"}, LastSeen: now,
		Health: wire.ConnectorHealth{OK: true, LastSuccess: now}}))
	var events []wire.Event
	for i := range 2 {
		id := fmt.Sprintf("t-%d", i+1)
		data, _ := json.Marshal(wire.Table{ID: id, HallID: "h-1", Number: id, Seats: 4})
		events = append(events, wire.Event{Seq: uint64(i + 1), Entity: wire.EntityTable,
			ID: id, Op: wire.OpUpsert, Data: data})
	}
	_, err = st.ApplyBatch(ctx, "agt_1", events)
	mustDo(t, err)
	hash, err := web.HashPassword(password, 4)
	mustDo(t, err)
	mustDo(t, st.CreateUser(ctx, hub.User{ID: "usr_1", Email: "staff@pushkin.ru",
		PasswordHash: hash, Role: hub.RoleStaff, VenueIDs: []string{"ven_1"}, Lang: "en",
		CreatedAt: now}))

	live := allLive{since: now}
	api := web.New(st, live, quietLog())
	api.SetOptions(web.Options{BcryptCost: 4})
	api.SetDesk(desk.New(failingCommands{st}, live, desk.Options{Logger: quietLog()}))
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	h := &liveHub{t: t, store: st, srv: srv}
	return h.signIn("staff@pushkin.ru"), st
}

// TestPhoneBookingNotConfirmedShown: a phone booking the desk holds but
// cannot confirm (its command to the RMS fails) sends staff back with the
// failure on the page, not as if it had worked.
func TestPhoneBookingNotConfirmedShown(t *testing.T) {
	b, st := staffVenue(t)
	tomorrow := time.Now().In(mustZone(t, zoneName)).AddDate(0, 0, 1).Format("2006-01-02")
	code, _ := b.post("/venues/ven_1/bookings", b.form("start", tomorrow+"T12:00",
		"party", "2", "name", "Анна", "phone", "+79990001122"))
	if code != http.StatusSeeOther {
		t.Fatalf("phone booking: %d, want 303", code)
	}
	loc := b.lastLocation
	if !strings.Contains(loc, "error=") {
		t.Fatalf("sent back to %q, want an error shown", loc)
	}
	_, page := b.get(loc)
	if !strings.Contains(page, `class="error" role="alert"`) ||
		!strings.Contains(page, "held, but not confirmed") ||
		!strings.Contains(page, "read-only") {
		t.Errorf("venue page does not show why the booking was not confirmed:\n%s", page)
	}
	list, err := st.Bookings(context.Background(), hub.BookingQuery{VenueID: "ven_1"})
	mustDo(t, err)
	if len(list) != 1 || list[0].State == hub.BookingConfirmed {
		t.Errorf("bookings %+v, want one, not confirmed", list)
	}
}

// TestDeclineReason: the venue page offers a reason and words of one's
// own for declining or cancelling; the desk records them on the booking
// (what the guest is told), and the page shows them.
func TestDeclineReason(t *testing.T) {
	b, st := staffVenue(t)
	ctx := context.Background()
	tomorrow := time.Now().In(mustZone(t, zoneName)).AddDate(0, 0, 1).Format("2006-01-02")
	for _, name := range []string{"Анна", "Борис", "Вера"} {
		b.post("/venues/ven_1/bookings", b.form("start", tomorrow+"T12:00", "party", "2",
			"name", name))
	}
	list, err := st.Bookings(ctx, hub.BookingQuery{VenueID: "ven_1"})
	mustDo(t, err)
	if len(list) < 2 {
		t.Fatalf("%d bookings, want 2 or more", len(list))
	}
	_, page := b.get("/venues/ven_1?date=" + tomorrow)
	for _, want := range []string{`<label for="reason-` + list[0].ID + `"`,
		`<select id="reason-` + list[0].ID + `" name="reason">`,
		`<option value="Fully booked at that time">Fully booked at that time</option>`,
		`<label for="note-` + list[0].ID + `"`,
		`formaction="/bookings/` + list[0].ID + `/decline"`} {
		if !strings.Contains(page, want) {
			t.Errorf("venue page lacks %s", want)
		}
	}

	cases := []struct {
		action, reason, note, want string
	}{
		{"decline", "Fully booked at that time", "  try   Sunday ", "Fully booked at that time: try Sunday"},
		// A reason not offered is dropped: the desk records its own word.
		{"cancel", "made up by a client", "", "cancelled"},
	}
	for i, c := range cases {
		id := list[i].ID
		code, _ := b.post("/bookings/"+id+"/"+c.action, b.form("reason", c.reason, "note", c.note))
		if code != http.StatusSeeOther || strings.Contains(b.lastLocation, "error=") {
			t.Fatalf("%s: %d to %s", c.action, code, b.lastLocation)
		}
		got, err := st.Booking(ctx, id)
		mustDo(t, err)
		if got.State.Active() || got.Reason != c.want {
			t.Errorf("%s: state %s, reason %q; want ended, reason %q", c.action, got.State,
				got.Reason, c.want)
		}
	}
	_, page = b.get("/venues/ven_1?date=" + tomorrow)
	if !strings.Contains(page, "(Fully booked at that time: try Sunday)") {
		t.Error("venue page does not show the reason a booking was declined")
	}
}
