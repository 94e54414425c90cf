package poster

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stolik/stolik/agent/internal/atomicfile"
)

// keepMapped is how long a mapped reservation stays in the map file after it
// ended.
const keepMapped = 7 * 24 * time.Hour

// placed is what the connector remembers about a reservation it created:
// Poster's reservation objects do not say which table they are on.
type placed struct {
	ReservationID string    `json:"reservation_id"`
	TableID       string    `json:"table_id"`
	BookingID     string    `json:"booking_id"`
	End           time.Time `json:"end"`
}

// tableMap is the connector's map from Poster reservation ids to tables,
// kept in a JSON file (replaced atomically) when it has a path.
type tableMap struct {
	path string

	mu   sync.Mutex
	byID map[string]placed // guarded by mu; by reservation id
}

type tableMapFile struct {
	Version      int      `json:"version"`
	Reservations []placed `json:"reservations"`
}

const tableMapVersion = 1

// openTableMap reads the map file at path; a missing file is an empty map.
// An empty path keeps the map in memory only.
func openTableMap(path string) (*tableMap, error) {
	m := &tableMap{path: path, byID: map[string]placed{}}
	if path == "" {
		return m, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read poster table map: %w", err)
	}
	var f tableMapFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("read poster table map %s: %v; delete the file to start "+
			"afresh (reservations made by Stolik then show without a table)", path, err)
	}
	if f.Version != tableMapVersion {
		return nil, fmt.Errorf("read poster table map %s: version %d, want %d",
			path, f.Version, tableMapVersion)
	}
	for i, p := range f.Reservations {
		if p.ReservationID == "" || p.TableID == "" {
			return nil, fmt.Errorf("read poster table map %s: entry %d has no "+
				"reservation_id or table_id", path, i+1)
		}
		m.byID[p.ReservationID] = p
	}
	return m, nil
}

func (m *tableMap) get(reservationID string) (placed, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.byID[reservationID]
	return p, ok
}

// byBooking finds the reservation created for a hub booking.
func (m *tableMap) byBooking(bookingID string) (placed, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range m.byID {
		if p.BookingID == bookingID {
			return p, true
		}
	}
	return placed{}, false
}

// put records p and writes the file; entries that ended keepMapped before
// now are dropped. On a write error the map is left as it was.
func (m *tableMap) put(p placed, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, had := m.byID[p.ReservationID]
	m.byID[p.ReservationID] = p
	if err := m.save(now); err != nil {
		if had {
			m.byID[p.ReservationID] = old
		} else {
			delete(m.byID, p.ReservationID)
		}
		return err
	}
	return nil
}

// save writes the file; m.mu must be held.
func (m *tableMap) save(now time.Time) error {
	for id, p := range m.byID {
		if p.End.Before(now.Add(-keepMapped)) {
			delete(m.byID, id)
		}
	}
	if m.path == "" {
		return nil
	}
	f := tableMapFile{Version: tableMapVersion, Reservations: []placed{}}
	for _, p := range m.byID {
		f.Reservations = append(f.Reservations, p)
	}
	slices.SortFunc(f.Reservations, func(a, b placed) int {
		return strings.Compare(a.ReservationID, b.ReservationID)
	})
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("encode poster table map: %w", err)
	}
	if err := atomicfile.Write(m.path, append(b, '\n')); err != nil {
		return fmt.Errorf("write poster table map: %w", err)
	}
	return nil
}
