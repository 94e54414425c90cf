package sqlread

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	mssql "github.com/microsoft/go-mssqldb"

	"github.com/stolik/stolik/shared/wire"
)

// colSet is the columns one query returns.
type colSet struct {
	required, optional []string
}

func (s colSet) all() []string { return append(slices.Clone(s.required), s.optional...) }

func (s colSet) describe() string {
	d := strings.Join(s.required, ", ")
	if len(s.optional) > 0 {
		d += " [, " + strings.Join(s.optional, ", ") + "]"
	}
	return d
}

var columns = map[string]colSet{
	"halls": {required: []string{"id", "name"}},
	"tables": {required: []string{"id", "hall_id", "number", "seats"},
		optional: []string{"name", "x", "y", "w", "h"}},
	"orders": {required: []string{"id", "table_id", "opened_at"},
		optional: []string{"guests", "status"}},
	"reservations": {required: []string{"id", "table_id", "start"},
		optional: []string{"duration", "end", "guests", "name", "phone", "comment", "status",
			"booking_id"}},
}

// row is one result row: lower-cased column names to values normalized
// to string, int64, float64, bool, time.Time (UTC) or nil.
type row struct {
	n    int // 1-based
	vals map[string]any
}

func (c *Connector) query(ctx context.Context, tx *sql.Tx, name, q string) ([]row, error) {
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return nil, c.queryError(ctx, name, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, c.queryError(ctx, name, err)
	}
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, c.queryError(ctx, name, err)
	}
	lower := make([]string, len(cols))
	for i, col := range cols {
		lower[i] = strings.ToLower(col)
	}
	if err := checkColumns(name, lower); err != nil {
		return nil, err
	}

	var out []row
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, c.queryError(ctx, name, err)
		}
		r := row{n: len(out) + 1, vals: make(map[string]any, len(cols))}
		for i, col := range lower {
			r.vals[col] = c.normalize(vals[i], types[i].DatabaseTypeName())
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, c.queryError(ctx, name, err)
	}
	return out, nil
}

// checkColumns fails a query whose columns are not those documented.
func checkColumns(name string, got []string) error {
	want := columns[name]
	var missing, unknown []string
	for _, r := range want.required {
		if !slices.Contains(got, r) {
			missing = append(missing, r)
		}
	}
	for _, g := range got {
		if !slices.Contains(want.all(), g) {
			unknown = append(unknown, g)
		}
	}
	if name == "reservations" && !slices.Contains(got, "duration") &&
		!slices.Contains(got, "end") {
		missing = append(missing, "duration or end")
	}
	if len(missing) == 0 && len(unknown) == 0 {
		return nil
	}
	var what []string
	if len(missing) > 0 {
		what = append(what, "lack "+strings.Join(missing, ", "))
	}
	if len(unknown) > 0 {
		what = append(what, "include unexpected "+strings.Join(unknown, ", "))
	}
	return fmt.Errorf("sqlread %s query: its columns %s: it returned %s; expected %s "+
		"(rename them with AS)", name, strings.Join(what, " and "), strings.Join(got, ", "),
		want.describe())
}

// normalize turns a driver's value into one of the few types rows hold.
func (c *Connector) normalize(v any, dbType string) any {
	switch x := v.(type) {
	case []byte:
		if dbType == "UNIQUEIDENTIFIER" && len(x) == 16 {
			var u mssql.UniqueIdentifier
			if u.Scan(x) == nil {
				return strings.ToLower(u.String())
			}
		}
		return string(x)
	case int32:
		return int64(x)
	case int:
		return int64(x)
	case float32:
		return float64(x)
	case time.Time:
		switch dbType {
		case "TIMESTAMPTZ", "DATETIMEOFFSET":
			return x.UTC()
		}
		// A timestamp without a zone is the venue's wall clock.
		y, mo, d := x.Date()
		h, mi, s := x.Clock()
		return time.Date(y, mo, d, h, mi, s, x.Nanosecond(), c.loc).UTC()
	}
	return v
}

func (r row) str(f string) string {
	switch x := r.vals[f].(type) {
	case nil:
		return ""
	case string:
		return strings.TrimSpace(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case time.Time:
		return x.Format(time.RFC3339)
	default:
		return fmt.Sprint(x)
	}
}

func (r row) errorf(query, format string, args ...any) error {
	where := fmt.Sprintf("row %d", r.n)
	if id := r.str("id"); id != "" {
		where += fmt.Sprintf(" (id %s)", id)
	}
	return fmt.Errorf("sqlread %s query: %s: %s", query, where, fmt.Sprintf(format, args...))
}

func (r row) need(query string, fields ...string) error {
	for _, f := range fields {
		if r.str(f) == "" {
			return r.errorf(query, "%s is empty", f)
		}
	}
	return nil
}

func (r row) num(query, f string) (float64, error) {
	switch x := r.vals[f].(type) {
	case nil:
		return 0, nil
	case int64:
		return float64(x), nil
	case float64:
		return x, nil
	}
	s := strings.ReplaceAll(r.str(f), ",", ".")
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, r.errorf(query, "%s %q is not a number", f, r.str(f))
	}
	return x, nil
}

func (r row) count(query, f string) (int, error) {
	x, err := r.num(query, f)
	if err != nil {
		return 0, err
	}
	if x < 0 || x > 1_000_000 || x != math.Trunc(x) {
		return 0, r.errorf(query, "%s %v is not a whole number of at least 0", f, x)
	}
	return int(x), nil
}

