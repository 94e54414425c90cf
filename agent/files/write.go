package files

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/encoding"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/shared/wire"
)

// CreateReservation writes an import file for req and waits up to
// confirm_wait for an export that holds the reservation with req's booking
// id; see the package documentation for what a timeout means.
func (c *Connector) CreateReservation(ctx context.Context,
	req wire.ReservationRequest) (wire.Reservation, error) {
	if req.BookingID == "" || len(req.TableIDs) == 0 {
		return wire.Reservation{}, fmt.Errorf("files: create reservation: %w: "+
			"booking id and tables are required", agent.ErrBadRequest)
	}
	name := "create-" + safeName(req.BookingID) + "." + c.cfg.Format
	what := "create reservation for booking " + req.BookingID

	c.mu.Lock()
	err := c.scan()
	if err == nil {
		if r, ok := findBooking(c.st.reservations, req.BookingID); ok {
			c.mu.Unlock()
			return r, cancelledErr(r, what)
		}
		err = c.refused(name)
	}
	if err == nil {
		err = c.send(name, c.createRow(req))
	}
	c.mu.Unlock()
	if err != nil {
		return wire.Reservation{}, fmt.Errorf("files: %s: %w", what, err)
	}

	var res wire.Reservation
	err = c.wait(ctx, what, func() (bool, error) {
		r, ok := findBooking(c.st.reservations, req.BookingID)
		if ok {
			res = r
			return true, cancelledErr(r, what)
		}
		return false, c.refused(name)
	})
	if err != nil {
		return wire.Reservation{}, err
	}
	return res, nil
}

// cancelledErr refuses a create whose reservation the RMS already holds
// as cancelled (staff cancelled it after a lost answer, or the RMS
// cancelled it on import): telling the guest "confirmed" would be
// followed at once by "cancelled". Nil for any other reservation.
func cancelledErr(r wire.Reservation, what string) error {
	if r.Status != wire.ReservationCancelled {
		return nil
	}
	return fmt.Errorf("files: %s: %w: the RMS holds its reservation %s as cancelled; "+
		"the guest needs a new booking", what, agent.ErrRefused, r.ID)
}

// CancelReservation writes a cancel import for the reservation and waits
// up to confirm_wait for an export without it, or showing it cancelled.
// One that the exports no longer hold is already cancelled.
func (c *Connector) CancelReservation(ctx context.Context, req wire.CancelRequest) error {
	key := req.BookingID
	if key == "" {
		key = req.ReservationID
	}
	name := "cancel-" + safeName(key) + "." + c.cfg.Format
	what := "cancel reservation " + req.ReservationID
	gone := func() (bool, error) {
		r, ok := c.find(req)
		if !ok || r.Status == wire.ReservationCancelled {
			return true, nil
		}
		return false, c.refused(name)
	}

	c.mu.Lock()
	err := c.scan()
	var done bool
	if err == nil && !c.loaded[kindReservations] {
		err = errors.New("no reservations export has been read yet")
	}
	if err == nil {
		done, err = gone()
	}
	if err == nil && !done {
		r, _ := c.find(req)
		err = c.send(name, c.cancelRow(r, req))
	}
	c.mu.Unlock()
	if err != nil {
		return fmt.Errorf("files: %s: %w", what, err)
	}
	if done {
		return nil
	}
	return c.wait(ctx, what, gone)
}

// find looks a reservation up by its RMS id, or else by booking id.
// Called with c.mu held.
func (c *Connector) find(req wire.CancelRequest) (wire.Reservation, bool) {
	for _, r := range c.st.reservations {
		if req.ReservationID != "" && r.ID == req.ReservationID {
			return r, true
		}
	}
	if req.ReservationID == "" {
		return findBooking(c.st.reservations, req.BookingID)
	}
	return wire.Reservation{}, false
}

// refused returns an error wrapping agent.ErrRefused if the RMS refused
// the import name, reading its refusal from in/ (and keeping it in sent/)
// or from sent/ where an earlier call kept it. Called with c.mu held.
func (c *Connector) refused(name string) error {
	kept := filepath.Join(c.dirs.sent, name+".refused")
	b, err := os.ReadFile(kept)
	if errors.Is(err, fs.ErrNotExist) {
		src := filepath.Join(c.dirs.in, name+".refused")
		if b, err = os.ReadFile(src); err == nil {
			if err := os.Rename(src, kept); err != nil {
				c.log.Warn("cannot keep a refusal", "file", src, "err", err)
			}
		}
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read refusal: %w", err)
	}
	reason := strings.TrimSpace(string(b))
	if reason == "" {
		reason = "no reason given"
	}
	return fmt.Errorf("%w: %s", agent.ErrRefused, reason)
}

// send writes an import into out/ unless it was written before: to a
// temporary name first, then renamed, and then recorded in sent/.
// Called with c.mu held.
func (c *Connector) send(name string, row map[string]string) error {
	kept := filepath.Join(c.dirs.sent, name)
	if _, err := os.Stat(kept); err == nil {
		return nil // written by an earlier try
	}
	data, err := c.encode(row)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(c.dirs.out, name)); err == nil {
		// Written, but not recorded: the agent stopped in between.
		return os.WriteFile(kept, data, 0o644)
	}
	tmp := filepath.Join(c.dirs.out, "."+name+".tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return agent.WithFix(fmt.Errorf("write import: %w", err),
			"check that the agent may write into the import folder (connector.files.out)",
			"проверьте права агента на запись в папку импорта (connector.files.out)")
	}
	if err := os.Rename(tmp, filepath.Join(c.dirs.out, name)); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write import: %w", err)
	}
	if err := os.WriteFile(kept, data, 0o644); err != nil {
		c.log.Warn("cannot record a written import; a retry may write it again",
			"file", kept, "err", err)
	}
	c.log.Info("import written", "file", name)
	return nil
}

