package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// TestCreateVenueInChain: support creates a venue in a chain on the
// dashboard; a chain id that cannot go into the bot's link is refused.
func TestCreateVenueInChain(t *testing.T) {
	h := newLiveHub(t)
	sup := h.signIn("support@stolik.ru")
	r, err := sup.c.PostForm(h.srv.URL+"/venues", sup.form("name", "Гриль на Арбате",
		"time_zone", "Europe/Moscow", "mode", "manual", "chain", "grill"))
	mustDo(t, err)
	r.Body.Close()
	loc := r.Header.Get("Location")
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/venues/ven_") {
		t.Fatalf("create venue = %d to %q", r.StatusCode, loc)
	}
	v, err := h.store.Venue(context.Background(), strings.TrimPrefix(loc, "/venues/"))
	mustDo(t, err)
	if v.Chain != "grill" {
		t.Errorf("venue's chain %q, want grill", v.Chain)
	}
	r, err = sup.c.PostForm(h.srv.URL+"/venues", sup.form("name", "Гриль 2", "chain",
		"Гриль!"))
	mustDo(t, err)
	r.Body.Close()
	if loc := r.Header.Get("Location"); !strings.Contains(loc, "error=") {
		t.Errorf("a bad chain id went to %q, want the venues page with an error", loc)
	}
	venues, err := h.store.Venues(context.Background())
	mustDo(t, err)
	for _, v := range venues {
		if v.Name == "Гриль 2" {
			t.Error("a venue with a bad chain id was created")
		}
	}
}
