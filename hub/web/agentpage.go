package web

import (
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/stolik/stolik/hub"
	"github.com/stolik/stolik/shared/wire"
)

// logLines is how many log lines the agent page asks an agent for.
const logLines = 200

// Series is an agent's last 24 hours, minute by minute.
type Series struct {
	// Changes is events applied in each minute; Backlog the agent's
	// backlog at its end. Index 0 is 24 hours ago; a minute without a
	// sample is -1.
	Changes, Backlog []int64
	// Reconnects counts connections started after the first in the range.
	Reconnects int
	From       time.Time
}

// series turns samples into per-minute figures from from on.
func series(samples []hub.AgentSample, from time.Time, minutes int) Series {
	sr := Series{Changes: make([]int64, minutes), Backlog: make([]int64, minutes), From: from}
	for i := range minutes {
		sr.Changes[i], sr.Backlog[i] = -1, -1
	}
	var prev *hub.AgentSample
	var since time.Time
	for i := range samples {
		sm := &samples[i]
		at := int(sm.Minute.Sub(from) / time.Minute)
		if at >= 0 && at < minutes {
			sr.Backlog[at] = int64(sm.Backlog)
			if prev != nil && sm.AppliedEvents >= prev.AppliedEvents {
				sr.Changes[at] = int64(sm.AppliedEvents - prev.AppliedEvents)
			} else if prev != nil {
				// The agent's count was reset (a mirror rebuild).
				sr.Changes[at] = 0
			}
		}
		if sm.Connected && !sm.ConnectedSince.IsZero() {
			if !since.IsZero() && !sm.ConnectedSince.Equal(since) {
				sr.Reconnects++
			}
			since = sm.ConnectedSince
		}
		prev = sm
	}
	return sr
}

// chart draws the series as an inline SVG: changes per minute and backlog,
// each scaled to its own maximum.
func chart(sr Series, x texts) template.HTML {
	const w, h, pad = 720.0, 160.0, 20.0
	n := len(sr.Changes)
	line := func(vals []int64) (string, int64) {
		var top int64 = 1
		for _, v := range vals {
			top = max(top, v)
		}
		var b strings.Builder
		for i, v := range vals {
			if v < 0 {
				continue
			}
			x := pad + float64(i)*(w-2*pad)/float64(max(n-1, 1))
			y := h - pad - float64(v)*(h-2*pad)/float64(top)
			fmt.Fprintf(&b, "%.1f,%.1f ", x, y)
		}
		return b.String(), top
	}
	changes, topC := line(sr.Changes)
	backlog, topB := line(sr.Backlog)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s">`,
		w, h, html.EscapeString(x.T("chart.label", "changes", topC, "backlog", topB)))
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%.0f" height="%.0f" class="chart-bg"/>`, w, h)
	fmt.Fprintf(&b, `<polyline class="line-changes" points="%s"/>`, changes)
	fmt.Fprintf(&b, `<polyline class="line-backlog" points="%s"/>`, backlog)
	fmt.Fprintf(&b, `<text x="%.0f" y="14" class="chart-label">%s</text>`,
		pad, html.EscapeString(x.T("chart.changes", "max", topC)))
	fmt.Fprintf(&b, `<text x="%.0f" y="14" class="chart-label backlog" text-anchor="end">`+
		`%s</text>`, w-pad, html.EscapeString(x.T("chart.backlog", "max", topB)))
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" class="chart-label">%s</text>`, pad, h-4,
		sr.From.Format("15:04 UTC"))
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" class="chart-label" text-anchor="end">%s</text>`,
		w-pad, h-4, html.EscapeString(x.T("chart.now")))
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // numbers and escaped catalogue text only
}

type agentData struct {
	Agent    FleetRow
	Chart    template.HTML
	Series   Series
	Commands []hub.Command
	// Logs is the logs command shown, when one was asked for.
	Logs      *hub.Command
	LogLines  []string
	LogsError string
}

