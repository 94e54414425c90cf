package files

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/encoding/charmap"
)

// Config is the connector.files section of agent.yaml. Zero fields take
// the preset's value, and the preset the format's generic one.
type Config struct {
	// Dir is the exchange folder the RMS exports into and imports from.
	Dir string `yaml:"dir"`
	// In, Out, Done and Quarantine name its subfolders (relative to Dir
	// unless absolute): exports are read from In, imports written to Out,
	// read exports kept in Done and malformed ones moved to Quarantine.
	In         string `yaml:"in"`
	Out        string `yaml:"out"`
	Done       string `yaml:"done"`
	Quarantine string `yaml:"quarantine"`
	// Format is csv or xml; empty takes the preset's.
	Format string `yaml:"format"`
	// Preset names a ready mapping: smarttouch-csv, generic-csv or
	// generic-xml. The mappings below override it field by field.
	Preset string `yaml:"preset"`
	// TimeZone is the venue's IANA zone, for times written without one.
	// Required: the agent's host clock may be set to another zone.
	TimeZone string `yaml:"time_zone"`
	// Complete says when an export counts as fully written: "marker" (a
	// companion <name>.done or <name>.ok file; the CSV presets' default),
	// "stable" (size and mtime unchanged across two reads at least Settle
	// apart) or "either" (the XML preset's default).
	Complete string        `yaml:"complete"`
	Settle   time.Duration `yaml:"settle"`
	// KeepDays is how long read, quarantined and sent files are kept.
	KeepDays int `yaml:"keep_days"`
	// ConfirmWait is how long a create or cancel waits for an export that
	// shows the RMS carried it out.
	ConfirmWait time.Duration `yaml:"confirm_wait"`

	Tables       Mapping `yaml:"tables"`
	Orders       Mapping `yaml:"orders"`
	Reservations Mapping `yaml:"reservations"`
}

// Mapping says how one kind of export file is written.
type Mapping struct {
	// Pattern matches the export's file name (path.Match syntax), such
	// as "tables*.csv".
	Pattern string `yaml:"pattern"`
	// Delimiter separates CSV fields (one character; "tab" for a tab).
	Delimiter string `yaml:"delimiter"`
	// Header says whether the first CSV line names the columns; without
	// one, Fields give 1-based column numbers.
	Header *bool `yaml:"header"`
	// Encoding is utf-8 or windows-1251.
	Encoding string `yaml:"encoding"`
	// Record is the XML element holding one record (a direct child of the
	// root element).
	Record string `yaml:"record"`
	// Fields maps our field names (see the package documentation) to the
	// file's column names, or for XML to a child element name or
	// "@attribute".
	Fields map[string]string `yaml:"fields"`
	// TimeFormat is a Go time layout ("2006-01-02 15:04:05") or rfc3339.
	TimeFormat string `yaml:"time_format"`
	// TimeZone overrides Config.TimeZone for this file's times.
	TimeZone string `yaml:"time_zone"`
	// ListSeparator separates table ids inside one field.
	ListSeparator string `yaml:"list_separator"`
	// MaxAge is how old the newest export of this kind may grow before
	// Snapshot fails, counted from when the connector read it: the RMS's
	// export job has stopped. Unset takes DefaultMaxAge; 0 turns the check
	// off.
	MaxAge *time.Duration `yaml:"max_age"`
	// Statuses maps the RMS's words for a reservation's stage to new,
	// confirmed, seated or cancelled.
	Statuses map[string]string `yaml:"statuses"`
}

// Defaults for zero fields that no preset sets.
const (
	DefaultKeepDays    = 14
	DefaultSettle      = time.Second
	DefaultConfirmWait = time.Minute
)

// DefaultMaxAge is each kind's max_age when unset: a venue's open orders
// go stale fastest, its tables slowest.
var DefaultMaxAge = map[string]time.Duration{
	"tables":       24 * time.Hour,
	"orders":       10 * time.Minute,
	"reservations": 30 * time.Minute,
}

// Field names, per kind; see the package documentation.
var (
	tableFields = []string{"id", "hall_id", "hall_name", "number", "name", "seats",
		"x", "y", "w", "h"}
	orderFields       = []string{"id", "table_ids", "opened_at", "guests", "status"}
	reservationFields = []string{"id", "table_ids", "start", "duration", "guests", "name",
		"phone", "comment", "status", "booking_id"}
	required = map[kind][]string{
		kindTables:       {"id", "hall_id", "number", "seats"},
		kindOrders:       {"id", "table_ids", "opened_at"},
		kindReservations: {"id", "table_ids", "start", "duration", "guests"},
	}
)

func fieldsOf(k kind) []string {
	switch k {
	case kindTables:
		return tableFields
	case kindOrders:
		return orderFields
	}
	return reservationFields
}

func identity(names []string, prefix string) map[string]string {
	m := map[string]string{}
	for _, n := range names {
		m[n] = prefix + n
	}
	return m
}

