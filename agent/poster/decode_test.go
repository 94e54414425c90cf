package poster

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stolik/stolik/shared/wire"
)

func example(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func response(tb testing.TB, name string) json.RawMessage {
	tb.Helper()
	raw, err := decodeEnvelope("test", example(tb, name))
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return raw
}

func moscow(tb testing.TB) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

func TestExamplesDecode(t *testing.T) {
	spots, err := decodeList[Spot]("s", response(t, "get-spots.json"))
	if err != nil || len(spots) != 1 || spots[0].ID != "1" || spots[0].Name != "Кафе на Ленина" {
		t.Errorf("spots = %+v, %v", spots, err)
	}

	halls, err := decodeList[Hall]("h", response(t, "get-spot-tables-halls.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Hall{
		{ID: "2", Name: "Веранда", Order: 2, SpotID: "1"},
		{ID: "1", Name: "Основной зал", Order: 1, SpotID: "1"},
		{ID: "3", Name: "Старый зал", Order: 3, SpotID: "1", Delete: 1},
	}
	if diff := cmp.Diff(halls, want); diff != "" {
		t.Errorf("halls (-got +want):\n%s", diff)
	}

	tables, err := decodeList[Table]("t", response(t, "get-table-hall-tables.json"))
	if err != nil {
		t.Fatal(err)
	}
	wantT := Table{ID: "5", Num: "5", Title: "У окна", SpotID: "1", HallID: "1",
		Shape: "square", X: 120, Y: 40.5, Width: 60, Height: 60, Status: 2}
	if len(tables) != 2 || tables[0] != wantT || tables[1].Status != 1 {
		t.Errorf("tables = %+v, want first %+v", tables, wantT)
	}

	var free struct {
		FreeTables []FreeTable `json:"freeTables"`
	}
	if err := json.Unmarshal(response(t, "get-tables-for-reservation.json"), &free); err != nil ||
		len(free.FreeTables) != 1 || free.FreeTables[0].Capacity != 4 {
		t.Errorf("free tables = %+v, %v", free, err)
	}

	txs, err := decodeList[Transaction]("x", response(t, "get-transactions.json"))
	if err != nil || len(txs) != 2 || txs[0].DateStart != 1764781200000 ||
		txs[0].GuestsCount != 3 || txs[0].TableID != "5" || txs[1].TableID != "0" {
		t.Errorf("transactions = %+v, %v", txs, err)
	}

	rs, err := decodeList[Reservation]("r", response(t, "get-reservations.json"))
	if err != nil || len(rs) != 2 {
		t.Fatalf("reservations = %+v, %v", rs, err)
	}
	loc := moscow(t)
	got, err := rs[1].toWire(loc, "", "")
	if err != nil {
		t.Fatal(err)
	}
	wantR := wire.Reservation{
		ID: "42", TableIDs: []string{}, Start: time.Date(2026, 12, 3, 18, 0, 0, 0, time.UTC),
		Duration: wire.Duration(2 * time.Hour), Guests: 2, Name: "Анна Петрова",
		Phone: "+79161234567", Comment: "у окна", Status: wire.ReservationCancelled,
		BookingID: "bk-7",
	}
	if diff := cmp.Diff(got, wantR); diff != "" {
		t.Errorf("reservation 42 (-got +want):\n%s", diff)
	}
	first, _ := rs[0].toWire(loc, "5", "")
	if first.Name != "Иван Смирнов" || first.Status != wire.ReservationConfirmed ||
		first.Duration != wire.Duration(90*time.Minute) || first.TableIDs[0] != "5" {
		t.Errorf("reservation 41 = %+v", first)
	}

	created, err := decodeReservation("c", response(t, "create-reservation.json"))
	if err != nil || created.ID != "43" || created.Status != StatusNew {
		t.Errorf("created = %+v, %v", created, err)
	}
}

func TestExampleErrors(t *testing.T) {
	for name, code := range map[string]int{"error.json": 32, "error-flat.json": 12} {
		_, err := decodeEnvelope("incomingOrders.getReservation", example(t, name))
		var ae *APIError
		if !errors.As(err, &ae) || ae.Code != code || ae.Message == "" {
			t.Errorf("%s: err = %v, want code %d with a message", name, err, code)
		}
		if !strings.Contains(err.Error(), "incomingOrders.getReservation") {
			t.Errorf("%s: %q does not name the call", name, err)
		}
	}
}

func TestMark(t *testing.T) {
	for _, tc := range []struct{ comment, id, clean string }{
		{"у окна [stolik:bk-1]", "bk-1", "у окна"},
		{"[stolik:bk-2]", "bk-2", ""},
		{"без метки", "", "без метки"},
		{"[stolik:]", "", "[stolik:]"},
		{"[stolik:bk-3", "", "[stolik:bk-3"},
	} {
		clean, id := splitMark(tc.comment)
		if clean != tc.clean || id != tc.id {
			t.Errorf("splitMark(%q) = %q, %q, want %q, %q", tc.comment, clean, id, tc.clean, tc.id)
		}
	}
	if c, id := splitMark(withMark(" у окна ", "bk-9")); c != "у окна" || id != "bk-9" {
		t.Errorf("round trip = %q, %q", c, id)
	}
}

func seed(f *testing.F, names ...string) {
	for _, n := range names {
		f.Add(example(f, n))
	}
	f.Add([]byte(`{"response":null}`))
	f.Add([]byte(`{"error":{"code":"x"}}`))
	f.Add([]byte(`[]`))
}

// fuzzList checks that decoding any answer as a list of T errs or works,
// never panics.
func fuzzList[T any](f *testing.F, names ...string) {
	seed(f, names...)
	f.Fuzz(func(t *testing.T, b []byte) {
		raw, err := decodeEnvelope("c", b)
		if err != nil {
			if !strings.Contains(err.Error(), "poster c") {
				t.Errorf("error %q does not name the call", err)
			}
			return
		}
		if _, err := decodeList[T]("c", raw); err != nil &&
			!strings.Contains(err.Error(), "poster c") {
			t.Errorf("error %q does not name the call", err)
		}
	})
}

func FuzzEnvelope(f *testing.F) {
	seed(f, "error.json", "error-flat.json", "get-spots.json")
	f.Fuzz(func(t *testing.T, b []byte) {
		raw, err := decodeEnvelope("c", b)
		if err == nil && len(raw) == 0 {
			t.Error("no error and no response")
		}
	})
}

func FuzzSpots(f *testing.F)  { fuzzList[Spot](f, "get-spots.json") }
func FuzzHalls(f *testing.F)  { fuzzList[Hall](f, "get-spot-tables-halls.json") }
func FuzzTables(f *testing.F) { fuzzList[Table](f, "get-table-hall-tables.json") }
func FuzzTransactions(f *testing.F) {
	fuzzList[Transaction](f, "get-transactions.json")
}

func FuzzReservations(f *testing.F) {
	seed(f, "get-reservations.json")
	loc := moscow(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		raw, err := decodeEnvelope("c", b)
		if err != nil {
			return
		}
		rs, err := decodeList[Reservation]("c", raw)
		if err != nil {
			return
		}
		for _, r := range rs {
			w, err := r.toWire(loc, "1", "")
			if err == nil && (w.Start.Location() != time.UTC || w.Duration < 0 || w.Guests < 0) {
				t.Errorf("reservation %+v converted to %+v", r, w)
			}
		}
	})
}

func FuzzReservation(f *testing.F) {
	seed(f, "create-reservation.json")
	f.Fuzz(func(t *testing.T, b []byte) {
		raw, err := decodeEnvelope("c", b)
		if err != nil {
			return
		}
		if r, err := decodeReservation("c", raw); err == nil && r.ID == "" {
			t.Error("reservation without id accepted")
		}
	})
}
