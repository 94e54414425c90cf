package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stolik/stolik/hub"
)

const bookingColumns = `id, venue_id, table_ids, start_at, end_at, party, state, guest_id,
	name, phone, comment, channel, hold_until, reservation_id, idempotency_key, reason,
	created_at, updated_at`

func scanBooking(row pgx.Row) (hub.Booking, error) {
	var b hub.Booking
	var hold *time.Time
	err := row.Scan(&b.ID, &b.VenueID, &b.TableIDs, &b.Start, &b.End, &b.Party, &b.State,
		&b.GuestID, &b.Name, &b.Phone, &b.Comment, &b.Channel, &hold, &b.ReservationID,
		&b.IdempotencyKey, &b.Reason, &b.CreatedAt, &b.UpdatedAt)
	if err != nil {
		return hub.Booking{}, err
	}
	b.Start, b.End = utc(b.Start), utc(b.End)
	b.CreatedAt, b.UpdatedAt = utc(b.CreatedAt), utc(b.UpdatedAt)
	b.HoldUntil = fromNull(hold)
	return b, nil
}

// stored returns t as the database keeps it: whole microseconds, in UTC.
func stored(t time.Time) time.Time { return t.Truncate(time.Microsecond).UTC() }

// conflictSQL finds the first block, in Blocks order, on tables $3 of venue
// $2 overlapping [$4, $5) that booking $1 may not overlap: anything but its
// own rows and the RMS reservations made for it (naming it, or named $6 by
// it).
const conflictSQL = `
	SELECT table_id, lower(during), upper(during), kind, ref FROM (
		SELECT table_id, during, 'booking' AS kind, booking_id AS ref
		FROM booking_tables
		WHERE venue_id = $2 AND table_id = ANY($3::text[]) AND active
			AND during && tstzrange($4, $5) AND booking_id <> $1
		UNION ALL
		SELECT table_id, during, kind, ref
		FROM rms_blocks
		WHERE venue_num = (SELECT num FROM venues WHERE id = $2)
			AND table_id = ANY($3::text[]) AND during && tstzrange($4, $5)
			AND NOT (kind = 'reservation' AND (booking_id = $1 OR ($6 <> '' AND ref = $6)))
	) c
	ORDER BY table_id, lower(during), kind COLLATE "C", ref
	LIMIT 1`

// createSQL creates booking $1 unless it has a conflict (conflictSQL) or
// its idempotency key $15 names an earlier booking of the venue, in one
// statement. It returns one row: the earlier booking's id, if any, and the
// conflicting block, if any; when both are NULL the booking was created.
// A racing booking that took one of its tables after the check makes the
// statement fail as the exclusion constraint does (booking_overlaps).
const createSQL = `
	WITH existing AS (
		SELECT id FROM bookings
		WHERE $15 <> '' AND venue_id = $2 AND idempotency_key = $15
	),
	conflict AS (` + conflictSQL + `),
	booking AS (
		INSERT INTO bookings (` + bookingColumns + `)
		SELECT $1, $2, $3, $4, $5, $7, $8, $9, $10, $11, $12, $13, $14, $6, $15, $16,
			$17, $18
		WHERE NOT EXISTS (SELECT FROM existing) AND NOT EXISTS (SELECT FROM conflict)
		RETURNING id
	),
	tables AS (
		INSERT INTO booking_tables (booking_id, venue_id, table_id, during, active)
		SELECT booking.id, $2, t.id, tstzrange($4, $5), true
		FROM booking, (SELECT DISTINCT unnest($3::text[]) AS id) AS t
		ORDER BY t.id
		ON CONFLICT DO NOTHING
		RETURNING table_id
	),
	audit AS (
		INSERT INTO booking_events (booking_id, at, actor, from_state, to_state, reason)
		SELECT id, $17, $19, '', $8, $16 FROM booking
	)
	SELECT (SELECT id FROM existing), c.table_id, c.lower, c.upper, c.kind, c.ref
	FROM (VALUES (1)) AS one LEFT JOIN conflict AS c ON true
	WHERE CASE
		WHEN EXISTS (SELECT FROM booking) AND (SELECT count(*) FROM tables) <
			(SELECT count(DISTINCT t) FROM unnest($3::text[]) AS t)
		THEN booking_overlaps($1)
		ELSE true
	END`

