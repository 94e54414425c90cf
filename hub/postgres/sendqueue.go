package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stolik/stolik/hub"
)

const outgoingColumns = `key, seq, chat_id, text, markup, edit_key, parse_mode, state,
	created_at, not_before, lease_until, attempts, msg_id, finished_at, error`

func scanOutgoing(row pgx.CollectableRow) (hub.Outgoing, error) {
	var (
		m                            hub.Outgoing
		notBefore, lease, finishedAt *time.Time
		msgID                        int64
		markup                       []byte
	)
	err := row.Scan(&m.Key, &m.Seq, &m.ChatID, &m.Text, &markup, &m.EditKey,
		&m.ParseMode, &m.State, &m.CreatedAt, &notBefore, &lease, &m.Attempts, &msgID,
		&finishedAt, &m.Error)
	if len(markup) > 0 {
		m.Markup = markup
	}
	m.CreatedAt = utc(m.CreatedAt)
	m.NotBefore, m.LeaseUntil = fromNull(notBefore), fromNull(lease)
	m.FinishedAt, m.MsgID = fromNull(finishedAt), int(msgID)
	return m, err
}

// EnqueueOutgoing stores a pending message with the next Seq; ErrExists if
// its key is taken. Once it is committed, every replica's ListenOutgoing
// hears of it.
func (s *Store) EnqueueOutgoing(ctx context.Context, m hub.Outgoing) error {
	if m.Key == "" {
		return fmt.Errorf("enqueue outgoing message: %w", errEmptyID)
	}
	var markup []byte
	if len(m.Markup) > 0 {
		markup = m.Markup
	}
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO outgoing (key, chat_id, text, markup, edit_key, parse_mode, state,
			created_at, not_before)
		VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8)
		ON CONFLICT (key) DO NOTHING`,
		m.Key, m.ChatID, m.Text, markup, m.EditKey, m.ParseMode, m.CreatedAt,
		nullTime(m.NotBefore))
	if err != nil {
		return fmt.Errorf("enqueue outgoing message %q: %w", m.Key, classify(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("enqueue outgoing message %q: %w", m.Key, hub.ErrExists)
	}
	// After the insert is committed, like EnqueueCommand's: the sender,
	// on whichever replica, looks at once rather than at its next poll.
	if _, err := s.pool.Exec(ctx, `SELECT pg_notify($1, '')`, OutgoingChannel); err != nil {
		s.log.Warn("notify replicas of an outgoing message", "key", m.Key, "err", err)
	}
	return nil
}

// Outgoing returns the message with key.
func (s *Store) Outgoing(ctx context.Context, key string) (hub.Outgoing, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+outgoingColumns+` FROM outgoing WHERE key = $1`,
		key)
	if err != nil {
		return hub.Outgoing{}, fmt.Errorf("outgoing message %q: %w", key, err)
	}
	m, err := pgx.CollectExactlyOneRow(rows, scanOutgoing)
	if errors.Is(err, pgx.ErrNoRows) {
		return hub.Outgoing{}, fmt.Errorf("outgoing message %q: %w", key, hub.ErrNotFound)
	}
	if err != nil {
		return hub.Outgoing{}, fmt.Errorf("outgoing message %q: %w", key, err)
	}
	return m, nil
}

// ClaimOutgoing claims up to limit due pending messages in Seq order.
// Rows another claim is taking are skipped (FOR UPDATE SKIP LOCKED).
func (s *Store) ClaimOutgoing(ctx context.Context, now time.Time, limit int,
	lease time.Duration) ([]hub.Outgoing, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `
		WITH due AS (
			SELECT key FROM outgoing
			WHERE state = 'pending' AND (not_before IS NULL OR not_before <= $1)
			ORDER BY seq
			LIMIT $3
			FOR UPDATE SKIP LOCKED)
		UPDATE outgoing o SET state = 'sending', lease_until = $2, attempts = attempts + 1
		FROM due WHERE o.key = due.key
		RETURNING `+prefixed("o.", outgoingColumns), now, now.Add(lease), limit)
	if err != nil {
		return nil, fmt.Errorf("claim outgoing messages: %w", err)
	}
	list, err := pgx.CollectRows(rows, scanOutgoing)
	if err != nil {
		return nil, fmt.Errorf("claim outgoing messages: %w", err)
	}
	sortOutgoing(list)
	return list, nil
}

// ExpireOutgoing settles claimed messages whose lease ran out by now.
func (s *Store) ExpireOutgoing(ctx context.Context, now time.Time) ([]hub.Outgoing, error) {
	rows, err := s.pool.Query(ctx, `
		WITH run_out AS (
			SELECT key FROM outgoing
			WHERE state = 'sending' AND lease_until <= $1
			FOR UPDATE SKIP LOCKED)
		UPDATE outgoing o SET lease_until = NULL,
			state = CASE WHEN o.edit_key = '' THEN 'doubt' ELSE 'pending' END,
			finished_at = CASE WHEN o.edit_key = '' THEN $1 END,
			error = CASE WHEN o.edit_key = ''
				THEN 'claim ran out before the send was recorded' ELSE o.error END
		FROM run_out WHERE o.key = run_out.key
		RETURNING `+prefixed("o.", outgoingColumns), now)
	if err != nil {
		return nil, fmt.Errorf("expire outgoing messages: %w", err)
	}
	list, err := pgx.CollectRows(rows, scanOutgoing)
	if err != nil {
		return nil, fmt.Errorf("expire outgoing messages: %w", err)
	}
	doubts := list[:0]
	for _, m := range list {
		if m.State == hub.OutgoingDoubt {
			doubts = append(doubts, m)
		}
	}
	sortOutgoing(doubts)
	return doubts, nil
}

// FinishOutgoing records a sender's result for a message; a message sent
// or failed keeps its first result.
func (s *Store) FinishOutgoing(ctx context.Context, key string, r hub.OutgoingResult) error {
	var (
		notBefore, finishedAt *time.Time
		msgID                 int64
	)
	switch r.State {
	case hub.OutgoingPending:
		notBefore = nullTime(r.NotBefore)
	case hub.OutgoingSent:
		msgID, finishedAt = int64(r.MsgID), &r.At
	case hub.OutgoingFailed, hub.OutgoingDoubt:
		finishedAt = &r.At
	default:
		return fmt.Errorf("finish outgoing message %q: unknown result state %q", key, r.State)
	}
	var state string
	err := s.pool.QueryRow(ctx, `
		WITH old AS (SELECT key, state FROM outgoing WHERE key = $1 FOR UPDATE),
		upd AS (
			UPDATE outgoing o SET state = $2, error = $3, lease_until = NULL,
				not_before = CASE WHEN $2 = 'pending' THEN $4 ELSE o.not_before END,
				msg_id = CASE WHEN $2 = 'sent' THEN $5 ELSE o.msg_id END,
				finished_at = $6
			FROM old WHERE o.key = old.key AND old.state NOT IN ('sent', 'failed'))
		SELECT state FROM old`,
		key, string(r.State), r.Error, notBefore, msgID, finishedAt).Scan(&state)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("finish outgoing message %q: %w", key, hub.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("finish outgoing message %q: %w", key, err)
	}
	return nil
}

// SentSince lists the messages sent at or after since.
func (s *Store) SentSince(ctx context.Context, since time.Time) ([]hub.Outgoing, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+outgoingColumns+` FROM outgoing
		WHERE state = 'sent' AND finished_at >= $1 ORDER BY finished_at, seq`, since)
	if err != nil {
		return nil, fmt.Errorf("list sent messages: %w", err)
	}
	list, err := pgx.CollectRows(rows, scanOutgoing)
	if err != nil {
		return nil, fmt.Errorf("list sent messages: %w", err)
	}
	return list, nil
}

// PruneOutgoing deletes finished messages finished before before.
func (s *Store) PruneOutgoing(ctx context.Context, before time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `
		DELETE FROM outgoing
		WHERE state IN ('sent', 'failed', 'doubt') AND finished_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("prune outgoing messages: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// ClaimLease gives the named lease to holder if it is free, ran out, or
// already holder's, in one statement (the row lock serialises racers).
func (s *Store) ClaimLease(ctx context.Context, name, holder string, now time.Time,
	ttl time.Duration) (bool, error) {
	if name == "" || holder == "" {
		return false, fmt.Errorf("claim lease: %w", errEmptyID)
	}
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO leases (name, holder, until) VALUES ($1, $2, $4)
		ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, until = EXCLUDED.until
		WHERE leases.holder = EXCLUDED.holder OR leases.until <= $3`,
		name, holder, now, now.Add(ttl))
	if err != nil {
		return false, fmt.Errorf("claim lease %q: %w", name, err)
	}
	return tag.RowsAffected() == 1, nil
}

// ReleaseLease frees the named lease if holder has it.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM leases WHERE name = $1 AND holder = $2`,
		name, holder)
	if err != nil {
		return fmt.Errorf("release lease %q: %w", name, err)
	}
	return nil
}

// prefixed qualifies each of a comma-separated column list with p.
func prefixed(p, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

func sortOutgoing(list []hub.Outgoing) {
	slices.SortFunc(list, func(a, b hub.Outgoing) int { return cmp.Compare(a.Seq, b.Seq) })
}