var (
	yes = true

	genericStatuses = map[string]string{"new": "new", "confirmed": "confirmed",
		"seated": "seated", "cancelled": "cancelled", "canceled": "cancelled"}

	genericCSV = func(pattern string, names []string) Mapping {
		return Mapping{Pattern: pattern, Delimiter: ";", Header: &yes, Encoding: "utf-8",
			Fields: identity(names, ""), TimeFormat: "2006-01-02 15:04:05", ListSeparator: ",",
			Statuses: genericStatuses}
	}
	genericXML = func(pattern, record string, names []string) Mapping {
		return Mapping{Pattern: pattern, Record: record, Encoding: "utf-8",
			Fields: identity(names, "@"), TimeFormat: "2006-01-02T15:04:05", ListSeparator: ",",
			Statuses: genericStatuses}
	}
	smartTouch = func(pattern string, fields map[string]string) Mapping {
		return Mapping{Pattern: pattern, Delimiter: ";", Header: &yes, Encoding: "windows-1251",
			Fields: fields, TimeFormat: "02.01.2006 15:04", ListSeparator: ",",
			Statuses: map[string]string{"Новый": "new", "Новая": "new",
				"Подтверждена": "confirmed", "Подтвержден": "confirmed",
				"Гости пришли": "seated", "Отменена": "cancelled", "Отменен": "cancelled"}}
	}
)

// Presets are the ready mappings, by name.
var Presets = map[string]Config{
	"generic-csv": {Format: "csv", Complete: "marker",
		Tables:       genericCSV("tables*.csv", tableFields),
		Orders:       genericCSV("orders*.csv", orderFields),
		Reservations: genericCSV("reservations*.csv", reservationFields)},
	"generic-xml": {Format: "xml", Complete: "either",
		Tables:       genericXML("tables*.xml", "table", tableFields),
		Orders:       genericXML("orders*.xml", "order", orderFields),
		Reservations: genericXML("reservations*.xml", "reservation", reservationFields)},
	"smarttouch-csv": {Format: "csv", Complete: "marker",
		Tables: smartTouch("stoly*.csv", map[string]string{"id": "Код", "hall_id": "КодЗала",
			"hall_name": "Зал", "number": "Номер", "name": "Название", "seats": "Мест"}),
		Orders: smartTouch("zakazy*.csv", map[string]string{"id": "Код",
			"table_ids": "Столы", "opened_at": "Открыт", "guests": "Гостей",
			"status": "Состояние"}),
		Reservations: smartTouch("bron*.csv", map[string]string{"id": "Код",
			"table_ids": "Столы", "start": "Начало", "duration": "Минут", "guests": "Гостей",
			"name": "Гость", "phone": "Телефон", "comment": "Комментарий",
			"status": "Состояние", "booking_id": "ВнешнийКод"}),
	},
}

// Resolve returns c over its preset, with defaults for what both leave
// zero. It does not check the result; Problems does.
func (c Config) Resolve() Config {
	name := c.Preset
	if name == "" {
		name = "generic-" + c.Format
		if c.Format == "" {
			name = "generic-csv"
		}
	}
	p, ok := Presets[name]
	if !ok {
		return c
	}
	r := c
	if r.Format == "" {
		r.Format = p.Format
	}
	if r.In == "" {
		r.In = "in"
	}
	if r.Out == "" {
		r.Out = "out"
	}
	if r.Done == "" {
		r.Done = "done"
	}
	if r.Quarantine == "" {
		r.Quarantine = "quarantine"
	}
	if r.Complete == "" {
		r.Complete = p.Complete
	}
	if r.Complete == "" {
		r.Complete = "either"
	}
	if r.Settle == 0 {
		r.Settle = DefaultSettle
	}
	if r.KeepDays == 0 {
		r.KeepDays = DefaultKeepDays
	}
	if r.ConfirmWait == 0 {
		r.ConfirmWait = DefaultConfirmWait
	}
	r.Tables = over(p.Tables, c.Tables)
	r.Orders = over(p.Orders, c.Orders)
	r.Reservations = over(p.Reservations, c.Reservations)
	for k, m := range map[kind]*Mapping{kindTables: &r.Tables, kindOrders: &r.Orders,
		kindReservations: &r.Reservations} {
		if m.MaxAge == nil {
			d := DefaultMaxAge[string(k)]
			m.MaxAge = &d
		}
	}
	return r
}

// over returns base with every non-zero field of m written over it; maps
// are merged key by key, and a key set to "" removes it.
func over(base, m Mapping) Mapping {
	r := base
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&r.Pattern, m.Pattern)
	set(&r.Delimiter, m.Delimiter)
	set(&r.Encoding, m.Encoding)
	set(&r.Record, m.Record)
	set(&r.TimeFormat, m.TimeFormat)
	set(&r.TimeZone, m.TimeZone)
	set(&r.ListSeparator, m.ListSeparator)
	if m.Header != nil {
		r.Header = m.Header
	}
	if m.MaxAge != nil {
		r.MaxAge = m.MaxAge
	}
	merge := func(a, b map[string]string) map[string]string {
		out := maps.Clone(a)
		if out == nil {
			out = map[string]string{}
		}
		for k, v := range b {
			if v == "" {
				delete(out, k)
				continue
			}
			out[k] = v
		}
		return out
	}
	r.Fields = merge(base.Fields, m.Fields)
	r.Statuses = merge(base.Statuses, m.Statuses)
	return r
}

