package iikotest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

const timeLayout = "2006-01-02 15:04:05.000"

var phonePattern = regexp.MustCompile(`^\+[0-9]{8,15}$`)

// handle answers one authenticated call; mu is held. A status other than
// 200 comes with an apiError.
func (f *Fake) handle(path, call string, body []byte) (int, any) {
	var req map[string]json.RawMessage
	if err := json.Unmarshal(body, &req); err != nil {
		return bad("", "the request body is not a JSON object: "+err.Error())
	}
	switch call {
	case "access_token":
		return f.accessToken(path, req)
	case "organizations":
		return ok(map[string]any{"correlationId": f.newID(), "organizations": []any{
			map[string]any{"responseType": "Simple", "id": OrganizationID, "name": "Кафе Тест"},
		}})
	case "terminal_groups":
		items := []any{map[string]any{
			"id": TerminalGroupID, "organizationId": OrganizationID, "name": "Касса 1",
			"address": nil, "timeZone": f.opts.TimeZone,
		}}
		if disabled, _ := field[bool](req, "includeDisabled"); disabled && f.opts.DisabledGroup {
			items = append(items, map[string]any{
				"id": DisabledTerminalGroupID, "organizationId": OrganizationID,
				"name": "Старая касса", "address": nil, "timeZone": f.opts.TimeZone,
			})
		}
		return ok(map[string]any{"correlationId": f.newID(), "terminalGroups": []any{
			map[string]any{"organizationId": OrganizationID, "items": items},
		}, "terminalGroupsInSleep": []any{}})
	case "reserve/available_restaurant_sections":
		return f.sections(req)
	case "reserve/restaurant_sections_workload":
		return f.workload(req)
	case "reserve/status_by_id":
		return f.statusByID(req)
	case "reserve/create":
		return f.create(req)
	case "reserve/cancel":
		return f.cancel(req)
	case "reserve/change_tables", "reserve/change_estimated_start_time":
		return f.change(call, req)
	case "commands/status":
		return f.commandStatus(req)
	case "order/by_table":
		return f.ordersByTable(req)
	case "webhooks/settings":
		return f.webhookSettings(req)
	case "webhooks/update_settings":
		return f.updateWebhookSettings(req)
	}
	return http.StatusNotFound, apiError{text: "no such operation: " + path}
}

func ok(v any) (int, any) { return http.StatusOK, v }

func bad(code, text string) (int, any) {
	return http.StatusBadRequest, apiError{code: code, text: text}
}

func field[T any](req map[string]json.RawMessage, name string) (T, bool) {
	var v T
	raw, found := req[name]
	if !found || string(raw) == "null" {
		return v, false
	}
	return v, json.Unmarshal(raw, &v) == nil
}

func (f *Fake) accessToken(path string, req map[string]json.RawMessage) (int, any) {
	o := f.opts
	if strings.HasPrefix(path, "/api/v2/") {
		key, _ := field[string](req, "apiKey")
		app, _ := field[string](req, "appId")
		secret, _ := field[string](req, "clientSecret")
		if key != o.APIKey || app != o.AppID || secret != o.ClientSecret {
			return http.StatusUnauthorized, apiError{text: "unknown apiKey, appId or clientSecret"}
		}
	} else if login, _ := field[string](req, "apiLogin"); login != o.APILogin {
		return http.StatusUnauthorized, apiError{text: "unknown apiLogin"}
	}
	return ok(map[string]any{"correlationId": f.newID(), "token": f.token()})
}

func (f *Fake) sections(req map[string]json.RawMessage) (int, any) {
	tgs, _ := field[[]string](req, "terminalGroupIds")
	if !slices.Contains(tgs, TerminalGroupID) {
		return bad("", "terminalGroupIds must name the terminal group")
	}
	since, incremental := field[int64](req, "revision")
	schema, _ := field[bool](req, "returnSchema")
	out := []any{}
	for _, h := range f.halls {
		tables := []any{}
		elems := []any{}
		for _, t := range f.sortedTables() {
			if t.hall != h.id {
				continue
			}
			if !t.deleted {
				elems = append(elems, map[string]any{"tableId": t.id, "x": t.x, "y": t.y,
					"z": 0, "angle": 0.0, "width": 80, "height": 80})
			}
			if incremental && t.revision <= since {
				continue
			}
			tables = append(tables, map[string]any{"id": t.id, "number": t.number,
				"name": t.name, "seatingCapacity": t.seats, "revision": t.revision,
				"isDeleted": t.deleted, "posId": t.id})
		}
		if incremental && len(tables) == 0 {
			continue
		}
		s := map[string]any{"id": h.id, "terminalGroupId": TerminalGroupID, "name": h.name,
			"tables": tables, "schema": nil}
		if schema {
			s["schema"] = map[string]any{"width": 1000, "height": 800, "markElements": []any{},
				"tableElements": elems, "rectangleElements": []any{}, "ellipseElements": []any{},
				"revision": f.revision, "isDeleted": false}
		}
		out = append(out, s)
	}
	return ok(map[string]any{"correlationId": f.newID(), "restaurantSections": out,
		"revision": f.revision})
}

