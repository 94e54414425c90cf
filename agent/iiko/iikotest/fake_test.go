package iikotest_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stolik/stolik/agent/iiko/iikotest"
)

func TestActivity(t *testing.T) {
	f := iikotest.New(iikotest.Options{})
	t.Cleanup(f.Close)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.Activity(ctx, rand.New(rand.NewPCG(1, 2)), time.Millisecond)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for len(f.Reservations()) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("no phone reservations after 5 s of activity")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
}
