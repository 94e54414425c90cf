package poster

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/stolik/stolik/shared/wire"
)

// Calls the connector makes, as Poster names them.
const (
	callSpots        = "access.getSpots"
	callHalls        = "spots.getSpotTablesHalls"
	callTables       = "spots.getTableHallTables"
	callTransactions = "dash.getTransactions"
	callReservations = "incomingOrders.getReservations"
	callReservation  = "incomingOrders.getReservation"
	callCreate       = "incomingOrders.createReservation"
	callFreeTables   = "incomingOrders.getTablesForReservation"
	localLayout      = "2006-01-02 15:04:05"
)

// Spot is a venue of a Poster account (access.getSpots).
type Spot struct {
	ID   text   `json:"spot_id"`
	Name string `json:"spot_name"`
}

// Hall is a hall of a spot (spots.getSpotTablesHalls).
type Hall struct {
	ID     text   `json:"hall_id"`
	Name   string `json:"hall_name"`
	Order  number `json:"hall_order"`
	SpotID text   `json:"spot_id"`
	Delete number `json:"delete"`
}

// Table is a table of a hall (spots.getTableHallTables). Status 1 means
// no open orders, 2 means open orders.
type Table struct {
	ID        text    `json:"table_id"`
	Num       text    `json:"table_num"`
	Title     string  `json:"table_title"`
	SpotID    text    `json:"spot_id"`
	HallID    text    `json:"hall_id"`
	Shape     text    `json:"table_shape"`
	X         decimal `json:"table_x"`
	Y         decimal `json:"table_y"`
	Width     decimal `json:"table_width"`
	Height    decimal `json:"table_height"`
	IsDeleted number  `json:"is_deleted"`
	Status    number  `json:"status"`
}

// FreeTable is a table free for a slot (incomingOrders.getTablesForReservation).
type FreeTable struct {
	ID       text   `json:"table_id"`
	Num      text   `json:"table_num"`
	Capacity number `json:"table_capacity"`
	SpotID   text   `json:"spot_id"`
	HallID   text   `json:"hall_id"`
}

// Transaction is a check (dash.getTransactions). DateStart is in
// milliseconds since the epoch; Sum is in kopecks.
type Transaction struct {
	ID          text   `json:"transaction_id"`
	DateStart   number `json:"date_start"`
	Status      number `json:"status"`
	GuestsCount number `json:"guests_count"`
	TableID     text   `json:"table_id"`
	TableName   string `json:"table_name"`
	SpotID      text   `json:"spot_id"`
	Sum         number `json:"sum"`
}

// Reservation statuses in Poster.
const (
	StatusNew       = 0
	StatusAccepted  = 1
	StatusCancelled = 7
)

// Reservation is an incoming order of type reservation
// (incomingOrders.getReservations, createReservation). Poster does not say
// which table it is on.
type Reservation struct {
	ID              text   `json:"incoming_order_id"`
	Type            number `json:"type"`
	SpotID          text   `json:"spot_id"`
	Status          number `json:"status"`
	ClientID        text   `json:"client_id"`
	FirstName       string `json:"first_name"`
	LastName        string `json:"last_name"`
	Phone           string `json:"phone"`
	Email           string `json:"email"`
	DateReservation string `json:"date_reservation"` // account-local Y-m-d H:i:s
	Duration        number `json:"duration"`         // seconds
	GuestsCount     number `json:"guests_count"`
	Comment         string `json:"comment"`
	CreatedAt       string `json:"created_at"`
	UpdatedAt       string `json:"updated_at"`
	TransactionID   text   `json:"transaction_id"`
}

// decodeReservation decodes a single reservation object.
func decodeReservation(call string, raw json.RawMessage) (Reservation, error) {
	var r Reservation
	if err := json.Unmarshal(raw, &r); err != nil {
		return r, fmt.Errorf("poster %s: malformed reservation: %v", call, err)
	}
	if r.ID == "" {
		return r, fmt.Errorf("poster %s: reservation without incoming_order_id", call)
	}
	return r, nil
}

// parseLocal reads Poster's account-local "Y-m-d H:i:s" in loc and returns
// it in UTC.
func parseLocal(s string, loc *time.Location) (time.Time, error) {
	t, err := time.ParseInLocation(localLayout, strings.TrimSpace(s), loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q is not Y-m-d H:i:s", s)
	}
	return t.UTC(), nil
}

func formatLocal(t time.Time, loc *time.Location) string {
	return t.In(loc).Format(localLayout)
}

// bookingMark is how a reservation's comment carries the hub booking it was
// made for: "у окна [stolik:bk-1]".
const (
	markOpen  = "[stolik:"
	markClose = "]"
)

// withMark appends the booking mark to a comment.
func withMark(comment, bookingID string) string {
	m := markOpen + bookingID + markClose
	if comment = strings.TrimSpace(comment); comment == "" {
		return m
	}
	return comment + " " + m
}

// splitMark returns a comment without its booking mark, and the booking id
// the mark held ("" when there is none).
func splitMark(comment string) (string, string) {
	i := strings.LastIndex(comment, markOpen)
	if i < 0 {
		return comment, ""
	}
	rest := comment[i+len(markOpen):]
	j := strings.Index(rest, markClose)
	if j <= 0 {
		return comment, ""
	}
	id := rest[:j]
	clean := strings.TrimSpace(comment[:i] + rest[j+len(markClose):])
	return clean, id
}

// wireStatus maps a Poster reservation status; a status Poster may add
// later reads as new (it still blocks the table).
func wireStatus(s number) wire.ReservationStatus {
	switch s {
	case StatusAccepted:
		return wire.ReservationConfirmed
	case StatusCancelled:
		return wire.ReservationCancelled
	}
	return wire.ReservationNew
}

// toWire converts a Poster reservation. tableID is from the connector's own
// map ("" for a reservation made at the till).
func (r Reservation) toWire(loc *time.Location, tableID, bookingID string) (
	wire.Reservation, error) {
	start, err := parseLocal(r.DateReservation, loc)
	if err != nil {
		return wire.Reservation{}, fmt.Errorf("reservation %s: %w", r.ID, err)
	}
	if r.Duration < 0 || r.GuestsCount < 0 {
		return wire.Reservation{}, fmt.Errorf("reservation %s: negative duration or guests", r.ID)
	}
	comment, marked := splitMark(r.Comment)
	if bookingID == "" {
		bookingID = marked
	}
	tables := []string{}
	if tableID != "" {
		tables = []string{tableID}
	}
	return wire.Reservation{
		ID:        string(r.ID),
		TableIDs:  tables,
		Start:     start,
		Duration:  wire.Duration(time.Duration(r.Duration) * time.Second),
		Guests:    int(r.GuestsCount),
		Name:      strings.TrimSpace(r.FirstName + " " + r.LastName),
		Phone:     r.Phone,
		Comment:   comment,
		Status:    wireStatus(r.Status),
		BookingID: bookingID,
	}, nil
}
