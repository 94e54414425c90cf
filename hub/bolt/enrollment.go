package bolt

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/stolik/stolik/hub"
	"go.etcd.io/bbolt"
)

// enrollmentRecord is an enrollment code as kept in the enrollments bucket,
// under its hash.
type enrollmentRecord struct {
	hub.Enrollment
	UsedAt  time.Time `json:"used_at,omitzero"`
	AgentID string    `json:"agent_id,omitempty"`
}

// CreateEnrollment stores a one-time code's hash for a venue; hub.ErrExists
// if the hash is taken, hub.ErrNotFound for an unknown venue.
func (s *Store) CreateEnrollment(ctx context.Context, e hub.Enrollment) error {
	if len(e.CodeHash) == 0 || e.VenueID == "" {
		return fmt.Errorf("create enrollment of venue %q: empty code hash or venue", e.VenueID)
	}
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		if err := venueExists(tx, e.VenueID); err != nil {
			return err
		}
		codes := tx.Bucket(bucketEnrollments)
		if codes.Get(e.CodeHash) != nil {
			return hub.ErrExists
		}
		raw, err := json.Marshal(enrollmentRecord{Enrollment: e})
		if err != nil {
			return err
		}
		return codes.Put(e.CodeHash, raw)
	})
	if err != nil {
		return fmt.Errorf("create enrollment of venue %q: %w", e.VenueID, err)
	}
	return nil
}

// RedeemEnrollment uses the code with hash codeHash at now: in one
// transaction it marks the code used and creates agent a at the code's
// venue (whatever a.VenueID says), and returns the agent. An unknown or used
// code, or one whose Expires is not after now, is hub.ErrEnrollment; an
// agent id that is taken is hub.ErrExists and leaves the code unused.
func (s *Store) RedeemEnrollment(ctx context.Context, codeHash []byte, now time.Time,
	a hub.Agent) (hub.Agent, error) {
	if a.ID == "" {
		return hub.Agent{}, fmt.Errorf("redeem enrollment: agent: %w", errEmptyID)
	}
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		codes := tx.Bucket(bucketEnrollments)
		raw := codes.Get(codeHash)
		if raw == nil {
			return hub.ErrEnrollment
		}
		var r enrollmentRecord
		if err := json.Unmarshal(raw, &r); err != nil {
			return fmt.Errorf("decode enrollment: %w", err)
		}
		if !r.UsedAt.IsZero() || !now.Before(r.Expires) {
			return hub.ErrEnrollment
		}

		a.VenueID = r.VenueID
		if err := createAgent(tx, a); err != nil {
			return fmt.Errorf("agent %q: %w", a.ID, err)
		}
		r.UsedAt, r.AgentID = now, a.ID
		raw, err := json.Marshal(r)
		if err != nil {
			return err
		}
		return codes.Put(codeHash, raw)
	})
	if err != nil {
		return hub.Agent{}, fmt.Errorf("redeem enrollment: %w", err)
	}
	return a, nil
}