func (f *Fake) sortedTables() []*table {
	out := make([]*table, 0, len(f.tables))
	for _, t := range f.tables {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b *table) int { return a.number - b.number })
	return out
}

func (f *Fake) parseTime(s string) (time.Time, bool) {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, f.loc)
	return t, err == nil
}

func (f *Fake) workload(req map[string]json.RawMessage) (int, any) {
	ids, _ := field[[]string](req, "restaurantSectionIds")
	fromS, _ := field[string](req, "dateFrom")
	from, okFrom := f.parseTime(fromS)
	if !okFrom {
		return bad("", "dateFrom is required, as yyyy-MM-dd HH:mm:ss.fff")
	}
	to := from.Add(90 * 24 * time.Hour)
	if s, given := field[string](req, "dateTo"); given {
		var okTo bool
		if to, okTo = f.parseTime(s); !okTo {
			return bad("", "dateTo is not yyyy-MM-dd HH:mm:ss.fff")
		}
	}
	out := []any{}
	for _, r := range f.sortedReserves() {
		// [I] cancelled and deleted reserves leave the workload.
		if r.creation != "Success" || r.deleted || r.cancelReason != "" || r.status == "Closed" {
			continue
		}
		end := r.start.Add(time.Duration(r.minutes) * time.Minute)
		if !end.After(from) || !r.start.Before(to) || !f.inSections(r.tables, ids) {
			continue
		}
		out = append(out, map[string]any{"id": r.id, "tableIds": r.tables,
			"estimatedStartTime": r.start.In(f.loc).Format(timeLayout),
			"durationInMinutes":  r.minutes, "guestsCount": r.guests})
	}
	return ok(map[string]any{"correlationId": f.newID(), "reserves": out})
}

func (f *Fake) inSections(tables, sections []string) bool {
	for _, id := range tables {
		if t, ok := f.tables[id]; ok && slices.Contains(sections, t.hall) {
			return true
		}
	}
	return false
}

func (f *Fake) sortedReserves() []*reserve {
	out := make([]*reserve, 0, len(f.reserves))
	for _, r := range f.reserves {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *reserve) int { return strings.Compare(a.id, b.id) })
	return out
}

func (f *Fake) statusByID(req map[string]json.RawMessage) (int, any) {
	if org, _ := field[string](req, "organizationId"); org != OrganizationID {
		return bad("", "unknown organizationId")
	}
	ids, _ := field[[]string](req, "reserveIds")
	out := []any{}
	for _, id := range ids {
		r, found := f.reserves[id]
		if !found {
			continue
		}
		if r.creation == "InProgress" && r.pollsLeft <= 0 {
			f.finishCreation(r)
		}
		out = append(out, f.info(r))
		if r.creation == "InProgress" {
			r.pollsLeft--
		}
	}
	return ok(map[string]any{"correlationId": f.newID(), "reserves": out})
}

// finishCreation ends a reserve's creation: Error if a failure was asked
// for or [I] the tables are taken at that time, else Success.
func (f *Fake) finishCreation(r *reserve) {
	switch {
	case len(f.faults.creation) > 0:
		r.creation, r.errorCode = "Error", f.faults.creation[0]
		f.faults.creation = f.faults.creation[1:]
	case f.overlaps(r):
		r.creation, r.errorCode = "Error", "Common"
	default:
		r.creation = "Success"
	}
	f.touch(r)
}

func (f *Fake) overlaps(r *reserve) bool {
	end := r.start.Add(time.Duration(r.minutes) * time.Minute)
	for _, o := range f.reserves {
		if o == r || o.creation != "Success" || o.deleted || o.cancelReason != "" ||
			o.status == "Closed" {
			continue
		}
		oend := o.start.Add(time.Duration(o.minutes) * time.Minute)
		if o.start.Before(end) && r.start.Before(oend) &&
			shareTable(o.tables, r.tables) {
			return true
		}
	}
	return false
}

