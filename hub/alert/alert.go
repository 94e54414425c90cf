// Package alert tells support when an agent is in trouble: offline (the
// hub has not heard from it) or unhealthy (connected, but it cannot read
// its RMS) for longer than a threshold, and again when it is well.
//
// An Evaluator checks every agent against the store: an agent is offline
// when its last-seen time is older than Options.OfflineAfter (the gateway
// writes it at least every 30 seconds while the agent is connected, on any
// replica), and unhealthy when its connector reports an error, counted from
// its last successful RMS read. An agent that never connected is neither.
//
// Flooding is avoided three ways. Each spell of trouble is one incident,
// kept in the store (hub.Store.PutIncident), so one alert is sent when it
// opens and one when it is resolved, whichever replica checks and however
// often the hub restarts. An incident is resolved only after the agent has
// stayed well for Options.Cooldown; trouble again within it continues the
// same incident silently (an agent that flaps sends two messages, not
// two per flap). And when one check opens (or resolves) more than
// Options.SummaryOver incidents, they go out as one message listing them.
//
// The check runs as a scheduled job (JobEvaluate) that schedules its next
// run, so one replica at a time runs it. Its ids name the time slot it
// runs in, so replicas that each schedule a first run, or a chain that ran
// late, converge on one job per slot.
package alert

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/stolik/stolik/hub"
)

// JobEvaluate is the kind of the job that checks the agents.
const JobEvaluate = "alerts.evaluate"

// Defaults for Options.
const (
	DefaultOfflineAfter   = 5 * time.Minute
	DefaultUnhealthyAfter = 10 * time.Minute
	DefaultCooldown       = 10 * time.Minute
	DefaultInterval       = 30 * time.Second
	DefaultSummaryOver    = 3
)

// Options tune an Evaluator. Zero values take the defaults; a negative
// Cooldown means none.
type Options struct {
	// OfflineAfter is how long an agent may go unheard before it is
	// offline.
	OfflineAfter time.Duration
	// UnhealthyAfter is how long an agent may fail to read its RMS before
	// support is alerted.
	UnhealthyAfter time.Duration
	// Cooldown is how long an agent must stay well before its incident is
	// resolved.
	Cooldown time.Duration
	// Interval is how often the job checks.
	Interval time.Duration
	// SummaryOver: more incidents than this opened (or resolved) by one
	// check are sent as one message.
	SummaryOver int
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger receives what an operator needs; nil discards.
	Logger *slog.Logger
}

// Evaluator checks agents and alerts support. It keeps nothing in memory:
// a new Evaluator on the same store goes on where the last one stopped.
type Evaluator struct {
	store  hub.Store
	notify Notifier
	opts   Options
	log    *slog.Logger
}

