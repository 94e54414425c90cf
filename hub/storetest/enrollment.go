package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stolik/stolik/hub"
)

// testEnrollment exchanges one-time codes for agents.
func testEnrollment(t *testing.T, s hub.Store) {
	ctx := context.Background()
	v := createVenue(t, s, "ven_1")
	enroll := func(code string, expires time.Time) hub.Enrollment {
		e := hub.Enrollment{CodeHash: hub.HashSecret(code), VenueID: v.ID, Expires: expires,
			CreatedAt: t0}
		wantErr(t, "create enrollment "+code, s.CreateEnrollment(ctx, e), nil)
		return e
	}
	agent := func(id string) hub.Agent {
		return hub.Agent{ID: id, SecretHash: hub.HashSecret("secret of " + id),
			CreatedAt: t0.Add(time.Minute)}
	}
	redeem := func(code string, at time.Duration, a hub.Agent, target error) hub.Agent {
		t.Helper()
		got, err := s.RedeemEnrollment(ctx, hub.HashSecret(code), t0.Add(at), a)
		wantErr(t, "redeem "+code+" for "+a.ID, err, target)
		return got
	}

	e1 := enroll("code-1", t0.Add(time.Hour))
	wantErr(t, "create enrollment twice", s.CreateEnrollment(ctx, e1), hub.ErrExists)
	wantErr(t, "create enrollment at unknown venue", s.CreateEnrollment(ctx, hub.Enrollment{
		CodeHash: hub.HashSecret("code-x"), VenueID: "ven_missing", Expires: t0.Add(time.Hour),
	}), hub.ErrNotFound)
	if err := s.CreateEnrollment(ctx, hub.Enrollment{VenueID: v.ID}); err == nil {
		t.Error("no error creating an enrollment without a code hash")
	}

	// The agent joins the code's venue, whatever venue it names.
	a1 := agent("agt_1")
	a1.VenueID = "ven_other"
	got := redeem("code-1", 30*time.Minute, a1, nil)
	a1.VenueID = v.ID
	diff(t, "redeemed agent", got, a1)
	diff(t, "stored agent", getAgent(t, s, a1.ID), a1)

	redeem("code-1", 31*time.Minute, agent("agt_2"), hub.ErrEnrollment)
	redeem("code-unknown", 0, agent("agt_2"), hub.ErrEnrollment)
	enroll("code-2", t0.Add(time.Hour))
	redeem("code-2", time.Hour, agent("agt_2"), hub.ErrEnrollment) // expired at the instant
	_, err := s.Agent(ctx, "agt_2")
	wantErr(t, "agent of a refused code", err, hub.ErrNotFound)

	// An agent id that is taken fails the redeem and leaves the code
	// usable.
	enroll("code-3", t0.Add(time.Hour))
	redeem("code-3", 0, agent(a1.ID), hub.ErrExists)
	diff(t, "agent after a redeem under its id", getAgent(t, s, a1.ID), a1)
	a3 := agent("agt_3")
	got = redeem("code-3", time.Minute, a3, nil)
	a3.VenueID = v.ID
	diff(t, "agent of the retried code", got, a3)
}

// testEnrollmentRace redeems one code from 16 goroutines at once: exactly
// one agent is created.
func testEnrollmentRace(t *testing.T, s hub.Store) {
	const n = 16
	v := createVenue(t, s, "ven_1")
	e := hub.Enrollment{CodeHash: hub.HashSecret("code"), VenueID: v.ID,
		Expires: t0.Add(time.Hour), CreatedAt: t0}
	wantErr(t, "create enrollment", s.CreateEnrollment(context.Background(), e), nil)

	errs := make([]error, n)
	together(n, func(i int) {
		a := hub.Agent{ID: fmt.Sprintf("agt_%02d", i), CreatedAt: t0}
		_, errs[i] = s.RedeemEnrollment(context.Background(), e.CodeHash, t0, a)
	})
	winners := 0
	for i, err := range errs {
		switch {
		case err == nil:
			winners++
		case !errors.Is(err, hub.ErrEnrollment):
			t.Errorf("goroutine %d: %v, want hub.ErrEnrollment", i, err)
		}
	}
	agents, err := s.Agents(context.Background())
	wantErr(t, "list agents", err, nil)
	if winners != 1 || len(agents) != 1 {
		t.Errorf("%d redeems won and %d agents exist, want 1 and 1", winners, len(agents))
	}
}
