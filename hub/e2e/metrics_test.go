package e2e_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestMetrics: the real hub, fed by a real agent on a simulated venue,
// serves its stolik_* metrics at /metrics.
func TestMetrics(t *testing.T) {
	h := newHub(t, "replica: e2e\n")
	cred := h.addAgent("Metrics")
	h.start()
	cfg := agentConfig(t, t.TempDir(), cred, []string{"ws://" + h.addr},
		"poll_interval: 100ms\nconnector:\n  kind: sim\n"+
			"  sim: {seed: 3, halls: 1, tables: 8, step: 100ms, changes_per_step: 2}\n")
	startAgent(t, cfg)

	backlog := `stolik_agent_backlog{agent="` + cred.AgentID + `"}`
	var last map[string]float64
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last scrape: %v", last)
		}
	})
	waitFor(t, 30*time.Second, "metrics of the agent's traffic", func() bool {
		last = scrape(t, h.url()+"/metrics")
		_, reported := last[backlog]
		return last["stolik_agents_connected"] == 1 &&
			last[`stolik_changes_ingested_total{replica="e2e"}`] > 0 &&
			last["stolik_ack_latency_seconds_count"] > 0 && reported
	})
}

// scrape gets a metrics page and returns each series, written as
// name{label="value",...}, with its value.
func scrape(t testing.TB, url string) map[string]float64 {
	t.Helper()
	r, err := http.Get(url)
	if err != nil {
		return nil
	}
	defer r.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r.Body)
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	out := map[string]float64{}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+`="`+l.GetValue()+`"`)
			}
			key := name
			if len(labels) > 0 {
				key += "{" + strings.Join(labels, ",") + "}"
			}
			switch {
			case m.Counter != nil:
				out[key] = m.Counter.GetValue()
			case m.Gauge != nil:
				out[key] = m.Gauge.GetValue()
			case m.Histogram != nil:
				out[name+"_count"] = float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return out
}
