package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
)

// TestNoticesOnVenuePage: the bot's staff notices are listed on their
// venue's page until staff press done; the form needs its CSRF token, and
// staff of another venue can neither see nor finish them.
func TestNoticesOnVenuePage(t *testing.T) {
	h := newLiveHub(t)
	ctx := context.Background()
	now := time.Now().UTC()
	start := time.Date(2026, time.July, 11, 16, 30, 0, 0, time.UTC) // 19:30 in Moscow
	late := hub.Notice{ID: "late/bkg_1", VenueID: "ven_a", Kind: hub.NoticeLate,
		BookingID: "bkg_1", GuestName: "Анна", Party: 3, Wanted: start, CreatedAt: now}
	large := hub.Notice{ID: "large/0f1e", VenueID: "ven_a", Kind: hub.NoticeLargeParty,
		GuestName: "Глеб", Phone: "+79161234567", Comment: "у окна", Party: 12,
		CreatedAt: now.Add(time.Second)}
	other := hub.Notice{ID: "late/bkg_b", VenueID: "ven_b", Kind: hub.NoticeLate,
		BookingID: "bkg_b", GuestName: "Ольга", Party: 2, Wanted: start, CreatedAt: now}
	till := hub.Notice{ID: "till/bkg_2", VenueID: "ven_a", Kind: hub.NoticeTillTask,
		BookingID: "bkg_2", GuestName: "Пётр", Party: 2, Wanted: start,
		Comment: "reservation P-4411, table 5: no cancel call", CreatedAt: now.Add(2 * time.Second)}
	for _, n := range []hub.Notice{late, large, other, till} {
		mustDo(t, h.store.PutNotice(ctx, n))
	}
	staff, staffB := h.signIn("staff@a.ru"), h.signIn("staff@b.ru")

	code, body := staff.get("/venues/ven_a")
	if code != http.StatusOK || !strings.Contains(body, `data-notice="late/bkg_1"`) ||
		!strings.Contains(body, "Running late: Анна, 3 guests, booked for 11.07 19:30") ||
		!strings.Contains(body, "Large party request: Глеб, 12 guests") ||
		!strings.Contains(body, "Cancel at the till: booking bkg_2, Пётр, 2 guests, 11.07 19:30; "+
			"reservation P-4411, table 5: no cancel call") ||
		!strings.Contains(body, `Call <a href="tel:&#43;79161234567">&#43;79161234567</a>. «у окна»`) ||
		strings.Contains(body, "Ольга") {
		t.Fatalf("venue page: %d, want A's two notices and not B's:\n%s", code, body)
	}

	done := func(b *browser, venue, id string, form url.Values) int {
		t.Helper()
		form.Set("notice", id)
		code, _ := b.post("/venues/"+venue+"/notices/done", form)
		return code
	}
	for name, form := range map[string]url.Values{
		"no token": {}, "another session's": {"csrf": {staffB.csrf}},
	} {
		if code := done(staff, "ven_a", late.ID, form); code != http.StatusForbidden {
			t.Errorf("done with %s = %d, want 403", name, code)
		}
	}
	// Staff of B: not through A's page, nor by naming A's notice on B's.
	if code := done(staffB, "ven_a", late.ID, staffB.form()); code != http.StatusNotFound {
		t.Errorf("done at venue A by staff of B = %d, want 404", code)
	}
	if code := done(staffB, "ven_b", late.ID, staffB.form()); code != http.StatusNotFound {
		t.Errorf("done of A's notice through venue B = %d, want 404", code)
	}
	if code := done(staff, "ven_a", other.ID, staff.form()); code != http.StatusNotFound {
		t.Errorf("done of B's notice through venue A = %d, want 404", code)
	}
	if got, _ := h.store.VenueNotices(ctx, "ven_a"); len(got) != 3 {
		t.Fatalf("A's notices after refused presses = %+v, want all three open", got)
	}
	if got, _ := h.store.VenueNotices(ctx, "ven_b"); len(got) != 1 {
		t.Fatalf("B's notices after A's staff tried = %+v, want it open", got)
	}

	if code := done(staff, "ven_a", late.ID, staff.form()); code != http.StatusSeeOther {
		t.Errorf("done with the token = %d, want 303", code)
	}
	_, body = staff.get("/venues/ven_a")
	if strings.Contains(body, "Running late: Анна") ||
		!strings.Contains(body, "Large party request: Глеб") {
		t.Errorf("venue page after done still shows the late guest, or lost the other "+
			"notice:\n%s", body)
	}
	for _, id := range []string{large.ID, till.ID} {
		if code := done(staff, "ven_a", id, staff.form()); code != http.StatusSeeOther {
			t.Errorf("done of notice %s = %d, want 303", id, code)
		}
	}
	if _, body = staff.get("/venues/ven_a"); strings.Contains(body, `id="notices"`) {
		t.Errorf("the notices section stays with every notice done:\n%s", body)
	}
}
