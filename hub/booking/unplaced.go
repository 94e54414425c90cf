package booking

import (
	"cmp"
	"slices"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

// HoldUnplaced returns blocks with one more block for each RMS reservation
// that names no table (Poster's till reservations when the connector
// cannot tell their table, say) and is not cancelled: the table Assign
// would give its party at its time, so that online guests are offered the
// tables such reservations leave and a reservation the restaurant took by
// phone is not sold again. Reservations are placed in order of start (then
// id), each beside the blocks before it; one that finds no table holds
// nothing (the venue is full for it anyway). A reservation without a
// duration holds the policy's turn time for its party.
func HoldUnplaced(v Venue, blocks []hub.Block, reservations []wire.Reservation) []hub.Block {
	var unplaced []wire.Reservation
	for _, r := range reservations {
		if len(r.TableIDs) == 0 && r.Status != wire.ReservationCancelled && !r.Start.IsZero() {
			unplaced = append(unplaced, r)
		}
	}
	if len(unplaced) == 0 {
		return blocks
	}
	slices.SortFunc(unplaced, func(a, b wire.Reservation) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.ID, b.ID))
	})
	out := slices.Clone(blocks)
	for _, r := range unplaced {
		party := max(r.Guests, 1)
		d := time.Duration(r.Duration)
		if d <= 0 {
			d = v.Policy.TurnTime(party)
		}
		start, end := r.Start.UTC(), r.Start.UTC().Add(d)
		tables, _, ok := Assign(v, out, party, start, end)
		if !ok {
			continue
		}
		for _, id := range tables {
			out = append(out, hub.Block{TableID: id, Start: start, End: end,
				Kind: hub.BlockReservation, Ref: r.ID})
		}
	}
	return out
}
