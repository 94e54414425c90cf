package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
)

// listen calls fn with the payload of every notification on channel until
// ctx is done, and then returns ctx.Err(). It listens on a connection of
// its own (not the pool's) and reconnects, with capped backoff, when that
// connection is lost. Each time LISTEN has taken effect it calls ready
// with the connection; again is set after a reconnect, when notifications
// sent meanwhile are gone and ready may look for what they told of. fn
// and ready run on the listening goroutine and should return quickly.
//
// ListenCommands, ListenOutgoing and ListenRevoked are built on it: one way of hearing
// other replicas.
func (s *Store) listen(ctx context.Context, channel string,
	ready func(ctx context.Context, conn *pgx.Conn, again bool) error,
	fn func(payload string)) error {
	const minBackoff, maxBackoff = 100 * time.Millisecond, 10 * time.Second
	backoff := minBackoff
	for first := true; ; first = false {
		err := s.listenOnce(ctx, channel, func(conn *pgx.Conn) error {
			backoff = minBackoff
			return ready(ctx, conn, !first)
		}, fn)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		s.log.Warn("notifications lost, reconnecting", "channel", channel, "err", err,
			"retry_in", wait.Round(time.Millisecond))
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// listenOnce runs one listening connection until it fails or ctx is done.
func (s *Store) listenOnce(ctx context.Context, channel string,
	ready func(conn *pgx.Conn) error, fn func(payload string)) error {
	conn, err := pgx.ConnectConfig(ctx, s.listenCfg)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	s.log.Debug("listening for notifications", "channel", channel)
	if err := ready(conn); err != nil {
		return err
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("wait for notification: %w", err)
		}
		fn(n.Payload)
	}
}

// OutgoingChannel is the channel EnqueueOutgoing notifies (no payload).
const OutgoingChannel = "stolik_outgoing"

// ListenOutgoing calls wake whenever a Telegram message is enqueued, by
// any replica, until ctx is done; it then returns ctx.Err(). It also
// calls wake each time it starts listening, after a lost connection too,
// since a message enqueued meanwhile was told of to no one. The sending
// replica's queue (package sendqueue) runs it, so that it sends at once
// what other replicas enqueue. wake runs on the listening goroutine and
// should return quickly.
func (s *Store) ListenOutgoing(ctx context.Context, wake func()) error {
	return s.listen(ctx, OutgoingChannel, func(context.Context, *pgx.Conn, bool) error {
		wake()
		return nil
	}, func(string) { wake() })
}
