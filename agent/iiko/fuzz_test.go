package iiko

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stolik/stolik/shared/wire"
)

// seed adds the example files as seeds of f.
func seed(f *testing.F, names ...string) {
	for _, n := range names {
		f.Add(readExample(f, n))
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"revision":"12","reserves":[{"durationInMinutes":"90.4"}]}`))
}

func FuzzSections(f *testing.F) {
	seed(f, "restaurant-sections-response")
	f.Fuzz(func(t *testing.T, b []byte) {
		var ans SectionsAnswer
		if json.Unmarshal(b, &ans) != nil {
			return
		}
		sc := sectionCache{halls: map[string]wire.Hall{}, tables: map[string]wire.Table{},
			plans: map[string]map[string]wire.Position{}}
		sc.apply(ans)
		sc.apply(ans) // an incremental answer repeating everything changes nothing
		halls, tables := sc.state()
		for _, tb := range tables {
			if tb.ID == "" || tb.HallID == "" {
				t.Fatalf("table %+v without id or hall", tb)
			}
		}
		_ = halls
	})
}

func FuzzWorkload(f *testing.F) {
	seed(f, "sections-workload-response")
	f.Fuzz(func(t *testing.T, b []byte) {
		var ans WorkloadAnswer
		if json.Unmarshal(b, &ans) != nil {
			return
		}
		c := &Connector{bookings: map[string]string{}}
		for _, s := range ans.Reserves {
			r, ok, err := c.reservation(s, nil, moscow)
			if err == nil && ok && r.Start.Location() != time.UTC {
				t.Fatalf("start %v not in UTC", r.Start)
			}
		}
	})
}

func FuzzStatus(f *testing.F) {
	seed(f, "reserve-status-by-id-response", "webhook-reserve-update")
	f.Fuzz(func(t *testing.T, b []byte) {
		var ans StatusAnswer
		if json.Unmarshal(b, &ans) != nil {
			return
		}
		c := &Connector{bookings: map[string]string{}}
		for _, ri := range ans.Reserves {
			_ = statusOf(ri)
			_, _ = c.fromInfo(ri, moscow)
			if ri.ErrorInfo != nil {
				_ = refusal("reserve/create", ri.ErrorInfo.Code, ri.ErrorInfo.text())
			}
		}
	})
}

func FuzzOrders(f *testing.F) {
	seed(f, "order-by-table-response")
	f.Fuzz(func(t *testing.T, b []byte) {
		var ans OrdersAnswer
		if json.Unmarshal(b, &ans) != nil {
			return
		}
		for _, o := range ans.Orders {
			if o.Order != nil {
				_, _ = orderOf(o, moscow)
			}
		}
	})
}

func FuzzErrorBody(f *testing.F) {
	seed(f, "error-response")
	f.Fuzz(func(t *testing.T, b []byte) {
		err := decodeError("reserve/create", 400, b)
		if err == nil || err.Error() == "" {
			t.Fatal("no error from an error answer")
		}
	})
}

func FuzzCommandAndCreate(f *testing.F) {
	seed(f, "commands-status-response-success", "commands-status-response-error",
		"reserve-create-response", "reserve-cancel-response", "access-token-response")
	f.Fuzz(func(t *testing.T, b []byte) {
		var cmd commandAnswer
		_ = json.Unmarshal(b, &cmd)
		var cr createAnswer
		_ = json.Unmarshal(b, &cr)
		var tok tokenAnswer
		if json.Unmarshal(b, &tok) == nil {
			_ = lifetime(tok.Token, time.Now())
		}
	})
}

func FuzzToken(f *testing.F) {
	f.Add("eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.EXAMPLEPAYLOAD.EXAMPLESIGNATURE")
	f.Add("a.eyJleHAiOjE3MDAwMDAwMDB9.c")
	f.Add("a.eyJleHAiOiIxZTMwMCJ9.c")
	f.Fuzz(func(t *testing.T, tok string) {
		if d := lifetime(tok, time.Now()); d < tokenMinimum || d > tokenLifetime {
			t.Fatalf("lifetime %v out of bounds", d)
		}
	})
}

func FuzzTime(f *testing.F) {
	f.Add("2025-06-14 19:00:00.000")
	f.Add("2025-06-14 19:00:00")
	f.Add("2025-06-14T19:00:00.1234567")
	f.Add("03:00:00")
	f.Add("Russian Standard Time")
	f.Fuzz(func(t *testing.T, s string) {
		if tm, err := ParseTime(s, moscow); err == nil {
			if back, err := ParseTime(FormatTime(tm, moscow), moscow); err != nil ||
				!back.Equal(tm.Truncate(time.Millisecond)) {
				t.Fatalf("%q: %v does not round-trip: %v, %v", s, tm, back, err)
			}
		}
		_, _ = ZoneOf(s)
	})
}
