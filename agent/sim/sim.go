// Package sim is a simulated venue: a deterministic RMS that implements
// agent.Connector and agent.ReservationWriter without any real system behind
// it. The demo, the end-to-end tests and the benchmarks run the agent on it.
//
// A model, driven by a random generator seeded from Config.Seed, keeps fixed
// halls and tables and makes a fixed number of changes per step: it opens and
// closes orders, changes guest counts, takes phone reservations and cancels
// them. Step k happens at simulated time Start + k*Step, and Snapshot shows
// the step the clock has reached, so the state changes as time passes and is
// always the same for the same seed and step. Reservations written through
// the writer are kept beside the model, optionally in a state file.
package sim

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/shared/wire"
)

// Defaults for the zero fields of a Config.
const (
	DefaultHalls          = 2
	DefaultTables         = 20
	DefaultStep           = time.Second
	DefaultChangesPerStep = 5
)

// MaxTables bounds Config.Tables.
const MaxTables = 10_000

// Config describes a simulated venue. The zero value is valid: two halls,
// twenty tables, five changes a second from the moment New is called.
type Config struct {
	// Seed chooses the venue: equal seeds give equal layouts and changes.
	Seed int64
	// Halls is the number of halls; 0 means DefaultHalls.
	Halls int
	// Tables is the number of tables, spread over the halls; 0 means
	// DefaultTables. Every hall needs at least one.
	Tables int
	// Start is simulated time zero; the zero time means when New is called.
	Start time.Time
	// Step is the time between two steps of the model; 0 means DefaultStep.
	Step time.Duration
	// ChangesPerStep is how many entities the model changes in each step;
	// 0 means DefaultChangesPerStep. It may not exceed Tables.
	ChangesPerStep int
	// Steps stops the model after this many steps; 0 means it never stops.
	Steps int
	// StateFile keeps the reservations created through the writer across
	// restarts (JSON, replaced atomically). Empty keeps them in memory.
	StateFile string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// RefuseEvery makes every n-th new reservation request refused, as if
	// a phone booking had taken the table a moment before (0: never). It
	// lets tests and the demo show a refusal on demand.
	RefuseEvery int
}

// Venue is a simulated venue. It is safe for concurrent use.
type Venue struct {
	cfg   Config // with defaults applied; Start in UTC
	now   func() time.Time
	maxed bool // cfg.Steps caps the model

	mu      sync.Mutex
	model   *model             // guarded by mu; advanced lazily
	down    error              // guarded by mu
	created map[string]*record // guarded by mu; by booking id
	asked   int                // guarded by mu; new reservation requests seen
}

var (
	_ agent.Connector          = (*Venue)(nil)
	_ agent.ReservationWriter  = (*Venue)(nil)
	_ agent.ReservationUpdater = (*Venue)(nil)
)

// New checks cfg, reporting every invalid field at once, and returns the
// venue at step 0. With a StateFile it loads the reservations created
// earlier; a file that cannot be read or does not fit the venue is an error
// naming the file.
func New(cfg Config) (*Venue, error) {
	if err := cfg.withDefaults(); err != nil {
		return nil, err
	}
	v := &Venue{
		cfg:     cfg,
		now:     cfg.Now,
		maxed:   cfg.Steps > 0,
		created: make(map[string]*record),
	}
	v.model = v.newModel()
	if cfg.StateFile != "" {
		if err := v.load(); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// withDefaults fills in zero fields and checks the rest.
func (c *Config) withDefaults() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("sim config: "+format, args...))
	}
	if c.Halls < 0 {
		bad("Halls is %d, want 0 (default %d) or more", c.Halls, DefaultHalls)
	}
	if c.Tables < 0 || c.Tables > MaxTables {
		bad("Tables is %d, want 0 (default %d) to %d", c.Tables, DefaultTables, MaxTables)
	}
	if c.Step < 0 {
		bad("Step is %v, want 0 (default %v) or more", c.Step, DefaultStep)
	}
	if c.ChangesPerStep < 0 {
		bad("ChangesPerStep is %d, want 0 (default %d) or more",
			c.ChangesPerStep, DefaultChangesPerStep)
	}
	if c.RefuseEvery < 0 {
		bad("RefuseEvery is %d, want 0 (never) or more", c.RefuseEvery)
	}
	if c.Steps < 0 {
		bad("Steps is %d, want 0 (no end) or more", c.Steps)
	}

	if c.Halls == 0 {
		c.Halls = DefaultHalls
	}
	if c.Tables == 0 {
		c.Tables = DefaultTables
	}
	if c.Step == 0 {
		c.Step = DefaultStep
	}
	if c.ChangesPerStep == 0 {
		c.ChangesPerStep = DefaultChangesPerStep
	}
	if c.Tables > 0 && c.Halls > c.Tables {
		bad("Halls is %d but Tables is %d: every hall needs a table", c.Halls, c.Tables)
	}
	if c.Tables > 0 && c.ChangesPerStep > c.Tables {
		bad("ChangesPerStep is %d, want at most Tables (%d)", c.ChangesPerStep, c.Tables)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}

	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Start.IsZero() {
		c.Start = c.Now()
	}
	c.Start = c.Start.UTC()
	return nil
}

