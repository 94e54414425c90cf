package filestest

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"

	"github.com/stolik/stolik/agent/files"
	"github.com/stolik/stolik/shared/wire"
)

// rows returns kind k's records as field -> value. Called with e.mu held.
func (e *Exporter) rows(k string) []map[string]string {
	m := e.mapping(k)
	ts := func(t time.Time) string {
		if strings.EqualFold(m.TimeFormat, "rfc3339") {
			return t.In(e.loc).Format(time.RFC3339)
		}
		return t.In(e.loc).Format(m.TimeFormat)
	}
	sep := m.ListSeparator
	if sep == "" {
		sep = ","
	}
	hallName := map[string]string{}
	for _, h := range e.halls {
		hallName[h.ID] = h.Name
	}
	var out []map[string]string
	switch k {
	case "tables":
		for _, t := range e.tables {
			out = append(out, map[string]string{"id": t.ID, "hall_id": t.HallID,
				"hall_name": hallName[t.HallID], "number": t.Number, "name": t.Name,
				"seats": strconv.Itoa(t.Seats)})
		}
	case "orders":
		for _, o := range e.orders {
			out = append(out, map[string]string{"id": o.ID,
				"table_ids": strings.Join(o.TableIDs, sep), "opened_at": ts(o.OpenedAt),
				"guests": strconv.Itoa(o.Guests), "status": o.Status})
		}
	default:
		for _, r := range e.res {
			row := map[string]string{"id": r.ID, "table_ids": strings.Join(r.TableIDs, sep),
				"start": ts(r.Start), "duration": strconv.Itoa(int(time.Duration(r.Duration) /
					time.Minute)), "guests": strconv.Itoa(r.Guests), "name": r.Name,
				"phone": r.Phone, "comment": r.Comment, "status": word(m, r.Status),
				"booking_id": r.BookingID}
			if m.Fields["booking_id"] == "" && r.BookingID != "" {
				row["comment"] = strings.TrimSpace(r.Comment + " [stolik:" + r.BookingID + "]")
			}
			out = append(out, row)
		}
	}
	return out
}

