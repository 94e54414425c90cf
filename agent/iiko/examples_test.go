package iiko

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stolik/stolik/shared/wire"
)

func readExample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "iiko-cloud-"+name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeExample(t testing.TB, name string, v any) {
	t.Helper()
	if err := json.Unmarshal(readExample(t, name), v); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
}

var moscow = mustZone("Europe/Moscow")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func TestExampleSections(t *testing.T) {
	var ans SectionsAnswer
	decodeExample(t, "restaurant-sections-response", &ans)
	sc := sectionCache{halls: map[string]wire.Hall{}, tables: map[string]wire.Table{},
		plans: map[string]map[string]wire.Position{}}
	sc.apply(ans)
	halls, tables := sc.state()
	wantHalls := []wire.Hall{
		{ID: "52072025-b383-4540-8e64-af3deb9ee8fe", Name: "Веранда"},
		{ID: "926155e0-b141-4f67-9df3-8c3a6eda718b", Name: "Основной зал"},
	}
	if diff := cmp.Diff(halls, wantHalls); diff != "" {
		t.Errorf("halls (-got +want):\n%s", diff)
	}
	main := "926155e0-b141-4f67-9df3-8c3a6eda718b"
	wantTables := []wire.Table{
		{ID: "12bcc572-09c0-4a5e-b74c-0daf7810d958", HallID: main, Number: "5",
			Name: "Стол 5 (у окна)", Seats: 4},
		{ID: "22fa786a-a1db-47c0-a934-198d2cea03ab", HallID: main, Number: "1",
			Name: "Стол 1", Seats: 2},
		{ID: "fb7b4599-7cb4-4040-a63d-d9a10d24e147",
			HallID: "52072025-b383-4540-8e64-af3deb9ee8fe", Number: "21", Name: "В-1", Seats: 4},
	}
	if diff := cmp.Diff(tables, wantTables); diff != "" {
		t.Errorf("tables, the deleted one left out (-got +want):\n%s", diff)
	}
	if sc.revision != 1718369400111 {
		t.Errorf("revision = %d, want 1718369400111", sc.revision)
	}
}

func TestExampleWorkloadAndStatus(t *testing.T) {
	var wl WorkloadAnswer
	decodeExample(t, "sections-workload-response", &wl)
	if len(wl.Reserves) != 2 {
		t.Fatalf("%d reserves, want 2", len(wl.Reserves))
	}
	c := &Connector{bookings: map[string]string{}}
	r, ok, err := c.reservation(wl.Reserves[1], nil, moscow)
	if err != nil || !ok {
		t.Fatalf("reservation: %v, %v", ok, err)
	}
	want := wire.Reservation{ID: "6efb565f-cec3-43fb-a9b5-31a922d18c02",
		TableIDs: []string{"fb7b4599-7cb4-4040-a63d-d9a10d24e147"},
		Start:    time.Date(2025, 6, 14, 17, 0, 0, 0, time.UTC),
		Duration: wire.Duration(3 * time.Hour), Guests: 4, Status: wire.ReservationConfirmed}
	if diff := cmp.Diff(r, want); diff != "" {
		t.Errorf("slot (-got +want):\n%s", diff)
	}

	var st StatusAnswer
	decodeExample(t, "reserve-status-by-id-response", &st)
	if len(st.Reserves) != 2 {
		t.Fatalf("%d reserves, want 2", len(st.Reserves))
	}
	got, err := c.fromInfo(st.Reserves[0], moscow)
	if err != nil {
		t.Fatal(err)
	}
	want = wire.Reservation{ID: "10687527-56dc-438b-a2ef-d942516b5cca",
		TableIDs: []string{"12bcc572-09c0-4a5e-b74c-0daf7810d958"},
		Start:    time.Date(2025, 6, 14, 16, 0, 0, 0, time.UTC),
		Duration: wire.Duration(2 * time.Hour), Guests: 4, Name: "Анна Петрова",
		Phone: "+79161234567", Comment: "Бронь из Telegram-бота, просит детский стул",
		Status: wire.ReservationConfirmed}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("status_by_id reserve (-got +want):\n%s", diff)
	}
	failed := st.Reserves[1]
	if failed.CreationStatus != creationError || failed.ErrorInfo == nil ||
		failed.ErrorInfo.Code != "Common" || failed.ErrorInfo.text() == "" {
		t.Errorf("failed reserve = %+v, want creation Error with code Common and a message", failed)
	}
	if _, ok, _ := c.reservation(Slot{ID: failed.ID, EstimatedStartTime: "2025-06-14 19:00:00"},
		&failed, moscow); ok {
		t.Error("a reserve whose creation failed is in the snapshot")
	}
}

