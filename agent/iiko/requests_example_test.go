package iiko_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stolik/stolik/agent/iiko/iikotest"
	"github.com/stolik/stolik/shared/wire"
)

// requestExamples pairs each request example in testdata with the call
// the connector makes, and says how the two may differ. The fake records
// the body of every call; the test compares it with the example field by
// field.
var requestExamples = []struct {
	example, call string
	// omitted are fields of the example the connector leaves out, each
	// with why; a field of the example that is null may be left out too.
	omitted map[string]string
	// same are fields whose value is the same whatever the venue: they
	// must equal the example's (the fake uses the example's organization
	// and terminal group ids).
	same []string
	// times are fields in iiko's local time format: the same shape as the
	// example's.
	times []string
}{
	{example: "access-token-v2-request", call: "access_token"},
	{example: "restaurant-sections-request", call: "reserve/available_restaurant_sections",
		same: []string{"terminalGroupIds", "revision"}},
	{example: "sections-workload-request", call: "reserve/restaurant_sections_workload",
		times: []string{"dateFrom", "dateTo"}},
	{example: "reserve-status-by-id-request", call: "reserve/status_by_id",
		same: []string{"organizationId"}},
	{example: "order-by-table-request", call: "order/by_table",
		same: []string{"organizationIds", "statuses"}},
	{example: "reserve-create-request", call: "reserve/create",
		omitted: map[string]string{
			"externalNumber": "optional; the booking id goes in the comment, which " +
				"iikoFront shows",
			"customer.surname": "the guest's name is sent whole in customer.name",
			"customer.shouldReceiveOrderStatusNotifications": "optional, false by default",
			"createReserveSettings": "optional; iiko's defaults, and the connector polls " +
				"the creation status itself",
		},
		same:  []string{"organizationId", "terminalGroupId", "customer.type", "customer.gender"},
		times: []string{"estimatedStartTime"}},
	{example: "reserve-cancel-request", call: "reserve/cancel",
		same: []string{"organizationId", "cancelReason"}},
	{example: "commands-status-request", call: "commands/status",
		same: []string{"organizationId"}},
}

func TestRequestsMatchExamples(t *testing.T) {
	f := newFake(t, iikotest.Options{})
	c := newConnector(t, config(f))
	ctx := context.Background()
	snap(t, c)
	req := request(f.Tables()[1], "bk-examples")
	res, err := c.CreateReservation(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	snap(t, c) // asks the new reserve's details: reserve/status_by_id
	if err := c.CancelReservation(ctx, wire.CancelRequest{BookingID: req.BookingID,
		ReservationID: res.ID, Reason: "guest cancelled"}); err != nil {
		t.Fatal(err)
	}

	for _, ex := range requestExamples {
		t.Run(ex.example, func(t *testing.T) {
			sent := f.LastRequest(ex.call)
			if sent == nil {
				t.Fatalf("the connector made no %s call", ex.call)
			}
			var want map[string]any
			b, err := os.ReadFile(filepath.Join("testdata", "iiko-cloud-"+ex.example+".json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatalf("decode the example: %v", err)
			}
			for _, p := range compareRequest(sent, want, ex.omitted, ex.same, ex.times) {
				t.Error(p)
			}
		})
	}
}

// compareRequest lists how a request the connector sent differs from an
// example of the same call.
func compareRequest(sent, example map[string]any, omitted map[string]string,
	same, times []string) []string {
	got, want := map[string]any{}, map[string]any{}
	flatten("", sent, got)
	flatten("", example, want)
	var problems []string
	for _, p := range sortedKeys(got) {
		w, ok := want[p]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("sends %s, which the example has not", p))
		case w != nil && kind(got[p]) != kind(w):
			problems = append(problems, fmt.Sprintf("%s is %s (%v), the example's %s (%v)",
				p, kind(got[p]), got[p], kind(w), w))
		}
	}
	for _, p := range sortedKeys(want) {
		if _, ok := got[p]; ok || want[p] == nil || omittedPath(omitted, p) {
			continue
		}
		problems = append(problems, fmt.Sprintf("leaves out %s (the example's %v)", p, want[p]))
	}
	for _, p := range same {
		if g, w := lookup(sent, p), lookup(example, p); !reflect.DeepEqual(g, w) {
			problems = append(problems, fmt.Sprintf("%s = %v, want the example's %v", p, g, w))
		}
	}
	digit := regexp.MustCompile(`[0-9]`)
	for _, p := range times {
		g, _ := lookup(sent, p).(string)
		w, _ := lookup(example, p).(string)
		if digit.ReplaceAllString(g, "0") != digit.ReplaceAllString(w, "0") {
			problems = append(problems, fmt.Sprintf("%s = %q, not in the example's format %q",
				p, g, w))
		}
	}
	return problems
}

