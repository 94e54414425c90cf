package quickresto

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stolik/stolik/shared/wire"
)

func TestExampleDecodes(t *testing.T) {
	b, err := os.ReadFile("testdata/table-scheme-list.json")
	if err != nil {
		t.Fatal(err)
	}
	ss, err := decodeSchemes(b)
	if err != nil {
		t.Fatal(err)
	}
	st, busy := layout(ss)
	wantHalls := []wire.Hall{{ID: "11", Name: "Зал"}, {ID: "scheme/1", Name: "Основная схема"}}
	if diff := cmp.Diff(st.Halls, wantHalls); diff != "" {
		t.Errorf("halls (-got +want):\n%s", diff)
	}
	wantTables := []wire.Table{
		{ID: "101", HallID: "11", Number: "1", Name: "Стол 1", Seats: 4,
			Position: &wire.Position{X: 10, Y: 20, W: 60, H: 60}},
		{ID: "102", HallID: "11", Number: "2", Name: "Стол 2", Seats: 6,
			Position: &wire.Position{X: 80, Y: 20, W: 60, H: 60}},
		{ID: "131", HallID: "scheme/1", Number: "Бар 1", Seats: 2},
	}
	if diff := cmp.Diff(st.Tables, wantTables); diff != "" {
		t.Errorf("tables (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(busy, []string{"101"}); diff != "" {
		t.Errorf("busy (-got +want):\n%s", diff)
	}
}

func TestDecodeRefuses(t *testing.T) {
	for name, body := range map[string]string{
		"not a list":        `{"id": 1}`,
		"scheme without id": `[{"name": "x"}]`,
		"hall without id":   `[{"id": 1, "halls": [{"name": "x"}]}]`,
		"table without id":  `[{"id": 1, "tables": [{"title": "1"}]}]`,
		"negative capacity": `[{"id": 1, "tables": [{"id": 2, "maxCapacity": -1}]}]`,
		"bad id":            `[{"id": true}]`,
		"cut":               `[{"id": 1, "halls": [`,
	} {
		_, err := decodeSchemes([]byte(body))
		if err == nil || !strings.Contains(err.Error(), "quickresto list TableScheme") {
			t.Errorf("%s: err = %v, want an error naming the call", name, err)
		}
	}
}

func FuzzSchemes(f *testing.F) {
	b, err := os.ReadFile("testdata/table-scheme-list.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"id":"7","webHalls":[{"id":8,"tables":[{"id":9,"isBusy":true}]}]}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ss, err := decodeSchemes(b)
		if err != nil {
			return
		}
		st, busy := layout(ss)
		if _, err := st.Items(); err != nil {
			t.Errorf("layout gave an invalid state: %v", err)
		}
		for _, tb := range st.Tables {
			if tb.Seats < 0 {
				t.Errorf("table %s has %d seats", tb.ID, tb.Seats)
			}
		}
		if len(busy) > len(st.Tables) {
			t.Errorf("%d busy of %d tables", len(busy), len(st.Tables))
		}
	})
}