func TestExampleOrders(t *testing.T) {
	var ans OrdersAnswer
	decodeExample(t, "order-by-table-response", &ans)
	if len(ans.Orders) != 1 {
		t.Fatalf("%d orders, want 1", len(ans.Orders))
	}
	o, err := orderOf(ans.Orders[0], moscow)
	if err != nil {
		t.Fatal(err)
	}
	want := wire.Order{ID: "c8ee34f6-df0a-4e69-8d80-39a08e533adf",
		TableIDs: []string{"22fa786a-a1db-47c0-a934-198d2cea03ab"},
		OpenedAt: time.Date(2025, 6, 14, 9, 41, 7, 250e6, time.UTC), Guests: 2, Status: "Bill"}
	if diff := cmp.Diff(o, want); diff != "" {
		t.Errorf("order (-got +want):\n%s", diff)
	}
}

func TestExampleCreateCancelCommands(t *testing.T) {
	var cr createAnswer
	decodeExample(t, "reserve-create-response", &cr)
	if cr.ReserveInfo.ID != "10687527-56dc-438b-a2ef-d942516b5cca" ||
		cr.ReserveInfo.CreationStatus != creationInProgress || cr.ReserveInfo.Reserve != nil {
		t.Errorf("create answer = %+v", cr.ReserveInfo)
	}
	var cancel struct {
		CorrelationID string `json:"correlationId"`
	}
	decodeExample(t, "reserve-cancel-response", &cancel)
	if cancel.CorrelationID != "e250af28-e248-4e59-9144-638e354a9dae" {
		t.Errorf("cancel correlation id = %q", cancel.CorrelationID)
	}
	var ok, bad commandAnswer
	decodeExample(t, "commands-status-response-success", &ok)
	decodeExample(t, "commands-status-response-error", &bad)
	if ok.State != commandSuccess || bad.State != commandError || bad.ErrorReason == nil ||
		*bad.ErrorReason != "Reserve is not in 'New' status" {
		t.Errorf("command states = %+v, %+v", ok, bad)
	}
}

func TestExampleErrorAndToken(t *testing.T) {
	err := decodeError("reserve/create", 400, readExample(t, "error-response"))
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 400 || ae.Code != "" ||
		ae.CorrelationID != "0d6bb3a8-3cf1-4a44-9a49-2f0c9b2f8b5e" {
		t.Fatalf("error = %#v", err)
	}
	if want := "iiko reserve/create: HTTP 400: Terminal group is not available. Check that " +
		"iikoFront is running and connected. (correlation id " +
		"0d6bb3a8-3cf1-4a44-9a49-2f0c9b2f8b5e)"; err.Error() != want {
		t.Errorf("error text = %q, want %q", err, want)
	}
	var tok tokenAnswer
	decodeExample(t, "access-token-response", &tok)
	if tok.Token == "" {
		t.Error("token answer without token")
	}
	if _, ok := jwtExpiry(tok.Token); ok {
		t.Error("the example token (no real payload) has an expiry")
	}
}

func TestExampleWebhook(t *testing.T) {
	var events []struct {
		EventType string      `json:"eventType"`
		EventTime string      `json:"eventTime"`
		EventInfo ReserveInfo `json:"eventInfo"`
	}
	decodeExample(t, "webhook-reserve-update", &events)
	if len(events) != 1 || events[0].EventType != "ReserveUpdate" {
		t.Fatalf("events = %+v", events)
	}
	at, err := ParseTime(events[0].EventTime, time.UTC)
	if err != nil || !at.Equal(time.Date(2025, 6, 14, 16, 2, 11, 512e6, time.UTC)) {
		t.Errorf("event time = %v, %v", at, err)
	}
	// Closed with a cancel reason: a no-show, shown as cancelled.
	if st := statusOf(events[0].EventInfo); st != wire.ReservationCancelled {
		t.Errorf("status = %q, want cancelled", st)
	}
}

// TestExampleStartRoundTrips: the create example's start reads and writes
// back the same. The request examples are compared with what the connector
// sends in requests_example_test.go (TestRequestsMatchExamples).
func TestExampleStartRoundTrips(t *testing.T) {
	var create struct {
		EstimatedStartTime string `json:"estimatedStartTime"`
	}
	decodeExample(t, "reserve-create-request", &create)
	start, err := ParseTime(create.EstimatedStartTime, moscow)
	if err != nil || FormatTime(start, moscow) != create.EstimatedStartTime {
		t.Errorf("start %q does not round-trip: %v, %v", create.EstimatedStartTime, start, err)
	}
}
