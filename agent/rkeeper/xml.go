package rkeeper

import (
	"encoding/xml"
	"fmt"
	"strings"
	"time"
)

// node is one XML element of a request: RK7CMD and its children. Requests
// are built from nodes because every command takes a different set of
// attributes and children.
type node struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Children []node     `xml:",any"`
}

// el builds an element with attributes given as name, value pairs; pairs
// with an empty value are left out, so optional settings can be passed as
// they are.
func el(name string, attrs ...string) node {
	n := node{XMLName: xml.Name{Local: name}}
	for i := 0; i+1 < len(attrs); i += 2 {
		if attrs[i+1] != "" {
			n.Attrs = append(n.Attrs, xml.Attr{Name: xml.Name{Local: attrs[i]}, Value: attrs[i+1]})
		}
	}
	return n
}

// with adds children to n, leaving out empty ones (el with no name).
func (n node) with(children ...node) node {
	for _, c := range children {
		if c.XMLName.Local != "" {
			n.Children = append(n.Children, c)
		}
	}
	return n
}

// command starts an RK7CMD element for cmd.
func command(cmd string, attrs ...string) node {
	return el("RK7CMD", append([]string{"CMD", cmd}, attrs...)...)
}

// encodeQuery writes cmd inside an RK7Query envelope.
func encodeQuery(cmd node) ([]byte, error) {
	b, err := xml.Marshal(struct {
		XMLName xml.Name `xml:"RK7Query"`
		Cmd     node
	}{Cmd: cmd})
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), b...), nil
}

// header holds the attributes every RK7QueryResult carries. Errors come
// in-band: an HTTP 200 whose Status is not "Ok".
type header struct {
	Status    string     `xml:"Status,attr"`
	CMD       string     `xml:"CMD,attr"`
	ErrorN    string     `xml:"RK7ErrorN,attr"`
	ErrorText string     `xml:"ErrorText,attr"`
	Errors    []errorRow `xml:"Errors>Error"`
}

type errorRow struct {
	N         string `xml:"RK7ErrorN,attr"`
	Component string `xml:"Component,attr"`
	Text      string `xml:",chardata"`
}

func (h *header) head() *header { return h }

// result is what every decoded answer gives the client to check.
type result interface{ head() *header }

// Status values of RK7QueryResult.
const (
	statusOK        = "Ok"
	statusNoChanges = "No changes"
)

// plainResult is an answer of which only the header matters (UpdateOrder,
// VoidOrder).
type plainResult struct {
	XMLName xml.Name `xml:"RK7QueryResult"`
	header
}

// refResult is the answer to GetRefData.
type refResult struct {
	XMLName xml.Name `xml:"RK7QueryResult"`
	header
	Reference struct {
		DataVersion string    `xml:"DataVersion,attr"`
		Name        string    `xml:"Name,attr"`
		Items       []refItem `xml:"Items>Item"`
	} `xml:"RK7Reference"`
}

// refItem keeps every attribute: which one holds the seat count depends
// on the venue's setup.
type refItem struct {
	Attrs []xml.Attr `xml:",any,attr"`
}

func (it refItem) attr(name string) string {
	for _, a := range it.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// createResult is the answer to CreateOrder.
type createResult struct {
	XMLName xml.Name `xml:"RK7QueryResult"`
	header
	VisitID string `xml:"VisitID,attr"`
	OrderID string `xml:"OrderID,attr"`
	GUID    string `xml:"guid,attr"`
}

// orderListResult is the answer to GetOrderList (PascalCase attributes).
type orderListResult struct {
	XMLName xml.Name `xml:"RK7QueryResult"`
	header
	LastVersion string      `xml:"lastversion,attr"`
	Visits      []listVisit `xml:"Visit"`
}

type listVisit struct {
	VisitID           string      `xml:"VisitID,attr"`
	GUID              string      `xml:"guid,attr"`
	Finished          string      `xml:"Finished,attr"`
	GuestsCount       string      `xml:"GuestsCount,attr"`
	PersistentComment string      `xml:"PersistentComment,attr"`
	Guests            guests      `xml:"Guests"`
	Orders            []listOrder `xml:"Orders>Order"`
}

type guests struct {
	Count string `xml:"count,attr"`
}

type listOrder struct {
	OrderID     string    `xml:"OrderID,attr"`
	GUID        string    `xml:"guid,attr"`
	CreateTime  string    `xml:"CreateTime,attr"`
	Finished    string    `xml:"Finished,attr"`
	Bill        string    `xml:"Bill,attr"`
	TableID     string    `xml:"TableID,attr"`
	TableCode   string    `xml:"TableCode,attr"`
	Reserve     string    `xml:"reserve,attr"`
	Duration    string    `xml:"duration,attr"`
	ExtraTables []refItem `xml:"ExtraTables>item"`
}

// orderList2Result is the answer to GetOrderList2 (camelCase attributes,
// references as child elements).
type orderList2Result struct {
	XMLName xml.Name `xml:"RK7QueryResult"`
	header
	LastVersion string       `xml:"lastversion,attr"`
	Visits      []list2Visit `xml:"Visit"`
}

type list2Visit struct {
	Visit             string       `xml:"visit,attr"`
	GUID              string       `xml:"guid,attr"`
	Finished          string       `xml:"finished,attr"`
	PersistentComment string       `xml:"persistentComment,attr"`
	Guests            guests       `xml:"Guests"`
	Orders            []list2Order `xml:"Orders>Order"`
}

type list2Order struct {
	GUID              string `xml:"guid,attr"`
	OrderIdent        string `xml:"orderIdent,attr"`
	PersistentComment string `xml:"persistentComment,attr"`
	OpenTime          string `xml:"openTime,attr"`
	Duration          string `xml:"duration,attr"`
	Holder            string `xml:"holder,attr"`
	Finished          string `xml:"finished,attr"`
	Reserve           string `xml:"reserve,attr"`
	Table             struct {
		ID   string `xml:"id,attr"`
		Code string `xml:"code,attr"`
	} `xml:"Table"`
	Props []struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	} `xml:"ExternalProps>Prop"`
}

func (o list2Order) prop(name string) string {
	for _, p := range o.Props {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}

// isTrue reads an R-Keeper boolean: "1" or "true" (any case).
func isTrue(s string) bool {
	s = strings.TrimSpace(s)
	return s == "1" || strings.EqualFold(s, "true")
}

// timeLayout is how the XML interface writes date and time: local time,
// no zone.
const timeLayout = "2006-01-02T15:04:05"

// parseLocal reads a local time of the till in loc. Fractional seconds
// and an explicit offset are accepted too.
func parseLocal(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.ParseInLocation(timeLayout, s, loc); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("time %q: want the form 2025-06-14T19:00:00", s)
}

// formatLocal writes t as the till's local time.
func formatLocal(t time.Time, loc *time.Location) string {
	return t.In(loc).Format(timeLayout)
}

// normGUID turns an R-Keeper GUID ({7B8C9D0E-...}) into our id form:
// lowercase, without braces.
func normGUID(s string) string {
	return strings.ToLower(strings.Trim(strings.TrimSpace(s), "{}"))
}

// braceGUID writes one of our ids back the way the XML interface writes
// GUIDs: upper case in braces.
func braceGUID(id string) string {
	return "{" + strings.ToUpper(id) + "}"
}

// validGUID reports whether id is a GUID in our form.
func validGUID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i, r := range id {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdef", r) {
				return false
			}
		}
	}
	return true
}
