package main

import "fmt"

// spec says how to read one benchmark: its headline figure, the target an
// issue set for it, the check of that target, and the baseline measured in
// the same run that its ratio is taken to.
type spec struct {
	// Figure is the unit of the headline number.
	Figure string
	Target string
	// Met checks the target; nil when the benchmark has none.
	Met func(m map[string]float64) bool
	// Ratios name reported ratio metrics and what each is taken to.
	Ratios []ratio
	// Chart, if set, draws the benchmark's figures side by side.
	Chart *chart
}

// ratio is a ratio metric a benchmark reports, or one computed here as
// Metric over Over when Metric is not itself a ratio. Over is a metric of
// the same benchmark ("poll_ms"), or of another benchmark of the same run
// as "BenchmarkName/sub:metric" (looked up in the same package first).
type ratio struct {
	Metric, Over, Baseline string
}

// noTarget is the target of a benchmark measured for context only.
const noTarget = "no target set (context figure)"

// chart draws bars of several metrics of one benchmark in one unit.
type chart struct {
	Title, Unit string
	Bars        []bar
	// Lower is true where a lower figure is better.
	Lower bool
}

type bar struct{ Label, Metric string }

var specs = map[string]spec{
	"BenchmarkAppend": {
		Figure: "changes/s",
		Target: ">= 50,000 changes/s; ratio to raw bbolt >= 0.7; p99 commit <= 25 ms",
		Met: func(m map[string]float64) bool {
			return m["changes/s"] >= 50_000 && m["ratio"] >= 0.7 && m["p99_commit_ms"] <= 25
		},
		Ratios: []ratio{{Metric: "ratio", Baseline: "raw bbolt, same commits"}},
		Chart: &chart{Title: "Agent outbox append", Unit: "changes/s", Bars: []bar{
			{"Stolik outbox", "changes/s"}, {"raw bbolt", "raw_changes/s"}}},
	},
	"BenchmarkDrain": {
		Figure: "changes/s",
		Target: ">= 20,000 changes/s; a 1,000,000 backlog in < 120 s",
		Met: func(m map[string]float64) bool {
			return m["changes/s"] >= 20_000 && m["drain_s"] < 120
		},
	},
	"BenchmarkDelivery": {
		Figure: "stolik_changes/s",
		Target: "no target set (context figure): beside the peers, each received end to end",
		Ratios: []ratio{
			{Metric: "ratio_nats", Baseline: "NATS JetStream, file storage, default fsync every 2 min"},
			{Metric: "ratio_nats_durable", Baseline: "NATS JetStream, sync_interval always (durable)"},
			{Metric: "ratio_mosquitto", Baseline: "Mosquitto, QoS 1 to a persistent subscriber, default autosave"},
			{Metric: "ratio_mosquitto_durable", Baseline: "Mosquitto, QoS 1 to a persistent subscriber, " +
				"autosave on every change (durable)"},
		},
		Chart: &chart{Title: "Durable delivery of small changes with acks", Unit: "changes/s",
			Bars: []bar{{"Stolik", "stolik_changes/s"}, {"NATS (default)", "nats_changes/s"},
				{"NATS (durable)", "nats_durable_changes/s"},
				{"Mosquitto (default)", "mosquitto_changes/s"},
				{"Mosquitto (durable)", "mosquitto_durable_changes/s"}}},
	},
	"BenchmarkIdleConnections": {
		Figure: "ours_bytes_per_conn",
		Target: "<= 20,000 bytes per idle connection",
		Met:    func(m map[string]float64) bool { return m["ours_bytes_per_conn"] <= 20_000 },
		Ratios: []ratio{
			{Metric: "ratio", Baseline: "plain gorilla server (Go memory after GC)"},
			{Metric: "ours_rss_per_conn", Over: "plain_rss_per_conn",
				Baseline: "plain gorilla server (RSS, no GC, same settle)"},
			{Metric: "ratio_centrifugo", Baseline: "Centrifugo (RSS, no GC, same settle)"},
		},
		Chart: &chart{Title: "Memory per idle websocket connection (RSS)", Unit: "bytes",
			Lower: true, Bars: []bar{{"Stolik hub", "ours_rss_per_conn"},
				{"plain gorilla", "plain_rss_per_conn"}, {"Centrifugo", "centrifugo_rss_per_conn"}}},
	},
	"BenchmarkAgentIdle": {
		Figure: "rss_MB",
		Target: "<= 30 MB RSS; <= 0.5% of one core",
		Met:    func(m map[string]float64) bool { return m["rss_MB"] <= 30 && m["cpu_%"] <= 0.5 },
	},
	"BenchmarkHotBooking": {
		Figure: "attempts/s",
		Target: "0 overlaps; >= 1,000 attempts/s; ratio to plain INSERT >= 0.5",
		Met: func(m map[string]float64) bool {
			return m["overlaps"] == 0 && m["attempts/s"] >= 1000 && m["ratio"] >= 0.5
		},
		Ratios: []ratio{{Metric: "ratio", Baseline: "plain INSERT under the exclusion constraint"}},
		Chart: &chart{Title: "Bookings under contention (32 clients, one table)",
			Unit: "attempts/s", Bars: []bar{{"Stolik CreateBooking", "attempts/s"},
				{"plain exclusion-constraint INSERT", "plain_attempts/s"}}},
	},
	"BenchmarkIngest/insert": ingest,
	"BenchmarkIngest/update": ingest,
	"BenchmarkIngestRouting": {
		Figure: "events/s",
		Target: "ratio with routing across two replicas >= 0.9",
		Met:    func(m map[string]float64) bool { return m["ratio"] >= 0.9 },
		Ratios: []ratio{{Metric: "ratio", Baseline: "one replica, no routing"}},
	},
	"BenchmarkAvailability": {
		Figure: "us/query",
		Target: "< 1 ms per query (100 tables, 300 reservations)",
		Met:    func(m map[string]float64) bool { return m["us/query"] < 1000 },
	},
	"BenchmarkDeskAvailability": {
		Figure: "us/query",
		Target: "< 1 ms per query, loading from the embedded store",
		Met:    func(m map[string]float64) bool { return m["us/query"] < 1000 },
	},
	"BenchmarkIdleRequestsPerMinute": {
		Figure: "req/min",
		Target: "keep it low: <= 30 requests a minute to the RMS at a 5 s poll",
		Met:    func(m map[string]float64) bool { v, ok := m["req/min"]; return ok && v <= 30 },
	},
	"agent/files BenchmarkIdleRequestsPerMinute": {
		Figure: "cpu-ms/min",
		Target: "one folder listing a poll (12 a minute at 5 s), < 100 ms of CPU a minute",
		Met: func(m map[string]float64) bool {
			return m["listings/min"] <= 12 && m["cpu-ms/min"] < 100
		},
	},
	"agent/sqlread BenchmarkIdleRequestsPerMinute": {
		Figure: "db-ms/min",
		Target: "4 read-only queries a poll (48 a minute at 5 s), < 1 s of database time a minute",
		Met: func(m map[string]float64) bool {
			return m["queries/min"] <= 48 && m["db-ms/min"] < 1000
		},
	},
	"BenchmarkThroughput/window=1/rtt=0":   throughput,
	"BenchmarkThroughput/window=4/rtt=0":   windowed("BenchmarkThroughput/window=1/rtt=0"),
	"BenchmarkThroughput/window=1/rtt=5ms": throughput,
	"BenchmarkThroughput/window=4/rtt=5ms": windowed("BenchmarkThroughput/window=1/rtt=5ms"),
	"BenchmarkApplyBatch/insert":           throughput,
	"BenchmarkApplyBatch/update":           throughput,
	"BenchmarkIngest/update-same-time":     throughput,
	// The connectors' poll: a change at the RMS until a snapshot shows it,
	// within the 200 ms the change-to-mirror target leaves beyond the poll
	// interval.
	"BenchmarkChangeToSnapshot": {
		Figure: "ns/op",
		Target: "< 200 ms a change (the change-to-mirror budget beyond the poll interval)",
		Met:    func(m map[string]float64) bool { v, ok := m["ns/op"]; return ok && v < 200e6 },
	},
	"BenchmarkCreateBooking/mirror=0": {Figure: "attempts/s", Target: noTarget},
	"BenchmarkCreateBooking/mirror=300": {Figure: "attempts/s", Target: noTarget,
		Ratios: []ratio{{Metric: "attempts/s", Over: "BenchmarkCreateBooking/mirror=0:attempts/s",
			Baseline: "an empty mirror"}}},
	"BenchmarkCreateBooking/mirror=3000": {Figure: "attempts/s", Target: noTarget,
		Ratios: []ratio{{Metric: "attempts/s", Over: "BenchmarkCreateBooking/mirror=0:attempts/s",
			Baseline: "an empty mirror"}}},
	"BenchmarkScrapeReadingStore":        {Figure: "ns/op", Target: noTarget},
	"BenchmarkEncodeBatch/encoding-json": {Figure: "ns/op", Target: noTarget},
	"BenchmarkEncodeBatch/append": {Figure: "ns/op", Target: noTarget,
		Ratios: []ratio{{Metric: "ns/op", Over: "BenchmarkEncodeBatch/encoding-json:ns/op",
			Baseline: "the time of encoding/json on the same batch"}}},
	"agent/sim BenchmarkAdvance":           {Figure: "ns/change", Target: noTarget},
	"agent/sim BenchmarkSnapshot":          {Figure: "ns/snapshot", Target: noTarget},
	"BenchmarkSendQueueBurst/unpaced/bolt": {Figure: "msgs/s", Target: noTarget},
	"BenchmarkSendQueueBurst/unpaced/postgres": {Figure: "msgs/s", Target: noTarget,
		Ratios: []ratio{{Metric: "msgs/s", Over: "BenchmarkSendQueueBurst/unpaced/bolt:msgs/s",
			Baseline: "the same queue on bolt"}}},
	"BenchmarkChangeToMirror/iiko":    changeToMirror,
	"BenchmarkChangeToMirror/rkeeper": changeToMirror,
	"BenchmarkFleetPage": {
		Figure: "ms/page",
		Target: "< 200 ms a page with 1,000 agents",
		Met:    func(m map[string]float64) bool { v, ok := m["ms/page"]; return ok && v < 200 },
		Ratios: []ratio{{Metric: "ratio_json", Baseline: "the same fleet as JSON (/api/v1/agents)"}},
	},
	"BenchmarkVenuePageLive": {
		Figure: "ms/refresh",
		Target: "< 20 ms a refresh; ratio_fleet <= 1.5",
		Met: func(m map[string]float64) bool {
			v, ok := m["ms/refresh"]
			r, rok := m["ratio_fleet"]
			return ok && rok && v < 20 && r <= 1.5
		},
		Ratios: []ratio{{Metric: "ratio_fleet",
			Baseline: "the same venue's refresh in a fleet of 10 agents"}},
	},
	"BenchmarkSendQueueBurst/telegram/bolt": {
		Figure: "msgs/s",
		// 200 messages with one token to start: 199 intervals of 40 ms.
		Target: "<= 25 messages/s overall (Telegram's limit)",
		Met:    func(m map[string]float64) bool { v, ok := m["msgs/s"]; return ok && v <= 25.2 },
	},
	"BenchmarkBookingAPI/bolt":     noOverlaps,
	"BenchmarkBookingAPI/postgres": noOverlaps,
}