// flatten maps the paths of v's fields (customer.name, tableIds[]) to
// their values; an object or array is there too, by its own path.
func flatten(path string, v any, out map[string]any) {
	if path != "" {
		out[path] = v
	}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			flatten(strings.TrimPrefix(path+"."+k, "."), e, out)
		}
	case []any:
		for _, e := range x {
			flatten(path+"[]", e, out)
		}
	}
}

func lookup(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

func omittedPath(omitted map[string]string, p string) bool {
	for k := range omitted {
		if p == k || strings.HasPrefix(p, k+".") || strings.HasPrefix(p, k+"[]") {
			return true
		}
	}
	return false
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestCompareRequestFinds: the comparison above reports each kind of
// difference, so a connector drifting from the examples fails.
func TestCompareRequestFinds(t *testing.T) {
	example := map[string]any{"organizationId": "org", "reserveId": "r1",
		"customer": map[string]any{"name": "Анна", "type": "regular"},
		"start":    "2025-06-14 19:00:00.000", "note": nil}
	cases := map[string]map[string]any{
		"sends reserveID": {"organizationId": "org", "reserveID": "r1",
			"customer": map[string]any{"name": "x", "type": "regular"},
			"start":    "2025-06-14 19:00:00.000"},
		"leaves out customer.type": {"organizationId": "org", "reserveId": "r2",
			"customer": map[string]any{"name": "x"}, "start": "2025-06-14 19:00:00.000"},
		"reserveId is a number": {"organizationId": "org", "reserveId": 7.0,
			"customer": map[string]any{"name": "x", "type": "regular"},
			"start":    "2025-06-14 19:00:00.000"},
		"organizationId = other": {"organizationId": "other", "reserveId": "r2",
			"customer": map[string]any{"name": "x", "type": "regular"},
			"start":    "2025-06-14 19:00:00.000"},
		"start = \"2025-06-14T19:00:00Z\"": {"organizationId": "org", "reserveId": "r2",
			"customer": map[string]any{"name": "x", "type": "regular"},
			"start":    "2025-06-14T19:00:00Z"},
	}
	for want, sent := range cases {
		got := compareRequest(sent, example, nil, []string{"organizationId"},
			[]string{"start"})
		if !slices.ContainsFunc(got, func(p string) bool { return strings.HasPrefix(p, want) }) {
			t.Errorf("%s: problems %q, want one starting %q", want, got, want)
		}
	}
	ok := map[string]any{"organizationId": "org", "reserveId": "r9",
		"customer": map[string]any{"name": "Иван", "type": "regular"},
		"start":    "2026-01-02 03:04:05.006"}
	if got := compareRequest(ok, example, nil, []string{"organizationId"},
		[]string{"start"}); len(got) != 0 {
		t.Errorf("a request like the example: %q", got)
	}
	delete(ok, "customer")
	if got := compareRequest(ok, example, map[string]string{"customer": "why"}, nil,
		nil); len(got) != 0 {
		t.Errorf("an object left out with a reason: %q", got)
	}
}