func (s *Server) agentPage(w http.ResponseWriter, r *http.Request, p principal) {
	a, ok := s.allowedAgent(w, r, p)
	if !ok {
		return
	}
	ctx := r.Context()
	names, err := s.venueNames(ctx)
	if err != nil {
		s.pageError(w, r, http.StatusInternalServerError, "list venues", err)
		return
	}
	now := s.now().UTC()
	row := FleetRow{AgentView: s.view(a, names), LastChange: s.samples.lastChange(a.ID)}
	row.Attention = attention(row.AgentView)
	if !row.Connected && !row.Revoked && !row.LastSeen.IsZero() {
		row.OfflineFor = ago(row.LastSeen, now)
	}
	from := now.Truncate(time.Minute).Add(-hub.SampleRetention)
	samples, err := s.store.AgentSamples(ctx, a.ID, from.Add(-time.Minute))
	if err != nil {
		s.pageError(w, r, http.StatusInternalServerError, "read samples", err)
		return
	}
	sr := series(samples, from, int(hub.SampleRetention/time.Minute)+1)
	cmds, err := s.store.RecentCommands(ctx, a.ID, 20)
	if err != nil {
		s.pageError(w, r, http.StatusInternalServerError, "list commands", err)
		return
	}
	data := agentData{Agent: row, Chart: chart(sr, textsOf(r)), Series: sr, Commands: cmds}
	if id := r.URL.Query().Get("logs"); id != "" {
		c, err := s.store.Command(ctx, id)
		if err == nil && c.AgentID == a.ID && c.Kind == wire.CommandLogs {
			data.Logs = &c
			if c.Result != nil && c.Result.OK {
				var res wire.LogsResult
				if err := json.Unmarshal(c.Result.Body, &res); err != nil {
					data.LogsError = textsOf(r).T("agent.logs_unreadable", "err", err.Error())
				}
				data.LogLines = res.Lines
			} else if c.Result != nil {
				data.LogsError = c.Result.Code + ": " + c.Result.Message
			}
		}
	}
	title := textsOf(r).T("agent.title", "id", a.ID)
	s.render(w, r, http.StatusOK, "agent.html", s.frame(p, title, data))
}

func (s *Server) agentResync(w http.ResponseWriter, r *http.Request, p principal) {
	a, ok := s.allowedAgent(w, r, p)
	if !ok {
		return
	}
	if _, err := s.sendCommand(r.Context(), a.ID, wire.CommandResync, nil); err != nil {
		s.pageError(w, r, http.StatusInternalServerError, "enqueue resync", err)
		return
	}
	s.log.Info("resync asked", "agent", a.ID, "by", p.actor())
	http.Redirect(w, r, "/agents/"+a.ID, http.StatusSeeOther)
}

// agentRevoke revokes the agent's credential and closes its connection at
// once; the gateway refuses it from then on. Support only.
func (s *Server) agentRevoke(w http.ResponseWriter, r *http.Request, p principal) {
	a, ok := s.allowedAgent(w, r, p)
	if !ok {
		return
	}
	if !p.support() {
		http.Error(w, "only support may revoke an agent", http.StatusForbidden)
		return
	}
	if err := s.store.RevokeAgent(r.Context(), a.ID, s.now().UTC()); err != nil {
		s.pageError(w, r, http.StatusInternalServerError, "revoke agent", err)
		return
	}
	s.fleet.Disconnect(a.ID)
	s.log.Warn("agent revoked", "agent", a.ID, "by", p.actor())
	http.Redirect(w, r, "/agents/"+a.ID, http.StatusSeeOther)
}

// agentLogs asks the agent for its newest log lines; the agent page then
// waits for the answer.
func (s *Server) agentLogs(w http.ResponseWriter, r *http.Request, p principal) {
	a, ok := s.allowedAgent(w, r, p)
	if !ok {
		return
	}
	n := logLines
	if v, err := strconv.Atoi(r.PostFormValue("lines")); err == nil && v > 0 &&
		v <= wire.MaxLogLines {
		n = v
	}
	body, _ := json.Marshal(wire.LogsRequest{Lines: n})
	c, err := s.sendCommand(r.Context(), a.ID, wire.CommandLogs, body)
	if err != nil {
		s.pageError(w, r, http.StatusInternalServerError, "enqueue logs", err)
		return
	}
	http.Redirect(w, r, "/agents/"+a.ID+"?logs="+c.ID+"#logs", http.StatusSeeOther)
}
