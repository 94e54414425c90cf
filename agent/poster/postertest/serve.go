package postertest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// apiError is an in-band error answer.
type apiError struct {
	code int
	msg  string
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	call, ok := strings.CutPrefix(r.URL.Path, "/api/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	f.mu.Lock()
	f.counts[call]++
	down, slow := f.down, f.slow
	f.mu.Unlock()

	if down {
		drop(w)
		return
	}
	if slow > 0 {
		t := time.NewTimer(slow)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, errorBody(CodeBadRequest, "cannot read the request"))
		return
	}

	f.mu.Lock()
	if ft, ok := f.takeFault(call); ok {
		f.mu.Unlock()
		switch {
		case ft.status != 0:
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(ft.status)
			fmt.Fprintf(w, "<html><body>%d Bad Gateway</body></html>", ft.status)
		case ft.malformed:
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"response":[{"table_id":"1","table_num`))
		default:
			writeJSON(w, errorBody(ft.code, ft.message))
		}
		return
	}
	if e := f.checkToken(r.Form.Get("token")); e != nil {
		f.mu.Unlock()
		writeJSON(w, errorBody(e.code, e.msg))
		return
	}
	body, e := f.answer(call, r)
	lose := false
	if e == nil && call == "incomingOrders.createReservation" && f.lose > 0 {
		f.lose--
		lose = true
	}
	f.mu.Unlock()

	switch {
	case lose:
		drop(w)
	case e != nil:
		writeJSON(w, errorBody(e.code, e.msg))
	default:
		writeJSON(w, map[string]any{"response": body})
	}
}

// checkToken answers Poster's token errors; f.mu must be held.
func (f *Fake) checkToken(tok string) *apiError {
	switch {
	case tok == "":
		return &apiError{CodeTokenMissing, "Access token is required"}
	case tok != f.token:
		return &apiError{CodeTokenInvalid, "Access token is invalid"}
	case f.expired:
		return &apiError{CodeTokenExpired, "Access token expired"}
	}
	return nil
}

// answer carries out call; f.mu must be held.
func (f *Fake) answer(call string, r *http.Request) (any, *apiError) {
	q := r.Form
	switch call {
	case "access.getSpots":
		return f.getSpots(), nil
	case "spots.getSpotTablesHalls":
		return f.getHalls(q.Get("spot_id")), nil
	case "spots.getTableHallTables":
		all := q.Get("without_deleted") != "1"
		return f.getTables(q.Get("spot_id"), q.Get("hall_id"), !all), nil
	case "dash.getTransactions":
		return f.getTransactions(q.Get("status"), q.Get("spot_id")), nil
	case "incomingOrders.getReservations":
		return f.getReservations(q.Get("date_from"), q.Get("date_to"), q.Get("status"))
	case "incomingOrders.getReservation":
		return f.getReservation(q.Get("incoming_order_id"))
	case "incomingOrders.getTablesForReservation":
		return f.getFreeTables(q)
	case "incomingOrders.createReservation":
		if r.Method != http.MethodPost {
			return nil, &apiError{CodeBadRequest, "use POST"}
		}
		return f.createReservation(q)
	}
	return nil, &apiError{CodeUnknown, "Method " + call + " not found"}
}

func (f *Fake) getSpots() any {
	var out []map[string]any
	for _, id := range f.spots {
		out = append(out, map[string]any{
			"spot_id": id, "spot_name": "Кафе " + id, "spot_adress": "ул. Ленина, " + id,
			"storages": []any{},
		})
	}
	return out
}

func (f *Fake) getHalls(spot string) any {
	out := []map[string]any{}
	if spot != "" && spot != f.spots[0] {
		return out
	}
	for i, h := range f.halls {
		out = append(out, map[string]any{
			"hall_id": h.id, "hall_name": h.name, "hall_order": i + 1, "spot_id": f.spots[0],
			"delete": "0", "last_modified_time": "2026-01-01 10:00:00",
		})
	}
	return out
}

func (f *Fake) getTables(spot, hallID string, withoutDeleted bool) any {
	out := []map[string]any{}
	if spot != "" && spot != f.spots[0] {
		return out
	}
	busy := map[string]bool{}
	for _, c := range f.checks {
		busy[c.table] = true
	}
	for _, t := range f.tables {
		if (hallID != "" && t.HallID != hallID) || (withoutDeleted && t.Deleted) {
			continue
		}
		status := "1"
		if busy[t.ID] {
			status = "2"
		}
		out = append(out, map[string]any{
			"table_id": t.ID, "table_num": t.Num, "table_title": t.Title,
			"spot_id": f.spots[0], "table_shape": "square", "hall_id": t.HallID,
			"table_x": num(t.X), "table_y": num(t.Y), "table_width": num(t.W),
			"table_height": num(t.H), "is_deleted": boolNum(t.Deleted), "status": status,
		})
	}
	return out
}

func (f *Fake) getTransactions(status, spot string) any {
	out := []map[string]any{}
	if (status != "" && status != "1") || (spot != "" && spot != f.spots[0]) {
		return out // only open checks are kept
	}
	ids := make([]string, 0, len(f.checks))
	for id := range f.checks {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, cmpID)
	for _, id := range ids {
		c := f.checks[id]
		t := f.table(c.table)
		name := ""
		if t != nil {
			name = t.Num
		}
		out = append(out, map[string]any{
			"transaction_id": c.id, "date_start": strconv.FormatInt(c.start.UnixMilli(), 10),
			"date_close": "0", "status": "1", "guests_count": strconv.Itoa(c.guests),
			"table_id": c.table, "table_name": name, "spot_id": f.spots[0], "sum": "0",
		})
	}
	return out
}

func (f *Fake) getReservations(from, to, status string) (any, *apiError) {
	lo, err1 := time.ParseInLocation(localLayout, from, f.loc)
	hi, err2 := time.ParseInLocation(localLayout, to, f.loc)
	if from != "" && err1 != nil || to != "" && err2 != nil {
		return nil, &apiError{CodeBadRequest, "date_from and date_to are Y-m-d H:i:s"}
	}
	out := []map[string]any{}
	for _, r := range f.sortedReservations() {
		if (from != "" && r.start.Before(lo)) || (to != "" && r.start.After(hi)) ||
			(status != "" && status != strconv.Itoa(r.status)) {
			continue
		}
		out = append(out, f.reservationJSON(r))
	}
	return out, nil
}

func (f *Fake) getReservation(id string) (any, *apiError) {
	r := f.res[id]
	if r == nil {
		return nil, &apiError{CodeNotFound, "Incoming order not found"}
	}
	return f.reservationJSON(r), nil
}

func (f *Fake) getFreeTables(q map[string][]string) (any, *apiError) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	start, err := time.ParseInLocation(localLayout, get("date_reservation"), f.loc)
	dur, err2 := strconv.Atoi(get("duration"))
	guests, _ := strconv.Atoi(get("guests_count"))
	if err != nil || err2 != nil {
		return nil, &apiError{CodeEmptyField, "date_reservation and duration are required"}
	}
	if f.noTariff {
		return nil, &apiError{CodeTariffLimit, "Tariff limit"}
	}
	free := []map[string]any{}
	for _, t := range f.tables {
		if t.Deleted || t.Capacity < guests ||
			f.taken(t.ID, start, time.Duration(dur)*time.Second, "") != nil {
			continue
		}
		free = append(free, map[string]any{
			"table_id": t.ID, "table_num": t.Num, "table_capacity": strconv.Itoa(t.Capacity),
			"spot_id": f.spots[0], "hall_id": t.HallID,
		})
	}
	return map[string]any{"freeTables": free}, nil
}

func (f *Fake) createReservation(q map[string][]string) (any, *apiError) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	for _, k := range []string{"spot_id", "table_id", "date_reservation", "duration"} {
		if get(k) == "" {
			return nil, &apiError{CodeEmptyField, "Field " + k + " is empty"}
		}
	}
	if f.noTariff {
		return nil, &apiError{CodeTariffLimit, "Reservations are available on the Pro tariff"}
	}
	if !slices.Contains(f.spots, get("spot_id")) {
		return nil, &apiError{CodeNotFound, "Spot not found"}
	}
	t := f.table(get("table_id"))
	if t == nil {
		return nil, &apiError{CodeNotFound, "Table not found"}
	}
	start, err := time.ParseInLocation(localLayout, get("date_reservation"), f.loc)
	if err != nil {
		return nil, &apiError{CodeBadRequest, "date_reservation is not Y-m-d H:i:s"}
	}
	secs, err := strconv.Atoi(get("duration"))
	if err != nil || secs < 1800 {
		return nil, &apiError{CodeBadRequest, "duration must be at least 1800 seconds"}
	}
	guests, _ := strconv.Atoi(get("guests_count"))
	dur := time.Duration(secs) * time.Second
	if e := f.taken(t.ID, start, dur, ""); e != nil {
		return nil, e
	}
	now := f.now()
	r := &reservation{
		id: f.newID(), spot: get("spot_id"), table: t.ID, status: 0,
		firstName: get("first_name"), lastName: get("last_name"), phone: get("phone"),
		comment: get("comment"), start: start, duration: dur, guests: guests,
		created: now, updated: now,
	}
	f.res[r.id] = r
	return f.reservationJSON(r), nil
}

