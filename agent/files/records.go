package files

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stolik/stolik/shared/wire"
)

// kind is one kind of export.
type kind string

const (
	kindTables       kind = "tables"
	kindOrders       kind = "orders"
	kindReservations kind = "reservations"
)

var kinds = []kind{kindTables, kindOrders, kindReservations}

// parsed is what one export file holds, ready to replace that kind's state.
type parsed struct {
	halls        []wire.Hall
	tables       []wire.Table
	orders       []wire.Order
	reservations []wire.Reservation
}

// decoder turns the records of one kind of export into wire values.
type decoder struct {
	m   Mapping
	loc *time.Location
}

func newDecoder(c Config, k kind) (decoder, error) {
	m := c.mapping(k)
	zone := m.TimeZone
	if zone == "" {
		zone = c.TimeZone
	}
	loc, err := loadZone(zone)
	if err != nil {
		return decoder{}, err
	}
	return decoder{m: m, loc: loc}, nil
}

// decode reads a whole export of kind k; any problem fails the whole file.
func decode(data []byte, format string, k kind, d decoder) (parsed, error) {
	if len(data) > maxFileSize {
		return parsed{}, fmt.Errorf("the file is larger than %d MB", maxFileSize>>20)
	}
	var recs []record
	var err error
	if format == "xml" {
		recs, err = decodeXML(data, d.m)
	} else {
		recs, err = decodeCSV(data, d.m, k)
	}
	if err != nil {
		return parsed{}, err
	}
	if k == kindTables && len(recs) == 0 {
		// A venue has tables: an export without any is a broken export,
		// not a venue that closed every table.
		return parsed{}, errorAt(2, "the tables export lists no tables")
	}
	var p parsed
	seen := map[string]int{}
	for _, r := range recs {
		for _, f := range required[k] {
			if r.values[f] == "" && f != "guests" {
				return parsed{}, errorAt(r.line, "%s is empty", f)
			}
		}
		id := r.values["id"]
		if first, dup := seen[id]; dup {
			return parsed{}, errorAt(r.line, "id %q appears twice (first on line %d)",
				id, first)
		}
		seen[id] = r.line
		switch k {
		case kindTables:
			err = d.table(r, &p)
		case kindOrders:
			err = d.order(r, &p)
		default:
			err = d.reservation(r, &p)
		}
		if err != nil {
			return parsed{}, err
		}
	}
	return p, nil
}

func (d decoder) table(r record, p *parsed) error {
	v := r.values
	seats, err := d.count(r, "seats")
	if err != nil {
		return err
	}
	t := wire.Table{ID: v["id"], HallID: v["hall_id"], Number: v["number"],
		Name: v["name"], Seats: seats}
	if v["x"] != "" || v["y"] != "" {
		var pos wire.Position
		for _, c := range []struct {
			f string
			p *float64
		}{{"x", &pos.X}, {"y", &pos.Y}, {"w", &pos.W}, {"h", &pos.H}} {
			if v[c.f] == "" {
				continue
			}
			x, err := strconv.ParseFloat(strings.ReplaceAll(v[c.f], ",", "."), 64)
			if err != nil {
				return errorAt(r.line, "%s %q is not a number", c.f, v[c.f])
			}
			*c.p = x
		}
		t.Position = &pos
	}
	p.tables = append(p.tables, t)
	if !slices.ContainsFunc(p.halls, func(h wire.Hall) bool { return h.ID == t.HallID }) {
		name := v["hall_name"]
		if name == "" {
			name = t.HallID
		}
		p.halls = append(p.halls, wire.Hall{ID: t.HallID, Name: name})
	}
	return nil
}

func (d decoder) order(r record, p *parsed) error {
	v := r.values
	opened, err := d.time(r, "opened_at")
	if err != nil {
		return err
	}
	guests, err := d.count(r, "guests")
	if err != nil {
		return err
	}
	p.orders = append(p.orders, wire.Order{ID: v["id"], TableIDs: d.list(v["table_ids"]),
		OpenedAt: opened, Guests: guests, Status: v["status"]})
	return nil
}

func (d decoder) reservation(r record, p *parsed) error {
	v := r.values
	start, err := d.time(r, "start")
	if err != nil {
		return err
	}
	minutes, err := d.count(r, "duration")
	if err != nil {
		return err
	}
	if minutes == 0 {
		return errorAt(r.line, "duration is 0; write it in minutes")
	}
	guests, err := d.count(r, "guests")
	if err != nil {
		return err
	}
	status := wire.ReservationNew
	if word := v["status"]; word != "" {
		st, ok := d.m.Statuses[word]
		if !ok {
			return errorAt(r.line, "status %q is not mapped; add it to statuses "+
				"(new, confirmed, seated or cancelled)", word)
		}
		status = wire.ReservationStatus(st)
	}
	comment, tagged := untag(v["comment"])
	booking := v["booking_id"]
	if booking == "" {
		booking = tagged
	}
	p.reservations = append(p.reservations, wire.Reservation{ID: v["id"],
		TableIDs: d.list(v["table_ids"]), Start: start,
		Duration: wire.Duration(time.Duration(minutes) * time.Minute), Guests: guests,
		Name: v["name"], Phone: v["phone"], Comment: comment, Status: status,
		BookingID: booking})
	return nil
}

// count reads a whole number of at least zero; empty is zero.
func (d decoder) count(r record, f string) (int, error) {
	s := r.values[f]
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 1_000_000 {
		return 0, errorAt(r.line, "%s %q is not a whole number", f, s)
	}
	return n, nil
}

func (d decoder) time(r record, f string) (time.Time, error) {
	t, err := parseTime(r.values[f], d.m.TimeFormat, d.loc)
	if err != nil {
		return time.Time{}, errorAt(r.line, "%s %q is not a time like %q", f, r.values[f],
			d.m.TimeFormat)
	}
	return t, nil
}

func parseTime(s, layout string, loc *time.Location) (time.Time, error) {
	if strings.EqualFold(layout, "rfc3339") {
		t, err := time.Parse(time.RFC3339, s)
		return t.UTC(), err
	}
	t, err := time.ParseInLocation(layout, s, loc)
	return t.UTC(), err
}

func formatTime(t time.Time, layout string, loc *time.Location) string {
	if strings.EqualFold(layout, "rfc3339") {
		return t.In(loc).Format(time.RFC3339)
	}
	return t.In(loc).Format(layout)
}

func (d decoder) list(s string) []string {
	sep := d.m.ListSeparator
	if sep == "" {
		sep = ","
	}
	var ids []string
	for part := range strings.SplitSeq(s, sep) {
		if part = strings.TrimSpace(part); part != "" {
			ids = append(ids, part)
		}
	}
	return ids
}

// The booking id rides in a reservation's comment when the RMS has no
// field of its own for it: "[stolik:<booking id>]".
var tagRe = regexp.MustCompile(`\s*\[stolik:([^\]\s]+)\]`)

func tag(comment, booking string) string {
	t := "[stolik:" + booking + "]"
	if comment == "" {
		return t
	}
	return comment + " " + t
}

func untag(comment string) (string, string) {
	m := tagRe.FindStringSubmatchIndex(comment)
	if m == nil {
		return comment, ""
	}
	return strings.TrimSpace(comment[:m[0]] + comment[m[1]:]), comment[m[2]:m[3]]
}