// conflictRow scans a conflicting block from nullable columns, all NULL
// when there is none.
type conflictRow struct {
	table, kind, ref *string
	start, end       *time.Time
}

func (c *conflictRow) dest() []any {
	return []any{&c.table, &c.start, &c.end, &c.kind, &c.ref}
}

// err returns the conflict as a *hub.ConflictError, or nil.
func (c *conflictRow) err() error {
	if c.table == nil {
		return nil
	}
	return &hub.ConflictError{Block: hub.Block{TableID: *c.table, Start: c.start.UTC(),
		End: c.end.UTC(), Kind: hub.BlockKind(*c.kind), Ref: *c.ref}}
}

// CreateBooking stores a new booking and its audit event in one
// transaction that refuses, with a *hub.ConflictError naming the first
// block in Blocks order, a booking overlapping an active booking, an RMS
// reservation not made for it, or an open order on its tables. A booking
// whose IdempotencyKey names an earlier booking of the venue is not stored:
// the earlier one is returned with hub.ErrExists. A taken id is
// hub.ErrExists, an unknown venue hub.ErrNotFound, and a booking that fails
// Validate hub.ErrInvalid.
func (s *Store) CreateBooking(ctx context.Context, b hub.Booking, actor string) (
	hub.Booking, error) {
	if err := b.Validate(); err != nil {
		return hub.Booking{}, fmt.Errorf("create booking %q: %w", b.ID, err)
	}
	b.Start, b.End, b.HoldUntil = stored(b.Start), stored(b.End), stored(b.HoldUntil)
	b.CreatedAt, b.UpdatedAt = stored(b.CreatedAt), stored(b.UpdatedAt)

	// One round trip: the table locks, then the statement, in one
	// implicit transaction. The locks are shared: they keep ingest from
	// writing blocks on the tables meanwhile, not other bookings, which the
	// exclusion constraint keeps apart. The loser of a race that both
	// checks passed fails on the constraint once the winner commits.
	var existing *string
	var conflict conflictRow
	batch := &pgx.Batch{}
	queueLock(batch, b.VenueID, b.TableIDs, true)
	batch.Queue(createSQL, b.ID, b.VenueID, b.TableIDs, b.Start, b.End, b.ReservationID,
		b.Party, b.State, b.GuestID, b.Name, b.Phone, b.Comment, b.Channel,
		nullTime(b.HoldUntil), b.IdempotencyKey, b.Reason, b.CreatedAt, b.UpdatedAt, actor,
	).QueryRow(func(row pgx.Row) error {
		return row.Scan(append([]any{&existing}, conflict.dest()...)...)
	})
	err := s.pool.SendBatch(ctx, batch).Close()

	switch {
	case err != nil:
		return s.createFailed(ctx, b, err)
	case existing != nil:
		first, err := s.Booking(ctx, *existing)
		if err != nil {
			return hub.Booking{}, fmt.Errorf("create booking %q: %w", b.ID, err)
		}
		return first, fmt.Errorf("create booking %q: key %q names booking %q: %w", b.ID,
			b.IdempotencyKey, first.ID, hub.ErrExists)
	case conflict.err() != nil:
		return hub.Booking{}, fmt.Errorf("create booking %q: %w", b.ID, conflict.err())
	}
	return b, nil
}

