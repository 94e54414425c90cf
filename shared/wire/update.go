package wire

import (
	"encoding/json"
	"fmt"
	"time"
)

// CommandUpdateReservation moves a reservation the RMS holds to another
// start time, duration or tables (body: UpdateRequest). An OK result's body
// is the Reservation as the RMS holds it afterwards. An agent built before
// this command answers CodeUnsupported, as for any kind it does not know.
const CommandUpdateReservation CommandKind = "reservation.update"

// Bounds of an UpdateRequest.
const (
	// MaxUpdateTables is the most tables one reservation is moved to.
	MaxUpdateTables = 20
	// MaxUpdateDuration is the longest duration an update may set.
	MaxUpdateDuration = 24 * time.Hour
)

// UpdateRequest is the body of a CommandUpdateReservation. The zero value
// of Start, Duration and TableIDs means "keep as it is"; at least one of
// them is set.
type UpdateRequest struct {
	// BookingID is the hub's booking; ReservationID the RMS's reservation
	// written for it. A connector finds the reservation by ReservationID,
	// or by BookingID when the RMS keys reservations by it.
	BookingID     string `json:"booking_id"`
	ReservationID string `json:"reservation_id,omitempty"`
	// Start is the new start time (UTC).
	Start time.Time `json:"start,omitzero"`
	// Duration is the new length of the reservation, without the hub's
	// buffer.
	Duration Duration `json:"duration,omitempty"`
	// TableIDs are the new tables, RMS ids.
	TableIDs []string `json:"table_ids,omitempty"`
}

// Validate checks that r names its booking, asks for a change, and stays
// within MaxUpdateTables and MaxUpdateDuration with printable ids.
func (r UpdateRequest) Validate() error {
	if r.BookingID == "" && r.ReservationID == "" {
		return fmt.Errorf("reservation update: booking_id or reservation_id is required")
	}
	for name, id := range map[string]string{"booking_id": r.BookingID,
		"reservation_id": r.ReservationID} {
		if id != "" && !ValidHintID(id) {
			return fmt.Errorf("reservation update: %s %.40q is longer than %d bytes "+
				"or not printable text", name, id, MaxPollHintLen)
		}
	}
	if r.Start.IsZero() && r.Duration == 0 && len(r.TableIDs) == 0 {
		return fmt.Errorf("reservation update: nothing to change; " +
			"give start, duration or table_ids")
	}
	if r.Duration < 0 || time.Duration(r.Duration) > MaxUpdateDuration {
		return fmt.Errorf("reservation update: duration %s is not between 0 and %s",
			time.Duration(r.Duration), MaxUpdateDuration)
	}
	if len(r.TableIDs) > MaxUpdateTables {
		return fmt.Errorf("reservation update: %d tables, at most %d", len(r.TableIDs),
			MaxUpdateTables)
	}
	seen := make(map[string]bool, len(r.TableIDs))
	for _, id := range r.TableIDs {
		if !ValidHintID(id) {
			return fmt.Errorf("reservation update: table id %.40q is empty, longer than %d "+
				"bytes or not printable text", id, MaxPollHintLen)
		}
		if seen[id] {
			return fmt.Errorf("reservation update: table %q is named twice", id)
		}
		seen[id] = true
	}
	return nil
}

// DecodeUpdateRequest reads the body of a CommandUpdateReservation; a body
// that is not JSON or fails Validate is an error wrapping ErrMalformed.
// Fields it does not know are ignored.
func DecodeUpdateRequest(body json.RawMessage) (UpdateRequest, error) {
	var r UpdateRequest
	if len(body) == 0 {
		return r, fmt.Errorf("%w: reservation update without body", ErrMalformed)
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return UpdateRequest{}, fmt.Errorf("%w: reservation update body: %v", ErrMalformed, err)
	}
	if err := r.Validate(); err != nil {
		return UpdateRequest{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return r, nil
}