// touch records a change to a reserve and sends its webhook.
func (f *Fake) touch(r *reserve) {
	r.timestamp = f.opts.Now().UnixMilli()
	kind := "ReserveUpdate"
	if r.creation == "Error" {
		kind = "ReserveError"
	}
	f.notify(kind, f.info(r))
}

func (f *Fake) info(r *reserve) map[string]any {
	info := map[string]any{"id": r.id, "externalNumber": nil, "organizationId": OrganizationID,
		"timestamp": r.timestamp, "creationStatus": r.creation, "errorInfo": nil,
		"isDeleted": r.deleted, "reserve": nil}
	if r.creation == "Error" {
		info["errorInfo"] = map[string]any{"code": r.errorCode,
			"message": "reserve creation failed: " + r.errorCode, "description": nil,
			"additionalData": nil}
	}
	if r.creation == "Success" {
		var reason any
		if r.cancelReason != "" {
			reason = r.cancelReason
		}
		info["reserve"] = map[string]any{
			"customer": map[string]any{"type": "regular", "id": f.newID(), "name": r.name,
				"surname": nil, "comment": nil, "gender": "NotSpecified", "inBlacklist": false,
				"blacklistReason": nil, "birthdate": nil},
			"guestsCount": r.guests, "comment": r.comment, "durationInMinutes": r.minutes,
			"shouldRemind": false, "status": r.status, "cancelReason": reason,
			"tableIds": r.tables, "estimatedStartTime": r.start.In(f.loc).Format(timeLayout),
			"guestsComingTime": nil, "phone": r.phone, "eventType": nil, "order": nil,
		}
	}
	return info
}

func (f *Fake) create(req map[string]json.RawMessage) (int, any) {
	if org, _ := field[string](req, "organizationId"); org != OrganizationID {
		return bad("", "unknown organizationId")
	}
	id, given := field[string](req, "id")
	if !given {
		id = f.newID()
	}
	if _, dup := f.reserves[id]; dup {
		return bad("DuplicatedReserveId", fmt.Sprintf("reserve with id %s already exists", id))
	}
	var customer struct {
		Type, Name string
	}
	if raw, found := req["customer"]; !found || json.Unmarshal(raw, &customer) != nil ||
		customer.Type != "regular" {
		return bad("", "customer is required, with type \"regular\"")
	}
	if strings.TrimSpace(customer.Name) == "" {
		return bad("CustomerNameNotSpecified", "customer name is required")
	}
	phone, _ := field[string](req, "phone")
	if !phonePattern.MatchString(phone) {
		return bad("InvalidPhone", "phone must start with + and have at least 8 digits")
	}
	tables, _ := field[[]string](req, "tableIds")
	if len(tables) == 0 {
		return bad("", "tableIds is required")
	}
	for _, t := range tables {
		if tb, known := f.tables[t]; !known || tb.deleted {
			return bad("", "unknown table "+t)
		}
	}
	minutes, okDur := field[int](req, "durationInMinutes")
	if _, okRemind := field[bool](req, "shouldRemind"); !okDur || minutes <= 0 || !okRemind {
		return bad("", "durationInMinutes and shouldRemind are required")
	}
	startS, _ := field[string](req, "estimatedStartTime")
	start, okStart := f.parseTime(startS)
	if !okStart {
		return bad("", "estimatedStartTime must be yyyy-MM-dd HH:mm:ss.fff")
	}
	guests, _ := field[int](req, "guestsCount")
	comment, _ := field[string](req, "comment")
	r := &reserve{id: id, name: customer.Name, phone: phone, comment: comment, tables: tables,
		start: start, minutes: minutes, guests: guests, status: "New",
		creation: "InProgress", pollsLeft: f.opts.InProgressPolls}
	f.reserves[id] = r
	if r.pollsLeft < 0 {
		f.finishCreation(r)
	}
	r.timestamp = f.opts.Now().UnixMilli()
	return ok(map[string]any{"correlationId": f.newID(), "reserveInfo": f.info(r)})
}

// newCommand starts a command that ends in state after InProgressPolls
// status polls.
func (f *Fake) newCommand(state, reason string) string {
	id := f.newID()
	f.commands[id] = &command{state: state, reason: reason, pollsLeft: f.opts.InProgressPolls}
	return id
}