// createFailed explains an error of CreateBooking's statement.
func (s *Store) createFailed(ctx context.Context, b hub.Booking, err error) (
	hub.Booking, error) {
	var pgErr *pgconn.PgError
	errors.As(err, &pgErr)
	switch {
	case pgErr != nil && pgErr.ConstraintName == "bookings_idempotency":
		// A create with the same key committed meanwhile.
		first, err := s.BookingByKey(ctx, b.VenueID, b.IdempotencyKey)
		if err != nil {
			return hub.Booking{}, fmt.Errorf("create booking %q: %w", b.ID, err)
		}
		return first, fmt.Errorf("create booking %q: key %q names booking %q: %w", b.ID,
			b.IdempotencyKey, first.ID, hub.ErrExists)
	case pgCode(err) == codeExclusionViolation:
		return hub.Booking{}, fmt.Errorf("create booking %q: %w", b.ID,
			s.overlapped(ctx, b, err))
	}
	return hub.Booking{}, fmt.Errorf("create booking %q: %w", b.ID, classify(err))
}

// overlapped turns a violation of the exclusion constraint, which a booking
// that raced another for its tables gets, into a *hub.ConflictError naming
// the block it lost to, found once the winner committed.
func (s *Store) overlapped(ctx context.Context, b hub.Booking, violation error) error {
	s.log.Debug("booking lost a race on the exclusion constraint", "booking", b.ID,
		"venue", b.VenueID, "err", violation)
	var c conflictRow
	err := s.pool.QueryRow(ctx, conflictSQL, b.ID, b.VenueID, b.TableIDs, b.Start, b.End,
		b.ReservationID).Scan(c.dest()...)
	if err == nil && c.err() != nil {
		return c.err()
	}
	return &hub.ConflictError{Block: hub.Block{TableID: strings.Join(b.TableIDs, ","),
		Start: b.Start, End: b.End, Kind: hub.BlockBooking}}
}

// BookingByKey implements hub.Store.
func (s *Store) BookingByKey(ctx context.Context, venueID, key string) (hub.Booking, error) {
	if key == "" {
		return hub.Booking{}, notFound("booking with key", key)
	}
	b, err := scanBooking(s.pool.QueryRow(ctx, `SELECT `+bookingColumns+` FROM bookings
		WHERE venue_id = $1 AND idempotency_key = $2`, venueID, key))
	if errors.Is(err, pgx.ErrNoRows) {
		err = notFound("booking with key", key)
	}
	return b, err
}

