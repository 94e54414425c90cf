package rkeepertest_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stolik/stolik/agent/rkeeper"
	"github.com/stolik/stolik/agent/rkeeper/rkeepertest"
)

func TestActivityChangesTheVenue(t *testing.T) {
	f, err := rkeepertest.New(rkeepertest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := rkeeper.New(rkeeper.Config{URL: f.URL(), User: f.User(), Password: f.Password(),
		CertSHA256: f.Fingerprint(), Location: f.Location(), Manager: "1", DeleteReason: "1"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.Activity(ctx, rand.New(rand.NewPCG(1, 2)), time.Millisecond)
	}()
	defer func() { cancel(); <-done }()

	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := c.Snapshot(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Orders) > 0 && len(st.Reservations) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10s of activity: %d orders, %d reservations; want some of each",
				len(st.Orders), len(st.Reservations))
		}
		time.Sleep(5 * time.Millisecond)
	}
}