var changeToMirror = spec{
	Figure: "p50_ms",
	Target: "p50 < the poll interval (1 s) + 200 ms",
	Met:    func(m map[string]float64) bool { return m["p50_ms"] < m["poll_ms"]+200 },
	Ratios: []ratio{{Metric: "p50_ms", Over: "poll_ms", Baseline: "the poll interval"}},
}

// throughput names events/s as the figure of a benchmark without a target.
var throughput = spec{Figure: "events/s", Target: noTarget}

// windowed is a Throughput case with a window of 4, beside window=1 at the
// same round trip.
func windowed(one string) spec {
	return spec{Figure: "events/s", Target: noTarget, Ratios: []ratio{{Metric: "events/s",
		Over: one + ":events/s", Baseline: "a window of 1 at the same round trip"}}}
}

var ingest = spec{
	Figure: "events/s",
	Target: ">= 20,000 events/s",
	Met:    func(m map[string]float64) bool { return m["events/s"] >= 20_000 },
}

var noOverlaps = spec{
	Figure: "attempts/s",
	Target: "0 overlaps (32 clients)",
	Met:    func(m map[string]float64) bool { return m["overlaps"] == 0 },
}

// specFor returns how to read b: by its label (package and name) where
// several packages share the name but not the figures, else by its name.
func specFor(b *result) (spec, bool) {
	if s, ok := specs[label(b)]; ok {
		return s, true
	}
	s, ok := specs[b.Name]
	return s, ok
}

// mustSpec is specFor without the found flag: a zero spec when none.
func mustSpec(b *result) spec {
	s, _ := specFor(b)
	return s
}

// headline returns a benchmark's main figure as text.
func headline(b *result) string {
	s, ok := specFor(b)
	unit := s.Figure
	if !ok || unit == "" {
		for _, u := range b.Units {
			if u != "ns/op" && u != "B/op" && u != "allocs/op" {
				unit = u
				break
			}
		}
		if unit == "" {
			unit = "ns/op"
		}
	}
	v, ok := b.Metrics[unit]
	if !ok {
		// The spec's figure is not reported: show the first one that is.
		for _, u := range b.Units {
			if u != "ns/op" && u != "B/op" && u != "allocs/op" {
				return number(b.Metrics[u]) + " " + u
			}
		}
		return "—"
	}
	return number(v) + " " + unit
}

// number prints a figure with thousands separators and sensible decimals.
func number(v float64) string {
	switch {
	case v >= 1000 || v <= -1000:
		return thousands(fmt.Sprintf("%.0f", v))
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 1:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

func thousands(s string) string {
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