// Booking returns one booking; hub.ErrNotFound if there is none with id.
func (s *Store) Booking(ctx context.Context, id string) (hub.Booking, error) {
	b, err := scanBooking(s.pool.QueryRow(ctx,
		`SELECT `+bookingColumns+` FROM bookings WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		err = notFound("booking", id)
	}
	if err != nil {
		return hub.Booking{}, fmt.Errorf("get booking: %w", err)
	}
	return b, nil
}

// Bookings lists bookings matching q, by start then id.
func (s *Store) Bookings(ctx context.Context, q hub.BookingQuery) ([]hub.Booking, error) {
	if !q.From.IsZero() && !q.To.IsZero() && !q.To.After(q.From) {
		return []hub.Booking{}, nil
	}
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if q.VenueID != "" {
		where = append(where, "venue_id = "+arg(q.VenueID))
	}
	if q.GuestID != "" {
		where = append(where, "guest_id = "+arg(q.GuestID))
	}
	if !q.From.IsZero() || !q.To.IsZero() {
		where = append(where, fmt.Sprintf("during && tstzrange(%s, %s)",
			arg(nullTime(q.From)), arg(nullTime(q.To))))
	}
	if len(q.States) > 0 {
		where = append(where, "state = ANY("+arg(q.States)+"::text[])")
	}
	sql := `SELECT ` + bookingColumns + ` FROM bookings`
	if len(where) > 0 {
		sql += ` WHERE ` + strings.Join(where, " AND ")
	}
	sql += ` ORDER BY start_at, id`
	if q.Limit > 0 {
		sql += ` LIMIT ` + arg(q.Limit)
	}

	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("list bookings: %w", err)
	}
	list, err := collect(rows, scanBooking)
	if err != nil {
		return nil, fmt.Errorf("list bookings: %w", err)
	}
	return list, nil
}

// TransitionBooking moves a booking to t.To and records the move in the
// audit log, in one transaction. A move to the state the booking is in
// changes nothing; one hub.CanMove does not allow is hub.ErrBadTransition.
// Leaving an active state frees the tables. New tables or times are checked
// like CreateBooking (a *hub.ConflictError) when the booking stays active,
// and an empty time range is hub.ErrInvalid.
func (s *Store) TransitionBooking(ctx context.Context, id string, t hub.Transition) (
	hub.Booking, error) {
	var out, next hub.Booking
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		cur, err := scanBooking(tx.QueryRow(ctx,
			`SELECT `+bookingColumns+` FROM bookings WHERE id = $1 FOR UPDATE`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("booking", id)
		}
		if err != nil {
			return err
		}
		if cur.State == t.To && !t.Changes(cur) {
			out = cur
			return nil
		}
		if cur.State != t.To && !hub.CanMove(cur.State, t.To) {
			return fmt.Errorf("from %s to %s: %w", cur.State, t.To, hub.ErrBadTransition)
		}

		next = cur
		next.State, next.Reason, next.UpdatedAt = t.To, t.Reason, stored(t.At)
		if t.ReservationID != "" {
			next.ReservationID = t.ReservationID
		}
		if len(t.TableIDs) > 0 {
			next.TableIDs = t.TableIDs
		}
		if !t.Start.IsZero() {
			next.Start = stored(t.Start)
		}
		if !t.End.IsZero() {
			next.End = stored(t.End)
		}
		if !next.End.After(next.Start) {
			return fmt.Errorf("%w: the booking would end at %s, not after its start %s",
				hub.ErrInvalid, next.End.Format(time.RFC3339), next.Start.Format(time.RFC3339))
		}
		// A move is checked even when it names the tables and times the
		// booking has: the RMS may have taken them since.
		moved := len(t.TableIDs) > 0 || !t.Start.IsZero() || !t.End.IsZero()
		active := next.State.Active()

		if moved && active {
			if err := checkFree(ctx, tx, next); err != nil {
				return err
			}
		}

		b := &pgx.Batch{}
		b.Queue(`UPDATE bookings SET state = $2, reason = $3, updated_at = $4,
			reservation_id = $5, table_ids = $6, start_at = $7, end_at = $8
			WHERE id = $1 RETURNING `+bookingColumns,
			id, next.State, next.Reason, next.UpdatedAt, next.ReservationID, next.TableIDs,
			next.Start, next.End,
		).QueryRow(func(row pgx.Row) error {
			out, err = scanBooking(row)
			return err
		})
		var want, inserted int
		switch {
		case moved:
			// As in CreateBooking, a table a racing booking took after
			// the check is skipped, and that undoes the move.
			want = len(uniqueStrings(next.TableIDs))
			b.Queue(`DELETE FROM booking_tables WHERE booking_id = $1`, id)
			b.Queue(`INSERT INTO booking_tables (booking_id, venue_id, table_id, during, active)
				SELECT $1, $2, t.id, tstzrange($4, $5), $6
				FROM (SELECT DISTINCT unnest($3::text[]) AS id) AS t
				ORDER BY t.id
				ON CONFLICT DO NOTHING`,
				id, next.VenueID, next.TableIDs, next.Start, next.End, active,
			).Exec(func(tag pgconn.CommandTag) error {
				inserted = int(tag.RowsAffected())
				return nil
			})
		case active != cur.State.Active():
			b.Queue(`UPDATE booking_tables SET active = $2 WHERE booking_id = $1`, id, active)
		}
		b.Queue(`INSERT INTO booking_events (booking_id, at, actor, from_state, to_state,
			reason) VALUES ($1, $2, $3, $4, $5, $6)`,
			id, t.At, t.Actor, cur.State, next.State, t.Reason)
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		if inserted < want {
			return overlapError(id)
		}
		return nil
	})
	if pgCode(err) == codeExclusionViolation {
		err = s.overlapped(ctx, next, err)
	}
	if err != nil {
		return hub.Booking{}, fmt.Errorf("move booking %q to %s: %w", id, t.To, classify(err))
	}
	return out, nil
}

// overlapError is what booking_overlaps raises, for a move that lost a race
// in Go rather than in SQL.
func overlapError(id string) error {
	return &pgconn.PgError{Code: codeExclusionViolation,
		Message: "booking " + id + " overlaps an active booking"}
}

// checkFree takes the shared locks of the tables of b, as CreateBooking
// does, and returns a *hub.ConflictError if any block but b's own is on
// them over its time.
func checkFree(ctx context.Context, tx pgx.Tx, b hub.Booking) error {
	var c conflictRow
	batch := &pgx.Batch{}
	queueLock(batch, b.VenueID, b.TableIDs, true)
	batch.Queue(conflictSQL, b.ID, b.VenueID, b.TableIDs, b.Start, b.End, b.ReservationID).
		QueryRow(func(row pgx.Row) error {
			err := row.Scan(c.dest()...)
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			return err
		})
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return err
	}
	return c.err()
}

// BookingHistory returns a booking's audit log, oldest first; hub.ErrNotFound
// for an unknown booking.
func (s *Store) BookingHistory(ctx context.Context, id string) ([]hub.BookingEvent, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT b.id, e.at, e.actor, e.from_state, e.to_state, e.reason
		FROM bookings b LEFT JOIN booking_events e ON e.booking_id = b.id
		WHERE b.id = $1 ORDER BY e.id`, id)
	if err != nil {
		return nil, fmt.Errorf("history of booking %q: %w", id, err)
	}
	var found bool
	list := []hub.BookingEvent{}
	for rows.Next() {
		found = true
		var e hub.BookingEvent
		var at *time.Time
		var actor, from, to, reason *string
		if err := rows.Scan(&e.BookingID, &at, &actor, &from, &to, &reason); err != nil {
			return nil, fmt.Errorf("history of booking %q: %w", id, err)
		}
		if at == nil {
			continue // no events
		}
		e.At, e.Actor, e.Reason = at.UTC(), *actor, *reason
		e.From, e.To = hub.BookingState(*from), hub.BookingState(*to)
		list = append(list, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history of booking %q: %w", id, err)
	}
	if !found {
		return nil, fmt.Errorf("history: %w", notFound("booking", id))
	}
	return list, nil
}

// Blocks returns every block on the venue's tables that overlaps [from,
// to): active bookings, RMS reservations that are not cancelled, and open
// orders, ordered by table, start, kind and ref. hub.ErrNotFound for an
// unknown venue.
func (s *Store) Blocks(ctx context.Context, venueID string, from, to time.Time) (
	[]hub.Block, error) {
	var venue bool
	list := []hub.Block{}
	b := &pgx.Batch{}
	b.Queue(`SELECT EXISTS (SELECT FROM venues WHERE id = $1)`, venueID).
		QueryRow(func(row pgx.Row) error { return row.Scan(&venue) })
	if to.After(from) {
		b.Queue(`
			SELECT table_id, lower(during), upper(during), kind, ref FROM (
				SELECT table_id, during, 'booking' AS kind, booking_id AS ref
				FROM booking_tables
				WHERE venue_id = $1 AND active AND during && tstzrange($2, $3)
				UNION ALL
				SELECT table_id, during, kind, ref
				FROM rms_blocks
				WHERE venue_num = (SELECT num FROM venues WHERE id = $1)
					AND during && tstzrange($2, $3)
			) b
			ORDER BY table_id, lower(during), kind COLLATE "C", ref`, venueID, from, to,
		).Query(func(rows pgx.Rows) error {
			var err error
			list, err = collect(rows, scanBlock)
			return err
		})
	}
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("blocks of venue %q: %w", venueID, err)
	}
	if !venue {
		return nil, fmt.Errorf("blocks: %w", notFound("venue", venueID))
	}
	return list, nil
}

func scanBlock(row pgx.Row) (hub.Block, error) {
	var b hub.Block
	if err := row.Scan(&b.TableID, &b.Start, &b.End, &b.Kind, &b.Ref); err != nil {
		return hub.Block{}, err
	}
	b.Start, b.End = utc(b.Start), utc(b.End)
	return b, nil
}