// word is the RMS's word for a status: the one equal to it, or else the
// first in sorted order.
func word(m files.Mapping, st wire.ReservationStatus) string {
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

// encode writes kind k's export, leaving out the column of field drop.
// Called with e.mu held.
func (e *Exporter) encode(k, drop string) ([]byte, error) {
	m := e.mapping(k)
	var fields []string
	for _, f := range slices.Sorted(maps.Keys(m.Fields)) {
		if f != drop {
			fields = append(fields, f)
		}
	}
	rows := e.rows(k)
	var buf bytes.Buffer
	if e.cfg.Format == "xml" {
		fmt.Fprintf(&buf, "<?xml version=\"1.0\" encoding=%q?>\n<%s exported=%q>\n",
			encName(m), k, e.now().UTC().Format(time.RFC3339))
		for _, row := range rows {
			fmt.Fprintf(&buf, "  <%s", m.Record)
			var kids bytes.Buffer
			for _, f := range fields {
				name := m.Fields[f]
				if a, ok := strings.CutPrefix(name, "@"); ok {
					fmt.Fprintf(&buf, " %s=\"", a)
					_ = xml.EscapeText(&buf, []byte(row[f]))
					buf.WriteString(`"`)
					continue
				}
				fmt.Fprintf(&kids, "<%s>", name)
				_ = xml.EscapeText(&kids, []byte(row[f]))
				fmt.Fprintf(&kids, "</%s>", name)
			}
			if kids.Len() == 0 {
				buf.WriteString("/>\n")
			} else {
				fmt.Fprintf(&buf, ">%s</%s>\n", kids.String(), m.Record)
			}
		}
		fmt.Fprintf(&buf, "</%s>\n", k)
	} else {
		w := csv.NewWriter(&buf)
		w.Comma = []rune(delim(m))[0]
		w.UseCRLF = true
		if m.Header == nil || *m.Header {
			cols := make([]string, len(fields))
			for i, f := range fields {
				cols[i] = m.Fields[f]
			}
			_ = w.Write(cols)
		}
		for _, row := range rows {
			vals := make([]string, len(fields))
			for i, f := range fields {
				vals[i] = row[f]
			}
			_ = w.Write(vals)
		}
		w.Flush()
		if err := w.Error(); err != nil {
			return nil, err
		}
	}
	if cm := charmapOf(m); cm != nil {
		return encoding.ReplaceUnsupported(cm.NewEncoder()).Bytes(buf.Bytes())
	}
	return buf.Bytes(), nil
}

func delim(m files.Mapping) string {
	if m.Delimiter == "tab" {
		return "\t"
	}
	if m.Delimiter == "" {
		return ";"
	}
	return m.Delimiter
}

func encName(m files.Mapping) string {
	if charmapOf(m) != nil {
		return "windows-1251"
	}
	return "utf-8"
}

func charmapOf(m files.Mapping) *charmap.Charmap {
	if strings.Contains(strings.ToLower(m.Encoding), "1251") {
		return charmap.Windows1251
	}
	return nil
}

// importAll carries out the imports in out/, oldest first. Called with
// e.mu held.
func (e *Exporter) importAll() error {
	entries, err := os.ReadDir(e.out)
	if err != nil {
		return err
	}
	for _, en := range entries {
		name := en.Name()
		if strings.HasPrefix(name, ".") || !en.Type().IsRegular() {
			continue
		}
		info, err := en.Info()
		if err != nil || e.now().Sub(info.ModTime()) < e.knobs.slow {
			continue
		}
		path := filepath.Join(e.out, name)
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		row, err := e.parseImport(data)
		if err == nil {
			err = e.carryOut(name, row)
		}
		if err != nil {
			e.counts.Refusals++
			_ = os.WriteFile(filepath.Join(e.in, name+".refused"), []byte(err.Error()), 0o644)
		}
		_ = os.Remove(path)
		e.counts.Imports++
		if d := e.knobs.loseNext; d > 0 {
			e.knobs.loseNext = 0
			e.knobs.holdUntil = e.now().Add(d)
		}
	}
	return nil
}

var tagRe = regexp.MustCompile(`\s*\[stolik:([^\]\s]+)\]`)

// carryOut creates or cancels a reservation as one import says. Called
// with e.mu held.
func (e *Exporter) carryOut(name string, row map[string]string) error {
	if reason := e.knobs.refuseNext; reason != "" {
		e.knobs.refuseNext = ""
		return errors.New(reason)
	}
	m := e.cfg.Reservations
	switch {
	case strings.HasPrefix(name, "create-"):
		start, err := parse(row["start"], m.TimeFormat, e.loc)
		if err != nil {
			return fmt.Errorf("время начала %q не распознано", row["start"])
		}
		minutes, _ := strconv.Atoi(row["duration"])
		guests, _ := strconv.Atoi(row["guests"])
		r := wire.Reservation{TableIDs: strings.Split(row["table_ids"], sepOf(m)),
			Start: start, Duration: wire.Duration(time.Duration(minutes) * time.Minute),
			Guests: guests, Name: row["name"], Phone: row["phone"],
			Comment: row["comment"], BookingID: row["booking_id"],
			Status: wire.ReservationConfirmed}
		if sm := tagRe.FindStringSubmatch(r.Comment); sm != nil && r.BookingID == "" {
			r.BookingID = sm[1]
			r.Comment = strings.TrimSpace(tagRe.ReplaceAllString(r.Comment, ""))
		}
		for _, o := range e.res {
			if o.Status != wire.ReservationCancelled && overlaps(o, r) {
				return fmt.Errorf("стол %s занят: бронь %s", strings.Join(r.TableIDs, ","),
					o.ID)
			}
		}
		e.next++
		r.ID = fmt.Sprintf("r%d", e.next)
		e.res = append(e.res, r)
	case strings.HasPrefix(name, "cancel-"):
		id := row["id"]
		i := slices.IndexFunc(e.res, func(r wire.Reservation) bool { return r.ID == id })
		if i < 0 {
			return fmt.Errorf("бронь %s не найдена", id)
		}
		if e.locked[id] {
			return fmt.Errorf("бронь %s нельзя отменить: гости уже за столом", id)
		}
		e.res[i].Status = wire.ReservationCancelled
	default:
		return fmt.Errorf("файл %s не распознан", name)
	}
	e.dirty = true
	return nil
}

func sepOf(m files.Mapping) string {
	if m.ListSeparator == "" {
		return ","
	}
	return m.ListSeparator
}

func overlaps(a, b wire.Reservation) bool {
	shared := slices.ContainsFunc(a.TableIDs, func(t string) bool {
		return slices.Contains(b.TableIDs, t)
	})
	aEnd := a.Start.Add(time.Duration(a.Duration))
	bEnd := b.Start.Add(time.Duration(b.Duration))
	return shared && a.Start.Before(bEnd) && b.Start.Before(aEnd)
}

func parse(s, layout string, loc *time.Location) (time.Time, error) {
	if strings.EqualFold(layout, "rfc3339") {
		t, err := time.Parse(time.RFC3339, s)
		return t.UTC(), err
	}
	t, err := time.ParseInLocation(layout, s, loc)
	return t.UTC(), err
}

// parseImport reads the one reservation of an import file as field ->
// value. Called with e.mu held.
func (e *Exporter) parseImport(data []byte) (map[string]string, error) {
	m := e.cfg.Reservations
	var r io.Reader = bytes.NewReader(data)
	byName := map[string]string{}
	for f, col := range m.Fields {
		byName[col] = f
	}
	row := map[string]string{}
	if e.cfg.Format == "xml" {
		d := xml.NewDecoder(r)
		d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
			if cm := charmapOf(files.Mapping{Encoding: label}); cm != nil {
				return cm.NewDecoder().Reader(in), nil
			}
			return in, nil
		}
		var cur string
		for {
			tok, err := d.Token()
			if errors.Is(err, io.EOF) {
				return row, nil
			}
			if err != nil {
				return nil, fmt.Errorf("файл импорта не читается: %v", err)
			}
			switch t := tok.(type) {
			case xml.StartElement:
				if t.Name.Local == m.Record {
					for _, a := range t.Attr {
						if f, ok := byName["@"+a.Name.Local]; ok {
							row[f] = a.Value
						}
					}
				}
				cur = byName[t.Name.Local]
			case xml.CharData:
				if cur != "" {
					row[cur] += string(t)
				}
			case xml.EndElement:
				cur = ""
			}
		}
	}
	if cm := charmapOf(m); cm != nil {
		r = cm.NewDecoder().Reader(r)
	}
	cr := csv.NewReader(r)
	cr.Comma = []rune(delim(m))[0]
	recs, err := cr.ReadAll()
	if err != nil || len(recs) < 1 {
		return nil, fmt.Errorf("файл импорта не читается: %v", err)
	}
	if m.Header == nil || *m.Header {
		if len(recs) < 2 {
			return nil, errors.New("в файле импорта нет строки данных")
		}
		for i, col := range recs[0] {
			if f, ok := byName[col]; ok && i < len(recs[1]) {
				row[f] = recs[1][i]
			}
		}
		return row, nil
	}
	for f, col := range m.Fields {
		if n, _ := strconv.Atoi(col); n > 0 && n <= len(recs[0]) {
			row[f] = recs[0][n-1]
		}
	}
	return row, nil
}
