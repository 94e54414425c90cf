package rkeeper

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// order is an open (non-reserve) order, its tables still as idents.
type order struct {
	id     string
	tables []string
	opened time.Time
	guests int
	status string
}

// refreshOrders reads open orders unless the server answers "No changes"
// to the last version read; when they changed it reads the reserve orders
// too. The caches change only when both reads worked.
func (c *Connector) refreshOrders(ctx context.Context) error {
	var res orderListResult
	err := c.c.call(ctx, command("GetOrderList", "onlyOpened", "1", "needIdents", "1",
		"needCodes", "1", "needNames", "0", "lastversion", c.lastVersion), &res)
	if err != nil {
		return err
	}
	if res.Status == statusNoChanges && c.lastVersion != "" {
		return nil
	}
	orders := c.decodeOrders(res)
	reserves, err := c.readReserves(ctx, "")
	if err != nil {
		return err
	}
	c.orders, c.reserves, c.lastVersion = orders, reserves, res.LastVersion

	// An order on a table the cached references do not know means they
	// changed; read them now rather than at the next check.
	if !c.unknownTables() {
		return nil
	}
	if err := c.refreshRefs(ctx, true); err != nil {
		return err
	}
	if c.unknownTables() {
		c.log.Warn("orders on tables missing from the active TABLES reference are left out")
	}
	return nil
}

// unknownTables reports whether an order or reserve is on a table the
// references do not know.
func (c *Connector) unknownTables() bool {
	for _, o := range c.orders {
		if len(c.refs.tableIDs(o.tables)) < len(o.tables) {
			return true
		}
	}
	for _, r := range c.reserves {
		if len(c.refs.tableIDs([]string{r.table})) == 0 {
			return true
		}
	}
	return false
}

// decodeOrders turns a GetOrderList answer into open orders. Reserve orders
// are reservations, not occupancy, and are left out. One of our bookings
// caught between its two write steps shows as an open order until the
// second step: it is one on the till.
func (c *Connector) decodeOrders(res orderListResult) []order {
	var out []order
	for _, v := range res.Visits {
		if isTrue(v.Finished) {
			continue
		}
		n := atoi(v.GuestsCount)
		if n == 0 {
			n = atoi(v.Guests.Count)
		}
		for _, o := range v.Orders {
			if isTrue(o.Finished) || isTrue(o.Reserve) {
				continue
			}
			id := normGUID(o.GUID)
			if id == "" {
				c.log.Warn("open order without a guid", "order_ident", o.OrderID)
				continue
			}
			opened, err := parseLocal(o.CreateTime, c.cfg.Location)
			if err != nil {
				c.log.Warn("open order with an unreadable CreateTime", "order", id, "err", err)
				opened = c.now()
			}
			tables := []string{o.TableID}
			for _, x := range o.ExtraTables {
				if t := firstAttr(x, "TableID", "ID", "id", "Ident"); t != "" {
					tables = append(tables, t)
				}
			}
			status := "open"
			if isTrue(o.Bill) {
				status = "bill"
			}
			out = append(out, order{id: id, tables: tables, opened: opened, guests: n,
				status: status})
		}
	}
	return out
}

// firstAttr returns the first of names that it carries.
func firstAttr(it refItem, names ...string) string {
	for _, n := range names {
		if v := it.attr(n); v != "" {
			return v
		}
	}
	return ""
}

// atoi reads a count, 0 when absent or unreadable.
func atoi(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 {
		return 0
	}
	return n
}
