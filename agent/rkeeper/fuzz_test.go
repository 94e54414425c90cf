package rkeeper

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// seedExamples adds every example file to f's corpus.
func seedExamples(f *testing.F) {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "rkeeper-*.xml"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no example files: %v", err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`<RK7QueryResult Status="Ok"><Visit><Orders><Order/></Orders></Visit>` +
		`</RK7QueryResult>`))
	f.Add([]byte(`<html><body>502 Bad Gateway</body></html>`))
}

func FuzzDecodeOrderList(f *testing.F) {
	seedExamples(f)
	c := offline(f, Config{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var res orderListResult
		if err := decodeAnswer("GetOrderList", b, &res); err != nil {
			if !strings.HasPrefix(err.Error(), "rkeeper GetOrderList: ") {
				t.Errorf("error %q does not name the command", err)
			}
			return
		}
		for _, o := range c.decodeOrders(res) {
			if o.id == "" || o.opened.IsZero() {
				t.Errorf("decoded order %+v without id or opening time", o)
			}
		}
	})
}

func FuzzDecodeOrderList2(f *testing.F) {
	seedExamples(f)
	c := offline(f, Config{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var res orderList2Result
		if err := decodeAnswer("GetOrderList2", b, &res); err != nil {
			return
		}
		reserves, open := c.decodeReserves(res)
		for _, r := range reserves {
			if !open[r.res.ID] {
				t.Errorf("reserve %s is not among the open orders", r.res.ID)
			}
			if r.res.Duration <= 0 || r.res.Start.Location() != time.UTC {
				t.Errorf("reserve %+v: want a positive duration and a UTC start", r.res)
			}
		}
	})
}

func FuzzDecodeRefData(f *testing.F) {
	seedExamples(f)
	c := offline(f, Config{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var res refResult
		if err := decodeAnswer("GetRefData", b, &res); err != nil {
			return
		}
		items := res.Reference.Items
		refs := c.buildRefs(refCache{items: map[string][]refItem{refHalls: items,
			refTables: items}})
		for _, tb := range refs.tables {
			if _, ok := refs.byID[tb.ID]; tb.ID == "" || !ok {
				t.Errorf("table %+v: without id, or not in the id index", tb)
			}
		}
	})
}

func FuzzDecodeCreateOrder(f *testing.F) {
	seedExamples(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		var res createResult
		if err := decodeAnswer("CreateOrder", b, &res); err == nil && res.Status == "" {
			t.Error("an answer without a Status was accepted")
		}
	})
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"120", "02:00", "2:00", "2:00:00", "1899-12-30T02:00:00",
		"1899-12-31T01:30:00", "", "-5", "99999999999", "1:60", "T"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDuration(s)
		if err != nil {
			return
		}
		if d < 0 || d > maxDuration {
			t.Fatalf("parseDuration(%q) = %v, outside 0..%v", s, d, maxDuration)
		}
		// What we write we read back, to the minute.
		for _, format := range []string{DurationAuto, DurationMinutes, DurationHHMM} {
			w := formatDuration(d, format)
			back, err := parseDuration(w)
			if err != nil || back != d.Round(time.Minute) {
				t.Errorf("%s: %v written as %q reads back as %v, %v", format, d, w, back, err)
			}
		}
	})
}

func FuzzParseHolder(f *testing.F) {
	for _, s := range []string{"Анна Петрова +79161234567", "Иван 8 916 123-45-67",
		"Гость 2", "+7 (916) 123-45-67", "", "   "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, phone := parseHolder(s)
		if !strings.HasSuffix(strings.TrimSpace(s), phone) {
			t.Errorf("parseHolder(%q) phone %q is not its tail", s, phone)
		}
		if !strings.HasPrefix(strings.TrimSpace(s), name) {
			t.Errorf("parseHolder(%q) name %q is not its head", s, name)
		}
	})
}