// New returns an evaluator over store that sends alerts through n.
func New(store hub.Store, n Notifier, opts Options) *Evaluator {
	if opts.OfflineAfter <= 0 {
		opts.OfflineAfter = DefaultOfflineAfter
	}
	if opts.UnhealthyAfter <= 0 {
		opts.UnhealthyAfter = DefaultUnhealthyAfter
	}
	if opts.Cooldown == 0 {
		opts.Cooldown = DefaultCooldown
	}
	opts.Cooldown = max(opts.Cooldown, 0)
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.SummaryOver <= 0 {
		opts.SummaryOver = DefaultSummaryOver
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Evaluator{store: store, notify: n, opts: opts, log: opts.Logger}
}

// Report says what one check did.
type Report struct {
	// Opened and Resolved are the incidents alerted about.
	Opened, Resolved []hub.Incident
	// Messages counts the messages sent.
	Messages int
}

// verdict is what a check finds about one kind of trouble of one agent.
type verdict int

const (
	unknown verdict = iota // nothing can be said: leave incidents as they are
	well
	trouble
)

// finding is a check's verdict with, for trouble, since when and why.
type finding struct {
	verdict verdict
	since   time.Time
	detail  string
}

// check looks at one kind of trouble of agent a at now.
func (e *Evaluator) check(a hub.Agent, kind hub.IncidentKind, now time.Time) finding {
	seen := a.Status.LastSeen
	if seen.IsZero() {
		return finding{} // never connected: not installed yet
	}
	offline := now.Sub(seen) >= e.opts.OfflineAfter
	switch kind {
	case hub.IncidentOffline:
		if offline {
			return finding{verdict: trouble, since: seen}
		}
		return finding{verdict: well}
	case hub.IncidentUnhealthy:
		if offline {
			return finding{} // its RMS may be fine; we cannot know
		}
		h := a.Status.Health
		if h.OK || h.Error == "" {
			return finding{verdict: well}
		}
		since := h.LastSuccess
		if since.IsZero() {
			since = a.CreatedAt // it never read its RMS
		}
		return finding{verdict: trouble, since: since, detail: h.Error}
	}
	return finding{}
}

// threshold is how long trouble of kind lasts before an incident opens.
func (e *Evaluator) threshold(kind hub.IncidentKind) time.Duration {
	if kind == hub.IncidentUnhealthy {
		return e.opts.UnhealthyAfter
	}
	return 0 // offline is only found past OfflineAfter
}

// incidentID names the incident of an agent's trouble of kind that began
// at since: a check that runs again (after a crash, on another replica)
// finds the same id, and so sends the same Notifier keys.
func incidentID(agentID string, kind hub.IncidentKind, since time.Time) string {
	return fmt.Sprintf("inc_%s_%s_%d", agentID, kind, since.Unix())
}

// newID returns incidentID, made unique against a resolved incident of
// the same trouble (the same since, as when a connector's error cleared
// without a successful read, then came back).
func (e *Evaluator) newID(ctx context.Context, agentID string, kind hub.IncidentKind,
	since time.Time) (string, error) {
	base := incidentID(agentID, kind, since)
	id := base
	for range 100 {
		old, err := e.store.Incident(ctx, id)
		switch {
		case errors.Is(err, hub.ErrNotFound):
			return id, nil
		case err != nil:
			return "", fmt.Errorf("check agents: %w", err)
		case old.Open():
			return id, nil // stored by a check that raced this one
		}
		id = fmt.Sprintf("%s_%d", base, old.ResolvedAt.UnixNano())
	}
	return "", fmt.Errorf("check agents: no free incident id after %s", id)
}

var kinds = []hub.IncidentKind{hub.IncidentOffline, hub.IncidentUnhealthy}

type openKey struct {
	agent string
	kind  hub.IncidentKind
}

// Evaluate checks every agent once: it opens incidents for trouble past
// its threshold, resolves those of agents well for the cooldown (or
// revoked), and alerts support of both. An incident is stored only once
// its alert was taken; on an error the next check tries again.
func (e *Evaluator) Evaluate(ctx context.Context) (Report, error) {
	now := e.opts.Now().UTC()
	agents, err := e.store.Agents(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("check agents: %w", err)
	}
	venues, err := e.store.Venues(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("check agents: %w", err)
	}
	names := make(map[string]string, len(venues))
	for _, v := range venues {
		names[v.ID] = v.Name
	}
	list, err := e.store.OpenIncidents(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("check agents: %w", err)
	}
	p, err := e.plan(ctx, agents, list, now)
	if err != nil {
		return Report{}, err
	}

	var errs []error
	for _, in := range p.quiet {
		if err := e.store.PutIncident(ctx, in); err != nil {
			errs = append(errs, err)
		}
	}
	rep := Report{}
	n, err := e.send(ctx, p.opened, true, names, now, &rep.Opened)
	rep.Messages += n
	errs = append(errs, err)
	n, err = e.send(ctx, p.resolved, false, names, now, &rep.Resolved)
	rep.Messages += n
	errs = append(errs, err)
	return rep, errors.Join(errs...)
}

// plan is what one check does: incidents to open and to resolve (each
// with an alert), and open ones to update without one.
type plan struct {
	opened, resolved, quiet []hub.Incident
}

// plan decides, for each agent and kind of trouble, what becomes of its
// open incident, if any, given what check finds at now.
func (e *Evaluator) plan(ctx context.Context, agents []hub.Agent, openList []hub.Incident,
	now time.Time) (plan, error) {
	open := make(map[openKey]hub.Incident, len(openList))
	for _, in := range openList {
		open[openKey{in.AgentID, in.Kind}] = in
	}
	var p plan
	for _, a := range agents {
		if a.RevokedAt != nil {
			continue // its incidents are resolved below
		}
		for _, kind := range kinds {
			k := openKey{a.ID, kind}
			in, isOpen := open[k]
			delete(open, k)
			f := e.check(a, kind, now)
			switch {
			case f.verdict == unknown:
			case isOpen:
				e.follow(&p, in, f, now)
			case f.verdict == trouble && now.Sub(f.since) >= e.threshold(kind):
				id, err := e.newID(ctx, a.ID, kind, f.since)
				if err != nil {
					return plan{}, err
				}
				p.opened = append(p.opened, hub.Incident{ID: id, AgentID: a.ID,
					VenueID: a.VenueID, Kind: kind, Since: f.since, OpenedAt: now,
					Detail: f.detail})
			}
		}
	}
	// What is left belongs to revoked or unknown agents.
	for _, in := range open {
		in.ResolvedAt = now
		in.Detail = detailRevoked
		p.resolved = append(p.resolved, in)
	}
	byAgent := func(a, b hub.Incident) int {
		return cmp.Or(cmp.Compare(a.AgentID, b.AgentID), cmp.Compare(a.Kind, b.Kind))
	}
	slices.SortFunc(p.opened, byAgent)
	slices.SortFunc(p.resolved, byAgent)
	return p, nil
}

// detailRevoked is the Detail of an incident closed by a revoke.
const detailRevoked = "agent revoked"

// follow adds to p what becomes of open incident in, given f. Trouble
// back within the cooldown continues it silently; being well starts the
// cooldown, and at its end resolves it.
func (e *Evaluator) follow(p *plan, in hub.Incident, f finding, now time.Time) {
	if f.verdict == trouble {
		if !in.ClearedAt.IsZero() || in.Detail != f.detail {
			in.ClearedAt, in.Detail = time.Time{}, f.detail
			p.quiet = append(p.quiet, in)
		}
		return
	}
	started := in.ClearedAt.IsZero()
	if started {
		in.ClearedAt = now
	}
	switch {
	case now.Sub(in.ClearedAt) >= e.opts.Cooldown:
		in.ResolvedAt = now
		p.resolved = append(p.resolved, in)
	case started:
		p.quiet = append(p.quiet, in)
	}
}

// send alerts support of incidents opened (open) or resolved, one message
// each or one summary, and stores each incident whose alert was taken in
// done. It returns how many messages it sent.
func (e *Evaluator) send(ctx context.Context, list []hub.Incident, open bool,
	names map[string]string, now time.Time, done *[]hub.Incident) (int, error) {
	if len(list) == 0 {
		return 0, nil
	}
	sent := 0
	var errs []error
	if len(list) > e.opts.SummaryOver {
		key, text := summary(list, open, names, now)
		if err := e.notify.Notify(ctx, key, text); err != nil {
			return 0, fmt.Errorf("send alert summary: %w", err)
		}
		sent++
		for _, in := range list {
			if err := e.record(ctx, in, open); err != nil {
				errs = append(errs, err)
				continue
			}
			*done = append(*done, in)
		}
		return sent, errors.Join(errs...)
	}
	for _, in := range list {
		key, text := message(in, open, names, now)
		if err := e.notify.Notify(ctx, key, text); err != nil {
			errs = append(errs, fmt.Errorf("send alert %s: %w", key, err))
			continue
		}
		sent++
		if err := e.record(ctx, in, open); err != nil {
			errs = append(errs, err)
			continue
		}
		*done = append(*done, in)
	}
	return sent, errors.Join(errs...)
}

// record stores an incident whose alert was taken, and logs it. Another
// replica that opened the same trouble first (ErrExists) is no error.
func (e *Evaluator) record(ctx context.Context, in hub.Incident, open bool) error {
	err := e.store.PutIncident(ctx, in)
	if errors.Is(err, hub.ErrExists) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("record incident: %w", err)
	}
	if open {
		e.log.Warn("incident opened", "incident", in.ID, "agent", in.AgentID,
			"venue", in.VenueID, "kind", in.Kind, "since", in.Since, "detail", in.Detail)
	} else {
		e.log.Info("incident resolved", "incident", in.ID, "agent", in.AgentID,
			"venue", in.VenueID, "kind", in.Kind, "lasted", in.ResolvedAt.Sub(in.Since))
	}
	return nil
}
