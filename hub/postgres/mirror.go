package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

// mirrorKinds are the entity kinds the mirror keeps, in dependency order.
var mirrorKinds = [...]wire.Entity{
	wire.EntityHall, wire.EntityTable, wire.EntityOrder, wire.EntityReservation,
}

// mirrorTables names the table that mirrors each entity kind.
var mirrorTables = map[wire.Entity]string{
	wire.EntityHall:        "mirror_halls",
	wire.EntityTable:       "mirror_tables",
	wire.EntityOrder:       "mirror_orders",
	wire.EntityReservation: "mirror_reservations",
}

// ApplyBatch applies events to the mirror of the agent's venue in one
// transaction, together with the agent's applied sequence. It returns
// hub.ErrNotFound for an unknown agent, hub.ErrRevoked for a revoked one,
// and an error wrapping hub.ErrInvalid for a batch hub.CheckBatch refuses
// (or with a sequence number above 2^63-1, or text PostgreSQL cannot
// store); a refused batch changes nothing. Events of unknown entity kinds
// are not stored but count as applied.
func (s *Store) ApplyBatch(ctx context.Context, agentID string, events []wire.Event) (
	hub.ApplyResult, error) {
	if agentID == "" {
		return hub.ApplyResult{}, fmt.Errorf("apply batch: agent: %w", errEmptyID)
	}
	// What the blocks need is decoded beside the check: both only read the
	// events, and the database has nothing to do meanwhile.
	decoded := make(chan []blockFields, 1)
	go func() { decoded <- decodeBlocks(events) }()
	err := hub.CheckBatch(events)
	fields := <-decoded
	if err != nil {
		return hub.ApplyResult{}, fmt.Errorf("apply batch of agent %q: %w", agentID, err)
	}
	if n := len(events); n > 0 && events[n-1].Seq > math.MaxInt64 {
		return hub.ApplyResult{}, fmt.Errorf("apply batch of agent %q: %w: sequence %d "+
			"is too large", agentID, hub.ErrInvalid, events[n-1].Seq)
	}

	var res hub.ApplyResult
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var v venueRef
		var applied int64
		var revoked *time.Time
		var policy []byte
		err := tx.QueryRow(ctx, `
			SELECT a.venue_id, v.num, a.applied_seq, a.revoked_at, v.policy
			FROM agents a JOIN venues v ON v.id = a.venue_id
			WHERE a.id = $1 FOR UPDATE OF a`, agentID).Scan(&v.id, &v.num, &applied, &revoked,
			&policy)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("agent", agentID)
		}
		if err != nil {
			return err
		}
		if revoked != nil {
			return fmt.Errorf("agent %q: %w", agentID, hub.ErrRevoked)
		}

		fresh := events
		for len(fresh) > 0 && fresh[0].Seq <= uint64(applied) {
			fresh = fresh[1:]
		}
		res = hub.ApplyResult{Seq: uint64(applied), Skipped: len(events) - len(fresh)}
		if len(fresh) == 0 {
			return nil
		}

		learned, err := learnedTurn(ctx, tx, v.id)
		if err != nil {
			return err
		}
		b := &pgx.Batch{}
		skipped := len(events) - len(fresh)
		if err := queueEvents(b, v, policy, learned, fresh, fields[skipped:]); err != nil {
			return err
		}
		last := fresh[len(fresh)-1].Seq
		b.Queue(`UPDATE agents SET applied_seq = $2, applied_events = applied_events + $3
			WHERE id = $1`, agentID, int64(last), len(fresh))
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return classify(err)
		}
		res.Seq, res.Applied = last, len(fresh)
		return nil
	})
	if err != nil {
		return hub.ApplyResult{}, fmt.Errorf("apply batch of agent %q: %w", agentID, err)
	}
	return res, nil
}

