package iiko

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/stolik/stolik/shared/wire"
)

// WorkloadAnswer is the answer of /reserve/restaurant_sections_workload:
// the slots reserves take, without guest details.
type WorkloadAnswer struct {
	CorrelationID string `json:"correlationId"`
	Reserves      []Slot `json:"reserves"`
}

// Slot is the tables and time one reserve takes.
type Slot struct {
	ID                 string   `json:"id"`
	TableIDs           []string `json:"tableIds"`
	EstimatedStartTime string   `json:"estimatedStartTime"`
	DurationInMinutes  num      `json:"durationInMinutes"`
	GuestsCount        num      `json:"guestsCount"`
}

// key identifies the slot's content: details are read again when it moves.
func (s Slot) key() string {
	ids := slices.Clone(s.TableIDs)
	slices.Sort(ids)
	return fmt.Sprintf("%s|%s|%d|%d", strings.Join(ids, ","), s.EstimatedStartTime,
		s.DurationInMinutes, s.GuestsCount)
}

// StatusAnswer is the answer of /reserve/status_by_id.
type StatusAnswer struct {
	CorrelationID string        `json:"correlationId"`
	Reserves      []ReserveInfo `json:"reserves"`
}

// ReserveInfo is a reserve as iiko tracks it: how its creation went and,
// once created, the reserve itself.
type ReserveInfo struct {
	ID             string     `json:"id"`
	ExternalNumber string     `json:"externalNumber"`
	OrganizationID string     `json:"organizationId"`
	Timestamp      num        `json:"timestamp"`
	CreationStatus string     `json:"creationStatus"`
	ErrorInfo      *errorInfo `json:"errorInfo"`
	IsDeleted      bool       `json:"isDeleted"`
	Reserve        *Reserve   `json:"reserve"`
}

// Reserve is a reserve's content.
type Reserve struct {
	Customer *struct {
		Type    string `json:"type"`
		ID      string `json:"id"`
		Name    string `json:"name"`
		Surname string `json:"surname"`
	} `json:"customer"`
	GuestsCount        num      `json:"guestsCount"`
	Comment            string   `json:"comment"`
	DurationInMinutes  num      `json:"durationInMinutes"`
	Status             string   `json:"status"`
	CancelReason       string   `json:"cancelReason"`
	TableIDs           []string `json:"tableIds"`
	EstimatedStartTime string   `json:"estimatedStartTime"`
	Phone              string   `json:"phone"`
}

// Creation states of a reserve.
const (
	creationInProgress = "InProgress"
	creationSuccess    = "Success"
	creationError      = "Error"
)

// cancelled reports whether the reserve was deleted or cancelled.
func (ri ReserveInfo) cancelled() bool {
	return ri.IsDeleted || ri.Reserve != nil && ri.Reserve.CancelReason != ""
}

// detail is a reserve's details as last read, for the slot it had then.
type detail struct {
	slot   string
	readAt time.Time
	info   ReserveInfo
}

