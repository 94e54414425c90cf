package quickresto

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/shared/wire"
)

// ID is an object id, which Quick Resto sends as a number (or, leniently,
// a string).
type ID string

// UnmarshalJSON reads a number or a string.
func (i *ID) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*i = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*i = ID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("id: want a number or a string, got %s", snippet(b))
	}
	*i = ID(n.String())
	return nil
}

// Scheme is a TableScheme: a floor plan with its halls and tables.
type Scheme struct {
	ID          ID      `json:"id"`
	Name        string  `json:"name"`
	ItemTitle   string  `json:"itemTitle"`
	MaxCapacity int     `json:"maxCapacity"`
	CurrentLoad int     `json:"currentLoad"`
	Deleted     bool    `json:"deleted"`
	Halls       []Hall  `json:"halls"`
	WebHalls    []Hall  `json:"webHalls"`
	Tables      []Table `json:"tables"`
	// Reservations has no documented shape; it is kept raw and unused.
	// TODO(#6): read it once a stand shows its elements.
	Reservations json.RawMessage `json:"reservations"`
}

// Hall is a hall of a scheme, with its tables.
type Hall struct {
	ID        ID      `json:"id"`
	Name      string  `json:"name"`
	Title     string  `json:"title"`
	ItemTitle string  `json:"itemTitle"`
	Deleted   bool    `json:"deleted"`
	Tables    []Table `json:"tables"`
}

// Table is a table of a scheme or hall.
type Table struct {
	ID          ID      `json:"id"`
	Title       string  `json:"title"`
	ItemTitle   string  `json:"itemTitle"`
	MinCapacity int     `json:"minCapacity"`
	MaxCapacity int     `json:"maxCapacity"`
	IsBusy      bool    `json:"isBusy"`
	Reservable  *bool   `json:"reservable"`
	Deleted     bool    `json:"deleted"`
	X           float64 `json:"x"`
	Y           float64 `json:"y"`
	Width       float64 `json:"width"`
	Height      float64 `json:"height"`
	Angle       float64 `json:"angle"`
	Shape       string  `json:"shape"`
}

// decodeSchemes reads the list answer: an array of schemes. Every scheme,
// hall and table needs an id; capacities cannot be negative.
func decodeSchemes(b []byte) ([]Scheme, error) {
	var ss []Scheme
	if err := json.Unmarshal(b, &ss); err != nil {
		return nil, fmt.Errorf("quickresto %s: malformed answer: %v", callList, err)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("quickresto %s: "+format, append([]any{callList}, args...)...)
	}
	checkTables := func(ts []Table, where string) error {
		for _, t := range ts {
			if t.ID == "" {
				return bad("table without id in %s", where)
			}
			if t.MaxCapacity < 0 || t.MinCapacity < 0 {
				return bad("table %s has a negative capacity", t.ID)
			}
		}
		return nil
	}
	for _, s := range ss {
		if s.ID == "" {
			return nil, bad("scheme without id")
		}
		if err := checkTables(s.Tables, "scheme "+string(s.ID)); err != nil {
			return nil, err
		}
		for _, h := range s.halls() {
			if h.ID == "" {
				return nil, bad("hall without id in scheme %s", s.ID)
			}
			if err := checkTables(h.Tables, "hall "+string(h.ID)); err != nil {
				return nil, err
			}
		}
	}
	return ss, nil
}

// halls are the scheme's halls, or its webHalls when it lists no halls.
func (s Scheme) halls() []Hall {
	if len(s.Halls) > 0 {
		return s.Halls
	}
	return s.WebHalls
}

// layout turns schemes into halls and tables, and lists the busy tables.
// A table listed twice keeps its first place.
func layout(schemes []Scheme) (st agent.State, busy []string) {
	seenHall := map[string]bool{}
	seenTable := map[string]bool{}
	addTables := func(hallID string, ts []Table) {
		for _, t := range ts {
			id := string(t.ID)
			if t.Deleted || seenTable[id] {
				continue
			}
			seenTable[id] = true
			wt := wire.Table{
				ID: id, HallID: hallID, Number: strings.TrimSpace(t.Title),
				Name: strings.TrimSpace(t.ItemTitle), Seats: t.MaxCapacity,
			}
			if wt.Number == "" {
				wt.Number = wt.Name
			}
			if wt.Name == wt.Number {
				wt.Name = ""
			}
			if t.X != 0 || t.Y != 0 || t.Width != 0 || t.Height != 0 {
				wt.Position = &wire.Position{X: t.X, Y: t.Y, W: t.Width, H: t.Height}
			}
			st.Tables = append(st.Tables, wt)
			if t.IsBusy {
				busy = append(busy, id)
			}
		}
	}
	for _, s := range schemes {
		if s.Deleted {
			continue
		}
		for _, h := range s.halls() {
			id := string(h.ID)
			if h.Deleted || seenHall[id] {
				continue
			}
			seenHall[id] = true
			name := firstOf(h.Name, h.Title, h.ItemTitle)
			st.Halls = append(st.Halls, wire.Hall{ID: id, Name: name})
			addTables(id, h.Tables)
		}
		if len(s.Tables) > 0 {
			id := "scheme/" + string(s.ID)
			n := len(st.Tables)
			addTables(id, s.Tables)
			if len(st.Tables) > n && !seenHall[id] {
				seenHall[id] = true
				st.Halls = append(st.Halls, wire.Hall{ID: id, Name: firstOf(s.Name, s.ItemTitle)})
			}
		}
	}
	slices.Sort(busy)
	return st, busy
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}