func (c *Connector) createRow(req wire.ReservationRequest) map[string]string {
	m := c.cfg.Reservations
	loc := c.dec[kindReservations].loc
	row := map[string]string{
		"id":        "",
		"table_ids": strings.Join(req.TableIDs, listSep(m)),
		"start":     formatTime(req.Start, m.TimeFormat, loc),
		"duration":  strconv.Itoa(int(time.Duration(req.Duration) / time.Minute)),
		"guests":    strconv.Itoa(req.Guests),
		"name":      req.Name,
		"phone":     req.Phone,
		"comment":   req.Comment,
		"status":    statusWord(m, wire.ReservationNew),
	}
	if m.Fields["booking_id"] != "" {
		row["booking_id"] = req.BookingID
	} else {
		row["comment"] = tag(req.Comment, req.BookingID)
	}
	return row
}

func (c *Connector) cancelRow(r wire.Reservation, req wire.CancelRequest) map[string]string {
	m := c.cfg.Reservations
	id := req.ReservationID
	if id == "" {
		id = r.ID
	}
	row := map[string]string{
		"id":         id,
		"table_ids":  strings.Join(r.TableIDs, listSep(m)),
		"status":     statusWord(m, wire.ReservationCancelled),
		"comment":    req.Reason,
		"booking_id": req.BookingID,
	}
	if !r.Start.IsZero() {
		row["start"] = formatTime(r.Start, m.TimeFormat, c.dec[kindReservations].loc)
		row["duration"] = strconv.Itoa(int(time.Duration(r.Duration) / time.Minute))
		row["guests"] = strconv.Itoa(r.Guests)
	}
	return row
}

func listSep(m Mapping) string {
	if m.ListSeparator == "" {
		return ","
	}
	return m.ListSeparator
}

// statusWord is the RMS's word for st: the mapping's own word when it has
// one (the word equal to st first, then the first in sorted order).
func statusWord(m Mapping, st wire.ReservationStatus) string {
	if m.Statuses[string(st)] == string(st) {
		return string(st)
	}
	for _, w := range slices.Sorted(maps.Keys(m.Statuses)) {
		if m.Statuses[w] == string(st) {
			return w
		}
	}
	return string(st)
}

// encode writes one reservation row in the reservations export's format.
func (c *Connector) encode(row map[string]string) ([]byte, error) {
	m := c.cfg.Reservations
	fields := slices.Sorted(maps.Keys(m.Fields))
	var buf bytes.Buffer
	if c.cfg.Format == "xml" {
		enc := m.Encoding
		if enc == "" {
			enc = "utf-8"
		}
		fmt.Fprintf(&buf, "<?xml version=\"1.0\" encoding=%q?>\n<import>\n<%s", enc, m.Record)
		var children bytes.Buffer
		for _, f := range fields {
			name := m.Fields[f]
			if a, ok := strings.CutPrefix(name, "@"); ok {
				fmt.Fprintf(&buf, " %s=\"", a)
				_ = xml.EscapeText(&buf, []byte(row[f]))
				buf.WriteString("\"")
				continue
			}
			fmt.Fprintf(&children, "<%s>", name)
			_ = xml.EscapeText(&children, []byte(row[f]))
			fmt.Fprintf(&children, "</%s>", name)
		}
		fmt.Fprintf(&buf, ">%s</%s>\n</import>\n", children.String(), m.Record)
	} else {
		delim, err := delimiterOf(m.Delimiter)
		if err != nil {
			return nil, err
		}
		w := csv.NewWriter(&buf)
		w.Comma = delim
		w.UseCRLF = true // the RMS side is usually Windows
		if m.Header == nil || *m.Header {
			cols := make([]string, len(fields))
			for i, f := range fields {
				cols[i] = m.Fields[f]
			}
			_ = w.Write(cols)
			vals := make([]string, len(fields))
			for i, f := range fields {
				vals[i] = row[f]
			}
			_ = w.Write(vals)
		} else {
			// Without a header, fields sit at their column numbers.
			var vals []string
			for _, f := range fields {
				n, _ := strconv.Atoi(m.Fields[f])
				for len(vals) < n {
					vals = append(vals, "")
				}
				if n > 0 {
					vals[n-1] = row[f]
				}
			}
			_ = w.Write(vals)
		}
		w.Flush()
		if err := w.Error(); err != nil {
			return nil, fmt.Errorf("encode import: %w", err)
		}
	}
	cm, err := encodingOf(m.Encoding)
	if err != nil || cm == nil {
		return buf.Bytes(), err
	}
	out, err := encoding.ReplaceUnsupported(cm.NewEncoder()).Bytes(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("encode import as %s: %w", m.Encoding, err)
	}
	return out, nil
}

// safeName keeps the characters of id that are safe in a file name on
// every system.
func safeName(id string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9',
			r == '-', r == '_':
			return r
		}
		return '_'
	}, id)
}
