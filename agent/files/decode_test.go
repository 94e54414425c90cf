package files

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stolik/stolik/shared/wire"
)

// examples are the testdata files of each preset, by kind.
var examples = map[string]map[kind]string{
	"generic-csv": {kindTables: "tables.csv", kindOrders: "orders.csv",
		kindReservations: "reservations.csv"},
	"generic-xml": {kindTables: "tables.xml", kindOrders: "orders.xml",
		kindReservations: "reservations.xml"},
	"smarttouch-csv": {kindTables: "stoly.csv", kindOrders: "zakazy.csv",
		kindReservations: "bron.csv"},
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// wantExample is what every preset's example files hold.
func wantExample(preset string) parsed {
	orderStatus := "Bill"
	if preset == "smarttouch-csv" {
		orderStatus = "Пречек"
	}
	p := parsed{
		halls: []wire.Hall{{ID: "h1", Name: "Основной зал"}, {ID: "h2", Name: "Веранда"}},
		tables: []wire.Table{
			{ID: "t1", HallID: "h1", Number: "1", Name: "У окна", Seats: 4,
				Position: &wire.Position{X: 10, Y: 20, W: 2, H: 2}},
			{ID: "t2", HallID: "h1", Number: "2", Seats: 2},
			{ID: "t5", HallID: "h2", Number: "5", Seats: 6,
				Position: &wire.Position{X: 1.5, Y: 2.5}},
		},
		orders: []wire.Order{
			{ID: "o1", TableIDs: []string{"t1"}, OpenedAt: utc("2025-06-14T15:05:00Z"),
				Guests: 3, Status: orderStatus},
			{ID: "o2", TableIDs: []string{"t2", "t5"}, OpenedAt: utc("2025-06-14T15:40:00Z")},
		},
		reservations: []wire.Reservation{
			{ID: "r1", TableIDs: []string{"t5"}, Start: utc("2025-06-14T16:00:00Z"),
				Duration: wire.Duration(2 * time.Hour), Guests: 4, Name: "Анна Петрова",
				Phone: "+79161234567", Comment: "у окна; день рождения",
				Status: wire.ReservationConfirmed, BookingID: "bk-1"},
			{ID: "r2", TableIDs: []string{"t2"}, Start: utc("2025-06-14T18:00:00Z"),
				Duration: wire.Duration(90 * time.Minute), Guests: 2, Name: "Иван",
				Comment: "звонил", Status: wire.ReservationNew, BookingID: "bk-2"},
			{ID: "r3", TableIDs: []string{"t1"}, Start: utc("2025-06-15T09:00:00Z"),
				Duration: wire.Duration(time.Hour), Guests: 2,
				Status: wire.ReservationCancelled},
		},
	}
	if preset == "smarttouch-csv" {
		// The preset's tables have no floor plan columns.
		p.tables[0].Position, p.tables[2].Position = nil, nil
	}
	return p
}

func exampleConfig(preset string) Config {
	return Config{Dir: "x", Preset: preset, TimeZone: "Europe/Moscow"}.Resolve()
}

func TestDecodeExamples(t *testing.T) {
	for preset, byKind := range examples {
		t.Run(preset, func(t *testing.T) {
			c := exampleConfig(preset)
			var got parsed
			for _, k := range kinds {
				data, err := os.ReadFile(filepath.Join("testdata", byKind[k]))
				if err != nil {
					t.Fatal(err)
				}
				d, err := newDecoder(c, k)
				if err != nil {
					t.Fatal(err)
				}
				p, err := decode(data, c.Format, k, d)
				if err != nil {
					t.Fatalf("decode %s: %v", byKind[k], err)
				}
				got.halls = append(got.halls, p.halls...)
				got.tables = append(got.tables, p.tables...)
				got.orders = append(got.orders, p.orders...)
				got.reservations = append(got.reservations, p.reservations...)
			}
			if diff := cmp.Diff(got, wantExample(preset),
				cmp.AllowUnexported(parsed{})); diff != "" {
				t.Errorf("decoded (-got +want):\n%s", diff)
			}
		})
	}
}

func TestDecodeErrorsNameTheLine(t *testing.T) {
	const head = "id;table_ids;start;duration;guests;name;phone;comment;status;booking_id\n"
	const good = "r1;t1;2025-06-14 19:00:00;120;4;;;;;\n"
	tests := []struct {
		name, format, body, want string
	}{
		{"missing column", "csv", "id;table_ids;start;guests\nr1;t1;2025-06-14 19:00:00;2\n",
			`line 1: column "duration" (field duration) is missing`},
		{"bad time", "csv", head + good + "r2;t1;14.06.2025 19:00;120;4;;;;;\n",
			`line 3: start "14.06.2025 19:00" is not a time like "2006-01-02 15:04:05"`},
		{"duplicate id", "csv", head + good + good,
			`line 3: id "r1" appears twice (first on line 2)`},
		{"short row", "csv", head + good + "r2;t1;2025-06-14 19:00:00\n",
			"line 3: 3 fields where the header has 10"},
		{"unmapped status", "csv", head + "r1;t1;2025-06-14 19:00:00;120;4;;;;booked;\n",
			`line 2: status "booked" is not mapped`},
		{"empty id", "csv", head + ";t1;2025-06-14 19:00:00;120;4;;;;;\n", "line 2: id is empty"},
		{"zero duration", "csv", head + "r1;t1;2025-06-14 19:00:00;0;4;;;;;\n",
			"line 2: duration is 0"},
		{"bare quote", "csv", head + "r1;t1;\"2025-06-14 19:00:00;120;4;;;;;\n", "line 2"},
		{"empty file", "csv", "", "line 1: the file is empty"},
		{"truncated xml", "xml", "<reservations>\n<reservation id=\"r1\" table_ids=\"t1\"\n" +
			" start=\"2025-06-14T19:00:00\" duration=\"120\" guests=\"2\"/>\n<reserv",
			"line 4: unexpected EOF"},
		{"xml without root end", "xml", "<reservations>\n<reservation id=\"r1\"/>\n",
			"unexpected EOF"},
		{"not xml", "xml", "id;table_ids\n", "no XML element found"},
		{"xml bad guests", "xml", "<r>\n<reservation id=\"r1\" table_ids=\"t1\"\n" +
			" start=\"2025-06-14T19:00:00\" duration=\"120\" guests=\"two\"/>\n</r>",
			`line 2: guests "two" is not a whole number`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := exampleConfig("generic-" + tc.format)
			d, err := newDecoder(c, kindReservations)
			if err != nil {
				t.Fatal(err)
			}
			_, err = decode([]byte(tc.body), tc.format, kindReservations, d)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("decode = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestTablesExportWithoutTablesRefused(t *testing.T) {
	c := exampleConfig("generic-csv")
	d, err := newDecoder(c, kindTables)
	if err != nil {
		t.Fatal(err)
	}
	_, err = decode([]byte("id;hall_id;number;seats\n"), "csv", kindTables, d)
	if err == nil || !strings.Contains(err.Error(), "lists no tables") {
		t.Errorf("decode of a header-only tables export = %v, want a refusal", err)
	}
}

func TestHeaderlessCSV(t *testing.T) {
	no := false
	c := Config{Dir: "x", TimeZone: "UTC", Tables: Mapping{Header: &no,
		Fields: map[string]string{"id": "1", "hall_id": "2", "number": "3", "seats": "4",
			"hall_name": "", "name": "", "x": "", "y": "", "w": "", "h": ""}}}.Resolve()
	d, err := newDecoder(c, kindTables)
	if err != nil {
		t.Fatal(err)
	}
	p, err := decode([]byte("t1;h1;1;4\nt2;h1;2;2\n"), "csv", kindTables, d)
	if err != nil {
		t.Fatal(err)
	}
	want := []wire.Table{{ID: "t1", HallID: "h1", Number: "1", Seats: 4},
		{ID: "t2", HallID: "h1", Number: "2", Seats: 2}}
	if diff := cmp.Diff(p.tables, want); diff != "" {
		t.Errorf("tables (-got +want):\n%s", diff)
	}
}

func TestCommentTag(t *testing.T) {
	for _, tc := range []struct{ in, comment, booking string }{
		{"", "", ""},
		{"[stolik:bk-1]", "", "bk-1"},
		{"у окна [stolik:bk-1]", "у окна", "bk-1"},
		{"у окна [stolik:bk-1] с собакой", "у окна с собакой", "bk-1"},
		{"[stolik:]", "[stolik:]", ""},
	} {
		c, b := untag(tc.in)
		if c != tc.comment || b != tc.booking {
			t.Errorf("untag(%q) = %q, %q, want %q, %q", tc.in, c, b, tc.comment, tc.booking)
		}
	}
	if c, b := untag(tag("у окна", "bk-9")); c != "у окна" || b != "bk-9" {
		t.Errorf("untag(tag()) = %q, %q", c, b)
	}
}

func FuzzDecodeCSV(f *testing.F) {
	for _, name := range []string{"tables.csv", "orders.csv", "reservations.csv"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("id;table_ids\n\"r1;t1\n"))
	c := exampleConfig("generic-csv")
	fuzzDecode(f, c)
}

func FuzzDecodeXML(f *testing.F) {
	for _, name := range []string{"tables.xml", "orders.xml", "reservations.xml"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("<?xml version=\"1.0\" encoding=\"windows-1251\"?><a><table id=\"\xe0\"/></a>"))
	fuzzDecode(f, exampleConfig("generic-xml"))
}

func FuzzDecodeSmartTouch(f *testing.F) {
	for _, name := range []string{"stoly.csv", "zakazy.csv", "bron.csv"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	fuzzDecode(f, exampleConfig("smarttouch-csv"))
}

// fuzzDecode decodes any bytes as every kind: an error or a state whose
// entities all have ids, never a panic.
func fuzzDecode(f *testing.F, c Config) {
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, k := range kinds {
			d, err := newDecoder(c, k)
			if err != nil {
				t.Fatal(err)
			}
			p, err := decode(data, c.Format, k, d)
			if err != nil {
				if err.Error() == "" {
					t.Fatal("empty error")
				}
				continue
			}
			for _, r := range p.reservations {
				if r.ID == "" || r.Start.Location() != time.UTC || r.Duration <= 0 {
					t.Fatalf("bad reservation %+v", r)
				}
			}
			for _, tb := range p.tables {
				if tb.ID == "" || tb.HallID == "" {
					t.Fatalf("bad table %+v", tb)
				}
			}
		}
	})
}