func (v *Venue) newModel() *model {
	c := v.cfg
	return newModel(c.Seed, c.Halls, c.Tables, c.Start, c.Step, c.ChangesPerStep)
}

// Kind returns "sim".
func (v *Venue) Kind() string { return "sim" }

// CurrentStep returns the step the clock has reached: floor((Now-Start)/Step),
// at least 0 and, when Config.Steps is set, at most Steps.
func (v *Venue) CurrentStep() int {
	d := v.now().Sub(v.cfg.Start)
	if d < 0 {
		return 0
	}
	return v.capped(int(d / v.cfg.Step))
}

func (v *Venue) capped(n int) int {
	if n < 0 {
		return 0
	}
	if v.maxed && n > v.cfg.Steps {
		return v.cfg.Steps
	}
	return n
}

// Snapshot returns the state at CurrentStep: the model's entities plus
// the reservations created through the writer that are not cancelled and
// not over yet at that step's simulated time. Slices are ordered by id, so
// equal steps give equal states. While the venue is down (SetDown) it
// returns that error; a done ctx returns ctx.Err().
func (v *Venue) Snapshot(ctx context.Context) (agent.State, error) {
	if err := ctx.Err(); err != nil {
		return agent.State{}, err
	}
	n := v.CurrentStep()

	v.mu.Lock()
	defer v.mu.Unlock()
	if v.down != nil {
		return agent.State{}, v.down
	}
	s := v.modelAt(n).state()

	at := time.Unix(stepTime(v.cfg.Start, v.cfg.Step, n), 0)
	for _, rec := range v.created {
		if rec.live() && rec.end().After(at) {
			s.Reservations = append(s.Reservations, rec.clone())
		}
	}
	slices.SortFunc(s.Reservations, func(a, b wire.Reservation) int {
		return strings.Compare(a.ID, b.ID)
	})
	return s, nil
}

// StateAt returns the model alone (no created reservations) at step n,
// capped to [0, Config.Steps] like CurrentStep. It is deterministic: the
// same seed and n give the same state. Calls with growing n advance one
// cached model; a smaller n than the last replays the model from the seed
// (about a millisecond per thousand steps).
func (v *Venue) StateAt(n int) agent.State {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.modelAt(v.capped(n)).state()
}

// modelAt returns the model advanced to step n. v.mu must be held.
func (v *Venue) modelAt(n int) *model {
	if n < v.model.n {
		v.model = v.newModel()
	}
	v.model.advanceTo(n)
	return v.model
}

// ChangesAt returns how many entity changes the model made in steps 1..n.
// Each step changes ChangesPerStep entities, none of them twice, so
// ChangesAt(n)-ChangesAt(n-1) is exactly the number of events
// agent.Diff gives between the items of StateAt(n-1) and StateAt(n).
func (v *Venue) ChangesAt(n int) int {
	return v.capped(n) * v.cfg.ChangesPerStep
}

// SetDown makes the venue's RMS unreachable: while err is non-nil, Snapshot,
// CreateReservation and CancelReservation return err. SetDown(nil) brings it
// back; the model went on meanwhile.
func (v *Venue) SetDown(err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.down = err
}
