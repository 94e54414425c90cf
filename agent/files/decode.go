package files

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// record is one row of an export: our field names to the file's values,
// with the line it starts on.
type record struct {
	line   int
	values map[string]string
}

// lineError is a problem at one line of a file.
type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string {
	if e.line > 0 {
		return fmt.Sprintf("line %d: %s", e.line, e.msg)
	}
	return e.msg
}

func errorAt(line int, format string, args ...any) error {
	return &lineError{line: line, msg: fmt.Sprintf(format, args...)}
}

// maxFileSize bounds an export file, so a runaway export cannot exhaust
// the agent's memory.
const maxFileSize = 64 << 20

// utf8BOM starts files written by some Windows programs.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// decodeCSV reads the records of a CSV export written as m says.
func decodeCSV(data []byte, m Mapping, k kind) ([]record, error) {
	enc, err := encodingOf(m.Encoding)
	if err != nil {
		return nil, err
	}
	delim, err := delimiterOf(m.Delimiter)
	if err != nil {
		return nil, err
	}
	var r io.Reader = bytes.NewReader(bytes.TrimPrefix(data, utf8BOM))
	if enc != nil {
		r = enc.NewDecoder().Reader(r)
	}
	cr := csv.NewReader(r)
	cr.Comma = delim
	cr.FieldsPerRecord = -1 // checked below, with a clearer message
	cr.ReuseRecord = false

	// cols maps each mapped field to its column index; header names are
	// matched ignoring case and surrounding spaces.
	cols := map[string]int{}
	header := m.Header == nil || *m.Header
	width := 0
	if header {
		names, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil, errorAt(1, "the file is empty; a header line was expected")
		}
		if err != nil {
			return nil, csvError(err)
		}
		width = len(names)
		index := map[string]int{}
		for i, n := range names {
			index[strings.ToLower(strings.TrimSpace(n))] = i
		}
		for f, col := range m.Fields {
			i, ok := index[strings.ToLower(col)]
			if !ok {
				if isRequired(k, f) {
					return nil, errorAt(1, "column %q (field %s) is missing; the header has %s",
						col, f, quoteAll(names))
				}
				continue
			}
			cols[f] = i
		}
	} else {
		for f, col := range m.Fields {
			n, err := strconv.Atoi(col)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("field %s: column %q must be a number from 1 "+
					"when the file has no header", f, col)
			}
			cols[f] = n - 1
		}
	}

	var recs []record
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := cr.FieldPos(0)
		if len(row) == 1 && strings.TrimSpace(row[0]) == "" {
			continue // a blank line
		}
		if width > 0 && len(row) != width {
			return nil, errorAt(line, "%d fields where the header has %d "+
				"(a half-written file, or a %q inside an unquoted value?)",
				len(row), width, string(delim))
		}
		rec := record{line: line, values: map[string]string{}}
		for f, i := range cols {
			if i >= len(row) {
				if isRequired(k, f) {
					return nil, errorAt(line, "%d fields; field %s is in column %d",
						len(row), f, i+1)
				}
				continue
			}
			rec.values[f] = strings.TrimSpace(row[i])
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return errorAt(pe.Line, "%v", pe.Err)
	}
	return fmt.Errorf("read csv: %w", err)
}

func isRequired(k kind, f string) bool {
	for _, r := range required[k] {
		if r == f {
			return true
		}
	}
	return false
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

// decodeXML reads the records of an XML export: every element named
// m.Record directly under the root, with fields from its attributes
// ("@name") or child elements ("name").
func decodeXML(data []byte, m Mapping) ([]record, error) {
	enc, err := encodingOf(m.Encoding)
	if err != nil {
		return nil, err
	}
	d := xml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data, utf8BOM)))
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "windows-1251", "cp1251":
			return charmap.Windows1251.NewDecoder().Reader(in), nil
		case "utf-8", "utf8":
			return in, nil
		}
		if enc != nil {
			return enc.NewDecoder().Reader(in), nil
		}
		return nil, fmt.Errorf("encoding %q: use utf-8 or windows-1251", label)
	}
	if enc != nil {
		// Without an encoding in the XML declaration the decoder assumes
		// UTF-8; a file the mapping says is windows-1251 is converted first.
		if !bytes.Contains(firstLine(data), []byte("encoding=")) {
			d = xml.NewDecoder(enc.NewDecoder().Reader(bytes.NewReader(data)))
		}
	}

	attrs := map[string]string{}  // "@name" -> field
	childs := map[string]string{} // element name -> field
	for f, name := range m.Fields {
		if a, ok := strings.CutPrefix(name, "@"); ok {
			attrs[a] = f
		} else {
			childs[name] = f
		}
	}

	var (
		recs  []record
		depth int
		cur   *record
		field string // the field whose child element is open
		text  strings.Builder
		root  bool
	)
	for {
		line, _ := d.InputPos()
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, errorAt(se.Line, "%s (a truncated or half-written file?)", se.Msg)
			}
			return nil, errorAt(line, "%v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch {
			case depth == 1:
				root = true
			case depth == 2 && t.Name.Local == m.Record:
				cur = &record{line: line, values: map[string]string{}}
				for _, a := range t.Attr {
					if f, ok := attrs[a.Name.Local]; ok {
						cur.values[f] = strings.TrimSpace(a.Value)
					}
				}
			case depth == 3 && cur != nil:
				field = childs[t.Name.Local]
				text.Reset()
			}
		case xml.CharData:
			if depth == 3 && field != "" {
				text.Write(t)
			}
		case xml.EndElement:
			if depth == 3 && cur != nil && field != "" {
				cur.values[field] = strings.TrimSpace(text.String())
				field = ""
			}
			if depth == 2 && cur != nil {
				recs = append(recs, *cur)
				cur = nil
			}
			depth--
		}
	}
	if !root {
		return nil, errorAt(1, "no XML element found; the file is empty or not XML")
	}
	return recs, nil
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i]
	}
	return b
}
