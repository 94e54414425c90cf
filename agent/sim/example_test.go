package sim_test

import (
	"context"
	"fmt"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/agent/sim"
	"github.com/stolik/stolik/shared/wire"
)

// A venue on a fixed clock: the agent polls Snapshot and diffs it.
func Example() {
	t0 := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	v, err := sim.New(sim.Config{
		Seed:  42,
		Start: t0,
		Now:   func() time.Time { return t0.Add(90 * time.Second) },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := v.Snapshot(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	before, _ := v.StateAt(89).Items()
	after, _ := s.Items()
	prev := map[string][]byte{}
	for _, it := range before {
		prev[wire.Key(it.Entity, it.ID)] = it.Data
	}
	fmt.Println("step", v.CurrentStep(), "tables", len(s.Tables))
	fmt.Println("events in the last step:", len(agent.Diff(prev, after)))
	fmt.Println("changes so far:", v.ChangesAt(v.CurrentStep()))
	// Output:
	// step 90 tables 20
	// events in the last step: 5
	// changes so far: 450
}
