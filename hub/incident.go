package hub

import (
	"errors"
	"fmt"
	"time"
)

// IncidentKind says what is wrong with an agent.
type IncidentKind string

// Incident kinds.
const (
	// IncidentOffline: the hub has not heard from the agent.
	IncidentOffline IncidentKind = "offline"
	// IncidentUnhealthy: the agent is connected but cannot read its RMS.
	IncidentUnhealthy IncidentKind = "unhealthy"
)

// Incident is one spell of trouble with one agent that support was alerted
// to: opened when the trouble lasted past a threshold, resolved when it
// was over for long enough. An agent has at most one unresolved incident
// of each kind.
type Incident struct {
	ID      string       `json:"id"`
	AgentID string       `json:"agent_id"`
	VenueID string       `json:"venue_id"`
	Kind    IncidentKind `json:"kind"`
	// Since is when the trouble began, as far as the hub knows: the
	// agent's last sign of life, or its last successful RMS read.
	Since time.Time `json:"since"`
	// OpenedAt is when the incident was opened and support alerted.
	OpenedAt time.Time `json:"opened_at"`
	// ClearedAt is when the trouble last went away while the incident is
	// still open (it is resolved once the agent stays well long enough);
	// zero while the trouble lasts.
	ClearedAt time.Time `json:"cleared_at,omitzero"`
	// ResolvedAt is when the incident was closed; zero while open.
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	// Detail is what support is told, such as the connector's error.
	Detail string `json:"detail,omitempty"`
}

// Open reports whether the incident is not resolved yet.
func (in Incident) Open() bool { return in.ResolvedAt.IsZero() }

// Validate checks what every store requires of an incident.
func (in Incident) Validate() error {
	var errs []error
	if in.ID == "" || in.AgentID == "" {
		errs = append(errs, errors.New("id and agent are required"))
	}
	if in.Kind != IncidentOffline && in.Kind != IncidentUnhealthy {
		errs = append(errs, fmt.Errorf("kind %q is neither %q nor %q", in.Kind,
			IncidentOffline, IncidentUnhealthy))
	}
	if in.OpenedAt.IsZero() {
		errs = append(errs, errors.New("opened_at is required"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w incident %q: %w", ErrInvalid, in.ID, err)
	}
	return nil
}