// queueEvents queues the statements that apply checked events to the
// mirror of a venue, with the blocks of its orders and reservations. Only
// the last change of each entity matters within one transaction, so the
// events are first reduced to it; ids are sorted so that concurrent writers
// lock rows in the same order.
func queueEvents(b *pgx.Batch, v venueRef, rawPolicy []byte, learned time.Duration,
	events []wire.Event, fields []blockFields) error {
	last := make(map[wire.Entity]map[string]int) // index of the last event
	for i, e := range events {
		if !hub.KnownEntity(e.Entity) {
			continue
		}
		if last[e.Entity] == nil {
			last[e.Entity] = make(map[string]int)
		}
		last[e.Entity][e.ID] = i
	}

	// Turn times make the blocks of orders, and of reservations without a
	// duration.
	var policy hub.Policy
	if err := json.Unmarshal(rawPolicy, &policy); err != nil {
		return fmt.Errorf("decode policy of venue %q: %w", v.id, err)
	}

	var ups [len(mirrorKinds)]mirrorRows
	var dels [len(mirrorKinds)][]string
	var closedAt []*time.Time // when each deleted order closed, beside dels
	var locked []string       // tables that get a block
	for i, kind := range mirrorKinds {
		changes := last[kind]
		for _, id := range sortedKeys(changes) {
			e := events[changes[id]]
			if e.Op == wire.OpDelete {
				dels[i] = append(dels[i], id)
				if kind == wire.EntityOrder {
					var at *time.Time
					if !e.At.IsZero() {
						at = &e.At
					}
					closedAt = append(closedAt, at)
				}
				continue
			}
			r := &ups[i]
			r.id = append(r.id, id)
			r.data = append(r.data, string(e.Data))
			if kind == wire.EntityOrder || kind == wire.EntityReservation {
				f := fields[changes[id]]
				if f.err != nil {
					return fmt.Errorf("decode %s: %w", e.Key(), f.err)
				}
				locked = append(locked, r.addBlock(policy, learned, kind, f)...)
			}
		}
	}

	// The tables of the new blocks are locked before anything is written,
	// as a booking does: a booking checking those tables waits for this
	// transaction and then sees its blocks.
	queueLock(b, v.id, locked, false)
	for i, kind := range mirrorKinds {
		table := mirrorTables[kind]
		switch {
		case len(dels[i]) > 0 && kind == wire.EntityOrder:
			// A closed order teaches the venue how long tables stay
			// taken.
			b.Queue(`WITH gone AS (DELETE FROM mirror_orders
					WHERE venue_id = $1 AND id = ANY($2) RETURNING id, data)
				INSERT INTO order_turns (venue_id, closed_at, turn_ms)
				SELECT $1, u.at, (extract(epoch FROM
					u.at - (g.data->>'opened_at')::timestamptz) * 1000)::bigint
				FROM gone g JOIN unnest($2::text[], $3::timestamptz[]) AS u(id, at)
					ON u.id = g.id
				WHERE u.at > (g.data->>'opened_at')::timestamptz`, v.id, dels[i], closedAt)
		case len(dels[i]) > 0:
			b.Queue(`DELETE FROM `+table+` WHERE venue_id = $1 AND id = ANY($2)`,
				v.id, dels[i])
		}
		ups[i].queueUpsert(b, table, v)
	}
	return nil
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// venueRef is a venue's id and its short key, venues.num.
type venueRef struct {
	id  string
	num int32
}

// blockFields are what makes the block of an order or a reservation.
type blockFields struct {
	tables   []string
	start    time.Time // a reservation's start, an order's opening
	duration time.Duration
	guests   int
	status   wire.ReservationStatus
	booking  string
	err      error
}

// decodeBlocks decodes the block fields of every upserted order and
// reservation among events, by index. Only those fields are decoded, which
// skips names, phones and comments; each is a field of the wire type, so
// whatever hub.CheckBatch accepts decodes here too.
func decodeBlocks(events []wire.Event) []blockFields {
	fields := make([]blockFields, len(events))
	for i, e := range events {
		if e.Op != wire.OpUpsert {
			continue
		}
		f := &fields[i]
		switch e.Entity {
		case wire.EntityReservation:
			var r struct {
				TableIDs  []string               `json:"table_ids"`
				Start     time.Time              `json:"start"`
				Duration  wire.Duration          `json:"duration"`
				Guests    int                    `json:"guests"`
				Status    wire.ReservationStatus `json:"status"`
				BookingID string                 `json:"booking_id"`
			}
			f.err = json.Unmarshal(e.Data, &r)
			f.tables, f.start, f.duration = r.TableIDs, r.Start, time.Duration(r.Duration)
			f.guests, f.status, f.booking = r.Guests, r.Status, r.BookingID
		case wire.EntityOrder:
			var o struct {
				TableIDs []string  `json:"table_ids"`
				OpenedAt time.Time `json:"opened_at"`
				Guests   int       `json:"guests"`
			}
			f.err = json.Unmarshal(e.Data, &o)
			f.tables, f.start, f.guests = o.TableIDs, o.OpenedAt, o.Guests
		}
	}
	return fields
}

// mirrorRows are rows of one mirror table as parallel arrays, for one
// INSERT from unnest. Orders and reservations also fill the block columns.
type mirrorRows struct {
	id, data []string
	tables   []string // text[] literals of table ids, without repeats
	start    []time.Time
	end      []time.Time
	blocks   []bool // false: no block (a cancelled reservation)
	booking  []string
}

// addBlock adds the block columns of an order or a reservation and returns
// the tables it blocks.
func (r *mirrorRows) addBlock(p hub.Policy, learned time.Duration, kind wire.Entity,
	f blockFields) []string {
	var start, end time.Time
	blocks := true
	if kind == wire.EntityReservation {
		start, end, blocks = reservationBlock(p, wire.Reservation{Start: f.start,
			Duration: wire.Duration(f.duration), Guests: f.guests, Status: f.status})
	} else {
		start, end = orderBlock(p, learned, wire.Order{OpenedAt: f.start, Guests: f.guests})
	}
	tables := uniqueStrings(f.tables)
	r.tables = append(r.tables, arrayLiteral(tables))
	r.start, r.end = append(r.start, start), append(r.end, end)
	r.blocks = append(r.blocks, blocks)
	r.booking = append(r.booking, f.booking)
	if !blocks {
		return nil
	}
	return tables
}

// queueUpsert queues the upsert of the rows into table, if any.
func (r *mirrorRows) queueUpsert(b *pgx.Batch, table string, v venueRef) {
	switch {
	case len(r.id) == 0:
	case r.tables == nil:
		b.Queue(`INSERT INTO `+table+` (venue_id, id, data)
			SELECT $1, u.id, u.data::json FROM unnest($2::text[], $3::text[]) AS u(id, data)
			ON CONFLICT (venue_id, id) DO UPDATE SET data = EXCLUDED.data`,
			v.id, r.id, r.data)
	default:
		b.Queue(`INSERT INTO `+table+` (venue_id, venue_num, id, data, table_ids, during,
				booking_id)
			SELECT $1, $9, u.id, u.data::json,
				u.tables::text[],
				CASE WHEN u.blocks THEN tstzrange(u.s, u.e) END, u.booking
			FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[],
				$6::timestamptz[], $7::bool[], $8::text[])
				AS u(id, data, tables, s, e, blocks, booking)
			ON CONFLICT (venue_id, id) DO UPDATE SET data = EXCLUDED.data,
				table_ids = EXCLUDED.table_ids, during = EXCLUDED.during,
				booking_id = EXCLUDED.booking_id`,
			v.id, r.id, r.data, r.tables, r.start, r.end, r.blocks, r.booking, v.num)
	}
}

// reservationBlock returns the time a reservation blocks its tables: from
// Start for its Duration, or for the policy's turn time when the RMS gave
// no duration; ok is false for a cancelled reservation, which blocks
// nothing.
func reservationBlock(p hub.Policy, res wire.Reservation) (start, end time.Time, ok bool) {
	if res.Status == wire.ReservationCancelled {
		return time.Time{}, time.Time{}, false
	}
	d := time.Duration(res.Duration)
	if d <= 0 {
		d = p.TurnTime(res.Guests)
	}
	return res.Start, res.Start.Add(d), true
}

// orderBlock returns the time an open order occupies its tables: from
// OpenedAt for hub.OccupancyTurn (the learned turn time, else the
// policy's for its guests). Orders keep the block they got when they last
// changed; new ones get the venue's learned time of the moment.
func orderBlock(p hub.Policy, learned time.Duration, o wire.Order) (start, end time.Time) {
	return o.OpenedAt, o.OpenedAt.Add(hub.OccupancyTurn(p, o.Guests, learned))
}

// learnedTurn returns the venue's learned turn time from its last closed
// orders (hub.LearnedTurnTime), or 0.
func learnedTurn(ctx context.Context, q pgx.Tx, venueID string) (time.Duration, error) {
	rows, err := q.Query(ctx, `SELECT turn_ms FROM order_turns WHERE venue_id = $1
		ORDER BY closed_at DESC LIMIT $2`, venueID, hub.LearnedWindow)
	if err != nil {
		return 0, fmt.Errorf("learned turn time: %w", err)
	}
	ms, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, fmt.Errorf("learned turn time: %w", err)
	}
	turns := make([]time.Duration, len(ms))
	for i, m := range ms {
		turns[i] = time.Duration(m) * time.Millisecond
	}
	return hub.LearnedTurnTime(turns), nil
}

