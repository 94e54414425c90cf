package iiko

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/stolik/stolik/shared/wire"
)

// OrdersAnswer is the answer of /order/by_table.
type OrdersAnswer struct {
	CorrelationID string           `json:"correlationId"`
	Orders        []TableOrderInfo `json:"orders"`
}

// TableOrderInfo is an order on tables as iiko tracks it.
type TableOrderInfo struct {
	ID             string      `json:"id"`
	OrganizationID string      `json:"organizationId"`
	Timestamp      num         `json:"timestamp"`
	CreationStatus string      `json:"creationStatus"`
	Order          *TableOrder `json:"order"`
}

// TableOrder is an order's content, the part the agent reads.
type TableOrder struct {
	TableIDs    []string `json:"tableIds"`
	Status      string   `json:"status"`
	WhenCreated string   `json:"whenCreated"`
	Number      num      `json:"number"`
	GuestsInfo  *struct {
		Count num `json:"count"`
	} `json:"guestsInfo"`
}

// openStatuses are the order statuses that keep a table busy.
var openStatuses = []string{"New", "Bill"}

// readOrders returns the open orders on the venue's tables.
func (c *Connector) readOrders(ctx context.Context, v venue) ([]wire.Order, error) {
	tables := c.sections.tableIDs()
	if len(tables) == 0 {
		return []wire.Order{}, nil
	}
	var ans OrdersAnswer
	err := c.c.call(ctx, "order/by_table", map[string]any{
		"organizationIds": []string{v.org}, "tableIds": tables, "statuses": openStatuses,
	}, &ans)
	if err != nil {
		return nil, err
	}
	out := make([]wire.Order, 0, len(ans.Orders))
	seen := map[string]bool{}
	for _, o := range ans.Orders {
		if o.ID == "" || seen[o.ID] || o.Order == nil || o.CreationStatus == creationError ||
			!slices.Contains(openStatuses, o.Order.Status) {
			continue
		}
		seen[o.ID] = true
		w, err := orderOf(o, v.loc)
		if err != nil {
			return nil, fmt.Errorf("iiko order/by_table: order %s: %w", o.ID, err)
		}
		out = append(out, w)
	}
	return out, nil
}

func orderOf(o TableOrderInfo, loc *time.Location) (wire.Order, error) {
	w := wire.Order{ID: o.ID, TableIDs: nonNil(o.Order.TableIDs), Status: o.Order.Status}
	if o.Order.WhenCreated != "" {
		t, err := ParseTime(o.Order.WhenCreated, loc)
		if err != nil {
			return wire.Order{}, err
		}
		w.OpenedAt = t.UTC()
	}
	if g := o.Order.GuestsInfo; g != nil {
		w.Guests = int(g.Count)
	}
	return w, nil
}