// readReserves returns the reservations in the window around now, reading
// details only for reserves that are new, moved, hinted by HintPoll, or not
// read for a while. Hints taken for a read that fails are kept for the next.
func (c *Connector) readReserves(ctx context.Context, v venue,
	now time.Time) (_ []wire.Reservation, err error) {
	hinted := c.takeHints()
	defer func() {
		if err != nil {
			c.restoreHints(hinted)
		}
	}()
	sections := c.sections.sectionIDs()
	if len(sections) == 0 {
		return []wire.Reservation{}, nil
	}
	var ans WorkloadAnswer
	err = c.c.call(ctx, "reserve/restaurant_sections_workload", map[string]any{
		"restaurantSectionIds": sections,
		"dateFrom":             FormatTime(now.Add(-c.cfg.WindowBack), v.loc),
		"dateTo":               FormatTime(now.Add(c.cfg.WindowAhead), v.loc),
	}, &ans)
	if err != nil {
		return nil, err
	}

	var stale []string
	seen := make(map[string]bool, len(ans.Reserves))
	for _, s := range ans.Reserves {
		if s.ID == "" || seen[s.ID] {
			continue
		}
		seen[s.ID] = true
		d, ok := c.details[s.ID]
		if !ok || d.slot != s.key() || now.Sub(d.readAt) >= c.cfg.DetailsMaxAge ||
			hinted.has(s.ID) {
			stale = append(stale, s.ID)
		}
	}
	if len(stale) > 0 {
		infos, err := c.statuses(ctx, v, stale)
		if err != nil {
			return nil, err
		}
		fresh := make(map[string]detail, len(seen))
		for _, s := range ans.Reserves {
			if info, ok := infos[s.ID]; ok {
				fresh[s.ID] = detail{slot: s.key(), readAt: now, info: info}
			} else if d, ok := c.details[s.ID]; ok && seen[s.ID] {
				fresh[s.ID] = d
			}
		}
		c.details = fresh
	} else {
		for id := range c.details {
			if !seen[id] {
				delete(c.details, id)
			}
		}
	}

	out := make([]wire.Reservation, 0, len(ans.Reserves))
	done := make(map[string]bool, len(ans.Reserves))
	for _, s := range ans.Reserves {
		if s.ID == "" || done[s.ID] {
			continue
		}
		done[s.ID] = true
		var info *ReserveInfo
		if d, ok := c.details[s.ID]; ok {
			info = &d.info
		}
		r, ok, err := c.reservation(s, info, v.loc)
		if err != nil {
			return nil, fmt.Errorf("iiko reserve/restaurant_sections_workload: reserve %s: %w",
				s.ID, err)
		}
		if ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// statuses reads reserves' details by id, in calls of at most 100 ids.
func (c *Connector) statuses(ctx context.Context, v venue,
	ids []string) (map[string]ReserveInfo, error) {
	out := make(map[string]ReserveInfo, len(ids))
	for chunk := range slices.Chunk(ids, 100) {
		var ans StatusAnswer
		err := c.c.call(ctx, "reserve/status_by_id", map[string]any{
			"organizationId": v.org, "reserveIds": chunk,
		}, &ans)
		if err != nil {
			return nil, err
		}
		for _, ri := range ans.Reserves {
			out[ri.ID] = ri
		}
	}
	return out, nil
}

// reservation builds a wire reservation from a slot and, when known, its
// details. It reports false for a reserve iiko failed to create.
func (c *Connector) reservation(s Slot, info *ReserveInfo,
	loc *time.Location) (wire.Reservation, bool, error) {
	start, err := ParseTime(s.EstimatedStartTime, loc)
	if err != nil {
		return wire.Reservation{}, false, err
	}
	r := wire.Reservation{
		ID: s.ID, TableIDs: nonNil(s.TableIDs), Start: start.UTC(),
		Duration: wire.Duration(time.Duration(s.DurationInMinutes) * time.Minute),
		Guests:   int(s.GuestsCount), Status: wire.ReservationConfirmed,
	}
	if info != nil {
		if info.CreationStatus == creationError {
			return wire.Reservation{}, false, nil
		}
		r.Status = statusOf(*info)
		if rv := info.Reserve; rv != nil {
			if rv.Customer != nil {
				r.Name = strings.TrimSpace(rv.Customer.Name + " " + rv.Customer.Surname)
			}
			r.Phone = rv.Phone
			r.Comment, r.BookingID = splitComment(rv.Comment)
		}
	}
	if r.BookingID == "" {
		r.BookingID = c.bookingOf(s.ID)
	}
	return r, true, nil
}

// statusOf maps iiko's creation and reserve status to a wire status.
func statusOf(ri ReserveInfo) wire.ReservationStatus {
	switch {
	case ri.cancelled():
		return wire.ReservationCancelled
	case ri.CreationStatus == creationInProgress || ri.Reserve == nil:
		return wire.ReservationNew
	}
	switch ri.Reserve.Status {
	case "Started", "Closed":
		// Closed without a cancel reason: the guests came and left.
		return wire.ReservationSeated
	}
	return wire.ReservationConfirmed
}

// bookingTag marks the booking id inside a reserve's comment.
var bookingTag = regexp.MustCompile(`\s*\[stolik ([A-Za-z0-9_.:-]{1,100})\]`)

// withBookingTag adds the booking id to a comment.
func withBookingTag(comment, bookingID string) string {
	tag := "[stolik " + bookingID + "]"
	if comment = strings.TrimSpace(comment); comment == "" {
		return tag
	}
	return comment + " " + tag
}

// splitComment separates the booking id tag from the rest of a comment.
func splitComment(s string) (comment, bookingID string) {
	m := bookingTag.FindStringSubmatchIndex(s)
	if m == nil {
		return s, ""
	}
	return strings.TrimSpace(s[:m[0]] + s[m[1]:]), s[m[2]:m[3]]
}

func (c *Connector) bookingOf(reserveID string) string {
	c.bookMu.Lock()
	defer c.bookMu.Unlock()
	return c.bookings[reserveID]
}

func (c *Connector) remember(reserveID, bookingID string) {
	c.bookMu.Lock()
	defer c.bookMu.Unlock()
	if len(c.bookings) >= maxBookings {
		// The comment tag names the booking too; the map only saves a
		// lookup for reserves whose details are not read yet.
		clear(c.bookings)
	}
	c.bookings[reserveID] = bookingID
}

func nonNil(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}
