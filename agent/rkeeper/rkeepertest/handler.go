package rkeepertest

import (
	"encoding/xml"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

const timeLayout = "2006-01-02T15:04:05"

// Status values the XML interface answers with.
const (
	statusOK        = "Ok"
	statusNoChanges = "No changes"
	statusParse     = "Query Parse Error"
	statusBadParams = "Bad Query Parameters"
	statusExec      = "Query Executing Error"
)

// xnode is an XML element of a query or an answer.
type xnode struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Text     string     `xml:",chardata"`
	Children []xnode    `xml:",any"`
}

func elem(name string, attrs ...string) xnode {
	n := xnode{XMLName: xml.Name{Local: name}}
	for i := 0; i+1 < len(attrs); i += 2 {
		n.Attrs = append(n.Attrs, xml.Attr{Name: xml.Name{Local: attrs[i]}, Value: attrs[i+1]})
	}
	return n
}

func (n xnode) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n xnode) child(name string) (xnode, bool) {
	for _, c := range n.Children {
		if c.XMLName.Local == name {
			return c, true
		}
	}
	return xnode{}, false
}

func (n *xnode) add(c ...xnode) { n.Children = append(n.Children, c...) }

// ServeHTTP answers one RK7Query.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.total++
	down, slow := f.down, f.slow
	f.mu.Unlock()
	if down {
		drop(w)
		return
	}
	if slow > 0 {
		select {
		case <-time.After(slow):
		case <-r.Context().Done():
			return
		}
	}

	user, pass, ok := r.BasicAuth()
	f.mu.Lock()
	switch {
	case f.expire > 0 || !ok || user != f.opts.User || pass != f.opts.Password:
		if f.expire > 0 {
			f.expire--
		}
		f.mu.Unlock()
		w.Header().Set("WWW-Authenticate", `Basic realm="RK7"`)
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	case len(f.failHTTP) > 0:
		code := f.failHTTP[0]
		f.failHTTP = f.failHTTP[1:]
		f.mu.Unlock()
		http.Error(w, http.StatusText(code), code)
		return
	}
	malformed := f.malformed > 0
	if malformed {
		f.malformed--
	}
	f.mu.Unlock()

	var q xnode
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err == nil {
		err = xml.Unmarshal(body, &q)
	}
	cmd, found := q.child("RK7CMD")
	var res xnode
	lose := false
	if err != nil || q.XMLName.Local != "RK7Query" || !found {
		res = f.result("", statusParse)
		res.Attrs = append(res.Attrs, attr("ErrorText", "RK7Query with an RK7CMD expected"))
	} else {
		f.mu.Lock()
		f.counts[cmd.attr("CMD")]++
		res, lose = f.exec(cmd)
		f.mu.Unlock()
	}
	if lose {
		drop(w)
		return
	}
	out, err := xml.Marshal(res)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	out = append([]byte(xml.Header), out...)
	if malformed {
		out = out[:len(out)/2]
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	_, _ = w.Write(out)
}

