package quickrestotest_test

import (
	"context"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/stolik/stolik/agent/quickresto/quickrestotest"
)

func TestRefusesWithoutCredentials(t *testing.T) {
	f, err := quickrestotest.New(quickrestotest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	resp, err := http.Get(f.URL() + quickrestotest.ListPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || f.Requests() != 1 {
		t.Errorf("status %d after %d requests, want 401 after 1", resp.StatusCode, f.Requests())
	}
}

func TestActivityFlipsTables(t *testing.T) {
	f, err := quickrestotest.New(quickrestotest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.Activity(ctx, rand.New(rand.NewPCG(1, 2)), time.Millisecond)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		busy := 0
		for _, tb := range f.Tables() {
			if tb.Busy {
				busy++
			}
		}
		if busy > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no table busy after 5s of activity")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
}
