package iiko_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/iiko/iikotest"
)

// Russian numbers typed without "+" reach iiko as +7XXXXXXXXXX; numbers
// whose country cannot be told are refused before any call.
func TestPhoneWithoutPlus(t *testing.T) {
	f := newFake(t, iikotest.Options{})
	c := newConnector(t, config(f))
	table := snap(t, c).Tables[0].ID
	ctx := context.Background()

	for i, phone := range []string{"89161234567", "79161234567", "8 (916) 123-45-67",
		"7-916-123-45-67", " 8 916 123 45 67 ", "+7 (916) 123-45-67"} {
		req := request(table, "bk_phone_"+string(rune('a'+i)))
		req.Phone = phone
		req.Start = req.Start.Add(time.Duration(3*i) * time.Duration(req.Duration))
		if _, err := c.CreateReservation(ctx, req); err != nil {
			t.Errorf("phone %q: %v", phone, err)
			continue
		}
		if got := f.LastRequest("reserve/create")["phone"]; got != "+79161234567" {
			t.Errorf("phone %q reached iiko as %v, want +79161234567", phone, got)
		}
	}

	before := f.Counts()["reserve/create"]
	for _, phone := range []string{"9161234567", "69161234567", "891612345678", "8916123456a",
		"8-916", "++79161234567", "тел. 89161234567"} {
		req := request(table, "bk_bad_phone")
		req.Phone = phone
		_, err := c.CreateReservation(ctx, req)
		if !errors.Is(err, agent.ErrRefused) || !strings.Contains(err.Error(), "phone number") {
			t.Errorf("phone %q: %v, want a refusal about the phone number", phone, err)
		}
	}
	if n := f.Counts()["reserve/create"] - before; n != 0 {
		t.Errorf("%d create calls for bad phones, want 0", n)
	}
}