// drop closes the connection without an answer.
func drop(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

func attr(name, value string) xml.Attr {
	return xml.Attr{Name: xml.Name{Local: name}, Value: value}
}

// result starts an answer. Callers hold mu, or need not.
func (f *Fake) result(cmd, status string) xnode {
	return elem("RK7QueryResult", "ServerVersion", "7.7.0.245", "XmlVersion", "259",
		"NetName", "MIDSERVER_FAKE", "Status", status, "CMD", cmd, "ErrorText", "",
		"DateTime", f.opts.Now().In(f.opts.Location).Format(timeLayout), "WorkTime", "3",
		"Processed", "1")
}

// fail answers cmd with an in-band fault.
func (f *Fake) fail(cmd string, ft Fault) xnode {
	res := f.result(cmd, ft.Status)
	for i := range res.Attrs {
		switch res.Attrs[i].Name.Local {
		case "ErrorText":
			res.Attrs[i].Value = ft.Text
		case "Processed":
			res.Attrs[i].Value = "0"
		}
	}
	if ft.Code != "" {
		res.Attrs = append(res.Attrs, attr("RK7ErrorN", ft.Code))
		e := elem("Error", "RK7ErrorN", ft.Code, "Component", "Rights")
		e.Text = ft.Text
		errs := elem("Errors")
		errs.add(e)
		res.add(errs)
	}
	return res
}

// exec carries out one command. It reports whether the answer is to be
// lost. Callers hold mu.
func (f *Fake) exec(cmd xnode) (xnode, bool) {
	name := cmd.attr("CMD")
	if q := f.failCmd[name]; len(q) > 0 {
		f.failCmd[name] = q[1:]
		return f.fail(name, q[0]), false
	}
	var res xnode
	switch name {
	case "GetRefData":
		res = f.getRefData(cmd)
	case "GetOrderList":
		res = f.getOrderList(cmd)
	case "GetOrderList2":
		res = f.getOrderList2(cmd)
	case "CreateOrder":
		res = f.createOrder(cmd)
	case "UpdateOrder":
		res = f.updateOrder(cmd)
	case "VoidOrder":
		res = f.voidOrder(cmd)
	default:
		return f.fail(name, Fault{Status: statusParse, Text: "unknown command " + name}), false
	}
	lose := false
	write := slices.Contains([]string{"CreateOrder", "UpdateOrder", "VoidOrder"}, name)
	if write && (f.loseNext == "*" || f.loseNext == name) {
		f.loseNext, lose = "", true
	}
	return res, lose
}

func (f *Fake) getRefData(cmd xnode) xnode {
	name := cmd.attr("RefName")
	var items []*item
	switch strings.ToUpper(name) {
	case "HALLPLANS":
		items = f.halls
	case "TABLES":
		items = f.tables
	default:
		return f.fail("GetRefData", Fault{Status: statusBadParams,
			Text: "unknown reference " + name})
	}
	ref := elem("RK7Reference", "DataVersion", strconv.Itoa(f.refVersion[strings.ToUpper(name)]),
		"Name", strings.ToUpper(name))
	list := elem("Items")
	if cmd.attr("ItemCount") != "0" {
		for _, it := range items {
			x := elem("Item", "Ident", strconv.Itoa(it.ident), "Code", strconv.Itoa(it.code),
				"Name", it.name, "GUIDString", braced(it.guid), "Status", "rsActive")
			if it.hall != 0 {
				x.Attrs = append(x.Attrs, attr("Hall", strconv.Itoa(it.hall)),
					attr(f.opts.SeatsAttribute, strconv.Itoa(it.seats)))
			}
			list.add(x)
		}
	}
	ref.add(list)
	res := f.result("GetRefData", statusOK)
	res.add(ref)
	return res
}

// sorted lists the open orders by ident.
func (f *Fake) sorted() []*order {
	var out []*order
	for _, o := range f.orders {
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b *order) int { return a.ident - b.ident })
	return out
}

func (f *Fake) getOrderList(cmd xnode) xnode {
	v := strconv.Itoa(f.version)
	if cmd.attr("lastversion") == v {
		res := f.result("GetOrderList", statusNoChanges)
		res.Attrs = append(res.Attrs, attr("lastversion", v))
		return res
	}
	res := f.result("GetOrderList", statusOK)
	res.Attrs = append(res.Attrs, attr("lastversion", v))
	for _, o := range f.sorted() {
		visit := elem("Visit", "VisitID", strconv.Itoa(o.visit), "guid", braced(o.visitGUID),
			"Finished", "0", "GuestsCount", strconv.Itoa(o.guests),
			"PersistentComment", o.comment)
		visit.add(elem("Guests", "count", strconv.Itoa(o.guests)))
		ord := elem("Order", "OrderID", strconv.Itoa(o.ident), "Version", "1",
			"guid", braced(o.guid), "OrderName", strconv.Itoa(o.table.code)+".1",
			"OrderSum", "0", "ToPaySum", "0", "CreateTime", f.local(o.created),
			"Finished", "0", "Bill", boolStr(o.bill), "TableID", strconv.Itoa(o.table.ident),
			"TableCode", strconv.Itoa(o.table.code), "TableName", o.table.name,
			"reserve", boolStr(o.reserve))
		if o.reserve {
			ord.Attrs = append(ord.Attrs, attr("duration", o.duration))
		}
		orders := elem("Orders")
		orders.add(ord)
		visit.add(orders)
		res.add(visit)
	}
	return res
}

func (f *Fake) getOrderList2(cmd xnode) xnode {
	var only *item
	if t, ok := cmd.child("Table"); ok {
		switch {
		case t.attr("code") != "":
			only = f.table("code", t.attr("code"))
		case t.attr("id") != "":
			only = f.table("id", t.attr("id"))
		}
		if only == nil {
			return f.fail("GetOrderList2", Fault{Status: statusBadParams, Text: "Стол не найден"})
		}
	}
	res := f.result("GetOrderList2", statusOK)
	res.Attrs = append(res.Attrs, attr("lastversion", strconv.Itoa(f.version)))
	for _, o := range f.sorted() {
		if only != nil && o.table != only {
			continue
		}
		visit := elem("Visit", "visit", strconv.Itoa(o.visit), "guid", braced(o.visitGUID),
			"finished", "0", "persistentComment", o.comment)
		visit.add(elem("Guests", "count", strconv.Itoa(o.guests)))
		open := o.openTime
		if open == "" {
			open = f.local(o.created)
		}
		ord := elem("Order", "visit", strconv.Itoa(o.visit), "orderIdent", strconv.Itoa(o.ident),
			"guid", braced(o.guid), "version", "1", "persistentComment", o.comment,
			"openTime", open, "duration", o.duration, "holder", o.holder,
			"orderSum", "0", "paid", "0", "finished", "0", "reserve", boolStr(o.reserve))
		ord.add(elem("Table", "id", strconv.Itoa(o.table.ident),
			"code", strconv.Itoa(o.table.code), "name", o.table.name))
		if len(o.props) > 0 {
			props := elem("ExternalProps")
			for _, k := range sortedKeys(o.props) {
				props.add(elem("Prop", "name", k, "value", o.props[k]))
			}
			ord.add(props)
		}
		orders := elem("Orders")
		orders.add(ord)
		visit.add(orders)
		res.add(visit)
	}
	return res
}