func (f *Fake) cancel(req map[string]json.RawMessage) (int, any) {
	id, _ := field[string](req, "reserveId")
	r, found := f.reserves[id]
	if !found || r.creation != "Success" {
		return bad("", "reserve "+id+" not found")
	}
	reason, _ := field[string](req, "cancelReason")
	switch reason {
	case "ClientNotAppeared", "ClientRefused", "Other":
	default:
		return bad("", "cancelReason must be ClientNotAppeared, ClientRefused or Other")
	}
	if r.status != "New" || r.cancelReason != "" || r.deleted {
		return ok(map[string]any{"correlationId": f.newCommand("Error",
			"Reserve is not in 'New' status")})
	}
	r.status, r.cancelReason = "Closed", reason
	f.touch(r)
	return ok(map[string]any{"correlationId": f.newCommand("Success", "")})
}

func (f *Fake) change(call string, req map[string]json.RawMessage) (int, any) {
	id, _ := field[string](req, "reserveId")
	r, found := f.reserves[id]
	if !found || r.creation != "Success" {
		return bad("", "reserve "+id+" not found")
	}
	if r.status != "New" || r.cancelReason != "" {
		return ok(map[string]any{"correlationId": f.newCommand("Error",
			"Reserve is not in 'New' status")})
	}
	oldTables, oldStart := r.tables, r.start
	if call == "reserve/change_tables" {
		tables, _ := field[[]string](req, "tableIds")
		if len(tables) == 0 {
			return bad("", "tableIds is required")
		}
		for _, t := range tables {
			if f.tables[t] == nil {
				return bad("", "table "+t+" not found")
			}
		}
		r.tables = tables
	} else {
		s, _ := field[string](req, "newEstimatedStartTime")
		start, okStart := f.parseTime(s)
		if !okStart {
			return bad("", "newEstimatedStartTime must be yyyy-MM-dd HH:mm:ss.fff")
		}
		r.start = start
	}
	if f.overlaps(r) {
		r.tables, r.start = oldTables, oldStart
		return ok(map[string]any{"correlationId": f.newCommand("Error",
			"Table is already reserved for this time")})
	}
	f.touch(r)
	return ok(map[string]any{"correlationId": f.newCommand("Success", "")})
}

func (f *Fake) commandStatus(req map[string]json.RawMessage) (int, any) {
	id, _ := field[string](req, "correlationId")
	c, found := f.commands[id]
	if !found || f.faults.gone {
		return http.StatusGone, apiError{text: "correlation id " + id + " is not supported"}
	}
	if c.pollsLeft > 0 {
		c.pollsLeft--
		return ok(map[string]any{"state": "InProgress"})
	}
	if c.state == "Error" {
		return ok(map[string]any{"state": "Error", "exception": nil, "errorReason": c.reason})
	}
	return ok(map[string]any{"state": c.state})
}

func (f *Fake) ordersByTable(req map[string]json.RawMessage) (int, any) {
	tables, _ := field[[]string](req, "tableIds")
	statuses, _ := field[[]string](req, "statuses")
	out := []any{}
	for _, o := range f.sortedOrders() {
		if len(statuses) > 0 && !slices.Contains(statuses, o.status) {
			continue
		}
		if !shareTable(o.tables, tables) {
			continue
		}
		out = append(out, f.orderInfo(o))
	}
	return ok(map[string]any{"correlationId": f.newID(), "orders": out})
}

func (f *Fake) orderInfo(o *order) map[string]any {
	return map[string]any{"id": o.id, "posId": o.id, "externalNumber": nil,
		"organizationId": OrganizationID, "timestamp": o.stamp, "creationStatus": "Success",
		"errorInfo": nil, "order": map[string]any{
			"tableIds": o.tables, "customer": nil, "phone": nil, "status": o.status,
			"whenCreated": o.created.In(f.loc).Format(timeLayout),
			"waiter":      map[string]any{"id": f.newID(), "name": "Официант", "phone": nil},
			"sum":         0.0, "number": o.number, "guestsInfo": map[string]any{"count": o.guests,
				"splitBetweenPersons": false}, "items": []any{}, "orderType": nil,
			"terminalGroupId": TerminalGroupID, "processedPaymentsSum": 0.0,
		}}
}

func (f *Fake) sortedOrders() []*order {
	out := make([]*order, 0, len(f.orders))
	for _, o := range f.orders {
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b *order) int { return strings.Compare(a.id, b.id) })
	return out
}

// shareTable reports whether two table lists have a table in common.
func shareTable(a, b []string) bool {
	return slices.ContainsFunc(a, func(id string) bool { return slices.Contains(b, id) })
}
