package booking

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

// Defaults for policy fields left zero.
const (
	DefaultSlotStep       = 15 * time.Minute
	DefaultHorizon        = 30 * 24 * time.Hour
	DefaultMinLead        = 30 * time.Minute
	DefaultHoldTTL        = 5 * time.Minute
	DefaultConfirmTimeout = 10 * time.Minute
	DefaultPauseAfter     = 5 * time.Minute
)

// NoShowGrace is how long after its start a confirmed booking waits for
// the guests before it counts as a no-show, and how late an order opened on
// its tables still counts as the guests arriving.
const NoShowGrace = 15 * time.Minute

// EarlyArrival is how long before its start an order opened on a booking's
// tables counts as the guests arriving.
const EarlyArrival = 30 * time.Minute

// Effective returns p with every zero field that has a default set to it
// (see the package documentation). The engine applies it itself; the API
// shows it so staff see the rules in force.
func Effective(p hub.Policy) hub.Policy {
	def := func(d *wire.Duration, v time.Duration) {
		if *d <= 0 {
			*d = wire.Duration(v)
		}
	}
	def(&p.SlotStep, DefaultSlotStep)
	def(&p.Horizon, DefaultHorizon)
	def(&p.MinLead, DefaultMinLead)
	def(&p.HoldTTL, DefaultHoldTTL)
	def(&p.ConfirmTimeout, DefaultConfirmTimeout)
	def(&p.PauseAfter, DefaultPauseAfter)
	return p
}

// ValidatePolicy reports every problem in a policy at once, each naming its
// field, joined and wrapping ErrPolicy; nil when the policy is usable.
func ValidatePolicy(p hub.Policy) error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	for _, d := range []struct {
		field string
		v     wire.Duration
	}{
		{"slot_step", p.SlotStep}, {"buffer", p.Buffer}, {"min_lead", p.MinLead},
		{"horizon", p.Horizon}, {"hold_ttl", p.HoldTTL},
		{"confirm_timeout", p.ConfirmTimeout}, {"cancel_cutoff", p.CancelCutoff},
		{"pause_after", p.PauseAfter},
	} {
		if d.v < 0 {
			bad(d.field, "must not be negative")
		}
	}
	if s := time.Duration(p.SlotStep); s != 0 && (s < time.Minute || s > 24*time.Hour) {
		bad("slot_step", "must be between 1m and 24h")
	}
	for _, n := range []struct {
		field string
		v     int
	}{
		{"max_online_party", p.MaxOnlineParty}, {"pacing", p.Pacing},
		{"max_active_per_guest", p.MaxActivePerGuest},
	} {
		if n.v < 0 {
			bad(n.field, "must not be negative")
		}
	}
	for i, t := range p.TurnTimes {
		if t.MaxParty < 1 || t.Duration <= 0 {
			bad(fmt.Sprintf("turn_times[%d]", i), "needs a max_party of at least 1 and a "+
				"positive duration")
		}
		if i > 0 && t.MaxParty <= p.TurnTimes[i-1].MaxParty {
			bad(fmt.Sprintf("turn_times[%d]", i), "max_party must grow from entry to entry")
		}
	}
	errs = append(errs, validateServices("services", p.Services)...)
	seen := make(map[string]bool)
	for i, e := range p.Exceptions {
		field := fmt.Sprintf("exceptions[%d]", i)
		if _, err := ParseDate(e.Date); err != nil {
			bad(field+".date", "%v", err)
		}
		if seen[e.Date] {
			bad(field+".date", "%s is listed twice", e.Date)
		}
		seen[e.Date] = true
		if e.Closed && len(e.Services) > 0 {
			bad(field, "a closed day has no services")
		}
		errs = append(errs, validateServices(field+".services", e.Services)...)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrPolicy, err)
	}
	return nil
}

func validateServices(field string, list []hub.Service) []error {
	var errs []error
	for i, s := range list {
		f := fmt.Sprintf("%s[%d]", field, i)
		if s.Weekday < time.Sunday || s.Weekday > time.Saturday {
			errs = append(errs, fmt.Errorf("%s.weekday: %d is not 0 (Sunday) to 6", f, s.Weekday))
		}
		if _, err := parseClock(s.Open); err != nil {
			errs = append(errs, fmt.Errorf("%s.open: %w", f, err))
		}
		if _, err := parseClock(s.Close); err != nil {
			errs = append(errs, fmt.Errorf("%s.close: %w", f, err))
		}
	}
	return errs
}

// period is one service on one date, as instants.
type period struct {
	name        string
	open, close time.Time
}

// hours returns the services that open on date d, ordered by open time. A
// date with an exception takes the exception's services, or none when it
// is closed or lists none. A venue closed that day is ErrClosed, with the
// exception's note when it has one.
func hours(p hub.Policy, zone *time.Location, d Date) ([]period, error) {
	list, note, found := []hub.Service(nil), "", false
	for _, e := range p.Exceptions {
		if ed, err := ParseDate(e.Date); err == nil && ed == d {
			found, note = true, e.Note
			if !e.Closed {
				list = e.Services
			}
			break
		}
	}
	if !found {
		for _, s := range p.Services {
			if s.Weekday == d.Weekday() {
				list = append(list, s)
			}
		}
	}

	var out []period
	for _, s := range list {
		open, err1 := parseClock(s.Open)
		closing, err2 := parseClock(s.Close)
		if err1 != nil || err2 != nil {
			continue // ValidatePolicy refuses such policies; skip, never guess
		}
		if closing <= open {
			closing += 24 * 60
		}
		out = append(out, period{name: s.Name, open: localTime(d, open, zone),
			close: localTime(d, closing, zone)})
	}
	if len(out) == 0 {
		if note != "" {
			note = ": " + note
		}
		return nil, fmt.Errorf("%w on %s, %s%s", ErrClosed, weekdayName(d), d, note)
	}
	slices.SortFunc(out, func(a, b period) int {
		return cmp.Or(a.open.Compare(b.open), a.close.Compare(b.close))
	})
	return out, nil
}

func weekdayName(d Date) string { return strings.ToLower(d.Weekday().String()) }

// describe writes opening hours for a message, such as "12:00–16:00,
// 18:00–02:00".
func describe(list []period, zone *time.Location) string {
	var b strings.Builder
	for i, p := range list {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p.open.In(zone).Format("15:04") + "–" + p.close.In(zone).Format("15:04"))
	}
	return b.String()
}
