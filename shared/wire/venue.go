package wire

import (
	"encoding/json"
	"time"
)

// Entity names a kind of thing an agent mirrors from its RMS.
type Entity string

// Entities, in the order a full state is sent: halls before their tables,
// tables before the orders and reservations on them.
const (
	EntityHall        Entity = "hall"
	EntityTable       Entity = "table"
	EntityOrder       Entity = "order"
	EntityReservation Entity = "reservation"
)

// Entities lists every entity kind in dependency order.
var Entities = []Entity{EntityHall, EntityTable, EntityOrder, EntityReservation}

// Op is what happened to an entity.
type Op string

// Ops.
const (
	OpUpsert Op = "upsert"
	OpDelete Op = "delete"
)

// Event is one change to one entity. Data holds the entity (Hall, Table,
// Order or Reservation) for an upsert and is empty for a delete.
type Event struct {
	Seq    uint64          `json:"seq"`
	Entity Entity          `json:"entity"`
	ID     string          `json:"id"`
	Op     Op              `json:"op"`
	Data   json.RawMessage `json:"data,omitempty"`
	// At is when the agent detected the change.
	At time.Time `json:"at,omitzero"`
}

// Key identifies the entity an event is about: "table/42".
func (e Event) Key() string { return Key(e.Entity, e.ID) }

// Key joins an entity kind and an RMS id into one identifier.
func Key(kind Entity, id string) string { return string(kind) + "/" + id }

// Hall is a room or area of a venue (a "restaurant section" in iiko).
type Hall struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Table is a table as the RMS knows it.
type Table struct {
	ID     string `json:"id"`
	HallID string `json:"hall_id"`
	// Number is the table number staff use; Name is optional free text.
	Number string `json:"number"`
	Name   string `json:"name,omitempty"`
	Seats  int    `json:"seats"`
	// Position on the hall's floor plan, when the RMS knows it.
	Position *Position `json:"position,omitempty"`
}

// Position places a table on a floor plan, in the RMS's own units.
type Position struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
	W float64 `json:"w,omitempty"`
	H float64 `json:"h,omitempty"`
}

// Order is an open order (a check) that occupies tables now.
type Order struct {
	ID       string    `json:"id"`
	TableIDs []string  `json:"table_ids"`
	OpenedAt time.Time `json:"opened_at"`
	Guests   int       `json:"guests,omitempty"`
	// Status is the RMS's own word for the order's stage, for display.
	Status string `json:"status,omitempty"`
}

// Reservation is a booking held in the RMS, whoever made it.
type Reservation struct {
	ID       string            `json:"id"`
	TableIDs []string          `json:"table_ids"`
	Start    time.Time         `json:"start"`
	Duration Duration          `json:"duration"`
	Guests   int               `json:"guests"`
	Name     string            `json:"name,omitempty"`
	Phone    string            `json:"phone,omitempty"`
	Comment  string            `json:"comment,omitempty"`
	Status   ReservationStatus `json:"status"`
	// BookingID is the hub booking this reservation was written for, when
	// Stolik created it.
	BookingID string `json:"booking_id,omitempty"`
}

// ReservationStatus is a reservation's stage in the RMS.
type ReservationStatus string

// Reservation statuses, normalized across RMSs.
const (
	ReservationNew       ReservationStatus = "new"
	ReservationConfirmed ReservationStatus = "confirmed"
	ReservationSeated    ReservationStatus = "seated"
	ReservationCancelled ReservationStatus = "cancelled"
)

// ReservationRequest is the body of a CommandCreateReservation.
type ReservationRequest struct {
	// BookingID is the hub's id for the booking; connectors pass it to the
	// RMS as an idempotency key where the RMS takes one.
	BookingID string    `json:"booking_id"`
	TableIDs  []string  `json:"table_ids"`
	Start     time.Time `json:"start"`
	Duration  Duration  `json:"duration"`
	Guests    int       `json:"guests"`
	Name      string    `json:"name"`
	Phone     string    `json:"phone,omitempty"`
	Comment   string    `json:"comment,omitempty"`
}

// CancelRequest is the body of a CommandCancelReservation.
type CancelRequest struct {
	BookingID     string `json:"booking_id"`
	ReservationID string `json:"reservation_id"`
	Reason        string `json:"reason,omitempty"`
}
