package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/stolik/stolik/agent"
	"github.com/stolik/stolik/shared/wire"
)

// Executor runs the hub's commands against the connector.
type Executor struct {
	conn   agent.Connector
	log    Log
	poller *Poller
	logger *slog.Logger
	// logFile is the agent's log, read by a logs command; "" when unset.
	logFile string
}

// SetLogFile names the log file a logs command reads.
func (e *Executor) SetLogFile(path string) { e.logFile = path }

// NewExecutor returns an executor for conn. After a command changed the
// RMS, it pokes poller so the change reaches the hub without waiting.
func NewExecutor(conn agent.Connector, log Log, poller *Poller, logger *slog.Logger) *Executor {
	return &Executor{conn: conn, log: log, poller: poller, logger: logger}
}

// Run executes c and returns its result. It never panics on a bad body.
func (e *Executor) Run(ctx context.Context, c wire.Command) wire.Result {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	log := e.logger.With("command", c.ID, "kind", c.Kind)

	var body any
	var err error
	switch c.Kind {
	case wire.CommandResync:
		err = e.resync(ctx)
	case wire.CommandPoll:
		// Poked below, like after every command that succeeds.
		e.hint(c, log)
	case wire.CommandCreateReservation:
		body, err = e.create(ctx, c)
	case wire.CommandCancelReservation:
		err = e.cancel(ctx, c)
	case wire.CommandUpdateReservation:
		body, err = e.update(ctx, c)
	case wire.CommandSetWebhook:
		err = e.setWebhook(ctx, c)
	case wire.CommandLogs:
		// Reading the log changes nothing in the RMS: no poke.
		r := wire.Result{CommandID: c.ID}
		res, err := e.logs(c)
		if err != nil {
			r.Code, r.Message = resultCode(err), err.Error()
			return r
		}
		r.OK = true
		r.Body, _ = json.Marshal(res)
		return r
	default:
		err = fmt.Errorf("%w: command %q", agent.ErrUnsupported, c.Kind)
	}

	r := wire.Result{CommandID: c.ID, OK: err == nil}
	if err != nil {
		// The RMS's text may echo the guest's phone (iiko's InvalidPhone):
		// it is masked in the log and in the reason the hub stores.
		r.Code, r.Message = resultCode(err), maskPhones(err.Error())
		log.Warn("command failed", "code", r.Code, "err", r.Message)
		return r
	}
	if body != nil {
		r.Body, _ = json.Marshal(body)
	}
	log.Info("command done")
	e.poller.Poke()
	return r
}

// hint hands a poll's hints to a connector that takes them. Hints out of
// bounds (or from a later hub with wider bounds) are dropped and the poll
// runs without them: they only make it quicker.
func (e *Executor) hint(c wire.Command, log *slog.Logger) {
	h, err := wire.DecodePollHints(c.Body)
	if err != nil {
		log.Warn("poll hints ignored", "err", err)
		return
	}
	if hinter, ok := e.conn.(agent.PollHinter); ok && !h.Empty() {
		hinter.HintPoll(h)
		log.Debug("poll hinted", "reservations", len(h.Reservations), "orders", len(h.Orders))
	}
}

var errBadRequest = errors.New("bad command body")

func resultCode(err error) string {
	switch {
	case errors.Is(err, agent.ErrRefused):
		return wire.CodeRefused
	case errors.Is(err, agent.ErrUnsupported):
		return wire.CodeUnsupported
	case errors.Is(err, errBadRequest), errors.Is(err, agent.ErrBadRequest):
		return wire.CodeBadRequest
	}
	return wire.CodeFailed
}

func (e *Executor) writer() (agent.ReservationWriter, error) {
	w, ok := e.conn.(agent.ReservationWriter)
	if !ok {
		return nil, fmt.Errorf("%w: the %s connector cannot write reservations",
			agent.ErrUnsupported, e.conn.Kind())
	}
	return w, nil
}

func (e *Executor) create(ctx context.Context, c wire.Command) (any, error) {
	var req wire.ReservationRequest
	if err := json.Unmarshal(c.Body, &req); err != nil {
		return nil, fmt.Errorf("%w: %v", errBadRequest, err)
	}
	if req.BookingID == "" || len(req.TableIDs) == 0 || req.Start.IsZero() || req.Duration <= 0 {
		return nil, fmt.Errorf("%w: booking_id, table_ids, start and duration are required",
			errBadRequest)
	}
	w, err := e.writer()
	if err != nil {
		return nil, err
	}
	return w.CreateReservation(ctx, req)
}

func (e *Executor) cancel(ctx context.Context, c wire.Command) error {
	var req wire.CancelRequest
	if err := json.Unmarshal(c.Body, &req); err != nil {
		return fmt.Errorf("%w: %v", errBadRequest, err)
	}
	if req.ReservationID == "" && req.BookingID == "" {
		return fmt.Errorf("%w: reservation_id or booking_id is required", errBadRequest)
	}
	w, err := e.writer()
	if err != nil {
		return err
	}
	return w.CancelReservation(ctx, req)
}

func (e *Executor) update(ctx context.Context, c wire.Command) (any, error) {
	req, err := wire.DecodeUpdateRequest(c.Body)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errBadRequest, err)
	}
	u, ok := e.conn.(agent.ReservationUpdater)
	if !ok {
		return nil, fmt.Errorf("%w: the %s connector cannot move reservations; "+
			"move it at the till", agent.ErrUnsupported, e.conn.Kind())
	}
	return u.UpdateReservation(ctx, req)
}

// resync appends the whole current state as upserts, and deletes for what
// the RMS no longer has, so the hub's mirror is rebuilt even if it drifted.
func (e *Executor) resync(ctx context.Context) error {
	st, err := e.conn.Snapshot(ctx)
	if err != nil {
		return fmt.Errorf("read rms: %w", err)
	}
	items, err := st.Items()
	if err != nil {
		return fmt.Errorf("read rms: %w", err)
	}
	events := agent.Diff(nil, items)
	for _, ev := range agent.Diff(e.log.Snapshot(), items) {
		if ev.Op == wire.OpDelete {
			events = append(events, ev)
		}
	}
	if len(events) == 0 {
		return nil
	}
	_, err = e.log.Append(ctx, events)
	return err
}