// TurnTimes implements hub.Store.
func (s *Store) TurnTimes(ctx context.Context, venueID string, limit int) ([]time.Duration,
	error) {
	rows, err := s.pool.Query(ctx, `SELECT t.turn_ms FROM venues v
		LEFT JOIN LATERAL (SELECT turn_ms FROM order_turns WHERE venue_id = v.id
			ORDER BY closed_at DESC LIMIT $2) t ON true
		WHERE v.id = $1`, venueID, limit)
	if err != nil {
		return nil, fmt.Errorf("turn times of venue %q: %w", venueID, err)
	}
	ms, err := pgx.CollectRows(rows, pgx.RowTo[*int64])
	if err != nil {
		return nil, fmt.Errorf("turn times of venue %q: %w", venueID, err)
	}
	if len(ms) == 0 {
		return nil, notFound("venue", venueID)
	}
	var out []time.Duration
	for _, m := range ms {
		if m != nil {
			out = append(out, time.Duration(*m)*time.Millisecond)
		}
	}
	return out, nil
}

// arrayLiteral writes list as a PostgreSQL text[] literal: each element
// double-quoted, with its quotes and backslashes escaped. A ragged list of
// lists cannot be a parameter, but a list of such literals can.
func arrayLiteral(list []string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, v := range list {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		for _, c := range []byte(v) {
			if c == '"' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// uniqueStrings returns list without repeats, in order.
func uniqueStrings(list []string) []string {
	out := make([]string, 0, len(list))
	for _, v := range list {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// lockKeys returns the advisory lock keys of a venue's tables, sorted and
// without repeats: every transaction takes them in this order, so two can
// never wait for each other.
func lockKeys(venueID string, tables []string) []int64 {
	keys := make([]int64, 0, len(tables))
	for _, t := range tables {
		h := fnv.New64a()
		h.Write([]byte(venueID))
		h.Write([]byte{0})
		h.Write([]byte(t))
		keys = append(keys, int64(h.Sum64()))
	}
	slices.SortFunc(keys, cmp.Compare)
	return slices.Compact(keys)
}

// queueLock queues taking the transaction-level advisory locks of a venue's
// tables: exclusive for writing RMS blocks, shared for checking bookings
// against them.
func queueLock(b *pgx.Batch, venueID string, tables []string, shared bool) {
	if len(tables) == 0 {
		return
	}
	fn := "pg_advisory_xact_lock"
	if shared {
		fn = "pg_advisory_xact_lock_shared"
	}
	b.Queue(`SELECT `+fn+`(k) FROM unnest($1::bigint[]) AS k`, lockKeys(venueID, tables))
}

// ResetMirror forgets the mirror of the agent's venue, with its RMS
// blocks, and sets the agent's applied sequence to seq, in one transaction.
func (s *Store) ResetMirror(ctx context.Context, agentID string, seq uint64) error {
	if agentID == "" {
		return fmt.Errorf("reset mirror: agent: %w", errEmptyID)
	}
	if seq > math.MaxInt64 {
		return fmt.Errorf("reset mirror: %w: sequence %d is too large", hub.ErrInvalid, seq)
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var venueID string
		err := tx.QueryRow(ctx, `SELECT venue_id FROM agents WHERE id = $1 FOR UPDATE`,
			agentID).Scan(&venueID)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("agent", agentID)
		}
		if err != nil {
			return err
		}
		b := &pgx.Batch{}
		for _, kind := range mirrorKinds {
			b.Queue(`DELETE FROM `+mirrorTables[kind]+` WHERE venue_id = $1`, venueID)
		}
		b.Queue(`UPDATE agents SET applied_seq = $2 WHERE id = $1`, agentID, int64(seq))
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return fmt.Errorf("reset mirror: %w", err)
	}
	return nil
}

// VenueState returns the mirror of a venue, each list ordered by id (empty
// lists, not nil). It returns hub.ErrNotFound for an unknown venue.
func (s *Store) VenueState(ctx context.Context, venueID string) (hub.VenueState, error) {
	st := hub.NewVenueState(venueID)
	// One query; the venue's own row says it exists.
	rows, err := s.pool.Query(ctx, `
		SELECT '', id, NULL FROM venues WHERE id = $1
		UNION ALL SELECT 'hall', id, data FROM mirror_halls WHERE venue_id = $1
		UNION ALL SELECT 'table', id, data FROM mirror_tables WHERE venue_id = $1
		UNION ALL SELECT 'order', id, data FROM mirror_orders WHERE venue_id = $1
		UNION ALL SELECT 'reservation', id, data FROM mirror_reservations WHERE venue_id = $1
		ORDER BY 1, 2`, venueID)
	if err != nil {
		return hub.VenueState{}, fmt.Errorf("venue state of %q: %w", venueID, err)
	}
	var venue bool
	for rows.Next() {
		var kind, id string
		var data []byte
		if err := rows.Scan(&kind, &id, &data); err != nil {
			return hub.VenueState{}, fmt.Errorf("venue state of %q: %w", venueID, err)
		}
		if kind == "" {
			venue = true
			continue
		}
		key := wire.Key(wire.Entity(kind), id)
		if err := st.Add(key, data); err != nil {
			return hub.VenueState{}, fmt.Errorf("venue %q: decode %s: %w", venueID, key, err)
		}
	}
	if err := rows.Err(); err != nil {
		return hub.VenueState{}, fmt.Errorf("venue state of %q: %w", venueID, err)
	}
	if !venue {
		return hub.VenueState{}, fmt.Errorf("venue state: %w", notFound("venue", venueID))
	}
	return st, nil
}
