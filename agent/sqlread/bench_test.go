package sqlread_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stolik/stolik/agent/sqlread"
)

// benchVenue fills the vendor schema with 100 tables and 300 reservations.
func benchVenue(b *testing.B) (*sqlread.Connector, *venue) {
	b.Helper()
	v, admin, ro, role := vendorDB(b)
	exec(b, v.DB(), `INSERT INTO vendor.desks SELECT g, 1 + g % 2, g::text, 4
		FROM generate_series(5, 100) g;
		INSERT INTO vendor.bookings (desk_id, starts, minutes, persons, guest, phone)
		SELECT 1 + g % 100, date_trunc('hour', now()::timestamp) + (g / 100) * interval '3 hours',
			120, 2, 'Гость', '+79160000000' FROM generate_series(0, 299) g`)
	return newConnector(b, ro, queries), &venue{v: v, admin: admin, role: role}
}

// BenchmarkIdleRequestsPerMinute measures one poll of an unchanged venue
// (BEGIN, four queries, ROLLBACK) and reports what polling every 5s costs
// the RMS's database per minute.
func BenchmarkIdleRequestsPerMinute(b *testing.B) {
	c, _ := benchVenue(b)
	ctx := context.Background()
	start := time.Now()
	for b.Loop() {
		if _, err := c.Snapshot(ctx); err != nil {
			b.Fatal(err)
		}
	}
	perPoll := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(12*4, "queries/min")
	b.ReportMetric(float64(12*perPoll)/float64(time.Millisecond), "db-ms/min")
}

// BenchmarkChangeToSnapshot measures a check opened at the till until a
// Snapshot shows it.
func BenchmarkChangeToSnapshot(b *testing.B) {
	c, v := benchVenue(b)
	ctx := context.Background()
	for b.Loop() {
		id := v.OpenOrder(b, strconv.Itoa(7), 2)
		st, err := c.Snapshot(ctx)
		if err != nil {
			b.Fatal(err)
		}
		found := false
		for _, o := range st.Orders {
			found = found || o.ID == id
		}
		if !found {
			b.Fatal("the new check is not in the snapshot")
		}
		v.CloseOrder(b, id)
	}
}
