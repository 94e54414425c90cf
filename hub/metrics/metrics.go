// Package metrics exposes the hub's Prometheus metrics, all named
// stolik_*, from a registry of its own (never the global default), for
// GET /metrics.
//
// What happens on this replica is counted as it happens, through calls the
// wiring makes from the gateway's hooks: changes ingested, ack latency,
// command results. What the store knows is read at scrape time, at most
// once per Options.Refresh however often Prometheus scrapes: each agent's
// backlog as it last reported it (revoked agents have no series) and the
// bookings in each active state. Sums over replicas are meaningful for the
// counters; the store gauges are the same on every replica, except the
// backlog, which only the replica that last held the agent's connection
// reports.
//
// TelegramSent and Telegram429 are package variables because the bot's
// send queue counts through them without being handed a Metrics; every
// registry made by New includes them.
package metrics

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

// Telegram counters, for the bot's send queue to increment.
var (
	// TelegramSent counts messages the Telegram Bot API accepted.
	TelegramSent = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "stolik_telegram_sent_total",
		Help: "Messages the Telegram Bot API accepted from this replica.",
	})
	// Telegram429 counts sends the Bot API refused with 429 Too Many
	// Requests (the queue waits retry_after and tries again).
	Telegram429 = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "stolik_telegram_429_total",
		Help: "Sends the Telegram Bot API refused with 429 Too Many Requests.",
	})
)

// AckBuckets are the ack latency histogram's upper bounds, in seconds: a
// batch is one store transaction, a few milliseconds when all is well.
var AckBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}

// Command results counted by CommandResult, besides ResultOK; any other
// code is counted as "other".
var resultCodes = []string{wire.CodeRefused, wire.CodeFailed, wire.CodeUnsupported,
	wire.CodeBadRequest, wire.CodeInterrupted, wire.CodeExpired}

// ResultOK is the result label of commands the agent carried out.
const ResultOK = "ok"

// DefaultRefresh is how often, at most, the store is read for a scrape.
const DefaultRefresh = 15 * time.Second

// Options configure New. Zero values take the defaults.
type Options struct {
	// Replica names this hub process; it labels the ingest counters and
	// selects the agents whose backlog this replica reports.
	Replica string
	// Store, if set, is read at scrape time for the backlog and booking
	// gauges.
	Store hub.Store
	// Connected, if set, returns the number of agent connections open on
	// this replica (gateway.Gateway.Stats().Connections).
	Connected func() int
	// Refresh bounds how often the store is read; default DefaultRefresh.
	Refresh time.Duration
	// Now is the clock for Refresh and for which bookings are current;
	// default time.Now.
	Now func() time.Time
	// Logger receives store failures during scrapes; nil discards them.
	Logger *slog.Logger
}

// Metrics is the hub's set of metrics and the registry that serves them.
// Its methods are safe for concurrent use.
type Metrics struct {
	reg        *prometheus.Registry
	changes    prometheus.Counter
	duplicates prometheus.Counter
	ackLatency prometheus.Histogram
	commands   *prometheus.CounterVec
	bookings   *prometheus.CounterVec
}

// bookingStates are the to labels of stolik_booking_transitions_total;
// any other state is counted as "other".
var bookingStates = []hub.BookingState{hub.BookingHeld, hub.BookingRequested,
	hub.BookingConfirmed, hub.BookingDeclined, hub.BookingExpired, hub.BookingCancelled,
	hub.BookingSeated, hub.BookingNoShow, hub.BookingCompleted}

// New makes the metrics and registers them, with the Go runtime's and the
// process's, in a new registry.
func New(opts Options) *Metrics {
	if opts.Refresh <= 0 {
		opts.Refresh = DefaultRefresh
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	replica := prometheus.Labels{"replica": opts.Replica}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		changes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "stolik_changes_ingested_total",
			Help: "Agent events applied to the mirror by this replica " +
				"(resent duplicates not counted).",
			ConstLabels: replica,
		}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name:        "stolik_changes_duplicate_total",
			Help:        "Agent events skipped by this replica because they were applied before.",
			ConstLabels: replica,
		}),
		ackLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "stolik_ack_latency_seconds",
			Help: "Time from a batch received from an agent to its ack queued for " +
				"sending, store transaction included.",
			Buckets: AckBuckets,
		}),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stolik_commands_total",
			Help: "Commands for agents by outcome: ok, refused, failed, unsupported, " +
				"bad_request, interrupted, expired (before the agent answered), other.",
		}, []string{"result"}),
	}
	for _, code := range append([]string{ResultOK, "other"}, resultCodes...) {
		m.commands.WithLabelValues(code) // every outcome shows, at 0
	}
	m.bookings = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "stolik_booking_transitions_total",
		Help: "Bookings this replica's desk moved, by the state they entered: held, " +
			"requested, confirmed, declined, expired, cancelled, seated, no_show, completed.",
	}, []string{"to"})
	for _, st := range bookingStates {
		m.bookings.WithLabelValues(string(st))
	}

	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.changes, m.duplicates,
		m.ackLatency, m.commands, m.bookings, TelegramSent, Telegram429,
	)
	if opts.Connected != nil {
		connected := opts.Connected
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "stolik_agents_connected",
			Help: "Agent websocket connections open on this replica, handshakes included.",
		}, func() float64 { return float64(connected()) }))
	}
	if opts.Store != nil {
		m.reg.MustRegister(newStoreCollector(opts))
	}
	return m
}

// Registry returns the registry, for tests and for adding collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text (or OpenMetrics)
// format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Batch records a batch the gateway applied and acked: took is from the
// batch received to its ack queued. It is the gateway's OnBatch hook.
func (m *Metrics) Batch(_ string, res hub.ApplyResult, took time.Duration) {
	m.changes.Add(float64(res.Applied))
	m.duplicates.Add(float64(res.Skipped))
	m.ackLatency.Observe(took.Seconds())
}

// CommandResult counts a result an agent reported for a command.
func (m *Metrics) CommandResult(r wire.Result) {
	m.commands.WithLabelValues(resultLabel(r)).Inc()
}

// CommandsExpired counts commands that expired before their agent
// answered.
func (m *Metrics) CommandsExpired(n int) {
	m.commands.WithLabelValues(wire.CodeExpired).Add(float64(n))
}

// BookingChanged counts a booking that entered a new state; a change
// that kept the state (the RMS moved a confirmed booking) is not counted.
// It takes the desk's OnChange arguments.
func (m *Metrics) BookingChanged(from hub.BookingState, b hub.Booking) {
	if from == b.State {
		return
	}
	to := "other"
	for _, st := range bookingStates {
		if st == b.State {
			to = string(st)
		}
	}
	m.bookings.WithLabelValues(to).Inc()
}

// resultLabel bounds the result label to known outcomes.
func resultLabel(r wire.Result) string {
	if r.OK {
		return ResultOK
	}
	if r.Code == "" {
		return wire.CodeFailed
	}
	for _, c := range resultCodes {
		if r.Code == c {
			return c
		}
	}
	return "other"
}