// taken refuses a slot that overlaps a live reservation on the table;
// f.mu must be held.
func (f *Fake) taken(table string, start time.Time, dur time.Duration, except string) *apiError {
	end := start.Add(dur)
	for _, r := range f.res {
		if r.id == except || r.table != table || r.status == 7 {
			continue
		}
		if start.Before(r.start.Add(r.duration)) && r.start.Before(end) {
			return &apiError{CodeBadRequest, "Table is already reserved for this time"}
		}
	}
	return nil
}

func (f *Fake) sortedReservations() []*reservation {
	out := make([]*reservation, 0, len(f.res))
	for _, r := range f.res {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *reservation) int { return cmpID(a.id, b.id) })
	return out
}

// reservationJSON is a reservation as Poster returns it: no table_id.
func (f *Fake) reservationJSON(r *reservation) map[string]any {
	return map[string]any{
		"incoming_order_id": r.id, "type": 2, "spot_id": r.spot, "status": r.status,
		"client_id": 0, "first_name": r.firstName, "last_name": r.lastName,
		"phone": r.phone, "email": "", "sex": 0, "birthday": "",
		"date_reservation": r.start.In(f.loc).Format(localLayout),
		"duration":         int(r.duration / time.Second), "guests_count": r.guests,
		"comment": r.comment, "created_at": r.created.In(f.loc).Format(localLayout),
		"updated_at": r.updated.In(f.loc).Format(localLayout), "transaction_id": 0,
	}
}

func errorBody(code int, msg string) any {
	return map[string]any{"error": map[string]any{"code": code, "message": msg}}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(v)
}

// drop closes the connection without an answer.
func drop(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func boolNum(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
