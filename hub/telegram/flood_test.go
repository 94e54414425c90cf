package telegram

import (
	"testing"
	"time"
)

func TestFlood(t *testing.T) {
	var f flood
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	for i := range floodUpdates {
		if !f.allow(1, now) {
			t.Fatalf("update %d refused within the limit", i+1)
		}
	}
	if f.allow(1, now) {
		t.Error("an update over the limit was allowed")
	}
	if !f.allow(2, now) {
		t.Error("another user was refused")
	}
	if !f.allow(1, now.Add(floodWindow+time.Second)) {
		t.Error("an update in the next window was refused")
	}
}