func (f *Fake) createOrder(cmd xnode) xnode {
	o, ok := cmd.child("Order")
	if !ok {
		return f.fail("CreateOrder", Fault{Status: statusBadParams, Text: "не указан заказ"})
	}
	tn, ok := o.child("Table")
	var t *item
	if ok {
		for _, by := range []string{"code", "id", "guid"} {
			if v := tn.attr(by); v != "" {
				t = f.table(by, v)
				break
			}
		}
	}
	if t == nil {
		return f.fail("CreateOrder", Fault{Status: statusExec, Code: "1101",
			Text: "Стол не найден"})
	}
	guests := 0
	if g, ok := o.child("Guests"); ok {
		guests, _ = strconv.Atoi(g.attr("count"))
	}
	ord := f.newOrder(t, guests, o.attr("persistentComment"))
	res := f.result("CreateOrder", statusOK)
	res.Attrs = append(res.Attrs, attr("VisitID", strconv.Itoa(ord.visit)),
		attr("OrderID", strconv.Itoa(ord.ident)), attr("guid", braced(ord.guid)))
	return res
}

func (f *Fake) orderOf(cmd xnode) *order {
	o, ok := cmd.child("Order")
	if !ok {
		return nil
	}
	return f.orders[strings.ToLower(strings.Trim(o.attr("guid"), "{}"))]
}

func (f *Fake) updateOrder(cmd xnode) xnode {
	o := f.orderOf(cmd)
	if o == nil {
		return f.fail("UpdateOrder", Fault{Status: statusExec, Code: "3050",
			Text: "Заказ не найден"})
	}
	open, dur := cmd.attr("openTime"), cmd.attr("duration")
	if open != "" {
		if _, err := time.Parse(timeLayout, open); err != nil {
			return f.fail("UpdateOrder", Fault{Status: statusBadParams,
				Text: "неверное время openTime"})
		}
	}
	if dur != "" && fakeDuration(dur) <= 0 {
		return f.fail("UpdateOrder", Fault{Status: statusBadParams,
			Text: "неверная длительность"})
	}
	if open != "" {
		o.openTime = open
	}
	if dur != "" {
		o.duration = dur
	}
	if h := cmd.attr("holder"); h != "" {
		o.holder = h
	}
	if c := cmd.attr("persistentComment"); c != "" {
		o.comment = c
	}
	if g, ok := cmd.child("Guests"); ok {
		o.guests, _ = strconv.Atoi(g.attr("count"))
	}
	if p, ok := cmd.child("ExternalProps"); ok {
		for _, prop := range p.Children {
			o.props[prop.attr("name")] = prop.attr("value")
		}
	}
	// Setting the start and duration makes the order a reserve: our
	// reading of the documentation, unverified on a real till.
	o.reserve = o.openTime != "" && o.duration != ""
	f.version++
	return f.result("UpdateOrder", statusOK)
}

func (f *Fake) voidOrder(cmd xnode) xnode {
	_, mgr := cmd.child("Manager")
	_, reason := cmd.child("DeleteReason")
	if !mgr || !reason {
		return f.fail("VoidOrder", Fault{Status: statusBadParams,
			Text: "не указаны менеджер и причина удаления"})
	}
	o := f.orderOf(cmd)
	if o == nil {
		return f.fail("VoidOrder", Fault{Status: statusExec, Code: "3050",
			Text: "Заказ не найден"})
	}
	if why, ok := f.lockReason[o.guid]; ok {
		return f.fail("VoidOrder", Fault{Status: statusExec, Code: "2020", Text: why})
	}
	delete(f.orders, o.guid)
	f.version++
	return f.result("VoidOrder", statusOK)
}

func (f *Fake) local(t time.Time) string { return t.In(f.opts.Location).Format(timeLayout) }

func braced(guid string) string { return "{" + strings.ToUpper(guid) + "}" }

func boolStr(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func sortedKeys(m map[string]string) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
