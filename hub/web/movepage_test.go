package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/shared/wire"
)

// TestMoveFormOnVenuePage: the venue page offers a move per booking; the
// form moves it (CSRF like the other forms); staff of another venue are
// refused as if the booking did not exist.
func TestMoveFormOnVenuePage(t *testing.T) {
	h := newLiveHub(t)
	ctx := context.Background()
	var events []wire.Event
	for i, id := range []string{"t1", "t2"} {
		data, _ := json.Marshal(wire.Table{ID: id, HallID: "h1", Number: id, Seats: 4})
		events = append(events, wire.Event{Seq: uint64(i + 1), Entity: wire.EntityTable, ID: id,
			Op: wire.OpUpsert, Data: data})
	}
	_, err := h.store.ApplyBatch(ctx, "agt_a", events)
	mustDo(t, err)
	b := h.booking("bkg_a", "ven_a", "t1")
	zone := mustZone(t, "Europe/Moscow")
	day := b.Start.In(zone).Format(time.DateOnly)
	want, err := time.ParseInLocation("2006-01-02 15:04", day+" 19:30", zone)
	mustDo(t, err)

	staff := h.signIn("staff@a.ru")
	_, page := staff.get("/venues/ven_a?date=" + day)
	for _, s := range []string{`action="/bookings/bkg_a/move"`, `<label for="move-time-bkg_a"`,
		`<select id="move-table-bkg_a" name="table">`, `<option value="t2">t2 (4 seats)</option>`} {
		if !strings.Contains(page, s) {
			t.Errorf("venue page lacks %s", s)
		}
	}

	move := url.Values{"time": {"19:30"}, "table": {"t2"}}
	other := h.signIn("staff@b.ru")
	if code, _ := other.post("/bookings/bkg_a/move", other.form("time", "19:30",
		"table", "t2")); code != http.StatusNotFound {
		t.Errorf("staff of another venue moving = %d, want 404", code)
	}
	if code, _ := staff.post("/bookings/bkg_a/move", move); code != http.StatusForbidden {
		t.Errorf("move without the CSRF token = %d, want 403", code)
	}
	if got, _ := h.store.Booking(ctx, "bkg_a"); !got.Start.Equal(b.Start) {
		t.Fatalf("refused moves moved the booking to %v", got.Start)
	}

	code, _ := staff.post("/bookings/bkg_a/move", staff.form("time", "19:30", "table", "t2"))
	if code != http.StatusSeeOther || strings.Contains(staff.lastLocation, "error=") {
		t.Fatalf("move: %d to %s", code, staff.lastLocation)
	}
	got, err := h.store.Booking(ctx, "bkg_a")
	mustDo(t, err)
	if !got.Start.Equal(want) || !slices.Equal(got.TableIDs, []string{"t2"}) ||
		got.End.Sub(got.Start) != b.End.Sub(b.Start) {
		t.Errorf("after the move: %v %v–%v, want t2 at %v", got.TableIDs, got.Start, got.End, want)
	}
	hist, err := h.store.BookingHistory(ctx, "bkg_a")
	mustDo(t, err)
	if last := hist[len(hist)-1]; !strings.HasPrefix(last.Actor, "staff:") {
		t.Errorf("the move is recorded as %q's, want the staff member's", last.Actor)
	}

	// Nothing to move, and a bad time, say so.
	for _, f := range [][]string{{"time", "19:30"}, {"time", "half past seven"}} {
		staff.post("/bookings/bkg_a/move", staff.form(f...))
		if !strings.Contains(staff.lastLocation, "error=Not+moved") &&
			!strings.Contains(staff.lastLocation, "error=Not%20moved") {
			t.Errorf("form %v sent back to %s, want Not moved", f, staff.lastLocation)
		}
	}
}