// Problem is one thing wrong with a Config: the field (below
// connector.files) and what to write instead.
type Problem struct {
	Field, Message string
}

// Problems checks c as Resolve completes it and returns every problem.
func (c Config) Problems() []Problem {
	var probs []Problem
	bad := func(field, format string, args ...any) {
		probs = append(probs, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if c.Dir == "" {
		bad("dir", "is empty; name the folder the RMS exports into, e.g. C:\\SmartTouch\\exchange")
	}
	if c.Preset != "" {
		if _, ok := Presets[c.Preset]; !ok {
			bad("preset", "%q is not known; use one of %s", c.Preset,
				strings.Join(slices.Sorted(maps.Keys(Presets)), ", "))
			return probs
		}
	}
	if c.Format != "" && c.Format != "csv" && c.Format != "xml" {
		bad("format", "%q: use csv or xml", c.Format)
		return probs
	}
	r := c.Resolve()
	switch r.Complete {
	case "marker", "stable", "either":
	default:
		bad("complete", "%q: use marker, stable or either", r.Complete)
	}
	if r.Settle < 0 {
		bad("settle", "cannot be negative (1s is usual)")
	}
	if r.KeepDays < 0 {
		bad("keep_days", "cannot be negative (%d is usual)", DefaultKeepDays)
	}
	if r.ConfirmWait < 0 {
		bad("confirm_wait", "cannot be negative (1m is usual)")
	}
	if r.ConfirmWait > 100*time.Second {
		bad("confirm_wait", "%v is longer than the agent lets a command run (2m); "+
			"use at most 100s", r.ConfirmWait)
	}
	if r.TimeZone == "" {
		bad("time_zone", "is empty; write the venue's IANA zone, e.g. Europe/Moscow "+
			"(the times in the exports are read in it)")
	} else if _, err := loadZone(r.TimeZone); err != nil {
		bad("time_zone", "%v; write an IANA name such as Europe/Moscow", err)
	}
	for _, k := range kinds {
		m := r.mapping(k)
		field := func(s string) string { return string(k) + "." + s }
		if m.Pattern == "" {
			bad(field("pattern"), "is empty; write the export's file name, e.g. %s*.%s",
				k, r.Format)
		} else if _, err := matchName(m.Pattern, "x"); err != nil {
			bad(field("pattern"), "%q is not a valid file pattern", m.Pattern)
		}
		if _, err := encodingOf(m.Encoding); err != nil {
			bad(field("encoding"), "%v", err)
		}
		if r.Format == "csv" {
			if _, err := delimiterOf(m.Delimiter); err != nil {
				bad(field("delimiter"), "%v", err)
			}
		} else if m.Record == "" {
			bad(field("record"), "is empty; name the XML element of one %s record", k)
		}
		for f := range m.Fields {
			if !slices.Contains(fieldsOf(k), f) {
				bad(field("fields."+f), "is not a field of %s; the fields are %s", k,
					strings.Join(fieldsOf(k), ", "))
			}
		}
		for _, f := range required[k] {
			if m.Fields[f] == "" {
				bad(field("fields."+f), "is required; name the column that holds it")
			}
		}
		if m.MaxAge != nil && *m.MaxAge < 0 {
			bad(field("max_age"), "cannot be negative (%v is usual; 0 turns the check off)",
				DefaultMaxAge[string(k)])
		}
		if m.TimeZone != "" {
			if _, err := loadZone(m.TimeZone); err != nil {
				bad(field("time_zone"), "%v", err)
			}
		}
		for word, st := range m.Statuses {
			switch st {
			case "new", "confirmed", "seated", "cancelled":
			default:
				bad(field("statuses."+word), "%q: use new, confirmed, seated or cancelled", st)
			}
		}
	}
	return probs
}

func (c Config) mapping(k kind) Mapping {
	switch k {
	case kindTables:
		return c.Tables
	case kindOrders:
		return c.Orders
	}
	return c.Reservations
}

func loadZone(name string) (*time.Location, error) {
	if name == "" {
		return nil, fmt.Errorf("no time zone given")
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q", name)
	}
	return loc, nil
}

func encodingOf(name string) (*charmap.Charmap, error) {
	switch strings.ToLower(strings.ReplaceAll(name, "_", "-")) {
	case "", "utf-8", "utf8":
		return nil, nil
	case "windows-1251", "cp1251", "cp-1251":
		return charmap.Windows1251, nil
	}
	return nil, fmt.Errorf("encoding %q: use utf-8 or windows-1251", name)
}

func delimiterOf(s string) (rune, error) {
	switch s {
	case "tab", `\t`:
		return '\t', nil
	}
	r := []rune(s)
	if len(r) != 1 || r[0] == '"' || r[0] == '\n' || r[0] == '\r' {
		return 0, fmt.Errorf("delimiter %q: use one character such as ; or , (or tab)", s)
	}
	return r[0], nil
}
