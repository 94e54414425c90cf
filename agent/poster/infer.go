package poster

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stolik/stolik/shared/wire"
)

// A reservation made at the Poster till has no table in the API's answer,
// yet Poster knows it: incomingOrders.getTablesForReservation leaves the
// reserved table out of the tables free at the reservation's slot. So the
// connector asks that call at the slot of each till reservation; the
// tables the answer leaves out, less those held then by the reservations
// Stolik wrote (whose tables the map knows), are where it can be. When
// several are left (another till reservation overlaps it), the call is
// asked again for each half hour of the slot: its table is busy in every
// one. One table left is its table. Several left (two till reservations
// over the very same time) all stay on it: the hub then keeps every one of
// them, which may turn a guest away from a table that was free but never
// sells a reserved one. None left (Poster lists every table free, or the
// call fails and nothing was learned before) leaves it with no table, logged.

// maxPieces bounds the half-hour pieces asked of one reservation's slot;
// a longer slot is asked at fewer, longer pieces.
const maxPieces = 8

// slotBusy is what getTablesForReservation said about one slot: the
// layout's tables it did not list as free.
type slotBusy struct {
	busy []string
	at   time.Time // when it was asked
}

// tillPlacer keeps the answers by slot; c.tillMu guards it.
type tillPlacer struct {
	slots  map[string]slotBusy // by slotKey
	logged map[string]string   // reservation id -> the tables last logged for it
	errs   map[string]string   // reservation id -> the last error logged for it
}

// placeTill fills in the tables of the reservations in out that have none
// and that the map does not know (made at the till), as described above.
func (c *Connector) placeTill(ctx context.Context, spot string, lay *layout,
	out []wire.Reservation) {
	c.tillMu.Lock()
	defer c.tillMu.Unlock()
	now := c.now()
	if c.till.slots == nil {
		c.till = tillPlacer{slots: map[string]slotBusy{}, logged: map[string]string{},
			errs: map[string]string{}}
	}
	for k, s := range c.till.slots {
		if now.Sub(s.at) > 24*time.Hour {
			delete(c.till.slots, k)
		}
	}
	seen := map[string]bool{}
	for i := range out {
		r := &out[i]
		if len(r.TableIDs) > 0 || r.Status == wire.ReservationCancelled {
			continue
		}
		if _, mapped := c.tmap.get(r.ID); mapped {
			continue // its table was removed since
		}
		seen[r.ID] = true
		start, end := span(*r)
		cands, ok := c.candidates(ctx, spot, lay, out, i, start, end, now)
		if ok && len(cands) > 1 {
			step := max(MinDuration, (end.Sub(start)+maxPieces-1)/maxPieces)
			for at := start; at.Before(end) && len(cands) > 1; at = at.Add(step) {
				until := at.Add(step)
				if until.After(end) {
					until = end
				}
				piece, ok := c.candidates(ctx, spot, lay, out, i, at, until, now)
				if !ok {
					break
				}
				cands = slices.DeleteFunc(cands, func(t string) bool {
					return !slices.Contains(piece, t)
				})
			}
		}
		note := ""
		switch {
		case len(cands) == 0:
			note = "none"
		case len(cands) > 1:
			note = strings.Join(cands, ",")
		}
		if len(cands) > 0 {
			r.TableIDs = cands
		}
		if note == "" || c.till.logged[r.ID] == note {
			continue
		}
		c.till.logged[r.ID] = note
		if note == "none" {
			c.log.Warn("a reservation made at the Poster till shows no table: Poster "+
				"lists every table free at its time, or could not be asked; it blocks "+
				"no table until Poster answers", "reservation", r.ID, "start", r.Start)
		} else {
			c.log.Info("a reservation made at the Poster till could be on any of "+
				"several tables; all of them are kept for it", "reservation", r.ID,
				"tables", note)
		}
	}
	for id := range c.till.logged {
		if !seen[id] {
			delete(c.till.logged, id)
		}
	}
	for id := range c.till.errs {
		if !seen[id] {
			delete(c.till.errs, id)
		}
	}
}

// span is the time a reservation holds its table: Poster's minimum when it
// has no duration.
func span(r wire.Reservation) (time.Time, time.Time) {
	return r.Start, r.Start.Add(max(time.Duration(r.Duration), MinDuration))
}

// candidates returns the layout's tables not free over [from, to), sorted,
// less those the reservations of out other than out[self] on one table
// hold at that time. ok is false when Poster cannot tell.
func (c *Connector) candidates(ctx context.Context, spot string, lay *layout,
	out []wire.Reservation, self int, from, to time.Time, now time.Time) ([]string, bool) {
	busy, ok := c.busyAt(ctx, spot, lay, out[self].ID, from, to, now)
	if !ok {
		return nil, false
	}
	var cands []string
	for _, t := range busy {
		if !lay.ids[t] {
			continue
		}
		held := slices.ContainsFunc(out, func(o wire.Reservation) bool {
			// One table is a sure one: mapped, or a till reservation placed.
			if o.ID == out[self].ID || o.Status == wire.ReservationCancelled ||
				len(o.TableIDs) != 1 || o.TableIDs[0] != t {
				return false
			}
			s, e := span(o)
			return s.Before(to) && from.Before(e)
		})
		if !held {
			cands = append(cands, t)
		}
	}
	slices.Sort(cands)
	return cands, true
}

// busyAt returns the layout's tables not free over [from, to), from the
// cache when asked less than LayoutEvery ago. When the call fails, an older
// answer is used; ok is false when there is none. c.tillMu must be held.
func (c *Connector) busyAt(ctx context.Context, spot string, lay *layout, resID string,
	from, to, now time.Time) ([]string, bool) {
	key := spot + "|" + strconv.FormatInt(from.Unix(), 10) + "|" +
		strconv.FormatInt(to.Unix(), 10)
	old, had := c.till.slots[key]
	if had && now.Sub(old.at) < c.cfg.LayoutEvery {
		return old.busy, true
	}
	free, err := c.freeTables(ctx, spot, from, to.Sub(from), 1)
	if err != nil {
		if c.till.errs[resID] != err.Error() {
			c.till.errs[resID] = err.Error()
			c.log.Warn("cannot ask Poster which table a till reservation is on",
				"reservation", resID, "err", err)
		}
		return old.busy, had
	}
	delete(c.till.errs, resID)
	isFree := map[string]bool{}
	for _, t := range free {
		isFree[string(t.ID)] = true
	}
	busy := []string{}
	for _, t := range lay.tables {
		if !isFree[t.ID] {
			busy = append(busy, t.ID)
		}
	}
	c.till.slots[key] = slotBusy{busy: busy, at: now}
	return busy, true
}

// freeTables asks incomingOrders.getTablesForReservation which tables are
// free for guests over [start, start+dur).
func (c *Connector) freeTables(ctx context.Context, spot string, start time.Time,
	dur time.Duration, guests int) ([]FreeTable, error) {
	q := url.Values{
		"spot_id": {spot}, "date_reservation": {formatLocal(start, c.loc)},
		"duration":     {strconv.Itoa(int(dur / time.Second))},
		"guests_count": {strconv.Itoa(guests)},
	}
	raw, err := c.api.get(ctx, callFreeTables, q)
	if err != nil {
		return nil, c.explain(err, false)
	}
	var free struct {
		FreeTables []FreeTable `json:"freeTables"`
	}
	if err := json.Unmarshal(raw, &free); err != nil {
		return nil, fmt.Errorf("poster %s: malformed response: %v", callFreeTables, err)
	}
	return free.FreeTables, nil
}