func (c *Connector) time(r row, query, f string) (time.Time, error) {
	switch x := r.vals[f].(type) {
	case time.Time:
		return x, nil
	case string:
		if t, err := time.Parse(time.RFC3339, x); err == nil {
			return t.UTC(), nil
		}
		if t, err := time.ParseInLocation("2006-01-02 15:04:05", x, c.loc); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, r.errorf(query, "%s %q is not a timestamp", f, r.str(f))
}

func (c *Connector) halls(ctx context.Context, tx *sql.Tx) ([]wire.Hall, error) {
	rows, err := c.query(ctx, tx, "halls", c.cfg.Queries.Halls)
	if err != nil {
		return nil, err
	}
	var out []wire.Hall
	seen := map[string]bool{}
	for _, r := range rows {
		if err := r.need("halls", "id"); err != nil {
			return nil, err
		}
		if seen[r.str("id")] {
			return nil, r.errorf("halls", "id appears twice")
		}
		seen[r.str("id")] = true
		out = append(out, wire.Hall{ID: r.str("id"), Name: r.str("name")})
	}
	return out, nil
}

func (c *Connector) tables(ctx context.Context, tx *sql.Tx) ([]wire.Table, error) {
	rows, err := c.query(ctx, tx, "tables", c.cfg.Queries.Tables)
	if err != nil {
		return nil, err
	}
	var out []wire.Table
	seen := map[string]bool{}
	for _, r := range rows {
		if err := r.need("tables", "id", "hall_id", "number"); err != nil {
			return nil, err
		}
		if seen[r.str("id")] {
			return nil, r.errorf("tables", "id appears twice")
		}
		seen[r.str("id")] = true
		seats, err := r.count("tables", "seats")
		if err != nil {
			return nil, err
		}
		t := wire.Table{ID: r.str("id"), HallID: r.str("hall_id"), Number: r.str("number"),
			Name: r.str("name"), Seats: seats}
		if r.vals["x"] != nil || r.vals["y"] != nil {
			var p wire.Position
			for _, f := range []struct {
				name string
				dst  *float64
			}{{"x", &p.X}, {"y", &p.Y}, {"w", &p.W}, {"h", &p.H}} {
				if *f.dst, err = r.num("tables", f.name); err != nil {
					return nil, err
				}
			}
			t.Position = &p
		}
		out = append(out, t)
	}
	return out, nil
}

func (c *Connector) orders(ctx context.Context, tx *sql.Tx) ([]wire.Order, error) {
	rows, err := c.query(ctx, tx, "orders", c.cfg.Queries.Orders)
	if err != nil {
		return nil, err
	}
	var out []wire.Order
	index := map[string]int{}
	for _, r := range rows {
		if err := r.need("orders", "id", "table_id"); err != nil {
			return nil, err
		}
		id, table := r.str("id"), r.str("table_id")
		if i, ok := index[id]; ok {
			if !slices.Contains(out[i].TableIDs, table) {
				out[i].TableIDs = append(out[i].TableIDs, table)
			}
			continue
		}
		opened, err := c.time(r, "orders", "opened_at")
		if err != nil {
			return nil, err
		}
		guests, err := r.count("orders", "guests")
		if err != nil {
			return nil, err
		}
		index[id] = len(out)
		out = append(out, wire.Order{ID: id, TableIDs: []string{table}, OpenedAt: opened,
			Guests: guests, Status: r.str("status")})
	}
	return out, nil
}

func (c *Connector) reservations(ctx context.Context, tx *sql.Tx) ([]wire.Reservation, error) {
	const q = "reservations"
	rows, err := c.query(ctx, tx, q, c.cfg.Queries.Reservations)
	if err != nil {
		return nil, err
	}
	var out []wire.Reservation
	index := map[string]int{}
	for _, r := range rows {
		if err := r.need(q, "id", "table_id"); err != nil {
			return nil, err
		}
		id, table := r.str("id"), r.str("table_id")
		if i, ok := index[id]; ok {
			if !slices.Contains(out[i].TableIDs, table) {
				out[i].TableIDs = append(out[i].TableIDs, table)
			}
			continue
		}
		start, err := c.time(r, q, "start")
		if err != nil {
			return nil, err
		}
		var d time.Duration
		if _, ok := r.vals["duration"]; ok {
			minutes, err := r.count(q, "duration")
			if err != nil {
				return nil, err
			}
			d = time.Duration(minutes) * time.Minute
		} else {
			end, err := c.time(r, q, "end")
			if err != nil {
				return nil, err
			}
			d = end.Sub(start)
		}
		if d <= 0 {
			return nil, r.errorf(q, "the reservation has no length (duration or end)")
		}
		guests, err := r.count(q, "guests")
		if err != nil {
			return nil, err
		}
		status := wire.ReservationNew
		if w := r.str("status"); w != "" {
			s, ok := c.statuses[w]
			if !ok {
				return nil, r.errorf(q, "status %q is not mapped; add it to "+
					"connector.sqlread.statuses", w)
			}
			status = wire.ReservationStatus(s)
		}
		index[id] = len(out)
		out = append(out, wire.Reservation{ID: id, TableIDs: []string{table}, Start: start,
			Duration: wire.Duration(d), Guests: guests, Name: r.str("name"),
			Phone: r.str("phone"), Comment: r.str("comment"), Status: status,
			BookingID: r.str("booking_id")})
	}
	return out, nil
}
